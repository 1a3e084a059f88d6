//! Single values of a resource, read as known, absent, or unknown with the reason (an
//! expression the reader cannot resolve).

use crate::base::known::Lookup;
use crate::parse::{Node, NodeKind};
use crate::state::ec2::IpPermission;

/// An id: a literal string, or the id of the template resource referenced.
pub(super) fn id_value(node: Option<&Node>) -> Lookup<String> {
    let Some(node) = node else {
        return Lookup::Absent;
    };
    match &node.kind {
        NodeKind::Null => Lookup::Absent,
        NodeKind::String(s) if s.is_empty() => Lookup::Absent,
        NodeKind::String(s) => Lookup::Found(s.clone()),
        // The VPC's own default group and main table are resources of their own here.
        NodeKind::ResourceRef {
            id,
            attribute: Some(attribute),
        } if matches!(
            attribute.as_str(),
            "DefaultSecurityGroup" | "default_security_group_id"
        ) =>
        {
            Lookup::Found(format!("{id}.DefaultSecurityGroup"))
        }
        NodeKind::ResourceRef {
            id,
            attribute: Some(attribute),
        } if attribute == "main_route_table_id" => Lookup::Found(format!("{id}.MainRouteTable")),
        NodeKind::ResourceRef { id, .. } => Lookup::Found(id.clone()),
        NodeKind::Unresolved(why) => Lookup::Unknown(why.clone()),
        NodeKind::Number(n) => Lookup::Found(n.clone()),
        _ => Lookup::Unknown(format!("expected a string, found {}", node.type_name())),
    }
}

/// A string that must be literal (a CIDR, a service name, a protocol).
pub(super) fn text_value(node: Option<&Node>) -> Lookup<String> {
    let Some(node) = node else {
        return Lookup::Absent;
    };
    match &node.kind {
        NodeKind::Null => Lookup::Absent,
        NodeKind::String(s) if s.is_empty() => Lookup::Absent,
        NodeKind::String(s) | NodeKind::Number(s) => Lookup::Found(s.clone()),
        NodeKind::Bool(b) => Lookup::Found(b.to_string()),
        NodeKind::Unresolved(why) => Lookup::Unknown(why.clone()),
        NodeKind::ResourceRef { id, attribute } => Lookup::Unknown(match attribute {
            Some(a) => format!("it is the `{a}` of `{id}`, known only at deploy time"),
            None => format!("it comes from the resource `{id}`, known only at deploy time"),
        }),
        _ => Lookup::Unknown(format!("expected a string, found {}", node.type_name())),
    }
}

pub(super) fn bool_value(node: Option<&Node>) -> Lookup<bool> {
    match text_value(node) {
        Lookup::Found(s) if s.eq_ignore_ascii_case("true") => Lookup::Found(true),
        Lookup::Found(s) if s.eq_ignore_ascii_case("false") => Lookup::Found(false),
        Lookup::Found(s) => Lookup::Unknown(format!("`{s}` is not a boolean")),
        Lookup::Absent => Lookup::Absent,
        Lookup::Unknown(why) => Lookup::Unknown(why),
    }
}

pub(super) fn int_value(node: Option<&Node>) -> Lookup<i64> {
    match text_value(node) {
        Lookup::Found(s) => match s.trim().parse::<i64>() {
            Ok(n) => Lookup::Found(n),
            Err(_) => Lookup::Unknown(format!("`{s}` is not a number")),
        },
        Lookup::Absent => Lookup::Absent,
        Lookup::Unknown(why) => Lookup::Unknown(why),
    }
}

/// A list of ids; a single id is taken as a list of one.
pub(super) fn id_list(node: Option<&Node>) -> Lookup<Vec<String>> {
    list_of(node, id_value)
}

/// A list of strings; a single string is taken as a list of one.
pub(super) fn text_list(node: Option<&Node>) -> Lookup<Vec<String>> {
    list_of(node, text_value)
}

/// The items of a list read with `item` (absent items left out; one unknown item makes the
/// whole list unknown); a single value is a list of one.
fn list_of(node: Option<&Node>, item: fn(Option<&Node>) -> Lookup<String>) -> Lookup<Vec<String>> {
    let Some(node) = node else {
        return Lookup::Absent;
    };
    match &node.kind {
        NodeKind::Null => Lookup::Absent,
        NodeKind::Array(items) => {
            let mut out = Vec::new();
            for each in items {
                match item(Some(each)) {
                    Lookup::Found(value) => out.push(value),
                    Lookup::Absent => {}
                    Lookup::Unknown(why) => return Lookup::Unknown(why),
                }
            }
            Lookup::Found(out)
        }
        _ => item(Some(node)).map(|s| vec![s]),
    }
}

/// A policy document: an object (CloudFormation) or a JSON string (Terraform), as JSON text.
pub(super) fn policy_text(node: Option<&Node>) -> Lookup<String> {
    let Some(node) = node else {
        return Lookup::Absent;
    };
    match &node.kind {
        NodeKind::Null => Lookup::Absent,
        NodeKind::String(s) if s.trim().is_empty() => Lookup::Absent,
        NodeKind::String(s) => Lookup::Found(s.clone()),
        NodeKind::Object(_) => match to_json(node) {
            Ok(value) => Lookup::Found(value.to_string()),
            Err(why) => Lookup::Unknown(why),
        },
        NodeKind::Unresolved(why) => Lookup::Unknown(why.clone()),
        _ => Lookup::Unknown(format!(
            "the policy document is {}, not an object",
            node.type_name()
        )),
    }
}

/// A resolved node as JSON; fails on values that cannot be known.
pub(super) fn to_json(node: &Node) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    Ok(match &node.kind {
        NodeKind::Null => J::Null,
        NodeKind::Bool(b) => J::Bool(*b),
        NodeKind::Number(n) => serde_json::from_str(n).unwrap_or(J::String(n.clone())),
        NodeKind::String(s) => J::String(s.clone()),
        NodeKind::Array(items) => J::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        NodeKind::Object(members) => {
            let mut map = serde_json::Map::new();
            for m in members {
                map.insert(m.key.clone(), to_json(&m.value)?);
            }
            J::Object(map)
        }
        NodeKind::Unresolved(why) => {
            return Err(format!(
                "the policy contains a value that cannot be resolved: {why}"
            ));
        }
        NodeKind::ResourceRef { id, attribute } => {
            return Err(format!(
                "the policy uses {} of `{id}`, known only at deploy time",
                attribute.as_deref().unwrap_or("the id")
            ));
        }
    })
}

/// A Terraform nested block (a list of at most one object): its object.
pub(super) fn block(node: Option<&Node>) -> Option<&Node> {
    let node = node?;
    match &node.kind {
        NodeKind::Array(items) => items.first(),
        NodeKind::Object(_) => Some(node),
        _ => None,
    }
}

pub(super) fn set_unresolved(permission: &mut IpPermission, value: Lookup<impl Sized>, what: &str) {
    if let Lookup::Unknown(why) = value {
        permission
            .unresolved
            .get_or_insert(format!("the {what} of a rule is not known: {why}"));
    }
}

pub(super) fn capacity_value(items: Option<Vec<Lookup<String>>>) -> Lookup<Vec<String>> {
    let Some(items) = items else {
        return Lookup::Absent;
    };
    let mut out = Vec::new();
    for item in items {
        match item {
            Lookup::Found(s) => out.push(s),
            Lookup::Absent => {
                return Lookup::Unknown(
                    "a capacity provider strategy item names no provider".into(),
                );
            }
            Lookup::Unknown(why) => return Lookup::Unknown(why),
        }
    }
    if out.is_empty() {
        Lookup::Absent
    } else {
        Lookup::Found(out)
    }
}
