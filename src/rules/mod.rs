//! The rule registry and the context rules run in. Rules are pure functions from a task
//! definition (plus, for some families, the account state) to diagnostics: no IO.

pub mod context;
pub mod ecr;
pub mod img;
pub mod input;
pub mod net;
pub mod role;
pub mod td;

pub use context::{ContainerFacts, Context, DocumentFacts, ImageFact};

use crate::diag::{FileId, Severity};
use crate::model::TaskDefinition;
use crate::parse::Node;

/// What a rule reads besides the file itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Reported by the driver about a whole input (IN rules).
    Input,
    File,
    Iam,
    Ecr,
    Net,
}

impl Needs {
    pub fn describe(self) -> &'static str {
        match self {
            Needs::Input => "input",
            Needs::File => "file",
            Needs::Iam => "iam",
            Needs::Ecr => "ecr",
            Needs::Net => "net",
        }
    }
}

pub type CheckFn = fn(&TaskDefinition, &mut Context);

pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub needs: Needs,
    /// The parts of the account state it reads: when one is unknown, the run summary and the
    /// live collector name this rule as not checked.
    pub reads: &'static [crate::state::part::StatePart],
    /// None for rules the driver reports itself (unreadable input, syntax errors).
    pub check: Option<CheckFn>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

/// Every rule, in code order. Codes and names are public and never change meaning. Each family
/// lists its own rules; this joins them.
pub static ALL: std::sync::LazyLock<Vec<&'static Rule>> = std::sync::LazyLock::new(|| {
    [
        input::RULES,
        td::RULES,
        img::RULES,
        role::RULES,
        net::RULES,
        ecr::RULES,
    ]
    .concat()
});

pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}

/// A `--service` file: an ECS service definition (create-service input or describe-services
/// output), parsed, with its id in the report so diagnostics can point into it.
#[derive(Debug)]
pub struct ServiceFile {
    pub file: FileId,
    pub root: Node,
}

/// Runs the enabled rules on one task definition.
pub fn check_task_definition(task: &TaskDefinition, cx: &mut Context) {
    for rule in ALL.iter() {
        if let Some(check) = rule.check {
            if cx.is_enabled(rule) {
                check(task, cx);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for rule in ALL.iter() {
            assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
            assert!(names.insert(rule.name), "duplicate name {}", rule.name);
            let family = rule.code.trim_end_matches(|c: char| c.is_ascii_digit());
            assert!(
                ["IN", "TD", "IMG", "ROLE", "NET", "ECR"].contains(&family),
                "{}",
                rule.code
            );
            assert_eq!(rule.code.len() - family.len(), 3, "{}", rule.code);
            assert!(
                rule.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                rule.name
            );
        }
    }

    #[test]
    fn rules_are_listed_in_code_order() {
        let order = |code: &str| {
            let family = code.trim_end_matches(|c: char| c.is_ascii_digit());
            let rank = ["IN", "TD", "IMG", "ROLE", "NET", "ECR"]
                .iter()
                .position(|f| *f == family)
                .unwrap();
            (rank, code[family.len()..].to_string())
        };
        let keys: Vec<_> = ALL.iter().map(|r| order(r.code)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn every_rule_has_a_page() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        for rule in ALL.iter() {
            let page = dir.join(format!("{}-{}.md", rule.code, rule.name));
            assert!(page.exists(), "missing page {}", page.display());
        }
    }
}
