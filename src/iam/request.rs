//! The request being authorized: action, resource, principal and the condition-key context.
//!
//! The context is three-valued per key (docs/iam.md#request-context): a key is known with one or
//! more values, known to be absent, or unknown. Keys are unknown unless the caller says
//! otherwise, so that a condition on a key nobody thought about is never decided by accident.

use super::matcher::ArnSplit;
use std::collections::HashMap;

/// A known value of a condition key.
#[derive(Clone, Debug, PartialEq)]
pub enum ContextValue {
    /// A single-valued key (`aws:PrincipalArn`, `aws:SourceVpc`, …).
    Single(String),
    /// A multi-valued key (`aws:PrincipalOrgPaths`, `aws:TagKeys`, …); may be empty.
    Multi(Vec<String>),
}

#[derive(Clone, Debug)]
enum Entry {
    Known(ContextValue),
    Absent,
    Unknown,
}

/// What the context says about one key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyState<'a> {
    Single(&'a str),
    Multi(&'a [String]),
    /// Known not to be in the request.
    Absent,
    /// Could be absent or have any value.
    Unknown,
}

/// Condition keys of one request. Keys are case-insensitive (stored lowercased).
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    entries: HashMap<String, Entry>,
    /// Lowercased prefixes (e.g. `aws:principaltag/`) under which every key not set is absent:
    /// used when the full tag set is known.
    absent_prefixes: Vec<String>,
    /// When set, every key not set is absent instead of unknown (fully specified contexts).
    others_absent: bool,
}

impl RequestContext {
    /// An empty context: every key is unknown.
    pub fn new() -> RequestContext {
        RequestContext::default()
    }

    /// Sets a single-valued key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.entries.insert(
            key.to_ascii_lowercase(),
            Entry::Known(ContextValue::Single(value.into())),
        );
        self
    }

    /// Sets a multi-valued key (an empty list is a present key with no values).
    pub fn set_multi(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.entries.insert(
            key.to_ascii_lowercase(),
            Entry::Known(ContextValue::Multi(values)),
        );
        self
    }

    /// Marks a key as known to be absent from the request.
    pub fn set_absent(&mut self, key: &str) -> &mut Self {
        self.entries.insert(key.to_ascii_lowercase(), Entry::Absent);
        self
    }

    /// Marks a key as unknown, also under [`RequestContext::absent_under_prefix`] and
    /// [`RequestContext::others_absent`].
    pub fn set_unknown(&mut self, key: &str) -> &mut Self {
        self.entries
            .insert(key.to_ascii_lowercase(), Entry::Unknown);
        self
    }

    /// Every key that starts with `prefix` and is not set is absent (e.g. `aws:PrincipalTag/`
    /// once all of the role's tags are known).
    pub fn absent_under_prefix(&mut self, prefix: &str) -> &mut Self {
        self.absent_prefixes.push(prefix.to_ascii_lowercase());
        self
    }

    /// Every key that is not set is absent rather than unknown.
    pub fn others_absent(&mut self) -> &mut Self {
        self.others_absent = true;
        self
    }

    /// Looks a key up (any case).
    pub fn get(&self, key: &str) -> KeyState<'_> {
        self.lookup(&key.to_ascii_lowercase())
    }

    /// Looks up an already lowercased key.
    pub(crate) fn lookup(&self, key_lc: &str) -> KeyState<'_> {
        match self.entries.get(key_lc) {
            Some(Entry::Known(ContextValue::Single(v))) => KeyState::Single(v),
            Some(Entry::Known(ContextValue::Multi(v))) => KeyState::Multi(v),
            Some(Entry::Absent) => KeyState::Absent,
            Some(Entry::Unknown) => KeyState::Unknown,
            None => {
                if self.others_absent || self.absent_prefixes.iter().any(|p| key_lc.starts_with(p))
                {
                    KeyState::Absent
                } else {
                    KeyState::Unknown
                }
            }
        }
    }
}

/// The principal making the request: an IAM role, acting through one of its sessions.
#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    /// `arn:<partition>:iam::<account>:role/<path><name>`.
    pub role_arn: String,
    /// The role's account ID.
    pub account: String,
    /// `arn:<partition>:sts::<account>:assumed-role/<name>/<session>`, when the session name is
    /// known (for ECS-issued sessions it usually is not).
    pub session_arn: Option<String>,
}

impl Principal {
    /// Builds the principal from a role ARN; the account is taken from the ARN. With a session
    /// name, the session ARN is built as STS does (without the role path).
    pub fn from_role_arn(role_arn: &str, session_name: Option<&str>) -> Principal {
        let split = ArnSplit::new(role_arn);
        let partition = split.part(role_arn, 1);
        let account = split.part(role_arn, 4).to_string();
        let session_arn = session_name.map(|s| {
            format!(
                "arn:{partition}:sts::{account}:assumed-role/{}/{s}",
                role_name(role_arn).unwrap_or("")
            )
        });
        Principal {
            role_arn: role_arn.to_string(),
            account,
            session_arn,
        }
    }

    pub(crate) fn partition(&self) -> &str {
        ArnSplit::new(&self.role_arn).part(&self.role_arn, 1)
    }
}

/// The role name: the last segment of the role ARN's path.
pub(crate) fn role_name(role_arn: &str) -> Option<&str> {
    let split = ArnSplit::new(role_arn);
    let res = split.part(role_arn, 5);
    let path = res.strip_prefix("role/")?;
    path.rsplit('/').next()
}

/// One request to authorize. Borrowing the principal and the context lets one context serve
/// many requests (all the actions of one pull).
#[derive(Clone, Debug)]
pub struct Request<'a> {
    action: String,
    action_lc: String,
    resource: &'a str,
    resource_split: ArnSplit,
    pub principal: &'a Principal,
    pub context: &'a RequestContext,
}

impl<'a> Request<'a> {
    /// `action` as `service:Name` (any case); `resource` the ARN, or `*` for actions without a
    /// resource type (`ecr:GetAuthorizationToken`).
    pub fn new(
        action: &str,
        resource: &'a str,
        principal: &'a Principal,
        context: &'a RequestContext,
    ) -> Request<'a> {
        Request {
            action: action.to_string(),
            action_lc: action.to_lowercase(),
            resource,
            resource_split: ArnSplit::new(resource),
            principal,
            context,
        }
    }

    pub fn action(&self) -> &str {
        &self.action
    }

    pub fn resource(&self) -> &str {
        self.resource
    }

    pub(crate) fn action_lc(&self) -> &str {
        &self.action_lc
    }

    pub(crate) fn resource_split(&self) -> &ArnSplit {
        &self.resource_split
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_unknown_by_default() {
        let mut c = RequestContext::new();
        c.set("aws:SourceVpc", "vpc-1").set_absent("aws:SourceIp");
        assert_eq!(c.get("AWS:SOURCEVPC"), KeyState::Single("vpc-1"));
        assert_eq!(c.get("aws:sourceip"), KeyState::Absent);
        assert_eq!(c.get("aws:PrincipalOrgID"), KeyState::Unknown);
        c.absent_under_prefix("aws:PrincipalTag/");
        assert_eq!(c.get("aws:principaltag/Team"), KeyState::Absent);
        c.set("aws:PrincipalTag/team", "a");
        assert_eq!(c.get("aws:principaltag/TEAM"), KeyState::Single("a"));
        c.set_unknown("aws:SourceVpc");
        assert_eq!(c.get("aws:SourceVpc"), KeyState::Unknown);
        c.others_absent();
        assert_eq!(c.get("aws:SourceVpc"), KeyState::Unknown);
        assert_eq!(c.get("aws:SourceVpce"), KeyState::Absent);
        c.set_unknown("aws:PrincipalTag/x");
        assert_eq!(c.get("aws:PrincipalTag/X"), KeyState::Unknown);
    }

    #[test]
    fn principal_from_role_arn_drops_the_path_in_the_session() {
        let p = Principal::from_role_arn(
            "arn:aws:iam::111122223333:role/service-role/exec",
            Some("task-1"),
        );
        assert_eq!(p.account, "111122223333");
        assert_eq!(
            p.session_arn.as_deref(),
            Some("arn:aws:sts::111122223333:assumed-role/exec/task-1")
        );
        assert_eq!(p.partition(), "aws");
        assert_eq!(role_name("arn:aws:iam::1:role/a/b/c"), Some("c"));
        assert_eq!(role_name("arn:aws:iam::1:user/c"), None);
    }
}
