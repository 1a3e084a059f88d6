//! IMG007: an image from Docker Hub, pulled anonymously.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::image_ref::Registry;
use crate::rules::{Context, ImageFact, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "IMG007",
    name: "public-registry-image",
    severity: Severity::Note,
    summary: "An image from Docker Hub without repositoryCredentials: anonymous pull rate limits apply",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

fn check(_task: &TaskDefinition, cx: &mut Context) {
    let mut found = Vec::new();
    for facts in &cx.containers {
        if let ImageFact::Parsed { node, image } = &facts.image
            && image.registry == Registry::DockerHub
            && facts.container.get("repositoryCredentials").is_none()
        {
            found.push((
                facts.container.label(),
                node.span,
                image.path.clone(),
                image.tag.clone(),
            ));
        }
    }
    for (name, span, path, tag) in found {
        let tag = tag.map(|t| format!(":{t}")).unwrap_or_default();
        let mirror = match path.strip_prefix("library/") {
            Some(official) => format!(
                " or the ECR Public mirror of official images, `public.ecr.aws/docker/library/{official}{tag}`"
            ),
            None => String::new(),
        };
        cx.report(&RULE, span, format!("container `{name}` pulls `{path}` from Docker Hub anonymously, so Docker Hub's pull rate limits apply"))
            .container(name)
            .help(format!(
                "use an ECR pull-through cache rule for Docker Hub (`aws ecr create-pull-through-cache-rule \
                 --ecr-repository-prefix docker-hub --upstream-registry-url registry-1.docker.io --credential-arn …`) \
                 and pull `<account>.dkr.ecr.<region>.amazonaws.com/docker-hub/{path}{tag}`{mirror}"
            ));
    }
}
