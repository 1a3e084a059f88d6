//! REF003: awslogs names a log group that does not exist, and the agent will not create it
//! (`awslogs-create-group` is not true): the task stops at start.

use super::{group, references, report_grouped};
use crate::base::known::Lookup;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::role::logs_access_denied;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;
use crate::state::template::refs::Defines;

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
    let mut skipped = Vec::new();
    let mut named = Vec::new();
    for u in &refs.logs {
        if u.create {
            continue;
        }
        match &u.group {
            Ok(g) => named.push((g.clone(), u.span, u.container.clone())),
            Err(why) => skipped.push(format!(
                "the log group of container `{}`: {why}",
                u.container
            )),
        }
    }
    for why in skipped {
        cx.skip(&[&RULE], why);
    }
    let Some(account) = refs.account.clone() else {
        if !named.is_empty() {
            cx.skip(
                &[&RULE],
                "the deployment account is not known (pass --account or set `account` in ecs-preflight.toml)",
            );
        }
        return;
    };
    for g in group(named) {
        let (name, region) = &g.key;
        match cx.template.refs.log_group(name) {
            Defines::Yes => continue,
            Defines::Maybe(why) => {
                cx.skip(&[&RULE], why);
                continue;
            }
            Defines::No => {}
        }
        match cx.state.log_groups.find(&account, region, name) {
            Lookup::Unknown(why) => cx.skip(&[&RULE], why),
            Lookup::Found(()) => {}
            Lookup::Absent => report_grouped(
                cx,
                &RULE,
                &g,
                format!(
                    "the log group `{name}` does not exist in account {account} region {region}, and `awslogs-create-group` is not true: the task stops at start with `ResourceInitializationError: failed to validate logger args: … The specified log group does not exist`"
                ),
                "no such log group",
                format!(
                    "create the log group before deploying: `aws logs create-log-group --log-group-name {name} --region {region}` (or an `AWS::Logs::LogGroup` / `aws_cloudwatch_log_group` in the same template); or add the option `\"awslogs-create-group\": \"true\"`, which needs `logs:CreateLogGroup` on the execution role ({})",
                    logs_access_denied::RULE.code
                ),
            ),
        }
    }
}
