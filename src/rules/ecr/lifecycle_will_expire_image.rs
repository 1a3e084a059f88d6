//! ECR010: not expired yet, but the lifecycle policy will expire the image soon.

use super::lifecycle::{PolicySource, Verdict, describe_rule, undecided, verdicts};
use super::{add_label, image_place, lifecycle_policy_place, report_image, targets};
use crate::diag::Severity;
use crate::ecr::lifecycle::{Action, Outcome, Threat};
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ECR010",
    name: "lifecycle-will-expire-image",
    severity: Severity::Warning,
    summary: "The repository's lifecycle policy will expire the referenced image soon",
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
        match &fate.outcome {
            Outcome::Kept => {}
            // Acted on now: ECR004. Undecided: ECR004 lists it in the run summary.
            Outcome::Actioned { .. } | Outcome::ActionedByOneOf { .. } => continue,
            Outcome::Unknown {
                priorities,
                reasons,
            } => {
                cx.skip(&[&RULE], undecided(t, priorities, reasons));
                continue;
            }
        }
        let Some(threat) = fate.threat.filter(|th| th.is_soon()) else {
            continue;
        };
        let (priority, action, when) = match threat {
            Threat::Days {
                priority,
                action,
                days_left,
            } => (priority, action, in_days(days_left)),
            Threat::Pushes {
                priority,
                action,
                pushes,
            } => (
                priority,
                action,
                if pushes == 1 {
                    "at the next push of an image it selects".to_string()
                } else {
                    format!("after {pushes} more pushes of images it selects")
                },
            ),
        };
        let verb = match action {
            Action::Expire => "expires",
            Action::TransitionToArchive => "archives",
        };
        let (policy_place, template_span) = match policy.source {
            PolicySource::State(p) => (lifecycle_policy_place(cx, p), None),
            PolicySource::Template(p) => (None, Some((p.span, p.resource.clone()))),
        };
        let image_at = image_place(cx, image, None);
        let rule = describe_rule(&policy.policy, priority);
        let d = report_image(
            cx,
            &RULE,
            t,
            format!(
                "{} {}, which the lifecycle policy of `{}` {verb} {when}: {rule}",
                t.who("uses"),
                t.short(),
                t.repo
            ),
        )
        .primary_label(format!("{verb} {when}"))
            .help(format!(
                "keep the deployed image: raise the rule's countNumber or days, or add a higher-priority rule whose \
                 selection covers the tags you deploy, and apply it with `aws ecr put-lifecycle-policy --repository-name {} \
                 --lifecycle-policy-text file://policy.json {}`; or deploy a newer image the policy keeps",
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

/// Time left for a message, rounded down (never promise more time than there is).
fn in_days(d: f64) -> String {
    if d < 1.0 {
        "in less than a day".to_string()
    } else {
        format!("in {:.1} days", (d * 10.0).floor() / 10.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_are_rounded_down() {
        assert_eq!(super::in_days(0.3), "in less than a day");
        assert_eq!(super::in_days(2.49), "in 2.4 days");
        assert_eq!(super::in_days(7.0), "in 7.0 days");
    }
}
