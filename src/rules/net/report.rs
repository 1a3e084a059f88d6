//! Where a NET diagnostic points and what it names (docs/network.md#how-net-findings-are-reported):
//! the primary span (the field that supplied the subnets, or the task's `networkMode`), the
//! labels every NET diagnostic carries, and the subnet lists of messages.

use crate::diag::CURRENT_FILE;
use crate::diag::{Diagnostic, FileId};
use crate::model::TaskDefinition;
use crate::net::placement::{Analysed, Place, Placement};
use crate::net::report::{Finding, InternetPath, InternetVerdict};
use crate::net::task::NoPublicIp;
use crate::rules::{Context, Rule};
use crate::span::Span;

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

/// The task's subnets, sorted: the subject and cause of its network findings.
pub fn subnet_set(analysed: &Analysed) -> String {
    let mut subnets = analysed.placement.network.subnets.clone();
    subnets.sort();
    subnets.dedup();
    subnets.join(",")
}
