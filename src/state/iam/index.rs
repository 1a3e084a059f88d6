//! The roles and policies the state files and templates define, indexed by ARN and name.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::document::LoadedPolicy;
use super::{IamSection, RoleDetail};
use crate::diag::FileId;
use crate::iam::parse_policy_str;
use crate::model::arn::Arn;
use crate::parse::Node;
use crate::span::Span;
use crate::state::managed_policies;
use crate::state::snapshot::{Snapshot, StateError, span_at};
use serde_json::Value;

/// A managed policy a role refers to (attached, or as its permissions boundary).
#[derive(Clone, Debug)]
pub enum PolicyLink {
    /// By ARN: the state's own copy, else a shipped AWS managed policy, else unknown.
    Arn(String),
    /// A managed policy defined in the same template, by its position there.
    Template(usize),
    /// A reference that cannot be resolved (a template value known only at deploy time).
    Unknown { name: String, reason: String },
}

/// Where a role is defined.
#[derive(Clone, Debug, PartialEq)]
pub enum RoleSource {
    StateFile,
    /// The template or plan being checked (logical ID or address).
    Template(String),
}

/// One IAM role: from a state file's `RoleDetailList`, or from the template being checked.
#[derive(Debug)]
pub struct RoleEntry {
    /// The ARN (path included); None for a template role whose name or account is not known
    /// before deploy.
    pub arn: Option<String>,
    pub name: Option<String>,
    pub path: String,
    /// How messages name the role: its name, else the template's logical ID / address.
    pub label: String,
    pub account: Option<String>,
    pub source: RoleSource,
    /// The trust policy; None when the state does not have it.
    pub trust: Option<LoadedPolicy>,
    pub inline: Vec<LoadedPolicy>,
    /// False when the state does not list the inline policies (`RolePolicyList` missing).
    pub inline_known: bool,
    pub attached: Vec<PolicyLink>,
    /// False when the state does not list the attached policies.
    pub attached_known: bool,
    pub boundary: Option<PolicyLink>,
    /// The role's tags (`aws:PrincipalTag/…`); None when not known.
    pub tags: Option<Vec<(String, String)>>,
    /// Where the role is written (its entry in the state file, or the template resource).
    pub place: Option<(FileId, Span)>,
}

/// What the state files say about IAM, indexed, with every policy parsed once at load.
#[derive(Debug, Default)]
pub struct IamIndex {
    roles: Vec<RoleEntry>,
    /// Account → what the state knows of it.
    accounts: HashMap<String, AccountIam>,
    /// Customer and AWS managed policies from the states' `Policies`, by ARN (default version).
    managed: HashMap<String, LoadedPolicy>,
    /// ECR repository policies by (registry, region, repository) and registry policies by
    /// (registry, region), parsed once (the ECR index answers whether they exist).
    repository_policies: HashMap<(String, String, String), LoadedPolicy>,
    registry_policies: HashMap<(String, String), LoadedPolicy>,
}

#[derive(Debug, Default)]
struct AccountIam {
    /// A state file for this account has `iam.RoleDetailList`.
    roles_known: bool,
    /// The first such state file and its `RoleDetailList` (for labels).
    file: Option<FileId>,
    list: Span,
    by_arn: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
}

/// The result of looking a role up.
#[derive(Debug)]
pub enum RoleLookup<'a> {
    Found(&'a RoleEntry),
    /// The state lists the account's roles and this one is not among them. `same_name` is a
    /// role of that name at another path.
    NotFound {
        /// The state file that lists the account's roles, and its `RoleDetailList` key.
        file: FileId,
        list: Span,
        same_name: Option<&'a RoleEntry>,
    },
    Unknown(String),
}

impl IamIndex {
    /// The index of the snapshots' IAM sections and ECR policies. The snapshots' roles are
    /// moved into it.
    pub fn new(snapshots: &mut [Snapshot]) -> IamIndex {
        let mut index = IamIndex::default();
        for s in snapshots {
            let roles = std::mem::take(&mut s.roles);
            if let Some(iam) = &s.iam {
                index.add_iam(s, iam, roles);
            }
            index.add_ecr_policies(s);
        }
        index
    }

    fn add_iam(&mut self, s: &Snapshot, iam: &IamSection, roles: Vec<RoleEntry>) {
        let iam_node = s.root.get("iam");
        if let Some(policies) = &iam.policies {
            let nodes = iam_node
                .and_then(|n| n.get("Policies"))
                .map(Node::items)
                .unwrap_or(&[]);
            for (i, p) in policies.iter().enumerate() {
                let Some(arn) = &p.arn else { continue };
                if self.managed.contains_key(arn) {
                    continue;
                }
                let name = p
                    .policy_name
                    .clone()
                    .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn).to_string());
                let versions = p.policy_version_list.as_deref().unwrap_or(&[]);
                let default = versions.iter().position(|v| match &p.default_version_id {
                    Some(id) => v.version_id.as_ref() == Some(id),
                    None => v.is_default_version == Some(true),
                });
                let version_nodes = nodes
                    .get(i)
                    .and_then(|n| n.get("PolicyVersionList"))
                    .map(Node::items)
                    .unwrap_or(&[]);
                let loaded = match default.and_then(|d| Some((d, versions[d].document.as_ref()?))) {
                    Some((d, doc)) => {
                        let node = version_nodes.get(d).and_then(|n| n.get("Document"));
                        LoadedPolicy::from_state(&name, doc, node, s.file)
                    }
                    None => LoadedPolicy::unknown(
                        &name,
                        format!(
                            "the state lists the managed policy `{arn}` without the document of its default version"
                        ),
                    ),
                };
                self.managed.insert(arn.clone(), loaded);
            }
        }
        let account = self.accounts.entry(s.account_id.clone()).or_default();
        if iam.role_detail_list.is_some() && !account.roles_known {
            account.roles_known = true;
            account.file = Some(s.file);
            account.list = iam_node
                .and_then(|n| n.member("RoleDetailList"))
                .map(|m| m.key_span)
                .unwrap_or_default();
        }
        for entry in roles {
            // A role's account is the one in its ARN (a state file may list another account's
            // roles; they are found, but their absence proves nothing).
            let account_id = entry
                .account
                .clone()
                .unwrap_or_else(|| s.account_id.clone());
            let acc = self.accounts.entry(account_id).or_default();
            if entry
                .arn
                .as_ref()
                .is_some_and(|a| acc.by_arn.contains_key(a))
            {
                continue;
            }
            let at = self.roles.len();
            if let Some(arn) = &entry.arn {
                acc.by_arn.insert(arn.clone(), at);
            }
            if let Some(name) = &entry.name {
                acc.by_name.entry(name.clone()).or_insert(at);
            }
            self.roles.push(entry);
        }
    }

    fn add_ecr_policies(&mut self, s: &Snapshot) {
        let Some(ecr) = &s.ecr else { return };
        let ecr_node = s.root.get("ecr");
        let nodes = ecr_node
            .and_then(|n| n.get("repositoryPolicies"))
            .map(Node::items)
            .unwrap_or(&[]);
        for (i, p) in ecr.repository_policies.iter().flatten().enumerate() {
            let (Some(repo), Some(text)) = (&p.repository_name, &p.policy_text) else {
                continue;
            };
            let registry = p
                .registry_id
                .clone()
                .unwrap_or_else(|| s.account_id.clone());
            let key = (registry, s.region.clone(), repo.clone());
            if self.repository_policies.contains_key(&key) {
                continue;
            }
            let node = nodes.get(i).and_then(|n| n.get("policyText"));
            let name = format!("repository policy of `{repo}`");
            self.repository_policies
                .insert(key, policy_text(&name, &text.0, node, s.file));
        }
        if let Some(Some(p)) = &ecr.registry_policy
            && let Some(text) = &p.policy_text
        {
            let registry = p
                .registry_id
                .clone()
                .unwrap_or_else(|| s.account_id.clone());
            let key = (registry.clone(), s.region.clone());
            let node = ecr_node
                .and_then(|n| n.get("registryPolicy"))
                .and_then(|n| n.get("policyText"));
            let name = format!("registry policy of account {registry}");
            self.registry_policies
                .entry(key)
                .or_insert_with(|| policy_text(&name, &text.0, node, s.file));
        }
    }

    /// Whether a state file with `iam.RoleDetailList` for this account was supplied.
    pub fn knows_roles_of(&self, account: &str) -> bool {
        self.accounts.get(account).is_some_and(|a| a.roles_known)
    }

    /// A role by ARN (path included). A role whose account has no IAM state is unknown.
    pub fn role_by_arn(&self, arn: &str) -> RoleLookup<'_> {
        let account = arn_account(arn).unwrap_or("");
        let acc = self.accounts.get(account);
        if let Some(&i) = acc.and_then(|a| a.by_arn.get(arn)) {
            return RoleLookup::Found(&self.roles[i]);
        }
        match acc {
            Some(a) if a.roles_known => RoleLookup::NotFound {
                file: a.file.unwrap_or_default(),
                list: a.list,
                same_name: role_name_of(arn)
                    .and_then(|n| a.by_name.get(n))
                    .map(|&i| &self.roles[i]),
            },
            _ => RoleLookup::Unknown(no_iam_state(account)),
        }
    }

    /// A role by name in an account.
    pub fn role_by_name(&self, account: &str, name: &str) -> RoleLookup<'_> {
        let acc = self.accounts.get(account);
        if let Some(&i) = acc.and_then(|a| a.by_name.get(name)) {
            return RoleLookup::Found(&self.roles[i]);
        }
        match acc {
            Some(a) if a.roles_known => RoleLookup::NotFound {
                file: a.file.unwrap_or_default(),
                list: a.list,
                same_name: None,
            },
            _ => RoleLookup::Unknown(no_iam_state(account)),
        }
    }

    /// A managed policy by ARN: the state's copy (its default version), else the copy shipped
    /// with the tool; None when neither has it.
    pub fn managed_policy(&self, arn: &str) -> Option<&LoadedPolicy> {
        self.managed.get(arn).or_else(|| shipped(arn))
    }

    /// The parsed repository policy, when the state has one (ask the ECR index whether the
    /// repository has none or whether that is unknown).
    pub fn repository_policy(
        &self,
        registry: &str,
        region: &str,
        repo: &str,
    ) -> Option<&LoadedPolicy> {
        self.repository_policies
            .get(&(registry.to_string(), region.to_string(), repo.to_string()))
    }

    pub fn registry_policy(&self, registry: &str, region: &str) -> Option<&LoadedPolicy> {
        self.registry_policies
            .get(&(registry.to_string(), region.to_string()))
    }

    pub fn roles(&self) -> &[RoleEntry] {
        &self.roles
    }
}

fn no_iam_state(account: &str) -> String {
    format!(
        "no IAM state for account {account} (pass --state with an `iam` section from `aws iam get-account-authorization-details`)"
    )
}

/// ECR `policyText`: JSON text (a hand-written state may hold an object; the ECR reader keeps
/// both as text).
fn policy_text(name: &str, text: &str, node: Option<&Node>, file: FileId) -> LoadedPolicy {
    match node {
        Some(n) if n.is_object() => LoadedPolicy::from_state(name, &n.to_json(), Some(n), file),
        _ => LoadedPolicy::from_state(name, &Value::String(text.to_string()), node, file),
    }
}

/// One item of `iam.RoleDetailList` (the `index`-th), read as the file is parsed: its policy
/// documents are kept as their text in `text` and read when first asked for. A role without
/// `Arn` is an error (the CLI prints one for every role, and roles are found by it).
pub fn read_role(
    node: &Node,
    index: usize,
    text: &str,
    file: FileId,
) -> Result<RoleEntry, StateError> {
    let r: RoleDetail = serde_path_to_error::deserialize(node).map_err(|e| {
        let inner = e.path().to_string();
        let path = match inner.as_str() {
            "." => format!("iam.RoleDetailList[{index}]"),
            _ => format!("iam.RoleDetailList[{index}].{inner}"),
        };
        StateError {
            span: span_at(node, &inner),
            message: format!("{path}: {}", e.inner()),
        }
    })?;
    if r.arn.as_deref().is_none_or(|a| a.is_empty()) {
        let path = format!("iam.RoleDetailList[{index}]");
        let role = match &r.role_name {
            Some(name) => format!("the role `{name}`"),
            None => "this role".to_string(),
        };
        return Err(StateError {
            span: node.span,
            message: format!(
                "{path}: {role} has no `Arn` (`aws iam get-account-authorization-details` prints one for every role; roles are matched by it)"
            ),
        });
    }
    let document = |name: &str, doc: Option<&Node>| match doc {
        Some(n) => LoadedPolicy::from_state_text(name, &text[n.span.range()], n.span, file),
        None => LoadedPolicy::unknown(name, "the state has no document for it"),
    };
    let get = |key: &str| node.get(key).filter(|n| !n.is_null());
    let name = r
        .role_name
        .clone()
        .or_else(|| r.arn.as_deref().and_then(role_name_of).map(str::to_string));
    let label = name
        .clone()
        .or_else(|| r.arn.clone())
        .unwrap_or_else(|| "(unnamed role)".into());
    let trust = r.assume_role_policy_document.as_ref().map(|_| {
        document(
            &format!("trust policy of `{label}`"),
            get("AssumeRolePolicyDocument"),
        )
    });
    let inline_nodes = get("RolePolicyList").map(Node::items).unwrap_or(&[]);
    let inline = r
        .role_policy_list
        .iter()
        .flatten()
        .enumerate()
        .map(|(j, p)| {
            let pname = p
                .policy_name
                .clone()
                .unwrap_or_else(|| format!("inline policy #{}", j + 1));
            match &p.policy_document {
                Some(_) => document(
                    &pname,
                    inline_nodes
                        .get(j)
                        .and_then(|n| n.get("PolicyDocument"))
                        .filter(|n| !n.is_null()),
                ),
                None => LoadedPolicy::unknown(&pname, "the state has no `PolicyDocument` for it"),
            }
        })
        .collect();
    let attached = r
        .attached_managed_policies
        .iter()
        .flatten()
        .map(|a| match &a.policy_arn {
            Some(arn) => PolicyLink::Arn(arn.clone()),
            None => PolicyLink::Unknown {
                name: a.policy_name.clone().unwrap_or_else(|| "(unnamed)".into()),
                reason: "the state lists it without `PolicyArn`".into(),
            },
        })
        .collect();
    let boundary = r
        .permissions_boundary
        .as_ref()
        .map(|b| match &b.permissions_boundary_arn {
            Some(arn) => PolicyLink::Arn(arn.clone()),
            None => PolicyLink::Unknown {
                name: "permissions boundary".into(),
                reason: "the state lists it without `PermissionsBoundaryArn`".into(),
            },
        });
    Ok(RoleEntry {
        account: r.arn.as_deref().and_then(arn_account).map(str::to_string),
        path: r.path.clone().unwrap_or_else(|| "/".into()),
        arn: r.arn,
        name,
        label,
        source: RoleSource::StateFile,
        trust,
        inline,
        inline_known: r.role_policy_list.is_some(),
        attached,
        attached_known: r.attached_managed_policies.is_some(),
        boundary,
        tags: r.tags.as_ref().map(|t| {
            t.iter()
                .filter_map(|t| Some((t.key.clone()?, t.value.clone().unwrap_or_default())))
                .collect()
        }),
        place: Some((file, node.span)),
    })
}

/// The account part of an ARN (`arn:P:svc:region:ACCOUNT:…`).
pub fn arn_account(arn: &str) -> Option<&str> {
    Arn::parse(arn)
        .map(|a| a.account)
        .filter(|account| !account.is_empty())
}

/// The role name of a role ARN: the last segment of `role/<path><name>`.
pub fn role_name_of(arn: &str) -> Option<&str> {
    let path = Arn::parse(arn)?.resource.strip_prefix("role/")?;
    path.rsplit('/').next().filter(|n| !n.is_empty())
}

/// The shipped AWS managed policies, parsed once per process.
static SHIPPED: LazyLock<Vec<LoadedPolicy>> = LazyLock::new(|| {
    managed_policies::all()
        .iter()
        .map(|p| {
            let parsed = parse_policy_str(p.document)
                .map(|pol| pol.with_name(p.name))
                .map_err(|e| format!("the shipped copy cannot be read: {e}"));
            LoadedPolicy::read_now(p.name, None, parsed, Vec::new(), Vec::new())
        })
        .collect()
});

fn shipped(arn: &str) -> Option<&'static LoadedPolicy> {
    let found = managed_policies::find(arn)?;
    let i = managed_policies::all()
        .iter()
        .position(|p| std::ptr::eq(p, found))?;
    SHIPPED.get(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::state::snapshot;

    const STATE: &str = r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
 "iam": {"RoleDetailList": [
   {"RoleName": "exec", "Path": "/service-role/", "Arn": "arn:aws:iam::111122223333:role/service-role/exec",
    "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ecs-tasks.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D",
    "RolePolicyList": [{"PolicyName": "pull", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
       {"Sid": "A", "Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
       {"Sid": "B", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}}],
    "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::111122223333:policy/custom"}]},
   {"RoleName": "other", "Arn": "arn:aws:iam::444455556666:role/other"}],
  "Policies": [{"PolicyName": "custom", "Arn": "arn:aws:iam::111122223333:policy/custom", "DefaultVersionId": "v2",
    "PolicyVersionList": [{"VersionId": "v1", "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}},
                          {"VersionId": "v2", "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}}]}]},
 "ecr": {"repositoryPolicies": [{"repositoryName": "web", "policyText": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"ecr:BatchGetImage\"}]}"}]}}"#;

    fn index() -> IamIndex {
        let file = SourceFile::new("s.json".into(), "s.json".into(), STATE.to_string());
        IamIndex::new(&mut [snapshot::load(&file, 3).unwrap()])
    }

    #[test]
    fn roles_by_arn_with_path_and_by_name() {
        let ix = index();
        let RoleLookup::Found(role) =
            ix.role_by_arn("arn:aws:iam::111122223333:role/service-role/exec")
        else {
            panic!()
        };
        assert_eq!(role.name.as_deref(), Some("exec"));
        assert!(matches!(
            ix.role_by_name("111122223333", "exec"),
            RoleLookup::Found(_)
        ));
        // Without the path: not found, and the role of that name is offered.
        match ix.role_by_arn("arn:aws:iam::111122223333:role/exec") {
            RoleLookup::NotFound {
                file, same_name, ..
            } => {
                assert_eq!(file, 3);
                assert_eq!(same_name.unwrap().path, "/service-role/");
            }
            other => panic!("{other:?}"),
        }
        // A role of another account listed in the file is found, but that account's roles are
        // not known: absence there proves nothing.
        assert!(matches!(
            ix.role_by_arn("arn:aws:iam::444455556666:role/other"),
            RoleLookup::Found(_)
        ));
        assert!(matches!(
            ix.role_by_arn("arn:aws:iam::444455556666:role/nope"),
            RoleLookup::Unknown(_)
        ));
        assert!(ix.knows_roles_of("111122223333"));
        assert!(!ix.knows_roles_of("444455556666"));
    }

    #[test]
    fn documents_keep_their_places_and_url_encoded_ones_point_at_the_string() {
        let ix = index();
        let RoleLookup::Found(role) = ix.role_by_name("111122223333", "exec") else {
            panic!()
        };
        let trust = role.trust.as_ref().unwrap();
        assert!(trust.parsed().is_ok());
        let (file, span) = trust.statement_place(0).unwrap();
        assert_eq!(file, 3);
        assert!(STATE[span.range()].starts_with("\"%7B"));
        let (_, span) = role.inline[0].statement_place(1).unwrap();
        assert!(STATE[span.range()].starts_with(r#"{"Sid": "B""#));
    }

    #[test]
    fn managed_policies_use_the_default_version_then_the_shipped_copy() {
        let ix = index();
        let custom = ix
            .managed_policy("arn:aws:iam::111122223333:policy/custom")
            .unwrap();
        let p = custom.parsed().as_ref().unwrap();
        assert_eq!(p.statements[0].effect, crate::iam::Effect::Allow);
        assert!(
            ix.managed_policy(
                "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
            )
            .is_some()
        );
        assert!(
            ix.managed_policy("arn:aws:iam::111122223333:policy/missing")
                .is_none()
        );
    }

    #[test]
    fn repository_policies_are_parsed_once_by_registry_region_and_name() {
        let ix = index();
        let p = ix
            .repository_policy("111122223333", "us-east-1", "web")
            .unwrap();
        assert!(p.parsed().is_ok());
        assert_eq!(p.name, "repository policy of `web`");
        assert!(
            ix.repository_policy("111122223333", "us-west-2", "web")
                .is_none()
        );
    }

    #[test]
    fn arn_parts() {
        assert_eq!(
            arn_account("arn:aws:iam::111122223333:role/a/b"),
            Some("111122223333")
        );
        assert_eq!(arn_account("arn:aws:iam:::role/a"), None);
        assert_eq!(arn_account("role/a"), None);
        assert_eq!(role_name_of("arn:aws:iam::1:role/a/b"), Some("b"));
        assert_eq!(role_name_of("arn:aws:iam::1:role/"), None);
    }
}
