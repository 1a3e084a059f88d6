//! ROLE001: no `executionRoleArn`, but the task definition needs one
//! (docs/iam.md#when-a-task-needs-an-execution-role).

use super::facts::Facts;
use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::image_ref::Registry;
use crate::model::taskdef::spell;
use crate::rules::{Context, ImageFact, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "ROLE001",
    name: "missing-execution-role",
    severity: Severity::Error,
    summary: "The task definition has no executionRoleArn but needs one",
    needs: Needs::File,
    reads: &[],
    check: Some(check_rule),
};

fn check_rule(task: &TaskDefinition, cx: &mut Context) {
    super::report_own(&RULE, task, cx);
}

pub(super) fn check(task: &TaskDefinition, cx: &mut Context, facts: &Facts) {
    if facts.exec_node.is_some() || !cx.is_enabled(&RULE) {
        return;
    }
    // Per container: what needs the role on any launch type, and what needs it on Fargate
    // (registration refuses the task definition then). Labels: (span, text).
    let mut always: Vec<(String, Vec<&str>)> = Vec::new();
    let mut fargate: Vec<(String, Vec<&str>)> = Vec::new();
    let mut labels = Vec::new();
    let mut fargate_labels = Vec::new();
    let mut unresolved_images = Vec::new();
    for f in &cx.containers {
        let c = &f.container;
        let name = c.label();
        let mut a = Vec::new();
        let mut fg = Vec::new();
        if let Some(n) = c
            .get("secrets")
            .filter(|n| !(n.is_array() && n.items().is_empty()))
        {
            a.push("secrets");
            labels.push((
                n.span,
                "secrets are read with the execution role".to_string(),
            ));
        }
        if let Some(opts) = c
            .get("logConfiguration")
            .and_then(|lc| crate::model::taskdef::field(lc, c.style, "secretOptions"))
            .filter(|n| !(n.is_array() && n.items().is_empty()))
        {
            a.push("log driver secrets");
            labels.push((
                opts.span,
                "log driver secrets are read with the execution role".to_string(),
            ));
        }
        // The agent downloads environment files from S3 with the execution role, on every
        // launch type (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/use-environment-file.html,
        // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html).
        if let Some(n) = c
            .get("environmentFiles")
            .filter(|n| !(n.is_array() && n.items().is_empty()))
        {
            a.push("environment files");
            labels.push((
                n.span,
                "environment files are read from S3 with the execution role".to_string(),
            ));
        }
        if let Some(n) = c.get("repositoryCredentials") {
            a.push("private registry credentials");
            labels.push((
                n.span,
                "registry credentials are read with the execution role".to_string(),
            ));
        }
        match &f.image {
            ImageFact::Parsed { node, image } if matches!(image.registry, Registry::Ecr { .. }) => {
                fg.push("a private ECR image");
                fargate_labels.push((
                    node.span,
                    "a private ECR image: Fargate pulls it with the execution role".to_string(),
                ));
            }
            ImageFact::Unresolved { .. } => unresolved_images.push(name.clone()),
            _ => {}
        }
        if let Some(d) = c.log_driver().filter(|d| d.as_str() == Some("awslogs")) {
            fg.push("awslogs");
            fargate_labels.push((
                d.span,
                "on Fargate awslogs writes with the execution role".to_string(),
            ));
        }
        if !a.is_empty() {
            always.push((name.clone(), a));
        }
        if !fg.is_empty() {
            fargate.push((name, fg));
        }
    }
    let on_fargate = task.requires_fargate();
    let mut reasons = always;
    let mut fargate_reason = false;
    match on_fargate {
        Some(true) => {
            fargate_reason = !fargate.is_empty();
            for (name, what) in fargate {
                match reasons.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, w)) => w.extend(what),
                    None => reasons.push((name, what)),
                }
            }
            labels.extend(fargate_labels);
        }
        Some(false) => {}
        None => {
            if reasons.is_empty() && !fargate.is_empty() {
                cx.skip(
                    &[&RULE],
                    "no executionRoleArn, and requiresCompatibilities is known only at deploy time (Fargate needs the role for ECR images and awslogs)".to_string(),
                );
            }
        }
    }
    if reasons.is_empty() {
        if on_fargate == Some(true) && !unresolved_images.is_empty() {
            cx.skip(
                &[&RULE],
                format!(
                    "no executionRoleArn, and the image of container `{}` is known only at deploy time (a private ECR image would need the role on Fargate)",
                    unresolved_images[0]
                ),
            );
        }
        return;
    }
    let field = spell("executionRoleArn", task.style).into_owned();
    let what: Vec<String> = reasons
        .iter()
        .map(|(name, w)| format!("{} of container `{name}`", join(w)))
        .collect();
    let message = format!(
        "task definition `{}` has no `{field}`, which it needs for {}{}",
        cx.task_label(),
        join(&what.iter().map(String::as_str).collect::<Vec<_>>()),
        if fargate_reason { " on Fargate" } else { "" }
    );
    let mut help = format!(
        "add `{field}` with a role that trusts `ecs-tasks.amazonaws.com` (sts:AssumeRole) and has the AWS managed policy \
         `arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy` (ECR pulls and awslogs)"
    );
    if reasons.iter().any(|(_, w)| {
        w.iter()
            .any(|x| x.contains("secrets") || x.contains("credentials"))
    }) {
        help.push_str(
            "; for secrets and registry credentials it also needs `secretsmanager:GetSecretValue` / `ssm:GetParameters` on them \
             (and `kms:Decrypt` for a customer managed key)",
        );
    }
    if reasons
        .iter()
        .any(|(_, w)| w.contains(&"environment files"))
    {
        help.push_str(
            "; for environment files it also needs `s3:GetObject` on each file and `s3:GetBucketLocation` on its bucket",
        );
    }
    if fargate_reason {
        help.push_str(
            ". Without it, Fargate registration fails (`Fargate requires task definition to have execution role ARN to support ECR images.`, or `… log driver awslogs.`)",
        );
    }
    let anchor = task.anchor;
    let d = cx.report(&RULE, anchor, message);
    d.primary_label(format!("no `{field}` in this task definition"));
    for (span, w) in labels {
        d.label_here(span, w);
    }
    d.help(help);
}

fn join(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
