//! ROLE: may the execution role pull the image, read its secrets and write its logs (IAM state).
//!
//! The family shares one evaluation per task definition ([`evaluate`], over [`facts::Facts`]:
//! account, region, launch type, the roles and their policies, resolved once), computed by the
//! context when the first ROLE rule asks; each rule then takes its own findings. Each rule file
//! holds its `RULE` and the logic that decides it. Decisions that cannot be made are gathered and reported by ROLE011, one diagnostic per
//! field; checks that lack their inputs go to the run summary.

pub mod ecr_auth_denied;
pub mod ecr_pull_denied;
pub mod environment_file_denied;
pub mod execution_role_not_found;
pub mod execution_role_untrusted;
pub mod kms_decrypt_denied;
pub mod logs_access_denied;
pub mod missing_execution_role;
pub mod permission_undetermined;
pub mod pull_through_cache_denied;
pub mod registry_credentials_denied;
pub mod repository_policy_denies;
pub mod secrets_access_denied;

mod eval;
mod facts;
mod kms;
mod pull;
mod secrets;

use crate::model::TaskDefinition;
use crate::model::image_ref::Registry;
use crate::rules::{Context, ImageFact, Rule};

use eval::Undetermined;
use facts::{Facts, RoleRef};

/// This family's rules, in code order.
pub static RULES: &[&Rule] = &[
    &missing_execution_role::RULE,
    &execution_role_not_found::RULE,
    &execution_role_untrusted::RULE,
    &ecr_auth_denied::RULE,
    &ecr_pull_denied::RULE,
    &repository_policy_denies::RULE,
    &secrets_access_denied::RULE,
    &logs_access_denied::RULE,
    &registry_credentials_denied::RULE,
    &pull_through_cache_denied::RULE,
    &permission_undetermined::RULE,
    &kms_decrypt_denied::RULE,
    &environment_file_denied::RULE,
];

/// The rules that evaluate the execution role's policies.
fn permission_rules() -> [&'static Rule; 10] {
    [
        &execution_role_untrusted::RULE,
        &ecr_auth_denied::RULE,
        &ecr_pull_denied::RULE,
        &repository_policy_denies::RULE,
        &secrets_access_denied::RULE,
        &logs_access_denied::RULE,
        &registry_credentials_denied::RULE,
        &pull_through_cache_denied::RULE,
        &kms_decrypt_denied::RULE,
        &environment_file_denied::RULE,
    ]
}

/// Every ROLE rule's `check`: reports the rule's own findings from the family's evaluation
/// ([`evaluate`]), which the context computes once per task definition.
pub(crate) fn report_own(me: &'static Rule, task: &TaskDefinition, cx: &mut Context) {
    cx.take_family_findings(me, task, evaluate);
}

/// SCPs and RCPs are outside the state format: said once in the run summary.
pub const SCP_NOT_EVALUATED: &str = "service control policies and resource control policies are not part of the state format and were not evaluated: an SCP or RCP can still deny what the role's own policies allow";

/// The family's evaluation: every ROLE rule's findings for one task definition.
fn evaluate(task: &TaskDefinition, cx: &mut Context) {
    let facts = Facts::new(task, cx);
    missing_execution_role::check(task, cx, &facts);
    let needs_role = needs_execution_role_checks(task, cx);
    let view = match &facts.exec {
        RoleRef::None => {
            if needs_role {
                no_execution_role(task, cx);
            }
            return;
        }
        RoleRef::NotFound { .. } => {
            execution_role_not_found::check(task, cx, &facts);
            return;
        }
        RoleRef::Unknown(why) => {
            let mut rules = RULES[1..10].to_vec();
            rules.extend([&kms_decrypt_denied::RULE, &environment_file_denied::RULE]);
            cx.skip(
                &rules,
                format!("the execution role cannot be checked: {why}"),
            );
            return;
        }
        RoleRef::Found(view) => view,
    };
    if facts.account.is_none() || view.account.is_empty() {
        cx.skip(
            &permission_rules(),
            "the deployment account is not known (pass --account or set `account` in ecs-preflight.toml)",
        );
        return;
    }
    let mut und = Undetermined::default();
    execution_role_untrusted::check(task, cx, &facts, view, &mut und);
    ecr_auth_denied::check(task, cx, &facts, view, &mut und);
    let pulls = pull::evaluate_pulls(cx, &facts, view, &mut und);
    ecr_pull_denied::report(cx, &facts, view, &pulls);
    repository_policy_denies::report(cx, &facts, view, &pulls);
    // These evaluations are the costly ones: each runs when its rule reports or when ROLE011
    // reports what it could not decide, so that a run of other rules does not pay for them.
    let wanted = |cx: &Context, rule: &Rule| {
        cx.is_enabled(rule) || cx.is_enabled(&permission_undetermined::RULE)
    };
    if wanted(cx, &secrets_access_denied::RULE) {
        secrets_access_denied::check(task, cx, &facts, view, &mut und);
    }
    if wanted(cx, &logs_access_denied::RULE) {
        logs_access_denied::check(task, cx, &facts, view, &mut und);
    }
    if wanted(cx, &registry_credentials_denied::RULE) {
        registry_credentials_denied::check(task, cx, &facts, view, &mut und);
    }
    pull_through_cache_denied::check(cx, &facts, view, &mut und);
    kms_decrypt_denied::check(task, cx, &facts, view, &mut und);
    environment_file_denied::check(task, cx, &facts, view, &mut und);
    permission_undetermined::report(cx, view, und);
    cx.skip_for_run(&permission_rules(), SCP_NOT_EVALUATED);
}

/// Whether anything in the task definition is done with the execution role (or, on EC2
/// without one, the container instance role): a private ECR image, awslogs, secrets, private
/// registry credentials.
fn needs_execution_role_checks(task: &TaskDefinition, cx: &Context) -> bool {
    let _ = task;
    cx.containers.iter().any(|f| {
        let ecr = matches!(&f.image, ImageFact::Parsed { image, .. } if matches!(image.registry, Registry::Ecr { .. }));
        let c = &f.container;
        ecr || c.log_driver().and_then(|d| d.as_str()) == Some("awslogs")
            || c.get("secrets").is_some()
            || c.get("repositoryCredentials").is_some()
            || c.get("environmentFiles").is_some()
    })
}

/// Secondary labels on the private ECR images the role pulls
/// (docs/iam.md#how-role-findings-are-reported: ROLE002–ROLE005 point at `executionRoleArn`,
/// with the `image` as a secondary label).
fn ecr_image_places(cx: &Context) -> Vec<eval::Place> {
    cx.containers
        .iter()
        .filter_map(|f| match &f.image {
            ImageFact::Parsed { node, image } if matches!(image.registry, Registry::Ecr { .. }) => {
                Some(eval::Place::here(
                    node.span,
                    format!(
                        "container `{}` pulls its image with this role",
                        f.container.label()
                    ),
                ))
            }
            _ => None,
        })
        .collect()
}

/// No execution role: on Fargate ROLE001 has said it; elsewhere the container instance role
/// does the work, and it is not known.
fn no_execution_role(task: &TaskDefinition, cx: &mut Context) {
    if task.requires_fargate() == Some(true) {
        return;
    }
    cx.skip(
        &[
            &ecr_auth_denied::RULE,
            &ecr_pull_denied::RULE,
            &repository_policy_denies::RULE,
            &logs_access_denied::RULE,
            &pull_through_cache_denied::RULE,
        ],
        "a task definition without executionRoleArn pulls its images (and writes awslogs logs) with the container instance role on EC2, which is not known",
    );
}
