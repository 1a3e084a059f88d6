//! `--format github`: GitHub Actions workflow commands, which the runner turns into
//! annotations on the pull request.

use std::borrow::Cow;

use crate::base::sanitize;
use crate::check::Report;
use crate::diag::Severity;

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    let _ = write(report, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the annotations one by one: the whole output is never in memory at once.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for d in report.diagnostics.iter().filter(|d| !d.baselined) {
        let file = &report.files[d.file];
        let (line, col, end_line, end_col) = file.range(d.span);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        // Input values are escaped first (no control character, no line break of their own),
        // then the whole is escaped as the toolkit escapes workflow command values.
        let mut message = sanitize::line(&d.message).into_owned();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(&sanitize::lines(help));
        }
        writeln!(
            out,
            "::{level} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}",
            escape_property(&sanitize::line(&file.name)),
            escape_property(&format!("{} {}", d.code, d.name)),
            escape_data(&message),
        )?;
    }
    out.write_all(not_checked(report).as_bytes())
}

/// What could not be checked, as one notice: a gate must not look green for checks it did not
/// make. One annotation, not one per reason: GitHub shows only a few annotations per step.
fn not_checked(report: &Report) -> String {
    if report.skipped.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = report
        .skipped
        .iter()
        .map(|s| {
            // Names and reasons come from the input: one line each, escaped.
            let who = if s.subjects.is_empty() {
                String::new()
            } else {
                format!("{}: ", sanitize::line(&s.subjects.join(", ")))
            };
            format!(
                "- {who}{} ({})",
                sanitize::line(&s.reason),
                super::human::code_ranges(&s.rules)
            )
        })
        .collect();
    let n = report.skipped.len();
    format!(
        "::notice title={}::{}\n",
        escape_property(&format!(
            "ecs-preflight: {n} {} not run",
            if n == 1 { "check" } else { "checks" }
        )),
        escape_data(&lines.join("\n"))
    )
}

/// As @actions/core escapes command data.
fn escape_data(s: &str) -> Cow<'_, str> {
    if !s.contains(['%', '\r', '\n']) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A"),
    )
}

/// As @actions/core escapes command properties.
fn escape_property(s: &str) -> Cow<'_, str> {
    if !s.contains(['%', '\r', '\n', ':', ',']) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(escape_data(s).replace(':', "%3A").replace(',', "%2C"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_the_actions_toolkit() {
        assert_eq!(escape_data("a%b\r\nc"), "a%25b%0D%0Ac");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
