//! Where a task runs: its subnets, security groups, public IP, launch type and platform
//! version, from the first source that says (docs/inputs.md#where-the-task-runs):
//!
//! 1. the command line (`--subnets`, `--security-groups`, `--assign-public-ip`,
//!    `--launch-type`), field by field, over everything else;
//! 2. the `--service` file (create-service input, `{"service": …}`, or describe-services
//!    output `{"services": […]}`): the service whose `taskDefinition` names the task's family,
//!    or one that names none;
//! 3. the ECS service of the same template or plan that runs this task definition
//!    (`TaskDefinition: !Ref TaskDef`, `task_definition = aws_ecs_task_definition.x.arn`);
//! 4. the state files' `ecs.services` of the same family (the `PRIMARY` deployment's settings
//!    when `deployments` is present).
//!
//! The launch type is the command line's, else the service's (its `launchType`, or a capacity
//! provider strategy that is all Fargate or all Auto Scaling groups), else the only entry of
//! `requiresCompatibilities`, else unknown. The span of the field that supplied the subnets
//! and the security groups is kept when it is in a file the user gave (the `--service` file,
//! the template), for the rules' primary span.

use std::collections::HashMap;

use crate::base::known::Lookup;
use crate::diag::FileId;
use crate::net::help::Fix;
use crate::net::report::{Finding, NetworkReport};
use crate::net::task::{AssignPublicIp, LaunchType, OsFamily, TaskNetwork};
use crate::parse::{Node, NodeKind};
use crate::settings::NetworkFlags;
use crate::span::Span;
use crate::state::ecs::{EcsState, task_definition_family};
use crate::state::template::net::TemplateService;

/// A place in a file of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub file: FileId,
    pub span: Span,
}

/// The service configuration one source gives (absent fields are absent).
#[derive(Clone, Debug, Default)]
pub struct ServiceConfig {
    /// How messages name the source: "the service `web` in svc.json".
    pub source: String,
    pub subnets: Option<Result<Vec<String>, String>>,
    pub subnets_at: Option<Place>,
    pub security_groups: Option<Result<Vec<String>, String>>,
    pub security_groups_at: Option<Place>,
    /// Some(Ok(true)) for ENABLED.
    pub assign_public_ip: Option<Result<bool, String>>,
    pub launch_type: Option<LaunchType>,
    pub platform_version: Option<String>,
    /// Whether the source has an awsvpc network configuration at all.
    pub has_network: bool,
    pub cluster: Option<String>,
    pub service_name: Option<String>,
    /// The service's item in a state file, for a secondary label.
    pub state_item: Option<Place>,
}

/// Where a task runs, as far as it is known.
#[derive(Clone, Debug)]
pub struct Placement {
    /// Subnets, security groups (unknown: `security_groups_unknown`), public IP, launch type,
    /// platform version. `subnets` is empty when `subnets_unknown` says why.
    pub network: TaskNetwork,
    pub subnets_unknown: Option<String>,
    /// Which source gave the subnets ("--subnets", "the service `Svc` in this template", …).
    pub subnets_from: Option<String>,
    pub subnets_at: Option<Place>,
    pub security_groups_at: Option<Place>,
    /// Where the launch type was decided, for messages.
    pub launch_type_from: Option<String>,
    pub cluster: Option<String>,
    pub service_name: Option<String>,
    /// The service's item in a state file.
    pub state_item: Option<Place>,
}

/// What the NET rules found for one task definition, computed once per document.
#[derive(Debug)]
pub enum TaskAnalysis {
    /// Not evaluated, with the reason (for the run summary) and whether NET001 applies
    /// (an `awsvpc` task whose subnets are not known).
    NotEvaluated {
        reason: String,
        network_unknown: bool,
        placement: Option<Box<Placement>>,
        /// Whether the run summary has it already (the first NET rule that runs reports it).
        reported: std::sync::atomic::AtomicBool,
    },
    Analysed(Box<Analysed>),
}

#[derive(Debug)]
pub struct Analysed {
    pub placement: Placement,
    pub report: NetworkReport,
    /// The findings after NET002's suppression, each with its fix (AWS CLI and
    /// CloudFormation), computed while the index was at hand.
    pub findings: Vec<(Finding, Option<Fix>)>,
    /// One fix for every finding caused by the subnets having no internet path (NET003–NET007):
    /// a NAT route, or all the missing endpoints with one security group.
    pub cause_fix: Option<Fix>,
    /// The state file whose `ec2` section was used, if any.
    pub state_file: Option<FileId>,
    /// The execution role ARN when it is known (the principal of the endpoint policies).
    pub execution_role: Option<String>,
    /// Why some needs could not be worked out (unresolved images, …), for the run summary.
    pub unknown_needs: Vec<String>,
    /// Checks the launch type leaves out, for the run summary (EC2: the container instance's
    /// own network).
    pub notes: Vec<String>,
    /// Codes whose verdict depends on template conditions that cannot be evaluated, with why.
    pub undecided: Vec<(crate::net::report::NetCheck, String)>,
    /// Whether the run summary has the skips already (the first NET rule that runs reports
    /// them for all).
    pub skips_reported: std::sync::atomic::AtomicBool,
    /// Private ECR images whose pull is the first through a pull-through cache rule: the
    /// upstream registry must be reached (NET012).
    pub cache_first_pulls: Vec<CacheFirstPull>,
    /// The registry hosts outside ECR that the task's images name directly (NET012).
    pub direct_registries: Vec<String>,
}

/// A repository under a pull-through cache rule that does not exist yet: its first pull goes
/// to the upstream registry, which ECR endpoints do not carry
/// (docs/network.md#public-registries-and-pull-through-cache).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheFirstPull {
    /// The upstream registry (`upstreamRegistryUrl`), the key of the NET012 need.
    pub upstream: String,
    /// The rule's `ecrRepositoryPrefix`.
    pub prefix: String,
    pub repository: String,
    /// The first such image, as written.
    pub image: String,
    /// The containers whose image is in the repository.
    pub containers: Vec<String>,
}

/// The analyses of a document's task definitions, in the order of `Document::task_definitions`.
#[derive(Debug, Default)]
pub struct DocumentAnalysis {
    pub tasks: Vec<TaskAnalysis>,
    /// Spans of the state file's `ec2` items by id, for secondary labels.
    pub state_places: HashMap<String, Span>,
}

/// Reads the services of a `--service` file: create-service input (the object itself),
/// `{"service": {…}}` (create-service output) or `{"services": […]}` (describe-services).
pub fn service_file_configs(
    root: &Node,
    file: FileId,
    file_name: &str,
) -> Vec<(Option<String>, ServiceConfig)> {
    let services: Vec<&Node> = if let Some(list) = root.get("services") {
        list.items().iter().collect()
    } else if let Some(one) = root.get("service").filter(|n| n.is_object()) {
        vec![one]
    } else if root.is_object() {
        vec![root]
    } else {
        Vec::new()
    };
    services
        .into_iter()
        .map(|service| {
            let family = service
                .get("taskDefinition")
                .and_then(Node::as_str)
                .and_then(task_definition_family)
                .map(str::to_string);
            (family, api_service_config(service, file, file_name))
        })
        .collect()
}

/// One service object in API (camelCase) shape, with spans into `file`.
fn api_service_config(service: &Node, file: FileId, file_name: &str) -> ServiceConfig {
    let primary = service.get("deployments").and_then(|list| {
        list.items().iter().find(|d| {
            d.get("status")
                .and_then(Node::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("PRIMARY"))
        })
    });
    let pick = |key: &str| -> Option<&Node> {
        match primary {
            Some(p) if service.get("deployments").is_some() => p.get(key).or_else(|| {
                if key == "networkConfiguration" {
                    None
                } else {
                    service.get(key)
                }
            }),
            _ => service.get(key),
        }
    };
    let name = service
        .get("serviceName")
        .and_then(Node::as_str)
        .map(str::to_string);
    let mut config = ServiceConfig {
        source: match &name {
            Some(n) => format!("the service `{n}` in {file_name}"),
            None => format!("the service in {file_name}"),
        },
        service_name: name,
        cluster: service
            .get("cluster")
            .or_else(|| service.get("clusterArn"))
            .and_then(Node::as_str)
            .map(|c| c.rsplit('/').next().unwrap_or(c).to_string()),
        ..ServiceConfig::default()
    };
    let awsvpc = pick("networkConfiguration").and_then(|n| n.get("awsvpcConfiguration"));
    if let Some(awsvpc) = awsvpc {
        config.has_network = true;
        if let Some(node) = awsvpc.get("subnets") {
            config.subnets = Some(string_list(node));
            config.subnets_at = Some(Place {
                file,
                span: node.span,
            });
        }
        if let Some(node) = awsvpc.get("securityGroups") {
            config.security_groups = Some(string_list(node));
            config.security_groups_at = Some(Place {
                file,
                span: node.span,
            });
        }
        config.assign_public_ip = Some(match awsvpc.get("assignPublicIp").map(|n| &n.kind) {
            None | Some(NodeKind::Null) => Ok(false),
            Some(NodeKind::String(s)) if s.eq_ignore_ascii_case("ENABLED") => Ok(true),
            Some(NodeKind::String(s)) if s.eq_ignore_ascii_case("DISABLED") => Ok(false),
            Some(_) => Err("assignPublicIp is not ENABLED or DISABLED".to_string()),
        });
    }
    config.launch_type = match pick("launchType").and_then(Node::as_str) {
        Some(value) => Some(LaunchType::from_aws(Some(value))),
        None => pick("capacityProviderStrategy").map(|s| {
            let names: Vec<Option<String>> = s
                .items()
                .iter()
                .map(|i| {
                    i.get("capacityProvider")
                        .and_then(Node::as_str)
                        .map(str::to_string)
                })
                .collect();
            capacity_launch_type(&names)
        }),
    };
    config.platform_version = pick("platformVersion")
        .and_then(Node::as_str)
        .map(str::to_string);
    config
}

fn string_list(node: &Node) -> Result<Vec<String>, String> {
    match &node.kind {
        NodeKind::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("a list item is {}, not a string", i.type_name()))
            })
            .collect(),
        _ => Err(format!("expected a list, found {}", node.type_name())),
    }
}

/// All `FARGATE`/`FARGATE_SPOT` is Fargate; none of them is EC2; else unknown.
fn capacity_launch_type(names: &[Option<String>]) -> LaunchType {
    let items: Vec<crate::state::ecs::CapacityProviderStrategyItem> = names
        .iter()
        .map(|n| crate::state::ecs::CapacityProviderStrategyItem {
            capacity_provider: n.clone(),
            weight: None,
            base: None,
        })
        .collect();
    crate::net::task::launch_type_from_capacity_providers(&items)
}

/// A template service's configuration (spans in the current file).
pub fn template_service_config(service: &TemplateService, file: FileId) -> ServiceConfig {
    let list = |v: &Lookup<Vec<String>>| match v {
        Lookup::Found(list) => Some(Ok(list.clone())),
        Lookup::Absent => None,
        Lookup::Unknown(why) => Some(Err(why.clone())),
    };
    ServiceConfig {
        source: format!("the service `{}` in this template", service.id),
        subnets: list(&service.subnets),
        subnets_at: service.subnets_span.map(|span| Place { file, span }),
        security_groups: list(&service.security_groups),
        security_groups_at: service
            .security_groups_span
            .map(|span| Place { file, span }),
        assign_public_ip: match &service.assign_public_ip {
            Lookup::Found(b) => Some(Ok(*b)),
            Lookup::Absent if service.has_network_configuration => Some(Ok(false)),
            Lookup::Absent => None,
            Lookup::Unknown(why) => Some(Err(why.clone())),
        },
        launch_type: match (&service.launch_type, &service.capacity_providers) {
            (Lookup::Found(l), _) => Some(LaunchType::from_aws(Some(l))),
            (Lookup::Unknown(_), _) => Some(LaunchType::Unknown),
            (Lookup::Absent, Lookup::Found(names)) => Some(capacity_launch_type(
                &names.iter().cloned().map(Some).collect::<Vec<_>>(),
            )),
            (Lookup::Absent, Lookup::Unknown(_)) => Some(LaunchType::Unknown),
            (Lookup::Absent, Lookup::Absent) => None,
        },
        platform_version: service.platform_version.clone().found(),
        has_network: service.has_network_configuration,
        cluster: service.cluster.clone().found(),
        service_name: service.service_name.clone().found(),
        state_item: None,
    }
}

/// The state service to take for each family: the first whose effective configuration has
/// awsvpc settings, else the first (indices into `ecs.services`). Built once per state.
pub fn state_services_by_family(ecs: &EcsState) -> HashMap<&str, usize> {
    let mut chosen: HashMap<&str, (usize, bool)> = HashMap::new();
    for (i, service) in ecs.services.iter().flatten().enumerate() {
        let Some(family) = service.task_definition_family() else {
            continue;
        };
        let awsvpc = service.effective_awsvpc_configuration().is_some();
        match chosen.get(family) {
            Some((_, true)) => {}
            Some((_, false)) if !awsvpc => {}
            _ => {
                chosen.insert(family, (i, awsvpc));
            }
        }
    }
    chosen.into_iter().map(|(f, (i, _))| (f, i)).collect()
}

/// The configuration of the state service at `index` of `ecs.services`.
pub fn state_service_config(
    ecs: &EcsState,
    index: usize,
    file: FileId,
    file_name: &str,
    root: &Node,
) -> Option<ServiceConfig> {
    let service = ecs.services.as_ref()?.get(index)?;
    let name = service.service_name.clone();
    let mut config = ServiceConfig {
        source: match &name {
            Some(n) => format!("the service `{n}` in {file_name}"),
            None => format!("a service in {file_name}"),
        },
        service_name: name,
        cluster: service
            .cluster_arn
            .as_deref()
            .map(|c| c.rsplit('/').next().unwrap_or(c).to_string()),
        state_item: Some(Place {
            file,
            span: crate::state::snapshot::span_at(root, &format!("ecs.services[{index}]")),
        }),
        ..ServiceConfig::default()
    };
    if let Some(network) = TaskNetwork::from_ecs_service(service) {
        let awsvpc = service.effective_awsvpc_configuration();
        config.has_network = true;
        config.subnets = awsvpc.and_then(|a| a.subnets.clone()).map(Ok);
        config.security_groups = awsvpc.and_then(|a| a.security_groups.clone()).map(Ok);
        config.assign_public_ip = Some(match network.assign_public_ip {
            AssignPublicIp::Enabled => Ok(true),
            AssignPublicIp::Disabled => Ok(false),
            AssignPublicIp::Unknown => Err("assignPublicIp is not ENABLED or DISABLED".into()),
        });
        config.launch_type = Some(network.launch_type);
        config.platform_version = network.platform_version;
    } else {
        config.launch_type = service
            .effective_launch_type()
            .map(|l| LaunchType::from_aws(Some(l)))
            .or_else(|| {
                service
                    .effective_capacity_provider_strategy()
                    .map(crate::net::task::launch_type_from_capacity_providers)
            });
        config.platform_version = service.effective_platform_version().map(str::to_string);
    }
    // A service whose launch type is unknown says nothing more than no service at all.
    if config.launch_type == Some(LaunchType::Unknown) {
        config.launch_type = None;
    }
    Some(config)
}

/// Combines the command line with the first service configuration found.
pub fn resolve(
    flags: &NetworkFlags,
    service: Option<ServiceConfig>,
    compatibilities: Option<&[String]>,
    os_family: OsFamily,
) -> Placement {
    let service = service.unwrap_or_default();
    let mut network = TaskNetwork {
        subnets: Vec::new(),
        security_groups: Vec::new(),
        security_groups_unknown: None,
        assign_public_ip: AssignPublicIp::Disabled,
        launch_type: LaunchType::Unknown,
        platform_version: service.platform_version.clone(),
        os_family,
    };
    let mut placement = Placement {
        network: network.clone(),
        subnets_unknown: None,
        subnets_from: None,
        subnets_at: None,
        security_groups_at: None,
        launch_type_from: None,
        cluster: service.cluster.clone(),
        service_name: service.service_name.clone(),
        state_item: service.state_item,
    };
    if !flags.subnets.is_empty() {
        network.subnets = flags.subnets.clone();
        placement.subnets_from = Some("--subnets".into());
    } else {
        match &service.subnets {
            Some(Ok(list)) if !list.is_empty() => {
                network.subnets = list.clone();
                placement.subnets_from = Some(service.source.clone());
                placement.subnets_at = service.subnets_at;
            }
            Some(Ok(_)) => {
                placement.subnets_unknown = Some(format!("{} lists no subnets", service.source));
                placement.subnets_at = service.subnets_at;
            }
            Some(Err(why)) => {
                placement.subnets_unknown = Some(format!(
                    "the subnets of {} are not known: {why}",
                    service.source
                ));
                placement.subnets_at = service.subnets_at;
            }
            None if service.source.is_empty() => {
                placement.subnets_unknown =
                    Some("no service configuration was found for it".into());
            }
            None => {
                placement.subnets_unknown =
                    Some(format!("{} has no awsvpc subnets", service.source));
            }
        }
    }
    if !flags.security_groups.is_empty() {
        network.security_groups = flags.security_groups.clone();
    } else {
        match &service.security_groups {
            Some(Ok(list)) => {
                network.security_groups = list.clone();
                placement.security_groups_at = service.security_groups_at;
            }
            Some(Err(why)) => {
                network.security_groups_unknown = Some(format!(
                    "the security groups of {} are not known: {why}",
                    service.source
                ));
                placement.security_groups_at = service.security_groups_at;
            }
            None => {}
        }
    }
    network.assign_public_ip = match (flags.assign_public_ip, &service.assign_public_ip) {
        (Some(true), _) | (None, Some(Ok(true))) => AssignPublicIp::Enabled,
        (Some(false), _) | (None, Some(Ok(false))) | (None, None) => AssignPublicIp::Disabled,
        (None, Some(Err(_))) => AssignPublicIp::Unknown,
    };
    let single = compatibilities.and_then(|c| match c {
        [only] => Some(LaunchType::from_aws(Some(only))),
        _ => None,
    });
    (network.launch_type, placement.launch_type_from) =
        match (&flags.launch_type, service.launch_type, single) {
            (Some(flag), _, _) => (*flag, Some("--launch-type".to_string())),
            (None, Some(launch), _) if launch != LaunchType::Unknown => {
                (launch, Some(service.source.clone()))
            }
            (None, _, Some(launch)) if launch != LaunchType::Unknown => {
                (launch, Some("requiresCompatibilities".to_string()))
            }
            _ => (LaunchType::Unknown, None),
        };
    placement.network = network;
    placement
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json;

    #[test]
    fn describe_services_output_uses_the_primary_deployment() {
        let text = r#"{"services": [{"serviceName": "web", "clusterArn": "arn:aws:ecs:us-east-1:1:cluster/prod",
            "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/web:3",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-old"]}},
            "deployments": [{"status": "ACTIVE", "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-x"]}}},
                            {"status": "PRIMARY", "launchType": "FARGATE", "platformVersion": "1.3.0",
                             "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-new"], "securityGroups": ["sg-1"], "assignPublicIp": "ENABLED"}}}]}]}"#;
        let root = json::parse(text).unwrap();
        let configs = service_file_configs(&root, 3, "svc.json");
        assert_eq!(configs.len(), 1);
        let (family, config) = &configs[0];
        assert_eq!(family.as_deref(), Some("web"));
        assert_eq!(config.subnets, Some(Ok(vec!["subnet-new".to_string()])));
        assert_eq!(config.cluster.as_deref(), Some("prod"));
        let at = config.subnets_at.unwrap();
        assert_eq!(at.file, 3);
        assert_eq!(&text[at.span.range()], r#"["subnet-new"]"#);
        let placement = resolve(
            &NetworkFlags::default(),
            Some(config.clone()),
            None,
            OsFamily::Linux,
        );
        assert_eq!(placement.network.launch_type, LaunchType::Fargate);
        assert_eq!(placement.network.assign_public_ip, AssignPublicIp::Enabled);
        assert_eq!(placement.network.platform_version.as_deref(), Some("1.3.0"));
    }

    #[test]
    fn flags_override_field_by_field() {
        let text = r#"{"serviceName": "web", "launchType": "EC2",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a"], "securityGroups": ["sg-a"]}}}"#;
        let root = json::parse(text).unwrap();
        let (_, config) = service_file_configs(&root, 0, "svc.json").remove(0);
        let flags = NetworkFlags {
            subnets: vec!["subnet-b".into()],
            security_groups: vec![],
            assign_public_ip: Some(true),
            launch_type: Some(LaunchType::Fargate),
        };
        let placement = resolve(
            &flags,
            Some(config),
            Some(&["EC2".to_string()]),
            OsFamily::Linux,
        );
        assert_eq!(placement.network.subnets, ["subnet-b"]);
        assert_eq!(placement.subnets_at, None, "the flag is not in a file");
        assert_eq!(placement.network.security_groups, ["sg-a"]);
        assert!(placement.security_groups_at.is_some());
        assert_eq!(placement.network.launch_type, LaunchType::Fargate);
        assert_eq!(placement.network.assign_public_ip, AssignPublicIp::Enabled);
    }

    #[test]
    fn launch_type_falls_back_to_the_only_compatibility() {
        let placement = resolve(
            &NetworkFlags::default(),
            None,
            Some(&["FARGATE".to_string()]),
            OsFamily::Linux,
        );
        assert_eq!(placement.network.launch_type, LaunchType::Fargate);
        assert!(placement.subnets_unknown.is_some());
        let two = ["EC2".to_string(), "FARGATE".to_string()];
        let placement = resolve(&NetworkFlags::default(), None, Some(&two), OsFamily::Linux);
        assert_eq!(placement.network.launch_type, LaunchType::Unknown);
    }

    #[test]
    fn malformed_service_files_are_not_a_panic() {
        for text in [
            r#"[]"#,
            r#"{"services": 3}"#,
            r#"{"networkConfiguration": {"awsvpcConfiguration": {"subnets": "subnet-a"}}}"#,
        ] {
            let root = json::parse(text).unwrap();
            for (_, config) in service_file_configs(&root, 0, "x.json") {
                let placement = resolve(
                    &NetworkFlags::default(),
                    Some(config),
                    None,
                    OsFamily::Unknown,
                );
                assert!(placement.network.subnets.is_empty());
            }
        }
    }
}
