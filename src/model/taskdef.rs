//! A task definition, whatever file it came from.

use crate::parse::{Node, NodeKind};
use crate::span::Span;

/// How property names are spelled: the ECS API and Terraform's container definitions use
/// camelCase (`executionRoleArn`), CloudFormation PascalCase (`ExecutionRoleArn`). Rules ask
/// for the camelCase name and the model spells it as the file does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStyle {
    Camel,
    Pascal,
}

/// Where the task definition came from in its file.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// A task definition JSON file (register shape, describe output, or an item of an array).
    Native,
    /// A CloudFormation `AWS::ECS::TaskDefinition`, by logical ID.
    CloudFormation { logical_id: String },
    /// A Terraform plan's `aws_ecs_task_definition`, by address.
    TerraformPlan { address: String },
}

#[derive(Clone, Debug)]
pub struct TaskDefinition {
    /// How messages name it: the family when known, else the logical ID or address.
    pub label: String,
    pub origin: Origin,
    /// Spelling of the task-level properties.
    pub style: KeyStyle,
    /// Spelling inside container definitions (Terraform plans: camelCase JSON inside a string).
    pub container_style: KeyStyle,
    /// The task definition's properties, resolved (an object, or not, if the file is wrong).
    pub props: Node,
    /// Where to point for findings about the whole task definition: the family value, or the
    /// logical ID / address.
    pub anchor: Span,
    /// When the container definitions cannot be known before deploy, why.
    pub containers_unknown: Option<String>,
    /// Values that came from elsewhere in the file (a CloudFormation parameter's default): a
    /// finding on such a value also points at where the task definition uses it.
    pub value_sources: Vec<ValueSource>,
    /// Read out of a `describe-task-definition` output (`{"taskDefinition": {…}}`): its
    /// describe-only fields are expected there, not in a file meant for registration.
    pub describe_output: bool,
}

/// A value written in one place and used in another (`Default` of a parameter, `!Ref` to it).
#[derive(Clone, Debug, PartialEq)]
pub struct ValueSource {
    /// Where the value is written (the parameter's `Default`).
    pub value: Span,
    /// Where the task definition uses it (the `!Ref`).
    pub used_at: Span,
    pub parameter: String,
}

/// One container definition of a task definition.
#[derive(Clone, Copy, Debug)]
pub struct ContainerView<'a> {
    pub index: usize,
    pub node: &'a Node,
    pub style: KeyStyle,
}

pub fn spell(name: &str, style: KeyStyle) -> std::borrow::Cow<'_, str> {
    match style {
        KeyStyle::Camel => name.into(),
        KeyStyle::Pascal => {
            let mut chars = name.chars();
            match chars.next() {
                Some(first) => format!("{}{}", first.to_ascii_uppercase(), chars.as_str()).into(),
                None => name.into(),
            }
        }
    }
}

/// A property by its camelCase name; `null` counts as absent (describe output and console
/// exports are full of nulls, and the deploy tools drop them).
pub fn field<'a>(node: &'a Node, style: KeyStyle, name: &str) -> Option<&'a Node> {
    node.get(&spell(name, style)).filter(|n| !n.is_null())
}

impl TaskDefinition {
    pub fn get(&self, name: &str) -> Option<&Node> {
        field(&self.props, self.style, name)
    }

    /// The literal string value of a property (None when absent, unresolved or not a string).
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Node::as_str)
    }

    pub fn containers(&self) -> impl Iterator<Item = ContainerView<'_>> {
        let style = self.container_style;
        self.get("containerDefinitions")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .map(move |(index, node)| ContainerView { index, node, style })
    }

    /// `requiresCompatibilities` as far as it is known: Some(list) when it is a literal list
    /// (absent = empty list), None when it is unresolved.
    pub fn compatibilities(&self) -> Option<Vec<String>> {
        match self.get("requiresCompatibilities") {
            None => Some(Vec::new()),
            Some(n) if n.is_unknown() => None,
            Some(n) => match &n.kind {
                NodeKind::Array(items) => {
                    let mut out = Vec::new();
                    for item in items {
                        match item.as_str() {
                            Some(s) => out.push(s.to_string()),
                            None if item.is_unknown() => return None,
                            None => {}
                        }
                    }
                    Some(out)
                }
                _ => Some(Vec::new()),
            },
        }
    }

    /// `requiresCompatibilities` contains FARGATE (None: cannot tell).
    pub fn requires_fargate(&self) -> Option<bool> {
        self.compatibilities()
            .map(|c| c.iter().any(|s| s == "FARGATE"))
    }

    /// The network mode: the value, "bridge" (the Linux default) when absent, None when unknown.
    pub fn network_mode(&self) -> Option<&str> {
        match self.get("networkMode") {
            None => Some("bridge"),
            Some(n) => n.as_str(),
        }
    }
}

impl<'a> ContainerView<'a> {
    pub fn get(&self, name: &str) -> Option<&'a Node> {
        field(self.node, self.style, name)
    }

    pub fn get_str(&self, name: &str) -> Option<&'a str> {
        self.get(name).and_then(Node::as_str)
    }

    /// The container's name for messages: its `name`, else its position.
    pub fn label(&self) -> String {
        match self.get_str("name") {
            Some(n) => n.to_string(),
            None => format!("#{}", self.index + 1),
        }
    }

    /// The log driver options map (`logConfiguration.options`); option keys keep their Docker
    /// spelling in every format.
    pub fn log_option(&self, key: &str) -> Option<&'a Node> {
        self.get("logConfiguration")
            .and_then(|lc| field(lc, self.style, "options"))
            .and_then(|opts| opts.get(key))
            .filter(|n| !n.is_null())
    }

    pub fn log_driver(&self) -> Option<&'a Node> {
        self.get("logConfiguration")
            .and_then(|lc| field(lc, self.style, "logDriver"))
    }

    /// Whether the container is essential: Some(true) unless `essential` is literally false
    /// (it defaults to true); None when the value is unresolved.
    pub fn essential(&self) -> Option<bool> {
        match self.get("essential") {
            None => Some(true),
            Some(n) if n.is_unknown() => None,
            Some(n) => match n.scalar_text().as_deref() {
                Some("false") => Some(false),
                Some("true") => Some(true),
                _ => Some(true),
            },
        }
    }
}
