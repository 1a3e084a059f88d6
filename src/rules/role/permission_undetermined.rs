//! ROLE011: a permission the task needs could be neither confirmed nor refuted because of
//! something inside the policies or the inputs (a condition key that cannot be resolved, an
//! attached policy whose document is unknown, a cross-account repository policy that is not
//! known, a launch type that cannot be decided). One diagnostic per field, listing every
//! undecided permission there and why.

use super::eval::{Undetermined, add_labels};
use super::facts::RoleView;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, Needs, Rule};
use crate::state::part::StatePart;

pub static RULE: Rule = Rule {
    code: "ROLE011",
    name: "permission-undetermined",
    severity: Severity::Warning,
    summary: "A permission the task needs cannot be decided from the policies",
    needs: Needs::Iam,
    reads: &[StatePart::Iam],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

pub(super) fn report(cx: &mut Context, view: &RoleView, und: Undetermined) {
    if !cx.is_enabled(&RULE) {
        return;
    }
    for p in und.items {
        let message = format!(
            "cannot decide whether execution role `{}` is allowed {}: {}",
            view.label(),
            render_permissions(&p.permissions),
            p.causes.join("; ")
        );
        let ignore_hint = format!(
            "if you have verified the permission another way, ignore {} for this file (`[[per-file-ignores]]`)",
            RULE.code
        );
        let mut help = Vec::new();
        let all = p.causes.join(" ");
        if all.contains("is not known:") && all.contains("managed policy") {
            help.push("put the managed policy's document in the state (`aws iam get-account-authorization-details --filter LocalManagedPolicy AWSManagedPolicy` lists it under `Policies`)");
        }
        if all.contains("launch type") {
            help.push("give the launch type (`--launch-type FARGATE`, a `--service` file, or a single `requiresCompatibilities` entry)");
        }
        if all.contains("repository policy is not known") {
            help.push("supply the repository account's ECR state (`--state` with `ecr.repositoryPolicies` for that account and region)");
        }
        if all.contains("cannot be read") {
            help.push("fix the policy document (the error above says where): IAM would refuse it as written");
        }
        if all.contains("cannot be resolved statically") {
            if all.contains("SourceVpc") || all.contains("sourcevpc") {
                // A network key: the fix is in the network path, not in naming a principal.
                help.push("`aws:SourceVpc`/`aws:SourceVpce` are present only when the call goes through a VPC endpoint: make sure the task's subnets reach ECR through the endpoint the condition names (the NET rules check the path when the state has the `ec2` section and the task's subnets are known)");
            } else {
                help.push("a condition on a key known only at run time cannot be checked before deploy: name the account or role instead (e.g. rather than an organization ID) if you want it checked");
            }
        }
        if all.contains("known only at deploy time") {
            help.push("the undecided part depends on a template value known only at deploy time (pass --account/--region, or give parameters defaults)");
        }
        if all.contains("`logs:CreateLogGroup` is authorized against") {
            help.push("allow `logs:CreateLogGroup` on both forms of the log group's ARN (`Resource` with and without the trailing `:*`), or create the log group in advance and drop `awslogs-create-group`");
        }
        help.push(&ignore_hint);
        let d = cx.report(&RULE, p.span, message);
        d.primary_label(format!("undecided for {}", p.subject));
        if let Some(c) = p.container {
            d.container(c);
        }
        add_labels(d, &p.places);
        d.help(help.join("; "));
    }
}

/// "`a` and `b` on `arn`; `c`": permissions grouped by resource, in the order found.
fn render_permissions(perms: &[String]) -> String {
    let mut groups: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
    for p in perms {
        let (action, resource) = match p.split_once(" on ") {
            Some((a, r)) => (a, Some(r)),
            None => (p.as_str(), None),
        };
        match groups.iter_mut().find(|(r, _)| *r == resource) {
            Some((_, actions)) => actions.push(action),
            None => groups.push((resource, vec![action])),
        }
    }
    groups
        .into_iter()
        .map(|(resource, actions)| {
            let actions = match actions.as_slice() {
                [one] => (*one).to_string(),
                [init @ .., last] => format!("{} and {last}", init.join(", ")),
                [] => String::new(),
            };
            match resource {
                Some(r) => format!("{actions} on {r}"),
                None => actions,
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::render_permissions;

    #[test]
    fn permissions_are_grouped_by_resource() {
        let p =
            |s: &[&str]| render_permissions(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(
            p(&[
                "`ecr:GetAuthorizationToken`",
                "`ecr:BatchGetImage` on `r`",
                "`ecr:GetDownloadUrlForLayer` on `r`"
            ]),
            "`ecr:GetAuthorizationToken`; `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer` on `r`"
        );
    }
}
