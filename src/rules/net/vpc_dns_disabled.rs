//! NET015: the VPC has `enableDnsSupport` or `enableDnsHostnames` off, so endpoint private DNS
//! cannot resolve.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::net::report::Problem;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET015",
    name: "vpc-dns-disabled",
    severity: Severity::Error,
    summary: "The VPC has DNS support or DNS hostnames disabled",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let Some((analysed, mine)) = super::findings_for(&RULE, task, cx) else {
        return;
    };
    for (finding, fix) in mine {
        let Problem::VpcDnsDisabled {
            vpc_id,
            dns_support,
            dns_hostnames,
        } = &finding.problem
        else {
            continue;
        };
        let off: Vec<&str> = [
            (*dns_support == Some(false)).then_some("enableDnsSupport"),
            (*dns_hostnames == Some(false)).then_some("enableDnsHostnames"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let message = format!(
            "{vpc_id} has {} off, so the private DNS names of its interface endpoints do not resolve: `{}` in {} relies on them",
            off.join(" and "),
            task.label,
            super::report::subnet_list(finding),
        );
        let place = super::report::resource_place(cx, analysed, vpc_id);
        let help = super::wording::fix_help(cx, "turn the VPC's DNS attributes on", fix.as_ref());
        let d = super::report::report(&RULE, task, cx, analysed, false, message);
        d.help_lines(help);
        if let Some(place) = place {
            d.label(place.file, place.span, format!("VPC {vpc_id}"));
        }
    }
}
