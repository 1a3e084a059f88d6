//! TD004: the awslogs driver is missing options it requires.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::arn::Arn;
use crate::model::taskdef::spell;
use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "TD004",
    name: "awslogs-options",
    severity: Severity::Error,
    summary: "awslogs without awslogs-group or awslogs-region, or without awslogs-stream-prefix on Fargate",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(task: &TaskDefinition, cx: &mut Context) {
    let fargate = task.requires_fargate();
    let region = suggested_region(task, cx);
    for c in task.containers() {
        let Some(driver) = c.log_driver() else {
            continue;
        };
        if driver.as_str() != Some("awslogs") {
            continue;
        }
        let mut missing: Vec<&str> = ["awslogs-group", "awslogs-region"]
            .into_iter()
            .filter(|k| c.log_option(k).is_none())
            .collect();
        if fargate == Some(true) && c.log_option("awslogs-stream-prefix").is_none() {
            missing.push("awslogs-stream-prefix");
        }
        if missing.is_empty() {
            continue;
        }
        let list = missing
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(" and ");
        let why = if missing.contains(&"awslogs-stream-prefix") && missing.len() == 1 {
            " (required on Fargate)"
        } else {
            ""
        };
        let example: Vec<String> = missing
            .iter()
            .map(|m| match *m {
                "awslogs-group" => format!("\"awslogs-group\": \"/ecs/{}\"", task.label),
                "awslogs-region" => format!("\"awslogs-region\": \"{}\"", region),
                _ => "\"awslogs-stream-prefix\": \"ecs\"".to_string(),
            })
            .collect();
        cx.report(
            &RULE,
            driver.span,
            format!(
                "container `{}` logs with awslogs but has no {list}{why}",
                c.label()
            ),
        )
        .container(c.label())
        .primary_label(format!("missing {list}"))
        .help(format!(
            "add to `{}.{}`: {}",
            spell("logConfiguration", c.style),
            spell("options", c.style),
            example.join(", ")
        ));
    }
}

/// The region to write in an example `awslogs-region`: the deployment region, else the region
/// the task definition's own ARNs and ECR images name (when they agree), else a placeholder —
/// never a guess.
fn suggested_region(task: &TaskDefinition, cx: &Context) -> String {
    if let Some(region) = &cx.settings.region {
        return region.clone();
    }
    let mut seen: Vec<String> = Vec::new();
    let mut note = |r: &str| {
        if !r.is_empty() && !seen.iter().any(|s| s == r) {
            seen.push(r.to_string());
        }
    };
    for facts in &cx.containers {
        if let crate::rules::ImageFact::Parsed { image, .. } = &facts.image
            && let crate::model::image_ref::Registry::Ecr { region, .. } = &image.registry
        {
            note(region);
        }
    }
    let mut arns: Vec<&str> = Vec::new();
    for c in task.containers() {
        for item in c
            .get("secrets")
            .map(crate::parse::Node::items)
            .unwrap_or(&[])
        {
            if let Some(v) =
                crate::model::taskdef::field(item, c.style, "valueFrom").and_then(|n| n.as_str())
            {
                arns.push(v);
            }
        }
    }
    for arn in arns {
        if let Some(region) = Arn::parse(arn).map(|a| a.region) {
            note(region);
        }
    }
    match seen.as_slice() {
        [only] => only.clone(),
        _ => "<your region>".to_string(),
    }
}
