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
use crate::rules::refs::{self, Named, group};
use crate::rules::{Context, Needs, Rule};
use crate::state::kms::KeyRef;
use crate::state::part::StatePart;

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
    key_id: String,
    via: Via,
    key_account: String,
    key_region: String,
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
    let named: Vec<_> = refs
        .secrets
        .iter()
        .filter_map(|u| {
            u.named
                .as_ref()
                .ok()
                .map(|n| (n.clone(), u.span, u.container.clone()))
        })
        .collect();
    let base = eval::base_context(view);
    for g in group(named) {
        let target = match encrypted(cx, &g.key) {
            Ok(Some(t)) => t,
            Ok(None) => continue,
            Err(why) => {
                cx.skip(&[&RULE], why);
                continue;
            }
        };
        let key = match cx.state.kms.resolve(
            &target.key_account,
            &target.key_region,
            &target.key_id,
        ) {
            Lookup::Found(KeyRef::Key(k)) => k,
            // An AWS managed key lets every principal of the account use it through the service.
            Lookup::Found(KeyRef::AwsManagedAlias(_)) => continue,
            Lookup::Absent => {
                cx.skip(
                    &[&RULE],
                    format!(
                        "{} is encrypted with `{}`, an alias the state's `kms.aliases` does not list",
                        target.what, target.key_id
                    ),
                );
                continue;
            }
            Lookup::Unknown(why) => {
                cx.skip(&[&RULE], format!("{}: {why}", target.what));
                continue;
            }
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
            d.help(match state {
                "PendingDeletion" => format!(
                    "cancel the key's deletion and enable it: `aws kms cancel-key-deletion --key-id {0} --region {1}` then `aws kms enable-key --key-id {0} --region {1}`",
                    key.key_id, key.region
                ),
                _ => format!(
                    "enable the key: `aws kms enable-key --key-id {} --region {}`",
                    key.key_id, key.region
                ),
            });
            continue;
        }
        match kms::decrypt(view, &base, key, &target.via) {
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
                            "the key policy of `{}` allows neither the role nor its account (which would let IAM policies grant it), and no grant names the role",
                            key.key_id
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
                let help = match why {
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
/// checking (not found — REF001/REF002 —, a plain parameter, an AWS managed key).
fn encrypted(cx: &Context, named: &Named) -> Result<Option<Encrypted>, String> {
    match named {
        Named::Secret(s) => {
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
                key_id,
                via: Via::secrets_manager(&s.region, &arn),
                key_account: s.account.clone(),
                key_region: s.region.clone(),
            }))
        }
        Named::Parameter(p) => {
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
                key_id,
                via: Via::parameter_store(&p.region, &arn),
                key_account: p.account.clone(),
                key_region: p.region.clone(),
            }))
        }
    }
}
