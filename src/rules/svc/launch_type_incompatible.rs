//! SVC003: the service's launch type is not one the task definition was validated for.

use super::{Field, report, services_of, validated_compatibilities};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::parse::Node;
use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "SVC003",
    name: "launch-type-incompatible",
    severity: Severity::Error,
    summary: "The service's launch type (or Fargate capacity provider) is not among the task definition's compatibilities",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let services = services_of(task, cx);
    if services.is_empty() {
        return;
    }
    let Some(compatible) = validated_compatibilities(task) else {
        cx.skip(
            &[&RULE],
            "`requiresCompatibilities` is not known before deploy",
        );
        return;
    };
    let described = if task.get("requiresCompatibilities").is_none() {
        "it has no `requiresCompatibilities`, so it is validated for EC2 only".to_string()
    } else {
        format!(
            "it is validated for {}",
            compatible
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut found = Vec::new();
    for service in &services {
        // The launch type the service asks for, and where.
        let wanted: Vec<(String, &Node)> = match service.get("launchType") {
            Field::Known(n) => match n.as_str() {
                Some(s) if !s.is_empty() => vec![(s.to_ascii_uppercase(), n)],
                _ => Vec::new(),
            },
            Field::Unknown(why) => {
                cx.skip(
                    &[&RULE],
                    format!("the launch type of {} is not known: {why}", service.label),
                );
                continue;
            }
            Field::Absent => match service.get("capacityProviderStrategy") {
                Field::Known(list) => list
                    .items()
                    .iter()
                    .filter_map(|item| match service.item_field(item, "capacityProvider") {
                        Field::Known(n) => n.as_str().and_then(|s| {
                            let s = s.to_ascii_uppercase();
                            // Only the Fargate providers say what they need; an Auto Scaling
                            // group provider's name says nothing.
                            (s == "FARGATE" || s == "FARGATE_SPOT")
                                .then(|| ("FARGATE".to_string(), n))
                        }),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            },
        };
        if let Some((launch, node)) = wanted.into_iter().find(|(l, _)| !compatible.contains(l)) {
            let provider = node.as_str().filter(|s| !s.eq_ignore_ascii_case(&launch));
            let asks = match provider {
                Some(p) => format!("uses the capacity provider `{p}` (launch type {launch})"),
                None => format!("uses the launch type `{launch}`"),
            };
            found.push((
                service.file,
                node.span,
                format!(
                    "{} {asks}, but the task definition `{}` is not compatible with it: {described}",
                    service.label, task.label
                ),
                launch,
            ));
        }
    }
    for (file, span, message, launch) in found {
        report(&RULE, task, cx, (file, span), message)
            .primary_label("not a compatibility of the task definition")
            .help(format!(
                "CreateService rejects this; add `{launch}` to the task definition's `requiresCompatibilities` \
                 (ECS then validates it for {launch} too), or run the service with a launch type it is compatible with"
            ));
    }
}
