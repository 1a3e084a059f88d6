//! ECR lifecycle policies: parse and validate the policy text, then evaluate it against a
//! repository's images as of a given moment (docs/ecr.md#lifecycle-policies).
//!
//! Sources: the ECR User Guide pages "Lifecycle policy properties"
//! (lifecycle_policy_parameters), "Automate the cleanup of images by using lifecycle policies"
//! (LifecyclePolicies, evaluation rules) and "Examples of lifecycle policies"
//! (lifecycle_policy_examples); the tests reproduce every worked example of the last page.
//!
//! Evaluation is three-valued. When an input the result depends on is unknown (an image's
//! storage class while it is being restored, a missing push time, two images pushed at the same
//! instant right at a count cut-off), the images affected get `Outcome::Unknown` with the rules
//! that might act on them and why; the others are still decided.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

use crate::base::known::Tri;
use crate::base::timestamp::{MICROS_PER_DAY, Timestamp};
use crate::state::ecr::ImageDetail;

// ---------------------------------------------------------------------------------------------
// The policy
// ---------------------------------------------------------------------------------------------

/// A validated lifecycle policy. Rules are sorted by `rulePriority`, lowest (applied first)
/// first.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub priority: i64,
    pub description: Option<String>,
    pub tags: TagSelection,
    /// The storage class of the images this rule selects (`selection.storageClass`, default
    /// standard).
    pub storage_class: StorageClass,
    pub count: Count,
    pub action: Action,
    /// Where the rule is in the policy text, e.g. `rules[2]`.
    pub path: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TagSelection {
    /// `tagStatus: tagged` with its list.
    Tagged(TagFilter),
    Untagged,
    Any,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TagFilter {
    /// `tagPrefixList`: every prefix must be a prefix of some tag of the image.
    Prefixes(Vec<String>),
    /// `tagPatternList`: every pattern must match some tag of the image.
    Patterns(Vec<TagPattern>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StorageClass {
    Standard,
    Archive,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// Keep the newest `n` matching images.
    ImageCountMoreThan(u64),
    /// Images pushed more than `days` days ago.
    SinceImagePushed { days: u64 },
    /// Images not pulled for more than `days` days (push time if never pulled).
    SinceImagePulled { days: u64 },
    /// Archived images archived more than `days` days ago.
    SinceImageTransitioned { days: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Delete the image.
    Expire,
    /// Move the image to the archive storage class (it cannot be pulled there).
    TransitionToArchive,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Expire => "expire",
            Action::TransitionToArchive => "transition to archive",
        })
    }
}

/// A `tagPatternList` entry: literal text with `*` wildcards (any run of characters).
#[derive(Clone, Debug, PartialEq)]
pub struct TagPattern {
    pub text: String,
    /// The literal pieces between the `*`s; `["a", "b"]` for `a*b`, `["", "x", ""]` for `*x*`.
    pieces: Vec<String>,
}

impl TagPattern {
    pub fn new(text: &str) -> TagPattern {
        TagPattern {
            text: text.to_string(),
            pieces: text.split('*').map(str::to_string).collect(),
        }
    }

    pub fn wildcard_count(&self) -> usize {
        self.pieces.len() - 1
    }

    /// Whole-string glob match. Greedy leftmost search for the middle pieces is exact for
    /// patterns whose only wildcard is `*`.
    pub fn matches(&self, tag: &str) -> bool {
        glob_match(&self.pieces, tag)
    }
}

/// `pieces` = the pattern split at `*`.
pub(crate) fn glob_match(pieces: &[String], text: &str) -> bool {
    let text = text.as_bytes();
    let [first, rest @ ..] = pieces else {
        return false;
    };
    if !starts_with(text, first.as_bytes()) {
        return false;
    }
    let mut rest_text = text.get(first.len()..).unwrap_or(&[]);
    let [middle @ .., last] = rest else {
        // No `*`: the pattern is literal.
        return rest_text.is_empty();
    };
    for piece in middle {
        match find(rest_text, piece.as_bytes()) {
            Some(at) => rest_text = rest_text.get(at + piece.len()..).unwrap_or(&[]),
            None => return false,
        }
    }
    ends_with(rest_text, last.as_bytes())
}

// Byte-wise helpers. Tags are at most 128 bytes; for strings that short a plain loop is
// several times faster than the `memcmp` calls behind `str::starts_with` and `str::find`
// (measured with benches/lifecycle.rs: memcmp was 44% of the evaluation time).

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn starts_with(text: &[u8], prefix: &[u8]) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| same(head, prefix))
}

fn ends_with(text: &[u8], suffix: &[u8]) -> bool {
    text.len()
        .checked_sub(suffix.len())
        .and_then(|start| text.get(start..))
        .is_some_and(|tail| same(tail, suffix))
}

/// Leftmost occurrence of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let last_start = haystack.len().checked_sub(needle.len())?;
    (0..=last_start).find(|&at| {
        haystack
            .get(at..at + needle.len())
            .is_some_and(|window| same(window, needle))
    })
}

impl TagSelection {
    pub fn selects(&self, tags: &[String]) -> bool {
        match self {
            TagSelection::Any => true,
            TagSelection::Untagged => tags.is_empty(),
            TagSelection::Tagged(TagFilter::Prefixes(prefixes)) => prefixes
                .iter()
                .all(|p| tags.iter().any(|t| starts_with(t.as_bytes(), p.as_bytes()))),
            TagSelection::Tagged(TagFilter::Patterns(patterns)) => {
                patterns.iter().all(|p| tags.iter().any(|t| p.matches(t)))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation
// ---------------------------------------------------------------------------------------------

/// One problem in a policy text, at a JSON path such as `rules[1].selection.countUnit`.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Why a policy text did not give a `Policy`.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyProblem {
    /// ECR would reject the policy; every error found is listed.
    Invalid(Vec<PolicyError>),
    /// Valid as far as we know, but uses something this evaluator cannot decide without
    /// guessing: results for the repository are unknown.
    Unsupported(Vec<PolicyError>),
}

/// Parses and validates a `lifecyclePolicyText`.
pub fn parse_policy(text: &str) -> Result<Policy, PolicyProblem> {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => parse_policy_value(&value),
        Err(e) => Err(PolicyProblem::Invalid(vec![PolicyError {
            path: String::new(),
            message: format!("the policy is not valid JSON: {e}"),
        }])),
    }
}

/// Parses and validates a policy already read as JSON (e.g. from a template).
pub fn parse_policy_value(value: &Value) -> Result<Policy, PolicyProblem> {
    let mut cx = Checker::default();
    let mut rules = Vec::new();
    if let Some(top) = cx.object(value, "") {
        cx.known_keys(top, "", &["rules"]);
        match top.get("rules") {
            None => cx.error("", "`rules` is required"),
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(rule) = parse_rule(&mut cx, item, &format!("rules[{i}]")) {
                        rules.push(rule);
                    }
                }
            }
            Some(other) => cx.error("rules", format!("must be a list, found {}", kind(other))),
        }
    }
    check_rule_set(&mut cx, &rules);
    if !cx.errors.is_empty() {
        return Err(PolicyProblem::Invalid(cx.errors));
    }
    if !cx.unsupported.is_empty() {
        return Err(PolicyProblem::Unsupported(cx.unsupported));
    }
    rules.sort_by_key(|r| r.priority);
    Ok(Policy { rules })
}

#[derive(Default)]
struct Checker {
    errors: Vec<PolicyError>,
    unsupported: Vec<PolicyError>,
}

impl Checker {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(PolicyError {
            path: path.to_string(),
            message: message.into(),
        });
    }

    fn unsupported(&mut self, path: &str, message: impl Into<String>) {
        self.unsupported.push(PolicyError {
            path: path.to_string(),
            message: message.into(),
        });
    }

    fn object<'v>(&mut self, value: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            other => {
                self.error(path, format!("must be an object, found {}", kind(other)));
                None
            }
        }
    }

    fn known_keys(&mut self, map: &Map<String, Value>, path: &str, allowed: &[&str]) {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.error(
                    &join(path, key),
                    format!("unknown field; expected one of: {}", allowed.join(", ")),
                );
            }
        }
    }

    /// A required string field. `None` after reporting when missing or not a string.
    fn string<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Option<&'v str> {
        match map.get(key) {
            None => {
                self.error(path, format!("`{key}` is required"));
                None
            }
            Some(v) => self.as_string(v, &join(path, key)),
        }
    }

    fn as_string<'v>(&mut self, value: &'v Value, path: &str) -> Option<&'v str> {
        match value {
            Value::String(s) => Some(s),
            other => {
                self.error(path, format!("must be a string, found {}", kind(other)));
                None
            }
        }
    }

    fn string_list(&mut self, value: &Value, path: &str) -> Option<Vec<String>> {
        let Value::Array(items) = value else {
            self.error(
                path,
                format!("must be a list of strings, found {}", kind(value)),
            );
            return None;
        };
        if items.is_empty() {
            self.error(path, "must not be empty");
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.as_string(item, &format!("{path}[{i}]")) {
                Some(s) => out.push(s.to_string()),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// An integer field (a JSON number without a fraction).
    fn integer(&mut self, value: &Value, path: &str) -> Option<i64> {
        match value.as_i64() {
            Some(n) => Some(n),
            None => {
                let found = match value {
                    Value::Number(n) if n.is_u64() => "an integer too large".to_string(),
                    Value::Number(_) => "a number that is not an integer".to_string(),
                    other => kind(other).to_string(),
                };
                self.error(path, format!("must be an integer, found {found}"));
                None
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The documented limit of `*` per `tagPatternList` entry.
const MAX_WILDCARDS: usize = 4;
/// "Archived images have a minimum storage duration of 90 days. You cannot configure
/// lifecycle policies that delete images that have been in archive for less than 90 days."
const MIN_ARCHIVE_DAYS: u64 = 90;

fn parse_rule(cx: &mut Checker, value: &Value, path: &str) -> Option<Rule> {
    let map = cx.object(value, path)?;
    cx.known_keys(
        map,
        path,
        &["rulePriority", "description", "selection", "action"],
    );

    let priority = match map.get("rulePriority") {
        None => {
            cx.error(path, "`rulePriority` is required");
            None
        }
        Some(v) => cx.integer(v, &join(path, "rulePriority")),
    };
    let description = match map.get("description") {
        None => Some(None),
        Some(v) => cx
            .as_string(v, &join(path, "description"))
            .map(|s| Some(s.to_string())),
    };

    let selection_path = join(path, "selection");
    let selection = match map.get("selection") {
        None => {
            cx.error(path, "`selection` is required");
            None
        }
        Some(v) => parse_selection(cx, v, &selection_path),
    };
    let action_path = join(path, "action");
    let action = match map.get("action") {
        None => {
            cx.error(path, "`action` is required");
            None
        }
        Some(v) => parse_action(cx, v, &action_path),
    };

    let (priority, description, (tags, storage_class, count), action) =
        (priority?, description?, selection?, action?);

    // Combinations the properties page allows (lifecycle_policy_parameters, "Storage class",
    // "Count type", and the Important notes of lifecycle_policy_examples).
    match count {
        Count::SinceImageTransitioned { days } => {
            if storage_class != StorageClass::Archive {
                cx.error(
                    &join(&selection_path, "storageClass"),
                    "`sinceImageTransitioned` requires `storageClass: archive`",
                );
            }
            if action != Action::Expire {
                cx.error(
                    &join(&action_path, "type"),
                    "`sinceImageTransitioned` must be used with the `expire` action",
                );
            }
            if days < MIN_ARCHIVE_DAYS {
                cx.error(
                    &join(&selection_path, "countNumber"),
                    format!("archived images must stay in archive at least {MIN_ARCHIVE_DAYS} days before a lifecycle rule can expire them"),
                );
            }
        }
        _ => {
            if storage_class != StorageClass::Standard {
                cx.error(
                    &join(&selection_path, "storageClass"),
                    "`archive` is only allowed with `countType: sinceImageTransitioned`",
                );
            }
        }
    }
    if matches!(count, Count::SinceImagePulled { .. }) && action != Action::TransitionToArchive {
        cx.error(
            &join(&action_path, "type"),
            "`sinceImagePulled` must be used with the `transition` action",
        );
    }

    Some(Rule {
        priority,
        description,
        tags,
        storage_class,
        count,
        action,
        path: path.to_string(),
    })
}

fn parse_selection(
    cx: &mut Checker,
    value: &Value,
    path: &str,
) -> Option<(TagSelection, StorageClass, Count)> {
    let map = cx.object(value, path)?;
    cx.known_keys(
        map,
        path,
        &[
            "tagStatus",
            "tagPatternList",
            "tagPrefixList",
            "storageClass",
            "countType",
            "countUnit",
            "countNumber",
        ],
    );

    let prefixes = map
        .get("tagPrefixList")
        .map(|v| (v, join(path, "tagPrefixList")));
    let patterns = map
        .get("tagPatternList")
        .map(|v| (v, join(path, "tagPatternList")));
    let tags = match cx.string(map, path, "tagStatus") {
        None => None,
        Some("tagged") => {
            match (prefixes, patterns) {
                (Some(_), Some((_, pattern_path))) => {
                    cx.error(
                        &pattern_path,
                        "a rule may have `tagPatternList` or `tagPrefixList`, not both",
                    );
                    None
                }
                (None, None) => {
                    cx.error(
                        path,
                        "`tagStatus: tagged` requires `tagPatternList` or `tagPrefixList`",
                    );
                    None
                }
                (Some((v, p)), None) => {
                    let list = cx.string_list(v, &p)?;
                    for (i, prefix) in list.iter().enumerate() {
                        if prefix.contains('*') {
                            cx.unsupported(
                            &format!("{p}[{i}]"),
                            "a `*` in a tag prefix: whether ECR reads it as a wildcard is not documented",
                        );
                        }
                    }
                    Some(TagSelection::Tagged(TagFilter::Prefixes(list)))
                }
                (None, Some((v, p))) => {
                    let list = cx.string_list(v, &p)?;
                    let mut out = Vec::with_capacity(list.len());
                    for (i, text) in list.iter().enumerate() {
                        let pattern = TagPattern::new(text);
                        if pattern.wildcard_count() > MAX_WILDCARDS {
                            cx.error(
                            &format!("{p}[{i}]"),
                            format!("`{text}` has {} wildcards; at most {MAX_WILDCARDS} are allowed", pattern.wildcard_count()),
                        );
                        }
                        out.push(pattern);
                    }
                    Some(TagSelection::Tagged(TagFilter::Patterns(out)))
                }
            }
        }
        Some(status @ ("untagged" | "any")) => {
            for (_, p) in prefixes.iter().chain(patterns.iter()) {
                cx.error(
                    p,
                    format!("only allowed with `tagStatus: tagged`, not `{status}`"),
                );
            }
            Some(if status == "any" {
                TagSelection::Any
            } else {
                TagSelection::Untagged
            })
        }
        Some(other) => {
            cx.error(
                &join(path, "tagStatus"),
                format!("`{other}` is not one of: tagged, untagged, any"),
            );
            None
        }
    };

    let storage_class = match map.get("storageClass") {
        None => Some(StorageClass::Standard),
        Some(v) => match cx.as_string(v, &join(path, "storageClass")) {
            Some("standard") => Some(StorageClass::Standard),
            Some("archive") => Some(StorageClass::Archive),
            Some(other) => {
                cx.error(
                    &join(path, "storageClass"),
                    format!("`{other}` is not one of: standard, archive"),
                );
                None
            }
            None => None,
        },
    };

    let count_number = match map.get("countNumber") {
        None => {
            cx.error(path, "`countNumber` is required");
            None
        }
        Some(v) => match cx.integer(v, &join(path, "countNumber")) {
            Some(n) if n >= 1 => Some(n as u64),
            Some(n) => {
                cx.error(
                    &join(path, "countNumber"),
                    format!("must be a positive integer, found {n}"),
                );
                None
            }
            None => None,
        },
    };

    let count_type = cx.string(map, path, "countType");
    let unit_path = join(path, "countUnit");
    let count_unit = map.get("countUnit");
    let needs_days = |cx: &mut Checker| -> bool {
        match count_unit {
            None => {
                cx.error(
                    path,
                    format!(
                        "`countUnit: days` is required with `countType: {}`",
                        count_type.unwrap_or("")
                    ),
                );
                false
            }
            Some(v) => match cx.as_string(v, &unit_path) {
                Some("days") => true,
                Some(other) => {
                    cx.error(
                        &unit_path,
                        format!("`{other}` is not a count unit; the only unit is `days`"),
                    );
                    false
                }
                None => false,
            },
        }
    };
    let count = match count_type {
        None => None,
        Some("imageCountMoreThan") => {
            if count_unit.is_some() {
                cx.error(
                    &unit_path,
                    "`countUnit` must not be set with `countType: imageCountMoreThan`",
                );
            }
            count_number.map(Count::ImageCountMoreThan)
        }
        Some("sinceImagePushed") => {
            let ok = needs_days(cx);
            count_number
                .filter(|_| ok)
                .map(|days| Count::SinceImagePushed { days })
        }
        Some("sinceImagePulled") => {
            let ok = needs_days(cx);
            count_number
                .filter(|_| ok)
                .map(|days| Count::SinceImagePulled { days })
        }
        Some("sinceImageTransitioned") => {
            if map.get("storageClass").is_none() {
                cx.error(
                    path,
                    "`storageClass: archive` is required with `countType: sinceImageTransitioned`",
                );
            }
            let ok = needs_days(cx);
            count_number
                .filter(|_| ok)
                .map(|days| Count::SinceImageTransitioned { days })
        }
        Some(other) => {
            cx.error(
                &join(path, "countType"),
                format!("`{other}` is not one of: imageCountMoreThan, sinceImagePushed, sinceImagePulled, sinceImageTransitioned"),
            );
            None
        }
    };

    Some((tags?, storage_class?, count?))
}

fn parse_action(cx: &mut Checker, value: &Value, path: &str) -> Option<Action> {
    let map = cx.object(value, path)?;
    cx.known_keys(map, path, &["type", "targetStorageClass"]);
    let target = map.get("targetStorageClass");
    match cx.string(map, path, "type")? {
        "expire" => {
            if target.is_some() {
                cx.error(
                    &join(path, "targetStorageClass"),
                    "only allowed with `type: transition`",
                );
            }
            Some(Action::Expire)
        }
        "transition" => {
            let target_path = join(path, "targetStorageClass");
            match target {
                None => {
                    cx.error(
                        path,
                        "`targetStorageClass: archive` is required with `type: transition`",
                    );
                    None
                }
                Some(v) => {
                    match cx.as_string(v, &target_path)? {
                        "archive" => Some(Action::TransitionToArchive),
                        other => {
                            cx.error(&target_path, format!("`{other}` is not a target storage class; the only one is `archive`"));
                            None
                        }
                    }
                }
            }
        }
        other => {
            cx.error(
                &join(path, "type"),
                format!("`{other}` is not one of: expire, transition"),
            );
            None
        }
    }
}

/// Checks across rules. "Per storage class": the evaluation rules say "The set of all rules
/// selecting a specific storage class …" and "Only one rule selecting a specific storage class
/// is allowed to select untagged images", and the documented archive example has a
/// `tagStatus: any` rule in each class.
fn check_rule_set(cx: &mut Checker, rules: &[Rule]) {
    let mut by_priority: HashMap<i64, &Rule> = HashMap::new();
    for rule in rules {
        if let Some(first) = by_priority.insert(rule.priority, rule) {
            cx.error(
                &join(&rule.path, "rulePriority"),
                format!(
                    "priority {} is already used by {}; priorities must be unique",
                    rule.priority, first.path
                ),
            );
        }
    }
    let classes: HashSet<StorageClass> = rules.iter().map(|r| r.storage_class).collect();
    for class in classes {
        let in_class: Vec<&Rule> = rules.iter().filter(|r| r.storage_class == class).collect();
        let highest = in_class
            .iter()
            .map(|r| r.priority)
            .max()
            .unwrap_or(i64::MIN);
        for rule in &in_class {
            if rule.tags == TagSelection::Any && rule.priority != highest {
                cx.error(
                    &join(&rule.path, "rulePriority"),
                    "a rule with `tagStatus: any` must have the highest `rulePriority` (be evaluated last)",
                );
            }
        }
        let untagged: Vec<&&Rule> = in_class
            .iter()
            .filter(|r| r.tags == TagSelection::Untagged)
            .collect();
        for rule in untagged.iter().skip(1) {
            cx.error(
                &join(&rule.path, "selection.tagStatus"),
                format!(
                    "only one rule may select untagged images; {} already does",
                    untagged[0].path
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation inputs
// ---------------------------------------------------------------------------------------------

/// The storage class an image is in now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageStorage {
    Standard,
    Archive,
    /// Being restored (`ACTIVATING`) or an unknown status.
    Unknown,
}

/// One image of the repository, as the evaluator needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct LifecycleImage<'a> {
    pub digest: &'a str,
    pub tags: &'a [String],
    pub pushed_at: Option<Timestamp>,
    pub last_recorded_pull_time: Option<Timestamp>,
    /// When the image was last restored from archive.
    pub last_activated_at: Option<Timestamp>,
    /// When the image was last moved to archive.
    pub last_archived_at: Option<Timestamp>,
    pub storage: ImageStorage,
}

impl<'a> LifecycleImage<'a> {
    /// From a `describe-images` item.
    ///
    /// `imageStatus`: ACTIVE → standard, ARCHIVED → archive, ACTIVATING or any other value →
    /// unknown. A *missing* `imageStatus` is read as ACTIVE: the field arrived with ECR archive,
    /// and producers that predate it (older CLIs, moto) omit it for every image. This is the
    /// one assumption of the evaluator; see the report.
    pub fn from_detail(detail: &'a ImageDetail) -> LifecycleImage<'a> {
        let storage = match detail.image_status.as_deref() {
            None | Some("ACTIVE") => ImageStorage::Standard,
            Some("ARCHIVED") => ImageStorage::Archive,
            Some(_) => ImageStorage::Unknown,
        };
        LifecycleImage {
            digest: detail.image_digest.as_deref().unwrap_or(""),
            tags: detail.tags(),
            pushed_at: detail.image_pushed_at,
            last_recorded_pull_time: detail.last_recorded_pull_time,
            last_activated_at: detail.last_activated_at,
            last_archived_at: detail.last_archived_at,
            storage,
        }
    }

    /// The time expiration is ordered by: "If an image was archived and then restored at any
    /// point in the past, the image's last_activated_at is used instead of pushed_at_time."
    fn order_key(&self) -> Option<Timestamp> {
        self.last_activated_at.or(self.pushed_at)
    }

    /// `sinceImagePulled`: last pull; if never pulled, push time; if restored and not pulled
    /// since, the restore time. That is the latest of pull and restore, else the push.
    fn pull_reference(&self) -> Option<Timestamp> {
        match (self.last_recorded_pull_time, self.last_activated_at) {
            (Some(p), Some(a)) => Some(p.max(a)),
            (Some(t), None) | (None, Some(t)) => Some(t),
            (None, None) => self.pushed_at,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation outputs
// ---------------------------------------------------------------------------------------------

/// What the policy does to one image, evaluated now.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageFate {
    pub outcome: Outcome,
    /// For a kept image: the one rule that can act on it and how far it is from acting.
    pub threat: Option<Threat>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Kept,
    /// The rule with this priority acts on the image.
    Actioned {
        priority: i64,
        action: Action,
    },
    /// One of these rules acts on the image; which one depends on an unknown input.
    ActionedByOneOf {
        priorities: Vec<i64>,
        actions: Vec<Action>,
        reasons: Vec<&'static str>,
    },
    /// The image may be kept, or acted on by one of these rules.
    Unknown {
        priorities: Vec<i64>,
        reasons: Vec<&'static str>,
    },
}

impl Outcome {
    /// True / false / unknown: the image is acted on with this action.
    pub fn is_actioned_with(&self, action: Action) -> Tri {
        match self {
            Outcome::Kept => Tri::False,
            Outcome::Actioned { action: a, .. } => Tri::from_bool(*a == action),
            Outcome::ActionedByOneOf { actions, .. } => {
                if actions.iter().all(|a| *a == action) {
                    Tri::True
                } else if actions.iter().all(|a| *a != action) {
                    Tri::False
                } else {
                    Tri::Unknown
                }
            }
            Outcome::Unknown { .. } => Tri::Unknown,
        }
    }
}

/// How close the one rule that can act on a kept image is to acting on it.
#[derive(Clone, Debug, PartialEq)]
pub enum Threat {
    /// A time rule acts once `days_left` more days have passed (fractional; > 0).
    Days {
        priority: i64,
        action: Action,
        days_left: f64,
    },
    /// A count rule acts once `pushes` more images matching it are pushed (≥ 1): the image
    /// survives `pushes - 1` of them.
    Pushes {
        priority: i64,
        action: Action,
        pushes: u64,
    },
}

/// ECR010 (docs/ecr.md#soon): a time rule within 7 days, or a count rule within 2 pushes.
pub const SOON_DAYS: f64 = 7.0;
pub const SOON_PUSHES: u64 = 2;

impl Threat {
    pub fn is_soon(&self) -> bool {
        match self {
            Threat::Days { days_left, .. } => *days_left > 0.0 && *days_left <= SOON_DAYS,
            Threat::Pushes { pushes, .. } => *pushes <= SOON_PUSHES,
        }
    }
}

// Why an outcome is unknown. Kept as bits per image while evaluating.
const WHY_STORAGE: u8 = 1;
const WHY_TIME: u8 = 2;
const WHY_ORDER: u8 = 4;
const WHY_RESTORE: u8 = 8;

fn reasons(bits: u8) -> Vec<&'static str> {
    let mut out = Vec::new();
    if bits & WHY_STORAGE != 0 {
        out.push(
            "the image's storage class is unknown (imageStatus is ACTIVATING or not recognised)",
        );
    }
    if bits & WHY_TIME != 0 {
        out.push("a time the rule needs is missing (imagePushedAt, or lastArchivedAt of an archived image)");
    }
    if bits & WHY_ORDER != 0 {
        out.push("the image's place in push order is ambiguous (equal push times, or images whose push time or storage class is unknown)");
    }
    if bits & WHY_RESTORE != 0 {
        out.push("the image was restored from archive; whether sinceImagePushed counts from the push or the restore is not documented");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Status {
    /// No rule acts on it, so far.
    Open,
    /// This rule (index into policy.rules) acts on it.
    Done(usize),
    /// Some rules might act on it (listed in `possible`).
    Maybe,
    /// One of the listed rules acts on it.
    DoneOneOf,
}

/// Evaluates `policy` over all the images of one repository, as of `now`.
///
/// The evaluation of docs/ecr.md#evaluation: rules in priority order; each rule's
/// candidates are the images its tag selection and storage class select; an image is acted on
/// by at most one rule, and never by a rule after one whose candidates included it (those
/// still count it). Returns one `ImageFate` per input image, in input order.
pub fn evaluate(policy: &Policy, images: &[LifecycleImage<'_>], now: Timestamp) -> Vec<ImageFate> {
    let n = images.len();
    let mut seen = vec![Tri::False; n];
    let mut status = vec![Status::Open; n];
    let mut why = vec![0u8; n];
    let mut possible: HashMap<usize, Vec<usize>> = HashMap::new();
    // The first rule that certainly selects the image while no earlier rule can, and (for a
    // count rule) the exact number of its candidates pushed after the image.
    let mut first_rule: Vec<Option<usize>> = vec![None; n];
    let mut newer_exact: Vec<Option<u64>> = vec![None; n];

    // Push order, newest first. Images without an order key are placed nowhere.
    let mut order: Vec<usize> = (0..n)
        .filter(|&i| images[i].order_key().is_some())
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(images[i].order_key()));
    let unordered: Vec<usize> = (0..n)
        .filter(|&i| images[i].order_key().is_none())
        .collect();

    let mut cand = vec![Tri::False; n];
    let mut victim = vec![Tri::False; n];
    for (r, rule) in policy.rules.iter().enumerate() {
        let is_count_rule = matches!(rule.count, Count::ImageCountMoreThan(_));
        for i in 0..n {
            // A time rule only needs candidates that no earlier rule has claimed; a count rule
            // counts every candidate.
            cand[i] = if !is_count_rule && seen[i] == Tri::True {
                Tri::False
            } else {
                candidate(rule, &images[i])
            };
        }
        match rule.count {
            Count::ImageCountMoreThan(keep) => count_victims(
                &cand,
                &order,
                &unordered,
                images,
                keep,
                &mut victim,
                &mut why,
                &seen,
                &mut newer_exact,
                &first_rule,
            ),
            _ => {
                for i in 0..n {
                    victim[i] = if cand[i] == Tri::False {
                        Tri::False
                    } else {
                        let (old, bits) = time_victim(rule.count, &images[i], now);
                        if old == Tri::Unknown {
                            why[i] |= bits;
                        }
                        cand[i].and(old)
                    };
                }
            }
        }
        for i in 0..n {
            if cand[i] == Tri::True && seen[i] == Tri::False && first_rule[i].is_none() {
                first_rule[i] = Some(r);
            }
            let acts = victim[i].and(seen[i].not());
            match (acts, status[i]) {
                (Tri::False, _) => {}
                (Tri::Unknown, Status::Open) => {
                    status[i] = Status::Maybe;
                    possible.entry(i).or_default().push(r);
                    why[i] |= storage_bits(cand[i], seen[i]);
                }
                (Tri::Unknown, Status::Maybe) => {
                    possible.entry(i).or_default().push(r);
                    why[i] |= storage_bits(cand[i], seen[i]);
                }
                (Tri::True, Status::Open) => status[i] = Status::Done(r),
                (Tri::True, Status::Maybe) => {
                    status[i] = Status::DoneOneOf;
                    possible.entry(i).or_default().push(r);
                }
                // Once an image is certainly acted on, it is certainly seen: later rules
                // cannot act on it, so these combinations do not occur.
                (_, Status::Done(_) | Status::DoneOneOf) => {}
            }
            seen[i] = seen[i].or(cand[i]);
        }
    }

    (0..n)
        .map(|i| {
            let listed = |i: usize| possible.get(&i).cloned().unwrap_or_default();
            let outcome = match status[i] {
                Status::Open => Outcome::Kept,
                Status::Done(r) => Outcome::Actioned {
                    priority: policy.rules[r].priority,
                    action: policy.rules[r].action,
                },
                Status::DoneOneOf => {
                    let rs = listed(i);
                    Outcome::ActionedByOneOf {
                        priorities: rs.iter().map(|&r| policy.rules[r].priority).collect(),
                        actions: rs.iter().map(|&r| policy.rules[r].action).collect(),
                        reasons: reasons(why[i]),
                    }
                }
                Status::Maybe => Outcome::Unknown {
                    priorities: listed(i)
                        .iter()
                        .map(|&r| policy.rules[r].priority)
                        .collect(),
                    reasons: reasons(why[i]),
                },
            };
            let threat = match (&outcome, first_rule[i]) {
                (Outcome::Kept, Some(r)) => {
                    threat(&policy.rules[r], &images[i], now, newer_exact[i])
                }
                _ => None,
            };
            ImageFate { outcome, threat }
        })
        .collect()
}

/// Whether the rule's selection takes the image: tags (always known) and storage class.
fn candidate(rule: &Rule, image: &LifecycleImage<'_>) -> Tri {
    let storage = match (image.storage, rule.storage_class) {
        (ImageStorage::Unknown, _) => Tri::Unknown,
        (ImageStorage::Standard, StorageClass::Standard)
        | (ImageStorage::Archive, StorageClass::Archive) => Tri::True,
        _ => Tri::False,
    };
    if storage == Tri::False || !rule.tags.selects(image.tags) {
        return Tri::False;
    }
    storage
}

/// When the image's own candidacy, or an earlier rule's, is what is unknown.
fn storage_bits(cand: Tri, seen: Tri) -> u8 {
    if cand == Tri::Unknown || seen == Tri::Unknown {
        WHY_STORAGE
    } else {
        0
    }
}

/// Strictly older than `days` days at `now` ("older than the specified number of days").
fn older_than(reference: Timestamp, days: u64, now: Timestamp) -> bool {
    let limit = (days as i128) * (MICROS_PER_DAY as i128);
    (now.micros() as i128 - reference.micros() as i128) > limit
}

/// Whether a time rule's age condition holds, and why not known if it is not.
fn time_victim(count: Count, image: &LifecycleImage<'_>, now: Timestamp) -> (Tri, u8) {
    match count {
        Count::SinceImagePushed { days } => match (image.pushed_at, image.last_activated_at) {
            (None, _) => (Tri::Unknown, WHY_TIME),
            (Some(pushed), None) => (Tri::from_bool(older_than(pushed, days, now)), 0),
            (Some(pushed), Some(restored)) => {
                // The restore time replaces the push time for *ordering* (documented); whether
                // it does for the age too is not. Decide only when both readings agree.
                let by_push = older_than(pushed, days, now);
                let by_restore = older_than(restored, days, now);
                if by_push == by_restore {
                    (Tri::from_bool(by_push), 0)
                } else {
                    (Tri::Unknown, WHY_RESTORE)
                }
            }
        },
        Count::SinceImagePulled { days } => match image.pull_reference() {
            Some(t) => (Tri::from_bool(older_than(t, days, now)), 0),
            None => (Tri::Unknown, WHY_TIME),
        },
        Count::SinceImageTransitioned { days } => match image.last_archived_at {
            Some(t) => (Tri::from_bool(older_than(t, days, now)), 0),
            None => (Tri::Unknown, WHY_TIME),
        },
        Count::ImageCountMoreThan(_) => (Tri::False, 0),
    }
}

/// `imageCountMoreThan keep`: a candidate is a victim when at least `keep` candidates are
/// newer. With unknowns the number of newer candidates is a range `definite ..= definite +
/// maybe`; the answer is unknown when `keep` falls inside it.
#[allow(clippy::too_many_arguments)]
fn count_victims(
    cand: &[Tri],
    order: &[usize],
    unordered: &[usize],
    images: &[LifecycleImage<'_>],
    keep: u64,
    victim: &mut [Tri],
    why: &mut [u8],
    seen: &[Tri],
    newer_exact: &mut [Option<u64>],
    first_rule: &[Option<usize>],
) {
    let threshold = |definite: u64, maybe: u64| -> Tri {
        if definite >= keep {
            Tri::True
        } else if definite + maybe < keep {
            Tri::False
        } else {
            Tri::Unknown
        }
    };
    for v in victim.iter_mut() {
        *v = Tri::False;
    }
    let floating = unordered.iter().filter(|&&i| cand[i] != Tri::False).count() as u64;
    let mut definite = 0u64;
    let mut maybe = 0u64;
    let mut g = 0;
    while g < order.len() {
        // A group of images with the same order key.
        let key = images[order[g]].order_key();
        let mut end = g;
        while end < order.len() && images[order[end]].order_key() == key {
            end += 1;
        }
        let group = &order[g..end];
        let group_candidates = group.iter().filter(|&&i| cand[i] != Tri::False).count() as u64;
        for &i in group {
            if cand[i] == Tri::False {
                continue;
            }
            let others = group_candidates - 1 + floating;
            let m = maybe + others;
            let over = threshold(definite, m);
            if over == Tri::Unknown {
                why[i] |= WHY_ORDER;
            }
            victim[i] = cand[i].and(over);
            // For the threat of a kept image: exact only when nothing is ambiguous.
            let first_here =
                first_rule[i].is_none() && seen[i] == Tri::False && cand[i] == Tri::True;
            if first_here && m == 0 {
                newer_exact[i] = Some(definite);
            }
        }
        for &i in group {
            match cand[i] {
                Tri::True => definite += 1,
                Tri::Unknown => maybe += 1,
                Tri::False => {}
            }
        }
        g = end;
    }
    // An image without a push time could be anywhere in the order.
    let all_candidates = floating + definite + maybe;
    for &i in unordered {
        if cand[i] == Tri::False {
            continue;
        }
        let over = threshold(0, all_candidates - 1);
        if over == Tri::Unknown {
            why[i] |= WHY_TIME;
        }
        victim[i] = cand[i].and(over);
    }
}

/// How far the image's one acting rule is from acting; `None` when that cannot be told
/// exactly.
fn threat(
    rule: &Rule,
    image: &LifecycleImage<'_>,
    now: Timestamp,
    newer: Option<u64>,
) -> Option<Threat> {
    let days_left = |reference: Option<Timestamp>, days: u64| -> Option<f64> {
        let age_days = (now.micros() - reference?.micros()) as f64 / MICROS_PER_DAY as f64;
        Some(days as f64 - age_days)
    };
    let (priority, action) = (rule.priority, rule.action);
    match rule.count {
        Count::ImageCountMoreThan(keep) => {
            let newer = newer?;
            Some(Threat::Pushes {
                priority,
                action,
                pushes: keep.checked_sub(newer)?,
            })
        }
        Count::SinceImagePushed { days } => {
            // Push vs restore reading (see time_victim): only when they give the same answer.
            if image.last_activated_at.is_some() && image.last_activated_at != image.pushed_at {
                return None;
            }
            days_left(image.pushed_at, days).map(|days_left| Threat::Days {
                priority,
                action,
                days_left,
            })
        }
        Count::SinceImagePulled { days } => {
            days_left(image.pull_reference(), days).map(|days_left| Threat::Days {
                priority,
                action,
                days_left,
            })
        }
        Count::SinceImageTransitioned { days } => {
            days_left(image.last_archived_at, days).map(|days_left| Threat::Days {
                priority,
                action,
                days_left,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DAY: i64 = MICROS_PER_DAY;

    fn now() -> Timestamp {
        Timestamp::from_seconds(1_750_000_000)
    }

    fn ago(days: f64) -> Timestamp {
        Timestamp::from_micros(now().micros() - (days * DAY as f64) as i64)
    }

    /// A `describe-images` item named by its digest.
    fn detail(name: &str, tags: &[&str], pushed_days_ago: f64) -> ImageDetail {
        ImageDetail {
            image_digest: Some(name.to_string()),
            image_tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            image_pushed_at: Some(ago(pushed_days_ago)),
            ..ImageDetail::default()
        }
    }

    fn policy(v: serde_json::Value) -> Policy {
        match parse_policy(&v.to_string()) {
            Ok(p) => p,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn fates(p: &Policy, details: &[ImageDetail]) -> Vec<ImageFate> {
        let images: Vec<LifecycleImage> = details.iter().map(LifecycleImage::from_detail).collect();
        evaluate(p, &images, now())
    }

    /// The images the policy certainly expires; fails on any unknown outcome.
    fn expired(p: &Policy, details: &[ImageDetail]) -> Vec<String> {
        let mut out = Vec::new();
        for (d, fate) in details.iter().zip(fates(p, details)) {
            match fate.outcome {
                Outcome::Kept => {}
                Outcome::Actioned {
                    action: Action::Expire,
                    ..
                } => out.push(d.image_digest.clone().unwrap()),
                other => panic!("{:?}: {other:?}", d.image_digest),
            }
        }
        out
    }

    fn rule(priority: i64, selection: serde_json::Value) -> serde_json::Value {
        json!({"rulePriority": priority, "description": format!("Rule {priority}"),
               "selection": selection, "action": {"type": "expire"}})
    }

    fn errors_of(v: serde_json::Value) -> Vec<PolicyError> {
        match parse_policy(&v.to_string()) {
            Err(PolicyProblem::Invalid(errors)) => errors,
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    fn error_paths(v: serde_json::Value) -> Vec<String> {
        errors_of(v).into_iter().map(|e| e.path).collect()
    }

    // --- Tag patterns -------------------------------------------------------------------------

    #[test]
    fn tag_patterns_glob_the_whole_tag() {
        let m = |p: &str, t: &str| TagPattern::new(p).matches(t);
        // lifecycle_policy evaluation rules: `prod*` and `*prod*`.
        assert!(m("prod*", "prod") && m("prod*", "prod1") && m("prod*", "production-team1"));
        assert!(!m("prod*", "preprod"));
        assert!(m("*prod*", "repo-production") && m("*prod*", "prod-team"));
        assert!(m("prod", "prod") && !m("prod", "prod1"));
        assert!(m("*", "") && m("*", "x"));
        assert!(m("a*b*c", "abc") && m("a*b*c", "a-b-b-c") && !m("a*b*c", "acb"));
        assert!(m("*test*1*2*3", "my-test-1-2-3") && !m("*test*1*2*3", "my-test-1-2-3-4"));
        assert!(m("ab*ba", "abba") && m("ab*ba", "ababa"));
        assert!(!m("ab*ba", "aba"), "the pieces must not overlap");
        assert!(m("v*-rc*", "v1.2-rc3"));
    }

    #[test]
    fn prefix_and_pattern_lists_need_every_entry_matched_by_some_tag() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let prefixes =
            TagSelection::Tagged(TagFilter::Prefixes(vec!["alpha".into(), "beta".into()]));
        assert!(prefixes.selects(&tags(&["alpha-2", "beta-2"])));
        assert!(!prefixes.selects(&tags(&["alpha-1"])));
        assert!(!prefixes.selects(&tags(&[])));
        let patterns = TagSelection::Tagged(TagFilter::Patterns(vec![TagPattern::new("*-1")]));
        assert!(patterns.selects(&tags(&["x", "beta-1"])));
        assert!(
            TagSelection::Untagged.selects(&tags(&[]))
                && !TagSelection::Untagged.selects(&tags(&["a"]))
        );
        assert!(TagSelection::Any.selects(&tags(&[])) && TagSelection::Any.selects(&tags(&["a"])));
    }

    // --- Validation ---------------------------------------------------------------------------

    #[test]
    fn every_documented_policy_is_valid() {
        // All policies of lifecycle_policy_examples (current page), including the archive ones,
        // and the template-era tagPrefixList forms of the 2023 page.
        let docs = [
            json!({"rules": [rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}))]}),
            json!({"rules": [rule(1, json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}))]}),
            json!({"rules": [{"rulePriority": 1, "description": "Archive images not pulled in 90 days",
                "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90},
                "action": {"type": "transition", "targetStorageClass": "archive"}}]}),
            json!({"rules": [rule(1, json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365}))]}),
            json!({"rules": [rule(1, json!({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}))]}),
            json!({"rules": [{"rulePriority": 1, "description": "Archive images older than 30 days",
                "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30},
                "action": {"type": "transition", "targetStorageClass": "archive"}},
                rule(2, json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365}))]}),
        ];
        for doc in docs {
            policy(doc);
        }
    }

    #[test]
    fn invalid_policies_are_reported_with_paths() {
        let sel = |extra: serde_json::Value| {
            let mut s = json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan", "countNumber": 3});
            for (k, v) in extra.as_object().unwrap() {
                if v.is_null() {
                    s.as_object_mut().unwrap().remove(k);
                } else {
                    s[k] = v.clone();
                }
            }
            json!({"rules": [rule(1, s)]})
        };
        let at = |v: serde_json::Value| error_paths(v);
        assert_eq!(
            at(sel(json!({"countUnit": "days"}))),
            ["rules[0].selection.countUnit"]
        );
        assert_eq!(
            at(sel(json!({"countNumber": 0}))),
            ["rules[0].selection.countNumber"]
        );
        assert_eq!(
            at(sel(json!({"countNumber": 2.5}))),
            ["rules[0].selection.countNumber"]
        );
        assert_eq!(
            at(sel(json!({"countNumber": "3"}))),
            ["rules[0].selection.countNumber"]
        );
        assert_eq!(
            at(sel(json!({"countNumber": null}))),
            ["rules[0].selection"]
        );
        assert_eq!(
            at(sel(json!({"countType": "sinceImagePushed"}))),
            ["rules[0].selection"]
        );
        assert_eq!(
            at(sel(
                json!({"countType": "sinceImagePushed", "countUnit": "weeks"})
            )),
            ["rules[0].selection.countUnit"]
        );
        assert_eq!(
            at(sel(json!({"countType": "newest"}))),
            ["rules[0].selection.countType"]
        );
        assert_eq!(
            at(sel(json!({"tagStatus": "TAGGED"}))),
            ["rules[0].selection.tagStatus"]
        );
        assert_eq!(
            at(sel(json!({"tagPatternList": null}))),
            ["rules[0].selection"]
        );
        assert_eq!(
            at(sel(json!({"tagPatternList": []}))),
            ["rules[0].selection.tagPatternList"]
        );
        assert_eq!(
            at(sel(json!({"tagPatternList": ["ok", 3]}))),
            ["rules[0].selection.tagPatternList[1]"]
        );
        assert_eq!(
            at(sel(json!({"tagPrefixList": ["prod"]}))),
            ["rules[0].selection.tagPatternList"]
        );
        assert_eq!(
            at(sel(
                json!({"tagStatus": "untagged", "tagPatternList": null, "tagPrefixList": ["x"]})
            )),
            ["rules[0].selection.tagPrefixList"]
        );
        assert_eq!(
            at(sel(json!({"tagPatternList": ["a", "test*1*2*3*4*5*6"]}))),
            ["rules[0].selection.tagPatternList[1]"]
        );
        assert_eq!(
            at(sel(json!({"storageClass": "archive"}))),
            ["rules[0].selection.storageClass"]
        );
        assert_eq!(
            at(sel(json!({"storageClass": "glacier"}))),
            ["rules[0].selection.storageClass"]
        );
        assert_eq!(
            at(sel(json!({"tagStaus": "tagged"}))),
            ["rules[0].selection.tagStaus"]
        );

        // The four-wildcard limit is inclusive (documented valid examples).
        policy(sel(
            json!({"tagPatternList": ["*test*1*2*3", "test*1*2*3*"]}),
        ));

        // Rule level.
        assert_eq!(
            error_paths(json!({"rules": [{"selection": {}, "action": {}}]})).len(),
            5
        );
        assert_eq!(
            error_paths(
                json!({"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}, "comment": "x"}]})
            ),
            ["rules[0].comment"]
        );
        assert_eq!(error_paths(json!({"rule": []})), ["rule", ""]);
        assert_eq!(error_paths(json!({"rules": {}})), ["rules"]);
        match parse_policy("{\"rules\": [") {
            Err(PolicyProblem::Invalid(e)) => assert!(e[0].message.contains("not valid JSON")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn invalid_actions_and_count_type_combinations() {
        let base = |selection: serde_json::Value, action: serde_json::Value| json!({"rules": [{"rulePriority": 1, "selection": selection, "action": action}]});
        let pulled = json!({"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30});
        let archived = json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 120});
        let count =
            json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5});
        assert_eq!(
            error_paths(base(pulled.clone(), json!({"type": "expire"}))),
            ["rules[0].action.type"]
        );
        assert_eq!(
            error_paths(base(
                archived.clone(),
                json!({"type": "transition", "targetStorageClass": "archive"})
            )),
            ["rules[0].action.type"]
        );
        let mut short = archived.clone();
        short["countNumber"] = json!(30);
        assert_eq!(
            error_paths(base(short, json!({"type": "expire"}))),
            ["rules[0].selection.countNumber"]
        );
        let mut no_class = archived.clone();
        no_class.as_object_mut().unwrap().remove("storageClass");
        assert_eq!(
            error_paths(base(no_class, json!({"type": "expire"}))),
            ["rules[0].selection", "rules[0].selection.storageClass"]
        );
        assert_eq!(
            error_paths(base(count.clone(), json!({"type": "transition"}))),
            ["rules[0].action"]
        );
        assert_eq!(
            error_paths(base(
                count.clone(),
                json!({"type": "transition", "targetStorageClass": "glacier"})
            )),
            ["rules[0].action.targetStorageClass"]
        );
        assert_eq!(
            error_paths(base(
                count.clone(),
                json!({"type": "expire", "targetStorageClass": "archive"})
            )),
            ["rules[0].action.targetStorageClass"]
        );
        assert_eq!(
            error_paths(base(count.clone(), json!({"type": "delete"}))),
            ["rules[0].action.type"]
        );
        assert_eq!(
            error_paths(base(count, json!("expire"))),
            ["rules[0].action"]
        );
        // Transitioning by push age or count is allowed.
        policy(base(
            json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}),
            json!({"type": "transition", "targetStorageClass": "archive"}),
        ));
    }

    #[test]
    fn rule_set_checks() {
        let any = json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5});
        let untagged =
            json!({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5});
        let tagged = json!({"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 5});
        // Duplicate priority.
        assert_eq!(
            error_paths(json!({"rules": [rule(1, tagged.clone()), rule(1, untagged.clone())]})),
            ["rules[1].rulePriority"]
        );
        // `any` not last.
        assert_eq!(
            error_paths(json!({"rules": [rule(3, any.clone()), rule(7, tagged.clone())]})),
            ["rules[0].rulePriority"]
        );
        // `any` last, priorities not contiguous and not in text order: fine.
        let p = policy(
            json!({"rules": [rule(30, any.clone()), rule(7, tagged.clone()), rule(12, untagged.clone())]}),
        );
        assert_eq!(
            p.rules.iter().map(|r| r.priority).collect::<Vec<_>>(),
            [7, 12, 30]
        );
        // Two untagged rules.
        assert_eq!(
            error_paths(json!({"rules": [rule(1, untagged.clone()), rule(2, untagged)]})),
            ["rules[1].selection.tagStatus"]
        );
    }

    #[test]
    fn a_star_in_a_prefix_is_unsupported_not_invalid() {
        let v = json!({"rules": [rule(1, json!({"tagStatus": "tagged", "tagPrefixList": ["v*"], "countType": "imageCountMoreThan", "countNumber": 1}))]});
        match parse_policy(&v.to_string()) {
            Err(PolicyProblem::Unsupported(e)) => {
                assert_eq!(e[0].path, "rules[0].selection.tagPrefixList[0]")
            }
            other => panic!("{other:?}"),
        }
    }

    // --- The worked examples of lifecycle_policy_examples -------------------------------------

    /// "Filtering on multiple rules", Example A, in both documented forms (tagPatternList on
    /// the current page, tagPrefixList on the 2023 page). Result: Image A is expired.
    #[test]
    fn doc_multiple_rules_example_a() {
        let repo = [
            detail("A", &["beta-1", "prod-1"], 10.0),
            detail("B", &["beta-2", "prod-2"], 9.0),
            detail("C", &["beta-3"], 8.0),
        ];
        for (prod, beta) in [
            (
                json!({"tagPatternList": ["prod*"]}),
                json!({"tagPatternList": ["beta*"]}),
            ),
            (
                json!({"tagPrefixList": ["prod"]}),
                json!({"tagPrefixList": ["beta"]}),
            ),
        ] {
            let mut r1 =
                json!({"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1});
            let mut r2 = r1.clone();
            r1.as_object_mut()
                .unwrap()
                .extend(prod.as_object().unwrap().clone());
            r2.as_object_mut()
                .unwrap()
                .extend(beta.as_object().unwrap().clone());
            let p = policy(json!({"rules": [rule(1, r1), rule(2, r2)]}));
            assert_eq!(expired(&p, &repo), ["A"]);
        }
    }

    /// "Filtering on multiple rules", Example B (priorities swapped). Result: A and B expired.
    #[test]
    fn doc_multiple_rules_example_b() {
        let repo = [
            detail("A", &["beta-1", "prod-1"], 10.0),
            detail("B", &["beta-2", "prod-2"], 9.0),
            detail("C", &["beta-3"], 8.0),
        ];
        let p = policy(json!({"rules": [
            rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["beta*"], "countType": "imageCountMoreThan", "countNumber": 1})),
            rule(2, json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan", "countNumber": 1})),
        ]}));
        assert_eq!(expired(&p, &repo), ["A", "B"]);
        // Each image is expired by the rule that saw it first.
        let f = fates(&p, &repo);
        assert_eq!(
            f[1].outcome,
            Outcome::Actioned {
                priority: 1,
                action: Action::Expire
            }
        );
    }

    /// "Filtering on multiple tags in a single rule", Example A. Result: Image C is expired.
    #[test]
    fn doc_multiple_tags_example_a() {
        let repo = [
            detail("A", &["alpha-1"], 12.0),
            detail("B", &["beta-1"], 11.0),
            detail("C", &["alpha-2", "beta-2"], 10.0),
            detail("D", &["alpha-3"], 4.0),
            detail("E", &["beta-3"], 3.0),
            detail("F", &["alpha-4", "beta-4"], 2.0),
        ];
        for list in [
            json!({"tagPatternList": ["alpha*", "beta*"]}),
            json!({"tagPrefixList": ["alpha", "beta"]}),
        ] {
            let mut s = json!({"tagStatus": "tagged", "countType": "sinceImagePushed", "countNumber": 5, "countUnit": "days"});
            s.as_object_mut()
                .unwrap()
                .extend(list.as_object().unwrap().clone());
            assert_eq!(
                expired(&policy(json!({"rules": [rule(1, s)]})), &repo),
                ["C"]
            );
        }
    }

    /// "Filtering on multiple tags in a single rule", Example B. Result: A and B expired.
    #[test]
    fn doc_multiple_tags_example_b() {
        let repo = [
            detail("A", &["alpha-1", "beta-1", "gamma-1"], 10.0),
            detail("B", &["alpha-2", "beta-2"], 9.0),
            detail("C", &["alpha-3", "beta-3", "gamma-2"], 8.0),
        ];
        let p = policy(
            json!({"rules": [rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["alpha*", "beta*"], "countType": "imageCountMoreThan", "countNumber": 1}))]}),
        );
        assert_eq!(expired(&p, &repo), ["A", "B"]);
    }

    /// "Filtering on all images", Example A. Result: A, B and C expired.
    #[test]
    fn doc_all_images_example_a() {
        let repo = [
            detail("A", &["alpha-1"], 4.0),
            detail("B", &["beta-1"], 3.0),
            detail("C", &[], 2.0),
            detail("D", &["alpha-2"], 1.0),
        ];
        let p = policy(
            json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}))]}),
        );
        assert_eq!(expired(&p, &repo), ["A", "B", "C"]);
    }

    /// "Filtering on all images", Example B. Result: A, B and D expired.
    ///
    /// The page lists D and E both as "Pushed: 1 day ago"; its result (rule 3 keeps E, expires
    /// D; rule 2 does not expire E as "older than one day") needs E newer than D and E not
    /// older than one day, so D is placed 1 day + 1 hour ago and E 23 hours ago. With exactly
    /// equal push times the order is ambiguous and the evaluator says so (next test).
    #[test]
    fn doc_all_images_example_b() {
        let repo = [
            detail("A", &["alpha-1", "beta-1"], 4.0),
            detail("B", &[], 3.0),
            detail("C", &["alpha-2"], 2.0),
            detail("D", &["git hash"], 1.0 + 1.0 / 24.0),
            detail("E", &[], 23.0 / 24.0),
        ];
        let p = policy(json!({"rules": [
            rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["alpha*"], "countType": "imageCountMoreThan", "countNumber": 1})),
            rule(2, json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1})),
            rule(3, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1})),
        ]}));
        assert_eq!(expired(&p, &repo), ["A", "B", "D"]);
        let f = fates(&p, &repo);
        let by = |i: usize| match f[i].outcome {
            Outcome::Actioned { priority, .. } => priority,
            _ => 0,
        };
        assert_eq!((by(0), by(1), by(3)), (1, 2, 3));
    }

    #[test]
    fn equal_push_times_at_a_count_cut_off_are_unknown() {
        let repo = [
            detail("D", &["git hash"], 1.0),
            detail("E", &[], 1.0),
            detail("F", &["x"], 5.0),
        ];
        let p = policy(
            json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}))]}),
        );
        let f = fates(&p, &repo);
        for fate in &f[..2] {
            match &fate.outcome {
                Outcome::Unknown {
                    priorities,
                    reasons,
                } => {
                    assert_eq!(priorities, &[1]);
                    assert!(reasons[0].contains("push order"), "{reasons:?}");
                }
                other => panic!("{other:?}"),
            }
        }
        // F has two newer candidates whatever their order: certainly expired.
        assert_eq!(
            f[2].outcome,
            Outcome::Actioned {
                priority: 1,
                action: Action::Expire
            }
        );
    }

    /// "Filtering on image age" (current page: tagged prod*, 14 days). The page gives the
    /// policy only; this repository is ours.
    #[test]
    fn doc_image_age_policy() {
        let p = policy(
            json!({"rules": [rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}))]}),
        );
        let repo = [
            detail("old-prod", &["prod-1"], 15.0),
            detail("new-prod", &["production"], 13.0),
            detail("old-dev", &["dev-1"], 30.0),
            detail("old-untagged", &[], 30.0),
            detail("exactly-14", &["prod-2"], 14.0),
        ];
        assert_eq!(expired(&p, &repo), ["old-prod"]);
        let f = fates(&p, &repo);
        match &f[1].threat {
            Some(
                t @ Threat::Days {
                    priority: 1,
                    action: Action::Expire,
                    days_left,
                },
            ) => {
                assert!((days_left - 1.0).abs() < 1e-9, "{days_left}");
                assert!(t.is_soon());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(f[2].threat, None, "no rule selects dev-1");
    }

    /// "Filtering on image count" (untagged, keep one). The page gives the policy only.
    #[test]
    fn doc_image_count_policy() {
        let p = policy(
            json!({"rules": [rule(1, json!({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}))]}),
        );
        let repo = [
            detail("u1", &[], 3.0),
            detail("u2", &[], 2.0),
            detail("u3", &[], 1.0),
            detail("t", &["v1"], 9.0),
        ];
        assert_eq!(expired(&p, &repo), ["u1", "u2"]);
        let f = fates(&p, &repo);
        assert_eq!(
            f[2].threat,
            Some(Threat::Pushes {
                priority: 1,
                action: Action::Expire,
                pushes: 1
            })
        );
        assert_eq!(f[3].threat, None);
    }

    // --- Archive ------------------------------------------------------------------------------

    fn archived(name: &str, pushed_days_ago: f64, archived_days_ago: Option<f64>) -> ImageDetail {
        ImageDetail {
            image_status: Some("ARCHIVED".into()),
            last_archived_at: archived_days_ago.map(ago),
            ..detail(name, &["v1"], pushed_days_ago)
        }
    }

    /// "Combining archive and expire rules" (current page): archive after 30 days, expire
    /// after 365 days in archive. The page gives the policy only.
    #[test]
    fn doc_archive_then_expire_policy() {
        let p = policy(json!({"rules": [
            {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30},
             "action": {"type": "transition", "targetStorageClass": "archive"}},
            rule(2, json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365})),
        ]}));
        let repo = [
            detail("fresh", &["a"], 10.0),
            detail("stale", &["b"], 40.0),
            archived("long-archived", 800.0, Some(400.0)),
            archived("recently-archived", 800.0, Some(100.0)),
            archived("archived-when", 800.0, None),
        ];
        let f = fates(&p, &repo);
        assert_eq!(f[0].outcome, Outcome::Kept);
        assert_eq!(
            f[1].outcome,
            Outcome::Actioned {
                priority: 1,
                action: Action::TransitionToArchive
            }
        );
        assert_eq!(
            f[2].outcome,
            Outcome::Actioned {
                priority: 2,
                action: Action::Expire
            }
        );
        assert_eq!(f[3].outcome, Outcome::Kept);
        assert!(matches!(&f[4].outcome, Outcome::Unknown { priorities, .. } if priorities == &[2]));
        // A standard-class rule never selects an archived image, and vice versa.
        assert_eq!(
            f[2].outcome.is_actioned_with(Action::TransitionToArchive),
            Tri::False
        );
    }

    /// "Filtering on last pulled time": transition images not pulled for 90 days.
    #[test]
    fn since_image_pulled_uses_pull_then_restore_then_push_time() {
        let p = policy(json!({"rules": [{"rulePriority": 1,
            "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90},
            "action": {"type": "transition", "targetStorageClass": "archive"}}]}));
        let pulled =
            |name: &str, pushed: f64, pull: Option<f64>, restored: Option<f64>| ImageDetail {
                last_recorded_pull_time: pull.map(ago),
                last_activated_at: restored.map(ago),
                ..detail(name, &["t"], pushed)
            };
        let repo = [
            pulled("pulled-recently", 400.0, Some(10.0), None),
            pulled("pulled-long-ago", 400.0, Some(100.0), None),
            pulled("never-pulled-old", 100.0, None, None),
            pulled("never-pulled-new", 20.0, None, None),
            pulled("restored-not-pulled-since", 400.0, Some(300.0), Some(5.0)),
        ];
        let f = fates(&p, &repo);
        let transitioned: Vec<bool> = f
            .iter()
            .map(|x| x.outcome.is_actioned_with(Action::TransitionToArchive) == Tri::True)
            .collect();
        assert_eq!(transitioned, [false, true, true, false, false]);
        assert!(
            matches!(f[0].threat, Some(Threat::Days { days_left, .. }) if (days_left - 80.0).abs() < 1e-9)
        );
        assert!(!f[0].threat.as_ref().unwrap().is_soon());
    }

    #[test]
    fn an_activating_image_is_unknown_only_where_it_matters() {
        let p = policy(json!({"rules": [
            rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan", "countNumber": 2})),
            rule(2, json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 5})),
        ]}));
        let restoring = ImageDetail {
            image_status: Some("ACTIVATING".into()),
            ..detail("restoring", &["prod-9"], 1.0)
        };
        let repo = [
            restoring,
            detail("p-new", &["prod-3"], 2.0),
            detail("p-mid", &["prod-2"], 3.0),
            detail("p-old", &["prod-1"], 4.0),
            detail("p-oldest", &["prod-0"], 5.0),
            detail("untagged-old", &[], 10.0),
        ];
        let f = fates(&p, &repo);
        // The restoring image may or may not be a candidate: it is unknown itself only if it
        // would be a victim, which it is not (it is the newest).
        assert_eq!(f[0].outcome, Outcome::Kept);
        assert_eq!(f[1].outcome, Outcome::Kept);
        // p-mid has one certain newer candidate and maybe a second: unknown.
        assert!(
            matches!(&f[2].outcome, Outcome::Unknown { .. }),
            "{:?}",
            f[2]
        );
        // p-old has two certain newer candidates: expired either way.
        assert_eq!(
            f[3].outcome,
            Outcome::Actioned {
                priority: 1,
                action: Action::Expire
            }
        );
        assert_eq!(
            f[4].outcome,
            Outcome::Actioned {
                priority: 1,
                action: Action::Expire
            }
        );
        // Not selected by rule 1; decided by rule 2 regardless.
        assert_eq!(
            f[5].outcome,
            Outcome::Actioned {
                priority: 2,
                action: Action::Expire
            }
        );
    }

    #[test]
    fn an_unknown_earlier_selection_makes_a_later_action_one_of_two() {
        // The restoring image is tagged prod-x and old. If it is in standard storage, rule 1
        // selects and expires it; if it is still archived, no standard rule selects it.
        let p = policy(json!({"rules": [
            rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1})),
            rule(2, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 2})),
        ]}));
        let repo = [ImageDetail {
            image_status: Some("ACTIVATING".into()),
            ..detail("r", &["prod-x"], 10.0)
        }];
        let f = fates(&p, &repo);
        match &f[0].outcome {
            Outcome::Unknown {
                priorities,
                reasons,
            } => {
                assert_eq!(priorities, &[1, 2]);
                assert!(reasons[0].contains("storage class"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_push_time() {
        let p = policy(
            json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3}))]}),
        );
        let mut no_time = detail("x", &["a"], 0.0);
        no_time.image_pushed_at = None;
        // Three images in all: nothing can have three newer ones.
        let repo = [
            no_time.clone(),
            detail("y", &["b"], 1.0),
            detail("z", &["c"], 2.0),
        ];
        assert!(fates(&p, &repo).iter().all(|f| f.outcome == Outcome::Kept));
        // Five: the one without a time could be anywhere.
        let repo = [
            no_time,
            detail("a", &[], 1.0),
            detail("b", &[], 2.0),
            detail("c", &[], 3.0),
            detail("d", &[], 4.0),
        ];
        let f = fates(&p, &repo);
        assert!(matches!(&f[0].outcome, Outcome::Unknown { .. }));
        assert_eq!(f[1].outcome, Outcome::Kept);
        assert!(matches!(&f[3].outcome, Outcome::Unknown { .. }));
        // d has three certainly newer images (a, b, c), whatever x is.
        assert_eq!(
            f[4].outcome,
            Outcome::Actioned {
                priority: 1,
                action: Action::Expire
            }
        );
        let p = policy(
            json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 3}))]}),
        );
        let f = fates(&p, &repo);
        assert!(
            matches!(&f[0].outcome, Outcome::Unknown { reasons, .. } if reasons[0].contains("missing"))
        );
        assert_eq!(
            f[4].outcome,
            Outcome::Actioned {
                priority: 1,
                action: Action::Expire
            }
        );
    }

    #[test]
    fn a_restored_image_orders_by_its_restore_time() {
        let p = policy(
            json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}))]}),
        );
        let restored = ImageDetail {
            last_activated_at: Some(ago(0.5)),
            ..detail("restored", &["old"], 100.0)
        };
        let repo = [restored, detail("newer-push", &["new"], 1.0)];
        let f = fates(&p, &repo);
        assert_eq!(f[0].outcome, Outcome::Kept);
        assert_eq!(
            f[1].outcome,
            Outcome::Actioned {
                priority: 1,
                action: Action::Expire
            }
        );

        // For sinceImagePushed the two readings disagree here: unknown.
        let p = policy(
            json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}))]}),
        );
        let restored = ImageDetail {
            last_activated_at: Some(ago(0.5)),
            ..detail("restored", &["old"], 100.0)
        };
        assert!(
            matches!(&fates(&p, &[restored])[0].outcome, Outcome::Unknown { reasons, .. } if reasons[0].contains("restored"))
        );
    }

    #[test]
    fn threats_for_kept_images() {
        let p = policy(json!({"rules": [
            rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["release-*"], "countType": "imageCountMoreThan", "countNumber": 3})),
            rule(2, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30})),
        ]}));
        let repo = [
            detail("r4", &["release-4"], 1.0),
            detail("r3", &["release-3"], 2.0),
            detail("r2", &["release-2"], 3.0),
            detail("r1", &["release-1"], 4.0),
            detail("dev", &["dev"], 25.5),
            detail("dev-new", &["dev"], 1.0),
        ];
        let f = fates(&p, &repo);
        let pushes: Vec<Option<u64>> = f
            .iter()
            .map(|x| match x.threat {
                Some(Threat::Pushes { pushes, .. }) => Some(pushes),
                _ => None,
            })
            .collect();
        // r4 survives two more release pushes and goes with the third.
        assert_eq!(pushes[..4], [Some(3), Some(2), Some(1), None]);
        assert_eq!(
            f[3].outcome,
            Outcome::Actioned {
                priority: 1,
                action: Action::Expire
            }
        );
        assert!(!f[0].threat.as_ref().unwrap().is_soon());
        assert!(f[1].threat.as_ref().unwrap().is_soon());
        // Release images are never aged out by rule 2: rule 1 saw them first.
        match f[4].threat {
            Some(Threat::Days {
                priority: 2,
                days_left,
                ..
            }) => assert!((days_left - 4.5).abs() < 1e-9),
            ref other => panic!("{other:?}"),
        }
        match f[5].threat {
            Some(ref t @ Threat::Days { days_left, .. }) => {
                assert!((days_left - 29.0).abs() < 1e-9);
                assert!(!t.is_soon());
            }
            ref other => panic!("{other:?}"),
        }
    }

    #[test]
    fn storage_class_from_image_status() {
        let mut d = detail("x", &[], 1.0);
        assert_eq!(
            LifecycleImage::from_detail(&d).storage,
            ImageStorage::Standard
        );
        d.image_status = Some("ARCHIVED".into());
        assert_eq!(
            LifecycleImage::from_detail(&d).storage,
            ImageStorage::Archive
        );
        d.image_status = Some("ACTIVATING".into());
        assert_eq!(
            LifecycleImage::from_detail(&d).storage,
            ImageStorage::Unknown
        );
        d.image_status = Some("ACTIVE".into());
        assert_eq!(
            LifecycleImage::from_detail(&d).storage,
            ImageStorage::Standard
        );
    }

    /// A brute-force reference (docs/ecr.md#evaluation as written, two-valued) agrees with the
    /// evaluator on random repositories without unknowns.
    #[test]
    fn agrees_with_the_reference_algorithm_on_random_repositories() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let tag_pool = [
            "prod-1",
            "prod-2",
            "beta-1",
            "beta-2",
            "dev",
            "release-7",
            "x",
        ];
        for _ in 0..200 {
            let n = 1 + next(25) as usize;
            let repo: Vec<ImageDetail> = (0..n)
                .map(|i| {
                    let tags: Vec<&str> = (0..next(3))
                        .map(|_| tag_pool[next(tag_pool.len() as u64) as usize])
                        .collect();
                    // Distinct push times so that the order is total.
                    detail(
                        &format!("i{i}"),
                        &tags,
                        i as f64 * 1.37 + next(5) as f64 * 0.001,
                    )
                })
                .collect();
            let selection = |k: u64| match k {
                0 => json!({"tagStatus": "tagged", "tagPatternList": ["prod*"]}),
                1 => json!({"tagStatus": "tagged", "tagPrefixList": ["beta"]}),
                2 => json!({"tagStatus": "tagged", "tagPatternList": ["*-*", "prod*"]}),
                _ => json!({"tagStatus": "untagged"}),
            };
            let mut rules = Vec::new();
            for (priority, k) in [(1, next(4)), (2, next(3))] {
                let mut s = selection(k);
                if next(2) == 0 {
                    s["countType"] = json!("imageCountMoreThan");
                    s["countNumber"] = json!(1 + next(4));
                } else {
                    s["countType"] = json!("sinceImagePushed");
                    s["countUnit"] = json!("days");
                    s["countNumber"] = json!(1 + next(20));
                }
                rules.push(rule(priority, s));
            }
            rules.push(rule(3, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1 + next(6)})));
            let p = policy(json!({"rules": rules}));

            // Reference: seen/expired sets, exactly as docs/ecr.md#evaluation describes.
            let mut seen = vec![false; n];
            let mut expected: Vec<Option<i64>> = vec![None; n];
            for r in &p.rules {
                let cand: Vec<usize> = (0..n).filter(|&i| r.tags.selects(repo[i].tags())).collect();
                let victims: Vec<usize> = match r.count {
                    Count::ImageCountMoreThan(keep) => {
                        let mut sorted = cand.clone();
                        sorted.sort_by_key(|&i| std::cmp::Reverse(repo[i].image_pushed_at));
                        sorted.into_iter().skip(keep as usize).collect()
                    }
                    Count::SinceImagePushed { days } => cand
                        .iter()
                        .copied()
                        .filter(|&i| {
                            now().micros() - repo[i].image_pushed_at.unwrap().micros()
                                > days as i64 * DAY
                        })
                        .collect(),
                    _ => unreachable!(),
                };
                for v in victims {
                    if !seen[v] {
                        expected[v] = Some(r.priority);
                    }
                }
                for c in cand {
                    seen[c] = true;
                }
            }
            let got: Vec<Option<i64>> = fates(&p, &repo)
                .into_iter()
                .map(|f| match f.outcome {
                    Outcome::Kept => None,
                    Outcome::Actioned { priority, .. } => Some(priority),
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(got, expected);
        }
    }
}
