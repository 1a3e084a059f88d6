//! ROLE007: the execution role cannot read a secret the containers use (`secrets[].valueFrom`,
//! `logConfiguration.secretOptions[].valueFrom`; docs/iam.md#secrets-and-logs). One diagnostic
//! per task definition and secret, at the first `valueFrom` that names it.

use super::eval::{self, Place, Undetermined, add_labels, denial, statement_json};
use super::facts::{Facts, RoleView};
use super::secrets::{self, GET_SECRET, SecretOutcome, SecretRef};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::placeholder::placeholder;
use crate::model::taskdef::field;
use crate::parse::{Node, NodeKind};
use crate::rules::{Context, Needs, Rule};
use crate::span::Span;
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ROLE007",
    name: "secrets-access-denied",
    severity: Severity::Error,
    summary: "The execution role cannot read a secret the containers use",
    needs: Needs::Iam,
    reads: &[StatePart::Iam],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

/// One secret, with every place that names it.
struct Use {
    r: SecretRef,
    /// (span of the valueFrom, container)
    at: Vec<(Span, String)>,
}

/// The text a secret reference resolves to, or why it is not known.
pub(super) fn reference_text(node: &Node, facts: &Facts) -> Result<String, String> {
    match &node.kind {
        NodeKind::String(s) => match placeholder(s) {
            Some(why) => Err(format!("`{s}` is a placeholder: {why}")),
            None => Ok(s.clone()),
        },
        NodeKind::ResourceRef { id, attribute } => facts
            .template
            .resolve_ref(id, attribute.as_deref())
            .ok_or_else(|| format!("it comes from the resource `{id}`, known only at deploy time")),
        NodeKind::Unresolved(why) => Err(format!("it is known only at deploy time: {why}")),
        _ => Err(format!("it is {}, not a string", node.type_name())),
    }
}

pub(super) fn check(
    _task: &TaskDefinition,
    cx: &mut Context,
    facts: &Facts,
    view: &RoleView,
    und: &mut Undetermined,
) {
    let mut uses: Vec<Use> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for f in &cx.containers {
        let c = &f.container;
        let name = c.label();
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
        for node in nodes {
            let refs = match reference_text(node, facts).and_then(|t| {
                let r = secrets::value_from(&t, facts)?;
                let mut refs = vec![r.clone()];
                if r.references_secret {
                    // `/aws/reference/secretsmanager/NAME`: the secret is read as well.
                    let secret = t
                        .rsplit("aws/reference/secretsmanager/")
                        .next()
                        .unwrap_or("");
                    refs.push(secrets::credentials_parameter(secret, facts)?);
                }
                Ok(refs)
            }) {
                Ok(refs) => refs,
                Err(why) => {
                    skipped.push(format!("a secret of container `{name}`: {why}"));
                    continue;
                }
            };
            for r in refs {
                match uses.iter_mut().find(|u| u.r == r) {
                    Some(u) => u.at.push((node.span, name.clone())),
                    None => uses.push(Use {
                        r,
                        at: vec![(node.span, name.clone())],
                    }),
                }
            }
        }
    }
    for why in skipped {
        cx.skip(&[&RULE], why);
    }
    for u in uses {
        report_use(cx, facts, view, &u, und);
    }
}

fn report_use(cx: &mut Context, facts: &Facts, view: &RoleView, u: &Use, und: &mut Undetermined) {
    let (span, container) = u.at[0].clone();
    let r = &u.r;
    let permission = format!("`{}` on `{}`", r.action, r.arn);
    match secrets::evaluate(view, r) {
        SecretOutcome::Allowed => {
            if r.account != view.account {
                cx.skip(
                    &[&RULE],
                    format!(
                        "the secret `{}` is in account {}: its resource policy, which must grant the read too, is not in the state format",
                        r.arn, r.account
                    ),
                );
            }
        }
        SecretOutcome::Unknown { causes, places } => {
            und.add(
                span,
                &format!("secret `{}`", r.arn),
                permission,
                causes,
                places,
            );
        }
        SecretOutcome::Denied(checked) => {
            if !cx.is_enabled(&RULE) {
                return;
            }
            let (mut why, mut places) = denial(&checked, &format!("`{}`", r.action));
            if r.action == GET_SECRET
                && checked.eval.decision == crate::iam::Decision::ImplicitDeny
                && r.account == view.account
            {
                why.push_str(
                    "; a resource policy on the secret, not known here, could still grant it",
                );
            }
            let what = if r.action == GET_SECRET {
                "secret"
            } else {
                "SSM parameter"
            };
            let message = format!(
                "execution role `{}` may not read the {what} `{}` (`{}`): {why}",
                view.label(),
                r.arn,
                r.action
            );
            let statement =
                statement_json("ReadTaskSecrets", &[r.action], &[secrets::help_resource(r)]);
            let mut help = eval::remedy_help(
                eval::Remedy::of(&checked.eval),
                view,
                &statement,
                &eval::policy_name(
                    "secrets",
                    &secrets::policy_name_part(r, &view.account, facts.region.as_deref()),
                ),
            );
            if r.partial {
                help.push_str(" (a secret's ARN ends in `-` and six random characters: the `-*` matches them)");
            }
            help.push_str("; if it is encrypted with a customer managed KMS key, the role also needs `kms:Decrypt` on that key");
            if let Some(task_role) = eval::task_role_would_allow(
                facts,
                r.action,
                &secrets::representative(r),
                &r.region,
                &r.account,
            ) {
                help.push_str(&format!(
                    "; the task role `{task_role}` may read it, but ECS reads secrets with the execution role before the container starts: the permission is on the wrong role"
                ));
            }
            places.extend(
                u.at.iter()
                    .skip(1)
                    .map(|(s, c)| Place::here(*s, format!("also read here (container `{c}`)"))),
            );
            let d = cx.report(&RULE, span, message);
            d.primary_label(format!("read with execution role `{}`", view.label()));
            d.container(container);
            add_labels(d, &places);
            d.help(help);
        }
    }
}
