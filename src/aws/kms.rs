//! The `kms` section of one account and region: the customer managed keys that encrypt the
//! referenced secrets and SecureString parameters (their `KmsKeyId` / `KeyId`), each once:
//! DescribeKey (which takes a key ID, key ARN, alias name or alias ARN), then for a customer
//! managed key GetKeyPolicy (`default`) and ListGrants; for a key named by an alias,
//! ListAliases of that key, so that the alias resolves in the state.
//!
//! The state lookup never takes a key missing from `kms.keys` as absent (see state/kms.rs), so
//! each key is known or unknown on its own: a key that could not be described is left out,
//! with the reason; a policy or grants that could not be read are left out of that key
//! (unknown), not written empty. `aliases` is all or nothing: an alias it does not list is
//! taken as absent, so it is left out when any alias could not be resolved.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_kms::types::{GrantListEntry, KeyManagerType, KeyMetadata};
use serde_json::{Map, Value};

use super::client::{Aws, all, describe, is};
use super::json::Obj;

const NOT_FOUND: &[&str] = &["NotFoundException"];

pub struct Collected {
    /// `{"keys": [...], "aliases": [...]}` (aliases only when known).
    pub section: Value,
    pub unknown: Vec<String>,
}

/// One key reference's answer.
enum Described {
    Key(Box<KeyMetadata>),
    Absent,
    Failed(String),
}

pub async fn collect(
    aws: &Aws,
    account: &str,
    region: &str,
    refs: &BTreeSet<String>,
) -> Result<Collected, String> {
    let client = aws.kms(region);
    let described = all(refs
        .iter()
        .map(|r| {
            let (aws, client, r) = (aws.clone(), client.clone(), r.clone());
            async move {
                let got = {
                    let _p = aws.permit().await;
                    client.describe_key().key_id(&r).send().await
                };
                let d = match got {
                    Ok(out) => match out.key_metadata {
                        Some(m) => Described::Key(Box::new(m)),
                        None => Described::Absent,
                    },
                    Err(e) if is(&e, NOT_FOUND) => Described::Absent,
                    Err(e) => Described::Failed(describe(&format!("kms:DescribeKey({r})"), &e)),
                };
                (r, d)
            }
        })
        .collect())
    .await?;

    let mut unknown = Vec::new();
    let mut keys: BTreeMap<String, KeyMetadata> = BTreeMap::new();
    // Keys named by an alias (their aliases are listed), and whether every alias resolved.
    let mut aliased = BTreeSet::new();
    let mut aliases_known = true;
    for (r, d) in described {
        let is_alias = r.starts_with("alias/") || r.contains(":alias/");
        match d {
            Described::Key(m) => {
                if is_alias {
                    aliased.insert(m.key_id().to_string());
                }
                keys.insert(m.key_id().to_string(), *m);
            }
            Described::Absent => {}
            Described::Failed(why) => {
                aliases_known &= !is_alias;
                unknown.push(format!(
                    "KMS key `{r}` of account {account} region {region} unknown: {why}"
                ));
            }
        }
    }

    let details = all(keys
        .values()
        .map(|m| {
            let (aws, client, m) = (aws.clone(), client.clone(), m.clone());
            async move { key(&aws, &client, m).await }
        })
        .collect())
    .await?;
    let mut items = Vec::new();
    for (item, why) in details {
        items.push(item);
        unknown.extend(why);
    }

    let mut section = Map::new();
    section.insert("keys".into(), Value::Array(items));
    if aliases_known {
        match aliases(aws, &client, &aliased).await {
            Ok(list) => {
                section.insert("aliases".into(), Value::Array(list));
            }
            Err(why) => unknown.push(format!(
                "KMS aliases of account {account} region {region} unknown: {why}"
            )),
        }
    } else {
        unknown.push(format!(
            "KMS aliases of account {account} region {region} unknown: an alias could not be resolved"
        ));
    }
    Ok(Collected {
        section: Value::Object(section),
        unknown,
    })
}

/// One `kms.keys` item: the metadata, and for a customer managed key its policy and grants
/// (each left out when it could not be read, with the reason).
async fn key(aws: &Aws, client: &aws_sdk_kms::Client, m: KeyMetadata) -> (Value, Vec<String>) {
    let id = m.key_id().to_string();
    let mut item = Map::new();
    item.insert("KeyMetadata".into(), metadata(&m));
    let mut unknown = Vec::new();
    // An AWS managed key's policy lets every principal of the account use it through the
    // service: the checks do not read it.
    if m.key_manager() != Some(&KeyManagerType::Customer) {
        return (Value::Object(item), unknown);
    }
    let policy = {
        let _p = aws.permit().await;
        client
            .get_key_policy()
            .key_id(&id)
            .policy_name("default")
            .send()
            .await
    };
    match policy {
        Ok(out) => {
            if let Some(p) = out.policy {
                item.insert("Policy".into(), Value::String(p));
            }
        }
        Err(e) => unknown.push(format!(
            "the key policy of `{id}` unknown: {}",
            describe("kms:GetKeyPolicy", &e)
        )),
    }
    let mut grants = Vec::new();
    let listed = {
        let _p = aws.permit().await;
        let mut pages = client
            .list_grants()
            .key_id(&id)
            .limit(100)
            .into_paginator()
            .send();
        let mut failed = None;
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => grants.extend(p.grants.unwrap_or_default()),
                Err(e) => {
                    failed = Some(describe("kms:ListGrants", &e));
                    break;
                }
            }
        }
        failed
    };
    match listed {
        None => {
            item.insert(
                "Grants".into(),
                Value::Array(grants.iter().map(grant).collect()),
            );
        }
        Some(why) => unknown.push(format!("the grants of `{id}` unknown: {why}")),
    }
    (Value::Object(item), unknown)
}

/// The aliases of the keys that were named by an alias (ListAliases filtered by key).
async fn aliases(
    aws: &Aws,
    client: &aws_sdk_kms::Client,
    keys: &BTreeSet<String>,
) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for id in keys {
        let _p = aws.permit().await;
        let mut pages = client
            .list_aliases()
            .key_id(id)
            .limit(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| describe("kms:ListAliases", &e))?;
            for a in page.aliases.unwrap_or_default() {
                out.push(
                    Obj::new()
                        .str("AliasName", a.alias_name())
                        .str("AliasArn", a.alias_arn())
                        .str("TargetKeyId", a.target_key_id())
                        .build(),
                );
            }
        }
    }
    Ok(out)
}

fn metadata(m: &KeyMetadata) -> Value {
    Obj::new()
        .str("AWSAccountId", m.aws_account_id())
        .str("KeyId", Some(m.key_id()))
        .str("Arn", m.arn())
        .time("CreationDate", m.creation_date())
        .bool("Enabled", Some(m.enabled()))
        .str("KeyUsage", m.key_usage().map(|k| k.as_str()))
        .str("KeyState", m.key_state().map(|k| k.as_str()))
        .time("DeletionDate", m.deletion_date())
        .str("Origin", m.origin().map(|o| o.as_str()))
        .str("KeyManager", m.key_manager().map(|k| k.as_str()))
        .str("KeySpec", m.key_spec().map(|k| k.as_str()))
        .build()
}

fn grant(g: &GrantListEntry) -> Value {
    let context = |m: Option<&std::collections::HashMap<String, String>>| {
        m.map(|m| {
            let sorted: BTreeMap<&String, &String> = m.iter().collect();
            Value::Object(
                sorted
                    .into_iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            )
        })
    };
    Obj::new()
        .str("KeyId", g.key_id())
        .str("GrantId", g.grant_id())
        .str("Name", g.name())
        .time("CreationDate", g.creation_date())
        .str("GranteePrincipal", g.grantee_principal())
        .str("RetiringPrincipal", g.retiring_principal())
        .str("IssuingAccount", g.issuing_account())
        .list("Operations", g.operations(), |o| {
            Value::String(o.as_str().to_string())
        })
        .value(
            "Constraints",
            g.constraints().map(|c| {
                Obj::new()
                    .value(
                        "EncryptionContextSubset",
                        context(c.encryption_context_subset()),
                    )
                    .value(
                        "EncryptionContextEquals",
                        context(c.encryption_context_equals()),
                    )
                    .build()
            }),
        )
        .build()
}
