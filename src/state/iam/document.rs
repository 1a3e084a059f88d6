//! Policy documents, each read once per run, with its name for messages and its place.

use std::sync::OnceLock;

use serde_json::Value;

use crate::diag::FileId;
use crate::iam::{Policy, PolicyDoc, parse_policy, parse_policy_str};
use crate::parse::{Node, NodeKind};
use crate::span::Span;

/// Where a policy document is written: the file and the document.
#[derive(Clone, Debug)]
pub struct PolicyOrigin {
    pub file: FileId,
    pub span: Span,
}

/// A policy document, parsed once per run (when first asked for, for a document of a state
/// file), with its name for messages and its place.
#[derive(Debug)]
pub struct LoadedPolicy {
    /// How messages name it: the policy name (inline or managed), or e.g. "repository policy
    /// of `web`". Also the name inside the parsed policy, which evaluation results refer to.
    pub name: String,
    pub origin: Option<PolicyOrigin>,
    /// Template values known only at deploy time, by the number in their stand-in condition
    /// key (`ecs-preflight:unresolved/N`, see [`UNRESOLVED_KEY_PREFIX`]).
    pub unresolved: Vec<String>,
    read: OnceLock<Read>,
    /// The document's text in a state file, not read yet: a state file can hold 100,000
    /// roles, of which a run looks at a few, so each is read when first asked for. Its spans
    /// start at `origin`'s.
    pending: Option<Box<str>>,
}

/// What is read from a document.
#[derive(Debug)]
struct Read {
    /// The document, or why it cannot be read (the reason makes decisions unknown).
    parsed: Result<Policy, String>,
    /// The span of each statement (by the statement's index in the parsed policy). Statements
    /// of a document held in a string (URL-encoded, or JSON text in a state file) all point at
    /// the string.
    statements: Vec<Span>,
    /// `Resource` strings that name Secrets Manager secrets or log groups, and `Principal`
    /// strings that name roles, as written: some decisions and hints depend on values only
    /// these reveal (a secret's exact suffix, a role named by a generated name, a log group
    /// named without its streams).
    mentions: Vec<String>,
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
    pub(super) fn read_now(
        name: &str,
        origin: Option<PolicyOrigin>,
        parsed: Result<Policy, String>,
        statements: Vec<Span>,
        mentions: Vec<String>,
    ) -> LoadedPolicy {
        LoadedPolicy {
            name: name.to_string(),
            origin,
            unresolved: Vec::new(),
            read: OnceLock::from(Read {
                parsed,
                statements,
                mentions,
            }),
            pending: None,
        }
    }

    /// A policy whose document cannot be known.
    pub fn unknown(name: impl Into<String>, reason: impl Into<String>) -> LoadedPolicy {
        let name = name.into();
        LoadedPolicy::read_now(&name, None, Err(reason.into()), Vec::new(), Vec::new())
    }

    fn read(&self) -> &Read {
        self.read.get_or_init(|| {
            let (Some(text), Some(origin)) = (&self.pending, &self.origin) else {
                return Read {
                    parsed: Err("internal error: a policy without its document".into()),
                    statements: Vec::new(),
                    mentions: Vec::new(),
                };
            };
            // The text is a value of a state file that was read whole: it parses.
            let node = match crate::parse::json::parse(text) {
                Ok(node) => node,
                Err(e) => {
                    return Read {
                        parsed: Err(format!("its document cannot be read: {}", e.message)),
                        statements: Vec::new(),
                        mentions: Vec::new(),
                    };
                }
            };
            let loaded = LoadedPolicy::from_state(&self.name, &node.to_json(), Some(&node), 0);
            let mut read = loaded.read.into_inner().unwrap_or_else(|| Read {
                parsed: Err("internal error: a policy read twice".into()),
                statements: Vec::new(),
                mentions: Vec::new(),
            });
            let at = origin.span.start;
            for s in &mut read.statements {
                *s = Span {
                    start: s.start + at,
                    end: s.end + at,
                };
            }
            read
        })
    }

    /// The document, or why it cannot be read (the reason makes decisions unknown).
    pub fn parsed(&self) -> &Result<Policy, String> {
        &self.read().parsed
    }

    /// `Resource` strings that name Secrets Manager secrets or log groups, and `Principal`
    /// strings that name roles, as written.
    pub fn mentions(&self) -> &[String] {
        &self.read().mentions
    }

    /// The document for the evaluator (a document that cannot be read is an unknown policy).
    pub fn doc(&self) -> PolicyDoc<'_> {
        match self.parsed() {
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
        let statements = &self.read().statements;
        Some((o.file, statements.get(index).copied().unwrap_or(o.span)))
    }

    /// A document of a state file, by its text there (`span`), read when first asked for.
    pub fn from_state_text(name: &str, text: &str, span: Span, file: FileId) -> LoadedPolicy {
        LoadedPolicy {
            name: name.to_string(),
            origin: Some(PolicyOrigin { file, span }),
            unresolved: Vec::new(),
            read: OnceLock::new(),
            pending: Some(text.into()),
        }
    }

    /// A document from a state file: a JSON object, or a string holding JSON or URL-encoded
    /// JSON (raw IAM API output). `node` is the same value in the file, for the spans.
    pub fn from_state(
        name: &str,
        value: &Value,
        node: Option<&Node>,
        file: FileId,
    ) -> LoadedPolicy {
        let origin = node.map(|n| PolicyOrigin { file, span: n.span });
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
                    let parsed = parse_policy_str(text)
                        .map(|p| p.with_name(name))
                        .map_err(|e| format!("its document cannot be read: {e}"));
                    return LoadedPolicy::read_now(name, origin, parsed, Vec::new(), Vec::new());
                }
            },
            other => other,
        };
        let statements = match node {
            Some(n) if n.is_object() => statement_spans(n),
            _ => Vec::new(),
        };
        let mut mentions = Vec::new();
        collect_mentions(doc, &mut mentions);
        let parsed = parse_policy(doc)
            .map(|p| p.with_name(name))
            .map_err(|e| format!("its document cannot be read: {e}"));
        LoadedPolicy::read_now(name, origin, parsed, statements, mentions)
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
                let parsed = parsed
                    .map(|p| p.with_name(name))
                    .map_err(|e| format!("its document cannot be read: {e}"));
                let origin = Some(PolicyOrigin {
                    file,
                    span: node.span,
                });
                LoadedPolicy::read_now(name, origin, parsed, Vec::new(), mentions)
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
    let origin = Some(PolicyOrigin {
        file,
        span: trim_span(file_text, node.span),
    });
    let statements = spans.into_iter().map(|s| trim_span(file_text, s)).collect();
    let mut loaded = LoadedPolicy::read_now(name, origin, parsed, statements, mentions);
    loaded.unresolved = unresolved;
    loaded
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
