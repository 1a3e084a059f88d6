//! Human output: rustc-like snippets with a label at the exact span (miette), the help, the fix,
//! and a summary with what could not be checked.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::RenderOptions;
use crate::base::sanitize::{line as clean, lines as clean_lines};
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
    let width = options.width.unwrap_or(80);
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(width)
        // Wrapping is ours (super::wrap): commands, ARNs and JSON must survive copy and paste.
        .with_wrap_lines(false)
        .with_context_lines(1);
    let groups = groups(report);
    for chunk in groups.chunks(256) {
        let rendered: Vec<String> = chunk
            .par_iter()
            .map(|(d, others)| {
                let d: &Diagnostic = d;
                let view = View::new(d, others, report, width);
                let mut text = String::new();
                let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    handler.render_report(&mut text, &view)
                }));
                if !matches!(rendered, Ok(Ok(()))) {
                    // A span that miette cannot place must not lose the finding.
                    let file = &report.files[d.file];
                    let (line, col) = file.line_col(d.span.start);
                    text = format!(
                        "{}[{}]: {}\n  --> {}:{line}:{col}\n",
                        d.severity.as_str(),
                        d.code,
                        clean(&d.message),
                        clean(&file.name)
                    );
                }
                text.push('\n');
                text
            })
            .collect();
        for text in rendered {
            out.write_all(text.as_bytes())?;
        }
    }
    out.write_all(summary(report, width).as_bytes())
}

/// The findings to show, each with the others of its cause: consecutive findings in one file
/// with the same `cause` (NET003–NET007 of one subnet set, all at the task's network field)
/// are one block.
fn groups(report: &Report) -> Vec<(&Diagnostic, Vec<&Diagnostic>)> {
    let mut out: Vec<(&Diagnostic, Vec<&Diagnostic>)> = Vec::new();
    for d in report.diagnostics.iter().filter(|d| !d.baselined) {
        if let Some((first, others)) = out.last_mut()
            && d.cause.is_some()
            && d.cause == first.cause
            && d.file == first.file
        {
            others.push(d);
            continue;
        }
        out.push((d, Vec::new()));
    }
    out
}

pub fn summary(report: &Report, width: usize) -> String {
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
    let baselined = report.baselined();
    if baselined > 0 {
        out.push_str(&format!(
            "{} in the baseline not shown.\n",
            plural(baselined, "finding", "findings")
        ));
    }
    if !report.baseline_fixed.is_empty() {
        out.push_str(&format!(
            "{} of the baseline no longer found (fixed): rewrite it with --write-baseline to prune {}:\n",
            plural(report.baseline_fixed.len(), "entry", "entries"),
            if report.baseline_fixed.len() == 1 { "it" } else { "them" }
        ));
        for e in &report.baseline_fixed {
            out.push_str(&format!("  - {} {}: {}\n", e.code, e.file, e.message));
        }
    }
    if report.checked_files == 0 {
        out.push_str(
            "No ECS task definitions, CloudFormation templates or Terraform plans were found.\n",
        );
    }
    if !report.skipped.is_empty() {
        out.push_str("Not checked:\n");
        for s in &report.skipped {
            let who = match s.subjects.as_slice() {
                [] => String::new(),
                [one] => format!("{}: ", clean(one)),
                [a, b] => format!("{}, {}: ", clean(a), clean(b)),
                [a, b, c] => format!("{}, {}, {}: ", clean(a), clean(b), clean(c)),
                [a, b, rest @ ..] => format!(
                    "{}, {} and {} more task definitions: ",
                    clean(a),
                    clean(b),
                    rest.len()
                ),
            };
            // A whole input left out (a registry module) names no rules.
            let codes = if s.rules.is_empty() {
                String::new()
            } else {
                format!(" ({})", code_ranges(&s.rules))
            };
            let item = format!("{who}{}{codes}", clean(&s.reason));
            let text = super::wrap::layout(&item, width.saturating_sub(4));
            for (i, line) in text.lines().enumerate() {
                out.push_str(if i == 0 { "  - " } else { "    " });
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// `NET002, NET003, NET004, NET007` → `NET002–NET004, NET007`.
pub fn code_ranges(codes: &[&str]) -> String {
    let split = |c: &str| {
        let family = c
            .trim_end_matches(|ch: char| ch.is_ascii_digit())
            .to_string();
        let number: u32 = c[family.len()..].parse().unwrap_or(0);
        (family, number)
    };
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < codes.len() {
        let (family, start) = split(codes[i]);
        let mut j = i;
        while j + 1 < codes.len() && split(codes[j + 1]) == (family.clone(), split(codes[j]).1 + 1)
        {
            j += 1;
        }
        parts.push(if j > i + 1 {
            format!("{}–{}", codes[i], codes[j])
        } else {
            codes[i..=j].join(", ")
        });
        let _ = start;
        i = j + 1;
    }
    parts.join(", ")
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
    /// The other findings of the same cause, listed under this one.
    others: &'a [&'a Diagnostic],
    report: &'a Report,
    width: usize,
    file: &'a SourceFile,
    /// For findings on a very long line (a minified file, a Terraform plan: one line), the part
    /// of the line around the finding; the snippet shows only that.
    window: Option<Window>,
}

/// A piece of one long line: its text (with `…` where it was cut) and where it starts.
struct Window {
    text: String,
    /// Byte offset in the file of the first character after the leading `…`.
    start: usize,
    /// Bytes added before the file's text (the leading `…`).
    prefix: usize,
}

/// Lines longer than this are shown as a window around the finding.
const LONG_LINE: usize = 240;
/// Characters of context kept on each side of the finding in a window.
const WINDOW_CONTEXT: usize = 60;
/// Bytes of a long span shown in a window.
const WINDOW_MAX: usize = 400;

impl<'a> View<'a> {
    fn new(
        d: &'a Diagnostic,
        others: &'a [&'a Diagnostic],
        report: &'a Report,
        width: usize,
    ) -> View<'a> {
        let file = &report.files[d.file];
        View {
            d,
            others,
            report,
            width,
            file,
            window: window(file, d),
        }
    }

    /// A label inside the primary span, when the primary span has no text of its own: it
    /// becomes the primary span's text. Drawn separately, the unlabelled primary span left a
    /// dangling `│` under its middle (the image and its tag, IMG002/IMG004).
    fn merged_label(&self) -> Option<&crate::diag::Label> {
        if self.d.label.is_some() {
            return None;
        }
        let inside: Vec<&crate::diag::Label> = self
            .snippet_labels()
            .filter(|l| self.d.span.start <= l.span.start && l.span.end <= self.d.span.end)
            .collect();
        match inside.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Same-file labels shown in the snippet (with a window: those on the finding's line).
    fn snippet_labels(&self) -> impl Iterator<Item = &crate::diag::Label> {
        self.d.labels.iter().filter(move |l| {
            l.file == self.d.file
                && match &self.window {
                    // A label on another, very long line is listed in the help instead.
                    None => [l.span.start, l.span.end].iter().all(|&at| {
                        let (line, _) = self.file.line_col(at);
                        self.file.line_text(line).len() <= LONG_LINE
                    }),
                    Some(w) => {
                        l.span.start as usize >= w.start
                            && (l.span.end as usize) <= w.start + w.text.len() - w.prefix
                    }
                }
        })
    }

    /// A file span as a span of what miette reads (the file, or the window).
    fn shown(&self, s: crate::span::Span) -> SourceSpan {
        match &self.window {
            None => span(s),
            Some(w) => {
                let start = (s.start as usize).saturating_sub(w.start) + w.prefix;
                SourceSpan::new(
                    start.into(),
                    s.len().min(w.text.len().saturating_sub(start)),
                )
            }
        }
    }
}

fn window(file: &SourceFile, d: &Diagnostic) -> Option<Window> {
    let (line, _) = file.line_col(d.span.start);
    let text = file.line_text(line);
    if text.len() <= LONG_LINE {
        return None;
    }
    // From the line index: searching back for the line break would be quadratic on a
    // minified file (one line, thousands of findings).
    let line_start = file.line_start(line);
    let line_end = line_start + text.len();
    // Cover the primary span and the labels on the same line, with some context.
    let mut from = d.span.start as usize;
    let mut to = (d.span.end as usize).min(line_end);
    for l in d.labels.iter().filter(|l| l.file == d.file) {
        let (s, e) = (l.span.start as usize, l.span.end as usize);
        if s >= line_start && e <= line_end {
            from = from.min(s);
            to = to.max(e);
        }
    }
    // A span of thousands of characters (a 70,000-character image) is shown by its start:
    // miette cannot draw past column 65,535.
    if to - from > WINDOW_MAX {
        to = from + WINDOW_MAX;
        while !file.text.is_char_boundary(to) {
            to -= 1;
        }
    }
    let back = file.text[line_start..from]
        .char_indices()
        .rev()
        .nth(WINDOW_CONTEXT - 1)
        .map_or(line_start, |(i, _)| line_start + i);
    let ahead = file.text[to..line_end]
        .char_indices()
        .nth(WINDOW_CONTEXT)
        .map_or(line_end, |(i, _)| to + i);
    let prefix = if back > line_start { "…" } else { "" };
    let suffix = if ahead < line_end { "…" } else { "" };
    Some(Window {
        text: format!("{prefix}{}{suffix}", &file.display_text()[back..ahead]),
        start: back,
        prefix: prefix.len(),
    })
}

/// `wrap::layout`, remembering its last results on this thread: the findings of a large file
/// repeat a handful of messages and helps (the same text in, the same text out).
fn layout(text: &str, width: usize) -> String {
    use std::cell::RefCell;
    thread_local! {
        static RECENT: RefCell<Vec<(usize, String, String)>> = const { RefCell::new(Vec::new()) };
    }
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some((_, _, out)) = recent.iter().find(|(w, t, _)| *w == width && t == text) {
            return out.clone();
        }
        let out = super::wrap::layout(text, width);
        if recent.len() == 16 {
            recent.remove(0);
        }
        recent.push((width, text.to_string(), out.clone()));
        out
    })
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", clean(&self.d.message))
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.width.saturating_sub(4);
        f.write_str(&layout(&clean(&self.d.message), width))?;
        if !self.others.is_empty() {
            let others: Vec<String> = self
                .others
                .iter()
                .map(|o| format!("{} {}", o.code, o.name))
                .collect();
            let line = format!("with the same cause: {}", others.join(", "));
            write!(f, "\n{}", super::wrap::layout(&line, width))?;
        }
        if self.file.text.is_empty() {
            write!(f, "\n  --> {}", clean(&self.file.name))?;
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
        let help = match (&self.d.cause_help, self.others.is_empty()) {
            (Some(shared), false) => Some(shared),
            _ => self.d.help.as_ref(),
        };
        if let Some(h) = help {
            lines.push(clean_lines(h).into_owned());
        }
        let shown: Vec<&crate::diag::Label> = self.snippet_labels().collect();
        for l in self
            .d
            .labels
            .iter()
            .filter(|l| !shown.iter().any(|s| std::ptr::eq(*s, *l)))
        {
            let f = &self.report.files[l.file];
            let (line, col) = f.line_col(l.span.start);
            lines.push(format!(
                "{}: {}:{line}:{col}",
                clean(&l.message),
                clean(&f.name)
            ));
        }
        if let Some(fix) = &self.d.fix {
            let how = match fix.applicability {
                crate::diag::Applicability::Safe => "fix (applied by --fix)",
                crate::diag::Applicability::DisplayOnly => "suggested change",
            };
            lines.push(format!(
                "{how}: {}",
                clean(&super::describe_edits(self.report, fix))
            ));
        }
        let text = layout(&lines.join("\n"), self.width.saturating_sub(8));
        (!lines.is_empty()).then(|| Box::new(text) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        (!self.file.text.is_empty()).then_some(self as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.file.text.is_empty() {
            return None;
        }
        let merged = self.merged_label();
        let primary = self
            .d
            .label
            .clone()
            .or_else(|| merged.map(|l| l.message.clone()));
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            primary.map(|l| clean(&l).into_owned()),
            self.shown(self.d.span),
        )];
        for l in self
            .snippet_labels()
            .filter(|l| !merged.is_some_and(|m| std::ptr::eq(m, *l)))
        {
            labels.push(LabeledSpan::new_with_span(
                Some(clean(&l.message).into_owned()),
                self.shown(l.span),
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
        let (text, base, cut, lines_cut) = match &self.window {
            None => {
                // miette counts lines from the start of what it is given: given the whole
                // file, rendering would be quadratic in the findings of one file. Given only
                // the lines the snippet shows (found with the file's line index), it is linear.
                let (first, _) = self.file.line_col(span.offset() as u32);
                let (last, _) = self.file.line_col((span.offset() + span.len()) as u32);
                let from = first.saturating_sub(context_lines_before).max(1);
                let cut = self.file.line_start(from);
                let end = self.file.line_start(last + context_lines_after + 1);
                (&self.file.display_text()[cut..end], None, cut, from - 1)
            }
            Some(w) => (w.text.as_str(), Some(w), 0, 0),
        };
        let local = SourceSpan::new(span.offset().saturating_sub(cut).into(), span.len());
        let inner = text.read_span(&local, context_lines_before, context_lines_after)?;
        let data_span = SourceSpan::new((inner.span().offset() + cut).into(), inner.span().len());
        // Lines and columns as the user's file has them: columns in characters, and a window's
        // position on its real line.
        let file_offset = match base {
            None => span.offset(),
            Some(w) => w.start + span.offset().saturating_sub(w.prefix),
        };
        let (line, column) = self.file.line_col(file_offset as u32);
        let (line, column) = match base {
            None if context_lines_before > 0 || context_lines_after > 0 => {
                (inner.line() + lines_cut, inner.column())
            }
            _ => (line - 1, column - 1),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            clean(&self.file.name).into_owned(),
            inner.data(),
            data_span,
            line,
            column,
            // miette counts the lines from the start of what it read; it merges the snippets
            // of nearby labels by this count, so it is given as counted from the file's start.
            inner.line_count() + lines_cut,
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
    let diagnostic = miette::MietteDiagnostic::new(clean(message).into_owned())
        .with_severity(miette::Severity::Error)
        .with_label(LabeledSpan::new_primary_with_span(None, span_of(span)));
    let report = miette::Report::new(diagnostic).with_source_code(miette::NamedSource::new(
        clean(&file.name),
        file.display_text().to_string(),
    ));
    let mut out = String::new();
    if file.text.is_empty() || handler.render_report(&mut out, report.as_ref()).is_err() {
        return format!("error: {}: {}\n", clean(&file.name), clean(message));
    }
    out
}

fn span_of(s: crate::span::Span) -> SourceSpan {
    span(s)
}

#[cfg(test)]
mod tests {
    use super::code_ranges;

    #[test]
    fn code_lists_collapse_into_ranges() {
        assert_eq!(
            code_ranges(&["NET002", "NET003", "NET004", "NET007"]),
            "NET002–NET004, NET007"
        );
        assert_eq!(
            code_ranges(&["ECR001", "ECR002", "IMG006"]),
            "ECR001, ECR002, IMG006"
        );
        assert_eq!(code_ranges(&["IMG006"]), "IMG006");
    }
}
