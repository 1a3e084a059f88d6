//! ROLE008: awslogs, and the execution role may not create the log stream or put events in it
//! (or create the log group when `awslogs-create-group` is true; docs/iam.md#secrets-and-logs).
//!
//! The stream ARN is `arn:P:logs:R:A:log-group:GROUP:log-stream:PREFIX/CONTAINER/TASKID`; the
//! task ID is not known before the task runs, so a representative 32-hex ID stands for it
//! (without a prefix the stream is named after the 64-hex container ID). One diagnostic per
//! task definition and log group, at the first container's `awslogs-group`.

use super::eval::{self, Checked, Place, Undetermined, add_labels, denial, statement_json};
use super::facts::{Facts, RoleView};
use crate::diag::Severity;
use crate::iam::{Decision, Layer};
use crate::model::TaskDefinition;
use crate::parse::{Node, NodeKind};
use crate::rules::{Context, Needs, Rule};
use crate::span::Span;
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ROLE008",
    name: "logs-access-denied",
    severity: Severity::Error,
    summary: "The execution role may not write the awslogs log stream",
    needs: Needs::Iam,
    reads: &[StatePart::Iam],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

const TASK_ID: &str = "0123456789abcdef0123456789abcdef";
const CONTAINER_ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const CREATE_GROUP: &str = "logs:CreateLogGroup";

/// Why a `logs:CreateLogGroup` allowed only on `…:log-group:GROUP:*` is not decided.
const GROUP_ARN_FORMS: &str = "CloudWatch Logs documents two ARNs for a log group, `…:log-group:GROUP` (the service authorization reference's resource for this action) and `…:log-group:GROUP:*` (the log group's `arn`, which `Fn::GetAtt` returns and which its documentation recommends in IAM policies for most actions), and does not settle which one `logs:CreateLogGroup` is authorized against";

/// Go's `strconv.ParseBool` true values (the agent reads `awslogs-create-group` with it).
pub fn parse_bool_true(s: &str) -> bool {
    matches!(s, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

struct Group {
    name: String,
    region: String,
    create: bool,
    /// (awslogs-group span, container, stream prefix)
    at: Vec<(Span, String, Option<String>)>,
}

pub(super) fn check(
    _task: &TaskDefinition,
    cx: &mut Context,
    facts: &Facts,
    view: &RoleView,
    und: &mut Undetermined,
) {
    let Some(account) = facts.account.clone() else {
        return;
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut skipped = Vec::new();
    for f in &cx.containers {
        let c = &f.container;
        if c.log_driver().and_then(Node::as_str) != Some("awslogs") {
            continue;
        }
        let name = c.label();
        let Some(group_node) = c.log_option("awslogs-group") else {
            continue; // TD004
        };
        let group = match &group_node.kind {
            NodeKind::String(s) => s.clone(),
            NodeKind::ResourceRef { id, attribute } => {
                match facts.template.resolve_ref(id, attribute.as_deref()) {
                    Some(g) => g,
                    None => {
                        skipped.push(format!("the log group of container `{name}` comes from `{id}`, whose name is known only at deploy time"));
                        continue;
                    }
                }
            }
            NodeKind::Unresolved(why) => {
                skipped.push(format!(
                    "the log group of container `{name}` is known only at deploy time: {why}"
                ));
                continue;
            }
            _ => continue,
        };
        let region = match c.log_option("awslogs-region") {
            Some(n) => match n.as_str() {
                Some(r) => r.to_string(),
                None => {
                    skipped.push(format!(
                        "the awslogs region of container `{name}` is known only at deploy time"
                    ));
                    continue;
                }
            },
            None => match &facts.region {
                Some(r) => r.clone(),
                None => continue,
            },
        };
        let prefix = c
            .log_option("awslogs-stream-prefix")
            .and_then(|n| n.scalar_text())
            .map(|s| s.into_owned());
        let create = c
            .log_option("awslogs-create-group")
            .and_then(|n| n.scalar_text())
            .is_some_and(|s| parse_bool_true(&s));
        match groups
            .iter_mut()
            .find(|g| g.name == group && g.region == region)
        {
            Some(g) => {
                g.create |= create;
                g.at.push((group_node.span, name, prefix));
            }
            None => groups.push(Group {
                name: group,
                region,
                create,
                at: vec![(group_node.span, name, prefix)],
            }),
        }
    }
    for why in skipped {
        cx.skip(&[&RULE], why);
    }
    for g in groups {
        check_group(cx, facts, view, &account, &g, und);
    }
}

fn check_group(
    cx: &mut Context,
    facts: &Facts,
    view: &RoleView,
    account: &str,
    g: &Group,
    und: &mut Undetermined,
) {
    let partition = crate::model::resolve::partition_of_region(&g.region);
    let group_arn = format!(
        "arn:{partition}:logs:{}:{account}:log-group:{}",
        g.region, g.name
    );
    let (principal, mut ctx) = eval::base_context(view);
    ctx.set("aws:RequestedRegion", g.region.clone())
        .set("aws:ResourceAccount", account.to_string());
    // (action, resource) pairs to check: per container stream, and the group.
    let mut requests: Vec<(&'static str, String)> = Vec::new();
    for (_, container, prefix) in &g.at {
        let stream = match prefix {
            Some(p) => format!("{group_arn}:log-stream:{p}/{container}/{TASK_ID}"),
            None => format!("{group_arn}:log-stream:{CONTAINER_ID}"),
        };
        for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
            if !requests.iter().any(|(a, r)| *a == action && *r == stream) {
                requests.push((action, stream.clone()));
            }
        }
    }
    if g.create {
        requests.push((CREATE_GROUP, group_arn.clone()));
    }
    let (span, first_container, _) = g.at[0].clone();
    let subject = format!("log group `{}`", g.name);
    let mut refused: Vec<(&'static str, String, Checked)> = Vec::new();
    for (action, resource) in requests {
        let c = eval::check(view, &principal, &ctx, action, &resource, None);
        let denied = matches!(
            c.eval.decision,
            Decision::ExplicitDeny | Decision::ImplicitDeny
        );
        if action == CREATE_GROUP && denied {
            // Refused on `…:log-group:GROUP`: the other documented form may be the one the
            // call is authorized against.
            let star = format!("{group_arn}:*");
            let other = eval::check(view, &principal, &ctx, action, &star, None);
            if other.eval.decision != Decision::ImplicitDeny
                && other.eval.decision != Decision::ExplicitDeny
            {
                let mut causes = vec![format!(
                    "the role's policies allow it on `{star}`{} but not on `{group_arn}`: {GROUP_ARN_FORMS}",
                    if other.eval.decision == Decision::Allowed {
                        ""
                    } else {
                        " (or may)"
                    }
                )];
                let mut places = Vec::new();
                if other.eval.decision == Decision::Unknown {
                    let (more, p) = eval::undecided(&other);
                    causes.extend(more);
                    places.extend(p);
                }
                for st in other
                    .eval
                    .deciding
                    .iter()
                    .filter(|s| s.layer == Layer::Identity)
                {
                    if let Some(p) = eval::statement_place(
                        &other,
                        st,
                        format!("allows `{CREATE_GROUP}` on `{star}` only"),
                    ) {
                        places.push(p);
                    }
                }
                und.add(
                    span,
                    &subject,
                    format!("`{action}` on `{resource}`"),
                    causes,
                    places,
                );
                continue;
            }
        }
        match c.eval.decision {
            Decision::Allowed => {}
            Decision::Unknown => {
                let (causes, places) = eval::undecided(&c);
                und.add(
                    span,
                    &subject,
                    format!("`{action}` on `{resource}`"),
                    causes,
                    places,
                );
            }
            _ => {
                if !refused.iter().any(|(a, _, _)| *a == action) {
                    refused.push((action, resource, c));
                }
            }
        }
    }
    if refused.is_empty() || !cx.is_enabled(&RULE) {
        return;
    }
    let names: Vec<String> = refused.iter().map(|(a, _, _)| format!("`{a}`")).collect();
    let (why, mut places) = denial(&refused[0].2, &names.join(" and "));
    for (_, _, c) in refused.iter().skip(1) {
        places.extend(denial(c, "it").1);
    }
    let create_only = refused.iter().all(|(a, _, _)| *a == "logs:CreateLogGroup");
    let message = if create_only {
        format!(
            "execution role `{}` may not create log group `{}` in {}, which `awslogs-create-group` asks for (`logs:CreateLogGroup` on `{}`): {why}",
            view.label(),
            g.name,
            g.region,
            refused[0].1
        )
    } else {
        format!(
            "execution role `{}` may not write the awslogs logs of container `{first_container}` to log group `{}` in {} ({} on `{}`): {why}",
            view.label(),
            g.name,
            g.region,
            names.join(", "),
            refused[0].1
        )
    };
    let create = statement_json(
        "CreateTaskLogGroup",
        &["logs:CreateLogGroup"],
        std::slice::from_ref(&group_arn),
    );
    let statement = if create_only {
        create
    } else {
        let mut s = statement_json(
            "WriteTaskLogs",
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            &[format!("{group_arn}:log-stream:*")],
        );
        if refused.iter().any(|(a, _, _)| *a == "logs:CreateLogGroup") {
            s.push_str(&format!(" and, for `awslogs-create-group`, {create}"));
        }
        s
    };
    let remedy = eval::Remedy::combine(refused.iter().map(|(_, _, c)| eval::Remedy::of(&c.eval)));
    // The group name alone, unless the group is in another region than the task.
    let what = if Some(&g.region) == facts.region.as_ref() {
        g.name.clone()
    } else {
        format!("{}-{}", g.region, g.name)
    };
    let mut help = eval::remedy_help(remedy, view, &statement, &eval::policy_name("logs", &what));
    let names_group_only = view
        .identity
        .iter()
        .chain(view.boundary.iter())
        .filter_map(super::facts::Pol::loaded)
        .any(|p| p.mentions().contains(&group_arn));
    if names_group_only {
        help.push_str(&format!(
            "; a statement whose Resource is `{group_arn}` covers the log group only, not the log streams in it (`{group_arn}:log-stream:…`)"
        ));
    }
    places.extend(
        g.at.iter()
            .skip(1)
            .map(|(s, c, _)| Place::here(*s, format!("container `{c}` logs there too"))),
    );
    let d = cx.report(&RULE, span, message);
    d.primary_label(format!("written with execution role `{}`", view.label()));
    d.container(first_container);
    add_labels(d, &places);
    d.help(help);
}

#[cfg(test)]
mod tests {
    use super::parse_bool_true;

    #[test]
    fn create_group_is_read_like_go_parse_bool() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert!(parse_bool_true(t), "{t}");
        }
        for f in ["0", "f", "false", "yes", "on", "tRUE", " true", ""] {
            assert!(!parse_bool_true(f), "{f}");
        }
    }
}
