//! NET005: No internet path and no S3 gateway endpoint on the subnet's route table, for the
//! image layers of a private ECR image or for `environmentFiles` (in their bucket's region).

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET005",
    name: "s3-layers-unreachable",
    severity: Severity::Error,
    summary: "No internet path and no S3 gateway endpoint on the subnet's route table",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices, StatePart::S3],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    super::wording::report_unreachable(&RULE, task, cx, "S3, where ECR keeps the image layers,");
}
