//! The `ecr` section of a state snapshot, and an index to look things up in it.
//!
//! Every list is exactly what the named AWS CLI command prints (field names unchanged), so a
//! user can assemble a snapshot by hand. Items keep every field the linter reads as an
//! `Option`: the CLI omits fields freely, and a field we do not read is ignored (new AWS fields
//! must not break old snapshots). A field of the wrong JSON type is an error.
//!
//! **Absent is not empty.** Each list is `Option<Vec<_>>`: `None` = the key is missing (or
//! null), so the state does not know; `Some(vec![])` = known, there are none. `Lookup` carries
//! that distinction to the rules: `Unknown` vs `Absent`.
//!
//! A snapshot covers one account and one region. It is complete only for the registry of its
//! own account in its own region; items of other registries it happens to contain are found,
//! but their absence proves nothing.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde_json::Value;

use crate::base::known::Lookup;

pub use crate::base::timestamp::{MICROS_PER_DAY, MICROS_PER_SECOND, Timestamp};

// ---------------------------------------------------------------------------------------------
// Policy documents inside the section
// ---------------------------------------------------------------------------------------------

/// A JSON document that AWS returns as a string (`policyText`, `lifecyclePolicyText`).
///
/// The CLI prints a string; a hand-written snapshot may hold the document as a JSON object.
/// Both are accepted and kept as text, so every consumer parses one form.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonText(pub String);

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<JsonText, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(s) => Ok(JsonText(s)),
            v @ Value::Object(_) => Ok(JsonText(v.to_string())),
            other => Err(de::Error::custom(format!(
                "expected a JSON document as a string or an object, found {}",
                json_kind(&other)
            ))),
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Deserialises a key that may be missing (outer `None`), null (`Some(None)`) or a value.
fn present_or_null<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

// ---------------------------------------------------------------------------------------------
// The section and its items
// ---------------------------------------------------------------------------------------------

/// The `ecr` section of a state snapshot.
///
/// Every field: `None` = unknown (key missing or null). For the two registry-level fields the
/// outer `None` = unknown and `Some(None)` = the snapshot says there is none (`null`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EcrSection {
    /// `aws ecr describe-repositories` → `repositories[]`.
    pub repositories: Option<Vec<Repository>>,
    /// `aws ecr describe-images` → `imageDetails[]`.
    pub image_details: Option<Vec<ImageDetail>>,
    /// `aws ecr batch-get-image` → `images[]`.
    pub images: Option<Vec<Image>>,
    /// `aws ecr get-repository-policy` outputs.
    pub repository_policies: Option<Vec<RepositoryPolicy>>,
    /// `aws ecr get-lifecycle-policy` outputs.
    pub lifecycle_policies: Option<Vec<LifecyclePolicy>>,
    /// `aws ecr describe-pull-through-cache-rules` → `pullThroughCacheRules[]`.
    pub pull_through_cache_rules: Option<Vec<PullThroughCacheRule>>,
    /// `aws ecr get-registry-policy` output; `Some(None)` = no registry policy.
    #[serde(default, deserialize_with = "present_or_null")]
    pub registry_policy: Option<Option<RegistryPolicy>>,
    /// `aws ecr get-registry-scanning-configuration` output; `Some(None)` = the snapshot
    /// records none (treated as unknown by lookups: the API always returns one).
    #[serde(default, deserialize_with = "present_or_null")]
    pub registry_scanning_configuration: Option<Option<RegistryScanningConfiguration>>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    pub repository_arn: Option<String>,
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub repository_uri: Option<String>,
    pub created_at: Option<Timestamp>,
    /// `MUTABLE | IMMUTABLE | MUTABLE_WITH_EXCLUSION | IMMUTABLE_WITH_EXCLUSION`, kept as text
    /// so that a value added by AWS later is not a type error (see `ecr::mutability`).
    pub image_tag_mutability: Option<String>,
    pub image_tag_mutability_exclusion_filters: Option<Vec<TagMutabilityExclusionFilter>>,
    pub image_scanning_configuration: Option<ImageScanningConfiguration>,
    pub encryption_configuration: Option<EncryptionConfiguration>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TagMutabilityExclusionFilter {
    /// `WILDCARD`.
    pub filter_type: Option<String>,
    pub filter: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImageScanningConfiguration {
    pub scan_on_push: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionConfiguration {
    /// `AES256 | KMS | KMS_DSSE`.
    pub encryption_type: Option<String>,
    pub kms_key: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImageDetail {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_digest: Option<String>,
    pub image_tags: Option<Vec<String>>,
    pub image_size_in_bytes: Option<i64>,
    pub image_pushed_at: Option<Timestamp>,
    pub image_scan_status: Option<ImageScanStatus>,
    pub image_scan_findings_summary: Option<ImageScanFindingsSummary>,
    pub image_manifest_media_type: Option<String>,
    pub artifact_media_type: Option<String>,
    pub last_recorded_pull_time: Option<Timestamp>,
    pub subject_manifest_digest: Option<String>,
    /// `ACTIVE | ARCHIVED | ACTIVATING`.
    pub image_status: Option<String>,
    pub last_archived_at: Option<Timestamp>,
    pub last_activated_at: Option<Timestamp>,
}

impl ImageDetail {
    pub fn tags(&self) -> &[String] {
        self.image_tags.as_deref().unwrap_or(&[])
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImageScanStatus {
    pub status: Option<String>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImageScanFindingsSummary {
    pub image_scan_completed_at: Option<Timestamp>,
    pub vulnerability_source_updated_at: Option<Timestamp>,
    /// Severity → count; a missing key means 0 (API reference).
    pub finding_severity_counts: Option<HashMap<String, u64>>,
}

/// One `batch-get-image` result: the manifest text, for the platform check.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub image_id: Option<ImageId>,
    /// The manifest or index exactly as stored (a JSON document in a string).
    pub image_manifest: Option<String>,
    pub image_manifest_media_type: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImageId {
    pub image_digest: Option<String>,
    pub image_tag: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryPolicy {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    pub policy_text: Option<JsonText>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LifecyclePolicy {
    pub registry_id: Option<String>,
    pub repository_name: Option<String>,
    /// Parsed by the lifecycle evaluator (`ecr::lifecycle`), which reads this state.
    pub lifecycle_policy_text: Option<JsonText>,
    /// When ECR last ran the policy. Not used to evaluate (docs/ecr.md#evaluation: "as of now").
    pub last_evaluated_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PullThroughCacheRule {
    pub ecr_repository_prefix: Option<String>,
    pub upstream_registry_url: Option<String>,
    pub created_at: Option<Timestamp>,
    pub registry_id: Option<String>,
    pub credential_arn: Option<String>,
    pub custom_role_arn: Option<String>,
    pub upstream_repository_prefix: Option<String>,
    pub upstream_registry: Option<String>,
    pub updated_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegistryPolicy {
    pub registry_id: Option<String>,
    pub policy_text: Option<JsonText>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegistryScanningConfiguration {
    pub registry_id: Option<String>,
    pub scanning_configuration: Option<ScanningConfiguration>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScanningConfiguration {
    /// `BASIC | ENHANCED`.
    pub scan_type: Option<String>,
    pub rules: Option<Vec<ScanningRule>>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScanningRule {
    /// `SCAN_ON_PUSH | CONTINUOUS_SCAN | MANUAL`.
    pub scan_frequency: Option<String>,
    pub repository_filters: Option<Vec<ScanningRepositoryFilter>>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScanningRepositoryFilter {
    pub filter: Option<String>,
    pub filter_type: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Reading the section with error places
// ---------------------------------------------------------------------------------------------

/// A problem in the `ecr` section: where (a JSON path such as `ecr.imageDetails[3].imagePushedAt`)
/// and what.
#[derive(Clone, Debug, PartialEq)]
pub struct EcrStateError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for EcrStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl EcrSection {
    /// Reads the section from its JSON value, reporting every bad item with its JSON path
    /// (`path_prefix` is the path of the section itself, normally `ecr`).
    ///
    /// The types also derive `Deserialize`, so a caller that deserialises the whole snapshot
    /// from text gets serde_json's line and column instead; this function adds the JSON path
    /// and the checks that the identifying fields are present (`check_identities`).
    pub fn from_value(value: &Value, path_prefix: &str) -> Result<EcrSection, Vec<EcrStateError>> {
        let Some(object) = value.as_object() else {
            return Err(vec![EcrStateError {
                path: path_prefix.to_string(),
                message: format!("expected an object, found {}", json_kind(value)),
            }]);
        };
        let mut errors = Vec::new();
        for key in object.keys() {
            if !SECTION_KEYS.contains(&key.as_str()) {
                errors.push(EcrStateError {
                    path: format!("{path_prefix}.{key}"),
                    message: format!("unknown key; expected one of: {}", SECTION_KEYS.join(", ")),
                });
            }
        }
        let mut section = EcrSection {
            repositories: list(object, "repositories", path_prefix, &mut errors),
            image_details: list(object, "imageDetails", path_prefix, &mut errors),
            images: list(object, "images", path_prefix, &mut errors),
            repository_policies: list(object, "repositoryPolicies", path_prefix, &mut errors),
            lifecycle_policies: list(object, "lifecyclePolicies", path_prefix, &mut errors),
            pull_through_cache_rules: list(
                object,
                "pullThroughCacheRules",
                path_prefix,
                &mut errors,
            ),
            registry_policy: None,
            registry_scanning_configuration: None,
        };
        section.registry_policy = single(object, "registryPolicy", path_prefix, &mut errors);
        section.registry_scanning_configuration = single(
            object,
            "registryScanningConfiguration",
            path_prefix,
            &mut errors,
        );
        // Item positions shift when a bad item is dropped, so identities are checked only on a
        // section that deserialised cleanly (their paths would be wrong otherwise).
        if errors.is_empty() {
            errors.extend(section.check_identities(path_prefix));
        }
        if errors.is_empty() {
            Ok(section)
        } else {
            Err(errors)
        }
    }

    /// The fields without which an item cannot be looked up: a repository name on every
    /// repository-level item, a digest on every image, a prefix on every pull-through rule.
    pub fn check_identities(&self, path_prefix: &str) -> Vec<EcrStateError> {
        let mut errors = Vec::new();
        let mut missing = |key: &str, i: usize, field: &str| {
            errors.push(EcrStateError {
                path: format!("{path_prefix}.{key}[{i}]"),
                message: format!("`{field}` is missing; the item cannot be identified"),
            })
        };
        for (i, r) in self.repositories.iter().flatten().enumerate() {
            if r.repository_name.is_none() {
                missing("repositories", i, "repositoryName");
            }
        }
        for (i, d) in self.image_details.iter().flatten().enumerate() {
            if d.repository_name.is_none() {
                missing("imageDetails", i, "repositoryName");
            }
            if d.image_digest.is_none() {
                missing("imageDetails", i, "imageDigest");
            }
        }
        for (i, m) in self.images.iter().flatten().enumerate() {
            if m.repository_name.is_none() {
                missing("images", i, "repositoryName");
            }
            if m.image_id
                .as_ref()
                .and_then(|id| id.image_digest.as_ref())
                .is_none()
            {
                missing("images", i, "imageId.imageDigest");
            }
        }
        for (i, p) in self.repository_policies.iter().flatten().enumerate() {
            if p.repository_name.is_none() {
                missing("repositoryPolicies", i, "repositoryName");
            }
        }
        for (i, p) in self.lifecycle_policies.iter().flatten().enumerate() {
            if p.repository_name.is_none() {
                missing("lifecyclePolicies", i, "repositoryName");
            }
        }
        for (i, r) in self.pull_through_cache_rules.iter().flatten().enumerate() {
            if r.ecr_repository_prefix.is_none() {
                missing("pullThroughCacheRules", i, "ecrRepositoryPrefix");
            }
        }
        errors
    }
}

const SECTION_KEYS: &[&str] = &[
    "repositories",
    "imageDetails",
    "images",
    "repositoryPolicies",
    "lifecyclePolicies",
    "pullThroughCacheRules",
    "registryPolicy",
    "registryScanningConfiguration",
];

/// One list of the section. Missing or null → `None`; each bad item is one error.
fn list<T: DeserializeOwned>(
    object: &serde_json::Map<String, Value>,
    key: &str,
    prefix: &str,
    errors: &mut Vec<EcrStateError>,
) -> Option<Vec<T>> {
    let value = object.get(key)?;
    let path = format!("{prefix}.{key}");
    let items = match value {
        Value::Null => return None,
        Value::Array(items) => items,
        other => {
            errors.push(EcrStateError {
                path,
                message: format!("expected a list, found {}", json_kind(other)),
            });
            return None;
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item_from_value::<T>(item, &format!("{path}[{i}]")) {
            Ok(t) => out.push(t),
            Err(e) => errors.push(e),
        }
    }
    Some(out)
}

/// A registry-level value: missing → `None`, null → `Some(None)`.
fn single<T: DeserializeOwned>(
    object: &serde_json::Map<String, Value>,
    key: &str,
    prefix: &str,
    errors: &mut Vec<EcrStateError>,
) -> Option<Option<T>> {
    let value = object.get(key)?;
    if value.is_null() {
        return Some(None);
    }
    match item_from_value::<T>(value, &format!("{prefix}.{key}")) {
        Ok(t) => Some(Some(t)),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// Deserialises one item. On failure, finds the first top-level field that fails on its own
/// (every item type has only optional fields, so a one-field object is a valid item) so that
/// the error names the field, not just the item.
fn item_from_value<T: DeserializeOwned>(item: &Value, path: &str) -> Result<T, EcrStateError> {
    let whole_error = match T::deserialize(item) {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    if let Value::Object(fields) = item {
        for (key, value) in fields {
            let mut alone = serde_json::Map::new();
            alone.insert(key.clone(), value.clone());
            if let Err(e) = T::deserialize(&Value::Object(alone)) {
                return Err(EcrStateError {
                    path: format!("{path}.{key}"),
                    message: e.to_string(),
                });
            }
        }
    }
    Err(EcrStateError {
        path: path.to_string(),
        message: whole_error.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// The index
// ---------------------------------------------------------------------------------------------

/// One snapshot's ECR state: the account and region it covers, and its section.
#[derive(Clone, Debug)]
pub struct EcrState {
    pub account_id: String,
    pub region: String,
    pub section: EcrSection,
}

/// Lookups over every loaded snapshot, keyed by registry (account), region and repository.
#[derive(Debug, Default)]
pub struct EcrIndex {
    states: Vec<EcrState>,
    /// (account, region) → the snapshots that cover it.
    coverage: HashMap<(String, String), Vec<usize>>,
    /// (registry, region, repository name) → what the snapshots hold about it.
    repos: HashMap<(String, String, String), RepoEntry>,
}

/// Positions are (snapshot index, item index).
#[derive(Debug, Default)]
struct RepoEntry {
    repository: Option<(usize, usize)>,
    images: Vec<(usize, usize)>,
    image_by_digest: HashMap<String, (usize, usize)>,
    image_by_tag: HashMap<String, (usize, usize)>,
    manifest_by_digest: HashMap<String, (usize, usize)>,
    repository_policy: Option<(usize, usize)>,
    lifecycle_policy: Option<(usize, usize)>,
}

/// Which list of the section a lookup needs, to say which one is missing.
#[derive(Clone, Copy)]
enum Part {
    Repositories,
    ImageDetails,
    Images,
    RepositoryPolicies,
    LifecyclePolicies,
    PullThroughCacheRules,
    RegistryPolicy,
    RegistryScanningConfiguration,
}

impl Part {
    fn key(self) -> &'static str {
        match self {
            Part::Repositories => "repositories",
            Part::ImageDetails => "imageDetails",
            Part::Images => "images",
            Part::RepositoryPolicies => "repositoryPolicies",
            Part::LifecyclePolicies => "lifecyclePolicies",
            Part::PullThroughCacheRules => "pullThroughCacheRules",
            Part::RegistryPolicy => "registryPolicy",
            Part::RegistryScanningConfiguration => "registryScanningConfiguration",
        }
    }

    fn known_in(self, s: &EcrSection) -> bool {
        match self {
            Part::Repositories => s.repositories.is_some(),
            Part::ImageDetails => s.image_details.is_some(),
            Part::Images => s.images.is_some(),
            Part::RepositoryPolicies => s.repository_policies.is_some(),
            Part::LifecyclePolicies => s.lifecycle_policies.is_some(),
            Part::PullThroughCacheRules => s.pull_through_cache_rules.is_some(),
            Part::RegistryPolicy => s.registry_policy.is_some(),
            Part::RegistryScanningConfiguration => {
                matches!(s.registry_scanning_configuration, Some(Some(_)))
            }
        }
    }
}

impl EcrIndex {
    pub fn new(states: Vec<EcrState>) -> EcrIndex {
        let mut index = EcrIndex {
            states,
            ..EcrIndex::default()
        };
        for si in 0..index.states.len() {
            index.add(si);
        }
        index
    }

    pub fn states(&self) -> &[EcrState] {
        &self.states
    }

    fn add(&mut self, si: usize) {
        let state = &self.states[si];
        let account = state.account_id.clone();
        let region = state.region.clone();
        self.coverage
            .entry((account.clone(), region.clone()))
            .or_default()
            .push(si);
        let s = &state.section;
        // An item without registryId belongs to the snapshot's account: the describe calls
        // default to the caller's registry.
        let key = |registry: &Option<String>,
                   name: &Option<String>|
         -> Option<(String, String, String)> {
            let name = name.as_ref()?;
            let registry = registry.as_ref().unwrap_or(&account);
            Some((registry.clone(), region.clone(), name.clone()))
        };
        let repos = &mut self.repos;
        for (i, r) in s.repositories.iter().flatten().enumerate() {
            if let Some(k) = key(&r.registry_id, &r.repository_name) {
                repos
                    .entry(k)
                    .or_default()
                    .repository
                    .get_or_insert((si, i));
            }
        }
        for (i, d) in s.image_details.iter().flatten().enumerate() {
            let Some(k) = key(&d.registry_id, &d.repository_name) else {
                continue;
            };
            let entry = repos.entry(k).or_default();
            entry.images.push((si, i));
            if let Some(digest) = &d.image_digest {
                entry
                    .image_by_digest
                    .entry(digest.clone())
                    .or_insert((si, i));
            }
            for tag in d.tags() {
                entry.image_by_tag.entry(tag.clone()).or_insert((si, i));
            }
        }
        for (i, m) in s.images.iter().flatten().enumerate() {
            let Some(k) = key(&m.registry_id, &m.repository_name) else {
                continue;
            };
            if let Some(digest) = m.image_id.as_ref().and_then(|id| id.image_digest.as_ref()) {
                repos
                    .entry(k)
                    .or_default()
                    .manifest_by_digest
                    .entry(digest.clone())
                    .or_insert((si, i));
            }
        }
        for (i, p) in s.repository_policies.iter().flatten().enumerate() {
            if let Some(k) = key(&p.registry_id, &p.repository_name) {
                repos
                    .entry(k)
                    .or_default()
                    .repository_policy
                    .get_or_insert((si, i));
            }
        }
        for (i, p) in s.lifecycle_policies.iter().flatten().enumerate() {
            if let Some(k) = key(&p.registry_id, &p.repository_name) {
                repos
                    .entry(k)
                    .or_default()
                    .lifecycle_policy
                    .get_or_insert((si, i));
            }
        }
    }

    fn entry(&self, registry: &str, region: &str, repo: &str) -> Option<&RepoEntry> {
        // A HashMap keyed by a tuple of Strings cannot be queried with &str without
        // allocating; lookups are few (one per container image), so allocate.
        self.repos
            .get(&(registry.to_string(), region.to_string(), repo.to_string()))
    }

    /// What to answer when the item was not found: `Absent` if a snapshot for this registry
    /// and region has the list, `Unknown` (with the reason) otherwise.
    fn not_found<T>(&self, registry: &str, region: &str, part: Part) -> Lookup<T> {
        match self
            .coverage
            .get(&(registry.to_string(), region.to_string()))
        {
            None => Lookup::unknown(format!(
                "no ECR state for account {registry} in region {region}"
            )),
            Some(sis)
                if sis
                    .iter()
                    .any(|&si| part.known_in(&self.states[si].section)) =>
            {
                Lookup::Absent
            }
            Some(_) => Lookup::unknown(format!(
                "the ECR state for account {registry} in region {region} has no `ecr.{}`",
                part.key()
            )),
        }
    }

    /// The repository (`describe-repositories` item).
    pub fn repository(&self, registry: &str, region: &str, repo: &str) -> Lookup<&Repository> {
        match self
            .entry(registry, region, repo)
            .and_then(|e| e.repository)
        {
            Some((si, i)) => self.item(si, i, |s| s.repositories.as_deref()),
            None => self.not_found(registry, region, Part::Repositories),
        }
    }

    /// The image (`describe-images` item) with this digest.
    pub fn image_by_digest(
        &self,
        registry: &str,
        region: &str,
        repo: &str,
        digest: &str,
    ) -> Lookup<&ImageDetail> {
        match self
            .entry(registry, region, repo)
            .and_then(|e| e.image_by_digest.get(digest))
        {
            Some(&(si, i)) => self.item(si, i, |s| s.image_details.as_deref()),
            None => self.not_found(registry, region, Part::ImageDetails),
        }
    }

    /// The image (`describe-images` item) that carries this tag.
    pub fn image_by_tag(
        &self,
        registry: &str,
        region: &str,
        repo: &str,
        tag: &str,
    ) -> Lookup<&ImageDetail> {
        match self
            .entry(registry, region, repo)
            .and_then(|e| e.image_by_tag.get(tag))
        {
            Some(&(si, i)) => self.item(si, i, |s| s.image_details.as_deref()),
            None => self.not_found(registry, region, Part::ImageDetails),
        }
    }

    /// Every image of the repository the state knows (for the lifecycle evaluator). `Found`
    /// with an empty list when `imageDetails` is known and holds none of this repository.
    ///
    /// The lifecycle evaluation is only right when this is the repository's complete list, as
    /// `describe-images` without `--image-ids` prints it.
    pub fn images_in_repository(
        &self,
        registry: &str,
        region: &str,
        repo: &str,
    ) -> Lookup<Vec<&ImageDetail>> {
        let positions = self
            .entry(registry, region, repo)
            .map(|e| e.images.as_slice())
            .unwrap_or(&[]);
        if positions.is_empty() {
            return match self.not_found::<()>(registry, region, Part::ImageDetails) {
                Lookup::Unknown(reason) => Lookup::Unknown(reason),
                _ => Lookup::Found(Vec::new()),
            };
        }
        let mut out = Vec::with_capacity(positions.len());
        for &(si, i) in positions {
            if let Some(d) = self.states[si]
                .section
                .image_details
                .as_deref()
                .and_then(|v| v.get(i))
            {
                out.push(d);
            }
        }
        Lookup::Found(out)
    }

    /// The manifest (`batch-get-image` item) with this digest.
    pub fn manifest_by_digest(
        &self,
        registry: &str,
        region: &str,
        repo: &str,
        digest: &str,
    ) -> Lookup<&Image> {
        match self
            .entry(registry, region, repo)
            .and_then(|e| e.manifest_by_digest.get(digest))
        {
            Some(&(si, i)) => self.item(si, i, |s| s.images.as_deref()),
            None => self.not_found(registry, region, Part::Images),
        }
    }

    /// The repository policy. `Absent` = the repository has no policy.
    pub fn repository_policy(
        &self,
        registry: &str,
        region: &str,
        repo: &str,
    ) -> Lookup<&RepositoryPolicy> {
        match self
            .entry(registry, region, repo)
            .and_then(|e| e.repository_policy)
        {
            Some((si, i)) => self.item(si, i, |s| s.repository_policies.as_deref()),
            None => self.not_found(registry, region, Part::RepositoryPolicies),
        }
    }

    /// The lifecycle policy. `Absent` = the repository has no lifecycle policy.
    pub fn lifecycle_policy(
        &self,
        registry: &str,
        region: &str,
        repo: &str,
    ) -> Lookup<&LifecyclePolicy> {
        match self
            .entry(registry, region, repo)
            .and_then(|e| e.lifecycle_policy)
        {
            Some((si, i)) => self.item(si, i, |s| s.lifecycle_policies.as_deref()),
            None => self.not_found(registry, region, Part::LifecyclePolicies),
        }
    }

    /// The pull-through cache rule whose `ecrRepositoryPrefix` covers the repository name
    /// (`prefix/…`; the longest prefix wins). `Absent` = no rule covers it.
    pub fn pull_through_cache_rule(
        &self,
        registry: &str,
        region: &str,
        repo: &str,
    ) -> Lookup<&PullThroughCacheRule> {
        let Some(sis) = self
            .coverage
            .get(&(registry.to_string(), region.to_string()))
        else {
            return self.not_found(registry, region, Part::PullThroughCacheRules);
        };
        let mut best: Option<&PullThroughCacheRule> = None;
        let mut root_rule = false;
        let mut known = false;
        for &si in sis {
            let Some(rules) = &self.states[si].section.pull_through_cache_rules else {
                continue;
            };
            known = true;
            for rule in rules {
                if rule.registry_id.as_deref().is_some_and(|r| r != registry) {
                    continue;
                }
                let Some(prefix) = rule.ecr_repository_prefix.as_deref() else {
                    continue;
                };
                // ECR-to-ECR rules may use the prefix `ROOT`; how it matches is not in our
                // references, so a name it might cover stays unknown.
                if prefix == "ROOT" {
                    root_rule = true;
                    continue;
                }
                let covers = repo.len() > prefix.len()
                    && repo.starts_with(prefix)
                    && repo.as_bytes().get(prefix.len()) == Some(&b'/');
                let longer = best
                    .and_then(|b| b.ecr_repository_prefix.as_deref())
                    .is_none_or(|b| prefix.len() > b.len());
                if covers && longer {
                    best = Some(rule);
                }
            }
        }
        match (best, known, root_rule) {
            (Some(rule), _, _) => Lookup::Found(rule),
            (None, false, _) => self.not_found(registry, region, Part::PullThroughCacheRules),
            (None, true, true) => Lookup::unknown(format!(
                "a pull-through cache rule with prefix ROOT exists in account {registry} region {region}; whether it covers `{repo}` is not modelled"
            )),
            (None, true, false) => Lookup::Absent,
        }
    }

    /// The registry policy. `Absent` = the snapshot records that there is none (`null`).
    pub fn registry_policy(&self, registry: &str, region: &str) -> Lookup<&RegistryPolicy> {
        for &si in self
            .coverage
            .get(&(registry.to_string(), region.to_string()))
            .into_iter()
            .flatten()
        {
            if let Some(Some(p)) = &self.states[si].section.registry_policy {
                return Lookup::Found(p);
            }
        }
        self.not_found(registry, region, Part::RegistryPolicy)
    }

    /// The registry scanning configuration. Never `Absent`: every registry has one, so a
    /// missing or null value is unknown.
    pub fn registry_scanning_configuration(
        &self,
        registry: &str,
        region: &str,
    ) -> Lookup<&RegistryScanningConfiguration> {
        for &si in self
            .coverage
            .get(&(registry.to_string(), region.to_string()))
            .into_iter()
            .flatten()
        {
            if let Some(Some(c)) = &self.states[si].section.registry_scanning_configuration {
                return Lookup::Found(c);
            }
        }
        match self.not_found::<()>(registry, region, Part::RegistryScanningConfiguration) {
            Lookup::Unknown(reason) => Lookup::Unknown(reason),
            _ => Lookup::unknown(format!(
                "no registry scanning configuration for account {registry} in region {region}"
            )),
        }
    }

    fn item<T>(
        &self,
        si: usize,
        i: usize,
        list: impl Fn(&EcrSection) -> Option<&[T]>,
    ) -> Lookup<&T> {
        match self
            .states
            .get(si)
            .and_then(|s| list(&s.section))
            .and_then(|v| v.get(i))
        {
            Some(t) => Lookup::Found(t),
            // Positions come from the same vectors; this cannot happen, but is not a panic.
            None => Lookup::unknown("internal error: ECR index out of step with its state"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample_section() -> Value {
        json!({
            "repositories": [
                {"repositoryArn": "arn:aws:ecr:us-east-1:111122223333:repository/web",
                 "registryId": "111122223333", "repositoryName": "web",
                 "repositoryUri": "111122223333.dkr.ecr.us-east-1.amazonaws.com/web",
                 "createdAt": 1714564800.0, "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                 "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "latest*"}],
                 "imageScanningConfiguration": {"scanOnPush": true},
                 "encryptionConfiguration": {"encryptionType": "AES256"},
                 "someFieldAwsAddsLater": {"x": 1}}
            ],
            "imageDetails": [
                {"registryId": "111122223333", "repositoryName": "web",
                 "imageDigest": "sha256:aaa", "imageTags": ["v1", "latest"],
                 "imagePushedAt": "2024-05-01T12:00:00+02:00", "imageStatus": "ACTIVE",
                 "imageScanFindingsSummary": {"findingSeverityCounts": {"HIGH": 2}}},
                {"registryId": "111122223333", "repositoryName": "web",
                 "imageDigest": "sha256:bbb", "imagePushedAt": 1714000000}
            ],
            "images": [
                {"registryId": "111122223333", "repositoryName": "web",
                 "imageId": {"imageDigest": "sha256:aaa", "imageTag": "v1"},
                 "imageManifest": "{}", "imageManifestMediaType": "application/vnd.oci.image.index.v1+json"}
            ],
            "repositoryPolicies": [],
            "lifecyclePolicies": [
                {"registryId": "111122223333", "repositoryName": "web",
                 "lifecyclePolicyText": {"rules": []}, "lastEvaluatedAt": "2024-05-02T00:00:00Z"}
            ],
            "pullThroughCacheRules": [
                {"ecrRepositoryPrefix": "docker-hub", "upstreamRegistryUrl": "registry-1.docker.io"},
                {"ecrRepositoryPrefix": "docker-hub/library", "upstreamRegistryUrl": "registry-1.docker.io"}
            ],
            "registryPolicy": null
        })
    }

    fn index_of(section: Value) -> EcrIndex {
        let section = EcrSection::from_value(&section, "ecr").unwrap();
        EcrIndex::new(vec![EcrState {
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            section,
        }])
    }

    #[test]
    fn reads_cli_output_and_keeps_absent_apart_from_empty() {
        let s = EcrSection::from_value(&sample_section(), "ecr").unwrap();
        let repo = &s.repositories.as_ref().unwrap()[0];
        assert_eq!(
            repo.image_tag_mutability.as_deref(),
            Some("IMMUTABLE_WITH_EXCLUSION")
        );
        assert_eq!(
            s.image_details.as_ref().unwrap()[1].image_pushed_at,
            Some(Timestamp::from_seconds(1_714_000_000))
        );
        assert_eq!(s.repository_policies, Some(vec![]));
        assert_eq!(
            s.lifecycle_policies.as_ref().unwrap()[0].lifecycle_policy_text,
            Some(JsonText(r#"{"rules":[]}"#.into()))
        );
        assert_eq!(s.registry_policy, Some(None));
        assert_eq!(s.registry_scanning_configuration, None);

        // The same types work straight from text, where serde_json reports line and column.
        let text = r#"{"imageDetails": [{"imageDigest": "sha256:x",
            "imagePushedAt": false}]}"#;
        let err = serde_json::from_str::<EcrSection>(text).unwrap_err();
        assert_eq!(err.line(), 2);
    }

    #[test]
    fn wrong_types_are_errors_with_a_path() {
        let bad = json!({
            "repositories": {"not": "a list"},
            "imageDetails": [
                {"repositoryName": "web", "imageDigest": "sha256:a", "imagePushedAt": "yesterday"},
                {"repositoryName": "web", "imageDigest": "sha256:b", "imageTags": "v1"}
            ],
            "lifecyclePolicies": [{"repositoryName": "web", "lifecyclePolicyText": 3}],
            "registryPolicy": [],
            "imagedetails": []
        });
        let errors = EcrSection::from_value(&bad, "ecr").unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"ecr.imagedetails"), "{paths:?}");
        assert!(paths.contains(&"ecr.repositories"), "{paths:?}");
        assert!(
            paths.contains(&"ecr.imageDetails[0].imagePushedAt"),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"ecr.imageDetails[1].imageTags"),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"ecr.lifecyclePolicies[0].lifecyclePolicyText"),
            "{paths:?}"
        );
        assert!(paths.contains(&"ecr.registryPolicy"), "{paths:?}");
        let pushed = errors
            .iter()
            .find(|e| e.path == "ecr.imageDetails[0].imagePushedAt")
            .unwrap();
        assert!(pushed.message.contains("yesterday"), "{}", pushed.message);

        // Items that cannot be identified are errors too.
        let unnamed =
            json!({"images": [{"repositoryName": "web", "imageId": {}}], "repositories": [{}]});
        let errors = EcrSection::from_value(&unnamed, "ecr").unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["ecr.repositories[0]", "ecr.images[0]"]);
        assert!(errors[1].message.contains("imageId.imageDigest"));
    }

    #[test]
    fn lookups_found_absent_unknown() {
        let index = index_of(sample_section());
        let (acct, region) = ("111122223333", "us-east-1");
        assert!(index.repository(acct, region, "web").is_found());
        assert!(index.repository(acct, region, "api").is_absent());
        assert!(
            index
                .image_by_tag(acct, region, "web", "latest")
                .found()
                .unwrap()
                .image_digest
                .as_deref()
                == Some("sha256:aaa")
        );
        assert!(index.image_by_tag(acct, region, "web", "v2").is_absent());
        assert!(
            index
                .image_by_digest(acct, region, "web", "sha256:bbb")
                .is_found()
        );
        assert!(
            index
                .image_by_digest(acct, region, "api", "sha256:bbb")
                .is_absent()
        );
        assert!(
            index
                .manifest_by_digest(acct, region, "web", "sha256:aaa")
                .is_found()
        );
        assert!(
            index
                .manifest_by_digest(acct, region, "web", "sha256:bbb")
                .is_absent()
        );
        assert_eq!(
            index
                .images_in_repository(acct, region, "web")
                .found()
                .map(|v| v.len()),
            Some(2)
        );
        assert_eq!(
            index.images_in_repository(acct, region, "api"),
            Lookup::Found(vec![])
        );
        assert!(index.repository_policy(acct, region, "web").is_absent());
        assert!(index.lifecycle_policy(acct, region, "web").is_found());
        assert!(index.lifecycle_policy(acct, region, "api").is_absent());
        assert!(index.registry_policy(acct, region).is_absent());
        assert!(
            index
                .registry_scanning_configuration(acct, region)
                .is_unknown()
        );

        // Another region or account is unknown, with a reason that says which.
        match index.repository(acct, "eu-west-1", "web") {
            Lookup::Unknown(reason) => assert!(reason.contains("eu-west-1"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert!(index.repository("444455556666", region, "web").is_unknown());
    }

    #[test]
    fn a_missing_list_is_unknown_not_absent() {
        let index = index_of(json!({"repositories": []}));
        let (acct, region) = ("111122223333", "us-east-1");
        assert!(index.repository(acct, region, "web").is_absent());
        match index.image_by_tag(acct, region, "web", "v1") {
            Lookup::Unknown(reason) => assert!(reason.contains("imageDetails"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert!(index.images_in_repository(acct, region, "web").is_unknown());
        assert!(index.lifecycle_policy(acct, region, "web").is_unknown());
        assert!(
            index
                .pull_through_cache_rule(acct, region, "docker-hub/x")
                .is_unknown()
        );
        assert!(index.registry_policy(acct, region).is_unknown());
    }

    #[test]
    fn items_of_other_registries_are_found_but_their_absence_is_unknown() {
        let index = index_of(json!({
            "repositories": [{"registryId": "999988887777", "repositoryName": "shared"}]
        }));
        assert!(
            index
                .repository("999988887777", "us-east-1", "shared")
                .is_found()
        );
        assert!(
            index
                .repository("999988887777", "us-east-1", "other")
                .is_unknown()
        );
        // An item without registryId belongs to the snapshot's account.
        let index = index_of(json!({"repositories": [{"repositoryName": "web"}]}));
        assert!(
            index
                .repository("111122223333", "us-east-1", "web")
                .is_found()
        );
    }

    #[test]
    fn pull_through_cache_rules_match_by_longest_prefix() {
        let index = index_of(sample_section());
        let (acct, region) = ("111122223333", "us-east-1");
        let rule = index
            .pull_through_cache_rule(acct, region, "docker-hub/library/nginx")
            .found()
            .unwrap();
        assert_eq!(
            rule.ecr_repository_prefix.as_deref(),
            Some("docker-hub/library")
        );
        let rule = index
            .pull_through_cache_rule(acct, region, "docker-hub/bitnami/redis")
            .found()
            .unwrap();
        assert_eq!(rule.ecr_repository_prefix.as_deref(), Some("docker-hub"));
        assert!(
            index
                .pull_through_cache_rule(acct, region, "docker-hubby/x")
                .is_absent()
        );
        assert!(
            index
                .pull_through_cache_rule(acct, region, "docker-hub")
                .is_absent()
        );

        let index = index_of(json!({"pullThroughCacheRules": [{"ecrRepositoryPrefix": "ROOT"}]}));
        assert!(
            index
                .pull_through_cache_rule(acct, region, "anything")
                .is_unknown()
        );
    }

    #[test]
    fn two_snapshots_of_different_regions_do_not_mix() {
        let east =
            EcrSection::from_value(&json!({"repositories": [{"repositoryName": "web"}]}), "ecr")
                .unwrap();
        let west = EcrSection::from_value(&json!({"repositories": []}), "ecr").unwrap();
        let index = EcrIndex::new(vec![
            EcrState {
                account_id: "1".into(),
                region: "us-east-1".into(),
                section: east,
            },
            EcrState {
                account_id: "1".into(),
                region: "us-west-2".into(),
                section: west,
            },
        ]);
        assert!(index.repository("1", "us-east-1", "web").is_found());
        assert!(index.repository("1", "us-west-2", "web").is_absent());
    }
}
