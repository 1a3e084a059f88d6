//! `--format json`: the stable machine-readable report of docs/output.md#json.

use serde::Serialize;

use crate::check::Report;
use crate::diag::Severity;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    tool: Tool,
    diagnostics: Diagnostics<'a>,
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonDiagnostic<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'a str,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_definition: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    labels: Vec<JsonLabel<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    baselined: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonLabel<'a> {
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    description: &'a str,
    applicability: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonEdit<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    content: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    files: usize,
    task_definitions: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
    #[serde(skip_serializing_if = "is_zero")]
    baselined: usize,
    /// Baseline entries no finding matches any more: the baseline can be pruned.
    #[serde(skip_serializing_if = "<[crate::diag::fingerprint::BaselineEntry]>::is_empty")]
    fixed: &'a [crate::diag::fingerprint::BaselineEntry],
    skipped: Vec<JsonSkip<'a>>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSkip<'a> {
    rules: &'a [&'static str],
    reason: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    task_definitions: &'a [String],
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    let _ = write(report, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Serialises straight into the writer: no copy of the whole report in memory.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    // Raw C1 controls and bidirectional overrides are written as `\u` escapes.
    let mut escaped = crate::base::sanitize::JsonWriter::new(out);
    // The serializer writes a few bytes at a time; the escaping pass is cheap per call only on
    // large pieces.
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut escaped);
    let out: &mut dyn std::io::Write = &mut buffered;
    let diagnostics = Diagnostics { report };
    let output = Output {
        version: 1,
        tool: Tool {
            name: "ecs-preflight",
            version: env!("CARGO_PKG_VERSION"),
        },
        diagnostics,
        summary: Summary {
            files: report.checked_files,
            task_definitions: report.task_definitions,
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            notes: report.count(Severity::Note),
            baselined: report.baselined(),
            fixed: &report.baseline_fixed,
            skipped: report
                .skipped
                .iter()
                .map(|s| JsonSkip {
                    rules: &s.rules,
                    reason: &s.reason,
                    task_definitions: &s.subjects,
                })
                .collect(),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &output).map_err(io_error)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The diagnostics, each made as it is written: the whole list is never in memory at once.
struct Diagnostics<'a> {
    report: &'a Report,
}

impl Serialize for Diagnostics<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.report
                .diagnostics
                .iter()
                .map(|d| diagnostic(self.report, d)),
        )
    }
}

fn diagnostic<'a>(report: &'a Report, d: &'a crate::diag::Diagnostic) -> JsonDiagnostic<'a> {
    let file = &report.files[d.file];
    let (line, column, end_line, end_column) = file.range(d.span);
    JsonDiagnostic {
        code: d.code,
        name: d.name,
        severity: d.severity.as_str(),
        message: &d.message,
        file: &file.name,
        line,
        column,
        end_line,
        end_column,
        task_definition: d.task_definition.as_deref(),
        container: d.container.as_deref(),
        help: d.help.as_deref(),
        labels: d
            .labels
            .iter()
            .map(|l| {
                let f = &report.files[l.file];
                let (line, column, end_line, end_column) = f.range(l.span);
                JsonLabel {
                    message: &l.message,
                    file: &f.name,
                    line,
                    column,
                    end_line,
                    end_column,
                }
            })
            .collect(),
        fix: d.fix.as_ref().map(|fix| JsonFix {
            description: &fix.description,
            applicability: fix.applicability.as_str(),
            edits: fix
                .edits
                .iter()
                .map(|e| {
                    let f = &report.files[e.file];
                    let (line, column, end_line, end_column) = f.range(e.span);
                    // Edits in the diagnostic's own file omit the file, as in the contract.
                    let other = (e.file != d.file).then_some(f.name.as_str());
                    JsonEdit {
                        file: other,
                        line,
                        column,
                        end_line,
                        end_column,
                        content: &e.content,
                    }
                })
                .collect(),
        }),
        fingerprint: &d.fingerprint,
        cause: d.cause.as_deref(),
        baselined: d.baselined,
    }
}

/// serde_json's error as the I/O error it wraps, so that a closed pipe (`| head`) is still
/// recognised as one.
fn io_error(e: serde_json::Error) -> std::io::Error {
    match e.io_error_kind() {
        Some(kind) => std::io::Error::from(kind),
        None => std::io::Error::other(e),
    }
}
