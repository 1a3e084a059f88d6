//! NET003: No internet path and no ecr.api interface endpoint.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET003",
    name: "ecr-api-unreachable",
    severity: Severity::Error,
    summary: "No internet path and no ecr.api interface endpoint",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    super::wording::report_unreachable(&RULE, task, cx, "the ECR API (`ecr.api`, authentication)");
}
