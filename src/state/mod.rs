//! What is known of the AWS account: from state snapshot files, from resources defined in the
//! same template, or from the live account. Rules cannot tell the sources apart.
//!
//! Lookups are three-valued (`Lookup`): found, known absent, or unknown with the reason. An
//! absent section of a state file is unknown; an empty list is known-empty.

pub mod ec2;
pub mod ecr;
pub mod ecs;
pub mod iam;
pub mod kms;
pub mod logs;
pub mod managed_policies;
pub mod part;
pub mod s3;
pub mod secretsmanager;
pub mod snapshot;
pub mod ssm;
pub mod template;

pub use crate::base::known::{Lookup, Tri};
pub use snapshot::Snapshot;

use ecr::{EcrIndex, EcrState};
use iam::IamIndex;

/// Everything the state files say, for one run.
#[derive(Debug, Default)]
pub struct AccountState {
    pub snapshots: Vec<Snapshot>,
    pub ecr: EcrIndex,
    /// Roles and policies (IAM documents and ECR repository/registry policies), parsed once
    /// at load.
    pub iam: IamIndex,
    pub secrets: secretsmanager::SecretsIndex,
    pub parameters: ssm::ParametersIndex,
    pub kms: kms::KmsIndex,
    pub log_groups: logs::LogGroupsIndex,
    pub s3: s3::S3Index,
}

impl AccountState {
    pub fn new(mut snapshots: Vec<Snapshot>) -> AccountState {
        let ecr_states = snapshots
            .iter()
            .filter_map(|s| {
                s.ecr.clone().map(|section| EcrState {
                    account_id: s.account_id.clone(),
                    region: s.region.clone(),
                    section,
                })
            })
            .collect();
        let iam = IamIndex::new(&mut snapshots);
        AccountState {
            ecr: EcrIndex::new(ecr_states),
            iam,
            secrets: secretsmanager::SecretsIndex::new(&snapshots),
            parameters: ssm::ParametersIndex::new(&snapshots),
            kms: kms::KmsIndex::new(&snapshots),
            log_groups: logs::LogGroupsIndex::new(&snapshots),
            s3: s3::S3Index::new(&snapshots),
            snapshots,
        }
    }

    /// The snapshot for an account and region, if one was loaded.
    pub fn snapshot(&self, account: &str, region: &str) -> Option<&Snapshot> {
        self.snapshots
            .iter()
            .find(|s| s.account_id == account && s.region == region)
    }

    /// The region of the only state file (the deployment region's fallback).
    pub fn only_region(&self) -> Option<&str> {
        match self.snapshots.as_slice() {
            [only] => Some(&only.region),
            _ => None,
        }
    }

    pub fn only_account(&self) -> Option<&str> {
        match self.snapshots.as_slice() {
            [only] => Some(&only.account_id),
            _ => None,
        }
    }
}
