//! The `logs` section of a state snapshot: `aws logs describe-log-groups` → `logGroups[]`
//! items.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::snapshot::Snapshot;
use crate::base::known::Lookup;

/// The whole `logs` section.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LogsSection {
    pub log_groups: Option<Vec<LogGroup>>,
}

/// One `describe-log-groups` item.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LogGroup {
    pub log_group_name: Option<String>,
    pub arn: Option<String>,
}

/// Every state file's log group names, by account and region.
#[derive(Debug, Default)]
pub struct LogGroupsIndex {
    regions: HashMap<(String, String), HashSet<String>>,
}

impl LogGroupsIndex {
    pub fn new(snapshots: &[Snapshot]) -> LogGroupsIndex {
        let mut regions: HashMap<(String, String), HashSet<String>> = HashMap::new();
        for s in snapshots {
            let Some(list) = s.logs.as_ref().and_then(|m| m.log_groups.as_ref()) else {
                continue;
            };
            let r = regions
                .entry((s.account_id.clone(), s.region.clone()))
                .or_default();
            r.extend(list.iter().filter_map(|g| g.log_group_name.clone()));
        }
        LogGroupsIndex { regions }
    }

    /// Whether the log group exists (found: its name).
    pub fn find(&self, account: &str, region: &str, name: &str) -> Lookup<()> {
        let Some(r) = self.regions.get(&(account.to_string(), region.to_string())) else {
            return Lookup::unknown(format!(
                "no state file lists the log groups of account {account} region {region} (`logs.logGroups`)"
            ));
        };
        if r.contains(name) {
            Lookup::Found(())
        } else {
            Lookup::Absent
        }
    }
}
