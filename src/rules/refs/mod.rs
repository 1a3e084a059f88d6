//! REF: what the task references exists — Secrets Manager secrets, SSM parameters, awslogs log
//! groups and `environmentFiles` objects in S3 (state sections `secretsmanager`, `ssm`, `logs`
//! and `s3`, or the resources of the template being checked).
//!
//! Each rule needs its state section for the referenced account and region: an absent section
//! is unknown and goes to the run summary, never a verdict. No secret or parameter value is
//! ever read, in state files or live.
//!
//! The references themselves ([`references`]) are shared with ROLE012 (which key encrypts a
//! secret) and ROLE013 (who may read an environment file).

pub mod environment_file_not_found;
pub mod log_group_not_found;
pub mod parameter_not_found;
pub mod secret_not_found;

use std::rc::Rc;

use crate::base::known::Lookup;
use crate::model::TaskDefinition;
use crate::model::arn::{Arn, SecretReference};
use crate::model::placeholder::placeholder;
use crate::model::resolve::partition_of_region;
use crate::model::taskdef::field;
use crate::parse::{Node, NodeKind};
use crate::rules::{Context, Rule};
use crate::span::Span;
use crate::state::AccountState;
use crate::state::iam::arn_account;
use crate::state::template::refs::{Defines, TemplateRefs};

/// This family's rules, in code order.
pub static RULES: &[&Rule] = &[
    &secret_not_found::RULE,
    &parameter_not_found::RULE,
    &log_group_not_found::RULE,
    &environment_file_not_found::RULE,
];

/// A Secrets Manager secret a task names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SecretName {
    /// The ARN without the `:json-key:version-stage:version-id` suffix, or the name.
    pub id: String,
    pub account: String,
    pub region: String,
    pub stage: Option<String>,
    pub version_id: Option<String>,
}

/// An SSM parameter a task names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ParameterName {
    /// As SSM names it (a path name starts with `/`).
    pub name: String,
    pub account: String,
    pub region: String,
    /// `name:version` or `name:label`.
    pub selector: Option<String>,
    /// The ARN the request is made on.
    pub arn: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Named {
    Secret(SecretName),
    Parameter(ParameterName),
}

/// A `secrets[].valueFrom`, `secretOptions[].valueFrom` or
/// `repositoryCredentials.credentialsParameter`, with where it is written.
pub struct SecretUse {
    /// The value's place in the file being checked.
    pub span: Span,
    pub container: String,
    /// What it names, or why that is not known.
    pub named: Result<Named, String>,
}

/// An `environmentFiles[].value`.
pub struct FileUse {
    pub span: Span,
    pub container: String,
    /// (bucket, key), or why it is not known.
    pub object: Result<(String, String), String>,
}

/// An awslogs log group.
pub struct LogUse {
    pub span: Span,
    pub container: String,
    /// (group, region), or why it is not known.
    pub group: Result<(String, String), String>,
    /// `awslogs-create-group` is true: the agent creates the group.
    pub create: bool,
}

/// Everything one task definition references.
pub struct References {
    pub account: Option<String>,
    pub region: Option<String>,
    pub partition: String,
    pub secrets: Vec<SecretUse>,
    pub files: Vec<FileUse>,
    pub logs: Vec<LogUse>,
}

/// The deployment account: `--account` / config, else the account of the task definition's
/// role ARNs, else the account settings derived from the state.
pub fn deployment_account(task: &TaskDefinition, cx: &Context) -> Option<String> {
    if cx.settings.account.is_some() && cx.settings.account_source.is_none() {
        return cx.settings.account.clone();
    }
    ["executionRoleArn", "taskRoleArn"]
        .into_iter()
        .filter_map(|k| task.get_str(k))
        .find_map(|s| arn_account(s).map(str::to_string))
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .or_else(|| cx.settings.account.clone())
}

/// The literal text of a reference, or why it is not known before deploy. A reference to a
/// resource of the template resolves through `resolve`.
pub fn text_of(
    node: &Node,
    resolve: &dyn Fn(&str, Option<&str>) -> Option<String>,
) -> Result<String, String> {
    match &node.kind {
        NodeKind::String(s) => match placeholder(s) {
            Some(why) => Err(format!("`{s}` is a placeholder: {why}")),
            None => Ok(s.clone()),
        },
        NodeKind::ResourceRef { id, attribute } => resolve(id, attribute.as_deref())
            .ok_or_else(|| format!("it comes from the resource `{id}`, known only at deploy time")),
        NodeKind::Unresolved(why) => Err(format!("it is known only at deploy time: {why}")),
        _ => Err(format!("it is {}, not a string", node.type_name())),
    }
}

/// The references of a task definition, collected once per context.
pub fn references(task: &TaskDefinition, cx: &Context) -> Rc<References> {
    cx.references
        .get_or_init(|| Rc::new(collect(task, cx)))
        .clone()
}

fn collect(task: &TaskDefinition, cx: &Context) -> References {
    let account = deployment_account(task, cx);
    let region = cx.settings.region.clone();
    let partition = partition_of_region(region.as_deref().unwrap_or("us-east-1")).to_string();
    let template = cx.template.iam.get(cx.document, cx.file, cx.settings);
    let resolve = |id: &str, attr: Option<&str>| template.resolve_ref(id, attr);
    // A reference to a secret, parameter, log group or bucket this template creates: it
    // exists after the deploy, whatever its generated name.
    let own = |n: &Node| matches!(&n.kind, NodeKind::ResourceRef { id, .. } if cx.template.refs.is_referenced_kind(id));
    let mut out = References {
        account,
        region,
        partition,
        secrets: Vec::new(),
        files: Vec::new(),
        logs: Vec::new(),
    };
    for f in &cx.containers {
        let c = &f.container;
        let container = c.label();
        let mut value_froms: Vec<&Node> = Vec::new();
        for item in c.get("secrets").map(Node::items).unwrap_or(&[]) {
            value_froms.extend(field(item, c.style, "valueFrom"));
        }
        let log_config = c.get("logConfiguration");
        let options = log_config.and_then(|lc| field(lc, c.style, "secretOptions"));
        for item in options.map(Node::items).unwrap_or(&[]) {
            value_froms.extend(field(item, c.style, "valueFrom"));
        }
        for node in value_froms.into_iter().filter(|n| !own(n)) {
            let named = text_of(node, &resolve).and_then(|t| value_from(&t, &out));
            out.secrets.push(SecretUse {
                span: node.span,
                container: container.clone(),
                named,
            });
        }
        if let Some(node) = c
            .get("repositoryCredentials")
            .and_then(|rc| field(rc, c.style, "credentialsParameter"))
            .filter(|n| !own(n))
        {
            let named = text_of(node, &resolve).and_then(|t| credentials_parameter(&t, &out));
            out.secrets.push(SecretUse {
                span: node.span,
                container: container.clone(),
                named,
            });
        }
        for item in c.get("environmentFiles").map(Node::items).unwrap_or(&[]) {
            let Some(node) = field(item, c.style, "value").filter(|n| !own(n)) else {
                continue;
            };
            let kind = field(item, c.style, "type").and_then(Node::as_str);
            let object = match kind {
                Some("s3") | None => text_of(node, &resolve).and_then(|t| s3_object(&t)),
                Some(other) => Err(format!(
                    "its type is `{other}`; only `s3` environment files are known"
                )),
            };
            out.files.push(FileUse {
                span: node.span,
                container: container.clone(),
                object,
            });
        }
        let awslogs = c.log_driver().and_then(Node::as_str) == Some("awslogs");
        let group_node = c.log_option("awslogs-group").filter(|n| !own(n));
        if let (true, Some(node)) = (awslogs, group_node) {
            let create = c
                .log_option("awslogs-create-group")
                .and_then(|n| n.scalar_text())
                .is_some_and(|s| crate::rules::role::logs_access_denied::parse_bool_true(&s));
            let region = match c.log_option("awslogs-region") {
                Some(n) => text_of(n, &resolve)
                    .map_err(|why| format!("its `awslogs-region` is not known: {why}")),
                None => out.region.clone().ok_or_else(|| {
                    "it has no `awslogs-region` and the deployment region is not known".to_string()
                }),
            };
            let group = text_of(node, &resolve).and_then(|g| {
                log_group_name(&g)?;
                Ok((g, region?))
            });
            out.logs.push(LogUse {
                span: node.span,
                container: container.clone(),
                group,
                create,
            });
        }
    }
    out
}

/// A log group name: 1–512 characters of `a-z A-Z 0-9 _ - / . #`
/// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html).
pub fn log_group_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 512
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-/.#".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid log group name (1 to 512 characters of letters, digits and `_-/.#`), so no log group of that name can exist"
        ))
    }
}

fn deployment(refs: &References, what: &str) -> Result<(String, String), String> {
    match (&refs.account, &refs.region) {
        (Some(a), Some(r)) => Ok((a.clone(), r.clone())),
        _ => Err(format!(
            "{what} is named without an ARN and the deployment account or region is not known"
        )),
    }
}

/// `secrets[].valueFrom` / `secretOptions[].valueFrom`: a Secrets Manager ARN, an SSM parameter
/// ARN, or an SSM parameter name of the task's region and account (with an optional
/// `:version` or `:label`).
pub fn value_from(text: &str, refs: &References) -> Result<Named, String> {
    if text.starts_with("arn:") {
        let Some(arn) = Arn::parse(text) else {
            return Err(format!("`{text}` is not a complete ARN"));
        };
        return match arn.service {
            "secretsmanager" => secret_arn(text).map(Named::Secret),
            "ssm" => {
                let Some(rest) = arn.resource.strip_prefix("parameter") else {
                    return Err(format!("`{text}` is not an SSM parameter ARN"));
                };
                let (name, selector) = split_selector(rest);
                let name = if name.trim_start_matches('/').contains('/') {
                    format!("/{}", name.trim_start_matches('/'))
                } else {
                    name.trim_start_matches('/').to_string()
                };
                if name.is_empty() {
                    return Err(format!("`{text}` names no parameter"));
                }
                Ok(Named::Parameter(ParameterName {
                    name,
                    account: arn.account.to_string(),
                    region: arn.region.to_string(),
                    selector,
                    arn: format!(
                        "{}{}",
                        &text[..text.len() - arn.resource.len()],
                        resource_without_selector(arn.resource)
                    ),
                }))
            }
            other => Err(format!(
                "`{text}` is an ARN of `{other}`, not of Secrets Manager or SSM Parameter Store"
            )),
        };
    }
    let (account, region) = deployment(refs, &format!("the SSM parameter `{text}`"))?;
    if let Some(secret) = text
        .strip_prefix("/aws/reference/secretsmanager/")
        .filter(|s| !s.is_empty())
    {
        // A parameter that references a Secrets Manager secret: the secret must exist.
        return Ok(Named::Secret(SecretName {
            id: secret.to_string(),
            account,
            region,
            stage: None,
            version_id: None,
        }));
    }
    let (name, selector) = split_selector(text);
    if name.is_empty() {
        return Err(format!("`{text}` names no parameter"));
    }
    let arn = format!(
        "arn:{}:ssm:{region}:{account}:parameter/{}",
        refs.partition,
        name.trim_start_matches('/')
    );
    Ok(Named::Parameter(ParameterName {
        name: name.to_string(),
        account,
        region,
        selector,
        arn,
    }))
}

fn resource_without_selector(resource: &str) -> &str {
    split_selector(resource).0
}

/// `name:selector` → (name, selector). Parameter names cannot contain `:`.
fn split_selector(text: &str) -> (&str, Option<String>) {
    match text.split_once(':') {
        Some((name, sel)) => (name, Some(sel.to_string()).filter(|s| !s.is_empty())),
        None => (text, None),
    }
}

/// `repositoryCredentials.credentialsParameter`: a Secrets Manager ARN, or a secret name of the
/// task's region and account.
pub fn credentials_parameter(text: &str, refs: &References) -> Result<Named, String> {
    if text.starts_with("arn:") {
        return secret_arn(text).map(Named::Secret);
    }
    let (account, region) = deployment(refs, &format!("the secret `{text}`"))?;
    Ok(Named::Secret(SecretName {
        id: text.to_string(),
        account,
        region,
        stage: None,
        version_id: None,
    }))
}

/// `arn:P:secretsmanager:R:A:secret:NAME[:json-key:version-stage:version-id]`
/// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
fn secret_arn(text: &str) -> Result<SecretName, String> {
    let r = SecretReference::parse(text)
        .ok_or_else(|| format!("`{text}` is not a Secrets Manager secret ARN"))?;
    if r.extra_fields > 0 {
        return Err(format!(
            "`{text}` has more than the three optional fields `json-key:version-stage:version-id` after the secret"
        ));
    }
    let given = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Ok(SecretName {
        id: r.secret_arn.to_string(),
        account: r.arn.account.to_string(),
        region: r.arn.region.to_string(),
        stage: given(r.version_stage),
        version_id: given(r.version_id),
    })
}

pub use crate::model::arn::s3_object;

/// The skeleton of the REF rules. `uses` are a rule's references: what each names (or why that
/// is not known: skipped, with `what` naming the reference), where, and in which container.
/// They are grouped by what they name; a group the template creates needs nothing
/// (`Defines::Yes`), or is skipped when a resource of the template may be it
/// (`Defines::Maybe`); the others are looked up in the state, and an unknown answer is skipped.
/// `decide` gets each remaining group with what the state holds of it (None: known absent).
pub fn check_in_state<'a, K: PartialEq, T>(
    cx: &mut Context<'a>,
    rule: &'static Rule,
    what: &str,
    uses: impl IntoIterator<Item = (Result<K, String>, Span, String)>,
    defines: impl Fn(&TemplateRefs, &K) -> Defines,
    find: impl Fn(&'a AccountState, &K) -> Lookup<T>,
    mut decide: impl FnMut(&mut Context<'a>, &Grouped<K>, Option<T>),
) {
    let mut named = Vec::new();
    let mut skipped = Vec::new();
    for (key, span, container) in uses {
        match key {
            Ok(k) => named.push((k, span, container)),
            Err(why) => skipped.push(format!("{what} of container `{container}`: {why}")),
        }
    }
    for why in skipped {
        cx.skip(&[rule], why);
    }
    let (template, state) = (cx.template, cx.state);
    for g in group(named) {
        match defines(&template.refs, &g.key) {
            Defines::Yes => continue,
            Defines::Maybe(why) => {
                cx.skip(&[rule], why);
                continue;
            }
            Defines::No => {}
        }
        match find(state, &g.key) {
            Lookup::Unknown(why) => cx.skip(&[rule], why),
            Lookup::Absent => decide(cx, &g, None),
            Lookup::Found(t) => decide(cx, &g, Some(t)),
        }
    }
}

/// One diagnostic per task definition and referenced thing: the first place is the primary
/// span, the others secondary labels.
pub struct Grouped<K> {
    pub key: K,
    pub at: Vec<(Span, String)>,
}

pub fn group<K: PartialEq>(items: impl IntoIterator<Item = (K, Span, String)>) -> Vec<Grouped<K>> {
    let mut out: Vec<Grouped<K>> = Vec::new();
    for (key, span, container) in items {
        match out.iter_mut().find(|g| g.key == key) {
            Some(g) => g.at.push((span, container)),
            None => out.push(Grouped {
                key,
                at: vec![(span, container)],
            }),
        }
    }
    out
}

/// Reports a grouped finding: primary span at the first use, labels at the others.
pub fn report_grouped<K>(
    cx: &mut Context,
    rule: &'static Rule,
    g: &Grouped<K>,
    message: String,
    label: &str,
    help: String,
) {
    let (span, container) = g.at[0].clone();
    let file = cx.file_id;
    let d = cx.report(rule, span, message);
    d.primary_label(label.to_string());
    d.container(container);
    for (s, c) in g.at.iter().skip(1) {
        d.label(file, *s, format!("also referenced here (container `{c}`)"));
    }
    d.help(help);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs() -> References {
        References {
            account: Some("111122223333".into()),
            region: Some("us-east-1".into()),
            partition: "aws".into(),
            secrets: Vec::new(),
            files: Vec::new(),
            logs: Vec::new(),
        }
    }

    #[test]
    fn secret_arns_with_stage_and_id() {
        let r = refs();
        let Named::Secret(s) = value_from(
            "arn:aws:secretsmanager:eu-west-1:444455556666:secret:db-AbCdEf:password:AWSPREVIOUS:0a1b",
            &r,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            s.id,
            "arn:aws:secretsmanager:eu-west-1:444455556666:secret:db-AbCdEf"
        );
        assert_eq!(s.stage.as_deref(), Some("AWSPREVIOUS"));
        assert_eq!(s.version_id.as_deref(), Some("0a1b"));
        assert_eq!(
            (s.account.as_str(), s.region.as_str()),
            ("444455556666", "eu-west-1")
        );
        let Named::Secret(s) = value_from(
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:db::",
            &r,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!((s.stage, s.version_id), (None, None));
        assert!(value_from("arn:aws:secretsmanager:us-east-1:1:secret:a:b:c:d:e", &r).is_err());
        assert!(value_from("arn:aws:secretsmanager:us-east-1:1:secret:", &r).is_err());
        assert!(value_from("arn:aws:s3:::b/k", &r).is_err());
    }

    #[test]
    fn parameters_by_name_and_arn() {
        let r = refs();
        let Named::Parameter(p) = value_from("/app/db:3", &r).unwrap() else {
            panic!()
        };
        assert_eq!(p.name, "/app/db");
        assert_eq!(p.selector.as_deref(), Some("3"));
        assert_eq!(p.arn, "arn:aws:ssm:us-east-1:111122223333:parameter/app/db");
        let Named::Parameter(p) =
            value_from("arn:aws:ssm:us-east-1:111122223333:parameter/app/db", &r).unwrap()
        else {
            panic!()
        };
        assert_eq!(p.name, "/app/db");
        let Named::Parameter(p) =
            value_from("arn:aws:ssm:us-east-1:111122223333:parameter/db:prod", &r).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (p.name.as_str(), p.selector.as_deref()),
            ("db", Some("prod"))
        );
        let Named::Secret(s) = value_from("/aws/reference/secretsmanager/db", &r).unwrap() else {
            panic!()
        };
        assert_eq!(s.id, "db");
        let mut unknown = refs();
        unknown.account = None;
        assert!(value_from("db", &unknown).is_err());
    }

    #[test]
    fn s3_objects_and_log_group_names() {
        assert_eq!(
            s3_object("arn:aws:s3:::bucket/dir/app.env").unwrap(),
            ("bucket".to_string(), "dir/app.env".to_string())
        );
        assert!(s3_object("arn:aws:s3:::bucket").is_err());
        assert!(s3_object("s3://bucket/key").is_err());
        assert!(log_group_name("/ecs/web#1").is_ok());
        assert!(log_group_name("/ecs/web app").is_err());
        assert!(log_group_name("").is_err());
        assert!(log_group_name(&"a".repeat(513)).is_err());
    }
}

// A `tests.rs` file: unit tests may name the rule codes they expect.
#[cfg(test)]
#[path = "hostile/tests.rs"]
mod hostile;
