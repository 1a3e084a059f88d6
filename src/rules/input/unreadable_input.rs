use crate::diag::Severity;
use crate::rules::{Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IN001",
    name: "unreadable-input",
    severity: Severity::Error,
    summary: "A named file cannot be read, is not UTF-8 text, or is not an ECS input of a recognised kind",
    needs: Needs::Input,
    reads: &[],
    check: None,
};
