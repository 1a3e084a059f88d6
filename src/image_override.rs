//! `--image CONTAINER=IMAGE`: check the committed task definition with the image the pipeline
//! will really deploy (what `amazon-ecs-render-task-definition` does before a deploy). The
//! container's `image` value is replaced in the model, keeping its span, so findings still
//! point at the `image` field of the file.

use crate::model::Document;
use crate::model::taskdef::{KeyStyle, spell};
use crate::parse::{Node, NodeKind};

/// One `--image` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageOverride {
    pub container: String,
    pub image: String,
}

/// Parses `CONTAINER=IMAGE`; both sides must be non-empty.
pub fn parse(arg: &str) -> Result<ImageOverride, String> {
    match arg.split_once('=') {
        Some((container, image)) if !container.trim().is_empty() && !image.trim().is_empty() => {
            Ok(ImageOverride {
                container: container.trim().to_string(),
                image: image.trim().to_string(),
            })
        }
        _ => Err(format!(
            "--image `{arg}`: expected CONTAINER=IMAGE (e.g. --image web=123456789012.dkr.ecr.us-east-1.amazonaws.com/web:sha-abc123)"
        )),
    }
}

/// Replaces the image of every container named in `overrides`, in every task definition of
/// the document. Returns the container names that were found.
pub fn apply(doc: &mut Document, overrides: &[ImageOverride]) -> Vec<String> {
    let mut found = Vec::new();
    if overrides.is_empty() {
        return found;
    }
    for task in &mut doc.task_definitions {
        let style = task.container_style;
        let key = spell("containerDefinitions", task.style).into_owned();
        let Some(containers) = member_mut(&mut task.props, &key) else {
            continue;
        };
        let NodeKind::Array(items) = &mut containers.kind else {
            continue;
        };
        for container in items.iter_mut() {
            let Some(name) = string_field(container, style, "name") else {
                continue;
            };
            let Some(o) = overrides.iter().find(|o| o.container == name) else {
                continue;
            };
            let image_key = spell("image", style).into_owned();
            if let Some(image) = member_mut(container, &image_key) {
                image.kind = NodeKind::String(o.image.clone());
                found.push(name);
            }
        }
    }
    found
}

fn string_field(node: &Node, style: KeyStyle, name: &str) -> Option<String> {
    node.get(&spell(name, style))
        .and_then(Node::as_str)
        .map(str::to_string)
}

fn member_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.kind {
        NodeKind::Object(members) => members
            .iter_mut()
            .find(|m| m.key == key)
            .map(|m| &mut m.value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_needs_both_sides() {
        assert_eq!(
            parse("web=repo:sha-1").unwrap(),
            ImageOverride {
                container: "web".into(),
                image: "repo:sha-1".into()
            }
        );
        assert!(parse("web").is_err());
        assert!(parse("=repo:1").is_err());
        assert!(parse("web=").is_err());
    }
}
