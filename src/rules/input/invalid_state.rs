use crate::diag::Severity;
use crate::rules::{Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IN003",
    name: "invalid-state",
    severity: Severity::Error,
    summary: "A state file is malformed: syntax, wrong types, or an unknown format version",
    needs: Needs::Input,
    reads: &[],
    check: None,
};
