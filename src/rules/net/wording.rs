//! The wording of NET findings: help text with the exact fix (commands and template snippets
//! with the template's own ids), service names, and the shared report of "no internet path
//! and no endpoint" findings.

use crate::model::TaskDefinition;
use crate::net::Request;
use crate::net::help::Fix;
use crate::net::report::{Finding, Problem};
use crate::net::services::ServiceKind;
use crate::net::task_needs::needs_of;
use crate::rules::net::findings_for;
use crate::rules::net::report::{report, resource_place, subnet_set, subnets_with_reasons};
use crate::rules::{Context, Rule};

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
