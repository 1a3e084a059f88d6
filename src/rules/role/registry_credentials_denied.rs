//! ROLE009: the execution role cannot read the Secrets Manager secret named by
//! `repositoryCredentials.credentialsParameter` (private registry authentication,
//! docs/iam.md#secrets-and-logs). Not checked for private ECR images, where ECS ignores it
//! (IMG009).

use super::eval::{self, Place, Undetermined, add_labels, denial, statement_json};
use super::facts::{Facts, RoleView};
use super::secrets::{self, SecretOutcome};
use super::secrets_access_denied::reference_text;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::image_ref::Registry;
use crate::model::taskdef::field;
use crate::rules::{Context, ImageFact, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ROLE009",
    name: "registry-credentials-denied",
    severity: Severity::Error,
    summary: "The execution role cannot read the private registry credentials secret",
    needs: Needs::Iam,
    reads: &[StatePart::Iam],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

pub(super) fn check(
    _task: &TaskDefinition,
    cx: &mut Context,
    facts: &Facts,
    view: &RoleView,
    und: &mut Undetermined,
) {
    let mut uses: Vec<(secrets::SecretRef, Vec<(crate::span::Span, String)>)> = Vec::new();
    let mut skipped = Vec::new();
    for f in &cx.containers {
        if matches!(&f.image, ImageFact::Parsed { image, .. } if matches!(image.registry, Registry::Ecr { .. }))
        {
            continue;
        }
        let c = &f.container;
        let Some(node) = c
            .get("repositoryCredentials")
            .and_then(|rc| field(rc, c.style, "credentialsParameter"))
        else {
            continue;
        };
        let name = c.label();
        match reference_text(node, facts).and_then(|t| secrets::credentials_parameter(&t, facts)) {
            Ok(r) => match uses.iter_mut().find(|(u, _)| *u == r) {
                Some((_, at)) => at.push((node.span, name)),
                None => uses.push((r, vec![(node.span, name)])),
            },
            Err(why) => skipped.push(format!(
                "the registry credentials of container `{name}`: {why}"
            )),
        }
    }
    for why in skipped {
        cx.skip(&[&RULE], why);
    }
    for (r, at) in uses {
        let (span, container) = at[0].clone();
        match secrets::evaluate(view, &r) {
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
            SecretOutcome::Unknown { causes, places } => und.add(
                span,
                &format!("secret `{}`", r.arn),
                format!("`{}` on `{}`", r.action, r.arn),
                causes,
                places,
            ),
            SecretOutcome::Denied(checked) => {
                if !cx.is_enabled(&RULE) {
                    continue;
                }
                let (mut why, mut places) = denial(&checked, &format!("`{}`", r.action));
                if checked.eval.decision == crate::iam::Decision::ImplicitDeny
                    && r.account == view.account
                {
                    why.push_str(
                        "; a resource policy on the secret, not known here, could still grant it",
                    );
                }
                let message = format!(
                    "execution role `{}` may not read the registry credentials secret `{}` (`{}`): {why}",
                    view.label(),
                    r.arn,
                    r.action
                );
                let statement = statement_json(
                    "ReadRegistryCredentials",
                    &[r.action],
                    &[secrets::help_resource(&r)],
                );
                let mut help = eval::remedy_help(
                    eval::Remedy::of(&checked.eval),
                    view,
                    &statement,
                    &eval::policy_name(
                        "registry-credentials",
                        &secrets::policy_name_part(&r, &view.account, facts.region.as_deref()),
                    ),
                );
                if r.partial {
                    help.push_str(" (a secret's ARN ends in `-` and six random characters: the `-*` matches them)");
                }
                help.push_str("; if the secret uses a customer managed KMS key, add `kms:Decrypt` on that key");
                if let Some(task_role) = eval::task_role_would_allow(
                    facts,
                    r.action,
                    &secrets::representative(&r),
                    &r.region,
                    &r.account,
                ) {
                    help.push_str(&format!(
                        "; the task role `{task_role}` may read it, but ECS reads registry credentials with the execution role: the permission is on the wrong role"
                    ));
                }
                places.extend(
                    at.iter()
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
}
