//! Diagnostics: what a rule found, where, and how to fix it. Renderers turn them into human,
//! JSON, SARIF and GitHub output; nothing here knows about output formats.

pub mod fingerprint;

use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "note" => Some(Severity::Note),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// Index of a file in the run's file list.
pub type FileId = usize;

/// A secondary place that explains the finding ("denied by this statement").
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// How safe a fix is to apply without review (ruff's vocabulary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applicability {
    /// Keeps the meaning the user intended; applied by `--fix`.
    Safe,
    /// Shown, never applied (e.g. a Terraform plan: the change belongs in the `.tf` source).
    DisplayOnly,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

/// Replace the text at `span` of `file` with `content`.
#[derive(Clone, Debug, PartialEq)]
pub struct Edit {
    pub file: FileId,
    pub span: Span,
    pub content: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub description: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: FileId,
    pub span: Span,
    /// What the primary span is, shown under it in human output.
    pub label: Option<String>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
    pub task_definition: Option<String>,
    pub container: Option<String>,
    /// What the finding is about when its primary span does not say it (the subnet set of a
    /// network finding, whose span is the task's `networkMode`): part of the fingerprint.
    pub subject: Option<String>,
    /// Findings with the same cause (one subnet set without an internet path gives NET003–NET007)
    /// share this id: human output shows them as one block.
    pub cause: Option<String>,
    /// The one help of all the findings of `cause`, shown when they are grouped.
    pub cause_help: Option<String>,
    /// Stable identity across runs and edits elsewhere in the file; set by the driver once the
    /// report is complete (see `fingerprint`).
    pub fingerprint: String,
    /// In the `--baseline` file: shown in JSON, counted in the summary, never a failure.
    pub baselined: bool,
}

impl Diagnostic {
    /// A finding with only what every finding has; the layers that know more set the rest
    /// (rules: labels, help, fix, task definition; the driver: fingerprint, baselined).
    pub fn new(
        code: &'static str,
        name: &'static str,
        severity: Severity,
        file: FileId,
        span: Span,
        message: String,
    ) -> Diagnostic {
        Diagnostic {
            code,
            name,
            severity,
            message,
            file,
            span,
            label: None,
            labels: Vec::new(),
            help: None,
            fix: None,
            task_definition: None,
            container: None,
            subject: None,
            cause: None,
            cause_help: None,
            fingerprint: String::new(),
            baselined: false,
        }
    }

    pub fn label(&mut self, file: FileId, span: Span, message: impl Into<String>) -> &mut Self {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    /// A secondary label in the diagnostic's own file.
    pub fn label_here(&mut self, span: Span, message: impl Into<String>) -> &mut Self {
        let file = self.file;
        self.label(file, span, message)
    }

    pub fn primary_label(&mut self, message: impl Into<String>) -> &mut Self {
        self.label = Some(message.into());
        self
    }

    /// A help of one line. Values from input in it may hold line breaks: they are escaped
    /// here, so no renderer can mistake them for the help's own lines (see
    /// `render::sanitize`).
    pub fn help(&mut self, help: impl Into<String>) -> &mut Self {
        let help = help.into();
        self.help = Some(crate::base::sanitize::line(&help).into_owned());
        self
    }

    /// A help of several lines made by the program (a command, a CloudFormation snippet):
    /// its line breaks are kept, every other control character is escaped.
    pub fn help_lines(&mut self, help: impl Into<String>) -> &mut Self {
        let help = help.into();
        self.help = Some(crate::base::sanitize::lines(&help).into_owned());
        self
    }

    pub fn fix(&mut self, fix: Fix) -> &mut Self {
        self.fix = Some(fix);
        self
    }

    pub fn container(&mut self, name: impl Into<String>) -> &mut Self {
        self.container = Some(name.into());
        self
    }

    pub fn subject(&mut self, subject: impl Into<String>) -> &mut Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn cause(&mut self, cause: impl Into<String>) -> &mut Self {
        self.cause = Some(cause.into());
        self
    }
}

/// A check that could not be made, and why: listed in the run summary, never a pass or a fail.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Skip {
    pub rules: Vec<&'static str>,
    pub reason: String,
    /// The task definitions the reason applies to (empty: the whole run).
    pub subjects: Vec<String>,
}

/// The file id a rule uses for the file it checks; the driver replaces it with the file's
/// number in the report. Labels that point into state files use those files' own ids.
pub const CURRENT_FILE: FileId = FileId::MAX;
