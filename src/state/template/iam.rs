//! IAM state from the resources of the template or plan being checked: CloudFormation
//! `AWS::IAM::Role` / `Policy` / `RolePolicy` / `ManagedPolicy` and `AWS::ECR::Repository`
//! (its `RepositoryPolicyText`); the Terraform plan's `aws_iam_role` (with `inline_policy`
//! blocks), `aws_iam_role_policy`, `aws_iam_policy`, `aws_iam_role_policy_attachment`,
//! `aws_iam_policy_attachment`, `aws_ecr_repository` and `aws_ecr_repository_policy`.
//!
//! Layered over the state files: a template that defines its own execution role is checked
//! with no account access at all, and a policy the template attaches to a role it does not
//! define (by name) is added to that role's policies from the state.
//!
//! Built once per document, on first use by a rule (the build needs the file's text, to keep
//! the spans of statements inside Terraform's JSON policy strings). Values known only at
//! deploy time stay unknown: a policy whose document is unknown may allow or deny anything.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::diag::CURRENT_FILE;
use crate::model::resolve::partition_of_region;
use crate::model::{Document, Format, Resource};
use crate::parse::{Node, NodeKind};
use crate::settings::Settings;
use crate::source::SourceFile;
use crate::state::iam::{LoadedPolicy, PolicyKind, PolicyLink, RoleEntry, RoleSource, arn_account};
use crate::state::template::kms::{self, TemplateKms};
use crate::state::template::s3::TemplateBuckets;

#[derive(Debug, Default)]
pub struct TemplateIam {
    built: OnceLock<TemplateIamIndex>,
}

impl TemplateIam {
    pub fn from_document(_doc: &Document, _settings: &Settings) -> TemplateIam {
        TemplateIam::default()
    }

    /// The index for this document (built on the first call; later calls reuse it).
    pub fn get(&self, doc: &Document, file: &SourceFile, settings: &Settings) -> &TemplateIamIndex {
        self.built
            .get_or_init(|| TemplateIamIndex::build(doc, file, settings))
    }
}

/// What the template defines, indexed.
#[derive(Debug, Default)]
pub struct TemplateIamIndex {
    pub roles: Vec<RoleEntry>,
    roles_by_id: HashMap<String, usize>,
    roles_by_name: HashMap<String, usize>,
    /// Managed policies the template defines (`PolicyLink::Template(i)` points here).
    pub managed: Vec<LoadedPolicy>,
    managed_by_id: HashMap<String, usize>,
    managed_by_arn: HashMap<String, usize>,
    /// Policies the template attaches to roles it does not define, by role name.
    extra_inline: HashMap<String, Vec<LoadedPolicy>>,
    extra_attached: HashMap<String, Vec<PolicyLink>>,
    /// Policies attached to a role whose name is known only at deploy time: they may be
    /// attached to any role the template does not define.
    pub floating: Vec<(String, String)>,
    /// Repositories the template defines, by name, with their policy (None: no policy).
    repositories: HashMap<String, Option<LoadedPolicy>>,
    /// Values of `Ref` / `Fn::GetAtt` the template lets us compute (names and ARNs of
    /// repositories, log groups, roles, parameters).
    values: HashMap<(String, Option<String>), String>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// KMS keys and aliases, and the keys of the secrets and parameters the template creates.
    pub kms: TemplateKms,
    /// The policies of the buckets the template creates.
    pub buckets: TemplateBuckets,
}

/// Where an IAM-related name points in the template.
impl TemplateIamIndex {
    fn build(doc: &Document, file: &SourceFile, settings: &Settings) -> TemplateIamIndex {
        let mut ix = TemplateIamIndex {
            account: settings.account.clone(),
            region: settings.region.clone(),
            ..TemplateIamIndex::default()
        };
        if doc.format == Format::TaskDefinitionJson {
            return ix;
        }
        let tf = doc.format.is_terraform();
        ix.values = computed_values(doc, settings);
        // Pass 1: roles, managed policies, repositories.
        for r in &doc.resources {
            match r.kind.as_str() {
                "AWS::IAM::ManagedPolicy" | "aws_iam_policy" => {
                    let p = &r.properties;
                    let (name_key, doc_key) = if tf {
                        ("name", "policy")
                    } else {
                        ("ManagedPolicyName", "PolicyDocument")
                    };
                    let name = p
                        .get(name_key)
                        .and_then(Node::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| r.id.clone());
                    let loaded = ix.policy(&name, p.get(doc_key), PolicyKind::Identity, file);
                    let at = ix.managed.len();
                    ix.managed.push(loaded);
                    ix.managed_by_id.insert(r.id.clone(), at);
                    let arn = p
                        .get("arn")
                        .and_then(Node::as_str)
                        .map(str::to_string)
                        .or_else(|| ix.values.get(&(r.id.clone(), None)).cloned());
                    if let Some(arn) = arn {
                        ix.managed_by_arn.insert(arn, at);
                    }
                }
                "AWS::ECR::Repository" | "aws_ecr_repository" => {
                    let p = &r.properties;
                    let name_key = if tf { "name" } else { "RepositoryName" };
                    if let Some(name) = p.get(name_key).and_then(Node::as_str) {
                        let policy = p.get("RepositoryPolicyText").map(|n| {
                            ix.policy(
                                &format!("repository policy of `{name}`"),
                                Some(n),
                                PolicyKind::Resource,
                                file,
                            )
                        });
                        ix.repositories.insert(name.to_string(), policy);
                    }
                }
                _ => {}
            }
        }
        for r in &doc.resources {
            match r.kind.as_str() {
                "AWS::IAM::Role" => {
                    let role = ix.cfn_role(r, file);
                    ix.add_role(r, role);
                }
                "aws_iam_role" => {
                    let role = ix.tf_role(r, file);
                    ix.add_role(r, role);
                }
                _ => {}
            }
        }
        // Key and bucket policies: resource policies that may name the template's roles.
        let resource_policy = |name: &str, node: &Node| {
            LoadedPolicy::from_template(
                name,
                node,
                PolicyKind::Resource,
                &file.text,
                CURRENT_FILE,
                &ix.resource_policy_refs(),
            )
        };
        let partition = ix.partition();
        let kms = TemplateKms::build(
            doc,
            &kms::Inputs {
                account: ix.account.as_deref(),
                region: ix.region.as_deref(),
                partition: &partition,
                policy: &resource_policy,
            },
        );
        let buckets = TemplateBuckets::build(doc, &resource_policy);
        ix.kms = kms;
        ix.buckets = buckets;
        // Pass 2: policies and attachments that name their roles.
        for r in &doc.resources {
            let p = &r.properties;
            match r.kind.as_str() {
                "AWS::IAM::Policy" => {
                    let name = str_or(p.get("PolicyName"), &r.id);
                    let roles: Vec<Node> = p
                        .get("Roles")
                        .map(|n| n.items().to_vec())
                        .unwrap_or_default();
                    for role in &roles {
                        let loaded =
                            ix.policy(&name, p.get("PolicyDocument"), PolicyKind::Identity, file);
                        ix.attach_inline(role, loaded);
                    }
                }
                "AWS::IAM::RolePolicy" => {
                    let name = str_or(p.get("PolicyName"), &r.id);
                    if let Some(role) = p.get("RoleName").cloned() {
                        let loaded =
                            ix.policy(&name, p.get("PolicyDocument"), PolicyKind::Identity, file);
                        ix.attach_inline(&role, loaded);
                    }
                }
                "AWS::IAM::ManagedPolicy" => {
                    if let Some(&at) = ix.managed_by_id.get(&r.id) {
                        let roles: Vec<Node> = p
                            .get("Roles")
                            .map(|n| n.items().to_vec())
                            .unwrap_or_default();
                        for role in &roles {
                            ix.attach_link(role, PolicyLink::Template(at), &r.id);
                        }
                    }
                }
                "aws_iam_role_policy" => {
                    let name = str_or(p.get("name"), &r.id);
                    if let Some(role) = p.get("role").cloned() {
                        let loaded = ix.policy(&name, p.get("policy"), PolicyKind::Identity, file);
                        ix.attach_inline(&role, loaded);
                    }
                }
                "aws_iam_role_policy_attachment" | "aws_iam_policy_attachment" => {
                    let link = match p.get("policy_arn") {
                        Some(n) => ix.link(n, "policy_arn"),
                        None => PolicyLink::Unknown {
                            name: r.id.clone(),
                            reason: "`policy_arn` is missing".into(),
                        },
                    };
                    let roles: Vec<Node> = if r.kind == "aws_iam_role_policy_attachment" {
                        p.get("role").cloned().into_iter().collect()
                    } else {
                        p.get("roles")
                            .map(|n| n.items().to_vec())
                            .unwrap_or_default()
                    };
                    for role in &roles {
                        ix.attach_link(role, link.clone(), &r.id);
                    }
                }
                "aws_ecr_repository_policy" => {
                    let repo = match p.get("repository") {
                        Some(n) => match &n.kind {
                            NodeKind::String(s) => Some(s.clone()),
                            NodeKind::ResourceRef { id, .. } => doc
                                .resources
                                .iter()
                                .find(|x| x.id == *id)
                                .and_then(|x| x.properties.get("name"))
                                .and_then(Node::as_str)
                                .map(str::to_string),
                            _ => None,
                        },
                        None => None,
                    };
                    if let Some(repo) = repo {
                        let loaded = ix.policy(
                            &format!("repository policy of `{repo}`"),
                            p.get("policy"),
                            PolicyKind::Resource,
                            file,
                        );
                        ix.repositories.insert(repo, Some(loaded));
                    }
                }
                _ => {}
            }
        }
        ix
    }

    fn add_role(&mut self, r: &Resource, role: RoleEntry) {
        let at = self.roles.len();
        self.roles_by_id.insert(r.id.clone(), at);
        if let Some(name) = &role.name {
            self.roles_by_name.entry(name.clone()).or_insert(at);
        }
        self.roles.push(role);
    }

    fn refs(&self) -> impl Fn(&str, Option<&str>) -> Option<String> + '_ {
        move |id: &str, attr: Option<&str>| self.resolve_ref(id, attr)
    }

    /// The value of `Ref id` (attr None) or `Fn::GetAtt id.attr` when the template lets us
    /// compute it (a repository's name and ARN, a log group's, a role's, a parameter's name).
    pub fn resolve_ref(&self, id: &str, attr: Option<&str>) -> Option<String> {
        let attr = attr.filter(|a| !a.is_empty()).map(str::to_string);
        self.values.get(&(id.to_string(), attr)).cloned()
    }

    /// [`Self::resolve_ref`], and for the ARN of a role of the template whose name is generated
    /// at deploy time a stand-in ([`Self::generated_role_arn`]): in a key or bucket policy,
    /// `!GetAtt ExecRole.Arn` then names exactly that role.
    fn resource_policy_refs(&self) -> impl Fn(&str, Option<&str>) -> Option<String> + '_ {
        move |id: &str, attr: Option<&str>| {
            self.resolve_ref(id, attr).or_else(|| {
                let role = self.role_by_id(id)?;
                if !matches!(attr, Some("Arn") | Some("arn")) {
                    return None;
                }
                role.arn.clone().or_else(|| self.generated_role_arn(id))
            })
        }
    }

    /// The stand-in ARN of a role of the template whose name is generated at deploy time: a
    /// role name cannot contain `(` or `:`, so no ARN written in a file can equal it. Only the
    /// template's key and bucket policies use it, together with a principal that carries it
    /// (the ROLE family's view of that role); every other policy leaves such an ARN unknown.
    pub fn generated_role_arn(&self, id: &str) -> Option<String> {
        let role = self.role_by_id(id)?;
        if role.arn.is_some() {
            return None;
        }
        let account = self.account.as_deref()?;
        Some(format!(
            "arn:{}:iam::{account}:role/(generated:{id})",
            self.partition()
        ))
    }

    fn policy(
        &self,
        name: &str,
        node: Option<&Node>,
        kind: PolicyKind,
        file: &SourceFile,
    ) -> LoadedPolicy {
        match node {
            Some(n) => {
                LoadedPolicy::from_template(name, n, kind, &file.text, CURRENT_FILE, &self.refs())
            }
            None => LoadedPolicy::unknown(name, "it has no policy document"),
        }
    }

    fn partition(&self) -> String {
        partition_of_region(self.region.as_deref().unwrap_or("us-east-1")).to_string()
    }

    fn role_arn(&self, path: &str, name: Option<&str>) -> Option<String> {
        let (name, account) = (name?, self.account.as_deref()?);
        self.region.as_ref()?;
        Some(format!(
            "arn:{}:iam::{account}:role{path}{name}",
            self.partition()
        ))
    }

    fn cfn_role(&self, r: &Resource, file: &SourceFile) -> RoleEntry {
        let p = &r.properties;
        let name = p.get("RoleName").and_then(Node::as_str).map(str::to_string);
        let path = p
            .get("Path")
            .and_then(Node::as_str)
            .unwrap_or("/")
            .to_string();
        let label = name.clone().unwrap_or_else(|| r.id.clone());
        let trust = p.get("AssumeRolePolicyDocument").map(|n| {
            LoadedPolicy::from_template(
                &format!("trust policy of `{label}`"),
                n,
                PolicyKind::Trust,
                &file.text,
                CURRENT_FILE,
                &self.refs(),
            )
        });
        let mut inline = Vec::new();
        match p.get("Policies") {
            None => {}
            Some(list) if list.is_unknown() => inline.push(LoadedPolicy::unknown(
                format!("`Policies` of `{label}`"),
                unknown_reason(list),
            )),
            Some(list) => {
                for (i, item) in list.items().iter().enumerate() {
                    let pname = item
                        .get("PolicyName")
                        .and_then(Node::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("inline policy #{} of {label}", i + 1));
                    if item.is_unknown() {
                        inline.push(LoadedPolicy::unknown(pname, unknown_reason(item)));
                    } else {
                        inline.push(self.policy(
                            &pname,
                            item.get("PolicyDocument"),
                            PolicyKind::Identity,
                            file,
                        ));
                    }
                }
            }
        }
        let attached = self.links(p.get("ManagedPolicyArns"), "ManagedPolicyArns");
        let boundary = p
            .get("PermissionsBoundary")
            .map(|n| self.link(n, "PermissionsBoundary"));
        let tags = match p.get("Tags") {
            None => Some(Vec::new()),
            Some(t) => t
                .items()
                .iter()
                .map(|kv| {
                    Some((
                        kv.get("Key")?.as_str()?.to_string(),
                        kv.get("Value")?.scalar_text()?.into_owned(),
                    ))
                })
                .collect::<Option<Vec<_>>>()
                .filter(|_| t.is_array()),
        };
        RoleEntry {
            arn: self.role_arn(&path, name.as_deref()),
            account: self.account.clone(),
            name,
            path,
            label,
            source: RoleSource::Template(r.id.clone()),
            trust,
            inline,
            inline_known: true,
            attached,
            attached_known: true,
            boundary,
            tags,
            place: Some((CURRENT_FILE, r.id_span)),
        }
    }

    fn tf_role(&self, r: &Resource, file: &SourceFile) -> RoleEntry {
        let p = &r.properties;
        let name = p.get("name").and_then(Node::as_str).map(str::to_string);
        let path = p
            .get("path")
            .and_then(Node::as_str)
            .unwrap_or("/")
            .to_string();
        let label = name.clone().unwrap_or_else(|| r.id.clone());
        let trust = Some(match p.get("assume_role_policy") {
            Some(n) => LoadedPolicy::from_template(
                &format!("trust policy of `{label}`"),
                n,
                PolicyKind::Trust,
                &file.text,
                CURRENT_FILE,
                &self.refs(),
            ),
            None => LoadedPolicy::unknown(
                format!("trust policy of `{label}`"),
                "`assume_role_policy` is not in the plan",
            ),
        });
        let mut inline = Vec::new();
        match p.get("inline_policy") {
            None => {}
            // Not set in the configuration: the provider computes it (the plan marks it known
            // only after apply); the role then has the policies other resources give it.
            Some(Node {
                kind: NodeKind::Unresolved(_),
                ..
            }) => {}
            Some(list) if list.is_unknown() => inline.push(LoadedPolicy::unknown(
                format!("`inline_policy` of `{label}`"),
                unknown_reason(list),
            )),
            Some(list) => {
                for (i, block) in list.items().iter().enumerate() {
                    let pname = block
                        .get("name")
                        .and_then(Node::as_str)
                        .filter(|n| !n.is_empty())
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("inline policy #{} of {label}", i + 1));
                    match block
                        .get("policy")
                        .filter(|n| !n.is_null() && n.as_str() != Some(""))
                    {
                        Some(doc) => {
                            inline.push(self.policy(&pname, Some(doc), PolicyKind::Identity, file))
                        }
                        // An empty block (`inline_policy {}`) removes inline policies; a block
                        // with a name and no policy text is known only after apply.
                        None if block
                            .get("name")
                            .and_then(Node::as_str)
                            .is_some_and(|n| !n.is_empty()) =>
                        {
                            inline.push(LoadedPolicy::unknown(
                                pname,
                                "its `policy` is known only after apply",
                            ))
                        }
                        None => {}
                    }
                }
            }
        }
        let attached = match p.get("managed_policy_arns") {
            // Not set in the configuration: computed from the attachments (modelled from the
            // attachment resources of the plan).
            Some(Node {
                kind: NodeKind::Unresolved(_),
                ..
            }) => Vec::new(),
            // A list that refers to resources known only after apply: which ones, the plan
            // does not say here.
            Some(Node {
                kind: NodeKind::ResourceRef { id, .. },
                ..
            }) => vec![PolicyLink::Unknown {
                name: format!("`managed_policy_arns` of `{label}`"),
                reason: format!(
                    "it refers to `{id}` (and maybe other values) known only after apply"
                ),
            }],
            other => self.links(other, "managed_policy_arns"),
        };
        let boundary = p
            .get("permissions_boundary")
            .filter(|n| n.as_str() != Some(""))
            .map(|n| self.link(n, "permissions_boundary"));
        let tags = match p.get("tags").or_else(|| p.get("tags_all")) {
            None => Some(Vec::new()),
            Some(t) if t.is_object() => t
                .members()
                .iter()
                .map(|m| Some((m.key.clone(), m.value.scalar_text()?.into_owned())))
                .collect(),
            Some(_) => None,
        };
        let arn = p
            .get("arn")
            .and_then(Node::as_str)
            .map(str::to_string)
            .or_else(|| self.role_arn(&path, name.as_deref()));
        RoleEntry {
            account: arn
                .as_deref()
                .and_then(arn_account)
                .map(str::to_string)
                .or_else(|| self.account.clone()),
            arn,
            name,
            path,
            label,
            source: RoleSource::Template(r.id.clone()),
            trust,
            inline,
            inline_known: true,
            attached,
            attached_known: true,
            boundary,
            tags,
            place: Some((CURRENT_FILE, r.id_span)),
        }
    }

    /// A list of managed policy ARNs (or references to the template's managed policies).
    fn links(&self, node: Option<&Node>, what: &str) -> Vec<PolicyLink> {
        match node {
            None => Vec::new(),
            Some(n) if n.is_unknown() => vec![self.link(n, what)],
            Some(n) => n.items().iter().map(|i| self.link(i, what)).collect(),
        }
    }

    fn link(&self, node: &Node, what: &str) -> PolicyLink {
        match &node.kind {
            NodeKind::String(arn) => match self.managed_by_arn.get(arn) {
                Some(&at) => PolicyLink::Template(at),
                None => PolicyLink::Arn(arn.clone()),
            },
            NodeKind::ResourceRef { id, .. } => match self.managed_by_id.get(id) {
                Some(&at) => PolicyLink::Template(at),
                None => PolicyLink::Unknown {
                    name: format!("`{what}` entry `{id}`"),
                    reason: format!(
                        "it comes from the resource `{id}`, which is not a managed policy of this template"
                    ),
                },
            },
            _ => PolicyLink::Unknown {
                name: format!("a `{what}` entry"),
                reason: unknown_reason(node),
            },
        }
    }

    /// Which role a `Roles` / `role` entry names: a template role, or a role by name.
    fn role_target(&self, node: &Node) -> Target {
        match &node.kind {
            NodeKind::ResourceRef { id, .. } => match self.roles_by_id.get(id) {
                Some(&at) => Target::Role(at),
                None => Target::Unknown(format!("`{id}` is not a role of this template")),
            },
            NodeKind::String(s) => {
                // Terraform's `role` takes a name; an ARN is accepted too.
                let name = if s.starts_with("arn:") {
                    crate::state::iam::role_name_of(s).unwrap_or(s)
                } else {
                    s.as_str()
                };
                match self.roles_by_name.get(name) {
                    Some(&at) => Target::Role(at),
                    None => Target::Name(name.to_string()),
                }
            }
            _ => Target::Unknown(unknown_reason(node)),
        }
    }

    fn attach_inline(&mut self, role: &Node, policy: LoadedPolicy) {
        match self.role_target(role) {
            Target::Role(at) => self.roles[at].inline.push(policy),
            Target::Name(name) => self.extra_inline.entry(name).or_default().push(policy),
            Target::Unknown(why) => self.floating.push((policy.name.clone(), why)),
        }
    }

    fn attach_link(&mut self, role: &Node, link: PolicyLink, label: &str) {
        match self.role_target(role) {
            Target::Role(at) => self.roles[at].attached.push(link),
            Target::Name(name) => self.extra_attached.entry(name).or_default().push(link),
            Target::Unknown(why) => self.floating.push((label.to_string(), why)),
        }
    }

    /// A role of the template by logical ID / address.
    pub fn role_by_id(&self, id: &str) -> Option<&RoleEntry> {
        self.roles_by_id.get(id).map(|&i| &self.roles[i])
    }

    /// A role of the template by ARN, when its ARN is known.
    pub fn role_by_arn(&self, arn: &str) -> Option<&RoleEntry> {
        self.roles.iter().find(|r| r.arn.as_deref() == Some(arn))
    }

    /// A role of the template by name.
    pub fn role_by_name(&self, name: &str) -> Option<&RoleEntry> {
        self.roles_by_name.get(name).map(|&i| &self.roles[i])
    }

    /// Inline policies the template adds to a role it does not define.
    pub fn extra_inline_for(&self, role_name: &str) -> &[LoadedPolicy] {
        self.extra_inline
            .get(role_name)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Managed policies the template attaches to a role it does not define.
    pub fn extra_attached_for(&self, role_name: &str) -> &[PolicyLink] {
        self.extra_attached
            .get(role_name)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// A repository the template defines in the deployment account and region: Some(policy
    /// or None when it has none); None when the template does not define it.
    pub fn repository(
        &self,
        registry: &str,
        region: &str,
        name: &str,
    ) -> Option<Option<&LoadedPolicy>> {
        if self.account.as_deref() != Some(registry) || self.region.as_deref() != Some(region) {
            return None;
        }
        self.repositories.get(name).map(Option::as_ref)
    }
}

enum Target {
    Role(usize),
    Name(String),
    Unknown(String),
}

fn str_or(node: Option<&Node>, fallback: &str) -> String {
    node.and_then(Node::as_str).unwrap_or(fallback).to_string()
}

fn unknown_reason(node: &Node) -> String {
    match &node.kind {
        NodeKind::Unresolved(why) => format!("it is known only at deploy time: {why}"),
        NodeKind::ResourceRef { id, .. } => {
            format!("it comes from the resource `{id}`, known only at deploy time")
        }
        _ => format!("expected a string or a list, found {}", node.type_name()),
    }
}

/// `Ref` / `Fn::GetAtt` values the template determines, for the resource kinds a task
/// definition or an execution role policy refers to.
fn computed_values(
    doc: &Document,
    settings: &Settings,
) -> HashMap<(String, Option<String>), String> {
    let mut out = HashMap::new();
    let (Some(account), Some(region)) = (settings.account.as_deref(), settings.region.as_deref())
    else {
        // Names do not need the account; ARNs do.
        for r in &doc.resources {
            if let Some(name) = cfn_name(r) {
                out.insert((r.id.clone(), None), name);
            }
        }
        return out;
    };
    let partition = partition_of_region(region);
    for r in &doc.resources {
        // A KMS key's ARN is generated: a stand-in lets the template's policies that name it
        // (`!GetAtt Key.Arn`, `aws_kms_key.k.arn`) match it and nothing else.
        let attr = match r.kind.as_str() {
            "AWS::KMS::Key" => "Arn",
            "aws_kms_key" => "arn",
            _ => continue,
        };
        out.insert(
            (r.id.clone(), Some(attr.into())),
            kms::key_arn(partition, region, account, &r.id),
        );
    }
    for r in &doc.resources {
        let Some(name) = cfn_name(r) else { continue };
        let p = &r.properties;
        let path = p.get("Path").and_then(Node::as_str).unwrap_or("/");
        let arn = match r.kind.as_str() {
            "AWS::ECR::Repository" => Some(format!(
                "arn:{partition}:ecr:{region}:{account}:repository/{name}"
            )),
            "AWS::Logs::LogGroup" => Some(format!(
                "arn:{partition}:logs:{region}:{account}:log-group:{name}:*"
            )),
            "AWS::IAM::Role" => Some(format!("arn:{partition}:iam::{account}:role{path}{name}")),
            "AWS::S3::Bucket" => Some(format!("arn:{partition}:s3:::{name}")),
            _ => None,
        };
        match r.kind.as_str() {
            // `Ref` of a managed policy is its ARN.
            "AWS::IAM::ManagedPolicy" => {
                out.insert(
                    (r.id.clone(), None),
                    format!("arn:{partition}:iam::{account}:policy{path}{name}"),
                );
            }
            _ => {
                out.insert((r.id.clone(), None), name);
            }
        }
        if let Some(arn) = arn {
            out.insert((r.id.clone(), Some("Arn".into())), arn);
        }
    }
    out
}

/// The literal name a CloudFormation resource is given, for the kinds whose `Ref` is a name.
fn cfn_name(r: &Resource) -> Option<String> {
    let key = match r.kind.as_str() {
        "AWS::ECR::Repository" => "RepositoryName",
        "AWS::Logs::LogGroup" => "LogGroupName",
        "AWS::IAM::Role" => "RoleName",
        "AWS::IAM::ManagedPolicy" => "ManagedPolicyName",
        "AWS::SSM::Parameter" => "Name",
        "AWS::S3::Bucket" => "BucketName",
        _ => return None,
    };
    r.properties
        .get(key)
        .and_then(Node::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::{
        Decision, PolicyDoc, PolicySet, Principal, Request, RequestContext, evaluate,
    };
    use crate::model::recognize::{Recognized, ResolveSettings, read_document};

    fn read(name: &str, text: &str) -> (Document, SourceFile, Settings) {
        let file = SourceFile::new(name.into(), name.into(), text.to_string());
        let settings = Settings {
            region: Some("us-east-1".into()),
            account: Some("111122223333".into()),
            ..Settings::default()
        };
        let resolve = ResolveSettings {
            account: settings.account.clone(),
            region: settings.region.clone(),
        };
        match read_document(&file, &resolve) {
            Recognized::Document(doc) => (doc, file, settings),
            _ => panic!("not a document"),
        }
    }

    fn allows(ix: &TemplateIamIndex, role: &RoleEntry, action: &str, resource: &str) -> Decision {
        let docs = role
            .inline
            .iter()
            .map(LoadedPolicy::doc)
            .chain(role.attached.iter().map(|l| match l {
                PolicyLink::Template(i) => ix.managed[*i].doc(),
                PolicyLink::Arn(a) => PolicyDoc::Unknown {
                    name: a.clone(),
                    reason: "not in this test".into(),
                },
                PolicyLink::Unknown { name, reason } => PolicyDoc::Unknown {
                    name: name.clone(),
                    reason: reason.clone(),
                },
            }));
        let boundary = role.boundary.as_ref().map(|b| match b {
            PolicyLink::Template(i) => ix.managed[*i].doc(),
            _ => PolicyDoc::Unknown {
                name: "b".into(),
                reason: "r".into(),
            },
        });
        let set = PolicySet {
            identity: docs.collect(),
            boundary,
            resource: None,
        };
        let p = Principal::from_role_arn("arn:aws:iam::111122223333:role/x", None);
        let ctx = RequestContext::new();
        evaluate(&Request::new(action, resource, &p, &ctx), &set).decision
    }

    const CFN: &str = r#"
Parameters:
  Bucket: {Type: String}
Resources:
  Repo:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: web
      RepositoryPolicyText:
        Version: "2012-10-17"
        Statement:
          - Sid: Ci
            Effect: Allow
            Principal: {AWS: arn:aws:iam::444455556666:root}
            Action: [ecr:BatchGetImage]
  Plain:
    Type: AWS::ECR::Repository
    Properties: {RepositoryName: plain}
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: "ecr:*", Resource: "*"}]
  Shared:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Role]
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: ecr:GetAuthorizationToken, Resource: "*"}]
  Extra:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref Role, legacy-exec]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: Pull
            Effect: Allow
            Action: [ecr:BatchGetImage]
            Resource: !GetAtt Repo.Arn
          - Sid: Objects
            Effect: Allow
            Action: s3:GetObject
            Resource: !Sub arn:aws:s3:::${Bucket}/*
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: web-exec
      Path: /ecs/
      PermissionsBoundary: !Ref Boundary
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]
"#;

    #[test]
    fn cloudformation_roles_policies_attachments_and_repositories() {
        let (doc, file, settings) = read("t.yaml", CFN);
        let ix = TemplateIamIndex::build(&doc, &file, &settings);
        let role = ix.role_by_id("Role").unwrap();
        assert_eq!(
            role.arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/ecs/web-exec")
        );
        assert!(
            ix.role_by_arn("arn:aws:iam::111122223333:role/ecs/web-exec")
                .is_some()
        );
        assert!(matches!(role.boundary, Some(PolicyLink::Template(_))));
        // AWS::IAM::Policy and AWS::IAM::ManagedPolicy with `Roles` land on the role.
        assert_eq!(role.inline.len(), 1);
        assert_eq!(role.attached.len(), 1);
        // The GetAtt of the repository resolves, so the pull statement decides.
        let repo = "arn:aws:ecr:us-east-1:111122223333:repository/web";
        assert_eq!(
            allows(&ix, role, "ecr:BatchGetImage", repo),
            Decision::Allowed
        );
        assert_eq!(
            allows(&ix, role, "ecr:GetAuthorizationToken", "*"),
            Decision::Allowed
        );
        assert_eq!(
            allows(&ix, role, "ecr:GetDownloadUrlForLayer", repo),
            Decision::ImplicitDeny
        );
        // The boundary allows only ECR, whatever the S3 statement says.
        assert_eq!(
            allows(&ix, role, "s3:GetObject", "arn:aws:s3:::b/k"),
            Decision::ImplicitDeny
        );
        // Alone, the S3 statement has a value known only at deploy time: undecided.
        let extra = &ix.extra_inline_for("legacy-exec")[0];
        let set = PolicySet {
            identity: vec![extra.doc()],
            boundary: None,
            resource: None,
        };
        let p = Principal::from_role_arn("arn:aws:iam::111122223333:role/legacy-exec", None);
        let ctx = RequestContext::new();
        let e = evaluate(
            &Request::new("s3:GetObject", "arn:aws:s3:::b/k", &p, &ctx),
            &set,
        );
        assert_eq!(e.decision, Decision::Unknown);
        assert_eq!(e.unknown_keys, ["ecs-preflight:unresolved/0"]);
        assert_eq!(ix.role_by_id("Role").unwrap().inline[0].unresolved.len(), 1);
        // Statement spans point into the template.
        let (f, span) = role.inline[0].statement_place(0).unwrap();
        assert_eq!(f, CURRENT_FILE);
        assert!(
            CFN[span.range()].starts_with("Sid: Pull"),
            "{}",
            &CFN[span.range()]
        );
        // The same policy for a role the template does not define.
        assert_eq!(ix.extra_inline_for("legacy-exec").len(), 1);
        // Repositories: with and without a policy; other accounts are not the template's.
        let p = ix
            .repository("111122223333", "us-east-1", "web")
            .unwrap()
            .unwrap();
        assert!(p.parsed().is_ok());
        assert!(
            ix.repository("111122223333", "us-east-1", "plain")
                .unwrap()
                .is_none()
        );
        assert!(ix.repository("444455556666", "us-east-1", "web").is_none());
        assert!(
            ix.repository("111122223333", "us-east-1", "other")
                .is_none()
        );
    }

    const PLAN: &str = r#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
  {"address": "aws_iam_role.exec", "mode": "managed", "type": "aws_iam_role", "values": {
    "name": "web-exec", "path": "/",
    "assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Ecs\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ecs-tasks.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}",
    "inline_policy": [{"name": "auth", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Auth\",\"Effect\":\"Allow\",\"Action\":\"ecr:GetAuthorizationToken\",\"Resource\":\"*\"}]}"},
                      {"name": "later"}]}},
  {"address": "aws_iam_policy.pull", "mode": "managed", "type": "aws_iam_policy", "values": {
    "name": "pull", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecr:BatchGetImage\",\"Resource\":\"*\"}]}"}},
  {"address": "aws_iam_role_policy_attachment.pull", "mode": "managed", "type": "aws_iam_role_policy_attachment", "values": {"role": "web-exec"}},
  {"address": "aws_iam_policy_attachment.shared", "mode": "managed", "type": "aws_iam_policy_attachment", "values": {
    "roles": ["web-exec", "other-role"], "policy_arn": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"}},
  {"address": "aws_ecr_repository.web", "mode": "managed", "type": "aws_ecr_repository", "values": {"name": "web"}},
  {"address": "aws_ecr_repository_policy.web", "mode": "managed", "type": "aws_ecr_repository_policy", "values": {
    "repository": "web", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"X\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"ecr:*\"}]}"}}
]}},
"resource_changes": [
  {"address": "aws_iam_role_policy_attachment.pull", "change": {"after_unknown": {"policy_arn": true}}},
  {"address": "aws_iam_role.exec", "change": {"after_unknown": {"arn": true, "managed_policy_arns": true}}}
],
"configuration": {"root_module": {"resources": [
  {"address": "aws_iam_role_policy_attachment.pull", "expressions": {"policy_arn": {"references": ["aws_iam_policy.pull.arn", "aws_iam_policy.pull"]}}}
]}}}"#;

    #[test]
    fn terraform_plan_roles_policies_and_attachments() {
        let (doc, file, settings) = read("plan.json", PLAN);
        let ix = TemplateIamIndex::build(&doc, &file, &settings);
        let role = ix.role_by_id("aws_iam_role.exec").unwrap();
        // The ARN is unknown until apply; built from name, path and account.
        assert_eq!(
            role.arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/web-exec")
        );
        // Trust policy statements point inside the JSON string.
        let trust = role.trust.as_ref().unwrap();
        let (_, span) = trust.statement_place(0).unwrap();
        assert!(
            PLAN[span.range()].starts_with(r#"{\"Sid\":\"Ecs\""#),
            "{}",
            &PLAN[span.range()]
        );
        // inline_policy: one known, one known only after apply.
        assert_eq!(role.inline.len(), 2);
        assert!(role.inline[0].parsed().is_ok());
        assert!(role.inline[1].parsed().is_err());
        // The attachment whose policy_arn is unknown until apply links to aws_iam_policy.pull.
        assert!(
            role.attached
                .iter()
                .any(|l| matches!(l, PolicyLink::Template(_)))
        );
        assert!(
            role.attached
                .iter()
                .any(|l| matches!(l, PolicyLink::Arn(a) if a.ends_with("ReadOnly")))
        );
        // `managed_policy_arns` not configured (computed): the attachments are the policies.
        assert!(
            !role
                .attached
                .iter()
                .any(|l| matches!(l, PolicyLink::Unknown { .. }))
        );
        assert_eq!(ix.extra_attached_for("other-role").len(), 1);
        let repo = ix
            .repository("111122223333", "us-east-1", "web")
            .unwrap()
            .unwrap();
        assert!(repo.parsed().is_ok());
    }

    #[test]
    fn kms_keys_aliases_secrets_and_bucket_policies_of_a_cloudformation_template() {
        use crate::state::template::kms::KeyTarget;
        use crate::state::template::s3::BucketPolicy;
        let (doc, file, settings) = read(
            "t.yaml",
            r#"
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      Enabled: false
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !GetAtt Exec.Arn}
            Action: kms:Decrypt
            Resource: "*"
  Plain:
    Type: AWS::KMS::Key
  Alias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/app, TargetKeyId: !Ref Key}
  ByAlias:
    Type: AWS::SecretsManager::Secret
    Properties: {Name: a, KmsKeyId: alias/app}
  ByArn:
    Type: AWS::SecretsManager::Secret
    Properties: {KmsKeyId: !GetAtt Plain.Arn}
  Managed:
    Type: AWS::SecretsManager::Secret
    Properties: {Name: m}
  Elsewhere:
    Type: AWS::SecretsManager::Secret
    Properties: {Name: e, KmsKeyId: alias/other}
  Exec:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
  Files:
    Type: AWS::S3::Bucket
    Properties: {BucketName: files}
  FilesPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Files
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !GetAtt Exec.Arn}
            Action: s3:GetObject
            Resource: !Sub "${Files.Arn}/*"
"#,
        );
        let ix = TemplateIamIndex::build(&doc, &file, &settings);
        let kms = &ix.kms;
        assert_eq!(kms.keys.len(), 2);
        let key = &kms.keys[0];
        assert_eq!(key.metadata.key_state.as_deref(), Some("Disabled"));
        assert_eq!(
            key.arn,
            "arn:aws:kms:us-east-1:111122223333:key/(generated:Key)"
        );
        // `!GetAtt Exec.Arn` of a role with a generated name is its stand-in.
        let stand_in = ix.generated_role_arn("Exec").unwrap();
        assert!(
            key.policy.as_ref().unwrap().mentions().contains(&stand_in),
            "{:?}",
            key.policy.as_ref().unwrap().mentions()
        );
        // No key policy: the default, which lets IAM policies grant use of the key.
        let plain = &kms.keys[1];
        assert!(
            plain
                .policy
                .as_ref()
                .unwrap()
                .mentions()
                .iter()
                .all(|m| !m.contains(":role/"))
        );
        assert!(plain.policy.as_ref().unwrap().parsed().is_ok());
        assert_eq!(plain.grants.as_deref(), Some(&[][..]));
        assert_eq!(kms.secret_by_name("a").unwrap().key, KeyTarget::Template(0));
        assert_eq!(
            kms.secret_by_resource("ByArn").unwrap().key,
            KeyTarget::Template(1)
        );
        assert_eq!(kms.secret_by_name("m").unwrap().key, KeyTarget::AwsManaged);
        assert_eq!(
            kms.secret_by_name("e").unwrap().key,
            KeyTarget::Named("alias/other".into())
        );
        // The stand-in key ARN resolves `!GetAtt Key.Arn` in every template policy.
        assert_eq!(
            ix.resolve_ref("Key", Some("Arn")).as_deref(),
            Some(key.arn.as_str())
        );
        assert!(matches!(
            ix.buckets.policy("files"),
            BucketPolicy::Policy(_)
        ));
        assert!(matches!(ix.buckets.policy("other"), BucketPolicy::None));
    }

    #[test]
    fn terraform_grants_on_a_template_key() {
        let plan = |grant: serde_json::Value| {
            serde_json::json!({
                "format_version": "1.2",
                "planned_values": {"root_module": {"resources": [
                    {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
                     "values": {"is_enabled": true}},
                    {"address": "aws_kms_grant.g", "mode": "managed", "type": "aws_kms_grant", "name": "g",
                     "values": grant},
                    {"address": "aws_ssm_parameter.p", "mode": "managed", "type": "aws_ssm_parameter", "name": "p",
                     "values": {"name": "/app/db", "type": "SecureString", "key_id": "alias/aws/ssm"}},
                    {"address": "aws_kms_key_policy.other", "mode": "managed", "type": "aws_kms_key_policy", "name": "other",
                     "values": {"key_id": "1234abcd", "policy": "{\"Version\": \"2012-10-17\", \"Statement\": []}"}}
                ]}},
                "resource_changes": [
                    {"address": "aws_kms_grant.g", "change": {"actions": ["create"],
                     "after_unknown": {"key_id": true}}}
                ],
                "configuration": {"root_module": {"resources": [
                    {"address": "aws_kms_grant.g", "mode": "managed", "type": "aws_kms_grant", "name": "g",
                     "expressions": {"key_id": {"references": ["aws_kms_key.k.key_id", "aws_kms_key.k"]}}}
                ]}}
            })
            .to_string()
        };
        let known = plan(serde_json::json!({
            "grantee_principal": "arn:aws:iam::111122223333:role/web-exec",
            "operations": ["Decrypt"]
        }));
        let (doc, file, settings) = read("plan.json", &known);
        let ix = TemplateIamIndex::build(&doc, &file, &settings);
        assert_eq!(ix.kms.keys.len(), 1);
        let grants = ix.kms.keys[0].grants.as_ref().expect("grants known");
        assert_eq!(grants.len(), 1);
        assert_eq!(
            grants[0].grantee_principal.as_deref(),
            Some("arn:aws:iam::111122223333:role/web-exec")
        );
        // An AWS managed alias needs nothing.
        let p = ix.kms.parameter_by_name("app/db").unwrap();
        assert!(p.secure);
        assert_eq!(p.key, crate::state::template::kms::KeyTarget::AwsManaged);
        // A key policy the template puts on a key of the state: that key's policy is not the
        // state's after the deploy.
        let state_key = |id: &str| crate::state::kms::KeyEntry {
            key_id: id.into(),
            arn: String::new(),
            account: "111122223333".into(),
            region: "us-east-1".into(),
            metadata: Default::default(),
            policy: None,
            grants: None,
            defined_by: None,
        };
        assert!(
            ix.kms
                .replaces_policy_of(&state_key("1234abcd"))
                .is_some_and(|why| why.contains("aws_kms_key_policy.other"))
        );
        assert!(ix.kms.replaces_policy_of(&state_key("5678efgh")).is_none());
        // A grantee known only after apply: the key's grants are unknown.
        let unknown = plan(serde_json::json!({"operations": ["Decrypt"]}));
        let (doc, file, settings) = read("plan.json", &unknown);
        let ix = TemplateIamIndex::build(&doc, &file, &settings);
        assert!(ix.kms.keys[0].grants.is_none());
    }
}
