//! ECR002: the tag or digest is not in the repository.

use super::{ImageLookup, Reference, find_image, report_image, short_digest, tag_digest, targets};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ECR002",
    name: "image-not-found",
    severity: Severity::Error,
    summary: "The image's tag or digest is not in its repository",
    needs: Needs::Ecr,
    reads: &[StatePart::EcrRepositories, StatePart::EcrImageDetails],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    for t in targets(cx).iter() {
        let reference = t.reference();
        match find_image(cx, t, reference) {
            ImageLookup::Found(_) | ImageLookup::NoRepository => {}
            ImageLookup::Unknown(why) => cx.skip(&[&RULE], why),
            ImageLookup::Missing => {
                let (what, label) = match reference {
                    Reference::Digest(d) => {
                        (format!("the digest {d}"), "no image with this digest")
                    }
                    Reference::Tag(tag) if t.image.tag.is_none() => (
                        format!("the tag `{tag}` (no tag is written, so `latest` is pulled)"),
                        "no image tagged `latest`",
                    ),
                    Reference::Tag(tag) => (format!("the tag `{tag}`"), "no image with this tag"),
                };
                // With `tag@digest`, say where the tag points now: often the digest is the
                // stale half.
                let tag_now = match (reference, &t.image.tag) {
                    (Reference::Digest(_), Some(tag)) => match tag_digest(cx, t, tag) {
                        Ok(Some(d)) => Some(format!(
                            "; the tag `{tag}` points at {} now: if that is the image you mean, write `{}`",
                            short_digest(d),
                            t.image.with_digest(d)
                        )),
                        _ => None,
                    },
                    _ => None,
                };
                let selector = match reference {
                    Reference::Digest(d) => format!("imageDigest={d}"),
                    Reference::Tag(tag) => format!("imageTag={tag}"),
                };
                report_image(
                    cx,
                    &RULE,
                    t,
                    format!(
                        "{} {what} from `{}`, which has no such image",
                        t.who("pulls"),
                        t.repo
                    ),
                )
                .primary_label(label)
                .help(format!(
                    "push the image before deploying, or correct the reference{}; list what is there with \
                     `aws ecr describe-images --repository-name {} {} --query 'imageDetails[].[imageTags,imageDigest]'` \
                     (this one: `aws ecr describe-images --repository-name {} --image-ids {selector} {}`)",
                    tag_now.unwrap_or_default(),
                    t.repo,
                    t.cli_where(),
                    t.repo,
                    t.cli_where(),
                ));
            }
        }
    }
}
