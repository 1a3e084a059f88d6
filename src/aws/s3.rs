//! The `s3` section: the buckets of the referenced `environmentFiles` objects, and whether
//! those objects exist. Per bucket: GetBucketLocation (sent to the partition's first region,
//! which answers for a bucket of any region), then in the bucket's region GetBucketPolicy;
//! per object: ListObjectsV2 with the key as prefix and at most one key (the key itself sorts
//! first among the keys it prefixes). Every call names the caller's account as
//! `ExpectedBucketOwner`, so a bucket of another account is refused, never taken for one of
//! this account.
//!
//! Why not HeadObject: it needs `s3:GetObject`, which would let the read-only policy read the
//! environment files themselves (often secrets), and without `s3:ListBucket` it answers 403,
//! not 404, for a missing object. ListObjectsV2 needs only `s3:ListBucket` and reads no
//! content (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
//!
//! A bucket that does not exist (`NoSuchBucket`) is left out: known absent. A bucket that
//! cannot be read (access denied — also the answer for a bucket of another account —,
//! throttling, a timeout) makes `buckets` unknown: the state lookup takes a bucket missing
//! from the list as absent. Likewise one object that cannot be listed makes `objects` unknown.
//! A bucket policy that cannot be read is left out of its bucket (unknown), not written null.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::client::{Aws, all, describe, is};
use super::json::Obj;
use crate::model::resolve::partition_of_region;
use crate::state::s3::location_region;

pub struct Collected {
    /// `{"buckets": [...], "objects": [...]}`, each only when known; None when neither is.
    pub section: Option<Value>,
    pub unknown: Vec<String>,
}

/// What one bucket gave.
enum BucketAnswer {
    Found {
        item: Value,
        /// Keys found; None when an object could not be listed (the reason is in `unknown`).
        objects: Option<Vec<String>>,
        unknown: Vec<String>,
    },
    Absent,
    Failed(String),
}

pub async fn collect(
    aws: &Aws,
    caller: &str,
    objects: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Collected, String> {
    let answers = all(objects
        .iter()
        .map(|(bucket, keys)| {
            let (aws, caller, bucket, keys) = (
                aws.clone(),
                caller.to_string(),
                bucket.clone(),
                keys.clone(),
            );
            async move { read_bucket(&aws, &caller, &bucket, &keys).await }
        })
        .collect())
    .await?;
    let mut unknown = Vec::new();
    let mut buckets = Vec::new();
    let mut buckets_known = true;
    let mut found_objects = Vec::new();
    let mut objects_known = true;
    for (bucket, answer) in objects.keys().zip(answers) {
        match answer {
            BucketAnswer::Found {
                item,
                objects,
                unknown: why,
            } => {
                buckets.push(item);
                unknown.extend(why);
                match objects {
                    Some(keys) => found_objects.extend(keys.into_iter().map(|key| {
                        Obj::new()
                            .str("Bucket", Some(bucket.as_str()))
                            .str("Key", Some(key.as_str()))
                            .build()
                    })),
                    None => objects_known = false,
                }
            }
            BucketAnswer::Absent => {}
            BucketAnswer::Failed(why) => {
                buckets_known = false;
                unknown.push(why);
            }
        }
    }
    if !buckets_known {
        return Ok(Collected {
            section: None,
            unknown,
        });
    }
    let mut section = Map::new();
    section.insert("buckets".into(), Value::Array(buckets));
    if objects_known {
        section.insert("objects".into(), Value::Array(found_objects));
    }
    Ok(Collected {
        section: Some(Value::Object(section)),
        unknown,
    })
}

/// The region that answers GetBucketLocation for any bucket of the partition.
fn location_endpoint_region(region: &str) -> &str {
    match partition_of_region(region) {
        "aws" => "us-east-1",
        "aws-cn" => "cn-north-1",
        "aws-us-gov" => "us-gov-west-1",
        _ => region,
    }
}

async fn read_bucket(
    aws: &Aws,
    caller: &str,
    bucket: &str,
    keys: &BTreeSet<String>,
) -> BucketAnswer {
    let got = {
        let _p = aws.permit().await;
        aws.s3(location_endpoint_region(&aws.region))
            .get_bucket_location()
            .bucket(bucket)
            .expected_bucket_owner(caller)
            .send()
            .await
    };
    let constraint = match got {
        Ok(out) => out.location_constraint().map(|c| c.as_str().to_string()),
        Err(e) if is(&e, &["NoSuchBucket"]) => return BucketAnswer::Absent,
        Err(e) => {
            return BucketAnswer::Failed(format!(
                "S3 buckets unknown: the bucket `{bucket}` could not be read as a bucket of account {caller} (denied, or another account's): {}",
                describe("s3:GetBucketLocation", &e)
            ));
        }
    };
    let region = location_region(constraint.as_deref());
    let client = aws.s3(&region);
    let mut unknown = Vec::new();
    let policy = {
        let _p = aws.permit().await;
        client
            .get_bucket_policy()
            .bucket(bucket)
            .expected_bucket_owner(caller)
            .send()
            .await
    };
    let policy = match policy {
        Ok(out) => Some(
            out.policy()
                .map_or(Value::Null, |p| Value::String(p.into())),
        ),
        Err(e) if is(&e, &["NoSuchBucketPolicy"]) => Some(Value::Null),
        Err(e) => {
            unknown.push(format!(
                "the policy of the bucket `{bucket}` unknown: {}",
                describe("s3:GetBucketPolicy", &e)
            ));
            None
        }
    };
    let item = Obj::new()
        .str("Name", Some(bucket))
        .str("Region", Some(region.as_str()))
        .value("Policy", policy)
        .build();
    let mut found = Vec::new();
    let mut objects_known = true;
    for key in keys {
        let listed = {
            let _p = aws.permit().await;
            client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(key)
                .max_keys(1)
                .expected_bucket_owner(caller)
                .send()
                .await
        };
        match listed {
            Ok(out) => {
                if out.contents().iter().any(|o| o.key() == Some(key.as_str())) {
                    found.push(key.clone());
                }
            }
            Err(e) => {
                objects_known = false;
                unknown.push(format!(
                    "S3 objects unknown: `s3://{bucket}/{key}`: {}",
                    describe("s3:ListObjectsV2 (s3:ListBucket)", &e)
                ));
            }
        }
    }
    BucketAnswer::Found {
        item,
        objects: objects_known.then_some(found),
        unknown,
    }
}
