//! NET: can the task reach the registry, S3, CloudWatch Logs and Secrets Manager from its
//! subnets (network state).
//!
//! The analysis lives in `net/` (`net::document` runs it once per document: placement, the
//! task's needs from `net::task_needs`, then `net::analyze`); this module hands it to the rules
//! as a per-document fact ([`analysis`]) and maps its checks to rules ([`rule_of`]). Each rule
//! file reports the findings of its check; `report` says where a NET diagnostic points,
//! `wording` how it reads (help text with the exact fix).
//!
//! On EC2 the container instance pulls the image, fetches secrets and ships logs over its own
//! network, which is not in the state: for `awsvpc` tasks only NET002 (the task's interface
//! never gets a public IP, rules/NET002-public-ip-disabled.md) is reported, and the rest goes
//! to the run summary.

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
pub mod report;
pub mod s3_layers_unreachable;
pub mod secrets_unreachable;
pub mod task_egress_blocks_https;
pub mod vpc_dns_disabled;
pub mod wording;

use crate::model::image_ref;
use crate::model::placeholder::placeholder;
use crate::model::{Document, TaskDefinition};
use crate::net::document::{CachePulls, DocumentInputs, analyse_document};
use crate::net::help::Fix;
use crate::net::placement::{Analysed, CacheFirstPull, TaskAnalysis};
use crate::net::report::{Finding, NetCheck};
use crate::net::task::LaunchType;
use crate::parse::NodeKind;
use crate::rules::ecr::CachePull;
use crate::rules::{Context, Rule};
use crate::state::template::net::TemplateNet;

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
    let all = cx.document_facts.network.get_or_init(|| {
        // Pull-through cache first pulls read the ECR state through the ECR rules' facts.
        let caches: Vec<CachePulls> = document
            .task_definitions
            .iter()
            .map(|task| cache_pulls(task, cx))
            .collect();
        let inputs = DocumentInputs {
            settings: cx.settings,
            state: cx.state,
            service_file: cx.service_file.map(|f| (&f.root, f.file)),
        };
        analyse_document(document, &inputs, template, &caches)
    });
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
