//! ROLE002: the execution role ARN is not in the IAM state of its account (only reported when
//! a state file lists that account's roles).

use super::facts::{Facts, RoleRef};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ROLE002",
    name: "execution-role-not-found",
    severity: Severity::Error,
    summary: "The execution role is not in the account's IAM state",
    needs: Needs::Iam,
    reads: &[StatePart::Iam],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

pub(super) fn check(_task: &TaskDefinition, cx: &mut Context, facts: &Facts) {
    let (
        RoleRef::NotFound {
            arn,
            file,
            list,
            same_name,
        },
        Some(node),
    ) = (&facts.exec, facts.exec_node)
    else {
        return;
    };
    if !cx.is_enabled(&RULE) {
        return;
    }
    let account = crate::state::iam::arn_account(arn)
        .map(str::to_string)
        .or_else(|| facts.account.clone())
        .unwrap_or_default();
    let message = format!(
        "execution role `{arn}` does not exist in account {account}, according to its IAM state: ECS cannot start the task with it"
    );
    let help = match same_name {
        Some(role) => format!(
            "a role named `{}` exists at path `{}`; role ARNs include the path, so use `{}`",
            role.name.as_deref().unwrap_or(""),
            role.path,
            role.arn.as_deref().unwrap_or("")
        ),
        None => "create the role (trusting `ecs-tasks.amazonaws.com`, with `AmazonECSTaskExecutionRolePolicy`) or correct the ARN; \
                 if the state is older than the role, refresh it with `aws iam get-account-authorization-details`"
            .to_string(),
    };
    let images = super::ecr_image_places(cx);
    let d = cx.report(&RULE, node.span, message);
    d.primary_label("not in the IAM state");
    match same_name.and_then(|r| r.place) {
        Some((f, at)) => {
            d.label(f, at, "a role of the same name at another path");
        }
        None => {
            d.label(*file, *list, format!("the roles of account {account}"));
        }
    }
    super::eval::add_labels(d, &images);
    d.help(help);
}
