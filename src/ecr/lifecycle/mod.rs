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

use std::fmt;

use crate::base::wildcard::{Glob, star_glob, starts_with};

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
#[derive(Clone, Debug)]
pub struct TagPattern {
    pub text: String,
    /// The compiled pattern (only `*` is a wildcard in ECR tag patterns).
    glob: Glob,
}

/// Two patterns are the same when their text is (the compiled form follows from it).
impl PartialEq for TagPattern {
    fn eq(&self, other: &TagPattern) -> bool {
        self.text == other.text
    }
}

impl TagPattern {
    pub fn new(text: &str) -> TagPattern {
        TagPattern {
            text: text.to_string(),
            glob: star_glob(text),
        }
    }

    pub fn wildcard_count(&self) -> usize {
        self.text.matches('*').count()
    }

    pub fn matches(&self, tag: &str) -> bool {
        self.glob.is_match(tag)
    }
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

mod evaluate;
mod parse;

pub use evaluate::*;
pub use parse::*;

#[cfg(test)]
mod tests;
