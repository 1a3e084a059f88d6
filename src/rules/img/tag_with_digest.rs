//! IMG005: both a tag and a digest; the pull uses the digest and ignores the tag.

use super::part_span;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, ImageFact, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IMG005",
    name: "tag-with-digest",
    severity: Severity::Note,
    summary: "The image has both a tag and a digest, and no registry state confirms they agree",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let mut found = Vec::new();
    for facts in &cx.containers {
        if let ImageFact::Parsed { node, image } = &facts.image {
            // With ECR state that knows where the tag points, ECR009 reports a mismatch (and
            // nothing is said when they agree).
            if let (Some(tag), Some(_)) = (&image.tag, &image.digest) {
                if crate::rules::ecr::knows_tag_digest(cx, image) {
                    continue;
                }
                let tag_span = part_span(cx.file, node, image.spans.tag.clone());
                found.push((facts.container.label(), node.span, tag_span, tag.clone()));
            }
        }
    }
    for (name, span, tag_span, tag) in found {
        cx.report(&RULE, span, format!("container `{name}` names both the tag `{tag}` and a digest; the digest decides what is pulled"))
            .container(name)
            .label_here(tag_span, "ignored by the pull")
            .help(
                "nothing here confirms that the tag still points at this digest; supply ECR state (`--state` or \
                 `--aws`) to check it, or drop the tag if it is not kept in step",
            );
    }
}
