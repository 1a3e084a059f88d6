//! ROLE012: a secret or `SecureString` parameter the task reads is encrypted with a customer
//! managed KMS key that the execution role may not decrypt with (see [`super::kms`] for how
//! the decision is made). One diagnostic per task definition, secret and key, at the first
//! `valueFrom` that names the secret.

use super::eval::{self, Place, Undetermined, add_labels, denial, statement_json};
use super::facts::{Facts, RoleView};
use super::kms::{self, Decrypt, Refusal, Via};
use crate::base::known::Lookup;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::taskdef::field;
use crate::parse::{Node, NodeKind};
use crate::rules::refs::{self, Named, References, group};
use crate::rules::{Context, Needs, Rule};
use crate::span::Span;
use crate::state::kms::{KeyEntry, KeyRef};
use crate::state::part::StatePart;
use crate::state::template::iam::TemplateIamIndex;
use crate::state::template::kms::{self as template_kms, KeyTarget};
use crate::state::template::refs::Defines;

pub static RULE: Rule = Rule {
    code: "ROLE012",
    name: "kms-decrypt-denied",
    severity: Severity::Error,
    summary: "The execution role may not decrypt a secret's customer managed KMS key",
    needs: Needs::Iam,
    reads: &[
        StatePart::Iam,
        StatePart::Secrets,
        StatePart::Parameters,
        StatePart::KmsKeys,
    ],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

/// What a reference resolves to: the thing that is encrypted, its key and the service.
struct Encrypted {
    what: String,
    key: KeyOf,
    via: Via,
    key_account: String,
    key_region: String,
}

enum KeyOf {
    /// A key this template creates (index into the template's keys).
    Template(usize),
    /// A key ID, ARN or alias, looked up in the state.
    Named(String),
}

/// What a `valueFrom` names: a secret or parameter by name or ARN, or a secret or parameter
/// resource of this template (`Ref`, a Terraform reference).
#[derive(Clone, PartialEq)]
enum Source {
    Named(Named),
    Resource(String),
}

pub(super) fn check(
    task: &TaskDefinition,
    cx: &mut Context,
    _facts: &Facts,
    view: &RoleView,
    und: &mut Undetermined,
) {
    if !cx.is_enabled(&RULE) {
        return;
    }
    let refs = refs::references(task, cx);
    let template: &TemplateIamIndex = cx.template.iam.get(cx.document, cx.file, cx.settings);
    let mut named: Vec<_> = refs
        .secrets
        .iter()
        .filter_map(|u| {
            u.named
                .as_ref()
                .ok()
                .map(|n| (Source::Named(n.clone()), u.span, u.container.clone()))
        })
        .collect();
    named.extend(own_references(cx, template));
    let base = eval::base_context(view);
    // The template's key and bucket policies name a template role whose name is generated
    // through a stand-in ARN; the principal carries the same one.
    let template_base = kms::template_principal(view, &base, template);
    for g in group(named) {
        let target = match encrypted(cx, template, &refs, &g.key) {
            Ok(Some(t)) => t,
            Ok(None) => continue,
            Err(why) => {
                cx.skip(&[&RULE], why);
                continue;
            }
        };
        let key: &KeyEntry = match &target.key {
            KeyOf::Template(i) => template.kms.key(*i),
            KeyOf::Named(id) => {
                if let Defines::Maybe(why) = alias_of_template(cx, id) {
                    cx.skip(
                        &[&RULE],
                        format!("{} is encrypted with `{id}`: {why}", target.what),
                    );
                    continue;
                }
                match cx
                    .state
                    .kms
                    .resolve(&target.key_account, &target.key_region, id)
                {
                    Lookup::Found(KeyRef::Key(k)) => match template.kms.replaces_policy_of(k) {
                        None => k,
                        Some(why) => {
                            cx.skip(&[&RULE], format!("{}: {why}", target.what));
                            continue;
                        }
                    },
                    // An AWS managed key lets every principal of the account use it through the
                    // service.
                    Lookup::Found(KeyRef::AwsManagedAlias(_)) => continue,
                    Lookup::Absent => {
                        cx.skip(
                            &[&RULE],
                            format!(
                                "{} is encrypted with `{id}`, an alias the state's `kms.aliases` does not list",
                                target.what
                            ),
                        );
                        continue;
                    }
                    Lookup::Unknown(why) => {
                        cx.skip(&[&RULE], format!("{}: {why}", target.what));
                        continue;
                    }
                }
            }
        };
        let base = if key.defined_by.is_some() {
            &template_base
        } else {
            &base
        };
        if key.aws_managed() {
            continue;
        }
        let (span, container) = g.at[0].clone();
        let also: Vec<Place> =
            g.at.iter()
                .skip(1)
                .map(|(s, c)| Place::here(*s, format!("also read here (container `{c}`)")))
                .collect();
        if let Some(state) = key
            .metadata
            .key_state
            .as_deref()
            .filter(|s| *s != "Enabled")
        {
            let d = cx.report(
                &RULE,
                span,
                format!(
                    "{} is encrypted with the KMS key `{}`, whose state is `{state}`: no one can decrypt with it",
                    target.what, key.key_id
                ),
            );
            d.primary_label("its key cannot decrypt");
            d.container(container);
            add_labels(d, &also);
            d.help(match (state, &key.defined_by) {
                (_, Some(id)) if id.contains('.') => {
                    format!("enable the key where this template creates it: `is_enabled = true` on `{id}`")
                }
                (_, Some(id)) => format!(
                    "enable the key where this template creates it: `Enabled: true` on `{id}`"
                ),
                ("PendingDeletion", None) => format!(
                    "cancel the key's deletion and enable it: `aws kms cancel-key-deletion --key-id {0} --region {1}` then `aws kms enable-key --key-id {0} --region {1}`",
                    key.key_id, key.region
                ),
                (_, None) => format!(
                    "enable the key: `aws kms enable-key --key-id {} --region {}`",
                    key.key_id, key.region
                ),
            });
            continue;
        }
        match kms::decrypt(view, base, key, &target.via) {
            Decrypt::Allowed => {}
            Decrypt::Unknown(causes, places) => und.add(
                span,
                &target.what,
                format!("`kms:Decrypt` with `{}`", key.key_id),
                causes,
                places,
            ),
            Decrypt::Denied { checked, why } => {
                let role_arn = view.entry.arn.clone().unwrap_or_default();
                let (reason, mut places) = match why {
                    Refusal::ExplicitDeny => denial(&checked, "`kms:Decrypt`"),
                    Refusal::KeyPolicy => (
                        format!(
                            "the key policy of `{}` allows neither the role nor its account (which would let IAM policies grant it), and {}",
                            key.key_id,
                            match key.defined_by {
                                Some(_) => "this template creates no grant that names the role",
                                None => "no grant names the role",
                            }
                        ),
                        Vec::new(),
                    ),
                    Refusal::Identity { .. } | Refusal::CrossAccountIdentity { .. } => {
                        let (text, places) = denial(&checked, "`kms:Decrypt`");
                        (
                            format!(
                                "the key policy of `{}` lets IAM policies grant it, but {text}",
                                key.key_id
                            ),
                            places,
                        )
                    }
                };
                places.extend(also);
                let key_arn = if key.arn.is_empty() {
                    key.key_id.clone()
                } else {
                    key.arn.clone()
                };
                let help = match (&why, &key.defined_by) {
                    (Refusal::ExplicitDeny, _) => format!(
                        "an explicit Deny wins over any Allow: change the statement that denies `kms:Decrypt` so that it no longer matches this role and key (through {})",
                        target.via.via_service()
                    ),
                    (Refusal::KeyPolicy, Some(id)) => format!(
                        "add this statement to the key policy of `{id}` in this template (`KeyPolicy`, or `policy` in Terraform): {}",
                        kms::key_policy_statement_json(&kms::principal_for_help(view), &target.via)
                    ),
                    (_, Some(id)) => format!(
                        "allow `kms:Decrypt` on the key `{id}` in the execution role's policies (its ARN: `{}`), e.g. with the condition `\"kms:ViaService\": \"{}\"`",
                        if id.contains('.') {
                            format!("{id}.arn")
                        } else {
                            format!("!GetAtt {id}.Arn")
                        },
                        target.via.via_service()
                    ),
                    _ => match why {
                        Refusal::ExplicitDeny => format!(
                            "an explicit Deny wins over any Allow: change the statement that denies `kms:Decrypt` so that it no longer matches this role and key (through {})",
                            target.via.via_service()
                        ),
                        Refusal::KeyPolicy => format!(
                            "add this statement to the key policy of `{}`: {} (a key policy is replaced whole: save the current one with `aws kms get-key-policy --key-id {} --policy-name default --region {} --output text > key-policy.json`, add the statement to its `Statement` list, then `aws kms put-key-policy --key-id {} --policy-name default --policy file://key-policy.json --region {}`)",
                            key.key_id,
                            kms::key_policy_statement(&role_arn, &target.via),
                            key.key_id,
                            key.region,
                            key.key_id,
                            key.region
                        ),
                        Refusal::Identity { .. } | Refusal::CrossAccountIdentity { .. } => {
                            let statement =
                                statement_json("DecryptTaskSecrets", &["kms:Decrypt"], &[key_arn]);
                            eval::remedy_help(
                                eval::Remedy::of(&checked.eval),
                                view,
                                &statement,
                                &eval::policy_name("kms-decrypt", &key.key_id),
                            )
                        }
                    },
                };
                let d = cx.report(
                    &RULE,
                    span,
                    format!(
                        "execution role `{}` may not decrypt {} with the KMS key `{}` (`kms:Decrypt` through {}): {reason}",
                        view.label(),
                        target.what,
                        key.key_id,
                        target.via.via_service()
                    ),
                );
                d.primary_label(format!("decrypted with execution role `{}`", view.label()));
                d.container(container);
                add_labels(d, &places);
                d.help(help);
            }
        }
    }
}

/// The key a reference's secret or parameter is encrypted with: None when nothing needs
/// checking (not found — REF001/REF002 —, a plain parameter, an AWS managed key). A secret or
/// parameter the template creates is the template's (the template wins for what it defines:
/// it is what the deploy applies); one whose name the template leaves to deploy time keeps a
/// lookup by name unknown.
fn encrypted(
    cx: &Context,
    template: &TemplateIamIndex,
    refs: &References,
    source: &Source,
) -> Result<Option<Encrypted>, String> {
    let named = match source {
        Source::Resource(id) => {
            return match template.kms.secret_by_resource(id) {
                Some(e) => template_encrypted(template, refs, e, true),
                None => match template.kms.parameter_by_resource(id) {
                    Some(e) => template_encrypted(template, refs, e, false),
                    None => Ok(None),
                },
            };
        }
        Source::Named(n) => n,
    };
    match named {
        Named::Secret(s) => {
            let name = match s.id.strip_prefix("arn:") {
                Some(_) => crate::model::arn::Arn::parse(&s.id)
                    .and_then(|a| a.resource_of("secret"))
                    .unwrap_or(""),
                None => s.id.as_str(),
            };
            // The template's resources are in the deployment account and region (when that
            // is not known, they may be the ones named).
            let here = template.account.as_ref().is_none_or(|a| *a == s.account)
                && template.region.as_ref().is_none_or(|r| *r == s.region);
            match cx.template.refs.secret(&s.id) {
                _ if !here => {}
                Defines::Yes => {
                    return match template.kms.secret_by_name(name) {
                        Some(e) => template_encrypted(template, refs, e, true),
                        None => Ok(None),
                    };
                }
                Defines::Maybe(why) => {
                    return Err(format!(
                        "the key of the secret `{}` is not known: {why}",
                        s.id
                    ));
                }
                Defines::No => {}
            }
            let secret = match cx.state.secrets.find(&s.account, &s.region, &s.id) {
                Lookup::Found(secret) => secret,
                Lookup::Absent => return Ok(None),
                Lookup::Unknown(why) => {
                    return Err(format!(
                        "the key of the secret `{}` is not known: {why}",
                        s.id
                    ));
                }
            };
            // Without `KmsKeyId` the secret uses the AWS managed key `aws/secretsmanager`.
            let Some(key_id) = secret.kms_key_id.clone() else {
                return Ok(None);
            };
            let arn = secret.arn.clone().unwrap_or_else(|| s.id.clone());
            Ok(Some(Encrypted {
                what: format!("the secret `{}`", secret.name.as_deref().unwrap_or(&s.id)),
                key: KeyOf::Named(key_id),
                via: Via::secrets_manager(&s.region, &arn),
                key_account: s.account.clone(),
                key_region: s.region.clone(),
            }))
        }
        Named::Parameter(p) => {
            let here = template.account.as_ref().is_none_or(|a| *a == p.account)
                && template.region.as_ref().is_none_or(|r| *r == p.region);
            match cx.template.refs.parameter(&p.name) {
                _ if !here => {}
                Defines::Yes => {
                    return match template.kms.parameter_by_name(&p.name) {
                        Some(e) => template_encrypted(template, refs, e, false),
                        None => Ok(None),
                    };
                }
                Defines::Maybe(why) => {
                    return Err(format!(
                        "the key of the parameter `{}` is not known: {why}",
                        p.name
                    ));
                }
                Defines::No => {}
            }
            let param = match cx.state.parameters.find(&p.account, &p.region, &p.name) {
                Lookup::Found(param) => param,
                Lookup::Absent => return Ok(None),
                Lookup::Unknown(why) => {
                    return Err(format!(
                        "the key of the parameter `{}` is not known: {why}",
                        p.name
                    ));
                }
            };
            if param.kind.as_deref() != Some("SecureString") {
                return Ok(None);
            }
            let Some(key_id) = param.key_id.clone() else {
                return Ok(None);
            };
            let arn = param.arn.clone().unwrap_or_else(|| p.arn.clone());
            Ok(Some(Encrypted {
                what: format!("the SecureString parameter `{}`", p.name),
                key: KeyOf::Named(key_id),
                via: Via::parameter_store(&p.region, &arn),
                key_account: p.account.clone(),
                key_region: p.region.clone(),
            }))
        }
    }
}

/// A secret or parameter the template creates: in the deployment account and region, with
/// the key the template gives it.
fn template_encrypted(
    template: &TemplateIamIndex,
    refs: &References,
    e: &template_kms::Encrypted,
    secret: bool,
) -> Result<Option<Encrypted>, String> {
    if !e.secure {
        return Ok(None);
    }
    let label = e.name.as_deref().unwrap_or(&e.resource);
    let what = if secret {
        format!("the secret `{label}`")
    } else {
        format!("the SecureString parameter `{label}`")
    };
    let key = match &e.key {
        KeyTarget::AwsManaged => return Ok(None),
        KeyTarget::Template(i) => KeyOf::Template(*i),
        KeyTarget::Named(k) => KeyOf::Named(k.clone()),
        KeyTarget::Unknown(why) => return Err(format!("{what}: {why}")),
    };
    let (Some(account), Some(region)) = (template.account.clone(), template.region.clone()) else {
        return Err(format!(
            "{what} is created by this template, and the deployment account or region is not known (pass --account and --region)"
        ));
    };
    let via = if secret {
        // The secret's ARN ends with a suffix generated at creation: the encryption context's
        // `SecretARN` is not known before deploy.
        Via {
            service: "secretsmanager",
            region: region.clone(),
            context: Default::default(),
            unknown: vec!["SecretARN".to_string(), "SecretVersionId".to_string()],
        }
    } else {
        match &e.name {
            Some(name) => Via::parameter_store(
                &region,
                &format!(
                    "arn:{}:ssm:{region}:{account}:parameter/{}",
                    refs.partition,
                    name.trim_start_matches('/')
                ),
            ),
            None => Via {
                service: "ssm",
                region: region.clone(),
                context: Default::default(),
                unknown: vec!["PARAMETER_ARN".to_string()],
            },
        }
    };
    Ok(Some(Encrypted {
        what,
        key,
        via,
        key_account: account,
        key_region: region,
    }))
}

/// Whether an alias the state would be asked about may be one this template creates with a
/// name known only at deploy time.
fn alias_of_template(cx: &Context, key: &str) -> Defines {
    let alias = match key.strip_prefix("arn:") {
        Some(_) => crate::model::arn::Arn::parse(key)
            .map(|a| a.resource)
            .filter(|r| r.starts_with("alias/")),
        None => Some(key).filter(|k| k.starts_with("alias/")),
    };
    match alias {
        Some(a) if !a.starts_with("alias/aws/") => {
            cx.template.refs.aliases.defines(a, |x, y| x == y)
        }
        _ => Defines::No,
    }
}

/// `valueFrom` / `credentialsParameter` values that refer to a secret or parameter resource of
/// this template (`Ref`, a Terraform reference): the shared references leave them out (they
/// exist after the deploy, whatever their names), but their keys still matter.
fn own_references(cx: &Context, template: &TemplateIamIndex) -> Vec<(Source, Span, String)> {
    let mut out = Vec::new();
    for f in &cx.containers {
        let c = &f.container;
        let mut nodes: Vec<&Node> = Vec::new();
        for item in c.get("secrets").map(Node::items).unwrap_or(&[]) {
            nodes.extend(field(item, c.style, "valueFrom"));
        }
        let options = c
            .get("logConfiguration")
            .and_then(|lc| field(lc, c.style, "secretOptions"));
        for item in options.map(Node::items).unwrap_or(&[]) {
            nodes.extend(field(item, c.style, "valueFrom"));
        }
        nodes.extend(
            c.get("repositoryCredentials")
                .and_then(|rc| field(rc, c.style, "credentialsParameter")),
        );
        for n in nodes {
            let NodeKind::ResourceRef { id, .. } = &n.kind else {
                continue;
            };
            let ours = template.kms.secret_by_resource(id).is_some()
                || template.kms.parameter_by_resource(id).is_some();
            if ours {
                out.push((Source::Resource(id.clone()), n.span, c.label()));
            }
        }
    }
    out
}
