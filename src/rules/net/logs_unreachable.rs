//! NET006: awslogs with no internet path and no logs endpoint.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET006",
    name: "logs-unreachable",
    severity: Severity::Error,
    summary: "awslogs with no internet path and no logs endpoint",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    super::wording::report_unreachable(&RULE, task, cx, "CloudWatch Logs (awslogs)");
}
