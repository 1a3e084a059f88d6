//! Reading a lifecycle policy document and refusing what ECR would refuse, with every error
//! and its JSON path.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

use super::*;

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
