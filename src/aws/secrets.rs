//! The `secretsmanager` section of one account and region: exactly the referenced secrets, one
//! DescribeSecret each (by ARN or name; it answers for secrets scheduled for deletion too),
//! written as `aws secretsmanager list-secrets` items. Metadata only: GetSecretValue is never
//! called, and its permission is not in the read-only policy.
//!
//! A secret that does not exist (`ResourceNotFoundException`) is left out: known absent. Any
//! other failure (access denied, throttling, a timeout) makes the whole section unknown: a
//! list without that secret would read as "it does not exist".

use std::collections::BTreeSet;

use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
use serde_json::{Map, Value};

use super::client::{Aws, all, describe, is};
use super::json::Obj;

/// What one account and region gave.
pub struct Collected {
    /// `{"secrets": [...]}`, or None when unknown (see `unknown`).
    pub section: Option<Value>,
    pub unknown: Vec<String>,
}

pub async fn collect(aws: &Aws, account: &str, region: &str, ids: &BTreeSet<String>) -> Collected {
    let client = aws.secretsmanager(region);
    let answers = all(ids
        .iter()
        .map(|id| {
            let (aws, client, id) = (aws.clone(), client.clone(), id.clone());
            async move {
                let got = {
                    let _p = aws.permit().await;
                    client.describe_secret().secret_id(&id).send().await
                };
                match got {
                    Ok(out) => Ok(Some(secret(&out))),
                    Err(e) if is(&e, &["ResourceNotFoundException"]) => Ok(None),
                    Err(e) => Err(describe(
                        &format!("secretsmanager:DescribeSecret({id})"),
                        &e,
                    )),
                }
            }
        })
        .collect())
    .await;
    let answers = match answers {
        Ok(a) => a,
        Err(e) => {
            return Collected {
                section: None,
                unknown: vec![e],
            };
        }
    };
    let mut secrets = Vec::new();
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    for a in answers {
        match a {
            // An ARN and a name can name the same secret: listed once.
            Ok(Some(s)) => {
                if seen.insert(s["ARN"].as_str().unwrap_or_default().to_string()) {
                    secrets.push(s);
                }
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Collected {
            section: None,
            unknown: vec![format!(
                "Secrets Manager secrets of account {account} region {region} unknown: {}",
                errors.join("; ")
            )],
        };
    }
    Collected {
        section: Some(
            Obj::new()
                .value("secrets", Some(Value::Array(secrets)))
                .build(),
        ),
        unknown: Vec::new(),
    }
}

/// A DescribeSecret answer as a `list-secrets` item (which names the version map
/// `SecretVersionsToStages`).
fn secret(out: &DescribeSecretOutput) -> Value {
    let stages = out.version_ids_to_stages().map(|m| {
        let mut sorted: Vec<_> = m.iter().collect();
        sorted.sort();
        let mut map = Map::new();
        for (version, labels) in sorted {
            map.insert(
                version.clone(),
                Value::Array(labels.iter().cloned().map(Value::String).collect()),
            );
        }
        Value::Object(map)
    });
    Obj::new()
        .str("ARN", out.arn())
        .str("Name", out.name())
        .str("KmsKeyId", out.kms_key_id())
        .time("DeletedDate", out.deleted_date())
        .time("CreatedDate", out.created_date())
        .str("PrimaryRegion", out.primary_region())
        .value("SecretVersionsToStages", stages)
        .build()
}
