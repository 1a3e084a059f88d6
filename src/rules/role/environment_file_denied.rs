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
use crate::state::template::refs::Defines;

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
    let (principal, base) = eval::base_context(view);
    for g in group(files) {
        let (bucket, key) = &g.key;
        // A bucket the template creates: its owner and policy are the template's, not the
        // state's (and REF004 does not report it either), so nothing here is decided.
        if let Defines::Yes | Defines::Maybe(_) = cx.template.refs.bucket(bucket) {
            cx.skip(
                &[&RULE],
                format!(
                    "the bucket of `s3://{bucket}/{key}` may be created by this template: its policy there is not evaluated"
                ),
            );
            continue;
        }
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
        let policy: Option<&LoadedPolicy> = match &entry.policy {
            None => {
                cx.skip(
                    &[&RULE],
                    format!(
                        "the state lists the bucket `{bucket}` without its `Policy` (null when it has none)"
                    ),
                );
                continue;
            }
            Some(p) => p.as_ref(),
        };
        let partition = &facts.partition;
        let object_arn = format!("arn:{partition}:s3:::{bucket}/{key}");
        let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
        let mut ctx = base.clone();
        ctx.set("aws:RequestedRegion", entry.region.clone())
            .set("aws:ResourceAccount", entry.account.clone());
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
                Some((entry.account.clone(), policy)),
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
                entry.account
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
            if entry.account != view.account {
                help.push_str(&format!(
                    "; the bucket is in account {}, so its bucket policy must grant the role too: {bucket_statement}",
                    entry.account
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
