use crate::diag::Severity;
use crate::rules::{Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IN004",
    name: "unused-suppression",
    severity: Severity::Warning,
    summary: "An inline suppression (`# ecs-preflight: ignore[…]` or CloudFormation `Metadata`) matches no finding",
    needs: Needs::Input,
    reads: &[],
    check: None,
};
