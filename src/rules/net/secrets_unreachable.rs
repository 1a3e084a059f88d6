//! NET007: Secrets with no internet path and no secretsmanager or ssm endpoint.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET007",
    name: "secrets-unreachable",
    severity: Severity::Error,
    summary: "Secrets with no internet path and no secretsmanager or ssm endpoint",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    super::wording::report_unreachable(&RULE, task, cx, "the secrets store");
}
