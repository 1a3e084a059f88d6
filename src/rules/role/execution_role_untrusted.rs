//! ROLE003: the execution role's trust policy does not let `ecs-tasks.amazonaws.com` call
//! `sts:AssumeRole` (docs/iam.md#trust-policy).
//!
//! The request context: `aws:SourceAccount` is the task's account; `aws:SourceArn` is an ECS
//! ARN of the task's region and account, of which only that much is known. A condition on it
//! is decided when each of its patterns either covers every ECS ARN there
//! (`arn:aws:ecs:<region>:<account>:*`) or cannot match any; anything narrower (a cluster, a
//! task) is unknown (ROLE011).

use super::eval::{Place, Undetermined, add_labels, statement_name};
use super::facts::{Facts, RoleView};
use crate::diag::Severity;
use crate::iam::{BaseOperator, Policy, RequestContext, StatementRef, trust_allows};
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::Tri;
use crate::state::iam::UNRESOLVED_KEY_PREFIX;
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ROLE003",
    name: "execution-role-untrusted",
    severity: Severity::Error,
    summary: "The execution role does not trust ecs-tasks.amazonaws.com",
    needs: Needs::Iam,
    reads: &[StatePart::Iam],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

const SERVICE: &str = "ecs-tasks.amazonaws.com";

pub(super) fn check(
    _task: &TaskDefinition,
    cx: &mut Context,
    facts: &Facts,
    view: &RoleView,
    und: &mut Undetermined,
) {
    let Some(node) = facts.exec_node else { return };
    let span = node.span;
    let subject = format!("execution role `{}`", view.label());
    let permission = format!(
        "`{SERVICE}` may assume role `{}` (`sts:AssumeRole`)",
        view.label()
    );
    let Some(trust) = &view.entry.trust else {
        und.add(
            span,
            &subject,
            permission,
            vec![format!(
                "the state has no trust policy (`AssumeRolePolicyDocument`) for role `{}`",
                view.label()
            )],
            Vec::new(),
        );
        return;
    };
    let policy = match trust.parsed() {
        Ok(p) => p,
        Err(reason) => {
            let places = trust
                .origin
                .as_ref()
                .map(|o| {
                    vec![Place {
                        file: o.file,
                        span: o.span,
                        message: "this trust policy".into(),
                    }]
                })
                .unwrap_or_default();
            und.add(
                span,
                &subject,
                permission,
                vec![format!(
                    "the trust policy of role `{}` cannot be read: {reason}",
                    view.label()
                )],
                places,
            );
            return;
        }
    };
    let account = facts.account.clone().unwrap_or_default();
    let mut ctx = RequestContext::new();
    ctx.set("aws:SourceAccount", account.clone());
    match &facts.region {
        Some(region) if source_arn_decidable(policy, &facts.partition, region, &account) => {
            ctx.set(
                "aws:SourceArn",
                format!("arn:{}:ecs:{region}:{account}:*", facts.partition),
            );
        }
        _ => {
            ctx.set_unknown("aws:SourceArn");
        }
    }
    let g = trust_allows(policy, SERVICE, "sts:AssumeRole", &ctx);
    let place = |s: &StatementRef, msg: &str| {
        trust.statement_place(s.index).map(|(file, span)| Place {
            file,
            span,
            message: msg.to_string(),
        })
    };
    match g.allowed {
        Tri::True => {}
        Tri::Unknown => {
            let mut causes = Vec::new();
            let keys: Vec<String> = g
                .unknown_keys
                .iter()
                .filter(|k| !k.starts_with(UNRESOLVED_KEY_PREFIX))
                .map(|k| format!("`{k}`"))
                .collect();
            if !keys.is_empty() {
                let extra = if keys
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case("`aws:SourceArn`"))
                {
                    format!(
                        " (only patterns covering every ECS ARN of the task's region and account, `arn:{}:ecs:{}:{account}:*`, or none of them, can be decided)",
                        facts.partition,
                        facts.region.as_deref().unwrap_or("<region>")
                    )
                } else {
                    String::new()
                };
                causes.push(format!(
                    "the trust policy's condition on {} cannot be resolved statically{extra}",
                    keys.join(", ")
                ));
            }
            for (i, why) in trust.unresolved.iter().enumerate() {
                if g.unknown_keys
                    .iter()
                    .any(|k| *k == format!("{UNRESOLVED_KEY_PREFIX}{i}"))
                {
                    causes.push(format!(
                        "the trust policy uses a template value known only at deploy time ({why})"
                    ));
                }
            }
            causes.extend(g.notes.iter().cloned());
            if causes.is_empty() {
                causes.push("the trust policy could not be evaluated completely".into());
            }
            let places = g
                .undecided
                .iter()
                .filter_map(|s| place(s, "this statement's condition cannot be decided"))
                .collect();
            und.add(span, &subject, permission, causes, places);
        }
        Tri::False => {
            if !cx.is_enabled(&RULE) {
                return;
            }
            let why = if g.deciding.is_empty() {
                format!(
                    "no statement of its trust policy lets `{SERVICE}` call `sts:AssumeRole` for account {account}"
                )
            } else {
                let names: Vec<String> = g.deciding.iter().map(statement_name).collect();
                format!(
                    "the trust policy denies it explicitly ({})",
                    names.join(", ")
                )
            };
            let mut places: Vec<Place> = g
                .deciding
                .iter()
                .filter_map(|s| place(s, "this statement denies it"))
                .collect();
            if places.is_empty() {
                // No Deny decided it: label the Allow statements, none of which applies.
                for s in policy
                    .statements
                    .iter()
                    .filter(|s| s.effect == crate::iam::Effect::Allow)
                {
                    if let Some((file, span)) = trust.statement_place(s.index) {
                        places.push(Place {
                            file,
                            span,
                            message: format!("does not let `{SERVICE}` assume the role here"),
                        });
                    }
                }
            }
            if places.is_empty()
                && let Some(o) = &trust.origin
            {
                places.push(Place {
                    file: o.file,
                    span: o.span,
                    message: "this trust policy".into(),
                });
            }
            let region = facts.region.as_deref().unwrap_or("<region>");
            let help = format!(
                "the trust policy must allow ECS tasks to assume the role; add this statement (the conditions guard against the confused deputy problem): \
                 {{\"Effect\": \"Allow\", \"Principal\": {{\"Service\": \"{SERVICE}\"}}, \"Action\": \"sts:AssumeRole\", \
                 \"Condition\": {{\"ArnLike\": {{\"aws:SourceArn\": \"arn:{}:ecs:{region}:{account}:*\"}}, \"StringEquals\": {{\"aws:SourceAccount\": \"{account}\"}}}}}}{}",
                facts.partition,
                match &view.entry.source {
                    crate::state::iam::RoleSource::Template(id) if id.contains('.') =>
                        format!(" in `assume_role_policy` of `{id}`"),
                    crate::state::iam::RoleSource::Template(id) =>
                        format!(" in `AssumeRolePolicyDocument` of `{id}`"),
                    crate::state::iam::RoleSource::StateFile => format!(
                        " (`aws iam update-assume-role-policy --role-name {} --policy-document file://trust.json`)",
                        view.entry.name.as_deref().unwrap_or(view.label())
                    ),
                }
            );
            places.extend(super::ecr_image_places(cx));
            let d = cx.report(
                &RULE,
                span,
                format!(
                    "execution role `{}` cannot be assumed by ECS tasks: {why}",
                    view.label()
                ),
            );
            d.primary_label("ECS cannot assume this role");
            add_labels(d, &places);
            d.help(help);
        }
    }
}

/// Whether every `aws:SourceArn` pattern of the trust policy either covers every ECS ARN of
/// the region and account or none of them (then a stand-in ARN decides it correctly).
fn source_arn_decidable(policy: &Policy, partition: &str, region: &str, account: &str) -> bool {
    let wanted = [partition, "ecs", region, account];
    for s in &policy.statements {
        for c in &s.conditions {
            if !c.key.eq_ignore_ascii_case("aws:SourceArn") {
                continue;
            }
            let wildcards = matches!(
                c.operator.base,
                BaseOperator::ArnLike
                    | BaseOperator::ArnEquals
                    | BaseOperator::ArnNotLike
                    | BaseOperator::ArnNotEquals
                    | BaseOperator::StringLike
                    | BaseOperator::StringNotLike
            );
            if c.operator.base == BaseOperator::Null {
                continue;
            }
            for v in &c.values {
                let parts: Vec<&str> = v.splitn(6, ':').collect();
                if parts.len() < 6 || parts[0] != "arn" {
                    // Not an ARN at all: it matches no ECS ARN unless it is all wildcards.
                    if wildcards && v.chars().all(|ch| ch == '*') {
                        continue;
                    }
                    if !wildcards || !v.contains(['*', '?']) {
                        continue;
                    }
                    return false;
                }
                let prefix_matches = parts[1..5]
                    .iter()
                    .zip(wanted)
                    .all(|(p, w)| if wildcards { glob(p, w) } else { *p == w });
                if !prefix_matches {
                    continue; // cannot match any ECS ARN of this region and account
                }
                let covers_all =
                    wildcards && !parts[5].is_empty() && parts[5].chars().all(|ch| ch == '*');
                if !covers_all {
                    return false;
                }
            }
        }
    }
    true
}

/// `*` / `?` glob of one ARN part.
fn glob(pattern: &str, text: &str) -> bool {
    crate::base::wildcard::wild_glob(pattern).is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::parse_policy;
    use serde_json::json;

    fn trust(cond: serde_json::Value) -> Policy {
        parse_policy(&json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole", "Condition": cond}]}))
        .unwrap()
    }

    #[test]
    fn source_arn_patterns_are_decided_only_when_all_or_nothing() {
        let d = |c| source_arn_decidable(&trust(c), "aws", "us-east-1", "111122223333");
        assert!(d(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:111122223333:*"}})
        ));
        assert!(d(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:ecs:*:111122223333:*"}})
        ));
        // Another account or region: matches none, decided (false).
        assert!(d(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-west-2:111122223333:*"}})
        ));
        assert!(d(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:999999999999:*"}})
        ));
        // Narrower than the account: unknown.
        assert!(!d(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:111122223333:task/*"}})
        ));
        assert!(!d(
            json!({"StringEquals": {"aws:SourceArn": "arn:aws:ecs:us-east-1:111122223333:*"}})
        ));
        assert!(d(
            json!({"StringEquals": {"aws:SourceAccount": "111122223333"}})
        ));
    }

    #[test]
    fn glob_parts() {
        assert!(glob("us-*", "us-east-1"));
        assert!(glob("*", ""));
        assert!(!glob("us-west-?", "us-east-1"));
        assert!(glob("11112222333?", "111122223333"));
    }
}
