//! NET012: an image from a registry outside ECR (Docker Hub, ECR Public, quay.io, ghcr.io)
//! and no internet path: VPC endpoints do not reach it. Also the first pull through a
//! pull-through cache rule (the cache repository does not exist yet): ECR fetches it from the
//! upstream registry, and that first pull needs an internet path even with ECR endpoints
//! (docs/network.md#public-registries-and-pull-through-cache).

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::net::placement::CacheFirstPull;
use crate::net::report::Problem;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET012",
    name: "public-registry-unreachable",
    severity: Severity::Error,
    summary: "An image from a public registry and no internet path",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let Some((analysed, mine)) = super::findings_for(&RULE, task, cx) else {
        return;
    };
    for (finding, _) in &mine {
        let Problem::PublicRegistryUnreachable { host } = &finding.problem else {
            continue;
        };
        let subnets = super::report::subnets_with_reasons(analysed, finding);
        let direct = analysed.direct_registries.contains(host);
        let cached: Vec<&CacheFirstPull> = analysed
            .cache_first_pulls
            .iter()
            .filter(|p| p.upstream == *host)
            .collect();
        let (message, help) = if cached.is_empty() {
            (
                format!(
                    "`{}` pulls from {host}, which only the internet reaches, and {subnets} have no internet path",
                    task.label,
                ),
                direct_help(host),
            )
        } else {
            let pulls: Vec<String> = cached
                .iter()
                .map(|p| {
                    format!(
                        "{} pulls `{}`, the first pull through the pull-through cache rule `{}` (repository not created yet), which needs an internet path (NAT) even with ECR endpoints",
                        crate::net::help::containers_words(&p.containers),
                        p.repository,
                        p.prefix
                    )
                })
                .collect();
            let also = if direct {
                format!("; it also pulls from {host} directly")
            } else {
                String::new()
            };
            let first = cached[0];
            (
                format!(
                    "`{}` needs {host}: {}; {subnets} have no internet path{also}",
                    task.label,
                    pulls.join("; "),
                ),
                format!(
                    "give the subnets a NAT gateway route (once the cache repository exists, later pulls go through the \
                     ECR endpoints), or make the first pull from a network with internet access so that ECR creates \
                     `{}`: `docker pull {}` there, logged in to the registry with credentials that may pull through \
                     the cache{}",
                    first.repository,
                    first.image,
                    if direct {
                        format!(
                            "; for the image pulled from {host} directly: {}",
                            direct_help(host)
                        )
                    } else {
                        String::new()
                    }
                ),
            )
        };
        let d = super::report::report(&RULE, task, cx, analysed, false, message);
        d.help(help);
    }
}

/// How to fix a pull from a registry that only the internet reaches.
fn direct_help(host: &str) -> String {
    format!(
        "VPC endpoints do not reach {host}: give the subnets a NAT gateway route, or copy the image into a private \
         ECR repository (`docker pull`, `docker tag`, `docker push`) and use that; an ECR pull-through cache rule for \
         {host} (images named `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/…`) serves the image through the ECR \
         endpoints too, but only once its first pull has created the cache repository, and that first pull needs an \
         internet path (NAT)"
    )
}
