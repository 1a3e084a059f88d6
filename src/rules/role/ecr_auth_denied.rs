//! ROLE004: the pulling role may not call `ecr:GetAuthorizationToken` (on `*`; only identity
//! policies can grant it, limited by the boundary; docs/iam.md#what-an-image-pull-needs).
//!
//! On Fargate the token call goes out through the Fargate-owned network interface, so
//! `aws:SourceVpc` / `aws:SourceVpce` are absent from it and an Allow that depends on them does
//! not apply; on EC2 they depend on the endpoint the call takes, which is unknown here. When
//! the launch type is not known, both are evaluated: the same outcome either way decides, a
//! different one is ROLE011.

use super::eval::{self, Checked, Place, Undetermined, add_labels, denial, statement_json};
use super::facts::{Facts, RoleRef, RoleView};
use crate::diag::Severity;
use crate::iam::Decision;
use crate::model::TaskDefinition;
use crate::model::image_ref::Registry;
use crate::net::task::LaunchType;
use crate::rules::{Context, ImageFact, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ROLE004",
    name: "ecr-auth-denied",
    severity: Severity::Error,
    summary: "The execution role may not call ecr:GetAuthorizationToken",
    needs: Needs::Iam,
    reads: &[StatePart::Iam],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

const ACTION: &str = "ecr:GetAuthorizationToken";

pub(super) fn check(
    _task: &TaskDefinition,
    cx: &mut Context,
    facts: &Facts,
    view: &RoleView,
    und: &mut Undetermined,
) {
    let Some(node) = facts.exec_node else { return };
    // One token per registry region; the images that need it.
    let mut regions: Vec<String> = Vec::new();
    let mut images: Vec<Place> = Vec::new();
    for f in &cx.containers {
        if let ImageFact::Parsed { node, image } = &f.image
            && let Registry::Ecr { region, .. } = &image.registry
        {
            if !regions.contains(region) {
                regions.push(region.clone());
            }
            images.push(Place::here(
                node.span,
                format!("container `{}` pulls from ECR", f.container.label()),
            ));
        }
    }
    if regions.is_empty() {
        return;
    }
    let span = node.span;
    let subject = format!("execution role `{}`", view.label());
    let permission = format!("`{ACTION}`");
    for region in regions {
        let (principal, mut base) = eval::base_context(view);
        base.set("aws:RequestedRegion", region.clone());
        let mut fargate_ctx = base.clone();
        fargate_ctx
            .set_absent("aws:SourceVpc")
            .set_absent("aws:SourceVpce");
        let other_ctx = base;
        let on_fargate = eval::check(view, &principal, &fargate_ctx, ACTION, "*", None);
        let elsewhere = eval::check(view, &principal, &other_ctx, ACTION, "*", None);
        let denied = |c: &Checked| {
            matches!(
                c.eval.decision,
                Decision::ExplicitDeny | Decision::ImplicitDeny
            )
        };
        let chosen: &Checked = match facts.launch {
            LaunchType::Fargate => &on_fargate,
            LaunchType::Ec2 | LaunchType::External => &elsewhere,
            LaunchType::Unknown => {
                let same = on_fargate.eval.decision == elsewhere.eval.decision
                    || (denied(&on_fargate) && denied(&elsewhere));
                if !same {
                    let mut causes = vec![
                        "the launch type is not known (no service, no --launch-type, and requiresCompatibilities does not have exactly one entry), and the outcome depends on it: on Fargate an Allow that needs `aws:SourceVpc`/`aws:SourceVpce` does not apply to this call".to_string(),
                    ];
                    let (more, places) = eval::undecided(&elsewhere);
                    if elsewhere.eval.decision == Decision::Unknown {
                        causes.extend(more);
                    }
                    und.add(span, &subject, permission.clone(), causes, places);
                    continue;
                }
                &elsewhere
            }
        };
        match chosen.eval.decision {
            Decision::Allowed => {}
            Decision::Unknown => {
                let (causes, places) = eval::undecided(chosen);
                und.add(span, &subject, permission.clone(), causes, places);
            }
            Decision::ExplicitDeny | Decision::ImplicitDeny => {
                if !cx.is_enabled(&RULE) {
                    return;
                }
                let (why, mut places) = denial(chosen, &format!("`{ACTION}`"));
                // On Fargate, say when a VPC condition is what made the Allow not apply.
                let vpc_note = facts.launch == LaunchType::Fargate
                    && chosen.eval.decision == Decision::ImplicitDeny
                    && elsewhere.eval.decision != Decision::ImplicitDeny;
                let mut message = format!(
                    "execution role `{}` may not call `{ACTION}`, which every private ECR pull needs: {why}",
                    view.label()
                );
                if vpc_note {
                    message.push_str(&format!(
                        " on Fargate (launch type from {}): its Allow depends on `aws:SourceVpc`/`aws:SourceVpce`, which Fargate does not send with this call",
                        facts.launch_source
                    ));
                    for s in &elsewhere.eval.undecided {
                        if let Some(p) = eval::statement_place(
                            &elsewhere,
                            s,
                            "allows it only through a VPC endpoint condition".into(),
                        ) {
                            places.push(p);
                        }
                    }
                }
                let statement =
                    statement_json("EcrAuthorizationToken", &[ACTION], &["*".to_string()]);
                let mut help = if vpc_note {
                    format!(
                        "remove the `aws:SourceVpc`/`aws:SourceVpce` condition from the statement that allows `{ACTION}` (keep it on the pull actions if you want): {statement}"
                    )
                } else {
                    let remedy = eval::Remedy::of(&chosen.eval);
                    let narrow = eval::remedy_help(
                        remedy,
                        view,
                        &statement,
                        &eval::policy_name("ecr-auth", ""),
                    );
                    eval::with_managed_policy_first(remedy, view, narrow)
                };
                help.push_str("; only identity policies can grant it, a repository policy cannot");
                if task_role_allows(facts, &region) {
                    help.push_str("; the task role allows it, but images are pulled with the execution role: the permission is on the wrong role");
                }
                let d = cx.report(&RULE, span, message);
                d.primary_label("the role that pulls the images");
                add_labels(d, &places);
                add_labels(d, &images);
                d.help(help);
                return;
            }
        }
    }
}

/// Whether the task role (if any) would allow the token call: a hint that the permission is on
/// the wrong role.
fn task_role_allows(facts: &Facts, region: &str) -> bool {
    let RoleRef::Found(task_role) = &facts.task_role else {
        return false;
    };
    let (principal, mut ctx) = eval::base_context(task_role);
    ctx.set("aws:RequestedRegion", region.to_string());
    let c = eval::check(task_role, &principal, &ctx, ACTION, "*", None);
    c.eval.decision == Decision::Allowed
}
