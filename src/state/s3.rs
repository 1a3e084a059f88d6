//! The `s3` section of a state snapshot: `buckets` (one item per bucket: `Name`, `Region`,
//! `Policy` — null when the bucket has none) and `objects` (`{"Bucket", "Key"}` items known to
//! exist). Object contents are never part of the state.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Deserializer};

use super::iam::LoadedPolicy;
use super::snapshot::Snapshot;
use crate::base::known::Lookup;
use crate::diag::FileId;

/// The whole `s3` section.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct S3Section {
    pub buckets: Option<Vec<Bucket>>,
    pub objects: Option<Vec<S3Object>>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    pub name: Option<String>,
    /// `get-bucket-location`'s `LocationConstraint` (null or "" meaning `us-east-1`).
    pub region: Option<String>,
    /// None: not said (unknown); Some(None): the bucket has no policy.
    #[serde(default, deserialize_with = "present")]
    pub policy: Option<Option<serde_json::Value>>,
}

/// A key that is present, even with `null`, is `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<serde_json::Value>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
}

/// A bucket of the state.
#[derive(Debug)]
pub struct BucketEntry {
    pub name: String,
    /// The account whose state lists it (the bucket owner).
    pub account: String,
    pub region: String,
    /// None: unknown; Some(None): no bucket policy.
    pub policy: Option<Option<LoadedPolicy>>,
    /// The state file that lists it.
    pub file: FileId,
}

/// Every state file's buckets and objects. Bucket names are global: a bucket is found by name
/// in whichever account's state lists it.
#[derive(Debug, Default)]
pub struct S3Index {
    buckets: HashMap<String, BucketEntry>,
    /// Accounts whose state has `s3.buckets`.
    bucket_accounts: HashSet<String>,
    /// Buckets whose objects are listed (`s3.objects` present in the state that lists them).
    objects: HashSet<(String, String)>,
    objects_known_in: HashSet<String>,
}

/// `get-bucket-location` writes no constraint for us-east-1.
pub fn location_region(constraint: Option<&str>) -> String {
    match constraint {
        None | Some("") => "us-east-1".to_string(),
        // The legacy constraint of eu-west-1.
        Some("EU") => "eu-west-1".to_string(),
        Some(r) => r.to_string(),
    }
}

impl S3Index {
    pub fn new(snapshots: &[Snapshot]) -> S3Index {
        let mut index = S3Index::default();
        for s in snapshots {
            let Some(section) = &s.s3 else { continue };
            let objects_known = section.objects.is_some();
            for o in section.objects.iter().flatten() {
                index.objects.insert((o.bucket.clone(), o.key.clone()));
            }
            let Some(buckets) = &section.buckets else {
                continue;
            };
            index.bucket_accounts.insert(s.account_id.clone());
            for (i, b) in buckets.iter().enumerate() {
                let Some(name) = b.name.clone() else { continue };
                if objects_known {
                    index.objects_known_in.insert(name.clone());
                }
                let node = s
                    .root
                    .get("s3")
                    .and_then(|n| n.get("buckets"))
                    .and_then(|n| n.items().get(i))
                    .and_then(|n| n.get("Policy"));
                let policy = b.policy.as_ref().map(|p| {
                    p.as_ref().filter(|v| !v.is_null()).map(|v| {
                        LoadedPolicy::from_state(
                            &format!("bucket policy of `{name}`"),
                            v,
                            node,
                            s.file,
                        )
                    })
                });
                index.buckets.entry(name.clone()).or_insert(BucketEntry {
                    name,
                    account: s.account_id.clone(),
                    region: location_region(b.region.as_deref()),
                    policy,
                    file: s.file,
                });
            }
        }
        index
    }

    /// The bucket, if a state lists it; Absent when the state of `account` (the account the
    /// task expects it in) lists its buckets and not this one.
    pub fn bucket(&self, name: &str, account: Option<&str>) -> Lookup<&BucketEntry> {
        if let Some(b) = self.buckets.get(name) {
            return Lookup::Found(b);
        }
        match account {
            Some(a) if self.bucket_accounts.contains(a) => Lookup::Absent,
            Some(a) => Lookup::unknown(format!(
                "no state file lists the S3 buckets of account {a} (`s3.buckets`), and the bucket `{name}` may be in another account"
            )),
            None => Lookup::unknown(format!(
                "the bucket `{name}` is in no state file's `s3.buckets`, and the deployment account is not known"
            )),
        }
    }

    /// Whether the object exists: known only when the state that lists its bucket also has
    /// `s3.objects` (the collector heads exactly the referenced objects).
    pub fn object(&self, bucket: &str, key: &str) -> Lookup<()> {
        if self
            .objects
            .contains(&(bucket.to_string(), key.to_string()))
        {
            return Lookup::Found(());
        }
        if self.objects_known_in.contains(bucket) {
            Lookup::Absent
        } else {
            Lookup::unknown(format!(
                "no state file lists the objects of the bucket `{bucket}` (`s3.objects`)"
            ))
        }
    }
}
