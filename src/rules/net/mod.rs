//! NET: can the task reach the registry, S3, CloudWatch Logs and Secrets Manager from its subnets (network state).
//!
//! The analysis is done once per document (the first NET rule that runs computes it for every
//! task definition of the document, with one network index; see [`analysis`]), and each rule
//! reports the findings of its code:
//!
//! - where the task runs: `net::placement` (command line, `--service`, the template's service,
//!   the state's services);
//! - what it must reach: private ECR images (`ecr.api`, `ecr.dkr`, S3 in the registry's
//!   region), awslogs (`logs` in `awslogs-region`), `secrets`/`secretOptions` (Secrets Manager
//!   or SSM by `valueFrom`), `repositoryCredentials` (Secrets Manager), other registries (the
//!   internet);
//! - the network: the template's own VPC resources layered over the state file of the
//!   deployment account and region; `net::analyze` decides.
//!
//! Launch types: on Fargate everything is evaluated on the task's subnets (the platform
//! version decides which interface carries what). On EC2 the container instance pulls the
//! image, fetches secrets and ships logs (inferred, docs/network.md#which-network-interface-pulls),
//! and its network is not in the state: `bridge`/`host`/`none` tasks are not evaluated; for
//! `awsvpc` tasks only NET002 (the task's interface never gets a public IP,
//! rules/NET002-public-ip-disabled.md) is reported, and the rest goes to the run summary.

pub mod cross_region_over_endpoints;
pub mod ecr_api_unreachable;
pub mod ecr_dkr_unreachable;
pub mod egress_unverifiable;
pub mod endpoint_policy_denies;
pub mod endpoint_private_dns_disabled;
pub mod endpoint_sg_blocks_https;
pub mod logs_unreachable;
pub mod network_unknown;
pub mod public_ip_disabled;
pub mod public_registry_unreachable;
pub mod s3_layers_unreachable;
pub mod secrets_unreachable;
pub mod task_egress_blocks_https;
pub mod vpc_dns_disabled;

use crate::diag::CURRENT_FILE;
use crate::diag::{Diagnostic, FileId};
use crate::model::image_ref::{self, Registry};
use crate::model::placeholder::placeholder;
use crate::model::{Document, Origin, TaskDefinition};
use crate::net::help::{self, Fix};
use crate::net::placement::{
    self, Analysed, CacheFirstPull, DocumentAnalysis, Place, Placement, ServiceConfig, TaskAnalysis,
};
use crate::net::report::{
    Finding, InternetPath, InternetVerdict, NetCheck, Problem, Subject, Target, UnknownItem,
};
use crate::net::services::ServiceKind;
use crate::net::task::{LaunchType, NoPublicIp, OsFamily};
use crate::net::{Needs, NetIndex, Request};
use crate::parse::{Node, NodeKind};
use crate::rules::ecr::CachePull;
use crate::rules::{Context, Rule};
use crate::settings::Settings;
use crate::span::Span;
use crate::state::template::net::TemplateNet;
use crate::state::{AccountState, Snapshot};

/// This family's rules, in code order.
pub static RULES: &[&Rule] = &[
    &network_unknown::RULE,
    &public_ip_disabled::RULE,
    &ecr_api_unreachable::RULE,
    &ecr_dkr_unreachable::RULE,
    &s3_layers_unreachable::RULE,
    &logs_unreachable::RULE,
    &secrets_unreachable::RULE,
    &endpoint_private_dns_disabled::RULE,
    &endpoint_sg_blocks_https::RULE,
    &task_egress_blocks_https::RULE,
    &endpoint_policy_denies::RULE,
    &public_registry_unreachable::RULE,
    &cross_region_over_endpoints::RULE,
    &egress_unverifiable::RULE,
    &vpc_dns_disabled::RULE,
];

/// The rule that reports a verdict of the network analysis: the one place where NET rules
/// and the analysis's checks meet.
pub fn rule_of(check: NetCheck) -> &'static Rule {
    match check {
        NetCheck::PublicIpDisabled => &public_ip_disabled::RULE,
        NetCheck::EcrApiUnreachable => &ecr_api_unreachable::RULE,
        NetCheck::EcrDkrUnreachable => &ecr_dkr_unreachable::RULE,
        NetCheck::S3LayersUnreachable => &s3_layers_unreachable::RULE,
        NetCheck::LogsUnreachable => &logs_unreachable::RULE,
        NetCheck::SecretsUnreachable => &secrets_unreachable::RULE,
        NetCheck::EndpointPrivateDnsDisabled => &endpoint_private_dns_disabled::RULE,
        NetCheck::EndpointSgBlocksHttps => &endpoint_sg_blocks_https::RULE,
        NetCheck::TaskEgressBlocksHttps => &task_egress_blocks_https::RULE,
        NetCheck::EndpointPolicyDenies => &endpoint_policy_denies::RULE,
        NetCheck::PublicRegistryUnreachable => &public_registry_unreachable::RULE,
        NetCheck::CrossRegionOverEndpoints => &cross_region_over_endpoints::RULE,
        NetCheck::EgressUnverifiable => &egress_unverifiable::RULE,
        NetCheck::VpcDnsDisabled => &vpc_dns_disabled::RULE,
    }
}

/// Whether `check` is reported by `rule`.
fn reports(rule: &Rule, check: NetCheck) -> bool {
    std::ptr::eq(rule_of(check), rule)
}

/// The analysis of `task`, computed for the whole document on first use.
pub fn analysis<'a>(task: &TaskDefinition, cx: &Context<'a>) -> Option<&'a TaskAnalysis> {
    let template: &'a TemplateNet = &cx.template.net;
    let document: &'a Document = cx.document;
    let all = cx
        .document_facts
        .network
        .get_or_init(|| analyse_document(document, cx, template));
    // The task's position from its address in the document's list (no search: 10,000 task
    // definitions times 15 rules would make a linear search quadratic).
    let size = std::mem::size_of::<TaskDefinition>().max(1);
    let offset = (task as *const TaskDefinition as usize)
        .checked_sub(document.task_definitions.as_ptr() as usize)?;
    let position = offset / size;
    let same = document
        .task_definitions
        .get(position)
        .is_some_and(|t| std::ptr::eq(t, task));
    if !same {
        return None;
    }
    all.tasks.get(position)
}

/// The findings of one code for a task, or the reason the check was not made (already
/// recorded as skipped).
/// A finding with its fix.
pub type FindingWithFix = (Finding, Option<Fix>);

pub fn findings_for<'a>(
    rule: &'static Rule,
    task: &TaskDefinition,
    cx: &mut Context<'a>,
) -> Option<(&'a Analysed, Vec<&'a FindingWithFix>)> {
    let analysis = analysis(task, cx)?;
    report_skips_once(task, analysis, cx);
    let analysed = match analysis {
        TaskAnalysis::NotEvaluated { .. } => return None,
        TaskAnalysis::Analysed(analysed) => analysed.as_ref(),
    };
    if analysed.undecided.iter().any(|(c, _)| reports(rule, *c)) {
        return None;
    }
    let mine = analysed
        .findings
        .iter()
        .filter(|(f, _)| reports(rule, f.problem.check()))
        .collect();
    Some((analysed, mine))
}

/// Records in the run summary, once per task definition for all NET rules, what could not be
/// checked and why (one entry per reason, naming every rule it leaves undecided).
fn report_skips_once(_task: &TaskDefinition, analysis: &TaskAnalysis, cx: &mut Context) {
    let reported = match analysis {
        TaskAnalysis::NotEvaluated { reported, .. } => reported,
        TaskAnalysis::Analysed(a) => &a.skips_reported,
    };
    if reported.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let rules = |checks: &[NetCheck]| -> Vec<&'static Rule> {
        RULES
            .iter()
            .copied()
            .filter(|r| checks.iter().any(|c| reports(r, *c)))
            .collect()
    };
    let all_but = |skip: &[&Rule]| -> Vec<&'static Rule> {
        RULES
            .iter()
            .copied()
            .filter(|r| !skip.iter().any(|s| std::ptr::eq(*s, *r)))
            .collect()
    };
    match analysis {
        TaskAnalysis::NotEvaluated { reason, .. } => {
            cx.skip(&all_but(&[&network_unknown::RULE]), reason.clone());
        }
        TaskAnalysis::Analysed(analysed) => {
            for (check, why) in &analysed.undecided {
                cx.skip(&rules(&[*check]), why.clone());
            }
            for unknown in &analysed.report.unknowns {
                cx.skip(
                    &rules(&unknown.subject.checks()),
                    format!(
                        "{} (subnets {})",
                        unknown.reason,
                        unknown.subnets.join(", ")
                    ),
                );
            }
            for note in &analysed.notes {
                cx.skip(
                    &all_but(&[&network_unknown::RULE, &public_ip_disabled::RULE]),
                    note.clone(),
                );
            }
            match analysed.placement.network.launch_type {
                LaunchType::Fargate => {}
                LaunchType::Ec2 => cx.skip(
                    &[&public_ip_disabled::RULE],
                    "runs on EC2: the image is pulled over the container instance's network, not the task's public IP",
                ),
                _ => cx.skip(
                    &[&public_ip_disabled::RULE],
                    "the launch type is not known: the task's public IP matters only on Fargate (on EC2 the container instance pulls the image)",
                ),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The document analysis

/// `cx` is the context of the document's first task definition: only what is the same for the
/// whole document (settings, state, template, `--service` file) is read from it.
fn analyse_document(doc: &Document, cx: &Context, template: &TemplateNet) -> DocumentAnalysis {
    let (settings, state, service_file) = (cx.settings, cx.state, cx.service_file);
    let region = settings.region.clone();
    let snapshot = region
        .as_deref()
        .and_then(|r| deployment_snapshot(state, settings.account.as_deref(), r));
    let ec2 = snapshot.and_then(|s| s.ec2.as_ref());
    let services = service_file
        .map(|f| placement::service_file_configs(&f.root, f.file, "the --service file"))
        .unwrap_or_default();
    let by_family = snapshot
        .and_then(|s| s.ecs.as_ref())
        .map(placement::state_services_by_family)
        .unwrap_or_default();
    // Pull-through cache first pulls (ECR state), the same in every variant.
    let caches: Vec<CachePulls> = doc
        .task_definitions
        .iter()
        .map(|task| cache_pulls(task, cx))
        .collect();
    let analyse_all = |template_ec2: Option<&crate::state::ec2::Ec2State>| -> Vec<TaskAnalysis> {
        let index = region
            .as_deref()
            .map(|r| NetIndex::with_template(template_ec2, ec2, r));
        doc.task_definitions
            .iter()
            .zip(&caches)
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
            crate::state::template::net::Value::Known(id) => {
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
    let (mut needs, unknown_needs) = needs_of(task, region, buckets);
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
                    containers_words(containers)
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
struct CachePulls {
    first_pulls: Vec<CacheFirstPull>,
    /// Repository, its containers, why it is not known.
    unknown: Vec<(String, Vec<String>, String)>,
}

fn cache_pulls(task: &TaskDefinition, cx: &Context) -> CachePulls {
    let mut out = CachePulls::default();
    for container in task.containers() {
        let Some(NodeKind::String(text)) = container.get("image").map(|n| &n.kind) else {
            continue;
        };
        if placeholder(text).is_some() {
            continue;
        }
        let Ok(image) = image_ref::parse(text) else {
            continue;
        };
        let name = container.label();
        match crate::rules::ecr::first_pull_through_cache(cx, &image) {
            CachePull::No => {}
            CachePull::FirstPull { repository, rule } => {
                let known = out
                    .first_pulls
                    .iter_mut()
                    .find(|p| p.repository == repository && p.prefix == rule.prefix);
                match known {
                    Some(p) => p.containers.push(name),
                    None => out.first_pulls.push(CacheFirstPull {
                        upstream: rule.upstream.clone().unwrap_or_else(|| {
                            format!("the upstream registry of the cache rule `{}`", rule.prefix)
                        }),
                        prefix: rule.prefix,
                        repository,
                        image: text.clone(),
                        containers: vec![name],
                    }),
                }
            }
            CachePull::Unknown { repository, reason } => {
                match out.unknown.iter_mut().find(|(r, _, _)| *r == repository) {
                    Some((_, containers, _)) => containers.push(name),
                    None => out.unknown.push((repository, vec![name], reason)),
                }
            }
        }
    }
    out
}

/// "container `web`", "containers `web`, `worker`".
pub fn containers_words(containers: &[String]) -> String {
    let names: Vec<String> = containers.iter().map(|c| format!("`{c}`")).collect();
    if names.len() == 1 {
        format!("container {}", names[0])
    } else {
        format!("containers {}", names.join(", "))
    }
}

/// What a task must reach while it starts, and what could not be worked out.
pub fn needs_of(
    task: &TaskDefinition,
    region: &str,
    buckets: &crate::state::s3::S3Index,
) -> (Needs, Vec<String>) {
    let mut needs = Needs::new();
    let mut unknown = Vec::new();
    for container in task.containers() {
        let name = container.label();
        // Environment files come from S3 in their bucket's region, which only the state knows
        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/use-environment-file.html).
        for item in container
            .get("environmentFiles")
            .map(Node::items)
            .unwrap_or(&[])
        {
            let Some(value) = crate::model::taskdef::field(item, container.style, "value") else {
                continue;
            };
            let object = match &value.kind {
                NodeKind::String(s) if placeholder(s).is_none() => crate::rules::refs::s3_object(s),
                _ => Err("is not known before deploy".to_string()),
            };
            let region = object.and_then(|(bucket, _)| match buckets.bucket(&bucket, None) {
                crate::base::known::Lookup::Found(b) => Ok(b.region.clone()),
                _ => Err(format!(
                    "is in the bucket `{bucket}`, whose region no state file's `s3.buckets` gives"
                )),
            });
            match region {
                Ok(r) => needs.add_environment_file(&r),
                Err(why) => unknown.push(format!(
                    "an environment file of container `{name}` {why}, so its path to S3 was not checked"
                )),
            }
        }
        match container.get("image").map(|n| &n.kind) {
            Some(NodeKind::String(text)) => match placeholder(text) {
                Some(why) => unknown.push(format!(
                    "the image of container `{name}` is not known ({why}), so its registry path was not checked"
                )),
                // An image that does not parse is IMG001's.
                None => {
                    if let Ok(image) = image_ref::parse(text) {
                        match &image.registry {
                            Registry::Ecr {
                                account,
                                region: registry_region,
                                dual_stack,
                                ..
                            } => {
                                let repository = image.ecr_repository_name().unwrap_or_default();
                                needs.add_private_ecr_image(
                                    registry_region,
                                    account,
                                    repository,
                                    *dual_stack,
                                );
                            }
                            Registry::EcrPublic | Registry::DockerHub | Registry::Other => {
                                let host = match image.registry {
                                    Registry::DockerHub => "registry-1.docker.io",
                                    _ => image.registry_host(),
                                };
                                needs.add_public_registry(host);
                            }
                        }
                    }
                }
            },
            Some(NodeKind::Unresolved(why)) => unknown.push(format!(
                "the image of container `{name}` is not known ({why}), so its registry path was not checked"
            )),
            Some(NodeKind::ResourceRef { id, .. }) => unknown.push(format!(
                "the image of container `{name}` comes from `{id}` at deploy time, so its registry path was not checked"
            )),
            _ => {}
        }
        let awslogs = container
            .log_driver()
            .and_then(Node::as_str)
            .is_some_and(|d| d == "awslogs");
        if awslogs {
            match container.log_option("awslogs-region").map(|n| &n.kind) {
                Some(NodeKind::String(r)) if !r.is_empty() && placeholder(r).is_none() => {
                    needs.add_service(ServiceKind::Logs, r, false, Vec::new())
                }
                // TD004 reports a missing region; an unresolved one is unknown.
                None => {}
                Some(_) => unknown.push(format!(
                    "the awslogs-region of container `{name}` is not known, so its path to CloudWatch Logs was not checked"
                )),
            }
        }
        let mut secrets: Vec<&Node> = Vec::new();
        for list in [
            container.get("secrets"),
            container
                .get("logConfiguration")
                .and_then(|lc| crate::model::taskdef::field(lc, container.style, "secretOptions")),
        ]
        .into_iter()
        .flatten()
        {
            for item in list.items() {
                if let Some(v) = crate::model::taskdef::field(item, container.style, "valueFrom") {
                    secrets.push(v);
                }
            }
        }
        for value in secrets {
            match secret_service(value, region) {
                Ok((kind, secret_region)) => {
                    needs.add_service(kind, &secret_region, false, Vec::new())
                }
                Err(why) => unknown.push(format!(
                    "a secret of container `{name}` {why}, so its path was not checked"
                )),
            }
        }
        if let Some(parameter) = container.get("repositoryCredentials").and_then(|rc| {
            crate::model::taskdef::field(rc, container.style, "credentialsParameter")
        }) {
            match secret_service(parameter, region) {
                Ok((_, secret_region)) => needs.add_service(
                    ServiceKind::SecretsManager,
                    &secret_region,
                    false,
                    Vec::new(),
                ),
                Err(why) => unknown.push(format!(
                    "the repository credentials of container `{name}` {why}, so their path was not checked"
                )),
            }
        }
    }
    (needs, unknown)
}

/// The service and region a `valueFrom` is read from: a Secrets Manager or SSM ARN, or an SSM
/// parameter name (in the task's region).
fn secret_service(value: &Node, region: &str) -> Result<(ServiceKind, String), String> {
    let text = match &value.kind {
        NodeKind::String(s) if placeholder(s).is_none() => s.as_str(),
        NodeKind::ResourceRef { id, .. } => {
            // A secret or parameter of the same template: the deployment region.
            let _ = id;
            return Err(
                "comes from a resource of the template whose service is not told here".into(),
            );
        }
        _ => return Err("is not known before deploy".into()),
    };
    if let Some(rest) = text.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let (service, secret_region) = match parts.as_slice() {
            [_, service, region, ..] => (*service, *region),
            _ => return Err(format!("has the malformed ARN `{text}`")),
        };
        let secret_region = if secret_region.is_empty() {
            region
        } else {
            secret_region
        };
        return match service {
            "secretsmanager" => Ok((ServiceKind::SecretsManager, secret_region.to_string())),
            "ssm" => Ok((ServiceKind::Ssm, secret_region.to_string())),
            other => Err(format!(
                "is read from `{other}`, which this check does not know"
            )),
        };
    }
    // A bare name is an SSM parameter of the task's region.
    Ok((ServiceKind::Ssm, region.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Reporting helpers shared by the rules

/// Where a NET diagnostic points (docs/network.md#how-net-findings-are-reported).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrimarySpan {
    /// The file and span of the primary span: `CURRENT_FILE` for the file being checked.
    pub at: Place,
    /// When the primary span is in another file (the `--service` file): the task definition's
    /// `networkMode` (or `family`/logical ID), for a secondary label naming the task.
    pub task_at: Option<Span>,
    /// Where the settings come from when that is not the primary span.
    pub elsewhere: Option<Place>,
}

/// Where a NET diagnostic points: the field that supplied the subnets (or the security groups,
/// for the group rules) when it is in a file we read (the file being checked, or the
/// `--service` file); otherwise the task definition's `networkMode` (or `family`/logical ID),
/// with a label on where the settings come from.
pub fn primary_span(
    task: &TaskDefinition,
    placement: &Placement,
    groups_first: bool,
    service_file: Option<FileId>,
) -> PrimarySpan {
    let at = if groups_first {
        placement.security_groups_at.or(placement.subnets_at)
    } else {
        placement.subnets_at.or(placement.security_groups_at)
    };
    let task_span = task
        .get("networkMode")
        .map(|n| n.span)
        .unwrap_or(task.anchor);
    match at {
        Some(place) if place.file == CURRENT_FILE => PrimarySpan {
            at: place,
            task_at: None,
            elsewhere: None,
        },
        Some(place) if Some(place.file) == service_file => PrimarySpan {
            at: place,
            task_at: Some(task_span),
            elsewhere: None,
        },
        other => PrimarySpan {
            at: Place {
                file: CURRENT_FILE,
                span: task_span,
            },
            task_at: None,
            elsewhere: other,
        },
    }
}

/// Reports `message` at a NET primary span: in the file being checked, or in the `--service`
/// file with a secondary label on the task definition (the diagnostic is still the task
/// definition's: `taskDefinition` names it).
pub fn report_at<'d>(
    rule: &'static Rule,
    task: &TaskDefinition,
    cx: &'d mut Context,
    primary: &PrimarySpan,
    message: String,
) -> &'d mut Diagnostic {
    let here = cx.file_id;
    match primary.task_at {
        None => cx.report(rule, primary.at.span, message),
        Some(task_span) => {
            // Made at the task definition's span (so that labels for values taken from
            // parameters are right), then moved to the service file.
            let d = cx.report(rule, task_span, message);
            d.file = primary.at.file;
            d.span = primary.at.span;
            d.label(
                here,
                task_span,
                format!("the task definition `{}`", task.label),
            );
            d
        }
    }
}

/// Reports a NET finding at its primary span, with the labels every NET diagnostic carries
/// (the `--service` file field, the state file's service item).
pub fn report<'d>(
    rule: &'static Rule,
    task: &TaskDefinition,
    cx: &'d mut Context,
    analysed: &Analysed,
    groups_first: bool,
    message: String,
) -> &'d mut Diagnostic {
    let service_file = cx.service_file.map(|f| f.file);
    let primary = primary_span(task, &analysed.placement, groups_first, service_file);
    let placement = &analysed.placement;
    let from = placement.subnets_from.clone();
    let subnets = subnet_set(analysed);
    let d = report_at(rule, task, cx, &primary, message);
    // The span is the task's network field; what the finding is about is the subnet set.
    d.subject(format!("subnets {subnets}"));
    if primary.task_at.is_some() {
        d.primary_label(if Some(primary.at) == placement.subnets_at {
            "the task's subnets come from here"
        } else {
            "the task's security groups come from here"
        });
    }
    if let Some(place) = primary.elsewhere {
        d.label(
            place.file,
            place.span,
            "the subnets and security groups come from here",
        );
    } else if let Some(from) = from
        && from == "--subnets"
    {
        d.primary_label("subnets from --subnets");
    }
    if let Some(place) = placement.state_item {
        d.label(place.file, place.span, "the service in the state file");
    }
    d
}

/// Where a network resource is declared: in the template, or its item in the state file.
pub fn resource_place(cx: &Context, analysed: &Analysed, id: &str) -> Option<Place> {
    if let Some(span) = cx.template.net.span_of(id) {
        return Some(Place {
            file: CURRENT_FILE,
            span,
        });
    }
    let file = analysed.state_file?;
    let all = cx.document_facts.network.get()?;
    all.state_places.get(id).map(|&span| Place { file, span })
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

/// "`subnet-a`, `subnet-b` (route table rtb-a: no 0.0.0.0/0 route), `subnet-c` (…)": subnets
/// that share a route table and a verdict are named together.
pub fn subnets_with_reasons(analysed: &Analysed, finding: &Finding) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for s in &finding.subnets {
        let why = analysed
            .report
            .subnet(&s.subnet_id)
            .map(|r| internet_words(&r.internet))
            .unwrap_or_default();
        let table = s
            .route_table_id
            .as_deref()
            .map(|t| format!("route table {t}: "))
            .unwrap_or_default();
        let reason = if why.is_empty() {
            String::new()
        } else {
            format!("{table}{why}")
        };
        let name = format!("`{}`", s.subnet_id);
        match groups.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, names)) => names.push(name),
            None => groups.push((reason, vec![name])),
        }
    }
    groups
        .into_iter()
        .map(|(reason, names)| {
            let names = names.join(", ");
            if reason.is_empty() {
                names
            } else {
                format!("{names} ({reason})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn subnet_list(finding: &Finding) -> String {
    finding
        .subnets
        .iter()
        .map(|s| format!("`{}`", s.subnet_id))
        .collect::<Vec<_>>()
        .join(", ")
}

fn internet_words(verdict: &InternetVerdict) -> String {
    match verdict {
        InternetVerdict::Yes(InternetPath::InternetGateway {
            internet_gateway_id,
        }) => {
            format!("internet through {internet_gateway_id}")
        }
        InternetVerdict::Yes(InternetPath::NatGateway { nat_gateway_id, .. }) => {
            format!("internet through NAT gateway {nat_gateway_id}")
        }
        InternetVerdict::PublicIpMissing {
            internet_gateway_id,
            why: NoPublicIp::AssignPublicIpDisabled,
        } => format!(
            "routes to internet gateway {internet_gateway_id}, but assignPublicIp is DISABLED"
        ),
        InternetVerdict::PublicIpMissing {
            internet_gateway_id,
            why: NoPublicIp::Ec2LaunchType,
        } => format!(
            "routes to internet gateway {internet_gateway_id}, but EC2 task interfaces get no public IP"
        ),
        InternetVerdict::No(reason) => reason.to_string(),
        InternetVerdict::Unverifiable { target, .. } => {
            format!("the default route goes to {target}")
        }
        InternetVerdict::Unknown(reason) => reason.clone(),
    }
}

/// The help text of a finding: the fix's summary, AWS CLI commands and CloudFormation snippet.
pub fn fix_help(cx: &Context, lead: &str, fix: Option<&Fix>) -> String {
    let terraform = cx.document.format.is_terraform();
    match fix.map(|f| template_fix(f, cx)) {
        None => lead.to_string(),
        // A plan's fix belongs in the Terraform configuration: the CLI shows what to change.
        Some(fix) if terraform => format!(
            "{lead}: {} ({})\nAWS CLI equivalent:\n{}",
            fix.summary,
            if cx.document.format == crate::model::Format::TerraformSource {
                "in the Terraform configuration"
            } else {
                "in the Terraform configuration that made this plan"
            },
            indent(&fix.cli)
        ),
        Some(fix) => format!(
            "{lead}: {}\nAWS CLI:\n{}CloudFormation:\n{}",
            fix.summary,
            indent(&fix.cli),
            indent(&fix.cloudformation)
        ),
    }
}

/// A fix whose ids are a template's logical IDs or addresses: the CLI gets placeholders for
/// their physical ids, and a CloudFormation snippet refers to them with `!Ref`.
pub fn template_fix(fix: &Fix, cx: &Context) -> Fix {
    let net = &cx.template.net;
    if net.spans.is_empty() {
        return fix.clone();
    }
    let mut ids: Vec<&str> = net.spans.keys().map(String::as_str).collect();
    // Synthesized resources (`Vpc.DefaultSecurityGroup`) are attributes of their VPC.
    let synthesized: Vec<String> = net
        .ec2
        .vpcs
        .iter()
        .flatten()
        .filter_map(|v| v.vpc_id.clone())
        .flat_map(|v| {
            [
                format!("{v}.DefaultSecurityGroup"),
                format!("{v}.MainRouteTable"),
            ]
        })
        .collect();
    ids.extend(synthesized.iter().map(String::as_str));
    ids.sort_by_key(|id| std::cmp::Reverse(id.len()));
    let cloudformation = cx.document.format == crate::model::Format::CloudFormation;
    let cli = replace_ids(&fix.cli, &ids, |id| format!("<id of {id}>"), true);
    let cfn = if cloudformation {
        replace_ids(
            &fix.cloudformation,
            &ids,
            |id| match id.split_once('.') {
                Some((resource, attribute)) => format!("!GetAtt {resource}.{attribute}"),
                None => format!("!Ref {id}"),
            },
            false,
        )
    } else {
        fix.cloudformation.clone()
    };
    Fix {
        summary: fix.summary.clone(),
        cli,
        cloudformation: cfn,
    }
}

/// Replaces whole-word occurrences of `ids` (longest first). In YAML only values are replaced
/// (after `: ` or `- `); on a command line, any word.
fn replace_ids(text: &str, ids: &[&str], with: impl Fn(&str) -> String, anywhere: bool) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || "_.-[]\"".contains(c);
    text.lines()
        .map(|line| {
            let mut out = String::new();
            let mut rest = line;
            'scan: while !rest.is_empty() {
                for id in ids {
                    if let Some(after) = rest.strip_prefix(id) {
                        let before_ok = out.chars().last().is_none_or(|c| !is_word(c));
                        let after_ok = after.chars().next().is_none_or(|c| !is_word(c));
                        let value_ok = anywhere
                            || out.trim_end().ends_with(':')
                            || out.trim_end().ends_with('-');
                        if before_ok && after_ok && value_ok {
                            out.push_str(&with(id));
                            rest = after;
                            continue 'scan;
                        }
                    }
                }
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
            out.push('\n');
            out
        })
        .collect()
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// The requests of a service need that the endpoint policy must allow (for NET011).
pub fn requests_text(requests: &[Request]) -> String {
    requests
        .iter()
        .map(|r| format!("{} on {}", r.action, r.resource))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How messages name what a service is for.
pub fn service_words(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::EcrApi => "the ECR API (`ecr.api`, authentication)",
        ServiceKind::EcrDkr => "the ECR registry (`ecr.dkr`, image manifests)",
        ServiceKind::S3 => "S3 (the image layers)",
        ServiceKind::Logs => "CloudWatch Logs (awslogs)",
        ServiceKind::SecretsManager => "Secrets Manager (secrets, repository credentials)",
        ServiceKind::Ssm => "SSM Parameter Store (secrets)",
        ServiceKind::EcsAgent | ServiceKind::EcsTelemetry | ServiceKind::Ecs => {
            "the ECS agent endpoints"
        }
    }
}

/// S3 says which need is unmet: the image layers, the environment files, or both.
fn s3_words(
    service: &crate::net::needs::ServiceKey,
    task: &TaskDefinition,
    cx: &Context,
) -> Option<String> {
    if service.kind != ServiceKind::S3 {
        return None;
    }
    let region = cx.settings.region.as_deref()?;
    let (needs, _) = needs_of(task, region, &cx.state.s3);
    let purposes = needs.purposes_of(service);
    if purposes.is_empty() {
        return None;
    }
    Some(format!("S3 ({})", purposes.join(" and ")))
}

/// The hostname a service's default endpoint has (what private DNS makes resolve to the
/// endpoint).
pub fn default_hostname(kind: ServiceKind, region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    match kind {
        ServiceKind::EcrApi => format!("`api.ecr.{region}.{suffix}`"),
        ServiceKind::EcrDkr => format!("`*.dkr.ecr.{region}.{suffix}`"),
        ServiceKind::S3 => format!("`s3.{region}.{suffix}`"),
        ServiceKind::Logs => format!("`logs.{region}.{suffix}`"),
        ServiceKind::SecretsManager => format!("`secretsmanager.{region}.{suffix}`"),
        ServiceKind::Ssm => format!("`ssm.{region}.{suffix}`"),
        other => format!("`{}.{region}.{suffix}`", other.endpoint_suffix()),
    }
}

/// The standard report of a "no internet path and no endpoint" finding (NET003–NET007).
pub fn report_unreachable(
    rule: &'static Rule,
    task: &TaskDefinition,
    cx: &mut Context,
    _what: &str,
) {
    let Some((analysed, mine)) = findings_for(rule, task, cx) else {
        return;
    };
    for (finding, fix) in mine {
        let what = match &finding.problem {
            Problem::EndpointMissing { service, .. }
            | Problem::S3GatewayNotOnRouteTable { service, .. }
            | Problem::EndpointNotAvailable { service, .. }
            | Problem::NoEndpointPath { service, .. } => {
                s3_words(service, task, cx).unwrap_or_else(|| service_words(service.kind).into())
            }
            _ => continue,
        };
        let what = what.trim_end_matches(',');
        let what = &format!("{what} for `{}`", task.label);
        let (message, lead, endpoint) = match &finding.problem {
            Problem::EndpointMissing { service, vpc_id } => {
                let name =
                    crate::net::services::endpoint_service_name(service.kind, &service.region);
                let kind = if service.kind.uses_gateway_endpoint() {
                    "gateway"
                } else {
                    "interface"
                };
                (
                    format!(
                        "{what} is unreachable from {}: no internet path and no `{name}` {kind} endpoint in {vpc_id}",
                        subnets_with_reasons(analysed, finding)
                    ),
                    format!(
                        "give the subnets an internet path (a 0.0.0.0/0 route to a NAT gateway), or create the {name} endpoint"
                    ),
                    None,
                )
            }
            Problem::S3GatewayNotOnRouteTable {
                service,
                vpc_id,
                gateway_endpoint_ids,
            } => (
                format!(
                    "{what} is unreachable from {}: no internet path, and the S3 gateway endpoint {} of {vpc_id} is not on {}",
                    subnets_with_reasons(analysed, finding),
                    gateway_endpoint_ids.join(", "),
                    route_tables(finding),
                ),
                format!(
                    "add the subnets' route tables to the S3 gateway endpoint (image layers come from S3 in {})",
                    service.region
                ),
                gateway_endpoint_ids.first().cloned(),
            ),
            Problem::EndpointNotAvailable {
                service,
                endpoint_id,
                state,
            } => (
                format!(
                    "{what} is unreachable from {}: no internet path, and the {} endpoint {endpoint_id} is `{state}`, not `available`",
                    subnets_with_reasons(analysed, finding),
                    service.kind
                ),
                format!(
                    "wait for {endpoint_id} to become available, or recreate it (`aws ec2 describe-vpc-endpoints --vpc-endpoint-ids {endpoint_id}` shows why)"
                ),
                Some(endpoint_id.clone()),
            ),
            Problem::NoEndpointPath {
                service,
                vpc_region,
            } => (
                format!(
                    "{what} is unreachable from {}: it is in {}, and without an internet path only VPC endpoints of {vpc_region} are reachable",
                    subnets_with_reasons(analysed, finding),
                    service.region
                ),
                format!(
                    "give the subnets a NAT gateway route, or use {} in {vpc_region}",
                    service.kind
                ),
                None,
            ),
            _ => continue,
        };
        let help = fix_help(cx, &lead, fix.as_ref());
        let place = endpoint
            .as_deref()
            .and_then(|id| resource_place(cx, analysed, id).map(|p| (p, id.to_string())));
        let cause = format!("no-internet-path:{}", subnet_set(analysed));
        let cause_help = analysed.cause_fix.as_ref().map(|fix| {
            fix_help(
                cx,
                "these subnets have no internet path for any of the services above",
                Some(fix),
            )
        });
        let d = report(rule, task, cx, analysed, false, message);
        d.help_lines(help);
        // NET003–NET007 from one subnet set have one cause: human output shows one block with
        // one help.
        d.cause(cause);
        d.cause_help = cause_help;
        if let Some((place, id)) = place {
            d.label(place.file, place.span, format!("endpoint {id}"));
        }
    }
}

/// The task's subnets, sorted: the subject and cause of its network findings.
fn subnet_set(analysed: &Analysed) -> String {
    let mut subnets = analysed.placement.network.subnets.clone();
    subnets.sort();
    subnets.dedup();
    subnets.join(",")
}

fn route_tables(finding: &Finding) -> String {
    let mut tables: Vec<&str> = finding
        .subnets
        .iter()
        .filter_map(|s| s.route_table_id.as_deref())
        .collect();
    tables.dedup();
    if tables.is_empty() {
        "their route tables".into()
    } else {
        format!("route table {}", tables.join(", "))
    }
}

#[cfg(test)]
mod tests {
    //! Whole runs over bad or large network inputs: clear verdicts or unknowns, never a panic.

    use std::collections::{HashMap, HashSet};

    use serde_json::{Value, json};

    use crate::check::{self, Report, RunOptions};
    use crate::rules::ALL;
    use crate::settings::Settings;

    fn task_definition() -> Value {
        json!({"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
               "cpu": "256", "memory": "512", "executionRoleArn": "arn:aws:iam::111122223333:role/exec",
               "containerDefinitions": [{"name": "web", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1",
                 "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "w"}}}]})
    }

    fn run(ec2: Value, subnets: &[String]) -> Report {
        let dir = tempfile::tempdir().unwrap();
        let td = dir.path().join("td.json");
        std::fs::write(&td, task_definition().to_string()).unwrap();
        let state = dir.path().join("state.json");
        let snapshot = json!({"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1", "ec2": ec2});
        std::fs::write(&state, snapshot.to_string()).unwrap();
        let mut settings = Settings {
            region: Some("us-east-1".into()),
            account: Some("111122223333".into()),
            ..Settings::default()
        };
        settings.network.subnets = subnets.to_vec();
        settings.network.security_groups = vec!["sg-task".into()];
        let options = RunOptions {
            paths: vec![td],
            state_files: vec![state],
            env_region: None,
            service_file: None,
            settings,
            enabled: ALL
                .iter()
                .filter(|r| r.code.starts_with("NET"))
                .map(|r| r.code)
                .collect::<HashSet<_>>(),
            severity_overrides: HashMap::new(),
            per_file_ignores: Vec::new(),
            ignore_base: dir.path().to_path_buf(),
            terraform: Default::default(),
        };
        check::run(&options)
    }

    fn codes(report: &Report) -> Vec<&'static str> {
        let mut codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code).collect();
        codes.sort();
        codes
    }

    fn skipped(report: &Report) -> String {
        report
            .skipped
            .iter()
            .map(|s| format!("{:?} {}", s.rules, s.reason))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn base(routes: Value, subnets: Value) -> Value {
        json!({
            "Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}],
            "VpcAttributes": [{"VpcId": "vpc-1", "EnableDnsSupport": {"Value": true}, "EnableDnsHostnames": {"Value": true}}],
            "Subnets": subnets,
            "RouteTables": [{"RouteTableId": "rtb-1", "VpcId": "vpc-1",
                             "Associations": [{"Main": true, "RouteTableId": "rtb-1"}], "Routes": routes}],
            "VpcEndpoints": [], "NatGateways": [], "PrefixLists": [],
            "SecurityGroups": [{"GroupId": "sg-task", "GroupName": "task", "VpcId": "vpc-1", "IpPermissions": [],
                                "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]
        })
    }

    fn subnet(id: &str, cidr: &str) -> Value {
        json!({"SubnetId": id, "VpcId": "vpc-1", "CidrBlock": cidr})
    }

    #[test]
    fn route_to_a_nat_gateway_missing_from_the_state_is_unknown() {
        let ec2 = base(
            json!([{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-gone", "State": "active"}]),
            json!([subnet("subnet-a", "10.0.1.0/24")]),
        );
        let report = run(ec2, &["subnet-a".into()]);
        assert!(!report.input_errors);
        assert!(codes(&report).is_empty(), "{:?}", report.diagnostics);
        assert!(
            skipped(&report).contains("nat-gone"),
            "{}",
            skipped(&report)
        );
    }

    #[test]
    fn subnets_missing_from_the_state_are_unknown_not_failures() {
        let ec2 = base(json!([]), json!([subnet("subnet-a", "10.0.1.0/24")]));
        let report = run(ec2, &["subnet-zzz".into()]);
        assert!(codes(&report).is_empty(), "{:?}", report.diagnostics);
        assert!(
            skipped(&report).contains("subnet-zzz"),
            "{}",
            skipped(&report)
        );
    }

    #[test]
    fn overlapping_and_malformed_cidrs_do_not_panic() {
        let ec2 = base(
            json!([{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
                   {"DestinationCidrBlock": "not-a-cidr", "GatewayId": "igw-1"}]),
            json!([
                subnet("subnet-a", "10.0.1.0/24"),
                subnet("subnet-b", "10.0.1.0/25"),
                subnet("subnet-c", "10.0.300.0/24"),
                subnet("subnet-d", "10.0.2.0/33")
            ]),
        );
        let subnets: Vec<String> = ["subnet-a", "subnet-b", "subnet-c", "subnet-d"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let report = run(ec2, &subnets);
        // A route whose destination cannot be read might be the default route: unknown.
        assert!(codes(&report).is_empty(), "{:?}", report.diagnostics);
        assert!(
            skipped(&report).contains("not-a-cidr"),
            "{}",
            skipped(&report)
        );
    }

    #[test]
    fn malformed_prefix_list_entries_are_unknown() {
        let mut ec2 = base(json!([]), json!([subnet("subnet-a", "10.0.1.0/24")]));
        ec2["PrefixLists"] = json!([{"PrefixListId": "pl-1", "PrefixListName": "com.amazonaws.us-east-1.s3", "Cidrs": ["52.216.0.0/15", "bogus"]}]);
        ec2["VpcEndpoints"] = json!([{"VpcEndpointId": "vpce-s3", "VpcEndpointType": "Gateway", "VpcId": "vpc-1",
            "ServiceName": "com.amazonaws.us-east-1.s3", "State": "available", "RouteTableIds": ["rtb-1"], "SubnetIds": [], "Groups": []}]);
        ec2["SecurityGroups"][0]["IpPermissionsEgress"] = json!([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]);
        let report = run(ec2, &["subnet-a".into()]);
        assert!(
            !codes(&report).contains(&"NET010"),
            "{:?}",
            report.diagnostics
        );
        assert!(skipped(&report).contains("bogus"), "{}", skipped(&report));
        // The other needs have no path: one diagnostic each, not one per container or subnet.
        assert_eq!(codes(&report), ["NET003", "NET004", "NET006"]);
    }

    #[test]
    fn five_thousand_subnets_give_one_diagnostic_per_cause() {
        let subnets: Vec<Value> = (0..5000)
            .map(|i| {
                subnet(
                    &format!("subnet-{i}"),
                    &format!("10.{}.{}.0/24", i / 256, i % 256),
                )
            })
            .collect();
        let ids: Vec<String> = (0..5000).map(|i| format!("subnet-{i}")).collect();
        let ec2 = base(
            json!([{"DestinationCidrBlock": "10.0.0.0/8", "GatewayId": "local"}]),
            Value::Array(subnets),
        );
        let start = std::time::Instant::now();
        let report = run(ec2, &ids);
        assert!(start.elapsed().as_secs() < 30);
        assert_eq!(codes(&report), ["NET003", "NET004", "NET005", "NET006"]);
        assert!(report.diagnostics[0].message.contains("`subnet-4999`"));
    }
}
