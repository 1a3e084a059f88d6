//! REF001: a Secrets Manager secret the task names does not exist, is scheduled for deletion,
//! or has no version of the stage or ID its ARN selects.

use super::{Named, check_in_state, references, report_grouped};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "REF001",
    name: "secret-not-found",
    severity: Severity::Error,
    summary: "A secret the task reads does not exist, is scheduled for deletion, or lacks the selected version",
    needs: Needs::Refs,
    reads: &[StatePart::Secrets],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let refs = references(task, cx);
    let uses = refs.secrets.iter().filter_map(|u| {
        let key = match &u.named {
            Ok(Named::Secret(s)) => Ok(s.clone()),
            Ok(Named::Parameter(_)) => return None,
            Err(why) => Err(why.clone()),
        };
        Some((key, u.span, u.container.clone()))
    });
    check_in_state(
        cx,
        &RULE,
        "a secret",
        uses,
        |t, s| t.secret(&s.id),
        |state, s| state.secrets.find(&s.account, &s.region, &s.id),
        |cx, g, found| {
            let s = &g.key;
            let Some(secret) = found else {
                report_grouped(
                    cx,
                    &RULE,
                    g,
                    format!(
                        "the secret `{}` does not exist in account {} region {}",
                        s.id, s.account, s.region
                    ),
                    "no such secret",
                    format!(
                        "create the secret before deploying (`aws secretsmanager create-secret --name NAME --region {}`), or correct the reference: `aws secretsmanager list-secrets --region {}` lists the secrets and their ARNs; the task stops at start with `ResourceInitializationError` while the secret is missing",
                        s.region, s.region
                    ),
                );
                return;
            };
            let name = secret.name.clone().unwrap_or_else(|| s.id.clone());
            if secret.scheduled_for_deletion() {
                report_grouped(
                    cx,
                    &RULE,
                    g,
                    format!(
                        "the secret `{name}` is scheduled for deletion: it cannot be read until the deletion is cancelled"
                    ),
                    "secret scheduled for deletion",
                    format!(
                        "cancel the deletion: `aws secretsmanager restore-secret --secret-id {} --region {}`",
                        secret.arn.as_deref().unwrap_or(&name),
                        s.region
                    ),
                );
                return;
            }
            if s.stage.is_none() && s.version_id.is_none() {
                return;
            }
            let Some(versions) = &secret.secret_versions_to_stages else {
                cx.skip(
                    &[&RULE],
                    format!(
                        "the state lists the secret `{name}` without its `SecretVersionsToStages`: the version its ARN selects cannot be checked"
                    ),
                );
                return;
            };
            let problem = match (&s.version_id, &s.stage) {
                (Some(id), stage) => match versions.get(id) {
                    None => Some(format!("has no version with the ID `{id}`")),
                    Some(stages) => match stage {
                        Some(st) if !stages.contains(st) => Some(format!(
                            "has the version `{id}`, but it does not carry the stage `{st}` (when both are given they must select the same version)"
                        )),
                        _ => None,
                    },
                },
                (None, Some(st)) => (!versions.values().any(|v| v.contains(st)))
                    .then(|| format!("has no version with the stage `{st}`")),
                (None, None) => None,
            };
            if let Some(problem) = problem {
                let mut stages: Vec<String> = versions.values().flatten().cloned().collect();
                stages.sort();
                stages.dedup();
                report_grouped(
                    cx,
                    &RULE,
                    g,
                    format!("the secret `{name}` {problem}"),
                    "no such version",
                    format!(
                        "select a version the secret has (its stages: {}), or leave the version fields of the ARN empty to read `AWSCURRENT`",
                        if stages.is_empty() {
                            "none".to_string()
                        } else {
                            stages.join(", ")
                        }
                    ),
                );
            }
        },
    );
}
