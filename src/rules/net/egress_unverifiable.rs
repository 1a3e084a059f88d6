//! NET014: the default route goes where the state cannot follow (transit gateway, virtual
//! private gateway, NAT instance, network interface, …).

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::net::report::Problem;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET014",
    name: "egress-unverifiable",
    severity: Severity::Warning,
    summary: "The default route targets something whose onward path cannot be verified",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let Some((analysed, mine)) = super::findings_for(&RULE, task, cx) else {
        return;
    };
    for (finding, _) in mine {
        let Problem::EgressUnverifiable {
            target,
            via_nat_gateway,
        } = &finding.problem
        else {
            continue;
        };
        let route = match via_nat_gateway {
            Some(nat) => {
                format!("goes to NAT gateway {nat}, whose own subnet routes 0.0.0.0/0 to {target}")
            }
            None => format!("goes to {target}"),
        };
        let message = format!(
            "the default route of {} {route}: whether `{}` reaches the registry depends on routing this state does not show",
            super::report::subnet_list(finding),
            task.label,
        );
        let d = super::report::report(&RULE, task, cx, analysed, false, message);
        d.help(format!(
            "check that traffic through {} reaches the internet (centralised egress, firewall rules), \
             or add VPC endpoints for ecr.api, ecr.dkr, logs and an S3 gateway endpoint so the pull does not depend on it",
            target
        ));
    }
}
