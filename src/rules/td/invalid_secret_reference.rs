//! TD007: a secret reference that cannot name a secret or parameter.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::taskdef::{field, spell};
use crate::parse::Node;
use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "TD007",
    name: "invalid-secret-reference",
    severity: Severity::Error,
    summary: "A secrets valueFrom, secretOptions or credentialsParameter that cannot name a secret",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let mut found = Vec::new();
    for c in task.containers() {
        let mut refs: Vec<(&Node, String)> = Vec::new();
        let value_from = spell("valueFrom", c.style).into_owned();
        for item in c.get("secrets").map(Node::items).unwrap_or(&[]) {
            if let Some(v) = field(item, c.style, "valueFrom") {
                refs.push((v, format!("secrets[].{value_from}")));
            }
        }
        if let Some(lc) = c.get("logConfiguration") {
            for item in field(lc, c.style, "secretOptions")
                .map(Node::items)
                .unwrap_or(&[])
            {
                if let Some(v) = field(item, c.style, "valueFrom") {
                    refs.push((v, format!("secretOptions[].{value_from}")));
                }
            }
        }
        if let Some(creds) = c.get("repositoryCredentials")
            && let Some(v) = field(creds, c.style, "credentialsParameter")
        {
            // The console's JSON export writes an empty `repositoryCredentials` form; deploy
            // tools drop empty values, so only a form with something else in it is meant.
            let blank_form = v.as_str() == Some("")
                && creds
                    .members()
                    .iter()
                    .all(|m| m.value.is_null() || m.value.as_str() == Some(""));
            if !blank_form {
                refs.push((v, spell("credentialsParameter", c.style).into_owned()));
            }
        }
        for (node, what) in refs {
            // A reference to a resource of the template is an ARN by construction.
            if let crate::parse::NodeKind::Unresolved(why) = &node.kind {
                cx.skip(
                    &[&RULE],
                    format!(
                        "a secret reference of `{}` is not known before deploy: {why}",
                        c.label()
                    ),
                );
                continue;
            }
            let Some(value) = node.as_str() else {
                continue;
            };
            if let Some(problem) = problem(value) {
                found.push((c.label(), node.span, what, problem));
            }
        }
    }
    for (container, span, what, (message, help)) in found {
        cx.report(
            &RULE,
            span,
            format!("container `{container}`: this `{what}` cannot name a secret: {message}"),
        )
        .container(container)
        .help(help);
    }
}

const SECRET_HELP: &str = "a Secrets Manager reference is `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME` \
     optionally followed by `:json-key:version-stage:version-id` (use a version stage or a version id, not both); \
     an SSM parameter is its name or `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`";

/// What is wrong with a reference (message, help), or None when it can name a secret.
pub fn problem(value: &str) -> Option<(String, String)> {
    if value.trim().is_empty() {
        return Some(("it is empty".to_string(), SECRET_HELP.to_string()));
    }
    if !value.starts_with("arn:") {
        // A parameter name (or, for credentialsParameter, a secret name).
        return None;
    }
    let parts: Vec<&str> = value.split(':').collect();
    if parts.len() < 6 {
        return Some((
            format!(
                "`{value}` is not a complete ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`)"
            ),
            SECRET_HELP.to_string(),
        ));
    }
    match parts[2] {
        "secretsmanager" => {
            if parts[5] != "secret" || parts.len() < 7 || parts[6].is_empty() {
                return Some((
                    "a Secrets Manager ARN names `secret:NAME` after the account".to_string(),
                    SECRET_HELP.to_string(),
                ));
            }
            // secret:NAME then at most json-key, version-stage, version-id.
            if parts.len() > 10 {
                return Some((
                    format!(
                        "it has {} fields after the secret name; at most three may follow it (`json-key:version-stage:version-id`)",
                        parts.len() - 7
                    ),
                    SECRET_HELP.to_string(),
                ));
            }
            let stage = parts.get(8).copied().unwrap_or("");
            let id = parts.get(9).copied().unwrap_or("");
            if !stage.is_empty() && !id.is_empty() {
                return Some((
                    format!("it names both the version stage `{stage}` and the version id `{id}`; ECS takes one or the other"),
                    "keep the version stage (e.g. `AWSCURRENT`) or the version id, and leave the other field empty (`…:json-key:AWSCURRENT:` or `…:json-key::VERSION-ID`)".to_string(),
                ));
            }
            None
        }
        "ssm" => {
            if !parts[5].starts_with("parameter") {
                return Some((
                    "an SSM ARN names `parameter/NAME` after the account".to_string(),
                    SECRET_HELP.to_string(),
                ));
            }
            None
        }
        other => Some((
            format!("it is an ARN of `{other}`, not of Secrets Manager or SSM Parameter Store"),
            SECRET_HELP.to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn secret_references() {
        let base = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
        assert!(problem(base).is_none());
        assert!(problem(&format!("{base}:password::")).is_none());
        assert!(problem(&format!("{base}:password:AWSCURRENT:")).is_none());
        assert!(problem(&format!("{base}:password::0123")).is_none());
        assert!(problem(&format!("{base}:password:AWSCURRENT:0123")).is_some());
        assert!(problem(&format!("{base}:a:b::c")).is_some());
        assert!(problem("arn:aws:ssm:us-east-1:123456789012:parameter/db/password").is_none());
        assert!(problem("/db/password").is_none());
        assert!(problem("").is_some());
        assert!(problem("arn:aws:s3:::bucket/key").is_some());
        assert!(problem("arn:aws:kms:us-east-1:123456789012:key/abc").is_some());
    }
}
