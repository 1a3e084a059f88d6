//! TD003: Fargate requires the awsvpc network mode.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::taskdef::spell;
use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "TD003",
    name: "fargate-network-mode",
    severity: Severity::Error,
    summary: "requiresCompatibilities contains FARGATE and networkMode is not awsvpc",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    if task.requires_fargate() != Some(true) {
        return;
    }
    let name = spell("networkMode", task.style);
    match task.get("networkMode") {
        None => {
            cx.report(&RULE, task.anchor, format!("this Fargate task definition has no `{name}`, so it defaults to `bridge`; Fargate requires `awsvpc`"))
                .help(format!("add `\"{name}\": \"awsvpc\"`"));
        }
        Some(mode) => {
            if let Some(why) = mode.unknown_reason() {
                cx.skip(
                    &[&RULE],
                    format!("`{name}` is not known before deploy: {why}"),
                );
            } else if let Some(value) = mode.as_str()
                && value != "awsvpc"
            {
                cx.report(
                    &RULE,
                    mode.span,
                    format!("Fargate requires the `awsvpc` network mode, not `{value}`"),
                )
                .primary_label("must be awsvpc on Fargate")
                .help(format!(
                    "set `{name}` to `awsvpc`; the task then gets its own network interface, \
                         configured by the service's subnets and security groups"
                ));
            }
        }
    }
}
