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
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let mut found = Vec::new();
    for facts in &cx.containers {
        if let ImageFact::Parsed { node, image } = &facts.image {
            if image.has_no_tag_or_digest() {
                found.push((
                    facts.container.label(),
                    node.span,
                    image.name_as_written().to_string(),
                ));
            }
        }
    }
    for (name, span, repo) in found {
        cx.report(
            &RULE,
            span,
            format!("container `{name}` has no tag, so the mutable `latest` tag is pulled"),
        )
        .container(name)
        .primary_label("no tag: means `:latest`")
        .help(format!(
            "add a version tag and, better, a digest: `{repo}:<version>@sha256:…`"
        ));
    }
}
