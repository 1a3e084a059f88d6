//! May the execution role decrypt with a KMS key, as Secrets Manager or Parameter Store does it
//! on the role's behalf when the agent reads a secret (ROLE012).
//!
//! AWS KMS authorizes `kms:Decrypt` when no policy denies it explicitly and one of these
//! allows it (https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html):
//!
//! - the key policy allows the role (or its session) itself — the key policy is required:
//!   without a key policy statement that applies, IAM policies alone give no access
//!   (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html);
//! - the key policy allows the account principal (`arn:aws:iam::A:root`), which lets IAM
//!   policies grant access, and the role's identity policies (within its permissions boundary)
//!   allow it (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html);
//! - a grant names the role as grantee principal with `Decrypt` among its operations, and its
//!   encryption context constraints hold
//!   (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html).
//!
//! For a key of another account the key policy must allow the role or its account and the
//! role's own account must allow it too
//! (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
//!
//! The request context is what the service's call carries: `kms:ViaService`
//! (`secretsmanager.R.amazonaws.com` / `ssm.R.amazonaws.com`,
//! https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service),
//! the encryption context (`SecretARN` and `SecretVersionId` for Secrets Manager,
//! https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html;
//! `PARAMETER_ARN` for Parameter Store,
//! https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html). The
//! secret version the agent reads is not known, so `SecretVersionId` is unknown.

use std::collections::BTreeMap;

use super::eval::{self, Checked};
use super::facts::RoleView;
use crate::base::known::Tri;
use crate::iam::{Principal, RequestContext};
use crate::state::iam::{LoadedPolicy, RoleSource};
use crate::state::kms::{Grant, KeyEntry};
use crate::state::template::iam::TemplateIamIndex;

/// Which service decrypts, and the encryption context it sends.
pub struct Via {
    pub service: &'static str,
    pub region: String,
    /// Known encryption context pairs.
    pub context: BTreeMap<String, String>,
    /// Encryption context keys whose value is not known.
    pub unknown: Vec<String>,
}

impl Via {
    pub fn secrets_manager(region: &str, secret_arn: &str) -> Via {
        Via {
            service: "secretsmanager",
            region: region.to_string(),
            context: BTreeMap::from([("SecretARN".to_string(), secret_arn.to_string())]),
            unknown: vec!["SecretVersionId".to_string()],
        }
    }

    pub fn parameter_store(region: &str, parameter_arn: &str) -> Via {
        Via {
            service: "ssm",
            region: region.to_string(),
            context: BTreeMap::from([("PARAMETER_ARN".to_string(), parameter_arn.to_string())]),
            unknown: Vec::new(),
        }
    }

    pub fn via_service(&self) -> String {
        format!("{}.{}.amazonaws.com", self.service, self.region)
    }
}

/// The outcome of a decrypt.
pub enum Decrypt<'a> {
    Allowed,
    /// Refused; the check (for labels and the explicit deny) and what refused.
    Denied {
        checked: Checked<'a>,
        why: Refusal,
    },
    Unknown(Vec<String>, Vec<eval::Place>),
}

/// What refused a decrypt, for the message and the help.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    ExplicitDeny,
    /// The key policy names neither the role nor its account, and no grant applies.
    KeyPolicy,
    /// The key policy delegates to IAM, and the identity side does not allow it.
    Identity {
        boundary: bool,
        identity: bool,
    },
    /// A key of another account: the key policy grants, the role's own side does not.
    CrossAccountIdentity {
        boundary: bool,
        identity: bool,
    },
}

/// Decides `kms:Decrypt` with `key` for the role, through `via`. `base` is the role's request
/// context ([`eval::base_context`]), built once per task definition.
pub fn decrypt<'a>(
    view: &'a RoleView<'a>,
    base: &(Principal, RequestContext),
    key: &'a KeyEntry,
    via: &Via,
) -> Decrypt<'a> {
    let Some(policy) = &key.policy else {
        return Decrypt::Unknown(
            vec![format!(
                "the key policy of `{}` is not in the state (`kms.keys[].Policy`)",
                key.key_id
            )],
            Vec::new(),
        );
    };
    let principal = &base.0;
    let mut ctx = base.1.clone();
    ctx.set("aws:RequestedRegion", key.region.clone())
        .set("aws:ResourceAccount", key.account.clone())
        .set("aws:ViaAWSService", "true")
        .set("kms:ViaService", via.via_service())
        .set("kms:CallerAccount", view.account.clone());
    let mut keys: Vec<String> = via.context.keys().cloned().collect();
    keys.extend(via.unknown.iter().cloned());
    ctx.set_multi("kms:EncryptionContextKeys", keys);
    for (k, v) in &via.context {
        ctx.set(&format!("kms:EncryptionContext:{k}"), v.clone());
    }
    for k in &via.unknown {
        ctx.set_unknown(&format!("kms:EncryptionContext:{k}"));
    }
    let arn = if key.arn.is_empty() {
        format!(
            "arn:aws:kms:{}:{}:key/{}",
            key.region, key.account, key.key_id
        )
    } else {
        key.arn.clone()
    };
    let checked = eval::check(
        view,
        principal,
        &ctx,
        "kms:Decrypt",
        &arn,
        Some((key.account.clone(), Some(policy))),
    );
    let l = checked.eval.layers;
    let Some(r) = l.resource else {
        return Decrypt::Unknown(vec!["the key policy was not evaluated".into()], Vec::new());
    };
    let b = l.boundary_allows.unwrap_or(Tri::True);
    let identity = l.identity_allows.and(b);
    let by_policy = if l.cross_account {
        r.grants().and(identity)
    } else {
        // A statement naming the role is limited by its boundary; naming the session is not;
        // naming the account delegates to the identity policies.
        r.grants_session
            .or(r.grants_role.and(b))
            .or(r.grants_account.and(identity))
    };
    let by_grant = grants_allow(key.grants.as_deref(), &principal.role_arn, via);
    let allow = by_policy.or(by_grant);
    let deny = l.explicit_deny();
    if deny == Tri::True {
        return Decrypt::Denied {
            checked,
            why: Refusal::ExplicitDeny,
        };
    }
    if allow == Tri::False
        && view.entry.arn.is_none()
        && names_other_roles(policy, &view.account, &principal.role_arn)
    {
        return Decrypt::Unknown(
            vec![format!(
                "the key policy of `{}` names roles of account {} and the role's name is generated at deploy time",
                key.key_id, view.account
            )],
            Vec::new(),
        );
    }
    if allow == Tri::False {
        let boundary = l.boundary_allows == Some(Tri::False);
        let identity_refuses = l.identity_allows == Tri::False;
        let why = if l.cross_account && r.grants() == Tri::True {
            Refusal::CrossAccountIdentity {
                boundary,
                identity: identity_refuses,
            }
        } else if !l.cross_account && r.grants_account == Tri::True {
            Refusal::Identity {
                boundary,
                identity: identity_refuses,
            }
        } else {
            Refusal::KeyPolicy
        };
        return Decrypt::Denied { checked, why };
    }
    if allow == Tri::True && deny == Tri::False {
        return Decrypt::Allowed;
    }
    let (mut causes, places) = eval::undecided(&checked);
    if by_grant == Tri::Unknown && key.grants.is_none() {
        causes.push(match &key.defined_by {
            Some(id) => format!(
                "this template creates grants on `{id}` (`aws_kms_grant`) whose key, grantee, operations or constraints are known only after apply"
            ),
            None => format!(
                "the grants of `{}` are not in the state (`kms.keys[].Grants`)",
                key.key_id
            ),
        });
    }
    Decrypt::Unknown(causes, places)
}

/// Whether a grant lets `role_arn` decrypt with this encryption context. None: the grants are
/// not known.
fn grants_allow(grants: Option<&[Grant]>, role_arn: &str, via: &Via) -> Tri {
    let Some(grants) = grants else {
        return Tri::Unknown;
    };
    let mut out = Tri::False;
    for g in grants {
        let names_role = g.grantee_principal.as_deref() == Some(role_arn);
        let decrypts = g.operations.iter().flatten().any(|o| o == "Decrypt");
        if !names_role || !decrypts {
            continue;
        }
        out = out.or(constraints_hold(g, via));
        if out == Tri::True {
            break;
        }
    }
    out
}

/// A grant's encryption context constraints against the request's context
/// (https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html).
fn constraints_hold(g: &Grant, via: &Via) -> Tri {
    let Some(c) = &g.constraints else {
        return Tri::True;
    };
    let pair = |k: &str, v: &str| -> Tri {
        match via.context.get(k) {
            Some(have) => Tri::from_bool(have == v),
            None if via.unknown.iter().any(|u| u == k) => Tri::Unknown,
            None => Tri::False,
        }
    };
    let mut out = Tri::True;
    if let Some(subset) = &c.encryption_context_subset {
        for (k, v) in subset {
            out = out.and(pair(k, v));
        }
    }
    if let Some(equals) = &c.encryption_context_equals {
        let all_keys = via.context.len() + via.unknown.len();
        if equals.len() != all_keys {
            return Tri::False;
        }
        for (k, v) in equals {
            out = out.and(pair(k, v));
        }
    }
    out
}

/// The key policy statement that lets the role decrypt through the service, for help texts.
pub fn key_policy_statement(role_arn: &str, via: &Via) -> String {
    key_policy_statement_json(&format!("\"{role_arn}\""), via)
}

/// [`key_policy_statement`] with the principal given as JSON (a string, or a template
/// expression such as `{"Fn::GetAtt": ["ExecRole", "Arn"]}`).
pub fn key_policy_statement_json(principal: &str, via: &Via) -> String {
    format!(
        "{{\"Sid\": \"AllowEcsExecutionRoleDecrypt\", \"Effect\": \"Allow\", \"Principal\": {{\"AWS\": {principal}}}, \"Action\": \"kms:Decrypt\", \"Resource\": \"*\", \"Condition\": {{\"StringEquals\": {{\"kms:ViaService\": \"{}\"}}}}}}",
        via.via_service()
    )
}

/// The execution role as a key policy principal in a help text: its ARN, or for a role of the
/// template whose name is generated, the template expression that gives it.
pub fn principal_for_help(view: &RoleView) -> String {
    match (&view.entry.arn, &view.entry.source) {
        (Some(arn), _) => format!("\"{arn}\""),
        (None, RoleSource::Template(id)) if id.contains('.') => format!("\"${{{id}.arn}}\""),
        (None, RoleSource::Template(id)) => format!("{{\"Fn::GetAtt\": [\"{id}\", \"Arn\"]}}"),
        (None, RoleSource::StateFile) => "\"ROLE_ARN\"".to_string(),
    }
}

/// The request context for a key (or bucket) the template creates: for a role of the template
/// whose name is generated, the principal is the stand-in ARN that the template's resource
/// policies use for `!GetAtt Role.Arn` ([`TemplateIamIndex::generated_role_arn`]), so a
/// statement naming that role matches it and one naming another role does not.
pub fn template_principal(
    view: &RoleView,
    base: &(Principal, RequestContext),
    template: &TemplateIamIndex,
) -> (Principal, RequestContext) {
    let mut out = base.clone();
    if let RoleSource::Template(id) = &view.entry.source
        && let Some(arn) = template.generated_role_arn(id)
    {
        out.0.role_arn = arn;
    }
    out
}

/// Whether a resource policy names roles of `account` other than `principal_arn`: a role whose
/// name is generated at deploy time may be one of them, so a refusal is not certain.
pub fn names_other_roles(policy: &LoadedPolicy, account: &str, principal_arn: &str) -> bool {
    let needle = format!(":iam::{account}:role/");
    policy
        .mentions()
        .iter()
        // Another role of the template with a generated name is certainly another role.
        .any(|m| m.contains(&needle) && m != principal_arn && !m.contains("(generated:"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::kms::GrantConstraints;

    fn grant(constraints: Option<GrantConstraints>) -> Grant {
        Grant {
            grantee_principal: Some("arn:aws:iam::111122223333:role/exec".into()),
            operations: Some(vec!["Decrypt".into()]),
            constraints,
            ..Grant::default()
        }
    }

    #[test]
    fn grant_constraints_against_the_encryption_context() {
        let role = "arn:aws:iam::111122223333:role/exec";
        let sm = Via::secrets_manager("us-east-1", "arn:s");
        assert_eq!(grants_allow(Some(&[grant(None)]), role, &sm), Tri::True);
        assert_eq!(
            grants_allow(Some(&[grant(None)]), "arn:other", &sm),
            Tri::False
        );
        assert_eq!(grants_allow(None, role, &sm), Tri::Unknown);
        let subset = |k: &str, v: &str| GrantConstraints {
            encryption_context_subset: Some(BTreeMap::from([(k.to_string(), v.to_string())])),
            encryption_context_equals: None,
        };
        assert_eq!(
            grants_allow(
                Some(&[grant(Some(subset("SecretARN", "arn:s")))]),
                role,
                &sm
            ),
            Tri::True
        );
        assert_eq!(
            grants_allow(
                Some(&[grant(Some(subset("SecretARN", "arn:t")))]),
                role,
                &sm
            ),
            Tri::False
        );
        assert_eq!(
            grants_allow(
                Some(&[grant(Some(subset("SecretVersionId", "v1")))]),
                role,
                &sm
            ),
            Tri::Unknown
        );
        let ssm = Via::parameter_store("us-east-1", "arn:p");
        let equals = GrantConstraints {
            encryption_context_subset: None,
            encryption_context_equals: Some(BTreeMap::from([(
                "PARAMETER_ARN".to_string(),
                "arn:p".to_string(),
            )])),
        };
        assert_eq!(
            grants_allow(Some(&[grant(Some(equals))]), role, &ssm),
            Tri::True
        );
        let statement = key_policy_statement(role, &ssm);
        let v: serde_json::Value = serde_json::from_str(&statement).unwrap();
        assert_eq!(
            v["Condition"]["StringEquals"]["kms:ViaService"],
            "ssm.us-east-1.amazonaws.com"
        );
    }
}
