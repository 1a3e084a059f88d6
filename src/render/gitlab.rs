//! `--format gitlab`: a GitLab Code Quality report, which a merge request shows as its code
//! quality widget and diff annotations
//! (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format).

use serde::Serialize;

use crate::check::Report;
use crate::diag::Severity;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: &'a str,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// GitLab's levels are info, minor, major, critical and blocker; ours map as ESLint's GitLab
/// formatter maps its own (warning → minor, error → major), so mixed reports sort sensibly.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Note => "info",
    }
}

pub fn render(report: &Report) -> String {
    let issues: Vec<Issue> = report
        .diagnostics
        .iter()
        .filter(|d| !d.baselined)
        .map(|d| {
            let file = &report.files[d.file];
            let (begin, _, end, _) = file.range(d.span);
            Issue {
                description: format!("{} {}: {}", d.code, d.name, d.message),
                check_name: d.code,
                fingerprint: &d.fingerprint,
                severity: severity(d.severity),
                location: Location {
                    path: &file.name,
                    lines: Lines { begin, end },
                },
            }
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}
