//! ECR004: the repository's lifecycle policy, evaluated now, expires the referenced image.

use super::lifecycle::{PolicySource, Verdict, describe_rule, undecided, verdicts};
use super::{add_label, image_place, lifecycle_policy_place, report_image, targets};
use crate::diag::Severity;
use crate::ecr::lifecycle::{Action, Outcome};
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ECR004",
    name: "lifecycle-expires-image",
    severity: Severity::Error,
    summary: "The repository's lifecycle policy expires the referenced image",
    needs: Needs::Ecr,
    reads: &[
        StatePart::EcrRepositories,
        StatePart::EcrImageDetails,
        StatePart::EcrLifecyclePolicies,
    ],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let targets = targets(cx);
    let verdicts = verdicts(cx, &targets);
    for (t, verdict) in targets.iter().zip(verdicts) {
        let (fate, image, policy) = match verdict {
            Verdict::Nothing => continue,
            Verdict::Unknown(why) => {
                cx.skip(&[&RULE], why);
                continue;
            }
            Verdict::Fate {
                fate,
                image,
                policy,
            } => (fate, image, policy),
        };
        // The rules that act on the image, with their actions.
        let (priorities, actions) = match &fate.outcome {
            Outcome::Kept => continue,
            Outcome::Actioned { priority, action } => (vec![*priority], vec![*action]),
            Outcome::ActionedByOneOf {
                priorities,
                actions,
                ..
            } => (priorities.clone(), actions.clone()),
            Outcome::Unknown {
                priorities,
                reasons,
            } => {
                cx.skip(&[&RULE], undecided(t, priorities, reasons));
                continue;
            }
        };
        let verb = if actions.iter().all(|a| *a == Action::Expire) {
            "expires"
        } else if actions.iter().all(|a| *a == Action::TransitionToArchive) {
            "archives"
        } else {
            "expires or archives"
        };
        let rules: Vec<String> = priorities
            .iter()
            .map(|p| describe_rule(&policy.policy, *p))
            .collect();
        let pushed = image
            .image_pushed_at
            .map(|p| format!(", pushed {p}"))
            .unwrap_or_default();
        let (policy_place, template_span) = match policy.source {
            PolicySource::State(p) => (lifecycle_policy_place(cx, p), None),
            PolicySource::Template(p) => (None, Some((p.span, p.resource.clone()))),
        };
        let image_at = image_place(cx, image, None);
        let d = report_image(
            cx,
            &RULE,
            t,
            format!(
                "{} {}{pushed}, which the lifecycle policy of `{}` {verb} now: {}",
                t.who("uses"),
                t.short(),
                t.repo,
                rules.join(" or ")
            ),
        )
        .primary_label(format!("{verb} within 24 hours, if not already"))
            .help(format!(
                "deploy an image the policy keeps, or change the policy so that this image is kept (a \
                 higher-priority rule whose selection covers the tags you deploy protects them); preview with \
                 `aws ecr start-lifecycle-policy-preview --repository-name {} --lifecycle-policy-text file://policy.json {}` \
                 and apply with `aws ecr put-lifecycle-policy --repository-name {} --lifecycle-policy-text file://policy.json {}`",
                t.repo,
                t.cli_where(),
                t.repo,
                t.cli_where()
            ));
        add_label(d, policy_place, "the lifecycle policy");
        if let Some((span, resource)) = template_span {
            d.label_here(span, format!("the lifecycle policy of {resource}"));
        }
        add_label(d, image_at, "the image");
    }
}
