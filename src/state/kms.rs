//! The `kms` section of a state snapshot: `keys`, one item per key
//! (`{"KeyMetadata": <describe-key>, "Policy": <get-key-policy>, "Grants": <list-grants>}`),
//! and `aliases` (`aws kms list-aliases` → `Aliases[]`). The key policy is parsed once, as a
//! resource policy; a policy that cannot be read leaves decisions on it unknown.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::iam::LoadedPolicy;
use super::snapshot::Snapshot;
use crate::base::known::Lookup;
use crate::model::arn::Arn;

/// The whole `kms` section.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct KmsSection {
    pub keys: Option<Vec<KmsKey>>,
    pub aliases: Option<Vec<Alias>>,
}

/// One key: its metadata, its key policy (a string, as `get-key-policy` prints it, or an
/// object) and its grants. An absent `Policy` or `Grants` is unknown.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct KmsKey {
    pub key_metadata: Option<KeyMetadata>,
    pub policy: Option<serde_json::Value>,
    pub grants: Option<Vec<Grant>>,
}

/// `describe-key` → `KeyMetadata`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    pub key_id: Option<String>,
    pub arn: Option<String>,
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: Option<String>,
    /// `AWS` or `CUSTOMER`.
    pub key_manager: Option<String>,
    /// `Enabled`, `Disabled`, `PendingDeletion`, …
    pub key_state: Option<String>,
}

/// One `list-grants` item.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Grant {
    pub grant_id: Option<String>,
    pub name: Option<String>,
    pub grantee_principal: Option<String>,
    pub operations: Option<Vec<String>>,
    pub constraints: Option<GrantConstraints>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GrantConstraints {
    pub encryption_context_subset: Option<BTreeMap<String, String>>,
    pub encryption_context_equals: Option<BTreeMap<String, String>>,
}

/// One `list-aliases` item.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Alias {
    pub alias_name: Option<String>,
    pub alias_arn: Option<String>,
    pub target_key_id: Option<String>,
}

/// A key of the state, with its policy parsed.
#[derive(Debug)]
pub struct KeyEntry {
    pub key_id: String,
    pub arn: String,
    pub account: String,
    pub region: String,
    pub metadata: KeyMetadata,
    /// None: the state does not say (no `Policy`).
    pub policy: Option<LoadedPolicy>,
    /// None: the state does not say (no `Grants`).
    pub grants: Option<Vec<Grant>>,
    /// The logical ID or address of the template resource that creates the key; None for a
    /// key of a state file.
    pub defined_by: Option<String>,
}

impl KeyEntry {
    /// An AWS managed key (`aws/secretsmanager`, `aws/ssm`, …): its policy lets every
    /// principal of the account use it through the service.
    pub fn aws_managed(&self) -> bool {
        self.metadata.key_manager.as_deref() == Some("AWS")
    }
}

#[derive(Debug, Default)]
struct Region {
    /// Whether `kms.keys` / `kms.aliases` were listed.
    keys_known: bool,
    aliases_known: bool,
    keys: HashMap<String, usize>,
    /// Alias name (`alias/…`) → target key ID.
    aliases: HashMap<String, String>,
}

/// Every state file's keys and aliases, by account and region.
#[derive(Debug, Default)]
pub struct KmsIndex {
    entries: Vec<KeyEntry>,
    regions: HashMap<(String, String), Region>,
}

/// What a key reference (`KmsKeyId` / `KeyId`) resolves to.
#[derive(Debug)]
pub enum KeyRef<'a> {
    Key(&'a KeyEntry),
    /// An AWS managed key named by its alias (`alias/aws/…`): no key policy to check.
    AwsManagedAlias(String),
}

impl KmsIndex {
    pub fn new(snapshots: &[Snapshot]) -> KmsIndex {
        let mut index = KmsIndex::default();
        for s in snapshots {
            let Some(section) = &s.kms else {
                continue;
            };
            let r = index
                .regions
                .entry((s.account_id.clone(), s.region.clone()))
                .or_default();
            if let Some(keys) = &section.keys {
                r.keys_known = true;
                for (i, k) in keys.iter().enumerate() {
                    let Some(m) = &k.key_metadata else { continue };
                    let Some(key_id) = m.key_id.clone() else {
                        continue;
                    };
                    let arn = m.arn.clone().unwrap_or_default();
                    let node = s
                        .root
                        .get("kms")
                        .and_then(|n| n.get("keys"))
                        .and_then(|n| n.items().get(i))
                        .and_then(|n| n.get("Policy"));
                    let policy = k.policy.as_ref().filter(|p| !p.is_null()).map(|p| {
                        LoadedPolicy::from_state(
                            &format!("key policy of `{key_id}`"),
                            p,
                            node,
                            s.file,
                        )
                    });
                    let at = index.entries.len();
                    r.keys.insert(key_id.clone(), at);
                    if !arn.is_empty() {
                        r.keys.insert(arn.clone(), at);
                    }
                    index.entries.push(KeyEntry {
                        key_id,
                        arn,
                        account: s.account_id.clone(),
                        region: s.region.clone(),
                        metadata: m.clone(),
                        policy,
                        grants: k.grants.clone(),
                        defined_by: None,
                    });
                }
            }
            if let Some(aliases) = &section.aliases {
                r.aliases_known = true;
                for a in aliases {
                    if let (Some(name), Some(target)) = (&a.alias_name, &a.target_key_id) {
                        r.aliases.insert(name.clone(), target.clone());
                    }
                }
            }
        }
        index
    }

    /// The key a `KmsKeyId` / `KeyId` names: a key ID, key ARN, alias name or alias ARN, of
    /// `account` and `region` unless it is an ARN.
    pub fn resolve(&self, account: &str, region: &str, key: &str) -> Lookup<KeyRef<'_>> {
        let (account, region, id) = if key.starts_with("arn:") {
            match Arn::parse(key) {
                Some(arn) if arn.service == "kms" => (arn.account, arn.region, arn.resource),
                _ => return Lookup::unknown(format!("`{key}` is not a KMS key or alias ARN")),
            }
        } else {
            (account, region, key)
        };
        if id.starts_with("alias/aws/") {
            return Lookup::Found(KeyRef::AwsManagedAlias(id.to_string()));
        }
        let Some(r) = self.regions.get(&(account.to_string(), region.to_string())) else {
            return Lookup::unknown(format!(
                "no state file has the KMS keys of account {account} region {region} (`kms`)"
            ));
        };
        let target = match id.strip_prefix("key/") {
            Some(k) => k.to_string(),
            None if id.starts_with("alias/") => {
                if !r.aliases_known {
                    return Lookup::unknown(format!(
                        "the key is named by the alias `{id}`, and no state file lists the aliases of account {account} region {region} (`kms.aliases`)"
                    ));
                }
                match r.aliases.get(id) {
                    Some(t) => t.clone(),
                    None => return Lookup::Absent,
                }
            }
            None => id.to_string(),
        };
        if !r.keys_known {
            return Lookup::unknown(format!(
                "no state file lists the KMS keys of account {account} region {region} (`kms.keys`)"
            ));
        }
        match r.keys.get(&target) {
            Some(&i) => Lookup::Found(KeyRef::Key(&self.entries[i])),
            // The collector describes exactly the referenced keys: one it did not list may
            // exist but was not readable. Not listed is not proof of absence.
            None => Lookup::unknown(format!(
                "the key `{target}` is not in the state's `kms.keys` of account {account} region {region}"
            )),
        }
    }
}
