//! ROLE006: the repository's policy refuses the pull: an explicit Deny, or a cross-account pull
//! it does not grant (docs/iam.md#cross-account-pulls). One diagnostic per task definition and
//! repository, at the first container's `image`, the others as secondary labels.

use super::eval::{Place, add_labels};
use super::facts::{Facts, RoleView};
use super::pull::{PULL_ACTIONS, PullResult};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ROLE006",
    name: "repository-policy-denies",
    severity: Severity::Error,
    summary: "The repository policy does not let the execution role pull",
    needs: Needs::Ecr,
    reads: &[
        StatePart::Iam,
        StatePart::EcrRepositories,
        StatePart::EcrRepositoryPolicies,
        StatePart::EcrRegistryPolicy,
    ],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

pub(super) fn report(cx: &mut Context, _facts: &Facts, view: &RoleView, pulls: &[PullResult]) {
    if !cx.is_enabled(&RULE) {
        return;
    }
    // Same account with the policy unknown: the role's side decided alone (ROLE005); this
    // side is not checked. (Cross-account, it is ROLE011.)
    for p in pulls.iter().filter(|p| !p.cross) {
        if let Some(why) = &p.policy_unknown {
            cx.skip(
                &[&RULE],
                format!("repository policies are not known: {why}"),
            );
        }
    }
    for p in pulls.iter().filter(|p| !p.resource.is_empty()) {
        let repo = &p.repo;
        let named: Vec<String> = p
            .resource
            .iter()
            .map(|r| format!("`{}`", r.action))
            .collect();
        let reasons: Vec<String> = if p.resource.windows(2).all(|w| w[0].why == w[1].why) {
            vec![p.resource[0].why.clone()]
        } else {
            p.resource
                .iter()
                .map(|r| format!("`{}`: {}", r.action, r.why))
                .collect()
        };
        let message = format!(
            "repository `{}` of account {} does not let execution role `{}` pull ({}): {}",
            repo.name,
            repo.account,
            view.label(),
            named.join(", "),
            reasons.join("; ")
        );
        let principal = match &view.entry.arn {
            Some(arn) => arn.clone(),
            None => format!("arn:aws:iam::{}:root", view.account),
        };
        let actions = PULL_ACTIONS
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut help = if p.resource.iter().any(|r| r.explicit) {
            "an explicit Deny in the repository policy wins over any Allow: narrow it so that it does not match this role".to_string()
        } else {
            format!(
                "add to the repository policy of `{}` (account {}): {{\"Sid\": \"AllowPull\", \"Effect\": \"Allow\", \"Principal\": {{\"AWS\": \"{principal}\"}}, \"Action\": [{actions}]}} \
                 (`aws ecr set-repository-policy --registry-id {} --repository-name {} --policy-text file://policy.json` replaces the whole policy: merge it with the statements there)",
                repo.name, repo.account, repo.account, repo.name
            )
        };
        if p.cross {
            help.push_str(&format!(
                "; the role's own policy must allow the pull as well ({} checks that side)",
                super::ecr_pull_denied::RULE.code
            ));
        }
        let mut places: Vec<Place> = p.resource.iter().flat_map(|r| r.places.clone()).collect();
        places.extend(repo.images.iter().skip(1).map(|(span, c)| {
            Place::here(
                *span,
                format!("container `{c}` pulls from `{}` too", repo.name),
            )
        }));
        let (span, container) = repo.images[0].clone();
        let d = cx.report(&RULE, span, message);
        d.primary_label(format!("pulled from `{}`", repo.name));
        d.container(container);
        add_labels(d, &places);
        d.help(help);
    }
}
