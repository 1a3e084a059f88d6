use crate::diag::Severity;
use crate::rules::{Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IN002",
    name: "syntax-error",
    severity: Severity::Error,
    summary: "JSON or YAML syntax error, or a document too deep or too large to check",
    needs: Needs::Input,
    reads: &[],
    check: None,
};
