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

mod evaluate;
mod parse;

pub use evaluate::*;
pub use parse::*;

#[cfg(test)]
mod tests;
