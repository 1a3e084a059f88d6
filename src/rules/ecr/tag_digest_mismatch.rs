//! ECR009: `repo:tag@digest` where the tag points at a different digest now.

use super::{
    ImageLookup, Reference, add_label, find_image, image_place, report_image, short_digest, targets,
};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ECR009",
    name: "tag-digest-mismatch",
    severity: Severity::Error,
    summary: "The image's tag points at a different digest than the one written",
    needs: Needs::Ecr,
    reads: &[StatePart::EcrRepositories, StatePart::EcrImageDetails],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    for t in targets(cx).iter() {
        let (Some(tag), Some(digest)) = (t.image.tag.clone(), t.image.digest.clone()) else {
            continue;
        };
        // A digest that is not there is ECR002, the cause that stops the pull.
        if matches!(
            find_image(cx, t, Reference::Digest(&digest)),
            ImageLookup::Missing | ImageLookup::NoRepository
        ) {
            continue;
        }
        let (now, place) = match find_image(cx, t, Reference::Tag(&tag)) {
            ImageLookup::Found(d) => match d.image_digest.as_deref() {
                Some(now) if now == digest => continue,
                Some(now) => (Some(now.to_string()), image_place(cx, d, Some("imageTags"))),
                None => {
                    cx.skip(
                        &[&RULE],
                        format!("the image tagged `{tag}` has no imageDigest in the state"),
                    );
                    continue;
                }
            },
            ImageLookup::Missing => (None, None),
            ImageLookup::NoRepository => continue,
            ImageLookup::Unknown(why) => {
                cx.skip(&[&RULE], why);
                continue;
            }
        };
        let (message, help) = match &now {
            Some(now) => (
                format!(
                    "{} {} with the tag `{tag}`, but `{tag}` points at {} now; the pull uses the digest",
                    t.who("pins"),
                    short_digest(&digest),
                    short_digest(now)
                ),
                format!(
                    "decide which image you mean: for the tag's current image write `{}`; for the pinned image \
                     drop the tag or write the tag it carries (`aws ecr describe-images --repository-name {} \
                     --image-ids imageDigest={digest} {} --query 'imageDetails[0].imageTags'`)",
                    t.image.with_digest(now),
                    t.repo,
                    t.cli_where()
                ),
            ),
            None => (
                format!(
                    "{} {} with the tag `{tag}`, but `{}` has no tag `{tag}` now; the pull uses the digest",
                    t.who("pins"),
                    short_digest(&digest),
                    t.repo
                ),
                format!(
                    "drop the tag, or write a tag the pinned image carries (`aws ecr describe-images --repository-name {} \
                     --image-ids imageDigest={digest} {} --query 'imageDetails[0].imageTags'`)",
                    t.repo,
                    t.cli_where()
                ),
            ),
        };
        let d = report_image(cx, &RULE, t, message)
            .primary_label("tag and digest disagree")
            .help(help);
        add_label(d, place, "where the tag points now");
    }
}
