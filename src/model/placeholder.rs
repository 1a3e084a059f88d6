//! Values written for a deploy tool to fill in. They are unknown wherever they stand, never
//! invalid: the file is a template of what will be registered, not the registered thing.

use crate::parse::{Node, NodeKind};

/// Task definition files are often templates filled in by a deploy tool (ecspresso's
/// `{{ must_env "TAG" }}`, envsubst's `${TAG}`, CodePipeline's `<IMAGE1_NAME>`). Such a value is
/// unknown, not invalid.
pub fn placeholder(s: &str) -> Option<String> {
    let between = |open: &str, close: &str| {
        s.find(open).and_then(|i| {
            s[i + open.len()..]
                .find(close)
                .map(|j| &s[i..i + open.len() + j + close.len()])
        })
    };
    if let Some(p) = between("{{", "}}") {
        return Some(format!("it contains the template placeholder `{p}`"));
    }
    if let Some(p) = between("${", "}") {
        return Some(format!("it contains the variable `{p}`"));
    }
    if let Some(p) = between("<", ">")
        && p.len() > 2
        && p[1..p.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Some(format!("it contains the placeholder `{p}`"));
    }
    None
}

/// Turns every placeholder string in a task definition into an unresolved value, so that each
/// rule sees it as unknown (skipped, with the reason) and none judges its text. This is the one
/// place where placeholders are classified: `family`, `cpu`, `networkMode`, a role ARN and an
/// image are treated alike.
pub fn mark_unknown(node: &mut Node) {
    match &mut node.kind {
        NodeKind::String(s) => {
            if let Some(why) = placeholder(s) {
                node.kind = NodeKind::Unresolved(why);
            }
        }
        NodeKind::Array(items) => items.iter_mut().for_each(mark_unknown),
        NodeKind::Object(members) => members.iter_mut().for_each(|m| mark_unknown(&mut m.value)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert!(placeholder("{{ must_env `TAG` }}").is_some());
        assert!(placeholder("repo:${TAG}").is_some());
        assert!(placeholder("12345678.dkr.ecr.<region>.amazonaws.com/app").is_some());
        assert!(placeholder("nginx:1.25").is_none());
        assert!(placeholder("a<b>c d").is_some());
        assert!(placeholder("<>").is_none());
    }

    #[test]
    fn marks_placeholders_in_every_field() {
        let mut node =
            crate::parse::json::parse(r#"{"cpu": "{{ must_env `CPU` }}", "memory": "512", "requiresCompatibilities": ["{{launchtype}}"], "c": [{"image": "${IMAGE}"}]}"#)
                .unwrap();
        mark_unknown(&mut node);
        assert!(node.get("cpu").unwrap().is_unknown());
        assert!(!node.get("memory").unwrap().is_unknown());
        assert!(node.get("requiresCompatibilities").unwrap().items()[0].is_unknown());
        assert!(
            node.get("c").unwrap().items()[0]
                .get("image")
                .unwrap()
                .is_unknown()
        );
    }
}
