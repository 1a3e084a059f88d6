//! ECR008: the referenced image is archived.

use super::{ImageLookup, add_label, find_image, image_place, report_image, targets};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ECR008",
    name: "image-archived",
    severity: Severity::Error,
    summary: "The image is archived and must be restored before it can be pulled",
    needs: Needs::Ecr,
    reads: &[StatePart::EcrRepositories, StatePart::EcrImageDetails],
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
        // A missing imageStatus is ACTIVE: producers that predate ECR archive omit it.
        match image.image_status.as_deref() {
            None | Some("ACTIVE") => continue,
            Some("ARCHIVED") => {}
            Some(other) => {
                cx.skip(
                    &[&RULE],
                    format!(
                        "{} has imageStatus {other}: whether it can be pulled now is not known",
                        t.short()
                    ),
                );
                continue;
            }
        }
        let since = image
            .last_archived_at
            .map(|at| format!(" since {at}"))
            .unwrap_or_default();
        let digest = image.image_digest.clone().unwrap_or_default();
        let place = image_place(cx, image, Some("imageStatus"));
        let d = report_image(
            cx,
            &RULE,
            t,
            format!(
                "{} {}, which is archived{since} and cannot be pulled until it is restored",
                t.who("uses"),
                t.short()
            ),
        )
        .primary_label("archived image")
            .help(format!(
                "deploy an active image, or restore this one before deploying: `aws ecr update-image-storage-class \
                 --repository-name {} --image-id imageDigest={digest} --target-storage-class STANDARD {}`, and wait \
                 until `aws ecr describe-images --repository-name {} --image-ids imageDigest={digest} {} --query \
                 'imageDetails[0].imageStatus'` shows ACTIVE (it is ACTIVATING meanwhile); check the repository's \
                 lifecycle policy for `transition` rules that archive images still in use",
                t.repo,
                t.cli_where(),
                t.repo,
                t.cli_where()
            ));
        add_label(d, place, "imageStatus");
    }
}
