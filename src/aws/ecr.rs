//! The `ecr` section of one registry (account) in one region, read in that region.
//!
//! - DescribeRepositories for the referenced names (100 per call). A missing name fails the
//!   whole call with `RepositoryNotFoundException`, so that batch is asked again name by name.
//! - Per repository that exists: DescribeImages of the whole repository (paginated; the
//!   lifecycle evaluation needs the complete list, archived images included), BatchGetImage of
//!   the referenced tags and digests (100 per call, for the manifests), GetRepositoryPolicy and
//!   GetLifecyclePolicy.
//! - For the caller's own registry only: DescribePullThroughCacheRules, GetRegistryPolicy and
//!   GetRegistryScanningConfiguration (these read the caller's registry; another account's are
//!   not readable and stay unknown).
//!
//! Not-found errors mean known absent (the item is left out of a present list). Any other
//! failure makes the list it feeds unknown (left out of the section) with the reason; a failure
//! of DescribeRepositories makes the whole section unknown.

use std::collections::BTreeMap;

use aws_sdk_ecr::types::{
    DescribeImagesFilter, Image, ImageDetail, ImageIdentifier, ImageStatusFilter,
    PullThroughCacheRule, Repository,
};
use serde_json::{Map, Value};

use super::client::{Aws, all, describe, is};
use super::json::Obj;
use super::refs::ImageIds;

/// Media types BatchGetImage may return: without them ECR may convert an index or an OCI
/// manifest to a Docker v2 manifest, and the platform check would read the wrong thing.
const ACCEPTED_MEDIA_TYPES: [&str; 5] = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v1+signed+json",
];

/// ECR's limits per call.
const NAMES_PER_CALL: usize = 100;
const IMAGE_IDS_PER_CALL: usize = 100;

/// What was read of one registry: the section (None when nothing could be read) and why parts
/// are missing.
pub struct Collected {
    pub section: Option<Value>,
    /// (the list, or "" for the whole section; why).
    pub unknown: Vec<(&'static str, String)>,
}

type Part = Result<Vec<Value>, String>;

pub async fn collect(
    aws: &Aws,
    account: &str,
    region: &str,
    repos: &BTreeMap<String, ImageIds>,
    own_registry: bool,
) -> Collected {
    let client = aws.ecr(region);
    let where_ = format!("account {account} region {region}");
    let found = match repositories(aws, &client, account, repos).await {
        Ok(found) => found,
        Err(reason) => {
            return Collected {
                section: None,
                unknown: vec![("", format!("ECR state of {where_} not read: {reason}"))],
            };
        }
    };

    let per_repo = all(found
        .iter()
        .map(|r| {
            let (aws, client) = (aws.clone(), client.clone());
            let account = account.to_string();
            let name = r.repository_name().unwrap_or_default().to_string();
            let ids = repos.get(&name).cloned().unwrap_or_default();
            async move { repository_contents(&aws, &client, &account, &name, &ids).await }
        })
        .collect())
    .await;
    let per_repo = match per_repo {
        Ok(r) => r,
        Err(reason) => {
            return Collected {
                section: None,
                unknown: vec![("", format!("ECR state of {where_} not read: {reason}"))],
            };
        }
    };

    let mut parts: [(&str, Part); 4] = [
        ("imageDetails", Ok(Vec::new())),
        ("images", Ok(Vec::new())),
        ("repositoryPolicies", Ok(Vec::new())),
        ("lifecyclePolicies", Ok(Vec::new())),
    ];
    for contents in per_repo {
        for (slot, got) in parts.iter_mut().zip(contents) {
            merge(&mut slot.1, got);
        }
    }

    let mut section = Map::new();
    section.insert(
        "repositories".into(),
        Value::Array(found.iter().map(repository).collect()),
    );
    let mut unknown = Vec::new();
    for (key, part) in parts {
        match part {
            Ok(items) => {
                section.insert(key.into(), Value::Array(items));
            }
            Err(reason) => unknown.push((key, format!("ecr.{key} of {where_} unknown: {reason}"))),
        }
    }
    if own_registry {
        match pull_through_cache_rules(aws, &client, account).await {
            Ok(rules) => {
                section.insert("pullThroughCacheRules".into(), Value::Array(rules));
            }
            Err(reason) => {
                unknown.push((
                    "pullThroughCacheRules",
                    format!("ecr.pullThroughCacheRules of {where_} unknown: {reason}"),
                ));
            }
        }
        match registry_policy(aws, &client).await {
            Ok(policy) => {
                section.insert("registryPolicy".into(), policy);
            }
            Err(reason) => {
                unknown.push((
                    "registryPolicy",
                    format!("ecr.registryPolicy of {where_} unknown: {reason}"),
                ));
            }
        }
        match registry_scanning_configuration(aws, &client).await {
            Ok(config) => {
                section.insert("registryScanningConfiguration".into(), config);
            }
            Err(reason) => unknown.push((
                "registryScanningConfiguration",
                format!("ecr.registryScanningConfiguration of {where_} unknown: {reason}"),
            )),
        }
    }
    Collected {
        section: Some(Value::Object(section)),
        unknown,
    }
}

/// Appends a repository's items to a part; the first failure makes the part unknown.
fn merge(into: &mut Part, got: Part) {
    match (into.as_mut(), got) {
        (Ok(items), Ok(more)) => items.extend(more),
        (Ok(_), Err(reason)) => *into = Err(reason),
        (Err(_), _) => {}
    }
}

/// The referenced repositories that exist.
async fn repositories(
    aws: &Aws,
    client: &aws_sdk_ecr::Client,
    account: &str,
    repos: &BTreeMap<String, ImageIds>,
) -> Result<Vec<Repository>, String> {
    let names: Vec<&String> = repos.keys().collect();
    let mut found = Vec::new();
    for batch in names.chunks(NAMES_PER_CALL) {
        match describe_repositories(aws, client, account, batch).await {
            Ok(mut r) => found.append(&mut r),
            Err(Missing::NotFound) => {
                // Which of them is missing is not in the error: ask one by one.
                for name in batch {
                    match describe_repositories(aws, client, account, &[name]).await {
                        Ok(mut r) => found.append(&mut r),
                        Err(Missing::NotFound) => {}
                        Err(Missing::Failed(reason)) => return Err(reason),
                    }
                }
            }
            Err(Missing::Failed(reason)) => return Err(reason),
        }
    }
    found.sort_by(|a, b| a.repository_name().cmp(&b.repository_name()));
    Ok(found)
}

enum Missing {
    NotFound,
    Failed(String),
}

async fn describe_repositories(
    aws: &Aws,
    client: &aws_sdk_ecr::Client,
    account: &str,
    names: &[&String],
) -> Result<Vec<Repository>, Missing> {
    let _p = aws.permit().await;
    let mut pages = client
        .describe_repositories()
        .registry_id(account)
        .set_repository_names(Some(names.iter().map(|n| n.to_string()).collect()))
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => out.extend(p.repositories.unwrap_or_default()),
            Err(e) if is(&e, &["RepositoryNotFoundException"]) => return Err(Missing::NotFound),
            Err(e) => return Err(Missing::Failed(describe("ecr:DescribeRepositories", &e))),
        }
    }
    Ok(out)
}

/// imageDetails, images, repositoryPolicies, lifecyclePolicies of one repository.
async fn repository_contents(
    aws: &Aws,
    client: &aws_sdk_ecr::Client,
    account: &str,
    name: &str,
    ids: &ImageIds,
) -> [Part; 4] {
    let (details, manifests, policy, lifecycle) = tokio::join!(
        image_details(aws, client, account, name),
        manifests(aws, client, account, name, ids),
        repository_policy(aws, client, account, name),
        lifecycle_policy(aws, client, account, name),
    );
    [details, manifests, policy, lifecycle]
}

async fn image_details(aws: &Aws, client: &aws_sdk_ecr::Client, account: &str, name: &str) -> Part {
    let _p = aws.permit().await;
    let mut pages = client
        .describe_images()
        .registry_id(account)
        .repository_name(name)
        // Archived images too: they are the repository's, and ECR008 reports them.
        .filter(
            DescribeImagesFilter::builder()
                .image_status(ImageStatusFilter::Any)
                .build(),
        )
        .max_results(1000)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => out.extend(p.image_details().iter().map(|d| image_detail(d, account))),
            // Deleted since DescribeRepositories: it has no images.
            Err(e) if is(&e, &["RepositoryNotFoundException"]) => return Ok(Vec::new()),
            Err(e) => return Err(describe(&format!("ecr:DescribeImages({name})"), &e)),
        }
    }
    // A stable order for the snapshot file (the API's order is not specified).
    out.sort_by(|a, b| a["imageDigest"].as_str().cmp(&b["imageDigest"].as_str()));
    Ok(out)
}

async fn manifests(
    aws: &Aws,
    client: &aws_sdk_ecr::Client,
    account: &str,
    name: &str,
    ids: &ImageIds,
) -> Part {
    let wanted: Vec<ImageIdentifier> = ids
        .tags
        .iter()
        .map(|t| ImageIdentifier::builder().image_tag(t).build())
        .chain(
            ids.digests
                .iter()
                .map(|d| ImageIdentifier::builder().image_digest(d).build()),
        )
        .collect();
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for batch in wanted.chunks(IMAGE_IDS_PER_CALL) {
        let got = {
            let _p = aws.permit().await;
            let mut call = client
                .batch_get_image()
                .registry_id(account)
                .repository_name(name)
                .set_image_ids(Some(batch.to_vec()));
            for t in ACCEPTED_MEDIA_TYPES {
                call = call.accepted_media_types(t);
            }
            call.send().await
        };
        match got {
            Ok(result) => {
                for f in result.failures() {
                    let code = f.failure_code().map(|c| c.as_str()).unwrap_or("");
                    // These say the image is not there (or the reference is wrong): absent.
                    if !matches!(
                        code,
                        "ImageNotFound" | "ImageTagDoesNotMatchDigest" | "MissingDigestAndTag"
                    ) {
                        return Err(format!(
                            "ecr:BatchGetImage({name}) failed for an image: {code}: {}",
                            f.failure_reason().unwrap_or("")
                        ));
                    }
                }
                for image in result.images() {
                    // The same manifest asked for by tag and by digest is listed once.
                    let key = image
                        .image_id()
                        .and_then(|i| i.image_digest())
                        .unwrap_or_default()
                        .to_string();
                    out.entry(key).or_insert_with(|| image_json(image, account));
                }
            }
            Err(e) if is(&e, &["RepositoryNotFoundException"]) => return Ok(Vec::new()),
            Err(e) => return Err(describe(&format!("ecr:BatchGetImage({name})"), &e)),
        }
    }
    Ok(out.into_values().collect())
}

async fn repository_policy(
    aws: &Aws,
    client: &aws_sdk_ecr::Client,
    account: &str,
    name: &str,
) -> Part {
    let _p = aws.permit().await;
    match client
        .get_repository_policy()
        .registry_id(account)
        .repository_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(vec![
            Obj::new()
                .str("registryId", Some(account))
                .str("repositoryName", out.repository_name().or(Some(name)))
                .str("policyText", out.policy_text())
                .build(),
        ]),
        Err(e)
            if is(
                &e,
                &[
                    "RepositoryPolicyNotFoundException",
                    "RepositoryNotFoundException",
                ],
            ) =>
        {
            Ok(Vec::new())
        }
        Err(e) => Err(describe(&format!("ecr:GetRepositoryPolicy({name})"), &e)),
    }
}

async fn lifecycle_policy(
    aws: &Aws,
    client: &aws_sdk_ecr::Client,
    account: &str,
    name: &str,
) -> Part {
    let _p = aws.permit().await;
    match client
        .get_lifecycle_policy()
        .registry_id(account)
        .repository_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(vec![
            Obj::new()
                .str("registryId", Some(account))
                .str("repositoryName", out.repository_name().or(Some(name)))
                .str("lifecyclePolicyText", out.lifecycle_policy_text())
                .time("lastEvaluatedAt", out.last_evaluated_at())
                .build(),
        ]),
        Err(e)
            if is(
                &e,
                &[
                    "LifecyclePolicyNotFoundException",
                    "RepositoryNotFoundException",
                ],
            ) =>
        {
            Ok(Vec::new())
        }
        Err(e) => Err(describe(&format!("ecr:GetLifecyclePolicy({name})"), &e)),
    }
}

async fn pull_through_cache_rules(aws: &Aws, client: &aws_sdk_ecr::Client, account: &str) -> Part {
    let _p = aws.permit().await;
    let mut pages = client
        .describe_pull_through_cache_rules()
        .registry_id(account)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => out.extend(p.pull_through_cache_rules().iter().map(cache_rule)),
            Err(e) => return Err(describe("ecr:DescribePullThroughCacheRules", &e)),
        }
    }
    Ok(out)
}

/// The registry policy, or `null` when there is none.
async fn registry_policy(aws: &Aws, client: &aws_sdk_ecr::Client) -> Result<Value, String> {
    let _p = aws.permit().await;
    match client.get_registry_policy().send().await {
        Ok(out) => Ok(Obj::new()
            .str("registryId", out.registry_id())
            .str("policyText", out.policy_text())
            .build()),
        Err(e) if is(&e, &["RegistryPolicyNotFoundException"]) => Ok(Value::Null),
        Err(e) => Err(describe("ecr:GetRegistryPolicy", &e)),
    }
}

async fn registry_scanning_configuration(
    aws: &Aws,
    client: &aws_sdk_ecr::Client,
) -> Result<Value, String> {
    let _p = aws.permit().await;
    match client.get_registry_scanning_configuration().send().await {
        Ok(out) => Ok(Obj::new()
            .str("registryId", out.registry_id())
            .value(
                "scanningConfiguration",
                out.scanning_configuration().map(|c| {
                    Obj::new()
                        .str("scanType", c.scan_type().map(|t| t.as_str()))
                        .list("rules", c.rules(), |r| {
                            Obj::new()
                                .str("scanFrequency", Some(r.scan_frequency().as_str()))
                                .list("repositoryFilters", r.repository_filters(), |f| {
                                    Obj::new()
                                        .str("filter", Some(f.filter()))
                                        .str("filterType", Some(f.filter_type().as_str()))
                                        .build()
                                })
                                .build()
                        })
                        .build()
                }),
            )
            .build()),
        Err(e) => Err(describe("ecr:GetRegistryScanningConfiguration", &e)),
    }
}

fn repository(r: &Repository) -> Value {
    let mut o = Obj::new()
        .str("repositoryArn", r.repository_arn())
        .str("registryId", r.registry_id())
        .str("repositoryName", r.repository_name())
        .str("repositoryUri", r.repository_uri())
        .time("createdAt", r.created_at())
        .str(
            "imageTagMutability",
            r.image_tag_mutability().map(|m| m.as_str()),
        );
    if !r.image_tag_mutability_exclusion_filters().is_empty() {
        o = o.list(
            "imageTagMutabilityExclusionFilters",
            r.image_tag_mutability_exclusion_filters(),
            |f| {
                Obj::new()
                    .str("filterType", Some(f.filter_type().as_str()))
                    .str("filter", Some(f.filter()))
                    .build()
            },
        );
    }
    o.value(
        "imageScanningConfiguration",
        r.image_scanning_configuration().map(|c| {
            Obj::new()
                .bool("scanOnPush", Some(c.scan_on_push()))
                .build()
        }),
    )
    .value(
        "encryptionConfiguration",
        r.encryption_configuration().map(|c| {
            Obj::new()
                .str("encryptionType", Some(c.encryption_type().as_str()))
                .str("kmsKey", c.kms_key())
                .build()
        }),
    )
    .build()
}

/// Items are written with the registry they were read from: the API names the same one (moto
/// names the caller's account for a repository created for another registry).
fn image_detail(d: &ImageDetail, registry: &str) -> Value {
    Obj::new()
        .str("registryId", Some(registry))
        .str("repositoryName", d.repository_name())
        .str("imageDigest", d.image_digest())
        .strings_if_any("imageTags", d.image_tags())
        .int("imageSizeInBytes", d.image_size_in_bytes())
        .time("imagePushedAt", d.image_pushed_at())
        .value(
            "imageScanStatus",
            d.image_scan_status().map(|s| {
                Obj::new()
                    .str("status", s.status().map(|x| x.as_str()))
                    .str("description", s.description())
                    .build()
            }),
        )
        .value(
            "imageScanFindingsSummary",
            d.image_scan_findings_summary().map(|s| {
                Obj::new()
                    .time("imageScanCompletedAt", s.image_scan_completed_at())
                    .time(
                        "vulnerabilitySourceUpdatedAt",
                        s.vulnerability_source_updated_at(),
                    )
                    .value(
                        "findingSeverityCounts",
                        s.finding_severity_counts().map(|counts| {
                            let mut m = Map::new();
                            for (k, v) in counts {
                                m.insert(k.as_str().to_string(), Value::from(*v));
                            }
                            Value::Object(m)
                        }),
                    )
                    .build()
            }),
        )
        .str("imageManifestMediaType", d.image_manifest_media_type())
        .str("artifactMediaType", d.artifact_media_type())
        .time("lastRecordedPullTime", d.last_recorded_pull_time())
        .str("subjectManifestDigest", d.subject_manifest_digest())
        .str("imageStatus", d.image_status().map(|s| s.as_str()))
        .time("lastArchivedAt", d.last_archived_at())
        .time("lastActivatedAt", d.last_activated_at())
        .build()
}

fn image_json(i: &Image, registry: &str) -> Value {
    Obj::new()
        .str("registryId", Some(registry))
        .str("repositoryName", i.repository_name())
        .value(
            "imageId",
            i.image_id().map(|id| {
                Obj::new()
                    .str("imageDigest", id.image_digest())
                    .str("imageTag", id.image_tag())
                    .build()
            }),
        )
        .str("imageManifest", i.image_manifest())
        .str("imageManifestMediaType", i.image_manifest_media_type())
        .build()
}

fn cache_rule(r: &PullThroughCacheRule) -> Value {
    Obj::new()
        .str("ecrRepositoryPrefix", r.ecr_repository_prefix())
        .str("upstreamRegistryUrl", r.upstream_registry_url())
        .time("createdAt", r.created_at())
        .str("registryId", r.registry_id())
        .str("credentialArn", r.credential_arn())
        .str("customRoleArn", r.custom_role_arn())
        .str("upstreamRepositoryPrefix", r.upstream_repository_prefix())
        .str(
            "upstreamRegistry",
            r.upstream_registry().map(|u| u.as_str()),
        )
        .time("updatedAt", r.updated_at())
        .build()
}
