//! NET001: an `awsvpc` task whose subnets are not known; the network checks are skipped.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::net::placement::TaskAnalysis;
use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "NET001",
    name: "network-unknown",
    severity: Severity::Note,
    summary: "An awsvpc task whose subnets are not known: network checks skipped",
    needs: Needs::Net,
    reads: &[],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let Some(TaskAnalysis::NotEvaluated {
        network_unknown: true,
        placement: Some(placement),
        ..
    }) = super::analysis(task, cx)
    else {
        return;
    };
    let why = placement
        .subnets_unknown
        .clone()
        .unwrap_or_else(|| "no service configuration was found for it".into());
    // The service's `subnets` when it is in a file we read (an empty list, or unknown
    // values); otherwise `networkMode`.
    let only_subnets = crate::net::placement::Placement {
        security_groups_at: None,
        ..(**placement).clone()
    };
    let service_file = cx.service_file.map(|f| f.file);
    let primary = super::report::primary_span(task, &only_subnets, false, service_file);
    let family = task.get_str("family").unwrap_or(&task.label).to_string();
    let d = super::report::report_at(
        &RULE,
        task,
        cx,
        &primary,
        format!(
            "`{}` uses awsvpc networking, but the subnets it runs in are not known ({why}): the network checks {}–{} were skipped",
            task.label,
            super::RULES[1].code,
            super::RULES[super::RULES.len() - 1].code
        ),
    );
    d.help(format!(
        "say where the task runs: `--service service.json` (the `aws ecs create-service` input or `aws ecs describe-services` output), \
         or `--subnets subnet-a,subnet-b --security-groups sg-1 --assign-public-ip DISABLED --launch-type FARGATE`, \
         or a state file whose ecs.services has the service running family `{family}`, \
         or an AWS::ECS::Service / aws_ecs_service for it in the same template"
    ));
    if primary.task_at.is_some() {
        d.primary_label("the service's subnets");
    }
    if let Some(place) = primary.elsewhere {
        d.label(place.file, place.span, "the service's subnets");
    }
}
