//! The `secretsmanager` section of a state snapshot: `aws secretsmanager list-secrets
//! --include-planned-deletion` → `SecretList[]` items (metadata only: the state format never
//! holds a secret value). Secrets are found by full ARN, by partial ARN (without the random
//! six-character suffix) or by name in their account and region.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::snapshot::Snapshot;
use crate::base::known::Lookup;
use crate::model::arn::Arn;

/// The whole `secretsmanager` section.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecretsManagerSection {
    pub secrets: Option<Vec<Secret>>,
}

/// One `list-secrets` item (only the fields the checks read; others are ignored).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Secret {
    #[serde(rename = "ARN")]
    pub arn: Option<String>,
    pub name: Option<String>,
    /// A customer managed key (ID, ARN or alias); absent: the AWS managed key
    /// `aws/secretsmanager`.
    pub kms_key_id: Option<String>,
    /// Set when the secret is scheduled for deletion (a timestamp, as text or epoch seconds).
    pub deleted_date: Option<serde_json::Value>,
    /// Version ID → its staging labels.
    pub secret_versions_to_stages: Option<BTreeMap<String, Vec<String>>>,
}

impl Secret {
    pub fn scheduled_for_deletion(&self) -> bool {
        self.deleted_date.as_ref().is_some_and(|d| !d.is_null())
    }
}

/// The secrets of one account and region.
#[derive(Debug, Default)]
struct Region {
    by_arn: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    secrets: Vec<Secret>,
}

/// Every state file's secrets, by account and region.
#[derive(Debug, Default)]
pub struct SecretsIndex {
    regions: HashMap<(String, String), Region>,
}

impl SecretsIndex {
    pub fn new(snapshots: &[Snapshot]) -> SecretsIndex {
        let mut regions: HashMap<(String, String), Region> = HashMap::new();
        for s in snapshots {
            let Some(list) = s.secretsmanager.as_ref().and_then(|m| m.secrets.as_ref()) else {
                continue;
            };
            let r = regions
                .entry((s.account_id.clone(), s.region.clone()))
                .or_default();
            for secret in list {
                let i = r.secrets.len();
                if let Some(arn) = &secret.arn {
                    r.by_arn.entry(arn.clone()).or_insert(i);
                }
                if let Some(name) = &secret.name {
                    r.by_name.entry(name.clone()).or_insert(i);
                }
                r.secrets.push(secret.clone());
            }
        }
        SecretsIndex { regions }
    }

    /// Whether a state file lists the secrets of this account and region.
    pub fn knows(&self, account: &str, region: &str) -> bool {
        self.regions
            .contains_key(&(account.to_string(), region.to_string()))
    }

    /// The secret of that ARN (`arn` without the `:json-key:…` suffix) or name. A full ARN is
    /// matched exactly; a partial ARN or a name by the secret's name.
    pub fn find(&self, account: &str, region: &str, arn_or_name: &str) -> Lookup<&Secret> {
        let Some(r) = self.regions.get(&(account.to_string(), region.to_string())) else {
            return Lookup::unknown(format!(
                "no state file lists the Secrets Manager secrets of account {account} region {region} (`secretsmanager.secrets`)"
            ));
        };
        let name = match arn_or_name.strip_prefix("arn:") {
            Some(_) => {
                if let Some(&i) = r.by_arn.get(arn_or_name) {
                    return Lookup::Found(&r.secrets[i]);
                }
                Arn::parse(arn_or_name)
                    .and_then(|a| a.resource_of("secret"))
                    .unwrap_or("")
            }
            None => arn_or_name,
        };
        match r.by_name.get(name) {
            Some(&i) => Lookup::Found(&r.secrets[i]),
            None => Lookup::Absent,
        }
    }
}
