//! SVC002: the service's network configuration does not fit the task's network mode.

use super::{Field, report, services_of};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "SVC002",
    name: "network-configuration-mismatch",
    severity: Severity::Error,
    summary: "An awsvpc task definition's service has no awsvpcConfiguration, or another mode's service has one",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let services = services_of(task, cx);
    if services.is_empty() {
        return;
    }
    let mode = match task.get("networkMode") {
        None => None,
        Some(n) => match n.unknown_reason() {
            Some(why) => {
                cx.skip(
                    &[&RULE],
                    format!("the network mode is not known before deploy: {why}"),
                );
                return;
            }
            None => match n.as_str() {
                Some(m) => Some(m.to_string()),
                None => return,
            },
        },
    };
    let awsvpc = mode.as_deref() == Some("awsvpc");
    let mut found = Vec::new();
    for service in &services {
        match (service.awsvpc_configuration(), awsvpc) {
            (Field::Unknown(why), _) => cx.skip(
                &[&RULE],
                format!("the network configuration of {} is not known: {why}", service.label),
            ),
            (Field::Absent, true) => found.push((
                service.file,
                service.anchor,
                format!(
                    "{} has no `awsvpcConfiguration`, but the task definition `{}` uses the `awsvpc` network mode",
                    service.label, task.label
                ),
                "not in the task definition's network mode".to_string(),
                "give the service a network configuration with its subnets and security groups \
                 (`networkConfiguration.awsvpcConfiguration`; CloudFormation \
                 `NetworkConfiguration.AwsvpcConfiguration`; Terraform `network_configuration {}`)"
                    .to_string(),
            )),
            (Field::Known(n), false) => {
                let mode = mode.clone().unwrap_or_else(|| "the default".to_string());
                found.push((
                    service.file,
                    n.span,
                    format!(
                        "{} has an `awsvpcConfiguration`, but the task definition `{}` uses the `{mode}` network mode, not `awsvpc`",
                        service.label, task.label
                    ),
                    "only for awsvpc tasks".to_string(),
                    "remove the service's network configuration, or set the task definition's `networkMode` to `awsvpc`".to_string(),
                ))
            }
            _ => {}
        }
    }
    for (file, span, message, label, help) in found {
        report(&RULE, task, cx, (file, span), message)
            .primary_label(label)
            .help(format!(
                "CreateService and UpdateService reject this: the network configuration is required for the awsvpc mode and not supported for the others; {help}"
            ));
    }
}
