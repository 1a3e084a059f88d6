//! IMG006: a private ECR image from another region than the deployment's.

use super::part_span;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::image_ref::Registry;
use crate::rules::{Context, ImageFact, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IMG006",
    name: "cross-region-image",
    severity: Severity::Warning,
    summary: "A private ECR image whose registry region differs from the deployment region",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let has_ecr = cx.containers.iter().any(|f| matches!(&f.image, ImageFact::Parsed { image, .. } if matches!(image.registry, Registry::Ecr { .. })));
    let Some(region) = cx.settings.region.clone() else {
        if has_ecr {
            cx.skip_for_run(&[&RULE], "the deployment region is not known (pass --region, set `region` in ecs-preflight.toml, or AWS_REGION)");
        }
        return;
    };
    let mut found = Vec::new();
    for facts in &cx.containers {
        if let ImageFact::Parsed { node, image } = &facts.image
            && let Registry::Ecr {
                region: registry_region,
                account,
                ..
            } = &image.registry
            && *registry_region != region
        {
            let host = part_span(cx.file, node, image.spans.domain.clone());
            let repo = image.ecr_repository_name().unwrap_or_default().to_string();
            found.push((
                facts.container.label(),
                node.span,
                host,
                registry_region.clone(),
                account.clone(),
                repo,
            ));
        }
    }
    let source = cx
        .settings
        .region_source
        .clone()
        .unwrap_or_else(|| "the deployment region".into());
    for (name, span, host, registry_region, account, repo) in found {
        cx.report(&RULE, span, format!("container `{name}` pulls from ECR in {registry_region}, but the task runs in {region} ({source})"))
            .container(name)
            .label_here(host, format!("registry in {registry_region}"))
            .help(format!(
                "replicate the repository to {region} (ECR replication) and use `{account}.dkr.ecr.{region}.amazonaws.com/{repo}`; \
                 cross-region pulls pay data transfer, depend on {registry_region} being up, and cannot use VPC endpoints"
            ));
    }
}
