//! Parsing policy documents into a compiled [`Policy`] (the shapes of
//! docs/iam.md#policy-documents).
//!
//! Everything that matching needs is prepared here once: actions lowercased and split,
//! resources cut into ARN parts, principals classified, condition values parsed for their
//! operator. Malformed documents give a [`PolicyError`] naming the place (a JSON pointer) —
//! never a panic, never a silently ignored element.

use super::condition::{Condition, parse_conditions};
use super::matcher::{ActionPattern, ArnPattern, split_pattern_arn};
use serde_json::{Map, Value};
use std::fmt;

/// A policy that could not be read, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// JSON pointer (RFC 6901) to the offending element, e.g. `/Statement/1/Condition/StringEqulas`;
    /// empty for the document itself.
    pub path: String,
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(path: &str, message: String) -> PolicyError {
        PolicyError {
            path: path.to_string(),
            message,
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "invalid policy: {}", self.message)
        } else {
            write!(f, "invalid policy at {}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for PolicyError {}

/// `path` + `/key`, escaped per RFC 6901.
pub(crate) fn child(path: &str, key: &str) -> String {
    format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"))
}

pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}/{i}")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A parsed policy document.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Label used in explanations (policy name, ARN, "repository policy of …"); set by the caller
    /// with [`Policy::with_name`].
    pub name: String,
    /// The `Version` element, if any.
    pub version: Option<String>,
    pub statements: Vec<Statement>,
}

impl Policy {
    pub fn with_name(mut self, name: impl Into<String>) -> Policy {
        self.name = name.into();
        self
    }

    /// Policy variables are only substituted under `Version: 2012-10-17`
    /// (docs/iam.md#policy-variables).
    pub fn variables_enabled(&self) -> bool {
        self.version.as_deref() == Some("2012-10-17")
    }
}

/// One statement, compiled.
#[derive(Clone, Debug)]
pub struct Statement {
    /// Position in the `Statement` array (0 when `Statement` is a single object).
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub(crate) actions: Actions,
    pub(crate) resources: Option<Resources>,
    pub(crate) principals: Option<Principals>,
    pub conditions: Vec<Condition>,
}

impl Statement {
    pub fn has_principal_element(&self) -> bool {
        self.principals.is_some()
    }

    pub fn has_resource_element(&self) -> bool {
        self.resources.is_some()
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Actions {
    Action(Vec<ActionPattern>),
    NotAction(Vec<ActionPattern>),
}

#[derive(Clone, Debug)]
pub(crate) enum Resources {
    Resource(Vec<ArnPattern>),
    NotResource(Vec<ArnPattern>),
}

#[derive(Clone, Debug)]
pub(crate) enum Principals {
    Principal(PrincipalSet),
    NotPrincipal(PrincipalSet),
}

/// The principals named by a `Principal` / `NotPrincipal` element.
#[derive(Clone, Debug, Default)]
pub(crate) struct PrincipalSet {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    pub any: bool,
    pub aws: Vec<AwsPrincipal>,
    pub services: Vec<String>,
}

/// One entry of `Principal.AWS` (the forms of docs/iam.md#repository-policies-and-principals).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AwsPrincipal {
    /// An account ID or `arn:<partition>:iam::<id>:root`: the account delegates
    /// (docs/iam.md#the-decision).
    Account {
        id: String,
        partition: Option<String>,
    },
    /// `arn:…:iam::<id>:role/<path><name>`.
    Role(String),
    /// `arn:…:sts::<id>:assumed-role/<name>/<session>`.
    Session(String),
    /// Users, unique IDs (`AROA…` of a deleted role), federated users: never the role session.
    Other,
}

const POLICY_KEYS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_KEYS: [&str; 9] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

/// Parses a policy document given as JSON.
pub fn parse_policy(doc: &Value) -> Result<Policy, PolicyError> {
    let obj = doc.as_object().ok_or_else(|| {
        PolicyError::new(
            "",
            format!("a policy must be a JSON object, found {}", kind(doc)),
        )
    })?;
    check_keys(obj, &POLICY_KEYS, "")?;
    let version = match obj.get("Version") {
        None => None,
        Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => Some(v.clone()),
        Some(Value::String(v)) => {
            return Err(PolicyError::new(
                "/Version",
                format!("Version must be \"2012-10-17\" or \"2008-10-17\", found \"{v}\""),
            ));
        }
        Some(other) => {
            return Err(PolicyError::new(
                "/Version",
                format!("Version must be a string, found {}", kind(other)),
            ));
        }
    };
    if let Some(id) = obj.get("Id").filter(|id| !id.is_string()) {
        return Err(PolicyError::new(
            "/Id",
            format!("Id must be a string, found {}", kind(id)),
        ));
    }
    let variables = version.as_deref() == Some("2012-10-17");
    let statements = match obj.get("Statement") {
        None => {
            return Err(PolicyError::new(
                "",
                "the policy has no Statement".to_string(),
            ));
        }
        Some(Value::Object(s)) => vec![parse_statement(s, 0, "/Statement", variables)?],
        Some(Value::Array(items)) => {
            if items.is_empty() {
                return Err(PolicyError::new(
                    "/Statement",
                    "Statement is empty".to_string(),
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let path = index("/Statement", i);
                let s = item.as_object().ok_or_else(|| {
                    PolicyError::new(
                        &path,
                        format!("a statement must be an object, found {}", kind(item)),
                    )
                })?;
                out.push(parse_statement(s, i, &path, variables)?);
            }
            out
        }
        Some(other) => {
            return Err(PolicyError::new(
                "/Statement",
                format!(
                    "Statement must be an object or an array, found {}",
                    kind(other)
                ),
            ));
        }
    };
    Ok(Policy {
        name: String::new(),
        version,
        statements,
    })
}

/// Parses a policy given as text: raw JSON (ECR `policyText`, CLI output) or URL-encoded JSON
/// (IAM API documents, docs/inputs.md#state-snapshots). Text that starts with `{` is taken as
/// raw JSON; anything else is percent-decoded first.
pub fn parse_policy_str(text: &str) -> Result<Policy, PolicyError> {
    let trimmed = text.trim_start();
    let decoded;
    let json = if trimmed.starts_with('{') {
        trimmed
    } else {
        decoded = percent_encoding::percent_decode_str(trimmed)
            .decode_utf8()
            .map_err(|e| PolicyError::new("", format!("URL-decoded policy is not UTF-8: {e}")))?;
        &decoded
    };
    let value: Value = serde_json::from_str(json).map_err(|e| {
        PolicyError::new(
            "",
            format!(
                "not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    parse_policy(&value)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_keys(obj: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), PolicyError> {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(PolicyError::new(
                &child(path, key),
                format!("unknown element `{key}`"),
            ));
        }
    }
    Ok(())
}

/// A string or a non-empty array of strings.
fn string_list<'v>(v: &'v Value, path: &str, what: &str) -> Result<Vec<&'v str>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) => {
            if items.is_empty() {
                return Err(PolicyError::new(path, format!("{what} is empty")));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    item.as_str().ok_or_else(|| {
                        PolicyError::new(
                            &index(path, i),
                            format!("{what} entries must be strings, found {}", kind(item)),
                        )
                    })
                })
                .collect()
        }
        other => Err(PolicyError::new(
            path,
            format!(
                "{what} must be a string or an array of strings, found {}",
                kind(other)
            ),
        )),
    }
}

/// Returns the one element present of a pair that excludes each other.
fn one_of<'v>(
    obj: &'v Map<String, Value>,
    a: &'static str,
    b: &'static str,
    path: &str,
) -> Result<Option<(&'static str, &'v Value)>, PolicyError> {
    match (obj.get(a), obj.get(b)) {
        (Some(_), Some(_)) => Err(PolicyError::new(
            path,
            format!("a statement cannot have both {a} and {b}"),
        )),
        (Some(v), None) => Ok(Some((a, v))),
        (None, Some(v)) => Ok(Some((b, v))),
        (None, None) => Ok(None),
    }
}

fn parse_statement(
    obj: &Map<String, Value>,
    idx: usize,
    path: &str,
    variables: bool,
) -> Result<Statement, PolicyError> {
    check_keys(obj, &STATEMENT_KEYS, path)?;
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(PolicyError::new(
                &child(path, "Sid"),
                format!("Sid must be a string, found {}", kind(other)),
            ));
        }
    };
    let effect = match obj.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            let shown = other
                .as_str()
                .map(|s| format!("\"{s}\""))
                .unwrap_or(kind(other).into());
            return Err(PolicyError::new(
                &child(path, "Effect"),
                format!("Effect must be \"Allow\" or \"Deny\", found {shown}"),
            ));
        }
        None => {
            return Err(PolicyError::new(
                path,
                "the statement has no Effect".to_string(),
            ));
        }
    };
    let actions = match one_of(obj, "Action", "NotAction", path)? {
        None => {
            return Err(PolicyError::new(
                path,
                "the statement has no Action or NotAction".into(),
            ));
        }
        Some((name, v)) => {
            let p = child(path, name);
            let list = string_list(v, &p, name)?;
            let mut patterns = Vec::with_capacity(list.len());
            for (i, text) in list.iter().enumerate() {
                let at = if v.is_array() {
                    index(&p, i)
                } else {
                    p.clone()
                };
                patterns.push(ActionPattern::compile(text).ok_or_else(|| {
                    PolicyError::new(&at, format!("`{text}` is not `*` or `service:action`"))
                })?);
            }
            if name == "Action" {
                Actions::Action(patterns)
            } else {
                Actions::NotAction(patterns)
            }
        }
    };
    let resources = match one_of(obj, "Resource", "NotResource", path)? {
        None => None,
        Some((name, v)) => {
            let list = string_list(v, &child(path, name), name)?;
            // Variables are only allowed in the resource part, after the fifth colon
            // (docs/iam.md#policy-variables).
            let vars = variables.then_some(5);
            let patterns = list.iter().map(|t| ArnPattern::compile(t, vars)).collect();
            Some(if name == "Resource" {
                Resources::Resource(patterns)
            } else {
                Resources::NotResource(patterns)
            })
        }
    };
    let principals = match one_of(obj, "Principal", "NotPrincipal", path)? {
        None => None,
        Some((name, v)) => {
            let set = parse_principal(v, &child(path, name))?;
            Some(if name == "Principal" {
                Principals::Principal(set)
            } else {
                Principals::NotPrincipal(set)
            })
        }
    };
    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(block) => parse_conditions(block, &child(path, "Condition"), variables)?,
    };
    Ok(Statement {
        index: idx,
        sid,
        effect,
        actions,
        resources,
        principals,
        conditions,
    })
}

fn parse_principal(v: &Value, path: &str) -> Result<PrincipalSet, PolicyError> {
    let mut set = PrincipalSet::default();
    match v {
        Value::String(s) if s == "*" => set.any = true,
        Value::Object(map) => {
            if map.is_empty() {
                return Err(PolicyError::new(
                    path,
                    "the principal element is empty".to_string(),
                ));
            }
            for (key, entries) in map {
                let p = child(path, key);
                let list = string_list(entries, &p, key)?;
                match key.as_str() {
                    "AWS" => {
                        for entry in list {
                            match classify_aws(entry.trim()) {
                                None => set.any = true,
                                Some(a) => set.aws.push(a),
                            }
                        }
                    }
                    "Service" => set.services.extend(list.iter().map(|s| s.to_string())),
                    // Web identity / SAML providers and S3 canonical users are never an IAM
                    // role session.
                    "Federated" | "CanonicalUser" => {}
                    _ => {
                        return Err(PolicyError::new(
                            &p,
                            format!(
                                "unknown principal type `{key}` (AWS, Service, Federated or CanonicalUser)"
                            ),
                        ));
                    }
                }
            }
        }
        other => {
            return Err(PolicyError::new(
                path,
                format!(
                    "a principal must be \"*\" or an object, found {}",
                    describe(other)
                ),
            ));
        }
    }
    Ok(set)
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => kind(other).to_string(),
    }
}

/// `None` for `*`.
fn classify_aws(entry: &str) -> Option<AwsPrincipal> {
    if entry == "*" {
        return None;
    }
    if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        return Some(AwsPrincipal::Account {
            id: entry.to_string(),
            partition: None,
        });
    }
    if let ["arn", partition, service, _, account, res] = split_pattern_arn(entry).as_slice() {
        let (partition, service, account, res) = (*partition, *service, *account, *res);
        if service == "iam" && res == "root" {
            return Some(AwsPrincipal::Account {
                id: account.to_string(),
                partition: Some(partition.to_string()),
            });
        }
        if service == "iam" && res.starts_with("role/") {
            return Some(AwsPrincipal::Role(entry.to_string()));
        }
        if service == "sts" && res.starts_with("assumed-role/") {
            return Some(AwsPrincipal::Session(entry.to_string()));
        }
    }
    Some(AwsPrincipal::Other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(doc: Value) -> PolicyError {
        parse_policy(&doc).unwrap_err()
    }

    #[test]
    fn shapes_normalise() {
        let p = parse_policy(&json!({
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}
        }))
        .unwrap();
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.statements[0].index, 0);
        assert!(p.variables_enabled());
        let p = parse_policy(&json!({
            "Statement": [
                {"Sid": "A", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": "x"},
                {"Effect": "Allow", "Principal": {"AWS": ["111122223333", "arn:aws:iam::1:root", "*"], "Service": "ecs-tasks.amazonaws.com"}, "Action": "*"}
            ]
        }))
        .unwrap()
        .with_name("p");
        assert_eq!(p.name, "p");
        assert!(!p.variables_enabled());
        assert_eq!(p.statements[0].sid.as_deref(), Some("A"));
        assert_eq!(p.statements[1].index, 1);
        assert!(p.statements[1].has_principal_element());
        assert!(!p.statements[1].has_resource_element());
    }

    #[test]
    fn principal_forms_are_classified() {
        assert_eq!(
            classify_aws("111122223333"),
            Some(AwsPrincipal::Account {
                id: "111122223333".into(),
                partition: None
            })
        );
        assert_eq!(
            classify_aws("arn:aws-cn:iam::111122223333:root"),
            Some(AwsPrincipal::Account {
                id: "111122223333".into(),
                partition: Some("aws-cn".into())
            })
        );
        assert!(matches!(
            classify_aws("arn:aws:iam::1:role/x/y"),
            Some(AwsPrincipal::Role(_))
        ));
        assert!(matches!(
            classify_aws("arn:aws:sts::1:assumed-role/y/s"),
            Some(AwsPrincipal::Session(_))
        ));
        assert_eq!(classify_aws("AROAEXAMPLEID"), Some(AwsPrincipal::Other));
        assert_eq!(
            classify_aws("arn:aws:iam::1:user/bob"),
            Some(AwsPrincipal::Other)
        );
        assert_eq!(classify_aws("*"), None);
    }

    #[test]
    fn malformed_documents_name_the_place() {
        let e = err(json!([]));
        assert_eq!(e.path, "");
        let e = err(json!({"Version": "2012-10-17", "Statement": []}));
        assert_eq!(e.path, "/Statement");
        let e = err(json!({"Version": "2013-01-01", "Statement": []}));
        assert_eq!(e.path, "/Version");
        let e = err(json!({"Version": 2012, "Statement": []}));
        assert_eq!(e.path, "/Version");
        let e = err(json!({"Statement": "x"}));
        assert_eq!(e.path, "/Statement");
        let e = err(json!({"Version": "2012-10-17"}));
        assert!(e.message.contains("no Statement"));
        let e = err(json!({"Statement": [{"Effect": "Allow", "Action": "*"}, 5]}));
        assert_eq!(e.path, "/Statement/1");
        let e = err(json!({"Statement": [{"Effect": "allow", "Action": "*"}]}));
        assert_eq!(e.path, "/Statement/0/Effect");
        let e = err(json!({"Statement": [{"Action": "*"}]}));
        assert_eq!(e.path, "/Statement/0");
        let e = err(json!({"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "x:y"}]}));
        assert!(e.message.contains("both Action and NotAction"));
        let e = err(json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]}));
        assert!(e.message.contains("no Action"));
        let e = err(json!({"Statement": [{"Effect": "Allow", "Action": ["ecr:Get*", 7]}]}));
        assert_eq!(e.path, "/Statement/0/Action/1");
        let e = err(json!({"Statement": [{"Effect": "Allow", "Action": ["ecr:Get*", "ecrGet"]}]}));
        assert_eq!(e.path, "/Statement/0/Action/1");
        let e = err(json!({"Statement": [{"Effect": "Allow", "Action": []}]}));
        assert_eq!(e.path, "/Statement/0/Action");
        let e =
            err(json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": {"a": 1}}]}));
        assert_eq!(e.path, "/Statement/0/Resource");
        let e = err(
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"}]}),
        );
        assert!(e.message.contains("both Resource and NotResource"));
        let e = err(json!({"Statement": [{"Effect": "Allow", "Action": "*", "Principal": "me"}]}));
        assert_eq!(e.path, "/Statement/0/Principal");
        let e = err(
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Principal": {"Bogus": "x"}}]}),
        );
        assert_eq!(e.path, "/Statement/0/Principal/Bogus");
        let e = err(
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": {"a": "b"}, "Foo": {"a": "b"}}}]}),
        );
        assert_eq!(e.path, "/Statement/0/Condition/Foo");
        let e = err(json!({"Statement": [{"Effect": "Allow", "Action": "*", "Sid": 3}]}));
        assert_eq!(e.path, "/Statement/0/Sid");
        let e = err(json!({"Statement": [{"Effect": "Allow", "Action": "*", "Extra": 3}]}));
        assert_eq!(e.path, "/Statement/0/Extra");
        let e = err(json!({"Statement": [{"Effect": "Allow", "Action": "*"}], "Bogus": 1}));
        assert_eq!(e.path, "/Bogus");
        assert!(e.to_string().contains("/Bogus"));
    }

    #[test]
    fn url_encoded_and_raw_text() {
        let raw = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:*:repository/a%b"}]}"#;
        assert!(parse_policy_str(raw).is_ok());
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22ecr%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
        let p = parse_policy_str(encoded).unwrap();
        assert_eq!(p.statements.len(), 1);
        let e = parse_policy_str("%7B%22Version").unwrap_err();
        assert!(e.message.contains("not valid JSON"));
        assert!(
            parse_policy_str("%FF%FE")
                .unwrap_err()
                .message
                .contains("UTF-8")
        );
        assert!(parse_policy_str("").is_err());
    }

    #[test]
    fn huge_and_deep_documents_do_not_panic() {
        // ~10 MB: many statements with long resource strings.
        let long = "a".repeat(2000);
        let stmts: Vec<Value> = (0..5000)
            .map(|i| json!({"Sid": format!("S{i}"), "Effect": "Allow", "Action": "ecr:*", "Resource": format!("arn:aws:ecr:*:*:repository/{long}*")}))
            .collect();
        let doc = json!({"Version": "2012-10-17", "Statement": stmts});
        let text = doc.to_string();
        assert!(text.len() > 10_000_000);
        let p = parse_policy_str(&text).unwrap();
        assert_eq!(p.statements.len(), 5000);
        // A huge single string value.
        let big = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*".repeat(10_000_000)}]});
        assert!(parse_policy(&big).is_ok());
        // Deep nesting is refused by the JSON reader, as an error.
        let deep = "[".repeat(100_000);
        assert!(parse_policy_str(&format!("{{\"Statement\":{deep}")).is_err());
        // Garbage of every JSON type.
        for v in [
            json!(null),
            json!(1),
            json!("x"),
            json!(true),
            json!({"Statement": null}),
        ] {
            assert!(parse_policy(&v).is_err());
        }
    }
}
