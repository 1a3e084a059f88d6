//! REF002: an SSM parameter the task names does not exist, or the version it selects is newer
//! than the parameter's latest.

use super::{Named, check_in_state, references, report_grouped};
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "REF002",
    name: "parameter-not-found",
    severity: Severity::Error,
    summary: "An SSM parameter the task reads does not exist, or lacks the selected version",
    needs: Needs::Refs,
    reads: &[StatePart::Parameters],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let refs = references(task, cx);
    let uses = refs.secrets.iter().filter_map(|u| {
        let key = match &u.named {
            Ok(Named::Parameter(p)) => Ok(p.clone()),
            Ok(Named::Secret(_)) => return None,
            Err(why) => Err(why.clone()),
        };
        Some((key, u.span, u.container.clone()))
    });
    check_in_state(
        cx,
        &RULE,
        "a secret",
        uses,
        |t, p| t.parameter(&p.name),
        |state, p| state.parameters.find(&p.account, &p.region, &p.name),
        |cx, g, found| {
            let p = &g.key;
            let Some(param) = found else {
                report_grouped(
                    cx,
                    &RULE,
                    g,
                    format!(
                        "the SSM parameter `{}` does not exist in account {} region {}",
                        p.name, p.account, p.region
                    ),
                    "no such parameter",
                    format!(
                        "create the parameter before deploying (`aws ssm put-parameter --name {} --type SecureString --value … --region {}`), or correct the name (`aws ssm describe-parameters --region {}` lists them); a parameter of another region or account must be named by its full ARN",
                        p.name, p.region, p.region
                    ),
                );
                return;
            };
            let Some(sel) = &p.selector else { return };
            let Ok(version) = sel.parse::<i64>() else {
                cx.skip(
                    &[&RULE],
                    format!(
                        "`{}:{sel}` selects the parameter by a label, and the state format does not list labels",
                        p.name
                    ),
                );
                return;
            };
            let Some(latest) = param.version else {
                cx.skip(
                    &[&RULE],
                    format!(
                        "the state lists the parameter `{}` without its `Version`",
                        p.name
                    ),
                );
                return;
            };
            if version > latest || version < 1 {
                report_grouped(
                    cx,
                    &RULE,
                    g,
                    format!(
                        "the SSM parameter `{}` has no version {version}: its latest version is {latest}",
                        p.name
                    ),
                    "no such version",
                    format!(
                        "select an existing version (`{}:{latest}` is the latest), or drop the `:{sel}` selector to read the latest",
                        p.name
                    ),
                );
            }
        },
    );
}
