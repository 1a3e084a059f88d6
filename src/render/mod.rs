//! Reports to text. Renderers know diagnostics and source text; of rules they know only the
//! registry's metadata.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub use crate::base::sanitize;
pub mod sarif;
pub mod wrap;

use crate::check::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Human,
    Json,
    Sarif,
    Github,
    Gitlab,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions<'a> {
    pub color: bool,
    /// Terminal width for wrapping human output.
    pub width: Option<usize>,
    /// `--sarif-category`.
    pub sarif_category: Option<&'a str>,
}

pub fn render(report: &Report, format: OutputFormat, options: RenderOptions) -> String {
    match format {
        OutputFormat::Human => human::render(report, options),
        OutputFormat::Json => json::render(report),
        OutputFormat::Sarif => sarif::render(report, options.sarif_category),
        OutputFormat::Github => github::render(report),
        OutputFormat::Gitlab => gitlab::render(report),
    }
}

/// The one line a run prints on stderr when the report goes to a file or a machine:
/// `ecs-preflight: 3 errors, 1 warning, 2 notes in 4 files (2 checks not run: see the report)`.
pub fn summary_line(report: &Report) -> String {
    use crate::diag::Severity;
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut line = format!(
        "ecs-preflight: {}, {}, {} in {}",
        count(report.count(Severity::Error), "error", "errors"),
        count(report.count(Severity::Warning), "warning", "warnings"),
        count(report.count(Severity::Note), "note", "notes"),
        count(report.checked_files, "file", "files"),
    );
    let baselined = report.baselined();
    if baselined > 0 || !report.baseline_fixed.is_empty() {
        line.push_str(&format!(
            "; {baselined} baselined, {} fixed",
            report.baseline_fixed.len()
        ));
    }
    if !report.skipped.is_empty() {
        line.push_str(&format!(
            " ({} not run: see the report)",
            count(report.skipped.len(), "check", "checks")
        ));
    }
    line
}

/// A fix, described in one line for text outputs: "replace `a` with `b`".
pub fn describe_edits(report: &Report, fix: &crate::diag::Fix) -> String {
    let edits: Vec<String> = fix
        .edits
        .iter()
        .map(|e| {
            let file = &report.files[e.file];
            let old = file.slice(e.span);
            if old.is_empty() {
                format!("insert `{}`", e.content)
            } else if e.content.is_empty() {
                format!("remove `{old}`")
            } else {
                format!("replace `{old}` with `{}`", e.content)
            }
        })
        .collect();
    edits.join("; ")
}
