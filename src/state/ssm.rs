//! The `ssm` section of a state snapshot: `aws ssm describe-parameters` → `Parameters[]` items
//! (metadata only: never a parameter value).

use std::collections::HashMap;

use serde::Deserialize;

use super::snapshot::Snapshot;
use crate::base::known::Lookup;

/// The whole `ssm` section.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SsmSection {
    pub parameters: Option<Vec<Parameter>>,
}

/// One `describe-parameters` item.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    pub name: Option<String>,
    #[serde(rename = "ARN")]
    pub arn: Option<String>,
    /// `String`, `StringList` or `SecureString`.
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    /// The KMS key of a `SecureString` (often the alias `alias/aws/ssm` or another alias).
    pub key_id: Option<String>,
    /// The latest version.
    pub version: Option<i64>,
}

/// Every state file's parameters, by account, region and name.
#[derive(Debug, Default)]
pub struct ParametersIndex {
    regions: HashMap<(String, String), HashMap<String, Parameter>>,
}

impl ParametersIndex {
    pub fn new(snapshots: &[Snapshot]) -> ParametersIndex {
        let mut regions: HashMap<(String, String), HashMap<String, Parameter>> = HashMap::new();
        for s in snapshots {
            let Some(list) = s.ssm.as_ref().and_then(|m| m.parameters.as_ref()) else {
                continue;
            };
            let r = regions
                .entry((s.account_id.clone(), s.region.clone()))
                .or_default();
            for p in list {
                if let Some(name) = &p.name {
                    r.entry(name.clone()).or_insert_with(|| p.clone());
                }
            }
        }
        ParametersIndex { regions }
    }

    /// The parameter of that name (as SSM prints it: a path name starts with `/`).
    pub fn find(&self, account: &str, region: &str, name: &str) -> Lookup<&Parameter> {
        let Some(r) = self.regions.get(&(account.to_string(), region.to_string())) else {
            return Lookup::unknown(format!(
                "no state file lists the SSM parameters of account {account} region {region} (`ssm.parameters`)"
            ));
        };
        // An ARN drops the leading `/` of a path name (`parameter/app/db` is `/app/db`):
        // either spelling finds it.
        let other = match name.strip_prefix('/') {
            Some(rest) => rest.to_string(),
            None => format!("/{name}"),
        };
        match r.get(name).or_else(|| r.get(&other)) {
            Some(p) => Lookup::Found(p),
            None => Lookup::Absent,
        }
    }
}
