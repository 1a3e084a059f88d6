//! ROLE005: the pulling role's own side refuses `ecr:BatchGetImage` or
//! `ecr:GetDownloadUrlForLayer` on the repository (identity policies, boundary, explicit
//! denies). One diagnostic per task definition and repository, at the `executionRoleArn` value
//! (the role's policy is what to change), with each container's `image` as a secondary label.

use super::eval::{self, Place, add_labels, statement_json};
use super::facts::{Facts, RoleView};
use super::pull::PullResult;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ROLE005",
    name: "ecr-pull-denied",
    severity: Severity::Error,
    summary: "The execution role may not pull from the image's repository",
    needs: Needs::Iam,
    reads: &[StatePart::Iam],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

pub(super) fn report(cx: &mut Context, facts: &Facts, view: &RoleView, pulls: &[PullResult]) {
    let Some(node) = facts.exec_node else { return };
    if !cx.is_enabled(&RULE) {
        return;
    }
    for p in pulls.iter().filter(|p| !p.caller.is_empty()) {
        let repo = &p.repo;
        let actions: Vec<&str> = p.caller.iter().map(|r| r.action).collect();
        let named: Vec<String> = actions.iter().map(|a| format!("`{a}`")).collect();
        // One reason when both actions are refused for the same one.
        let reasons: Vec<String> = if p.caller.windows(2).all(|w| w[0].why == w[1].why) {
            vec![p.caller[0].why.clone()]
        } else {
            p.caller
                .iter()
                .map(|r| format!("`{}`: {}", r.action, r.why))
                .collect()
        };
        let where_ = if p.cross {
            format!(" (account {}, cross-account)", repo.account)
        } else {
            String::new()
        };
        let message = format!(
            "execution role `{}` may not pull from repository `{}`{where_} ({}): {}",
            view.label(),
            repo.name,
            named.join(", "),
            reasons.join("; ")
        );
        let statement = statement_json(
            "EcrPull",
            &crate::rules::role::pull::PULL_ACTIONS,
            std::slice::from_ref(&repo.arn),
        );
        // The repository name alone, unless another account or region has one of that name.
        let what = if repo.account == view.account && Some(&repo.region) == facts.region.as_ref() {
            repo.name.clone()
        } else {
            format!("{}-{}-{}", repo.account, repo.region, repo.name)
        };
        let remedy = eval::Remedy::combine(p.caller.iter().map(|r| r.remedy));
        let narrow = eval::remedy_help(
            remedy,
            view,
            &statement,
            &eval::policy_name("ecr-pull", &what),
        );
        let mut help = eval::with_managed_policy_first(remedy, view, narrow);
        if p.cross {
            help.push_str(&format!(
                "; the repository's policy in account {} must grant it too ({} checks that side)",
                repo.account,
                super::repository_policy_denies::RULE.code
            ));
        }
        if p.task_role_allows {
            help.push_str(
                "; the task role allows this pull, but images are pulled with the execution role: the permission is on the wrong role",
            );
        }
        let mut places: Vec<Place> = p.caller.iter().flat_map(|r| r.places.clone()).collect();
        places.extend(repo.images.iter().map(|(span, c)| {
            Place::here(*span, format!("container `{c}` pulls from `{}`", repo.name))
        }));
        let d = cx.report(&RULE, node.span, message);
        d.primary_label("the role that pulls the image");
        add_labels(d, &places);
        d.help(help);
    }
}
