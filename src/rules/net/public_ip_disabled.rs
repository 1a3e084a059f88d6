//! NET002: the subnet's default route goes to an internet gateway but the task gets no public
//! IP (assignPublicIp DISABLED, or EC2 awsvpc), and there is no endpoint path.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::net::report::Problem;
use crate::net::task::NoPublicIp;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET002",
    name: "public-ip-disabled",
    severity: Severity::Error,
    summary: "Public subnet (internet gateway route) but the task gets no public IP",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let Some((analysed, mine)) = super::findings_for(&RULE, task, cx) else {
        return;
    };
    for (finding, fix) in mine {
        let Problem::PublicIpDisabled {
            internet_gateway_id,
            why,
        } = &finding.problem
        else {
            continue;
        };
        let subnets = super::report::subnet_list(finding);
        let (message, lead) = match why {
            NoPublicIp::AssignPublicIpDisabled => (
                format!(
                    "`{}` runs in {subnets}, whose default route goes to internet gateway {internet_gateway_id}, with assignPublicIp DISABLED: without a public IP the task cannot use the internet gateway, so the image pull cannot reach the registry",
                    task.label
                ),
                "assign the task a public IP (or move it to private subnets with a NAT gateway route)".to_string(),
            ),
            NoPublicIp::Ec2LaunchType => (
                format!(
                    "`{}` runs on EC2 in {subnets}, whose default route goes to internet gateway {internet_gateway_id}: awsvpc task interfaces on EC2 never get a public IP, so the task has no internet path there",
                    task.label
                ),
                "run the tasks in private subnets whose default route goes to a NAT gateway, or add VPC endpoints for ecr.api, ecr.dkr, logs and an S3 gateway endpoint".to_string(),
            ),
        };
        let igw = super::report::resource_place(cx, analysed, internet_gateway_id);
        let help = super::wording::fix_help(cx, &lead, fix.as_ref());
        let d = super::report::report(&RULE, task, cx, analysed, false, message);
        d.help_lines(help);
        if let Some(place) = igw {
            d.label(place.file, place.span, "the internet gateway");
        }
    }
}
