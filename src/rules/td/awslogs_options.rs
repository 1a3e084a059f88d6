//! TD004: the awslogs driver is missing options it requires.

use crate::diag::Severity;
use crate::model::TaskDefinition;
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
                "awslogs-region" => format!(
                    "\"awslogs-region\": \"{}\"",
                    cx.settings.region.as_deref().unwrap_or("us-east-1")
                ),
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
