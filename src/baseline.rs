//! Baselines (`--write-baseline`, `--baseline`): adopt the gate on a repository that already
//! has findings. The file lists the findings' fingerprints (with code, file, subject and message
//! so that a reviewer can read it in a pull request); a run with it reports only new findings.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::check::Report;
use crate::diag::fingerprint;

pub const VERSION: u32 = 1;

pub use crate::diag::fingerprint::BaselineEntry as Entry;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

/// The report's findings as baseline entries, sorted. IN findings (an input that could not be
/// read) are never baselined: they say the gate did not check something.
pub fn entries(report: &Report) -> Vec<Entry> {
    let mut out: Vec<Entry> = report
        .diagnostics
        .iter()
        .filter(|d| !d.code.starts_with("IN"))
        .map(|d| Entry {
            file: report
                .files
                .get(d.file)
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            code: d.code.to_string(),
            fingerprint: d.fingerprint.clone(),
            subject: fingerprint::subject(d, &report.files),
            message: d.message.clone(),
        })
        .collect();
    out.sort();
    out
}

pub fn write(path: &Path, entries: &[Entry]) -> Result<(), String> {
    let file = BaselineFile {
        version: VERSION,
        findings: entries.to_vec(),
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

pub fn load(path: &Path) -> Result<Vec<Entry>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the baseline `{}`: {e}", path.display()))?;
    let file: BaselineFile = serde_json::from_str(&text).map_err(|e| {
        format!(
            "`{}` is not an ecs-preflight baseline (written by --write-baseline): {e}",
            path.display()
        )
    })?;
    if file.version != VERSION {
        return Err(format!(
            "the baseline `{}` has version {}; this ecs-preflight reads version {VERSION}",
            path.display(),
            file.version
        ));
    }
    Ok(file.findings)
}

/// Marks the findings the baseline lists; the entries no finding matches become the report's
/// `baseline_fixed`. Each entry matches one finding (a baseline with one `latest` finding does
/// not hide a second one that appears later with the same fingerprint counter).
pub fn apply(report: &mut Report, entries: &[Entry]) {
    let mut remaining: HashMap<&str, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        remaining.entry(e.fingerprint.as_str()).or_insert(i);
    }
    let mut used = vec![false; entries.len()];
    for d in report.diagnostics.iter_mut() {
        if d.code.starts_with("IN") {
            continue;
        }
        if let Some(&i) = remaining.get(d.fingerprint.as_str())
            && !used[i]
        {
            used[i] = true;
            d.baselined = true;
        }
    }
    report.baseline_fixed = entries
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(e, _)| e.clone())
        .collect();
}
