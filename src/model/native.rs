//! Task definition JSON: the `register-task-definition --cli-input-json` shape, the
//! `describe-task-definition` output (`{"taskDefinition": {…}}`), or an array of either.

use crate::parse::{Node, NodeKind};
use crate::source::SourceFile;
use crate::span::Span;

use super::{Document, Format, KeyStyle, Origin, TaskDefinition};

pub fn is_task_definition(node: &Node) -> bool {
    if let Some(inner) = node.get("taskDefinition") {
        return inner.is_object();
    }
    node.is_object() && (node.get("containerDefinitions").is_some() || node.get("family").is_some())
}

/// Takes the parsed document by value: the task definitions own their parts of it, with no copy.
pub fn read(root: Node, file: &SourceFile) -> Document {
    let items: Vec<Node> = match root.kind {
        NodeKind::Array(items) => items,
        kind => vec![Node {
            kind,
            span: root.span,
        }],
    };
    let many = items.len() > 1;
    let task_definitions = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let describe_output = item.get("taskDefinition").is_some_and(Node::is_object);
            let mut props = unwrap_describe_output(item);
            super::placeholder::mark_unknown(&mut props);
            let family = props.get("family");
            let label = match family.and_then(Node::as_str) {
                Some(f) if !f.is_empty() => f.to_string(),
                _ if many => format!("{} #{}", file_stem(file), i + 1),
                _ => file_stem(file),
            };
            // Point at the family value, else at the opening brace of the definition.
            let anchor = family
                .filter(|f| !f.is_null())
                .map(|f| f.span)
                .unwrap_or(Span {
                    start: props.span.start,
                    end: props.span.start + 1,
                });
            TaskDefinition {
                label,
                origin: Origin::Native,
                style: KeyStyle::Camel,
                container_style: KeyStyle::Camel,
                props,
                anchor,
                containers_unknown: None,
                value_sources: Vec::new(),
                describe_output,
            }
        })
        .collect();
    Document {
        format: Format::TaskDefinitionJson,
        task_definitions,
        resources: Vec::new(),
        problems: Vec::new(),
    }
}

/// `{"taskDefinition": {…}, "tags": […]}` → the inner object; anything else as it is.
fn unwrap_describe_output(item: Node) -> Node {
    let is_wrapper = item.get("taskDefinition").is_some_and(Node::is_object);
    if !is_wrapper {
        return item;
    }
    match item.kind {
        NodeKind::Object(members) => members
            .into_iter()
            .rev()
            .find(|m| m.key == "taskDefinition")
            .map(|m| m.value)
            .unwrap_or_else(|| Node::new(NodeKind::Null, item.span)),
        kind => Node {
            kind,
            span: item.span,
        },
    }
}

fn file_stem(file: &SourceFile) -> String {
    file.path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("task definition")
        .to_string()
}
