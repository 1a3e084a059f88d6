//! NET012: an image from a registry outside ECR (Docker Hub, ECR Public, quay.io, ghcr.io)
//! and no internet path: VPC endpoints do not reach it.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::net::report::Problem;
use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "NET012",
    name: "public-registry-unreachable",
    severity: Severity::Error,
    summary: "An image from a public registry and no internet path",
    needs: Needs::Net,
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let Some((analysed, mine)) = super::findings_for(&RULE, task, cx) else {
        return;
    };
    let hosts: Vec<&str> = mine
        .iter()
        .filter_map(|(f, _)| match &f.problem {
            Problem::PublicRegistryUnreachable { host } => Some(host.as_str()),
            _ => None,
        })
        .collect();
    for (finding, _) in &mine {
        let Problem::PublicRegistryUnreachable { host } = &finding.problem else {
            continue;
        };
        let message = format!(
            "`{}` pulls from {host}, which only the internet reaches, and {} have no internet path",
            task.label,
            super::subnets_with_reasons(analysed, finding),
        );
        let _ = &hosts;
        let d = super::report(&RULE, task, cx, analysed, false, message);
        d.help(format!(
            "VPC endpoints do not reach {host}: give the subnets a NAT gateway route, or copy the image to ECR \
             (an ECR pull-through cache rule for {host}, then pull `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/…` through the ECR endpoints)"
        ));
    }
}
