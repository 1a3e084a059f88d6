//! KMS keys and aliases the template or plan creates, and which key encrypts the secrets and
//! `SecureString` parameters it creates: CloudFormation `AWS::KMS::Key` (`KeyPolicy`,
//! `Enabled`), `AWS::KMS::Alias`, `AWS::SecretsManager::Secret` (`KmsKeyId`),
//! `AWS::SSM::Parameter` (always a plain `String` / `StringList`: CloudFormation cannot create
//! a `SecureString`); Terraform `aws_kms_key` (`policy`, `is_enabled`), `aws_kms_alias`,
//! `aws_kms_key_policy`, `aws_kms_grant`, `aws_secretsmanager_secret` (`kms_key_id`) and
//! `aws_ssm_parameter` (`type`, `key_id`).
//!
//! A key the template creates becomes a [`KeyEntry`] like a state file's, so ROLE012 decides
//! `kms:Decrypt` with one evaluator for both:
//!
//! - **Key policy:** the template's. Without one, AWS KMS attaches the default key policy, whose
//!   one statement allows the account principal everything and so lets IAM policies grant use
//!   of the key (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
//! - **Grants:** the key does not exist before the deploy, so it has no grant but those created
//!   after it. We assume the grants it has when the task first starts are the ones this
//!   template creates: none for CloudFormation (it has no grant resource type), the
//!   `aws_kms_grant` resources of a Terraform plan. Secrets Manager and Parameter Store do not
//!   add grants of their own to read a secret: they call KMS on the caller's behalf, with the
//!   caller's permissions from the key policy or IAM policies
//!   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html,
//!   https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html).
//!   A grant created later by someone else is out of sight, as for any state snapshot. A Terraform grant on the key whose grantee or
//!   operations are known only after apply leaves the grants unknown, and a denial then
//!   undecided, never reported.
//! - **ID and ARN:** generated at creation. The ARN is a stand-in that no literal written in a
//!   file can equal (`key/(generated:LOGICAL_ID)`), so a policy that names the key through the
//!   template (`!GetAtt Key.Arn`) matches it and one that names another key does not.

use std::collections::HashMap;

use crate::model::arn::Arn;
use crate::model::{Document, Format, Resource};
use crate::parse::{Node, NodeKind};
use crate::state::iam::LoadedPolicy;
use crate::state::kms::{Grant, KeyEntry, KeyMetadata};

/// The key a secret or parameter is encrypted with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyTarget {
    /// No key given, or an `alias/aws/…` alias: an AWS managed key, usable by every principal
    /// of the account through the service.
    AwsManaged,
    /// A key this template creates (index into [`TemplateKms::keys`]).
    Template(usize),
    /// A key ID, key ARN, alias name or alias ARN that the template does not create: looked up
    /// in the state.
    Named(String),
    /// Why it is not known ("its key …").
    Unknown(String),
}

/// A secret or parameter of the template, with its key.
#[derive(Debug)]
pub struct Encrypted {
    pub resource: String,
    /// Its name, when written.
    pub name: Option<String>,
    /// Only a `SecureString` parameter is encrypted; a secret always is.
    pub secure: bool,
    pub key: KeyTarget,
}

#[derive(Debug, Default)]
pub struct TemplateKms {
    /// Keys the template creates, with their key policy and grants.
    pub keys: Vec<KeyEntry>,
    key_by_resource: HashMap<String, usize>,
    /// Alias name (`alias/…`) → target, and alias resource → target.
    alias_by_name: HashMap<String, KeyTarget>,
    alias_by_resource: HashMap<String, KeyTarget>,
    secrets: Vec<Encrypted>,
    parameters: Vec<Encrypted>,
    /// Terraform `aws_kms_key_policy` resources on keys the template does not create: (resource,
    /// the key ID or ARN as written, None when known only after apply).
    foreign_policies: Vec<(String, Option<String>)>,
}

/// What the template index gives this module: the deployment account, region and partition,
/// and a reader for the key policies (with the template's references resolved).
pub struct Inputs<'a> {
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
    pub partition: &'a str,
    pub policy: &'a dyn Fn(&str, &Node) -> LoadedPolicy,
}

/// The stand-in ARN of a key the template creates (see the module documentation).
pub fn key_arn(partition: &str, region: &str, account: &str, resource: &str) -> String {
    format!("arn:{partition}:kms:{region}:{account}:key/(generated:{resource})")
}

fn created(r: &Resource) -> bool {
    !matches!(r.condition, Some((_, Some(false))))
}

impl TemplateKms {
    pub fn build(doc: &Document, inputs: &Inputs) -> TemplateKms {
        let mut out = TemplateKms::default();
        let cfn = doc.format == Format::CloudFormation;
        let tf = doc.format.is_terraform();
        if !cfn && !tf {
            return out;
        }
        // Keys need the account and region for their ARN and for the evaluation.
        if let (Some(account), Some(region)) = (inputs.account, inputs.region) {
            for r in doc.resources.iter().filter(|r| created(r)) {
                let (policy_key, enabled_key) = match r.kind.as_str() {
                    "AWS::KMS::Key" if cfn => ("KeyPolicy", "Enabled"),
                    "aws_kms_key" if tf => ("policy", "is_enabled"),
                    _ => continue,
                };
                let p = &r.properties;
                let name = format!("key policy of `{}`", r.id);
                let policy = match p.get(policy_key).filter(|n| !n.is_null()) {
                    Some(n) => (inputs.policy)(&name, n),
                    None => default_key_policy(&name, inputs.partition, account),
                };
                let state = match p.get(enabled_key).map(|n| &n.kind) {
                    Some(NodeKind::Bool(false)) => Some("Disabled".to_string()),
                    Some(NodeKind::String(s)) if s.eq_ignore_ascii_case("false") => {
                        Some("Disabled".to_string())
                    }
                    None | Some(NodeKind::Bool(true)) => Some("Enabled".to_string()),
                    Some(NodeKind::String(s)) if s.eq_ignore_ascii_case("true") => {
                        Some("Enabled".to_string())
                    }
                    // Known only at deploy time: the evaluation says nothing about the state.
                    Some(_) => None,
                };
                let arn = key_arn(inputs.partition, region, account, &r.id);
                out.key_by_resource.insert(r.id.clone(), out.keys.len());
                out.keys.push(KeyEntry {
                    key_id: r.id.clone(),
                    arn: arn.clone(),
                    account: account.to_string(),
                    region: region.to_string(),
                    metadata: KeyMetadata {
                        key_id: Some(r.id.clone()),
                        arn: Some(arn),
                        aws_account_id: Some(account.to_string()),
                        key_manager: Some("CUSTOMER".into()),
                        key_state: state,
                    },
                    policy: Some(policy),
                    // CloudFormation cannot create grants; Terraform's are added below.
                    grants: Some(Vec::new()),
                    defined_by: Some(r.id.clone()),
                });
            }
        }
        if tf {
            out.add_grants(doc);
            out.add_key_policies(doc, inputs);
        }
        for r in doc.resources.iter().filter(|r| created(r)) {
            let p = &r.properties;
            let (name_key, target_key) = match r.kind.as_str() {
                "AWS::KMS::Alias" if cfn => ("AliasName", "TargetKeyId"),
                "aws_kms_alias" if tf => ("name", "target_key_id"),
                _ => continue,
            };
            let target = out.target(p.get(target_key), inputs);
            if let Some(name) = p.get(name_key).and_then(Node::as_str) {
                out.alias_by_name.insert(name.to_string(), target.clone());
            }
            out.alias_by_resource.insert(r.id.clone(), target);
        }
        for r in doc.resources.iter().filter(|r| created(r)) {
            let p = &r.properties;
            match r.kind.as_str() {
                "AWS::SecretsManager::Secret" if cfn => {
                    let e = out.encrypted(r, p.get("Name"), true, p.get("KmsKeyId"), inputs);
                    out.secrets.push(e);
                }
                "aws_secretsmanager_secret" if tf => {
                    let e = out.encrypted(r, p.get("name"), true, p.get("kms_key_id"), inputs);
                    out.secrets.push(e);
                }
                "AWS::SSM::Parameter" if cfn => {
                    let e = out.encrypted(r, p.get("Name"), false, None, inputs);
                    out.parameters.push(e);
                }
                "aws_ssm_parameter" if tf => {
                    // Parameter Store's default key for a SecureString is `alias/aws/ssm`.
                    let secure = p.get("type").and_then(Node::as_str) == Some("SecureString");
                    let e = out.encrypted(r, p.get("name"), secure, p.get("key_id"), inputs);
                    out.parameters.push(e);
                }
                _ => {}
            }
        }
        out
    }

    fn encrypted(
        &self,
        r: &Resource,
        name: Option<&Node>,
        secure: bool,
        key: Option<&Node>,
        inputs: &Inputs,
    ) -> Encrypted {
        Encrypted {
            resource: r.id.clone(),
            name: name.and_then(Node::as_str).map(str::to_string),
            secure,
            key: self.target(key, inputs),
        }
    }

    /// What a `KmsKeyId` / `TargetKeyId` / `kms_key_id` / `key_id` value names.
    fn target(&self, node: Option<&Node>, inputs: &Inputs) -> KeyTarget {
        let Some(node) = node.filter(|n| !n.is_null() && n.as_str() != Some("")) else {
            return KeyTarget::AwsManaged;
        };
        match &node.kind {
            NodeKind::String(s) => self.named(s, inputs),
            NodeKind::ResourceRef { id, .. } => {
                if let Some(&i) = self.key_by_resource.get(id) {
                    // `Ref` is the key ID, `Fn::GetAtt … Arn` its ARN; Terraform's `.arn`,
                    // `.key_id` and `.id` all name the key.
                    return KeyTarget::Template(i);
                }
                if let Some(t) = self.alias_by_resource.get(id) {
                    return t.clone();
                }
                KeyTarget::Unknown(format!(
                    "its key comes from the resource `{id}`, which is not a KMS key or alias this template creates"
                ))
            }
            NodeKind::Unresolved(why) => {
                KeyTarget::Unknown(format!("its key is known only at deploy time: {why}"))
            }
            _ => KeyTarget::Unknown(format!("its key is {}, not a key ID", node.type_name())),
        }
    }

    /// A key named by text: an alias of this template (by name, or by ARN in the deployment
    /// account and region), an AWS managed alias, or something the state may know.
    fn named(&self, text: &str, inputs: &Inputs) -> KeyTarget {
        let alias = match text.strip_prefix("arn:") {
            Some(_) => Arn::parse(text)
                .filter(|a| {
                    a.service == "kms"
                        && Some(a.account) == inputs.account
                        && Some(a.region) == inputs.region
                })
                .map(|a| a.resource)
                .filter(|r| r.starts_with("alias/")),
            None => Some(text).filter(|t| t.starts_with("alias/")),
        };
        if let Some(alias) = alias {
            if alias.starts_with("alias/aws/") {
                return KeyTarget::AwsManaged;
            }
            if let Some(t) = self.alias_by_name.get(alias) {
                return t.clone();
            }
        }
        KeyTarget::Named(text.to_string())
    }

    /// `aws_kms_grant` resources: a grant on a key of this template is added to its grants
    /// when its grantee and operations are known; otherwise the key's grants are unknown.
    fn add_grants(&mut self, doc: &Document) {
        for r in doc.resources.iter().filter(|r| r.kind == "aws_kms_grant") {
            let p = &r.properties;
            let key = match p.get("key_id").map(|n| &n.kind) {
                Some(NodeKind::ResourceRef { id, .. }) => self.key_by_resource.get(id).copied(),
                // A literal key ID or ARN cannot be a key this template creates.
                Some(NodeKind::String(_)) => continue,
                // Which key is not known: it may be any of the template's.
                _ => None,
            };
            let grantee = p
                .get("grantee_principal")
                .and_then(Node::as_str)
                .map(str::to_string);
            let operations: Option<Vec<String>> = p.get("operations").and_then(|n| {
                n.items()
                    .iter()
                    .map(|o| o.as_str().map(str::to_string))
                    .collect()
            });
            // Encryption context constraints are not read: a grant with constraints is kept
            // unknown rather than read as unconstrained.
            let constrained = p.get("constraints").is_some_and(|c| !c.items().is_empty());
            let known = grantee.is_some() && operations.is_some() && !constrained;
            let targets: Vec<usize> = match key {
                Some(i) => vec![i],
                None => (0..self.keys.len()).collect(),
            };
            for i in targets {
                let entry = &mut self.keys[i];
                match (&mut entry.grants, known && key.is_some()) {
                    (Some(list), true) => list.push(Grant {
                        name: p.get("name").and_then(Node::as_str).map(str::to_string),
                        grantee_principal: grantee.clone(),
                        operations: operations.clone(),
                        ..Grant::default()
                    }),
                    (grants, _) => *grants = None,
                }
            }
        }
    }

    /// `aws_kms_key_policy`: the key policy of a key the template creates is replaced by it;
    /// one on another key is recorded (it replaces that key's policy at deploy).
    fn add_key_policies(&mut self, doc: &Document, inputs: &Inputs) {
        for r in doc
            .resources
            .iter()
            .filter(|r| r.kind == "aws_kms_key_policy" && created(r))
        {
            let p = &r.properties;
            let key = p.get("key_id");
            let template_key = match key.map(|n| &n.kind) {
                Some(NodeKind::ResourceRef { id, .. }) => self.key_by_resource.get(id).copied(),
                _ => None,
            };
            match template_key {
                Some(i) => {
                    let name = format!("key policy of `{}` (`{}`)", self.keys[i].key_id, r.id);
                    self.keys[i].policy = Some(match p.get("policy") {
                        Some(n) => (inputs.policy)(&name, n),
                        None => LoadedPolicy::unknown(name, "it has no policy document"),
                    });
                }
                None => {
                    let written = key.and_then(Node::as_str).map(str::to_string);
                    self.foreign_policies.push((r.id.clone(), written));
                }
            }
        }
    }

    /// Why the policy of a key of the state files is not the state's after the deploy: the
    /// template replaces it (`aws_kms_key_policy` naming that key, or a key known only after
    /// apply).
    pub fn replaces_policy_of(&self, key: &KeyEntry) -> Option<String> {
        self.foreign_policies.iter().find_map(|(id, written)| {
            let on_it = match written {
                Some(k) => *k == key.key_id || (!key.arn.is_empty() && *k == key.arn),
                None => true,
            };
            on_it.then(|| match written {
                Some(_) => format!(
                    "this template replaces the key policy of `{}` (`{id}`), and the new one is not read",
                    key.key_id
                ),
                None => format!(
                    "this template replaces the key policy of a key known only after apply (`{id}`): it may be `{}`",
                    key.key_id
                ),
            })
        })
    }

    pub fn key(&self, i: usize) -> &KeyEntry {
        &self.keys[i]
    }

    /// The secret this resource is, if it is one of the template's.
    pub fn secret_by_resource(&self, id: &str) -> Option<&Encrypted> {
        self.secrets.iter().find(|s| s.resource == id)
    }

    pub fn secret_by_name(&self, name: &str) -> Option<&Encrypted> {
        self.secrets
            .iter()
            .find(|s| s.name.as_deref() == Some(name))
    }

    pub fn parameter_by_resource(&self, id: &str) -> Option<&Encrypted> {
        self.parameters.iter().find(|s| s.resource == id)
    }

    /// A parameter by name (with or without the leading `/` of a path name).
    pub fn parameter_by_name(&self, name: &str) -> Option<&Encrypted> {
        let bare = name.trim_start_matches('/');
        self.parameters
            .iter()
            .find(|s| s.name.as_deref().map(|n| n.trim_start_matches('/')) == Some(bare))
    }
}

/// The key policy AWS KMS attaches when none is given: the account principal may do
/// everything, which lets IAM policies grant use of the key.
fn default_key_policy(name: &str, partition: &str, account: &str) -> LoadedPolicy {
    let doc = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
            "Action": "kms:*",
            "Resource": "*"
        }]
    });
    LoadedPolicy::from_state(
        &format!("{name} (the default: none is given)"),
        &doc,
        None,
        crate::diag::CURRENT_FILE,
    )
}
