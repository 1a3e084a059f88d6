//! SVC001: a load balancer of the service names a container or port the task definition does
//! not have.

use super::{Field, number, report, services_of};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::parse::Node;
use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "SVC001",
    name: "load-balancer-container-mismatch",
    severity: Severity::Error,
    summary: "A load balancer of the service names a container or container port that the task definition does not have",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

/// What the task definition's containers are, as far as they are known.
enum Ports {
    Known(Vec<(u64, u64)>),
    Unknown(String),
}

fn check(task: &TaskDefinition, cx: &mut Context) {
    if task.containers_unknown.is_some() {
        return;
    }
    let services = services_of(task, cx);
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for service in &services {
        let entries = match service.get("loadBalancers") {
            Field::Known(list) => list.items(),
            Field::Unknown(why) => {
                skipped.push(format!(
                    "the load balancers of {} are not known: {why}",
                    service.label
                ));
                continue;
            }
            Field::Absent => continue,
        };
        for entry in entries {
            let name = match service.item_field(entry, "containerName") {
                Field::Known(n) => match n.as_str() {
                    Some(s) => (s.to_string(), n.span),
                    None => continue,
                },
                Field::Unknown(why) => {
                    skipped.push(format!(
                        "a load balancer's container of {} is not known: {why}",
                        service.label
                    ));
                    continue;
                }
                Field::Absent => continue,
            };
            let Some(container) = find_container(task, &name.0) else {
                // A container that is itself known only at deploy time (`!If` on a condition
                // that cannot be evaluated, a Terraform value known after apply) may be it.
                if task
                    .containers()
                    .any(|c| c.node.is_unknown() || c.get("name").is_some_and(Node::is_unknown))
                {
                    skipped.push(format!(
                        "a container name of `{}` is not known before deploy",
                        task.label
                    ));
                    continue;
                }
                let names: Vec<String> = task
                    .containers()
                    .filter_map(|c| c.get_str("name").map(|n| format!("`{n}`")))
                    .collect();
                found.push((
                    service.file,
                    name.1,
                    format!(
                        "{} sends load balancer traffic to the container `{}`, which the task definition `{}` does not have",
                        service.label, name.0, task.label
                    ),
                    format!("name one of its containers ({}) in `containerName`", names.join(", ")),
                ));
                continue;
            };
            let port = match service.item_field(entry, "containerPort") {
                Field::Known(n) => match number(n) {
                    Some(p) => (p, n.span),
                    None => continue,
                },
                Field::Unknown(why) => {
                    skipped.push(format!(
                        "a load balancer's container port of {} is not known: {why}",
                        service.label
                    ));
                    continue;
                }
                Field::Absent => continue,
            };
            match container_ports(container) {
                Ports::Unknown(why) => skipped.push(why),
                Ports::Known(ranges) => {
                    if !ranges
                        .iter()
                        .any(|&(from, to)| from <= port.0 && port.0 <= to)
                    {
                        let listed: Vec<String> = ranges
                            .iter()
                            .map(|&(a, b)| {
                                if a == b {
                                    a.to_string()
                                } else {
                                    format!("{a}-{b}")
                                }
                            })
                            .collect();
                        let has = if listed.is_empty() {
                            "it has no `portMappings`".to_string()
                        } else {
                            format!("its `portMappings` have {}", listed.join(", "))
                        };
                        found.push((
                            service.file,
                            port.1,
                            format!(
                                "{} sends load balancer traffic to port {} of the container `{}`, which does not map that port ({has})",
                                service.label, port.0, name.0
                            ),
                            format!(
                                "add `{{\"containerPort\": {}}}` to the container's `portMappings`, or use one of its ports",
                                port.0
                            ),
                        ));
                    }
                }
            }
        }
    }
    for reason in skipped {
        cx.skip(&[&RULE], reason);
    }
    for (file, span, message, help) in found {
        report(&RULE, task, cx, (file, span), message)
            .primary_label("not in the task definition")
            .help(format!(
                "CreateService and UpdateService reject this; {help}"
            ));
    }
}

fn find_container<'t>(
    task: &'t TaskDefinition,
    name: &str,
) -> Option<crate::model::ContainerView<'t>> {
    task.containers().find(|c| c.get_str("name") == Some(name))
}

/// The container ports a container maps: single ports and `containerPortRange`s.
fn container_ports(container: crate::model::ContainerView<'_>) -> Ports {
    let Some(mappings) = container.get("portMappings") else {
        return Ports::Known(Vec::new());
    };
    if let Some(why) = mappings.unknown_reason() {
        return Ports::Unknown(format!(
            "the port mappings of `{}` are not known: {why}",
            container.label()
        ));
    }
    let mut out = Vec::new();
    for m in mappings.items() {
        if let Some(why) = m.unknown_reason() {
            return Ports::Unknown(format!(
                "a port mapping of `{}` is not known: {why}",
                container.label()
            ));
        }
        let field = |name: &str| crate::model::taskdef::field(m, container.style, name);
        if let Some(p) = field("containerPort") {
            if let Some(why) = p.unknown_reason() {
                return Ports::Unknown(format!(
                    "a container port of `{}` is not known: {why}",
                    container.label()
                ));
            }
            if let Some(p) = number(p) {
                out.push((p, p));
            }
        } else if let Some(range) = field("containerPortRange") {
            let text = range.scalar_text().unwrap_or_default();
            match text
                .split_once('-')
                .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
            {
                Some((a, b)) => out.push((a, b)),
                None => {
                    return Ports::Unknown(format!(
                        "the port range `{text}` of `{}` cannot be read",
                        container.label()
                    ));
                }
            }
        }
    }
    Ports::Known(out)
}
