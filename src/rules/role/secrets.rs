//! Secrets the execution role reads (docs/iam.md#secrets-and-logs): Secrets Manager secrets
//! (`secretsmanager:GetSecretValue`, on the ARN without its `:json-key:version-stage:version-id`
//! suffix) and SSM parameters (`ssm:GetParameters`, a name meaning a parameter of the task's
//! region and account). Shared by ROLE007 and ROLE009.

use super::eval::{self, Checked, Place};
use super::facts::{Facts, Pol, RoleView};
use crate::iam::Decision;
use crate::model::arn::{Arn, SecretReference};

/// What a `valueFrom` / `credentialsParameter` names.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretRef {
    pub action: &'static str,
    /// The resource ARN the request is authorized against (for a partial Secrets Manager ARN,
    /// without the random suffix).
    pub arn: String,
    pub account: String,
    pub region: String,
    /// A Secrets Manager ARN without its `-XXXXXX` suffix (or a secret given by name).
    pub partial: bool,
    /// An SSM parameter that references a Secrets Manager secret.
    pub references_secret: bool,
}

pub const GET_SECRET: &str = "secretsmanager:GetSecretValue";
pub const GET_PARAMETERS: &str = "ssm:GetParameters";

/// `secrets[].valueFrom` / `secretOptions[].valueFrom`: a Secrets Manager ARN, an SSM
/// parameter ARN, or an SSM parameter name (same region and account as the task).
pub fn value_from(text: &str, facts: &Facts) -> Result<SecretRef, String> {
    if text.starts_with("arn:") {
        let Some(arn) = Arn::parse(text) else {
            return Err(format!("`{text}` is not a complete ARN"));
        };
        let (region, account) = (arn.region.to_string(), arn.account.to_string());
        match arn.service {
            "secretsmanager" => secrets_manager_arn(text),
            "ssm" => {
                let name = arn.resource;
                Ok(SecretRef {
                    action: GET_PARAMETERS,
                    arn: text.to_string(),
                    account,
                    region,
                    partial: false,
                    references_secret: name.starts_with("parameter/aws/reference/secretsmanager/"),
                })
            }
            other => Err(format!(
                "`{text}` is an ARN of `{other}`, not of Secrets Manager or SSM Parameter Store"
            )),
        }
    } else {
        let (Some(region), Some(account)) = (&facts.region, &facts.account) else {
            return Err(format!(
                "the SSM parameter `{text}` is named without an ARN and the deployment region or account is not known"
            ));
        };
        let name = text.strip_prefix('/').unwrap_or(text);
        let partition = &facts.partition;
        Ok(SecretRef {
            action: GET_PARAMETERS,
            arn: format!("arn:{partition}:ssm:{region}:{account}:parameter/{name}"),
            account: account.clone(),
            region: region.clone(),
            partial: false,
            references_secret: name.starts_with("aws/reference/secretsmanager/"),
        })
    }
}

/// `repositoryCredentials.credentialsParameter`: a Secrets Manager ARN, or a secret name of
/// the task's region and account.
pub fn credentials_parameter(text: &str, facts: &Facts) -> Result<SecretRef, String> {
    if text.starts_with("arn:") {
        return secrets_manager_arn(text);
    }
    let (Some(region), Some(account)) = (&facts.region, &facts.account) else {
        return Err(format!(
            "the secret `{text}` is named without an ARN and the deployment region or account is not known"
        ));
    };
    Ok(SecretRef {
        action: GET_SECRET,
        arn: format!(
            "arn:{}:secretsmanager:{region}:{account}:secret:{text}",
            facts.partition
        ),
        account: account.clone(),
        region: region.clone(),
        partial: true,
        references_secret: false,
    })
}

fn secrets_manager_arn(text: &str) -> Result<SecretRef, String> {
    let r = SecretReference::parse(text)
        .ok_or_else(|| format!("`{text}` is not a Secrets Manager secret ARN"))?;
    let name = r.name;
    // The ARN of a secret ends in `-` and six random characters.
    let full = name.len() > 7
        && name.as_bytes()[name.len() - 7] == b'-'
        && name[name.len() - 6..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric());
    Ok(SecretRef {
        action: GET_SECRET,
        arn: r.secret_arn.to_string(),
        account: r.arn.account.to_string(),
        region: r.arn.region.to_string(),
        partial: !full,
        references_secret: false,
    })
}

/// The outcome of reading one secret.
pub enum SecretOutcome<'a> {
    Allowed,
    Denied(Checked<'a>),
    Unknown {
        causes: Vec<String>,
        places: Vec<Place>,
    },
}

/// Evaluates the read on the caller's side (the secret's resource policy is not in the state
/// format). A partial Secrets Manager ARN is evaluated with every suffix the role's policies
/// name and one they do not: it is decided only if all agree.
pub fn evaluate<'a>(view: &'a RoleView<'a>, r: &SecretRef) -> SecretOutcome<'a> {
    let (principal, mut ctx) = eval::base_context(view);
    ctx.set("aws:RequestedRegion", r.region.clone())
        .set("aws:ResourceAccount", r.account.clone());
    let resources: Vec<String> = if r.partial {
        let prefix = format!("{}-", r.arn);
        let mut suffixes: Vec<String> = view
            .identity
            .iter()
            .chain(view.boundary.iter())
            .filter_map(Pol::loaded)
            .flat_map(|p| p.mentions().iter())
            .filter_map(|m| m.strip_prefix(&prefix))
            .map(|s| s.split(':').next().unwrap_or(s).to_string())
            .filter(|s| s.len() == 6 && !s.contains(['*', '?', '$']))
            .collect();
        suffixes.sort();
        suffixes.dedup();
        // A suffix no policy names stands for all the others.
        let generic = ["Zq3xW7", "Yp2vV6"]
            .into_iter()
            .find(|g| !suffixes.iter().any(|s| s == g))
            .unwrap_or("Xo1uU5");
        let mut all = vec![format!("{prefix}{generic}")];
        all.extend(suffixes.into_iter().map(|s| format!("{prefix}{s}")));
        all
    } else {
        vec![r.arn.clone()]
    };
    let checks: Vec<Checked> = resources
        .iter()
        .map(|res| eval::check(view, &principal, &ctx, r.action, res, None))
        .collect();
    let denied = |c: &Checked| {
        matches!(
            c.eval.decision,
            Decision::ExplicitDeny | Decision::ImplicitDeny
        )
    };
    let first = &checks[0];
    let agree = checks
        .iter()
        .all(|c| c.eval.decision == first.eval.decision || (denied(c) && denied(first)));
    if !agree {
        return SecretOutcome::Unknown {
            causes: vec![format!(
                "`{}` names the secret without its random suffix, and the role's policies name some suffixes of it: which statements apply depends on the secret's full ARN",
                r.arn
            )],
            places: Vec::new(),
        };
    }
    match first.eval.decision {
        Decision::Allowed => SecretOutcome::Allowed,
        Decision::Unknown => {
            let (causes, places) = eval::undecided(first);
            SecretOutcome::Unknown { causes, places }
        }
        _ => SecretOutcome::Denied(checks.into_iter().next().expect("one check at least")),
    }
}

/// One full ARN the secret may have (for a partial ARN, with a made-up suffix).
pub fn representative(r: &SecretRef) -> String {
    if r.partial {
        format!("{}-Zq3xW7", r.arn)
    } else {
        r.arn.clone()
    }
}

/// The resource to put in the help's statement: a partial ARN needs the suffix wildcard.
pub fn help_resource(r: &SecretRef) -> String {
    if r.partial {
        format!("{}-*", r.arn)
    } else {
        r.arn.clone()
    }
}

/// What names the secret in a suggested inline policy name: the secret's or parameter's name,
/// with its account and region in front when they are not the role's account and the task's
/// region (so that fixes for two secrets never share a policy name).
pub fn policy_name_part(r: &SecretRef, account: &str, region: Option<&str>) -> String {
    let name = match r.action {
        GET_SECRET => Arn::parse(&r.arn)
            .and_then(|a| a.resource_of("secret"))
            .unwrap_or(&r.arn),
        _ => r.arn.split_once(":parameter").map_or(&*r.arn, |(_, n)| n),
    };
    if r.account == account && Some(r.region.as_str()) == region {
        name.to_string()
    } else {
        format!("{}-{}-{name}", r.account, r.region)
    }
}
