//! REF004: an `environmentFiles` object does not exist in S3 (or its bucket does not).

use super::{check_in_state, references, report_grouped};
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
    let uses = refs
        .files
        .iter()
        .map(|u| (u.object.clone(), u.span, u.container.clone()));
    let account = refs.account.as_deref();
    check_in_state(
        cx,
        &RULE,
        "an environment file",
        uses,
        // A bucket the template creates is empty until something uploads the file.
        |t, (bucket, key)| match t.bucket(bucket) {
            Defines::No => Defines::No,
            _ => Defines::Maybe(format!(
                "the bucket `{bucket}` may be created by this template: whether `{key}` is uploaded before the tasks start is not known"
            )),
        },
        |state, (bucket, key)| match state.s3.bucket(bucket, account) {
            Lookup::Unknown(why) => Lookup::Unknown(why),
            Lookup::Absent => Lookup::Absent,
            Lookup::Found(_) => match state.s3.object(bucket, key) {
                Lookup::Unknown(why) => Lookup::Unknown(why),
                Lookup::Absent => Lookup::Found(false),
                Lookup::Found(()) => Lookup::Found(true),
            },
        },
        |cx, g, found| {
            let (bucket, key) = &g.key;
            match found {
                Some(true) => {}
                None => report_grouped(
                    cx,
                    &RULE,
                    g,
                    format!(
                        "the environment file `s3://{bucket}/{key}` is in the bucket `{bucket}`, which is not a bucket of account {}",
                        account.unwrap_or("?")
                    ),
                    "no such bucket",
                    format!(
                        "check the bucket name; if the bucket is in another account, its policy must let the execution role read the file; create the bucket and upload the file before deploying (`aws s3 cp app.env s3://{bucket}/{key}`)"
                    ),
                ),
                Some(false) => report_grouped(
                    cx,
                    &RULE,
                    g,
                    format!("the environment file `s3://{bucket}/{key}` does not exist"),
                    "no such object",
                    format!(
                        "upload the file before deploying: `aws s3 cp app.env s3://{bucket}/{key}`; the task stops at start with `ResourceInitializationError` while it is missing"
                    ),
                ),
            }
        },
    );
}
