//! ROLE013: the execution role may not read an `environmentFiles` object: the agent needs
//! `s3:GetObject` on the object and `s3:GetBucketLocation` on the bucket
//! (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/use-environment-file.html),
//! with the bucket policy as the resource policy (same account: either side may grant;
//! another account: both must). One diagnostic per task definition and file.

use super::eval::{self, Place, Undetermined, add_labels, denial, statement_json};
use super::facts::{Facts, RoleView};
use crate::base::known::Lookup;
use crate::diag::Severity;
use crate::iam::Decision;
use crate::model::TaskDefinition;
use crate::rules::refs::{self, group};
use crate::rules::{Context, Needs, Rule};
use crate::state::iam::LoadedPolicy;
use crate::state::part::StatePart;
use crate::state::template::iam::TemplateIamIndex;
use crate::state::template::refs::Defines;
use crate::state::template::s3::BucketPolicy;

pub static RULE: Rule = Rule {
    code: "ROLE013",
    name: "environment-file-denied",
    severity: Severity::Error,
    summary: "The execution role may not read an environment file in S3",
    needs: Needs::Iam,
    reads: &[StatePart::Iam, StatePart::S3],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

pub(super) fn check(
    task: &TaskDefinition,
    cx: &mut Context,
    facts: &Facts,
    view: &RoleView,
    und: &mut Undetermined,
) {
    if !cx.is_enabled(&RULE) {
        return;
    }
    let refs = refs::references(task, cx);
    let files: Vec<_> = refs
        .files
        .iter()
        .filter_map(|u| {
            u.object
                .as_ref()
                .ok()
                .map(|o| (o.clone(), u.span, u.container.clone()))
        })
        .collect();
    let template: &TemplateIamIndex = cx.template.iam.get(cx.document, cx.file, cx.settings);
    let (principal, base) = eval::base_context(view);
    // A policy of the template names a template role whose name is generated through a
    // stand-in ARN; the principal carries the same one.
    let (template_principal, _) =
        super::kms::template_principal(view, &(principal.clone(), base.clone()), template);
    for g in group(files) {
        let (bucket, key) = &g.key;
        // A bucket the template creates is the template's: in the deployment account, with
        // the policy the template gives it or none (it does not exist before the deploy).
        // The template wins over a state file for what it defines, as for roles.
        let (owner, region, policy, principal): (String, String, Option<&LoadedPolicy>, _) =
            match cx.template.refs.bucket(bucket) {
                Defines::Maybe(why) => {
                    cx.skip(
                        &[&RULE],
                        format!("the bucket of `s3://{bucket}/{key}`: {why}"),
                    );
                    continue;
                }
                Defines::Yes => {
                    let (Some(account), Some(region)) =
                        (template.account.clone(), template.region.clone())
                    else {
                        cx.skip(
                            &[&RULE],
                            format!(
                                "the bucket of `s3://{bucket}/{key}` is created by this template, and the deployment account or region is not known (pass --account and --region)"
                            ),
                        );
                        continue;
                    };
                    let policy = match template.buckets.policy(bucket) {
                        BucketPolicy::None => None,
                        BucketPolicy::Policy(p) => Some(p),
                        BucketPolicy::Unknown(why) => {
                            cx.skip(
                                &[&RULE],
                                format!(
                                    "the policy of the bucket `{bucket}` this template creates is not known: {why}"
                                ),
                            );
                            continue;
                        }
                    };
                    (account, region, policy, template_principal.clone())
                }
                Defines::No => {
                    let entry = match cx.state.s3.bucket(bucket, facts.account.as_deref()) {
                        Lookup::Found(b) => b,
                        Lookup::Absent => continue, // REF004
                        Lookup::Unknown(why) => {
                            cx.skip(
                                &[&RULE],
                                format!(
                                    "the owner and policy of the bucket of `s3://{bucket}/{key}` are not known: {why}"
                                ),
                            );
                            continue;
                        }
                    };
                    // A bucket policy the template attaches to a bucket it does not create
                    // replaces the bucket's policy at deploy.
                    let (policy, principal) = match template.buckets.policy(bucket) {
                        BucketPolicy::Policy(p) => (Some(p), template_principal.clone()),
                        BucketPolicy::Unknown(why) => {
                            cx.skip(
                                &[&RULE],
                                format!("the policy of the bucket `{bucket}` is not known: {why}"),
                            );
                            continue;
                        }
                        BucketPolicy::None => match &entry.policy {
                            None => {
                                cx.skip(
                                    &[&RULE],
                                    format!(
                                        "the state lists the bucket `{bucket}` without its `Policy` (null when it has none)"
                                    ),
                                );
                                continue;
                            }
                            Some(p) => (p.as_ref(), principal.clone()),
                        },
                    };
                    (
                        entry.account.clone(),
                        entry.region.clone(),
                        policy,
                        principal,
                    )
                }
            };
        let partition = &facts.partition;
        let object_arn = format!("arn:{partition}:s3:::{bucket}/{key}");
        let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
        let mut ctx = base.clone();
        ctx.set("aws:RequestedRegion", region)
            .set("aws:ResourceAccount", owner.clone());
        let checks = [
            ("s3:GetObject", object_arn.clone()),
            ("s3:GetBucketLocation", bucket_arn.clone()),
        ]
        .map(|(action, arn)| {
            let c = eval::check(
                view,
                &principal,
                &ctx,
                action,
                &arn,
                Some((owner.clone(), policy)),
            );
            (action, arn, c)
        });
        let (span, container) = g.at[0].clone();
        let mut denied = Vec::new();
        for (action, arn, c) in &checks {
            match c.eval.decision {
                Decision::Allowed => {}
                Decision::Unknown => {
                    let (causes, places) = eval::undecided(c);
                    und.add(
                        span,
                        &format!("environment file `s3://{bucket}/{key}`"),
                        format!("`{action}` on `{arn}`"),
                        causes,
                        places,
                    );
                }
                // A role whose name is generated at deploy time may be one a bucket policy
                // names.
                Decision::ImplicitDeny
                    if view.entry.arn.is_none()
                        && policy.is_some_and(|p| {
                            super::kms::names_other_roles(p, &view.account, &principal.role_arn)
                        }) =>
                {
                    und.add(
                        span,
                        &format!("environment file `s3://{bucket}/{key}`"),
                        format!("`{action}` on `{arn}`"),
                        vec![format!(
                            "the bucket policy of `{bucket}` names roles of account {} and the role's name is generated at deploy time",
                            view.account
                        )],
                        Vec::new(),
                    );
                }
                Decision::ExplicitDeny | Decision::ImplicitDeny => denied.push((action, arn, c)),
            }
        }
        if denied.is_empty() {
            continue;
        }
        let mut reasons = Vec::new();
        let mut places: Vec<Place> = Vec::new();
        for (action, _, c) in &denied {
            let (why, p) = denial(c, &format!("`{action}`"));
            reasons.push(format!("`{action}`: {why}"));
            places.extend(p);
        }
        places.extend(
            g.at.iter()
                .skip(1)
                .map(|(s, c)| Place::here(*s, format!("also read here (container `{c}`)"))),
        );
        let statements: Vec<String> = denied
            .iter()
            .map(|(action, arn, _)| {
                let sid = if **action == "s3:GetObject" {
                    "ReadEnvironmentFile"
                } else {
                    "LocateEnvironmentFileBucket"
                };
                statement_json(sid, &[action], &[arn.to_string()])
            })
            .collect();
        let statement = statements.join(", ");
        let role_arn = view.entry.arn.clone().unwrap_or_default();
        let bucket_statement = denied
            .iter()
            .map(|(action, arn, _)| {
                format!(
                    "{{\"Effect\": \"Allow\", \"Principal\": {{\"AWS\": \"{role_arn}\"}}, \"Action\": \"{action}\", \"Resource\": \"{arn}\"}}"
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        // Another account's bucket: its policy must grant the role as well (both sides).
        let only_bucket_refuses = denied
            .iter()
            .all(|(_, _, c)| c.eval.reason == crate::iam::Reason::ResourcePolicyDoesNotGrant);
        let help = if only_bucket_refuses {
            format!(
                "the role's own policies allow it, but the bucket is in account {}: add to the bucket policy of `{bucket}` (in that account): {bucket_statement}",
                owner
            )
        } else {
            let remedy =
                eval::Remedy::combine(denied.iter().map(|(_, _, c)| eval::Remedy::of(&c.eval)));
            let mut help = eval::remedy_help(
                remedy,
                view,
                &statement,
                &eval::policy_name("env-file", &format!("{bucket}/{key}")),
            );
            if owner != view.account {
                help.push_str(&format!(
                    "; the bucket is in account {}, so its bucket policy must grant the role too: {bucket_statement}",
                    owner
                ));
            }
            help
        };
        let d = cx.report(
            &RULE,
            span,
            format!(
                "execution role `{}` may not read the environment file `s3://{bucket}/{key}`: {}",
                view.label(),
                reasons.join("; ")
            ),
        );
        d.primary_label(format!("read with execution role `{}`", view.label()));
        d.container(container);
        add_labels(d, &places);
        d.help(help);
    }
}
