//! ECR005: the referenced image's scan found vulnerabilities at or above the thresholds.

use super::{ImageLookup, add_label, find_image, image_place, report_image, targets};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::settings::VulnerabilityLevel;
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ECR005",
    name: "vulnerable-image",
    severity: Severity::Warning,
    summary: "The image's scan found HIGH or CRITICAL vulnerabilities",
    needs: Needs::Ecr,
    reads: &[StatePart::EcrRepositories, StatePart::EcrImageDetails],
    check: Some(check),
};

/// Finding severities, lowest first. `UNDEFINED` (and `UNTRIAGED`, and any key this tool does
/// not know) rank lowest: only a threshold of `UNDEFINED` counts them.
const LEVELS: [&str; 6] = [
    "UNDEFINED",
    "INFORMATIONAL",
    "LOW",
    "MEDIUM",
    "HIGH",
    "CRITICAL",
];

fn rank(severity: &str) -> usize {
    LEVELS.iter().position(|l| *l == severity).unwrap_or(0)
}

/// A threshold from the config: `None` = never (`NONE`).
fn threshold(setting: Option<VulnerabilityLevel>, default: VulnerabilityLevel) -> Option<usize> {
    match setting.unwrap_or(default) {
        VulnerabilityLevel::None => None,
        level => Some(rank(level.as_str())),
    }
}

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let error_on = threshold(
        cx.settings.vulnerabilities_error_on,
        VulnerabilityLevel::Critical,
    );
    let warn_on = threshold(
        cx.settings.vulnerabilities_warn_on,
        VulnerabilityLevel::High,
    );
    // Images without scan findings, listed once per task definition in the run summary.
    let mut no_findings: Vec<String> = Vec::new();
    for t in targets(cx).iter() {
        let image = match find_image(cx, t, t.reference()) {
            ImageLookup::Found(d) => d,
            ImageLookup::Missing | ImageLookup::NoRepository => continue,
            ImageLookup::Unknown(why) => {
                cx.skip(&[&RULE], why);
                continue;
            }
        };
        let Some(summary) = &image.image_scan_findings_summary else {
            // No scan result: ECR006 says why when it can.
            no_findings.push(t.short());
            continue;
        };
        // Missing keys, and a missing map, mean 0 (API reference, ImageScanFindingsSummary).
        let mut counts: Vec<(&str, u64)> = summary
            .finding_severity_counts
            .iter()
            .flatten()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (k.as_str(), *n))
            .collect();
        counts.sort_by_key(|(k, _)| std::cmp::Reverse(rank(k)));
        let at_or_above =
            |level: Option<usize>| level.is_some_and(|l| counts.iter().any(|(k, _)| rank(k) >= l));
        let severity = if at_or_above(error_on) {
            Severity::Error
        } else if at_or_above(warn_on) {
            Severity::Warning
        } else {
            continue;
        };
        let listed: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let scanned = summary
            .image_scan_completed_at
            .map(|at| format!(" (scan of {at})"))
            .unwrap_or_default();
        let selector = match t.reference() {
            super::Reference::Digest(d) => format!("imageDigest={d}"),
            super::Reference::Tag(tag) => format!("imageTag={tag}"),
        };
        let place = image_place(cx, image, Some("imageScanFindingsSummary"));
        let d = report_image(
            cx,
            &RULE,
            t,
            format!(
                "{} {}, whose scan found {}{scanned}",
                t.who("uses"),
                t.short(),
                listed.join(", ")
            ),
        )
        .primary_label("vulnerable image")
            .help(format!(
                "rebuild on patched base images and packages, push, and deploy the new image; see the findings with \
                 `aws ecr describe-image-scan-findings --repository-name {} --image-id {selector} {}`; the thresholds \
                 are `[vulnerabilities] error-on` / `warn-on` in ecs-preflight.toml (findings at or above them count)",
                t.repo,
                t.cli_where()
            ));
        d.severity = severity;
        add_label(d, place, "the scan findings");
    }
    if !no_findings.is_empty() {
        no_findings.dedup();
        cx.skip(
            &[&RULE],
            format!(
                "the state has no scan findings (imageScanFindingsSummary) for {}",
                no_findings.join(", ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_thresholds() {
        assert!(rank("CRITICAL") > rank("HIGH"));
        assert_eq!(rank("UNTRIAGED"), rank("UNDEFINED"));
        assert_eq!(
            threshold(None, VulnerabilityLevel::High),
            Some(rank("HIGH"))
        );
        assert_eq!(
            threshold(Some(VulnerabilityLevel::None), VulnerabilityLevel::High),
            None
        );
        assert_eq!(
            threshold(Some(VulnerabilityLevel::Medium), VulnerabilityLevel::High),
            Some(rank("MEDIUM"))
        );
    }
}
