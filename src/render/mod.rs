//! Reports to text. Renderers know diagnostics and source text; of rules they know only the
//! registry's metadata.

pub mod github;
pub mod human;
pub mod json;
pub mod sanitize;
pub mod sarif;

use crate::check::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions {
    pub color: bool,
    /// Terminal width for wrapping human output.
    pub width: Option<usize>,
}

pub fn render(report: &Report, format: OutputFormat, options: RenderOptions) -> String {
    match format {
        OutputFormat::Human => human::render(report, options),
        OutputFormat::Json => json::render(report),
        OutputFormat::Sarif => sarif::render(report),
        OutputFormat::Github => github::render(report),
    }
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
