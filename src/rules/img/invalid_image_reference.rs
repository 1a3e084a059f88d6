//! IMG001: the image string is not a valid image reference.

use super::part_span;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::image_ref::Registry;
use crate::rules::{Context, ImageFact, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IMG001",
    name: "invalid-image-reference",
    severity: Severity::Error,
    summary: "The image does not parse as an image reference, has an uppercase repository, or is too long",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let mut found = Vec::new();
    for facts in &cx.containers {
        let name = facts.container.label();
        match &facts.image {
            ImageFact::Invalid { node, error } => {
                let label_span = part_span(cx.file, node, Some(error.part.clone()));
                found.push((
                    name,
                    node.span,
                    label_span,
                    error.message.clone(),
                    GRAMMAR_HELP,
                ));
            }
            ImageFact::Parsed { node, image } => {
                if let Some(error) = image.ecr_repository_name_error() {
                    let label_span = part_span(cx.file, node, Some(error.part.clone()));
                    found.push((
                        name,
                        node.span,
                        label_span,
                        error.message.clone(),
                        ECR_NAME_HELP,
                    ));
                } else if image.registry == Registry::DockerHub
                    && looks_like_ecr_host_without_slash(node.as_str().unwrap_or(""))
                {
                    found.push((
                        name,
                        node.span,
                        node.span,
                        "this looks like an ECR registry host, but no `/` separates it from the repository name, \
                         so it would be looked up on Docker Hub"
                            .to_string(),
                        HOST_HELP,
                    ));
                }
            }
            _ => {}
        }
    }
    for (name, span, label_span, message, help) in found {
        let d = cx.report(
            &RULE,
            span,
            format!("invalid image for container `{name}`: {message}"),
        );
        d.container(name).help(help);
        if label_span != span {
            d.label_here(label_span, "here");
        }
    }
}

const GRAMMAR_HELP: &str = "an image is `[registry/]repository[:tag][@sha256:digest]`, repository in lowercase, \
     e.g. `111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2`; the pull would fail with \
     `invalid reference format`";

const ECR_NAME_HELP: &str = "ECR repository names are 2 to 256 characters: lowercase letters and digits, \
     separated by single `.`, `_`, `-` or `/`; no ECR repository can have this name, so the pull would fail";

const HOST_HELP: &str = "put a `/` between the registry host and the repository name: \
     `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`";

/// `111122223333.dkr.ecr.us-east-1.amazonaws.com.app:1` — a `.` typed for the `/`.
fn looks_like_ecr_host_without_slash(image: &str) -> bool {
    let name = image.split(['@', ':']).next().unwrap_or("");
    if name.contains('/') {
        return false;
    }
    let mut parts = name.split('.');
    let account_like = parts
        .next()
        .is_some_and(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
    account_like && name.contains(".dkr.ecr")
}
