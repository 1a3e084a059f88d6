//! The rule registry and the context rules run in. Rules are pure functions from a task
//! definition (plus, for some families, the account state) to diagnostics: no IO.

pub mod context;
pub mod ecr;
pub mod img;
pub mod input;
pub mod net;
pub mod refs;
pub mod role;
pub mod svc;
pub mod td;

pub use context::{ContainerFacts, Context, DocumentFacts, ImageFact};

use crate::diag::{CURRENT_FILE, Diagnostic, FileId, Severity};
use crate::model::TaskDefinition;
use crate::parse::Node;
use crate::span::Span;

/// What a rule reads besides the file itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Reported by the driver about a whole input (IN rules).
    Input,
    File,
    Iam,
    Ecr,
    Net,
    /// The state of what the task references: secrets, parameters, keys, log groups, S3.
    Refs,
}

impl Needs {
    pub fn describe(self) -> &'static str {
        match self {
            Needs::Input => "input",
            Needs::File => "file",
            Needs::Iam => "iam",
            Needs::Ecr => "ecr",
            Needs::Net => "net",
            Needs::Refs => "refs",
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

impl Rule {
    /// A finding of this rule in file `file`.
    pub fn diagnostic_in(&'static self, file: FileId, span: Span, message: String) -> Diagnostic {
        Diagnostic::new(self.code, self.name, self.severity, file, span, message)
    }
}

/// A finding about an input itself (IN rules, and TD rules found while reading), in the file
/// being checked.
pub fn input_diagnostic(rule: &'static Rule, span: Span, message: String) -> Diagnostic {
    rule.diagnostic_in(CURRENT_FILE, span, message)
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

/// A rule family: the prefix of its codes and its rules in code order.
pub struct Family {
    pub prefix: &'static str,
    pub rules: &'static [&'static Rule],
}

/// The registry: every family, in the order `rules` lists them. Codes and names are public and
/// never change meaning. A new rule is one line in its family's `RULES`; a new family, one
/// line here.
pub static FAMILIES: &[Family] = &[
    Family {
        prefix: "IN",
        rules: input::RULES,
    },
    Family {
        prefix: "TD",
        rules: td::RULES,
    },
    Family {
        prefix: "IMG",
        rules: img::RULES,
    },
    Family {
        prefix: "ROLE",
        rules: role::RULES,
    },
    Family {
        prefix: "NET",
        rules: net::RULES,
    },
    Family {
        prefix: "ECR",
        rules: ecr::RULES,
    },
    Family {
        prefix: "SVC",
        rules: svc::RULES,
    },
    Family {
        prefix: "REF",
        rules: refs::RULES,
    },
];

/// Every rule, in code order.
pub static ALL: std::sync::LazyLock<Vec<&'static Rule>> = std::sync::LazyLock::new(|| {
    FAMILIES
        .iter()
        .flat_map(|f| f.rules.iter().copied())
        .collect()
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
        if let Some(check) = rule.check
            && cx.is_enabled(rule)
        {
            check(task, cx);
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
                FAMILIES
                    .iter()
                    .any(|f| f.prefix == family && f.rules.iter().any(|r| std::ptr::eq(*r, *rule))),
                "{} is not listed in its family",
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
            let rank = FAMILIES.iter().position(|f| f.prefix == family).unwrap();
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

#[cfg(test)]
mod code_literals {
    //! Code refers to rules by their `RULE` statics, never by writing a code in a string: a
    //! typo in a string compiles, a typo in a path does not.

    use std::path::Path;

    /// Rule codes in non-test source outside a rule's own `code:` line, as `file:line: text`.
    fn code_literals_outside_definitions(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                code_literals_outside_definitions(&path, found);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests may name the codes they expect.
            let code = text.split("\n#[cfg(test)]\nmod ").next().unwrap();
            for (n, line) in code.lines().enumerate() {
                let trimmed = line.trim_start();
                if trimmed.starts_with("//") || trimmed.starts_with("code: \"") {
                    continue;
                }
                if contains_code_in_string(line) {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, trimmed));
                }
            }
        }
    }

    /// Whether a line has a string containing something shaped like a rule code (`NET003`).
    fn contains_code_in_string(line: &str) -> bool {
        let mut in_string = false;
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if in_string => i += 1,
                b'"' => in_string = !in_string,
                b'A'..=b'Z' if in_string => {
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_uppercase() {
                        i += 1;
                    }
                    let letters = i - start;
                    let digits_start = i;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
                    let after_ok = i == bytes.len() || !bytes[i].is_ascii_alphanumeric();
                    if (2..=4).contains(&letters) && i - digits_start == 3 && before_ok && after_ok
                    {
                        return true;
                    }
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        false
    }

    #[test]
    fn the_scanner_finds_codes_in_strings_only() {
        assert!(contains_code_in_string(r#"if code == "NET003" {"#));
        assert!(contains_code_in_string(r#"format!("see ROLE011 here")"#));
        assert!(!contains_code_in_string("let net003 = 1; // NET003"));
        assert!(!contains_code_in_string(r#""ABCDE123 X1234""#));
        assert!(!contains_code_in_string(r#""AWS2023 NET0031""#));
    }

    #[test]
    fn no_rule_code_literal_outside_rule_definitions() {
        let mut found = Vec::new();
        code_literals_outside_definitions(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(
            found.is_empty(),
            "refer to rules by their RULE static, not by code strings:\n{}",
            found.join("\n")
        );
    }
}
