//! IMG003: the image has no tag and no digest, so `latest` is pulled.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, ImageFact, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IMG003",
    name: "implicit-latest-tag",
    severity: Severity::Warning,
    summary: "The image has no tag and no digest, so `latest` is pulled",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let mut found = Vec::new();
    for facts in &cx.containers {
        if let ImageFact::Parsed { node, image } = &facts.image
            && image.has_no_tag_or_digest()
        {
            // With ECR state: pin to the digest `latest` points at now, writing `:latest`.
            let fix = crate::rules::ecr::pin_to_current_digest(cx, node, image);
            let too_long = crate::rules::ecr::pin_too_long(cx, image);
            found.push((
                facts.container.label(),
                node.span,
                image.name_as_written().to_string(),
                fix,
                too_long,
            ));
        }
    }
    for (name, span, repo, fix, too_long) in found {
        let terraform = fix
            .as_ref()
            .and_then(crate::rules::ecr::pin::terraform_help);
        let d = cx
            .report(
                &RULE,
                span,
                format!("container `{name}` has no tag, so the mutable `latest` tag is pulled"),
            )
            .container(name)
            .primary_label("no tag: means `:latest`")
            .help(format!(
                "add a version tag and, better, a digest: `{repo}:<version>@sha256:…`{}{}",
                too_long.unwrap_or_default(),
                terraform.unwrap_or_default()
            ));
        if let Some(fix) = fix {
            d.fix(fix);
        }
    }
}
