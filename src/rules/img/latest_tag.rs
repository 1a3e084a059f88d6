//! IMG002: the image uses the `latest` tag explicitly.

use super::part_span;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, ImageFact, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IMG002",
    name: "latest-tag",
    severity: Severity::Warning,
    summary: "The image uses the mutable `latest` tag and no digest",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let mut found = Vec::new();
    for facts in &cx.containers {
        if let ImageFact::Parsed { node, image } = &facts.image
            && image.is_explicit_latest()
        {
            // A tag interpolated from a variable: the finding is at the literal to change.
            let (span, tag) = match super::tag_literal(cx, node, image.tag.as_deref()) {
                Some(literal) => (literal, literal),
                None => (node.span, part_span(cx.file, node, image.spans.tag.clone())),
            };
            // With ECR state: pin to the digest `latest` points at now.
            let fix = crate::rules::ecr::pin_to_current_digest(cx, node, image);
            let too_long = crate::rules::ecr::pin_too_long(cx, image);
            found.push((
                facts.container.label(),
                span,
                tag,
                image.name_as_written().to_string(),
                fix,
                too_long,
            ));
        }
    }
    for (name, span, tag, repo, fix, too_long) in found {
        let terraform = fix
            .as_ref()
            .and_then(crate::rules::ecr::pin::terraform_help);
        let d = cx
            .report(&RULE, span, format!("container `{name}` uses the mutable `latest` tag"))
            .container(name)
            .label_here(tag, "`latest` moves with every push")
            .help(format!(
                "pin the image to a digest (`{repo}:latest@sha256:…`) or to a version tag that is never reused; \
                 with `latest`, a new push changes what new tasks run and a rollback cannot bring back the old image{}{}",
                too_long.unwrap_or_default(),
                terraform.unwrap_or_default()
            ));
        if let Some(fix) = fix {
            d.fix(fix);
        }
    }
}
