//! IMG008: the image is an expression that cannot be resolved before deploy.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::rules::{Context, ImageFact, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IMG008",
    name: "unresolved-image",
    severity: Severity::Note,
    summary: "The image is a template expression that cannot be resolved; its checks are skipped",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let mut found = Vec::new();
    for facts in &cx.containers {
        if let ImageFact::Unresolved { node, reason } = &facts.image {
            found.push((facts.container.label(), node.span, reason.clone()));
        }
    }
    for (name, span, reason) in found {
        let help = if reason.contains("--region") || reason.contains("--account") {
            "pass --region and --account so that `AWS::Region` and `AWS::AccountId` resolve"
        } else {
            "image, registry and permission checks need the final image; check the rendered task definition \
             (e.g. `aws ecs describe-task-definition` output or the deploy tool's rendered file) to cover it"
        };
        cx.report(&RULE, span, format!("the image of container `{name}` cannot be resolved before deploy: {reason}; its image checks are skipped"))
            .container(name)
            .help(help);
    }
}
