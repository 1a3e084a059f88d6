//! TD005: no container is essential.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "TD005",
    name: "no-essential-container",
    severity: Severity::Error,
    summary: "No container is essential (essential defaults to true)",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let mut flags = Vec::new();
    let mut unknown = Vec::new();
    for c in task.containers() {
        match c.essential() {
            Some(false) => flags.push((c.label(), c.get("essential").map(|n| n.span))),
            None => unknown.push(format!("`{}`", c.label())),
            // One essential container is enough.
            Some(true) => return,
        }
    }
    if !unknown.is_empty() {
        // Not a finding, and not a pass either: the answer is known only at deploy time.
        cx.skip(
            &[&RULE],
            format!(
                "no container is essential for certain: whether {} is essential is known only at deploy time",
                unknown.join(", ")
            ),
        );
        return;
    }
    if flags.is_empty() {
        return;
    }
    let d = cx.report(
        &RULE,
        task.anchor,
        "no container in this task definition is essential; ECS requires at least one",
    );
    d.help("set `\"essential\": true` on the main container (or remove `\"essential\": false`, as it defaults to true)");
    for (name, span) in flags {
        if let Some(span) = span {
            d.label_here(span, format!("`{name}` is not essential"));
        }
    }
}
