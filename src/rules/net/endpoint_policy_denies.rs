//! NET011: a needed endpoint's policy does not allow the pull (an interface endpoint's policy
//! for the ECR calls, or the S3 gateway endpoint's for the layer bucket). One diagnostic per
//! endpoint. Evaluated with the IAM evaluator: the principal is the execution role for the ECR
//! calls; the layer download is a presigned S3 request, so its principal is not the role.
//! When the principal is not known, only policies whose outcome cannot depend on it are
//! decided (every statement's principal is `*` and no condition reads `aws:Principal…`).

use crate::diag::Severity;
use crate::iam::{self, PolicyDoc, Principal, RequestContext, endpoint_policy_allows};
use crate::model::TaskDefinition;
use crate::net::report::EndpointPolicy;
use crate::net::services::ServiceKind;
use crate::net::task::LaunchType;
use crate::rules::{Context, Needs, Rule};
use crate::state::Tri;
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "NET011",
    name: "endpoint-policy-denies",
    severity: Severity::Error,
    summary: "A needed endpoint's policy does not allow the image pull",
    needs: Needs::Net,
    reads: &[StatePart::Ec2, StatePart::EcsServices],
    check: Some(check),
};

/// Stands in for a principal that is not known (see the module docs).
const ANY_ROLE: &str = "arn:aws:iam::000000000000:role/ecs-preflight-unknown-principal";

fn check(task: &TaskDefinition, cx: &mut Context) {
    let Some((analysed, _)) = super::findings_for(&RULE, task, cx) else {
        return;
    };
    if analysed.placement.network.launch_type == LaunchType::Ec2 {
        return;
    }
    for check in &analysed.report.policy_checks {
        if check.requests.is_empty() {
            continue;
        }
        let id = &check.endpoint_id;
        let json = match &check.policy {
            EndpointPolicy::Document { json, .. } => json,
            EndpointPolicy::Malformed { error, .. } => {
                cx.skip(
                    &[&RULE],
                    format!("the policy of endpoint {id} is not valid JSON: {error}"),
                );
                continue;
            }
            EndpointPolicy::Unknown(reason) => {
                cx.skip(
                    &[&RULE],
                    format!("the policy of endpoint {id} is not known: {reason}"),
                );
                continue;
            }
        };
        let policy = match iam::parse_policy(json) {
            Ok(p) => p.with_name(format!("the policy of endpoint {id}")),
            Err(e) => {
                cx.skip(
                    &[&RULE],
                    format!("the policy of endpoint {id} cannot be read: {e:?}"),
                );
                continue;
            }
        };
        let role = match (&check.service.kind, &analysed.execution_role) {
            (ServiceKind::EcrApi | ServiceKind::EcrDkr, Some(role)) => Some(role.as_str()),
            _ => None,
        };
        if role.is_none()
            && let Some(why) = depends_on_principal(json)
        {
            cx.skip(
                    &[&RULE],
                    format!(
                        "the policy of endpoint {id} {why}, and the principal of the {} requests is not known",
                        check.service.kind
                    ),
                );
            continue;
        }
        let principal = Principal::from_role_arn(role.unwrap_or(ANY_ROLE), None);
        let mut context = RequestContext::new();
        if id.starts_with("vpce-") {
            context.set("aws:SourceVpce", id.clone());
        }
        let mut denied = Vec::new();
        let mut deciding = Vec::new();
        for request in &check.requests {
            let req = iam::Request::new(&request.action, &request.resource, &principal, &context);
            let outcome = endpoint_policy_allows(&PolicyDoc::Known(&policy), &req);
            match outcome.allowed {
                Tri::True => {}
                Tri::False => {
                    denied.push(request.clone());
                    for s in outcome.deciding {
                        let name = match &s.sid {
                            Some(sid) => format!("statement `{sid}`"),
                            None => format!("statement {}", s.index + 1),
                        };
                        if !deciding.contains(&name) {
                            deciding.push(name);
                        }
                    }
                }
                Tri::Unknown => cx.skip(
                    &[&RULE],
                    format!(
                        "whether the policy of endpoint {id} allows {} on {} is not known{}",
                        request.action,
                        request.resource,
                        if outcome.unknown_keys.is_empty() {
                            String::new()
                        } else {
                            format!(" (condition keys {})", outcome.unknown_keys.join(", "))
                        }
                    ),
                ),
            }
        }
        if denied.is_empty() {
            continue;
        }
        let why = if deciding.is_empty() {
            "no statement allows it".to_string()
        } else {
            format!("denied explicitly by {}", deciding.join(", "))
        };
        let what = match check.service.kind {
            ServiceKind::S3 => "the image layers cannot be downloaded",
            ServiceKind::EcrApi => "the ECR authentication token cannot be fetched",
            _ => "the image manifest cannot be fetched",
        };
        let message = format!(
            "the policy of the {} endpoint {id} does not allow {} ({why}): {what} from {}",
            check.service.kind,
            super::wording::requests_text(&denied),
            check
                .subnets
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        let statement = allow_statement(&denied, check.service.kind, role);
        let compact = serde_json::from_str::<serde_json::Value>(&statement)
            .map(|v| v.to_string())
            .unwrap_or_default();
        let fix = crate::net::help::Fix {
            summary: format!("add this statement to the policy of {id}:\n{statement}"),
            cli: format!(
                "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {id} --policy-document file://policy.json\n# policy.json: the endpoint's whole policy, with the statement above added\n"
            ),
            cloudformation: format!(
                "# in PolicyDocument of the AWS::EC2::VPCEndpoint resource of {id}:\nStatement:\n  - {compact}\n"
            ),
        };
        let help =
            super::wording::fix_help(cx, "the endpoint policy must allow the pull", Some(&fix));
        let place = super::report::resource_place(cx, analysed, id);
        let d = super::report::report(&RULE, task, cx, analysed, false, message);
        d.help_lines(help);
        if let Some(place) = place {
            d.label(place.file, place.span, format!("endpoint {id}"));
        }
    }
}

/// Why a policy's outcome may depend on who calls, when it may.
fn depends_on_principal(policy: &serde_json::Value) -> Option<String> {
    let statements = match policy.get("Statement") {
        Some(serde_json::Value::Array(list)) => list.clone(),
        Some(one) => vec![one.clone()],
        None => return None,
    };
    for s in &statements {
        if s.get("NotPrincipal").is_some() {
            return Some("has a NotPrincipal".into());
        }
        match s.get("Principal") {
            None => {}
            Some(serde_json::Value::String(p)) if p == "*" => {}
            Some(serde_json::Value::Object(map))
                if map.len() == 1
                    && map
                        .get("AWS")
                        .is_some_and(|v| v == "*" || v == &serde_json::json!(["*"])) => {}
            Some(_) => return Some("names specific principals".into()),
        }
        if let Some(conditions) = s.get("Condition").and_then(|c| c.as_object()) {
            for keys in conditions.values().filter_map(|v| v.as_object()) {
                if let Some(key) = keys.keys().find(|k| {
                    k.to_ascii_lowercase().starts_with("aws:principal")
                        || k.to_ascii_lowercase().starts_with("aws:userid")
                }) {
                    return Some(format!("has a condition on `{key}`"));
                }
            }
        }
    }
    None
}

/// The statement to add, as JSON.
fn allow_statement(
    denied: &[crate::net::Request],
    kind: ServiceKind,
    role: Option<&str>,
) -> String {
    let mut actions: Vec<&str> = denied.iter().map(|r| r.action.as_str()).collect();
    actions.dedup();
    let mut resources: Vec<&str> = denied.iter().map(|r| r.resource.as_str()).collect();
    resources.sort();
    resources.dedup();
    let principal = match (kind, role) {
        (ServiceKind::EcrApi | ServiceKind::EcrDkr, Some(role)) => serde_json::json!({"AWS": role}),
        _ => serde_json::json!("*"),
    };
    let statement = serde_json::json!({
        "Sid": if kind == ServiceKind::S3 { "AllowEcrLayerBucket" } else { "AllowEcrPull" },
        "Effect": "Allow",
        "Principal": principal,
        "Action": actions,
        "Resource": resources,
    });
    serde_json::to_string_pretty(&statement).unwrap_or_default()
}
