//! REF004: an `environmentFiles` object does not exist in S3 (or its bucket does not).

use super::{group, references, report_grouped};
use crate::base::known::Lookup;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;
use crate::state::template::refs::Defines;

pub static RULE: Rule = Rule {
    code: "REF004",
    name: "environment-file-not-found",
    severity: Severity::Error,
    summary: "An environment file in S3 does not exist, or its bucket does not",
    needs: Needs::Refs,
    reads: &[StatePart::S3],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let refs = references(task, cx);
    let mut skipped = Vec::new();
    let mut named = Vec::new();
    for u in &refs.files {
        match &u.object {
            Ok(o) => named.push((o.clone(), u.span, u.container.clone())),
            Err(why) => skipped.push(format!(
                "an environment file of container `{}`: {why}",
                u.container
            )),
        }
    }
    for why in skipped {
        cx.skip(&[&RULE], why);
    }
    for g in group(named) {
        let (bucket, key) = &g.key;
        if cx.template.refs.bucket(bucket) != Defines::No {
            cx.skip(
                &[&RULE],
                format!(
                    "the bucket `{bucket}` may be created by this template: whether `{key}` is uploaded before the tasks start is not known"
                ),
            );
            continue;
        }
        match cx.state.s3.bucket(bucket, refs.account.as_deref()) {
            Lookup::Unknown(why) => cx.skip(&[&RULE], why),
            Lookup::Absent => report_grouped(
                cx,
                &RULE,
                &g,
                format!(
                    "the environment file `s3://{bucket}/{key}` is in the bucket `{bucket}`, which is not a bucket of account {}",
                    refs.account.as_deref().unwrap_or("?")
                ),
                "no such bucket",
                format!(
                    "check the bucket name; if the bucket is in another account, its policy must let the execution role read the file; create the bucket and upload the file before deploying (`aws s3 cp app.env s3://{bucket}/{key}`)"
                ),
            ),
            Lookup::Found(_) => match cx.state.s3.object(bucket, key) {
                Lookup::Unknown(why) => cx.skip(&[&RULE], why),
                Lookup::Found(()) => {}
                Lookup::Absent => report_grouped(
                    cx,
                    &RULE,
                    &g,
                    format!("the environment file `s3://{bucket}/{key}` does not exist"),
                    "no such object",
                    format!(
                        "upload the file before deploying: `aws s3 cp app.env s3://{bucket}/{key}`; the task stops at start with `ResourceInitializationError` while it is missing"
                    ),
                ),
            },
        }
    }
}
