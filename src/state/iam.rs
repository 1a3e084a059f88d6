//! The `iam` section of a state snapshot: `aws iam get-account-authorization-details` output
//! (`RoleDetailList`, `Policies`; other keys ignored). Policy documents may be JSON objects (CLI
//! output) or URL-encoded strings (raw API / SDK output); both are kept as they came and parsed
//! by the IAM layer.

use serde::Deserialize;
use serde_json::Value;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamSection {
    /// None: roles not known. Some(empty): known, there are none.
    pub role_detail_list: Option<Vec<RoleDetail>>,
    pub policies: Option<Vec<ManagedPolicyDetail>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleDetail {
    pub path: Option<String>,
    pub role_name: Option<String>,
    pub role_id: Option<String>,
    pub arn: Option<String>,
    pub assume_role_policy_document: Option<Value>,
    pub role_policy_list: Option<Vec<InlinePolicy>>,
    pub attached_managed_policies: Option<Vec<AttachedPolicy>>,
    pub permissions_boundary: Option<PermissionsBoundary>,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: Option<String>,
    pub policy_document: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_name: Option<String>,
    pub policy_arn: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PermissionsBoundary {
    pub permissions_boundary_arn: Option<String>,
    pub permissions_boundary_type: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicyDetail {
    pub policy_name: Option<String>,
    pub arn: Option<String>,
    pub path: Option<String>,
    pub default_version_id: Option<String>,
    pub policy_version_list: Option<Vec<PolicyVersion>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    pub document: Option<Value>,
    pub version_id: Option<String>,
    pub is_default_version: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Parsed policies and the role index
// ---------------------------------------------------------------------------------------------

use std::collections::HashMap;
use std::sync::LazyLock;

use super::managed_policies;
use super::snapshot::Snapshot;
use crate::diag::FileId;
use crate::iam::{Policy, PolicyDoc, parse_policy, parse_policy_str};
use crate::parse::{Node, NodeKind};
use crate::span::Span;

/// Where a policy document is written: the file, the document, and each statement (by the
/// statement's index in the parsed policy). Statements of a document held in a string (URL-
/// encoded, or JSON text in a state file) all point at the string.
#[derive(Clone, Debug)]
pub struct PolicyOrigin {
    pub file: FileId,
    pub span: Span,
    pub statements: Vec<Span>,
}

/// A policy document, parsed once per run, with its name for messages and its place.
#[derive(Debug)]
pub struct LoadedPolicy {
    /// How messages name it: the policy name (inline or managed), or e.g. "repository policy
    /// of `web`". Also the name inside `parsed`, which evaluation results refer to.
    pub name: String,
    /// The document, or why it cannot be read (the reason makes decisions unknown).
    pub parsed: Result<Policy, String>,
    pub origin: Option<PolicyOrigin>,
    /// Template values known only at deploy time, by the number in their stand-in condition
    /// key (`ecs-preflight:unresolved/N`, see [`UNRESOLVED_KEY_PREFIX`]).
    pub unresolved: Vec<String>,
    /// `Resource` strings that name Secrets Manager secrets or log groups, and `Principal`
    /// strings that name roles, as written: some decisions and hints depend on values only
    /// these reveal (a secret's exact suffix, a role named by a generated name, a log group
    /// named without its streams).
    pub mentions: Vec<String>,
}

/// Template values that cannot be known before deploy are replaced, inside a statement, by a
/// wider value plus a condition on this made-up key, which no request context knows: the
/// statement then applies "unknown", never definitely.
pub const UNRESOLVED_KEY_PREFIX: &str = "ecs-preflight:unresolved/";

/// Which kind of document a policy is: it decides how an unknown template part is widened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    Identity,
    Resource,
    Trust,
}

impl LoadedPolicy {
    /// A policy whose document cannot be known.
    pub fn unknown(name: impl Into<String>, reason: impl Into<String>) -> LoadedPolicy {
        LoadedPolicy {
            name: name.into(),
            parsed: Err(reason.into()),
            origin: None,
            unresolved: Vec::new(),
            mentions: Vec::new(),
        }
    }

    /// The document for the evaluator (a document that cannot be read is an unknown policy).
    pub fn doc(&self) -> PolicyDoc<'_> {
        match &self.parsed {
            Ok(p) => PolicyDoc::Known(p),
            Err(reason) => PolicyDoc::Unknown {
                name: self.name.clone(),
                reason: reason.clone(),
            },
        }
    }

    /// The place of statement `index`, when the document is in a file we read.
    pub fn statement_place(&self, index: usize) -> Option<(FileId, Span)> {
        let o = self.origin.as_ref()?;
        Some((o.file, o.statements.get(index).copied().unwrap_or(o.span)))
    }

    /// A document from a state file: a JSON object, or a string holding JSON or URL-encoded
    /// JSON (raw IAM API output). `node` is the same value in the file, for the spans.
    pub fn from_state(
        name: &str,
        value: &Value,
        node: Option<&Node>,
        file: FileId,
    ) -> LoadedPolicy {
        // A string is decoded and read once, for the policy and for its mentions.
        let decoded;
        let doc = match value {
            Value::String(text) => match decode_policy_text(text) {
                Ok(v) => {
                    decoded = v;
                    &decoded
                }
                // Let the policy reader say what is wrong with it.
                Err(()) => {
                    return LoadedPolicy {
                        name: name.to_string(),
                        parsed: parse_policy_str(text)
                            .map(|p| p.with_name(name))
                            .map_err(|e| format!("its document cannot be read: {e}")),
                        origin: node.map(|n| PolicyOrigin {
                            file,
                            span: n.span,
                            statements: Vec::new(),
                        }),
                        unresolved: Vec::new(),
                        mentions: Vec::new(),
                    };
                }
            },
            other => other,
        };
        let origin = node.map(|n| PolicyOrigin {
            file,
            span: n.span,
            statements: if n.is_object() {
                statement_spans(n)
            } else {
                Vec::new()
            },
        });
        let mut mentions = Vec::new();
        collect_mentions(doc, &mut mentions);
        LoadedPolicy {
            name: name.to_string(),
            parsed: parse_policy(doc)
                .map(|p| p.with_name(name))
                .map_err(|e| format!("its document cannot be read: {e}")),
            origin,
            unresolved: Vec::new(),
            mentions,
        }
    }

    /// A document from a template or plan, resolved: objects keep every statement's span;
    /// JSON strings (Terraform's policies, or CloudFormation's) are parsed, and in a JSON file
    /// their statements keep spans inside the string. Values known only at deploy time make
    /// the statements that hold them undecided, never decided.
    pub fn from_template(
        name: &str,
        node: &Node,
        kind: PolicyKind,
        file_text: &str,
        file: FileId,
        refs: &dyn Fn(&str, Option<&str>) -> Option<String>,
    ) -> LoadedPolicy {
        match &node.kind {
            NodeKind::Unresolved(why) => LoadedPolicy::unknown(
                name,
                format!("its document is known only at deploy time: {why}"),
            ),
            NodeKind::ResourceRef { id, .. } => LoadedPolicy::unknown(
                name,
                format!("its document comes from the resource `{id}`, known only at deploy time"),
            ),
            NodeKind::String(text) => {
                let raw = file_text.get(node.span.range()).unwrap_or("");
                let json_file = file_text.trim_start().starts_with('{');
                if json_file
                    && raw.len() >= 2
                    && raw.starts_with('"')
                    && raw.ends_with('"')
                    && let Ok(inner) =
                        crate::parse::embedded::parse_json_string_literal(file_text, node.span)
                    && inner.is_object()
                {
                    return from_template_object(name, &inner, kind, file_text, file, refs);
                }
                let parsed = parse_policy_str(text);
                let mut mentions = Vec::new();
                if let Ok(v) = decode_policy_text(text) {
                    collect_mentions(&v, &mut mentions);
                }
                LoadedPolicy {
                    name: name.to_string(),
                    parsed: parsed
                        .map(|p| p.with_name(name))
                        .map_err(|e| format!("its document cannot be read: {e}")),
                    origin: Some(PolicyOrigin {
                        file,
                        span: node.span,
                        statements: Vec::new(),
                    }),
                    unresolved: Vec::new(),
                    mentions,
                }
            }
            NodeKind::Object(_) => from_template_object(name, node, kind, file_text, file, refs),
            _ => LoadedPolicy::unknown(
                name,
                format!(
                    "its document cannot be read: a policy must be a JSON object, found {}",
                    node.type_name()
                ),
            ),
        }
    }
}

fn decode_policy_text(text: &str) -> Result<Value, ()> {
    let t = text.trim_start();
    if t.starts_with('{') {
        serde_json::from_str(t).map_err(|_| ())
    } else {
        let decoded = percent_encoding::percent_decode_str(t)
            .decode_utf8()
            .map_err(|_| ())?;
        serde_json::from_str(&decoded).map_err(|_| ())
    }
}

/// The span of each statement of a document node, in statement order.
fn statement_spans(doc: &Node) -> Vec<Span> {
    match doc.get("Statement").map(|s| &s.kind) {
        Some(NodeKind::Array(items)) => items.iter().map(|n| n.span).collect(),
        Some(NodeKind::Object(_)) => doc
            .get("Statement")
            .map(|s| vec![s.span])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn collect_mentions(doc: &Value, out: &mut Vec<String>) {
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => return,
    };
    let mut strings = |v: &Value, want: &dyn Fn(&str) -> bool| match v {
        Value::String(s) if want(s) => out.push(s.clone()),
        Value::Array(items) => {
            for i in items {
                if let Value::String(s) = i
                    && want(s)
                {
                    out.push(s.clone());
                }
            }
        }
        _ => {}
    };
    for s in statements {
        for key in ["Resource", "NotResource"] {
            if let Some(v) = s.get(key) {
                strings(v, &|t: &str| {
                    t.contains(":secret:") || t.contains(":log-group:")
                });
            }
        }
        for key in ["Principal", "NotPrincipal"] {
            if let Some(Value::Object(p)) = s.get(key)
                && let Some(aws) = p.get("AWS")
            {
                strings(aws, &|t: &str| t.contains(":role/"));
            }
        }
    }
}

/// Builds the policy from a resolved template object, widening unknown parts (see
/// [`UNRESOLVED_KEY_PREFIX`]).
fn from_template_object(
    name: &str,
    node: &Node,
    kind: PolicyKind,
    file_text: &str,
    file: FileId,
    refs: &dyn Fn(&str, Option<&str>) -> Option<String>,
) -> LoadedPolicy {
    let mut unresolved = Vec::new();
    let mut spans = Vec::new();
    let mut top = serde_json::Map::new();
    for m in node.members() {
        match m.key.as_str() {
            "Statement" => {}
            "Version" | "Id" => {
                if let Some(v) = known_json(&m.value, refs) {
                    top.insert(m.key.clone(), v);
                }
            }
            _ => {
                top.insert(m.key.clone(), m.value.to_json());
            }
        }
    }
    let mut statements = Vec::new();
    match node.get("Statement") {
        None => {}
        Some(st) => match &st.kind {
            NodeKind::Array(items) => {
                for item in items {
                    template_statement(
                        item,
                        kind,
                        refs,
                        &mut unresolved,
                        &mut statements,
                        &mut spans,
                    );
                }
            }
            NodeKind::Object(_) | NodeKind::Unresolved(_) | NodeKind::ResourceRef { .. } => {
                template_statement(st, kind, refs, &mut unresolved, &mut statements, &mut spans)
            }
            _ => {
                top.insert("Statement".into(), st.to_json());
            }
        },
    }
    if !statements.is_empty() || node.get("Statement").is_some_and(|s| s.is_array()) {
        top.entry("Statement").or_insert(Value::Array(statements));
    }
    let value = Value::Object(top);
    let mut mentions = Vec::new();
    collect_mentions(&value, &mut mentions);
    let parsed = parse_policy(&value)
        .map(|p| p.with_name(name))
        .map_err(|e| format!("its document cannot be read: {e}"));
    LoadedPolicy {
        name: name.to_string(),
        parsed,
        origin: Some(PolicyOrigin {
            file,
            span: trim_span(file_text, node.span),
            statements: spans.into_iter().map(|s| trim_span(file_text, s)).collect(),
        }),
        unresolved,
        mentions,
    }
}

/// A YAML block mapping's span runs up to the next key; labels read better without the
/// trailing blank space.
fn trim_span(text: &str, span: Span) -> Span {
    match text.get(span.range()) {
        Some(slice) => {
            let kept = slice.trim_end().len();
            if kept == 0 {
                span
            } else {
                Span::new(span.start as usize, span.start as usize + kept)
            }
        }
        None => span,
    }
}

/// Why a value is not known, if any part of it is not (after following resource links that
/// `refs` can resolve).
fn unknown_part(
    node: &Node,
    refs: &dyn Fn(&str, Option<&str>) -> Option<String>,
) -> Option<String> {
    let mut why = None;
    node.walk(|n| {
        if why.is_some() {
            return;
        }
        match &n.kind {
            NodeKind::Unresolved(r) => why = Some(r.clone()),
            NodeKind::ResourceRef { id, attribute } if refs(id, attribute.as_deref()).is_none() => {
                why = Some(format!(
                    "it comes from the resource `{id}`, known only at deploy time"
                ));
            }
            _ => {}
        }
    });
    why
}

/// The JSON of a value whose every part is known (resource links resolved), else None.
fn known_json(node: &Node, refs: &dyn Fn(&str, Option<&str>) -> Option<String>) -> Option<Value> {
    if unknown_part(node, refs).is_some() {
        return None;
    }
    Some(to_json_with_refs(node, refs))
}

fn to_json_with_refs(node: &Node, refs: &dyn Fn(&str, Option<&str>) -> Option<String>) -> Value {
    match &node.kind {
        NodeKind::ResourceRef { id, attribute } => refs(id, attribute.as_deref())
            .map(Value::String)
            .unwrap_or(Value::Null),
        NodeKind::Array(items) => {
            Value::Array(items.iter().map(|i| to_json_with_refs(i, refs)).collect())
        }
        NodeKind::Object(members) => Value::Object(
            members
                .iter()
                .map(|m| (m.key.clone(), to_json_with_refs(&m.value, refs)))
                .collect(),
        ),
        _ => node.to_json(),
    }
}

/// One statement of a template policy, with its unknown parts widened. A statement that is
/// itself unknown (or whose `Effect` is) may allow or deny anything: it becomes an Allow and a
/// Deny of everything, both under an unknown condition.
fn template_statement(
    node: &Node,
    kind: PolicyKind,
    refs: &dyn Fn(&str, Option<&str>) -> Option<String>,
    unresolved: &mut Vec<String>,
    out: &mut Vec<Value>,
    spans: &mut Vec<Span>,
) {
    let marker = |why: String, unresolved: &mut Vec<String>| {
        let key = format!("{UNRESOLVED_KEY_PREFIX}{}", unresolved.len());
        unresolved.push(why);
        key
    };
    let anything = |effect: &str, key: &str| {
        let mut s = serde_json::Map::new();
        s.insert("Effect".into(), Value::String(effect.into()));
        if kind != PolicyKind::Identity {
            s.insert("Principal".into(), Value::String("*".into()));
        }
        s.insert("Action".into(), Value::String("*".into()));
        if kind == PolicyKind::Identity {
            s.insert("Resource".into(), Value::String("*".into()));
        }
        s.insert(
            "Condition".into(),
            serde_json::json!({"StringEquals": {key: "known"}}),
        );
        Value::Object(s)
    };
    match &node.kind {
        NodeKind::Object(_) => {
            if let Some(why) = node.get("Effect").and_then(|e| unknown_part(e, refs)) {
                let key = marker(
                    format!("its `Effect` is known only at deploy time ({why})"),
                    unresolved,
                );
                out.push(anything("Allow", &key));
                out.push(anything("Deny", &key));
                spans.extend([node.span, node.span]);
                return;
            }
        }
        NodeKind::Unresolved(_) | NodeKind::ResourceRef { .. } => {
            let why = unknown_part(node, refs).unwrap_or_default();
            let key = marker(
                format!("the whole statement is known only at deploy time ({why})"),
                unresolved,
            );
            out.push(anything("Allow", &key));
            out.push(anything("Deny", &key));
            spans.extend([node.span, node.span]);
            return;
        }
        _ => {
            // Not an object: let the parser report the type error.
            out.push(node.to_json());
            spans.push(node.span);
            return;
        }
    }
    let mut s = serde_json::Map::new();
    let mut whys: Vec<String> = Vec::new();
    for m in node.members() {
        let v = &m.value;
        match m.key.as_str() {
            "Action" | "Resource" | "Principal" | "Sid" | "Condition" | "NotAction"
            | "NotResource" | "NotPrincipal" => {}
            _ => {
                s.insert(m.key.clone(), to_json_with_refs(v, refs));
                continue;
            }
        }
        let Some(why) = unknown_part(v, refs) else {
            s.insert(m.key.clone(), to_json_with_refs(v, refs));
            continue;
        };
        match m.key.as_str() {
            "Sid" => {}
            "Action" | "Resource" => {
                // Unknown entries widen to "*".
                let widened = match &v.kind {
                    NodeKind::Array(items) => Value::Array(
                        items
                            .iter()
                            .map(|i| match unknown_part(i, refs) {
                                Some(_) => Value::String("*".into()),
                                None => to_json_with_refs(i, refs),
                            })
                            .collect(),
                    ),
                    _ => Value::String("*".into()),
                };
                s.insert(m.key.clone(), widened);
                whys.push(format!(
                    "its `{}` is known only at deploy time ({why})",
                    m.key
                ));
            }
            "NotAction" | "NotResource" => {
                // Unknown entries are dropped (the statement then covers more); with none left
                // the statement covers everything.
                let kept: Vec<Value> = v
                    .items()
                    .iter()
                    .filter(|i| unknown_part(i, refs).is_none())
                    .map(|i| to_json_with_refs(i, refs))
                    .collect();
                if kept.is_empty() {
                    let positive = if m.key == "NotAction" {
                        "Action"
                    } else {
                        "Resource"
                    };
                    s.insert(positive.into(), Value::String("*".into()));
                } else {
                    s.insert(m.key.clone(), Value::Array(kept));
                }
                whys.push(format!(
                    "its `{}` is known only at deploy time ({why})",
                    m.key
                ));
            }
            "Principal" => {
                s.insert(m.key.clone(), Value::String("*".into()));
                whys.push(format!(
                    "its `Principal` is known only at deploy time ({why})"
                ));
            }
            "NotPrincipal" => {
                // Cannot be widened safely: let the whole statement be undecided.
                let key = marker(
                    format!("its `NotPrincipal` is known only at deploy time ({why})"),
                    unresolved,
                );
                out.push(anything("Allow", &key));
                out.push(anything("Deny", &key));
                spans.push(node.span);
                spans.push(node.span);
                return;
            }
            "Condition" => {
                // Keys with unknown values are dropped (the statement then applies more often).
                let mut ops = serde_json::Map::new();
                let mut dropped = Vec::new();
                for op in v.members() {
                    let mut keys = serde_json::Map::new();
                    for k in op.value.members() {
                        match unknown_part(&k.value, refs) {
                            None => {
                                keys.insert(k.key.clone(), to_json_with_refs(&k.value, refs));
                            }
                            Some(w) => dropped.push(format!(
                                "its condition on `{}` compares with a value known only at deploy time ({w})",
                                k.key
                            )),
                        }
                    }
                    if !keys.is_empty() {
                        ops.insert(op.key.clone(), Value::Object(keys));
                    }
                }
                s.insert("Condition".into(), Value::Object(ops));
                if dropped.is_empty() {
                    dropped.push(format!(
                        "its `Condition` is known only at deploy time ({why})"
                    ));
                }
                whys.extend(dropped);
            }
            _ => {}
        }
    }
    for why in whys {
        let key = marker(why, unresolved);
        let cond = s
            .entry("Condition")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Value::Object(ops) = cond {
            let eq = ops
                .entry("StringEquals")
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Value::Object(keys) = eq {
                keys.insert(key, Value::String("known".into()));
            }
        }
    }
    out.push(Value::Object(s));
    spans.push(node.span);
}

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
    pub fn new(snapshots: &[Snapshot]) -> IamIndex {
        let mut index = IamIndex::default();
        for s in snapshots {
            if let Some(iam) = &s.iam {
                index.add_iam(s, iam);
            }
            index.add_ecr_policies(s);
        }
        index
    }

    fn add_iam(&mut self, s: &Snapshot, iam: &IamSection) {
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
        let role_nodes = iam_node
            .and_then(|n| n.get("RoleDetailList"))
            .map(Node::items)
            .unwrap_or(&[]);
        for (i, r) in iam.role_detail_list.iter().flatten().enumerate() {
            let node = role_nodes.get(i);
            let entry = role_from_state(r, node, s);
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

fn role_from_state(r: &RoleDetail, node: Option<&Node>, s: &Snapshot) -> RoleEntry {
    let get = |key: &str| node.and_then(|n| n.get(key));
    let name = r
        .role_name
        .clone()
        .or_else(|| r.arn.as_deref().and_then(role_name_of).map(str::to_string));
    let label = name
        .clone()
        .or_else(|| r.arn.clone())
        .unwrap_or_else(|| "(unnamed role)".into());
    let trust = r.assume_role_policy_document.as_ref().map(|doc| {
        LoadedPolicy::from_state(
            &format!("trust policy of `{label}`"),
            doc,
            get("AssumeRolePolicyDocument"),
            s.file,
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
                Some(doc) => LoadedPolicy::from_state(
                    &pname,
                    doc,
                    inline_nodes.get(j).and_then(|n| n.get("PolicyDocument")),
                    s.file,
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
    RoleEntry {
        account: r.arn.as_deref().and_then(arn_account).map(str::to_string),
        arn: r.arn.clone(),
        path: r.path.clone().unwrap_or_else(|| "/".into()),
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
        place: node.map(|n| (s.file, n.span)),
    }
}

/// The account part of an ARN (`arn:P:svc:region:ACCOUNT:…`).
pub fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let account = parts.nth(3)?;
    (!account.is_empty()).then_some(account)
}

/// The role name of a role ARN: the last segment of `role/<path><name>`.
pub fn role_name_of(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let path = resource.strip_prefix("role/")?;
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
            LoadedPolicy {
                name: p.name.to_string(),
                parsed,
                origin: None,
                unresolved: Vec::new(),
                mentions: Vec::new(),
            }
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
        IamIndex::new(&[snapshot::load(&file, 3).unwrap()])
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
        assert!(trust.parsed.is_ok());
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
        let p = custom.parsed.as_ref().unwrap();
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
        assert!(p.parsed.is_ok());
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
