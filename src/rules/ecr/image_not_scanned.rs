//! ECR006: the referenced image has no completed scan.

use super::{ImageLookup, add_label, find_image, image_place, report_image, targets};
use crate::base::known::Lookup;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ECR006",
    name: "image-not-scanned",
    severity: Severity::Note,
    summary: "The image has no completed vulnerability scan",
    needs: Needs::Ecr,
    reads: &[
        StatePart::EcrRepositories,
        StatePart::EcrImageDetails,
        StatePart::EcrRegistryScanningConfiguration,
    ],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    for t in targets(cx).iter() {
        let image = match find_image(cx, t, t.reference()) {
            ImageLookup::Found(d) => d,
            ImageLookup::Missing | ImageLookup::NoRepository => continue,
            ImageLookup::Unknown(why) => {
                cx.skip(&[&RULE], why);
                continue;
            }
        };
        let status = image
            .image_scan_status
            .as_ref()
            .and_then(|s| s.status.as_deref());
        let (problem, field) = match status {
            Some("COMPLETE" | "ACTIVE") => continue,
            Some(status) => {
                let detail = image
                    .image_scan_status
                    .as_ref()
                    .and_then(|s| s.description.as_deref())
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default();
                (
                    format!("its scan status is {status}{detail}"),
                    Some("imageScanStatus"),
                )
            }
            // Findings without a status: scanned (the status is simply not recorded).
            None if image.image_scan_findings_summary.is_some() => continue,
            None => {
                let config = cx
                    .state
                    .ecr
                    .registry_scanning_configuration(&t.account, &t.region);
                let scan_type = match &config {
                    Lookup::Found(c) => c
                        .scanning_configuration
                        .as_ref()
                        .and_then(|s| s.scan_type.as_deref()),
                    _ => None,
                };
                match (scan_type, config) {
                    (Some("BASIC"), _) => (
                        "it was never scanned (no imageScanStatus) and the registry uses basic scanning, which scans \
                         only on push for repositories matching a scan-on-push filter, or on request"
                            .to_string(),
                        None,
                    ),
                    (Some(other), _) => {
                        cx.skip(
                            &[&RULE],
                            format!(
                                "images without imageScanStatus in account {} region {} cannot be judged: under {other} scanning the state does not tell whether they were scanned",
                                t.account, t.region
                            ),
                        );
                        continue;
                    }
                    (None, Lookup::Unknown(why)) => {
                        cx.skip(
                            &[&RULE],
                            format!("images without imageScanStatus cannot be judged: {why}"),
                        );
                        continue;
                    }
                    (None, _) => {
                        cx.skip(
                            &[&RULE],
                            format!(
                                "images without imageScanStatus in account {} region {} cannot be judged: the registry scanning configuration names no scanType",
                                t.account, t.region
                            ),
                        );
                        continue;
                    }
                }
            }
        };
        let selector = match t.reference() {
            super::Reference::Digest(d) => format!("imageDigest={d}"),
            super::Reference::Tag(tag) => format!("imageTag={tag}"),
        };
        let place = image_place(cx, image, field);
        let d = report_image(
            cx,
            &RULE,
            t,
            format!(
                "{} {}, which has no completed vulnerability scan: {problem}",
                t.who("uses"),
                t.short()
            ),
        )
        .primary_label("not scanned")
            .help(format!(
                "scan it now: `aws ecr start-image-scan --repository-name {} --image-id {selector} {}` (basic scanning \
                 allows one scan per image per 24 hours), and turn on scan on push for the registry: `aws ecr \
                 put-registry-scanning-configuration --scan-type BASIC --rules \
                 '[{{\"scanFrequency\":\"SCAN_ON_PUSH\",\"repositoryFilters\":[{{\"filter\":\"*\",\"filterType\":\"WILDCARD\"}}]}}]' \
                 --region {}` (this replaces the registry's current scanning rules: merge them first)",
                t.repo,
                t.cli_where(),
                t.region
            ));
        let label = if field.is_some() {
            "the image's scan status"
        } else {
            "the image: no imageScanStatus"
        };
        add_label(d, place, label);
    }
}
