//! What a task definition must reach while its tasks start: the registries of its images,
//! S3 for image layers and environment files, CloudWatch Logs for `awslogs`, Secrets Manager and
//! SSM for secrets and repository credentials — and what could not be worked out (an image or
//! region known only at deploy time), which the rules report as not checked.

use crate::model::TaskDefinition;
use crate::model::arn::Arn;
use crate::model::image_ref::{self, Registry};
use crate::model::placeholder::placeholder;
use crate::net::Needs;
use crate::net::services::ServiceKind;
use crate::parse::{Node, NodeKind};

/// What a task must reach while it starts, and what could not be worked out.
pub fn needs_of(
    task: &TaskDefinition,
    region: &str,
    buckets: &crate::state::s3::S3Index,
) -> (Needs, Vec<String>) {
    let mut needs = Needs::new();
    let mut unknown = Vec::new();
    for container in task.containers() {
        let name = container.label();
        // Environment files come from S3 in their bucket's region, which only the state knows
        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/use-environment-file.html).
        for item in container
            .get("environmentFiles")
            .map(Node::items)
            .unwrap_or(&[])
        {
            let Some(value) = crate::model::taskdef::field(item, container.style, "value") else {
                continue;
            };
            let object = match &value.kind {
                NodeKind::String(s) if placeholder(s).is_none() => crate::model::arn::s3_object(s),
                _ => Err("is not known before deploy".to_string()),
            };
            let region = object.and_then(|(bucket, _)| match buckets.bucket(&bucket, None) {
                crate::base::known::Lookup::Found(b) => Ok(b.region.clone()),
                _ => Err(format!(
                    "is in the bucket `{bucket}`, whose region no state file's `s3.buckets` gives"
                )),
            });
            match region {
                Ok(r) => needs.add_environment_file(&r),
                Err(why) => unknown.push(format!(
                    "an environment file of container `{name}` {why}, so its path to S3 was not checked"
                )),
            }
        }
        match container.get("image").map(|n| &n.kind) {
            Some(NodeKind::String(text)) => match placeholder(text) {
                Some(why) => unknown.push(format!(
                    "the image of container `{name}` is not known ({why}), so its registry path was not checked"
                )),
                // An image that does not parse is IMG001's.
                None => {
                    if let Ok(image) = image_ref::parse(text) {
                        match &image.registry {
                            Registry::Ecr {
                                account,
                                region: registry_region,
                                dual_stack,
                                ..
                            } => {
                                let repository = image.ecr_repository_name().unwrap_or_default();
                                needs.add_private_ecr_image(
                                    registry_region,
                                    account,
                                    repository,
                                    *dual_stack,
                                );
                            }
                            Registry::EcrPublic | Registry::DockerHub | Registry::Other => {
                                let host = match image.registry {
                                    Registry::DockerHub => "registry-1.docker.io",
                                    _ => image.registry_host(),
                                };
                                needs.add_public_registry(host);
                            }
                        }
                    }
                }
            },
            Some(NodeKind::Unresolved(why)) => unknown.push(format!(
                "the image of container `{name}` is not known ({why}), so its registry path was not checked"
            )),
            Some(NodeKind::ResourceRef { id, .. }) => unknown.push(format!(
                "the image of container `{name}` comes from `{id}` at deploy time, so its registry path was not checked"
            )),
            _ => {}
        }
        let awslogs = container
            .log_driver()
            .and_then(Node::as_str)
            .is_some_and(|d| d == "awslogs");
        if awslogs {
            match container.log_option("awslogs-region").map(|n| &n.kind) {
                Some(NodeKind::String(r)) if !r.is_empty() && placeholder(r).is_none() => {
                    needs.add_service(ServiceKind::Logs, r, false, Vec::new())
                }
                // TD004 reports a missing region; an unresolved one is unknown.
                None => {}
                Some(_) => unknown.push(format!(
                    "the awslogs-region of container `{name}` is not known, so its path to CloudWatch Logs was not checked"
                )),
            }
        }
        let mut secrets: Vec<&Node> = Vec::new();
        for list in [
            container.get("secrets"),
            container
                .get("logConfiguration")
                .and_then(|lc| crate::model::taskdef::field(lc, container.style, "secretOptions")),
        ]
        .into_iter()
        .flatten()
        {
            for item in list.items() {
                if let Some(v) = crate::model::taskdef::field(item, container.style, "valueFrom") {
                    secrets.push(v);
                }
            }
        }
        for value in secrets {
            match secret_service(value, region) {
                Ok((kind, secret_region)) => {
                    needs.add_service(kind, &secret_region, false, Vec::new())
                }
                Err(why) => unknown.push(format!(
                    "a secret of container `{name}` {why}, so its path was not checked"
                )),
            }
        }
        if let Some(parameter) = container.get("repositoryCredentials").and_then(|rc| {
            crate::model::taskdef::field(rc, container.style, "credentialsParameter")
        }) {
            match secret_service(parameter, region) {
                Ok((_, secret_region)) => needs.add_service(
                    ServiceKind::SecretsManager,
                    &secret_region,
                    false,
                    Vec::new(),
                ),
                Err(why) => unknown.push(format!(
                    "the repository credentials of container `{name}` {why}, so their path was not checked"
                )),
            }
        }
    }
    (needs, unknown)
}

/// The service and region a `valueFrom` is read from: a Secrets Manager or SSM ARN, or an SSM
/// parameter name (in the task's region).
fn secret_service(value: &Node, region: &str) -> Result<(ServiceKind, String), String> {
    let text = match &value.kind {
        NodeKind::String(s) if placeholder(s).is_none() => s.as_str(),
        NodeKind::ResourceRef { .. } => {
            return Err(
                "comes from a resource of the template whose service is not told here".into(),
            );
        }
        _ => return Err("is not known before deploy".into()),
    };
    if text.starts_with("arn:") {
        let Some(arn) = Arn::parse(text) else {
            return Err(format!("has the malformed ARN `{text}`"));
        };
        let secret_region = if arn.region.is_empty() {
            region
        } else {
            arn.region
        };
        return match arn.service {
            "secretsmanager" => Ok((ServiceKind::SecretsManager, secret_region.to_string())),
            "ssm" => Ok((ServiceKind::Ssm, secret_region.to_string())),
            other => Err(format!(
                "is read from `{other}`, which this check does not know"
            )),
        };
    }
    // A bare name is an SSM parameter of the task's region.
    Ok((ServiceKind::Ssm, region.to_string()))
}
