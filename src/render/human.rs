//! Human output: rustc-like snippets with a label at the exact span (miette), the help, the fix,
//! and a summary with what could not be checked.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::RenderOptions;
use crate::check::Report;
use crate::diag::{Diagnostic, Severity};
use crate::source::SourceFile;

pub fn render(report: &Report, options: RenderOptions) -> String {
    let mut out = Vec::new();
    let _ = write(report, options, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the report as it is rendered: chunks of diagnostics are rendered on both cores and
/// written in order, so memory stays flat however many findings there are.
pub fn write(
    report: &Report,
    options: RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(options.width.unwrap_or(100))
        // Commands, ARNs and JSON in messages must survive copy and paste.
        .with_wrap_lines(false)
        .with_context_lines(1);
    for chunk in report.diagnostics.chunks(256) {
        let rendered: Vec<String> = chunk
            .par_iter()
            .map(|d| {
                let view = View {
                    d,
                    report,
                    file: &report.files[d.file],
                };
                let mut text = String::new();
                if handler.render_report(&mut text, &view).is_err() {
                    // A span that miette cannot place must not lose the finding.
                    text = format!("{}[{}]: {}\n", d.severity.as_str(), d.code, d.message);
                }
                text.push('\n');
                text
            })
            .collect();
        for text in rendered {
            out.write_all(text.as_bytes())?;
        }
    }
    out.write_all(summary(report).as_bytes())
}

pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    let (e, w, n) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note),
    );
    let files = plural(report.checked_files, "file", "files");
    let tds = plural(
        report.task_definitions,
        "task definition",
        "task definitions",
    );
    if e + w + n == 0 {
        out.push_str(&format!("No problems found in {files} ({tds}).\n"));
    } else {
        let mut parts = Vec::new();
        if e > 0 {
            parts.push(plural(e, "error", "errors"));
        }
        if w > 0 {
            parts.push(plural(w, "warning", "warnings"));
        }
        if n > 0 {
            parts.push(plural(n, "note", "notes"));
        }
        out.push_str(&format!("Found {} in {files} ({tds}).\n", join_and(&parts)));
    }
    if report.checked_files == 0 {
        out.push_str(
            "No ECS task definitions, CloudFormation templates or Terraform plans were found.\n",
        );
    }
    if !report.skipped.is_empty() {
        out.push_str("Not checked:\n");
        for s in &report.skipped {
            out.push_str(&format!("  - {}: {}\n", s.rules.join(", "), s.reason));
        }
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// One diagnostic as miette sees it, borrowing the report's source text.
struct View<'a> {
    d: &'a Diagnostic,
    report: &'a Report,
    file: &'a SourceFile,
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.d.message)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)?;
        if self.file.text.is_empty() {
            write!(f, "\n  --> {}", self.file.name)?;
        }
        Ok(())
    }
}

impl std::error::Error for View<'_> {}

impl miette::Diagnostic for View<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("{} {}", self.d.code, self.d.name)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let mut lines = Vec::new();
        if let Some(h) = &self.d.help {
            lines.push(h.clone());
        }
        for l in self.d.labels.iter().filter(|l| l.file != self.d.file) {
            let f = &self.report.files[l.file];
            let (line, col) = f.line_col(l.span.start);
            lines.push(format!("{}: {}:{line}:{col}", l.message, f.name));
        }
        if let Some(fix) = &self.d.fix {
            let how = match fix.applicability {
                crate::diag::Applicability::Safe => "fix (applied by --fix)",
                crate::diag::Applicability::DisplayOnly => "suggested change",
            };
            lines.push(format!(
                "{how}: {}",
                super::describe_edits(self.report, fix)
            ));
        }
        (!lines.is_empty()).then(|| Box::new(lines.join("\n")) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        (!self.file.text.is_empty()).then_some(self as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.file.text.is_empty() {
            return None;
        }
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            self.d.label.clone(),
            span(self.d.span),
        )];
        for l in self.d.labels.iter().filter(|l| l.file == self.d.file) {
            labels.push(LabeledSpan::new_with_span(
                Some(l.message.clone()),
                span(l.span),
            ));
        }
        Some(Box::new(labels.into_iter()))
    }
}

fn span(s: crate::span::Span) -> SourceSpan {
    SourceSpan::new((s.start as usize).into(), s.len())
}

impl SourceCode for View<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let inner =
            self.file
                .text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.file.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// An error outside any rule (a bad config file), with a snippet of its file.
pub fn render_error(
    file: &SourceFile,
    span: crate::span::Span,
    message: &str,
    color: bool,
) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100);
    let diagnostic = miette::MietteDiagnostic::new(message.to_string())
        .with_severity(miette::Severity::Error)
        .with_label(LabeledSpan::new_primary_with_span(None, span_of(span)));
    let report = miette::Report::new(diagnostic).with_source_code(miette::NamedSource::new(
        file.name.clone(),
        file.text.clone(),
    ));
    let mut out = String::new();
    if file.text.is_empty() || handler.render_report(&mut out, report.as_ref()).is_err() {
        return format!("error: {}: {message}\n", file.name);
    }
    out
}

fn span_of(s: crate::span::Span) -> SourceSpan {
    span(s)
}
