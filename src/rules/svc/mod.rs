//! SVC: the service and its task definition agree. `CreateService` / `UpdateService` reject a
//! service whose load balancer names a container or port the task definition does not have,
//! whose network configuration does not fit the task's network mode, or whose launch type the
//! task definition was not validated for.
//!
//! The services come from the first source that has any for the task definition, in the order
//! the network rules use: the `--service` file, the services of the same template or plan, the
//! state files' `ecs.services` of the same family.

pub mod launch_type_incompatible;
pub mod load_balancer_container_mismatch;
pub mod network_configuration_mismatch;

use crate::diag::{CURRENT_FILE, Diagnostic, FileId};
use crate::model::placeholder::placeholder;
use crate::model::{Origin, TaskDefinition};
use crate::parse::{Node, NodeKind};
use crate::rules::{Context, Rule};
use crate::span::Span;

/// This family's rules, in code order.
pub static RULES: &[&Rule] = &[
    &load_balancer_container_mismatch::RULE,
    &network_configuration_mismatch::RULE,
    &launch_type_incompatible::RULE,
];

/// How a service's keys are spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// The ECS API (`--service` file, state `ecs.services`): `loadBalancers`.
    Camel,
    /// CloudFormation `AWS::ECS::Service`: `LoadBalancers`.
    Pascal,
    /// Terraform `aws_ecs_service`: `load_balancer` (blocks are lists).
    Snake,
}

/// One ECS service that runs the task definition, in whatever file it was found.
pub struct ServiceView<'a> {
    /// How messages name it: "the service `web` in the --service file".
    pub label: String,
    /// The file its spans point into.
    pub file: FileId,
    /// Where to point when a field is missing: the service name, logical ID or address.
    pub anchor: Span,
    pub spelling: Spelling,
    /// The service object (for describe-services items, see `pick`).
    pub node: &'a Node,
    /// The `PRIMARY` deployment of a describe-services item: its copy of the settings wins.
    pub primary: Option<&'a Node>,
}

/// A value read from a service: absent, unknown (why), or known.
pub enum Field<'a> {
    Absent,
    Unknown(String),
    Known(&'a Node),
}

impl<'a> ServiceView<'a> {
    /// The field by its API name (`loadBalancers`), spelled as the file spells it. Terraform
    /// blocks are given by their block name (`load_balancer`, `network_configuration`).
    pub fn get(&self, api_name: &str) -> Field<'a> {
        let key = self.key(api_name);
        let from_primary = self.primary.and_then(|p| p.get(&key));
        let node = match (self.primary, from_primary) {
            (Some(_), Some(n)) => Some(n),
            // A deployment carries its own network configuration: the top-level one may be
            // an older one.
            (Some(_), None) if api_name == "networkConfiguration" => None,
            _ => self.node.get(&key),
        };
        classify(node)
    }

    fn key(&self, api_name: &str) -> String {
        match self.spelling {
            Spelling::Camel => api_name.to_string(),
            Spelling::Pascal => {
                crate::model::taskdef::spell(api_name, crate::model::KeyStyle::Pascal).into_owned()
            }
            Spelling::Snake => match api_name {
                "loadBalancers" => "load_balancer".to_string(),
                "capacityProviderStrategy" => "capacity_provider_strategy".to_string(),
                other => snake(other),
            },
        }
    }

    /// A member of an item of this service (a load balancer entry), spelled as the file does.
    pub fn item_field<'n>(&self, item: &'n Node, api_name: &str) -> Field<'n> {
        classify(item.get(&self.key(api_name)))
    }

    /// Whether the service has an awsvpc configuration: Known(span of it) / Absent / Unknown.
    pub fn awsvpc_configuration(&self) -> Field<'a> {
        match self.get("networkConfiguration") {
            Field::Known(n) => {
                let network = match self.spelling {
                    // Terraform: `network_configuration` is a list of one block, with the
                    // subnets directly in it.
                    Spelling::Snake => match n.items().first() {
                        Some(block) => return classify(Some(block)),
                        None if n.is_array() => return Field::Absent,
                        None => return classify(Some(n)),
                    },
                    _ => n,
                };
                classify(network.get(&self.key("awsvpcConfiguration")))
            }
            other => other,
        }
    }
}

fn classify(node: Option<&Node>) -> Field<'_> {
    match node {
        None => Field::Absent,
        Some(n) if n.is_null() => Field::Absent,
        Some(n) => match &n.kind {
            NodeKind::Unresolved(why) => Field::Unknown(why.clone()),
            NodeKind::ResourceRef { .. } => Field::Known(n),
            NodeKind::String(s) => match placeholder(s) {
                Some(why) => Field::Unknown(why),
                None => Field::Known(n),
            },
            _ => Field::Known(n),
        },
    }
}

fn snake(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The services that run `task`, from the first source that has any.
pub fn services_of<'a>(task: &TaskDefinition, cx: &Context<'a>) -> Vec<ServiceView<'a>> {
    let family = task.get_str("family").unwrap_or(&task.label).to_string();
    if let Some(file) = cx.service_file {
        let root = &file.root;
        let items: Vec<&Node> = if let Some(list) = root.get("services") {
            list.items().iter().collect()
        } else if let Some(one) = root.get("service").filter(|n| n.is_object()) {
            vec![one]
        } else if root.is_object() {
            vec![root]
        } else {
            Vec::new()
        };
        let mine: Vec<ServiceView> = items
            .into_iter()
            .filter(|s| s.is_object())
            .filter(|s| match s.get("taskDefinition").map(|n| &n.kind) {
                Some(NodeKind::String(r)) => {
                    crate::state::ecs::task_definition_family(r) == Some(family.as_str())
                }
                _ => true,
            })
            .map(|s| api_view(s, file.file, "the --service file"))
            .collect();
        if !mine.is_empty() {
            return mine;
        }
    }
    let own_id = match &task.origin {
        Origin::CloudFormation { logical_id } => Some(logical_id.as_str()),
        Origin::TerraformPlan { address } => Some(address.as_str()),
        Origin::Native => None,
    };
    let mut from_template = Vec::new();
    let services = cx.document_facts.services.get_or_init(|| {
        (cx.document.resources.iter().enumerate())
            .filter(|(_, r)| matches!(r.kind.as_str(), "AWS::ECS::Service" | "aws_ecs_service"))
            .map(|(i, _)| i)
            .collect()
    });
    for r in services.iter().map(|&i| &cx.document.resources[i]) {
        let (spelling, key) = match r.kind.as_str() {
            "AWS::ECS::Service" => (Spelling::Pascal, "TaskDefinition"),
            "aws_ecs_service" => (Spelling::Snake, "task_definition"),
            _ => continue,
        };
        if matches!(r.condition, Some((_, Some(false)))) {
            continue;
        }
        let runs_it = match r.properties.get(key).map(|n| &n.kind) {
            Some(NodeKind::ResourceRef { id, .. }) => Some(id.as_str()) == own_id,
            Some(NodeKind::String(s)) => {
                crate::state::ecs::task_definition_family(s) == Some(family.as_str())
            }
            _ => false,
        };
        if runs_it {
            from_template.push(ServiceView {
                label: format!("the service `{}`", r.id),
                file: CURRENT_FILE,
                anchor: r.id_span,
                spelling,
                node: &r.properties,
                primary: None,
            });
        }
    }
    if !from_template.is_empty() {
        return from_template;
    }
    let mut from_state = Vec::new();
    for snapshot in &cx.state.snapshots {
        let services = snapshot
            .root
            .get("ecs")
            .and_then(|e| e.get("services"))
            .map(Node::items)
            .unwrap_or(&[]);
        for s in services {
            let runs_it = s
                .get("taskDefinition")
                .and_then(Node::as_str)
                .and_then(crate::state::ecs::task_definition_family)
                == Some(family.as_str());
            if runs_it {
                from_state.push(api_view(s, snapshot.file, "the state file"));
            }
        }
    }
    from_state
}

/// A service in ECS API shape (create-service input, a describe-services item).
fn api_view<'n>(service: &'n Node, file: FileId, file_name: &str) -> ServiceView<'n> {
    let name = service.get("serviceName");
    let label = match name.and_then(Node::as_str) {
        Some(n) => format!("the service `{n}` in {file_name}"),
        None => format!("the service in {file_name}"),
    };
    let primary = service.get("deployments").and_then(|list| {
        list.items().iter().find(|d| {
            d.get("status")
                .and_then(Node::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("PRIMARY"))
        })
    });
    ServiceView {
        label,
        file,
        anchor: name.map(|n| n.span).unwrap_or(Span {
            start: service.span.start,
            end: service.span.start + 1,
        }),
        spelling: Spelling::Camel,
        node: service,
        primary,
    }
}

/// Reports at a place in the service's file: the file being checked, or another one (the
/// `--service` file, a state file), with a label on the task definition then.
pub fn report<'d>(
    rule: &'static Rule,
    task: &TaskDefinition,
    cx: &'d mut Context,
    service: (FileId, Span),
    message: String,
) -> &'d mut Diagnostic {
    let here = cx.file_id;
    let (file, span) = service;
    if file == CURRENT_FILE {
        return cx.report(rule, span, message);
    }
    let d = cx.report(rule, task.anchor, message);
    d.file = file;
    d.span = span;
    d.label(
        here,
        task.anchor,
        format!("the task definition `{}`", task.label),
    );
    d
}

/// The launch types the task definition was validated for: a describe output's
/// `compatibilities` when present, else `requiresCompatibilities`, else `EC2` alone (ECS API
/// reference, RegisterTaskDefinition and TaskDefinition). None when unknown.
pub fn validated_compatibilities(task: &TaskDefinition) -> Option<Vec<String>> {
    if task.origin == Origin::Native
        && let Some(list) = task.get("compatibilities")
    {
        let mut out = Vec::new();
        for item in list.items() {
            out.push(item.as_str()?.to_string());
        }
        if list.is_array() {
            return Some(out);
        }
    }
    let required = task.compatibilities()?;
    Some(if required.is_empty() {
        vec!["EC2".to_string()]
    } else {
        required
    })
}

/// A number written as a number or a string ("80").
pub fn number(node: &Node) -> Option<u64> {
    node.scalar_text().and_then(|t| t.trim().parse().ok())
}
