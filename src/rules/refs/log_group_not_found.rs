//! REF003: awslogs names a log group that does not exist, and the agent will not create it
//! (`awslogs-create-group` is not true): the task stops at start.

use super::{check_in_state, references, report_grouped};
use crate::base::known::Lookup;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::role::logs_access_denied;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "REF003",
    name: "log-group-not-found",
    severity: Severity::Error,
    summary: "The awslogs log group does not exist and awslogs-create-group is not true",
    needs: Needs::Refs,
    reads: &[StatePart::LogGroups],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let refs = references(task, cx);
    let uses = refs
        .logs
        .iter()
        .filter(|u| !u.create)
        .map(|u| (u.group.clone(), u.span, u.container.clone()));
    let account = refs.account.clone();
    check_in_state(
        cx,
        &RULE,
        "the log group",
        uses,
        |t, (name, _)| t.log_group(name),
        |state, (name, region)| match &account {
            Some(a) => state.log_groups.find(a, region, name),
            None => Lookup::unknown(
                "the deployment account is not known (pass --account or set `account` in ecs-preflight.toml)",
            ),
        },
        |cx, g, found| {
            let ((name, region), Some(account)) = (&g.key, &account) else {
                return;
            };
            if found.is_some() {
                return;
            }
            report_grouped(
                cx,
                &RULE,
                g,
                format!(
                    "the log group `{name}` does not exist in account {account} region {region}, and `awslogs-create-group` is not true: the task stops at start with `ResourceInitializationError: failed to validate logger args: … The specified log group does not exist`"
                ),
                "no such log group",
                format!(
                    "create the log group before deploying: `aws logs create-log-group --log-group-name {name} --region {region}` (or an `AWS::Logs::LogGroup` / `aws_cloudwatch_log_group` in the same template); or add the option `\"awslogs-create-group\": \"true\"`, which needs `logs:CreateLogGroup` on the execution role ({})",
                    logs_access_denied::RULE.code
                ),
            );
        },
    );
}
