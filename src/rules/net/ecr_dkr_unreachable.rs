//! NET004: No internet path and no ecr.dkr interface endpoint.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET004",
    name: "ecr-dkr-unreachable",
    severity: Severity::Error,
    summary: "No internet path and no ecr.dkr interface endpoint",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    super::wording::report_unreachable(
        &RULE,
        task,
        cx,
        "the ECR registry (`ecr.dkr`, image manifests)",
    );
}
