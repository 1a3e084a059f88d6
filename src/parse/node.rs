//! The value tree every input format is read into: JSON-like values, each with the byte span
//! of the text it came from. Template resolution adds two kinds that plain JSON does not have:
//! a value that cannot be known before deploy, and a link to another resource of the template.

use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    /// The number as written (JSON numbers are kept as text: "256" and 256 are compared by value
    /// where it matters, and nothing is lost to floating point).
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(Vec<Member>),
    /// A value that cannot be known until deploy (a parameter with no value, `Fn::ImportValue`,
    /// a Terraform value known only after apply). The string says why, for the run summary.
    Unresolved(String),
    /// `Ref` / `Fn::GetAtt` to a resource of the same template (or a Terraform resource address).
    ResourceRef {
        id: String,
        attribute: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn new(kind: NodeKind, span: Span) -> Node {
        Node { span, kind }
    }

    /// The member `key` of an object. With duplicate keys the last one wins, as in most JSON
    /// readers (and in the AWS CLI, which reads with Python's json module).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.member(key).map(|m| &m.value)
    }

    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.kind {
            NodeKind::Object(members) => members.iter().rev().find(|m| m.key == key),
            _ => None,
        }
    }

    pub fn members(&self) -> &[Member] {
        match &self.kind {
            NodeKind::Object(members) => members,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Array(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar's text: strings as they are, numbers as written, booleans as `true`/`false`.
    /// CloudFormation and the ECS API accept `"256"` and `256` alike in many places.
    pub fn scalar_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.kind {
            NodeKind::String(s) => Some(s.as_str().into()),
            NodeKind::Number(n) => Some(n.as_str().into()),
            NodeKind::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self.kind, NodeKind::Object(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self.kind, NodeKind::Array(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// Unresolved values and resource links are not wrong, only unknown: rules must not judge
    /// them.
    pub fn is_unknown(&self) -> bool {
        matches!(
            self.kind,
            NodeKind::Unresolved(_) | NodeKind::ResourceRef { .. }
        )
    }

    /// Why the value is unknown, for the run summary's skipped list (None when it is known).
    pub fn unknown_reason(&self) -> Option<String> {
        match &self.kind {
            NodeKind::Unresolved(why) => Some(why.clone()),
            NodeKind::ResourceRef { id, .. } => {
                Some(format!("it comes from `{id}`, known only at deploy time"))
            }
            _ => None,
        }
    }

    /// A word for the value's type, for messages ("expected a string, found an object").
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Number(_) => "a number",
            NodeKind::String(_) => "a string",
            NodeKind::Array(_) => "an array",
            NodeKind::Object(_) => "an object",
            NodeKind::Unresolved(_) => "an unresolved value",
            NodeKind::ResourceRef { .. } => "a resource reference",
        }
    }

    /// Converts to a serde_json value, for code that reads state with serde. Unresolved values
    /// and links become null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Null | NodeKind::Unresolved(_) | NodeKind::ResourceRef { .. } => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Number(n) => serde_json::from_str::<serde_json::Number>(n)
                .map(Value::Number)
                .unwrap_or_else(|_| Value::String(n.clone())),
            NodeKind::String(s) => Value::String(s.clone()),
            NodeKind::Array(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.clone(), m.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Calls `f` on every node of the tree, parents before children, without recursion (trees
    /// can be deep).
    pub fn walk(&self, mut f: impl FnMut(&Node)) {
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            f(node);
            match &node.kind {
                NodeKind::Array(items) => stack.extend(items.iter().rev()),
                NodeKind::Object(members) => stack.extend(members.iter().rev().map(|m| &m.value)),
                _ => {}
            }
        }
    }
}
