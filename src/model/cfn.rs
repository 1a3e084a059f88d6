//! CloudFormation templates (JSON or YAML, CDK output included): every
//! `AWS::ECS::TaskDefinition`, and every resource resolved for the state layers.

use crate::parse::{Node, NodeKind};

use super::recognize::ResolveSettings;
use super::resolve::Resolver;
use super::{Document, Format, KeyStyle, Origin, Resource, TaskDefinition};

pub fn read(root: &Node, settings: &ResolveSettings) -> Document {
    let resolver = Resolver::new(root, settings.account.clone(), settings.region.clone());
    let mut task_definitions = Vec::new();
    let mut resources = Vec::new();
    for member in root.get("Resources").map(Node::members).unwrap_or(&[]) {
        let kind = member
            .value
            .get("Type")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        let empty = Node::new(NodeKind::Object(Vec::new()), member.value.span);
        let raw = member.value.get("Properties").unwrap_or(&empty);
        resolver.take_parameter_uses();
        let properties = resolver.resolve(raw).unwrap_or(empty.clone());
        let value_sources = resolver.take_parameter_uses();
        if kind == "AWS::ECS::TaskDefinition" {
            let mut properties = properties.clone();
            super::placeholder::mark_unknown(&mut properties);
            let label = match properties.get("Family").and_then(Node::as_str) {
                Some(f) if !f.is_empty() => f.to_string(),
                _ => member.key.clone(),
            };
            let containers_unknown = match properties.get("ContainerDefinitions").map(|n| &n.kind) {
                Some(NodeKind::Unresolved(why)) => Some(why.clone()),
                _ => None,
            };
            task_definitions.push(TaskDefinition {
                label,
                origin: Origin::CloudFormation {
                    logical_id: member.key.clone(),
                },
                style: KeyStyle::Pascal,
                container_style: KeyStyle::Pascal,
                props: properties,
                anchor: member.key_span,
                containers_unknown,
                value_sources,
                describe_output: false,
            });
        }
        let condition = member
            .value
            .get("Condition")
            .and_then(Node::as_str)
            .map(|name| (name.to_string(), resolver.condition_value(name)));
        resources.push(Resource {
            id: member.key.clone(),
            kind,
            id_span: member.key_span,
            properties,
            condition,
        });
    }
    Document {
        format: Format::CloudFormation,
        task_definitions,
        resources,
        problems: Vec::new(),
    }
}
