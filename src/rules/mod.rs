//! The rule registry and the context rules run in. Rules are pure functions from a task
//! definition (plus, for some families, the account state) to diagnostics: no IO.

pub mod ecr;
pub mod img;
pub mod input;
pub mod net;
pub mod role;
pub mod td;

use std::collections::HashSet;

use crate::diag::{Diagnostic, FileId, Label, Severity, Skip};
use crate::model::image_ref::{self, ImageRef, ImageRefError};
use crate::model::{ContainerView, Document, TaskDefinition};
use crate::parse::{Node, NodeKind};
use crate::source::SourceFile;
use crate::span::Span;
use crate::state::AccountState;
use crate::state::template::TemplateState;

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

/// The file id a rule uses for the file it checks; the driver replaces it with the file's
/// number in the report. Labels that point into state files use those files' own ids.
pub const CURRENT_FILE: FileId = FileId::MAX;

/// Settings rules read: where the deployment goes and the user's policy choices.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub region: Option<String>,
    /// Where the region came from, for messages ("--region", "ecs-preflight.toml", …).
    pub region_source: Option<String>,
    pub account: Option<String>,
    /// Set when `account` is only the fallback taken from the only state file (which ranks
    /// below the account of the task definition's role ARNs); None when the user gave it.
    pub account_source: Option<String>,
    pub require_digest: bool,
    /// Where the task runs, from the command line (these override every file).
    pub network: NetworkFlags,
    /// `[vulnerabilities]` thresholds for ECR005: finding severities (CRITICAL, HIGH, …) at or
    /// above which the rule reports an error / a warning.
    pub vulnerabilities_error_on: Option<String>,
    pub vulnerabilities_warn_on: Option<String>,
    /// The moment lifecycle policies are evaluated at (ECR004, ECR010); `None` = the clock.
    /// Set by tests so that time-based verdicts are reproducible.
    pub now: Option<crate::state::ecr::Timestamp>,
}

/// `--subnets`, `--security-groups`, `--assign-public-ip`, `--launch-type`.
#[derive(Clone, Debug, Default)]
pub struct NetworkFlags {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    /// Some(true) for ENABLED.
    pub assign_public_ip: Option<bool>,
    /// "FARGATE" or "EC2".
    pub launch_type: Option<String>,
}

/// A `--service` file: an ECS service definition (create-service input or describe-services
/// output), parsed, with its id in the report so diagnostics can point into it.
#[derive(Debug)]
pub struct ServiceFile {
    pub file: FileId,
    pub root: Node,
}

/// What one container's `image` is, worked out once for all IMG rules.
pub enum ImageFact<'a> {
    /// No `image`, or not a string (TD001 reports it).
    Missing,
    /// A template expression or placeholder that cannot be known before deploy.
    Unresolved {
        node: &'a Node,
        reason: String,
    },
    Invalid {
        node: &'a Node,
        error: ImageRefError,
    },
    Parsed {
        node: &'a Node,
        image: ImageRef,
    },
}

pub struct ContainerFacts<'a> {
    pub container: ContainerView<'a>,
    pub image: ImageFact<'a>,
}

/// The context of one task definition's check: inputs for the rules, and what they report.
pub struct Context<'a> {
    /// The file being checked: `CURRENT_FILE` until the driver numbers the files.
    pub file_id: FileId,
    pub file: &'a SourceFile,
    pub settings: &'a Settings,
    /// The state files (and, later, the live account).
    pub state: &'a AccountState,
    /// The document the task definition is in, and the state its own resources define.
    pub document: &'a Document,
    pub template: &'a TemplateState,
    /// The `--service` file, when one was given.
    pub service_file: Option<&'a ServiceFile>,
    pub containers: Vec<ContainerFacts<'a>>,
    task_label: String,
    value_sources: &'a [crate::model::ValueSource],
    enabled: &'a HashSet<&'static str>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) skipped: Vec<Skip>,
}

impl<'a> Context<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        file: &'a SourceFile,
        settings: &'a Settings,
        state: &'a AccountState,
        document: &'a Document,
        template: &'a TemplateState,
        task: &'a TaskDefinition,
        enabled: &'a HashSet<&'static str>,
    ) -> Context<'a> {
        let containers = task
            .containers()
            .map(|c| ContainerFacts {
                image: image_fact(c),
                container: c,
            })
            .collect();
        Context {
            file_id: CURRENT_FILE,
            file,
            settings,
            state,
            document,
            template,
            service_file: None,
            containers,
            task_label: task.label.clone(),
            value_sources: &task.value_sources,
            enabled,
            diagnostics: Vec::new(),
            skipped: Vec::new(),
        }
    }

    pub fn is_enabled(&self, rule: &Rule) -> bool {
        self.enabled.contains(rule.code)
    }

    /// Reports a finding of `rule` at `span` of the file being checked.
    pub fn report(
        &mut self,
        rule: &'static Rule,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        // A value taken from a parameter's default: show where the task definition uses it.
        let labels = self
            .value_sources
            .iter()
            .filter(|s| s.value == span)
            .map(|s| Label {
                file: self.file_id,
                span: s.used_at,
                message: format!("the value of parameter `{}`, used here", s.parameter),
            })
            .collect();
        self.diagnostics.push(Diagnostic {
            code: rule.code,
            name: rule.name,
            severity: rule.severity,
            message: message.into(),
            file: self.file_id,
            span,
            label: None,
            labels,
            help: None,
            fix: None,
            task_definition: Some(self.task_label.clone()),
            container: None,
            subject: None,
            cause: None,
            cause_help: None,
            fingerprint: String::new(),
            baselined: false,
        });
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    /// Records that `rules` could not be checked anywhere in the run, and why (a limit of the
    /// tool or of the inputs, not of this task definition).
    pub fn skip_for_run(&mut self, rules: &[&'static Rule], reason: impl Into<String>) {
        let before = self.skipped.len();
        self.skip(rules, reason);
        if let Some(s) = self.skipped.get_mut(before) {
            s.subjects.clear();
        }
    }

    /// Records that `rules` could not be checked for this task definition, and why.
    pub fn skip(&mut self, rules: &[&'static Rule], reason: impl Into<String>) {
        let rules: Vec<&'static str> = rules
            .iter()
            .filter(|r| self.is_enabled(r))
            .map(|r| r.code)
            .collect();
        if !rules.is_empty() {
            self.skipped.push(Skip {
                rules,
                reason: reason.into(),
                subjects: vec![self.task_label.clone()],
            });
        }
    }

    pub fn task_label(&self) -> &str {
        &self.task_label
    }
}

fn image_fact(container: ContainerView<'_>) -> ImageFact<'_> {
    let Some(node) = container.get("image") else {
        return ImageFact::Missing;
    };
    match &node.kind {
        NodeKind::Unresolved(why) => ImageFact::Unresolved {
            node,
            reason: why.clone(),
        },
        NodeKind::ResourceRef { id, .. } => ImageFact::Unresolved {
            node,
            reason: format!("it comes from the resource `{id}`, known only at deploy time"),
        },
        NodeKind::String(s) => match placeholder(s) {
            Some(why) => ImageFact::Unresolved { node, reason: why },
            None => match image_ref::parse(s) {
                Ok(image) => ImageFact::Parsed { node, image },
                Err(error) => ImageFact::Invalid { node, error },
            },
        },
        _ => ImageFact::Missing,
    }
}

/// Task definition files are often templates filled in by a deploy tool (ecspresso's
/// `{{ must_env "TAG" }}`, envsubst's `${TAG}`, CodePipeline's `<IMAGE1_NAME>`). Such a value is
/// unknown, not invalid.
pub fn placeholder(s: &str) -> Option<String> {
    let between = |open: &str, close: &str| {
        s.find(open).and_then(|i| {
            s[i + open.len()..]
                .find(close)
                .map(|j| &s[i..i + open.len() + j + close.len()])
        })
    };
    if let Some(p) = between("{{", "}}") {
        return Some(format!("it contains the template placeholder `{p}`"));
    }
    if let Some(p) = between("${", "}") {
        return Some(format!("it contains the variable `{p}`"));
    }
    if let Some(p) = between("<", ">") {
        if p.len() > 2
            && p[1..p.len() - 1]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Some(format!("it contains the placeholder `{p}`"));
        }
    }
    None
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

    #[test]
    fn placeholders() {
        assert!(placeholder("{{ must_env `TAG` }}").is_some());
        assert!(placeholder("repo:${TAG}").is_some());
        assert!(placeholder("12345678.dkr.ecr.<region>.amazonaws.com/app").is_some());
        assert!(placeholder("nginx:1.25").is_none());
        assert!(placeholder("a<b>c d").is_some());
        assert!(placeholder("<>").is_none());
    }
}
