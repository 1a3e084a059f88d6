//! IMG004: the image is referenced by a tag (not `latest`) and no digest.

use super::part_span;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, ImageFact, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IMG004",
    name: "unpinned-image",
    severity: Severity::Note,
    summary: "The image is referenced by a tag other than `latest` and no digest",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let mut found = Vec::new();
    for facts in cx.containers.iter().filter(|f| f.published.is_none()) {
        if let ImageFact::Parsed { node, image } = &facts.image
            && let (Some(tag), None) = (&image.tag, &image.digest)
        {
            // With ECR state that decides the tag's mutability, ECR003 reports it (or
            // nothing, when the tag is immutable).
            if tag != "latest" && !crate::rules::ecr::decides_tag_mutability(cx, image) {
                // A tag interpolated from a variable: the finding is at the literal to change.
                let (span, tag_span) = match super::tag_literal(cx, node, Some(tag)) {
                    Some(literal) => (literal, literal),
                    None => (node.span, part_span(cx.file, node, image.spans.tag.clone())),
                };
                found.push((
                    facts.container.label(),
                    span,
                    tag_span,
                    tag.clone(),
                    image.name_as_written().to_string(),
                ));
            }
        }
    }
    let require_digest = cx.settings.require_digest;
    for (name, span, tag_span, tag, repo) in found {
        let d = cx.report(
            &RULE,
            span,
            format!("container `{name}` uses the tag `{tag}` without a digest"),
        );
        if require_digest {
            d.severity = Severity::Error;
        }
        d.container(name)
            .label_here(tag_span, "a tag can be moved to another image")
            .help(format!(
                "pin to the digest the tag points at: `{repo}:{tag}@sha256:…` (`aws ecr describe-images` or \
                 `docker buildx imagetools inspect` shows it); ECS resolves tags to digests per deployment, \
                 but a new deployment or a scale-out after the tag moved runs a different image"
            ));
    }
}
