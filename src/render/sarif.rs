//! `--format sarif`: SARIF 2.1.0, uploadable to GitHub code scanning as is. Hand-written
//! structs, as cargo-deny and ruff do: the subset we emit is small and stable.

use std::collections::HashMap;

use serde::Serialize;

use crate::check::Report;
use crate::diag::{Diagnostic, Severity};
use crate::rules::ALL;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where the rule pages live, for `helpUri`.
pub fn rule_page_url(code: &str, name: &str) -> String {
    format!(
        "{}/blob/main/rules/{code}-{name}.md",
        env!("CARGO_PKG_REPOSITORY")
    )
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    automation_details: AutomationDetails,
    column_kind: &'static str,
    results: Results<'a>,
}

/// GitHub code scanning takes everything up to the last `/` of the id as the category: runs of
/// one category replace each other, runs of different ones are kept side by side.
#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

/// The default category, and the form `--sarif-category` takes: with a trailing `/`, as
/// GitHub's upload action writes it.
pub fn automation_id(category: Option<&str>) -> String {
    let name = category
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("ecs-preflight");
    if name.ends_with('/') {
        name.to_string()
    } else {
        format!("{name}/")
    }
}

/// The `partialFingerprints` key: versioned, so that a change of what the fingerprint covers
/// is a new key rather than a silent change of identity. GitHub computes
/// `primaryLocationLineHash` itself; writing our own made it warn about inconsistent values.
pub const FINGERPRINT_KEY: &str = "ecsPreflight/v1";

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help_uri: String,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: HashMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Text,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Text,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// Percent-encodes what a relative URI reference cannot carry (spaces, `%`, `#`, `?`, …).
fn uri(path: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(path, KEEP).to_string()
}

pub fn render(report: &Report, category: Option<&str>) -> String {
    let mut out = Vec::new();
    let _ = write(report, category, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Serialises straight into the writer: no copy of the whole report in memory.
pub fn write(
    report: &Report,
    category: Option<&str>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // Raw C1 controls and bidirectional overrides are written as `\u` escapes.
    let mut escaped = crate::base::sanitize::JsonWriter::new(out);
    // The serializer writes a few bytes at a time; the escaping pass is cheap per call only on
    // large pieces.
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut escaped);
    let out: &mut dyn std::io::Write = &mut buffered;
    let rules = ALL
        .iter()
        .map(|r| ReportingDescriptor {
            id: r.code,
            name: r.name,
            short_description: Text {
                text: r.summary.to_string(),
            },
            full_description: Text {
                text: format!(
                    "{}. Run `ecs-preflight explain {}` for the full page.",
                    r.summary, r.code
                ),
            },
            help_uri: rule_page_url(r.code, r.name),
            default_configuration: Configuration {
                level: level(r.severity),
            },
        })
        .collect();
    let results = Results { report };
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "ecs-preflight",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules,
                },
            },
            automation_details: AutomationDetails {
                id: automation_id(category),
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io_error)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The results, each made as it is written: the whole list is never in memory at once.
struct Results<'a> {
    report: &'a Report,
}

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Baselined findings are accepted debt: code scanning shows only the new ones.
        serializer.collect_seq(
            self.report
                .diagnostics
                .iter()
                .filter(|d| !d.baselined)
                .map(|d| result(self.report, d)),
        )
    }
}

fn region(report: &Report, file: usize, span: crate::span::Span) -> Region {
    let (start_line, start_column, end_line, end_column) = report.files[file].range(span);
    Region {
        start_line,
        start_column,
        end_line,
        end_column,
    }
}

fn location(
    report: &Report,
    file: usize,
    span: crate::span::Span,
    id: Option<usize>,
    message: Option<String>,
) -> Location {
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri(&report.files[file].name),
            },
            region: region(report, file, span),
        },
        message: message.map(|text| Text { text }),
    }
}

fn result(report: &Report, d: &Diagnostic) -> SarifResult {
    let rule_index = ALL.iter().position(|r| r.code == d.code).unwrap_or(0);
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\n\nhelp: ");
        message.push_str(help);
    }
    let related = d
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| location(report, l.file, l.span, Some(i + 1), Some(l.message.clone())))
        .collect();
    // Only fixes that can be applied as they stand: a display-only edit (a Terraform plan,
    // which is regenerated from its sources) is described in the message's help instead.
    let fixes = d
        .fix
        .iter()
        .filter(|fix| fix.applicability == crate::diag::Applicability::Safe)
        .map(|fix| {
            let mut changes: Vec<ArtifactChange> = Vec::new();
            for e in &fix.edits {
                let replacement = Replacement {
                    deleted_region: region(report, e.file, e.span),
                    inserted_content: Text {
                        text: e.content.clone(),
                    },
                };
                let file_uri = uri(&report.files[e.file].name);
                match changes
                    .iter_mut()
                    .find(|c| c.artifact_location.uri == file_uri)
                {
                    Some(c) => c.replacements.push(replacement),
                    None => changes.push(ArtifactChange {
                        artifact_location: ArtifactLocation { uri: file_uri },
                        replacements: vec![replacement],
                    }),
                }
            }
            SarifFix {
                description: Text {
                    text: fix.description.clone(),
                },
                artifact_changes: changes,
            }
        })
        .collect();
    SarifResult {
        rule_id: d.code,
        rule_index,
        level: level(d.severity),
        message: Text { text: message },
        locations: vec![location(report, d.file, d.span, None, None)],
        related_locations: related,
        partial_fingerprints: HashMap::from([(FINGERPRINT_KEY, d.fingerprint.clone())]),
        fixes,
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
