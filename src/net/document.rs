//! The network analysis of one document: where each task definition runs (placement), what
//! it must reach (its needs), and what the network offers (`analyze`), once per document and
//! per template condition variant. The NET rules read the result (`rules::net::analysis`).
//!
//! Launch types: on Fargate everything is evaluated on the task's subnets (the platform
//! version decides which interface carries what). On EC2 the container instance pulls the
//! image, fetches secrets and ships logs (inferred, docs/network.md#which-network-interface-pulls),
//! and its network is not in the state: `bridge`/`host`/`none` tasks are not evaluated; for
//! `awsvpc` tasks only the task's own public IP is checked, and the rest is a note.

use crate::base::known::Lookup;
use crate::diag::{CURRENT_FILE, FileId};
use crate::model::{Document, Origin, TaskDefinition};
use crate::net::help::{self, Fix};
use crate::net::placement::{
    self, Analysed, CacheFirstPull, DocumentAnalysis, Placement, ServiceConfig, TaskAnalysis,
};
use crate::net::report::{
    Finding, InternetVerdict, NetCheck, Problem, Subject, Target, UnknownItem,
};
use crate::net::task::{LaunchType, NoPublicIp, OsFamily};
use crate::net::{NetIndex, task_needs};
use crate::parse::{Node, NodeKind};
use crate::settings::Settings;
use crate::span::Span;
use crate::state::template::net::TemplateNet;
use crate::state::{AccountState, Snapshot};

/// What is the same for every task definition of a document.
#[derive(Clone, Copy)]
pub struct DocumentInputs<'a> {
    pub settings: &'a Settings,
    pub state: &'a AccountState,
    /// The `--service` file's root and file id.
    pub service_file: Option<(&'a Node, FileId)>,
}

/// The analysis of every task definition of `doc`, with one network index (per template
/// condition variant). `caches` holds each task definition's pull-through cache first pulls,
/// in document order.
pub fn analyse_document(
    doc: &Document,
    inputs: &DocumentInputs,
    template: &TemplateNet,
    caches: &[CachePulls],
) -> DocumentAnalysis {
    let DocumentInputs {
        settings,
        state,
        service_file,
    } = *inputs;
    let region = settings.region.clone();
    let snapshot = region
        .as_deref()
        .and_then(|r| deployment_snapshot(state, settings.account.as_deref(), r));
    let ec2 = snapshot.and_then(|s| s.ec2.as_ref());
    let services = service_file
        .map(|(root, file)| placement::service_file_configs(root, file, "the --service file"))
        .unwrap_or_default();
    let by_family = snapshot
        .and_then(|s| s.ecs.as_ref())
        .map(placement::state_services_by_family)
        .unwrap_or_default();
    let analyse_all = |template_ec2: Option<&crate::state::ec2::Ec2State>| -> Vec<TaskAnalysis> {
        let index = region
            .as_deref()
            .map(|r| NetIndex::with_template(template_ec2, ec2, r));
        doc.task_definitions
            .iter()
            .zip(caches)
            .map(|(task, cache)| {
                let config = service_config(task, &services, template, snapshot, &by_family);
                analyse_task(
                    task,
                    settings,
                    config,
                    index.as_ref(),
                    snapshot,
                    template_ec2.is_some(),
                    cache,
                    &state.s3,
                )
            })
            .collect()
    };
    let mut tasks = analyse_all(template.has_network.then_some(&template.ec2));
    // Conditions that cannot be evaluated: a verdict that changes with them is unknown.
    for variant in &template.variants {
        let other = analyse_all(Some(&variant.ec2));
        for ((task, other), definition) in tasks.iter_mut().zip(other).zip(&doc.task_definitions) {
            let (TaskAnalysis::Analysed(main), TaskAnalysis::Analysed(other)) = (task, other)
            else {
                continue;
            };
            let assumed = variant
                .assumptions
                .iter()
                .map(|(c, v)| format!("`{c}` {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            for check in NetCheck::ALL {
                if main.undecided.iter().any(|(c, _)| *c == check) {
                    continue;
                }
                if verdict_signature(main, check) != verdict_signature(&other, check) {
                    main.undecided.push((
                        check,
                        format!(
                            "{}: the verdict depends on template conditions that cannot be evaluated ({}; it differs with {assumed})",
                            definition.label,
                            template.uncertain_conditions.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    for task in tasks.iter_mut() {
        if let TaskAnalysis::Analysed(main) = task {
            let undecided: Vec<NetCheck> = main.undecided.iter().map(|(c, _)| *c).collect();
            main.findings
                .retain(|(f, _)| !undecided.contains(&f.problem.check()));
        }
    }
    DocumentAnalysis {
        tasks,
        state_places: snapshot.map(state_places).unwrap_or_default(),
    }
}

/// What a check's verdict is for a task: its findings, and for endpoint policies the policies.
fn verdict_signature(analysed: &Analysed, check: NetCheck) -> Vec<String> {
    let mut out: Vec<String> = analysed
        .findings
        .iter()
        .filter(|(f, _)| f.problem.check() == check)
        .map(|(f, _)| format!("{f:?}"))
        .collect();
    if check == NetCheck::EndpointPolicyDenies {
        out.extend(
            analysed
                .report
                .policy_checks
                .iter()
                .map(|c| format!("{c:?}")),
        );
    }
    out.sort();
    out
}

/// The state file of the deployment region (and account, when known).
fn deployment_snapshot<'s>(
    state: &'s AccountState,
    account: Option<&str>,
    region: &str,
) -> Option<&'s Snapshot> {
    if let Some(account) = account {
        return state.snapshot(account, region);
    }
    let mut in_region = state.snapshots.iter().filter(|s| s.region == region);
    match (in_region.next(), in_region.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// The first service configuration that applies to the task (after the command line).
fn service_config(
    task: &TaskDefinition,
    service_file: &[(Option<String>, ServiceConfig)],
    template: &TemplateNet,
    snapshot: Option<&Snapshot>,
    state_services: &std::collections::HashMap<&str, usize>,
) -> Option<ServiceConfig> {
    let family = task.get_str("family").unwrap_or(&task.label);
    if let Some((_, config)) = service_file
        .iter()
        .find(|(f, _)| f.as_deref().is_none_or(|f| f == family))
    {
        return Some(config.clone());
    }
    let own_id = match &task.origin {
        Origin::CloudFormation { logical_id } => Some(logical_id.as_str()),
        Origin::TerraformPlan { address } => Some(address.as_str()),
        Origin::Native => None,
    };
    for service in &template.services {
        let runs_it = match &service.task_definition {
            Lookup::Found(id) => {
                Some(id.as_str()) == own_id
                    || crate::state::ecs::task_definition_family(id) == Some(family)
            }
            _ => false,
        };
        if runs_it {
            return Some(placement::template_service_config(service, CURRENT_FILE));
        }
    }
    let snapshot = snapshot?;
    let ecs = snapshot.ecs.as_ref()?;
    placement::state_service_config(
        ecs,
        *state_services.get(family)?,
        snapshot.file,
        "the state file",
        &snapshot.root,
    )
}

fn os_family(task: &TaskDefinition) -> OsFamily {
    let value = task
        .get("runtimePlatform")
        .and_then(|p| crate::model::taskdef::field(p, task.style, "operatingSystemFamily"));
    match value.map(|n| &n.kind) {
        None => OsFamily::Linux,
        Some(NodeKind::String(s)) if s.eq_ignore_ascii_case("LINUX") => OsFamily::Linux,
        Some(NodeKind::String(s)) if s.to_ascii_uppercase().starts_with("WINDOWS") => {
            OsFamily::Windows
        }
        _ => OsFamily::Unknown,
    }
}

#[allow(clippy::too_many_arguments)]
fn analyse_task(
    task: &TaskDefinition,
    settings: &Settings,
    config: Option<ServiceConfig>,
    index: Option<&NetIndex>,
    snapshot: Option<&Snapshot>,
    template_network: bool,
    cache: &CachePulls,
    buckets: &crate::state::s3::S3Index,
) -> TaskAnalysis {
    let compatibilities = task.compatibilities();
    let placement = placement::resolve(
        &settings.network,
        config,
        compatibilities.as_deref(),
        os_family(task),
    );
    let not_evaluated =
        |reason: String, network_unknown: bool, placement: Placement| TaskAnalysis::NotEvaluated {
            reason,
            network_unknown,
            placement: Some(Box::new(placement)),
            reported: Default::default(),
        };
    let mode = task.network_mode();
    let launch = placement.network.launch_type;
    match mode {
        Some("awsvpc") => {}
        Some(mode) => {
            return not_evaluated(
                format!(
                    "uses network mode `{mode}`: on EC2 the container instance pulls the image, and its network is not in the state"
                ),
                false,
                placement,
            );
        }
        None if placement.network.subnets.is_empty() => {
            return not_evaluated(
                "the network mode is not known".to_string(),
                false,
                placement,
            );
        }
        // An awsvpc configuration means an awsvpc task (ECS refuses it otherwise).
        None => {}
    }
    if launch == LaunchType::External {
        return not_evaluated(
            "runs on ECS Anywhere: the on-premises network is not evaluated".to_string(),
            false,
            placement,
        );
    }
    if let Some(why) = &placement.subnets_unknown {
        return not_evaluated(format!("no subnets known: {why}"), true, placement);
    }
    let (Some(index), Some(region)) = (index, settings.region.as_deref()) else {
        return not_evaluated(
            "the deployment region is not known, so the network cannot be checked (pass --region)"
                .to_string(),
            false,
            placement,
        );
    };
    if snapshot.and_then(|s| s.ec2.as_ref()).is_none() && !template_network {
        return not_evaluated(
            format!(
                "no state file with an ec2 section for {region}{}, and the template defines no network",
                settings
                    .account
                    .as_deref()
                    .map(|a| format!(" and account {a}"))
                    .unwrap_or_default()
            ),
            false,
            placement,
        );
    }
    let (mut needs, unknown_needs) = task_needs::needs_of(task, region, buckets);
    let direct_registries = needs.public_registries.clone();
    for pull in &cache.first_pulls {
        needs.add_public_registry(&pull.upstream);
    }
    let mut report = crate::net::analyze(index, &placement.network, &needs);
    // Maybe a first pull through a cache rule: unknown where the internet is not certainly
    // reachable (elsewhere the first pull would work either way).
    let uncertain: Vec<String> = report
        .subnets
        .iter()
        .filter(|s| !matches!(s.internet, InternetVerdict::Yes(_)))
        .map(|s| s.subnet_id.clone())
        .collect();
    if !uncertain.is_empty() && launch != LaunchType::Ec2 {
        for (repository, containers, reason) in &cache.unknown {
            report.unknowns.push(UnknownItem {
                subject: Subject::Target(Target::PublicRegistry(format!(
                    "the upstream registry of `{repository}`"
                ))),
                reason: format!(
                    "{}: {reason}; a first pull through a pull-through cache rule needs an internet path (NAT) even with ECR endpoints, and these subnets have none for certain",
                    help::containers_words(containers)
                ),
                subnets: uncertain.clone(),
            });
        }
    }
    let mut notes = Vec::new();
    let mut findings: Vec<(Finding, Option<Fix>)> = report
        .findings_after_suppression()
        .into_iter()
        .map(|finding| {
            let fix = match &finding.problem {
                Problem::PublicIpDisabled {
                    why: NoPublicIp::AssignPublicIpDisabled,
                    ..
                } => Some(help::enable_public_ip(
                    placement.cluster.as_deref(),
                    placement.service_name.as_deref(),
                    &placement.network.subnets,
                    &report.task_security_groups,
                )),
                _ => help::suggested_fix(index, &report, &finding),
            };
            (finding, fix)
        })
        .collect();
    if launch == LaunchType::Ec2 {
        // The container instance, not the task's network interface, pulls the image, fetches
        // secrets and sends logs: the task's subnets say nothing about that path.
        findings.clear();
        notes.push(
            "runs on EC2: the container instance pulls the image, fetches secrets and sends logs over its own network, which is not in the state, so the pull path is not evaluated"
                .to_string(),
        );
    } else if launch != LaunchType::Fargate {
        // NET002 is about the task's own public IP, which only Fargate pulls over.
        findings.retain(|(f, _)| !matches!(f.problem, Problem::PublicIpDisabled { .. }));
    }
    for why in &unknown_needs {
        notes.push(why.clone());
    }
    let cause_fix = {
        let unreachable: Vec<&Finding> = findings.iter().map(|(f, _)| f).collect();
        help::no_internet_path(index, &report, &unreachable)
    };
    TaskAnalysis::Analysed(Box::new(Analysed {
        cause_fix,
        execution_role: task
            .get_str("executionRoleArn")
            .filter(|a| a.starts_with("arn:"))
            .map(str::to_string),
        placement,
        report,
        findings,
        state_file: snapshot.filter(|s| s.ec2.is_some()).map(|s| s.file),
        unknown_needs,
        notes,
        undecided: Vec::new(),
        skips_reported: Default::default(),
        cache_first_pulls: cache.first_pulls.clone(),
        direct_registries,
    }))
}

/// What the task's private ECR images need of pull-through cache rules: first pulls (the
/// upstream must be reached) and images for which that is not known (with why).
#[derive(Debug, Default)]
pub struct CachePulls {
    pub first_pulls: Vec<CacheFirstPull>,
    /// Repository, its containers, why it is not known.
    pub unknown: Vec<(String, Vec<String>, String)>,
}

/// The items of a state file's `ec2` section by id, with their spans (built once per
/// document, for secondary labels).
fn state_places(snapshot: &Snapshot) -> std::collections::HashMap<String, Span> {
    let mut places = std::collections::HashMap::new();
    let Some(ec2) = snapshot.root.get("ec2") else {
        return places;
    };
    for (section, key) in [
        ("VpcEndpoints", "VpcEndpointId"),
        ("SecurityGroups", "GroupId"),
        ("RouteTables", "RouteTableId"),
        ("Subnets", "SubnetId"),
        ("Vpcs", "VpcId"),
        ("NatGateways", "NatGatewayId"),
    ] {
        for item in ec2.get(section).map(Node::items).unwrap_or(&[]) {
            if let Some(id) = item.get(key).and_then(Node::as_str) {
                places.entry(id.to_string()).or_insert(item.span);
            }
        }
    }
    places
}
