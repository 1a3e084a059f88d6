//! IMG009: repositoryCredentials on a private ECR image, where ECS ignores it.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::image_ref::Registry;
use crate::model::taskdef::spell;
use crate::rules::{Context, ImageFact, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IMG009",
    name: "credentials-on-ecr-image",
    severity: Severity::Warning,
    summary: "repositoryCredentials is set on a private ECR image (ECS ignores it)",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let mut found = Vec::new();
    for facts in &cx.containers {
        if let ImageFact::Parsed { node, image } = &facts.image
            && let (Registry::Ecr { .. }, Some(creds)) = (
                &image.registry,
                facts.container.get("repositoryCredentials"),
            )
        {
            found.push((
                facts.container.label(),
                creds.span,
                node.span,
                spell("repositoryCredentials", facts.container.style).into_owned(),
            ));
        }
    }
    for (name, span, image_span, field) in found {
        cx.report(&RULE, span, format!("container `{name}` sets `{field}` on a private ECR image; ECS ignores it for ECR"))
            .container(name)
            .label_here(image_span, "a private ECR image")
            .help("remove `repositoryCredentials`: ECR pulls authenticate with the task execution role, which needs \
                   `ecr:GetAuthorizationToken`, `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer`");
    }
}
