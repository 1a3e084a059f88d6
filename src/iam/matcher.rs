//! IAM patterns: actions and ARNs with wildcards (`*` any run, `?` exactly one character),
//! matched with the one wildcard matcher (`base::wildcard`), and ARN splitting by offsets.
//!
//! Patterns are compiled once, when the policy is parsed, into a token list; matching then walks
//! the token list with the classic single-backtrack-point algorithm, which is complete for
//! patterns made of literals, `*` and `?` (no character classes). No regex: IAM wildcards are
//! not regexes, and a regex engine would be slower to build for the thousands of short patterns
//! a state file holds.

pub(crate) use crate::base::wildcard::{Glob, Tok, push_lit, push_wild, toks_match, wild_glob};

use super::request::RequestContext;
use super::variables::{Syntax, Template, VarMatch};

/// An ARN (or ARN-like string) cut at its first five colons, by byte offsets. Fewer than six
/// parts when the string has fewer than five colons; the last part keeps any further colons.
#[derive(Clone, Debug)]
pub(crate) struct ArnSplit {
    starts: [usize; 6],
    count: usize,
}

impl ArnSplit {
    pub(crate) fn new(s: &str) -> ArnSplit {
        let mut starts = [0usize; 6];
        let mut count = 1;
        for (i, b) in s.bytes().enumerate() {
            if count == 6 {
                break;
            }
            if b == b':' {
                starts[count] = i + 1;
                count += 1;
            }
        }
        ArnSplit { starts, count }
    }

    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// Part `i` alone (for the last part: everything after the fifth colon).
    pub(crate) fn part<'s>(&self, s: &'s str, i: usize) -> &'s str {
        if i >= self.count {
            return "";
        }
        let start = self.starts[i];
        let end = if i + 1 < self.count {
            self.starts[i + 1] - 1
        } else {
            s.len()
        };
        s.get(start..end).unwrap_or("")
    }

    /// Everything from the start of part `i` to the end of the string, colons included.
    pub(crate) fn rest<'s>(&self, s: &'s str, i: usize) -> &'s str {
        if i >= self.count {
            return "";
        }
        s.get(self.starts[i]..).unwrap_or("")
    }
}

/// Splits a pattern at its first five colons that are not inside a `${…}` policy variable
/// (a variable such as `${aws:username}` contains a colon of its own).
pub(crate) fn split_pattern_arn(s: &str) -> Vec<&str> {
    let mut parts = Vec::with_capacity(6);
    let mut start = 0usize;
    let mut depth = 0usize;
    let bytes = s.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'$' && bytes.get(i + 1) == Some(&b'{') {
            depth += 1;
            i += 2;
            continue;
        }
        if b == b'}' && depth > 0 {
            depth -= 1;
        } else if b == b':' && depth == 0 && parts.len() < 5 {
            parts.push(s.get(start..i).unwrap_or(""));
            start = i + 1;
        }
        i += 1;
    }
    parts.push(s.get(start..).unwrap_or(""));
    parts
}

/// A compiled `Action` / `NotAction` entry: `*`, or `service:name` with wildcards, lowercased
/// (actions are case-insensitive, docs/iam.md#wildcards-and-case). One glob over the whole text:
/// a request action has exactly one colon, so a `*` in the service part cannot reach into the
/// action name.
#[derive(Clone, Debug)]
pub(crate) struct ActionPattern(Glob);

impl ActionPattern {
    /// `None` when the text is neither `*` nor `service:name`.
    pub(crate) fn compile(text: &str) -> Option<ActionPattern> {
        let text = text.trim();
        if text == "*" {
            return Some(ActionPattern(Glob::Any));
        }
        let lower = text.to_lowercase();
        let (service, name) = lower.split_once(':')?;
        if service.is_empty() || name.contains(':') {
            return None;
        }
        Some(ActionPattern(wild_glob(&lower)))
    }

    /// `action_lc` is the lowercased `service:Name` of the request.
    pub(crate) fn matches(&self, action_lc: &str) -> bool {
        self.0.is_match(action_lc)
    }
}

/// A compiled ARN pattern (Resource / NotResource entries and Arn* condition values): matched
/// part by part at the first five colons, each part with wildcards (docs/iam.md#wildcards-and-case).
/// A pattern with fewer than six parts lets its last part match the rest of the ARN, colons
/// included (inferred, same section).
#[derive(Clone, Debug)]
pub(crate) enum ArnPattern {
    /// `*`.
    Any,
    /// No wildcard and no variable: part-by-part equality is whole-string equality.
    Exact(Box<str>),
    Parts(Box<[Template]>),
}

impl ArnPattern {
    /// `variables_from`: index of the first part where `${…}` is a variable (5 for Resource,
    /// where variables are only allowed after the fifth colon; 0 for Arn* condition values);
    /// `None` when the policy version makes variables literal.
    pub(crate) fn compile(text: &str, variables_from: Option<usize>) -> ArnPattern {
        if text == "*" {
            return ArnPattern::Any;
        }
        if !text.contains(['*', '?']) && !text.contains("${") {
            return ArnPattern::Exact(text.into());
        }
        let parts = split_pattern_arn(text)
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let variables = variables_from.is_some_and(|from| i >= from);
                Template::compile(
                    p,
                    Syntax {
                        wildcards: true,
                        variables,
                    },
                )
            })
            .collect();
        ArnPattern::Parts(parts)
    }

    pub(crate) fn matches(&self, s: &str, split: &ArnSplit, ctx: &RequestContext) -> VarMatch {
        let parts = match self {
            ArnPattern::Any => return VarMatch::Yes,
            ArnPattern::Exact(e) => {
                return if s == &**e {
                    VarMatch::Yes
                } else {
                    VarMatch::No
                };
            }
            ArnPattern::Parts(parts) => parts,
        };
        let k = parts.len();
        if split.count() < k {
            return VarMatch::No;
        }
        let mut result = VarMatch::Yes;
        for (i, part) in parts.iter().enumerate() {
            let text = if i + 1 == k {
                split.rest(s, i)
            } else {
                split.part(s, i)
            };
            match part.matches(text, ctx) {
                VarMatch::No => return VarMatch::No,
                VarMatch::Yes => {}
                fail @ VarMatch::Fail(_) => {
                    if result == VarMatch::Yes {
                        result = fail;
                    }
                }
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_split_keeps_colons_in_the_last_part() {
        let s = "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s";
        let a = ArnSplit::new(s);
        assert_eq!(a.count(), 6);
        assert_eq!(a.part(s, 2), "logs");
        assert_eq!(a.part(s, 5), "log-group:g:log-stream:s");
        assert_eq!(a.rest(s, 3), "us-east-1:1:log-group:g:log-stream:s");
        let star = ArnSplit::new("*");
        assert_eq!(star.count(), 1);
        assert_eq!(star.part("*", 0), "*");
    }

    #[test]
    fn pattern_split_skips_colons_inside_variables() {
        let p = split_pattern_arn("arn:aws:s3:::bucket/${aws:username}/x:y");
        assert_eq!(
            p,
            vec!["arn", "aws", "s3", "", "", "bucket/${aws:username}/x:y"]
        );
        let p = split_pattern_arn("arn:aws:ecr:*");
        assert_eq!(p, vec!["arn", "aws", "ecr", "*"]);
    }

    #[test]
    fn actions_are_case_insensitive() {
        let p = ActionPattern::compile("ECR:Get*").unwrap();
        assert!(p.matches("ecr:getauthorizationtoken"));
        assert!(!p.matches("ecr:batchgetimage"));
        assert!(!p.matches("ecrx:getfoo"));
        assert!(
            ActionPattern::compile("*")
                .unwrap()
                .matches("anything:at-all")
        );
        assert!(
            ActionPattern::compile("ecr:Batch?etImage")
                .unwrap()
                .matches("ecr:batchgetimage")
        );
        assert!(ActionPattern::compile("ecr").is_none());
        assert!(ActionPattern::compile("a:b:c").is_none());
        assert!(ActionPattern::compile(":b").is_none());
    }

    #[test]
    fn arn_patterns_match_per_segment() {
        let ctx = RequestContext::new();
        let m =
            |p: &str, s: &str| ArnPattern::compile(p, Some(5)).matches(s, &ArnSplit::new(s), &ctx);
        let repo = "arn:aws:ecr:us-east-1:111122223333:repository/team/app";
        assert_eq!(m("*", repo), VarMatch::Yes);
        assert_eq!(m("arn:aws:ecr:*:*:repository/*", repo), VarMatch::Yes);
        assert_eq!(
            m("arn:aws:ecr:us-east-?:*:repository/team/*", repo),
            VarMatch::Yes
        );
        // A `*` in the region part cannot swallow the colon after it.
        assert_eq!(m("arn:aws:ecr:*:repository/team/app", repo), VarMatch::No);
        // Case-sensitive.
        assert_eq!(m("arn:aws:ECR:*:*:*", repo), VarMatch::No);
        // Short pattern: the last part matches the rest.
        assert_eq!(m("arn:aws:ecr:*", repo), VarMatch::Yes);
        assert_eq!(m("arn:aws:ecr:us-east-1", repo), VarMatch::No);
        // A resource of "*" (no resource type) only matches a "*" pattern.
        assert_eq!(m("arn:aws:ecr:*:*:*", "*"), VarMatch::No);
        assert_eq!(m("*", "*"), VarMatch::Yes);
        let stream = "arn:aws:logs:us-east-1:1:log-group:g:log-stream:p/c/t";
        assert_eq!(m("arn:aws:logs:*:*:log-group:g:*", stream), VarMatch::Yes);
        assert_eq!(m("arn:aws:logs:*:*:log-group:h:*", stream), VarMatch::No);
    }
}
