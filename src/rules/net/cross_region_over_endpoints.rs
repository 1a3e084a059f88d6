//! NET013: a private ECR image in another region (or a dual-stack ECR hostname) and the only
//! path is VPC endpoints, which serve their own region only.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::net::report::Problem;
use crate::net::services::ServiceKind;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET013",
    name: "cross-region-over-endpoints",
    severity: Severity::Error,
    summary: "A private ECR image in another region and only VPC endpoints as the path",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let Some((analysed, mine)) = super::findings_for(&RULE, task, cx) else {
        return;
    };
    // ecr.api, ecr.dkr and S3 of one region are one cause: report the registry once.
    let mut seen: Vec<(String, bool)> = Vec::new();
    for (finding, _) in &mine {
        let Problem::NoEndpointPath {
            service,
            vpc_region,
        } = &finding.problem
        else {
            continue;
        };
        if service.kind == ServiceKind::S3 && seen.iter().any(|(r, _)| *r == service.region) {
            continue;
        }
        let key = (service.region.clone(), service.dual_stack);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let message = if service.dual_stack {
            format!(
                "`{}` pulls from ECR's dual-stack hostname, which PrivateLink does not carry, and {} have no internet path",
                task.label,
                super::report::subnets_with_reasons(analysed, finding),
            )
        } else {
            format!(
                "`{}` pulls from ECR in {}, but {} in {vpc_region} have no internet path, and VPC endpoints only reach {vpc_region}",
                task.label,
                service.region,
                super::report::subnets_with_reasons(analysed, finding),
            )
        };
        let help = if service.dual_stack {
            "use the IPv4 registry hostname `<account>.dkr.ecr.<region>.amazonaws.com`, or give the subnets a NAT gateway route".to_string()
        } else {
            format!(
                "replicate the repository to {vpc_region} (ECR replication) and pull from `<account>.dkr.ecr.{vpc_region}.amazonaws.com`, or give the subnets a NAT gateway route"
            )
        };
        let d = super::report::report(&RULE, task, cx, analysed, false, message);
        d.help(help);
    }
}
