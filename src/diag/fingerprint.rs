//! Fingerprints: a finding's identity across runs. They are what a baseline stores, what SARIF
//! calls `partialFingerprints` and GitLab `fingerprint`, so they must survive edits elsewhere in
//! the file (no line numbers) and change when what the finding is about changes.

use std::collections::HashMap;

use super::Diagnostic;
use crate::source::SourceFile;

/// The words of the finding's identity: rule, file, task definition, container and subject.
/// The subject is the diagnostic's own (`subject`), else the flagged text with its whitespace
/// collapsed (the image, the role ARN), so that re-indenting a file keeps the fingerprint.
pub fn key(d: &Diagnostic, files: &[SourceFile]) -> String {
    let file = files.get(d.file);
    let subject = subject(d, files);
    [
        d.code,
        file.map_or("", |f| f.name.as_str()),
        d.task_definition.as_deref().unwrap_or(""),
        d.container.as_deref().unwrap_or(""),
        &subject,
    ]
    .join("\u{0}")
}

/// What the finding is about: its own subject, else the flagged text.
pub fn subject(d: &Diagnostic, files: &[SourceFile]) -> String {
    match &d.subject {
        Some(s) => s.clone(),
        None => files
            .get(d.file)
            .map(|f| {
                f.slice(d.span)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default(),
    }
}

/// Sets every diagnostic's fingerprint. Two findings with the same identity (one image flagged
/// twice in one file for the same container) are told apart by their order, which the sorted
/// report makes stable.
pub fn assign(diagnostics: &mut [Diagnostic], files: &[SourceFile]) {
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for d in diagnostics.iter_mut() {
        let hash = fnv1a(key(d, files).as_bytes());
        let n = seen.entry(hash).or_insert(0);
        *n += 1;
        d.fingerprint = if *n == 1 {
            format!("{hash:016x}")
        } else {
            format!("{hash:016x}-{n}")
        };
    }
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms (the standard library's hasher
/// is not), which a fingerprint stored in a baseline file needs.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// A finding as a baseline lists it (`--write-baseline`): the fingerprint, with code, file,
/// subject and message so that a reviewer can read the list in a pull request.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub file: String,
    pub code: String,
    pub fingerprint: String,
    pub subject: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_values() {
        // From the FNV reference test vectors.
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
    }
}
