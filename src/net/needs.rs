//! What a task must reach while it starts: AWS services (by region) and public registries.
//! The caller (the rule) builds it from the task definition; the analysis does not read task
//! definitions.

use crate::net::services::{ServiceKind, layer_bucket_objects_arn, partition_of};

/// One request that goes through a service's endpoint, which the endpoint policy must allow.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Request {
    pub action: String,
    pub resource: String,
}

impl Request {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Request {
        Request {
            action: action.into(),
            resource: resource.into(),
        }
    }
}

/// A service in a region, as the task reaches it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceKey {
    pub kind: ServiceKind,
    pub region: String,
    /// The dual-stack ECR hostnames (`…dkr-ecr.<region>.on.aws`): PrivateLink does not carry
    /// them (docs/network.md#interface-endpoints), so only the internet reaches them.
    pub dual_stack: bool,
}

impl std::fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} in {}", self.kind, self.region)?;
        if self.dual_stack {
            f.write_str(" (dual-stack)")?;
        }
        Ok(())
    }
}

/// Why a task reaches S3: the image layers of a private ECR image.
pub const LAYERS: &str = "the image layers";
/// Why a task reaches S3: its `environmentFiles`.
pub const ENVIRONMENT_FILES: &str = "environment files";

/// A service the task needs, with the requests an endpoint policy must allow for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceNeed {
    pub key: ServiceKey,
    pub requests: Vec<Request>,
    /// What the task reaches it for, for messages ("the image layers", "environment files").
    pub purposes: Vec<&'static str>,
}

/// Everything a task needs to reach.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// One entry per service key, in the order first added.
    pub services: Vec<ServiceNeed>,
    /// Registry hosts reachable only over the internet (Docker Hub, ECR Public, quay.io,
    /// ghcr.io, …), in the order first added.
    pub public_registries: Vec<String>,
}

impl Needs {
    pub fn new() -> Needs {
        Needs::default()
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty() && self.public_registries.is_empty()
    }

    /// Adds a service in a region and the requests its endpoint policy must allow; merges
    /// with an earlier entry for the same service and region.
    pub fn add_service(
        &mut self,
        kind: ServiceKind,
        region: &str,
        dual_stack: bool,
        requests: Vec<Request>,
    ) {
        let key = ServiceKey {
            kind,
            region: region.to_string(),
            dual_stack,
        };
        let need = match self.services.iter().position(|n| n.key == key) {
            Some(i) => &mut self.services[i],
            None => {
                self.services.push(ServiceNeed {
                    key,
                    requests: Vec::new(),
                    purposes: Vec::new(),
                });
                let last = self.services.len() - 1;
                &mut self.services[last]
            }
        };
        for request in requests {
            if !need.requests.contains(&request) {
                need.requests.push(request);
            }
        }
    }

    /// A private ECR image: `ecr.api` (auth), `ecr.dkr` (manifest and layer URLs) and S3 (the
    /// layers, in the registry's region), with the requests of docs/network.md#endpoint-policies.
    /// `BatchCheckLayerAvailability` is left out: the pull does not need it
    /// (docs/iam.md#what-an-image-pull-needs).
    pub fn add_private_ecr_image(
        &mut self,
        registry_region: &str,
        registry_account: &str,
        repository: &str,
        dual_stack: bool,
    ) {
        let repository_arn = format!(
            "arn:{}:ecr:{registry_region}:{registry_account}:repository/{repository}",
            partition_of(registry_region)
        );
        self.add_service(
            ServiceKind::EcrApi,
            registry_region,
            dual_stack,
            vec![Request::new("ecr:GetAuthorizationToken", "*")],
        );
        self.add_service(
            ServiceKind::EcrDkr,
            registry_region,
            dual_stack,
            vec![
                Request::new("ecr:BatchGetImage", repository_arn.clone()),
                Request::new("ecr:GetDownloadUrlForLayer", repository_arn),
            ],
        );
        // The layers come from S3 whichever ECR hostname was used.
        self.add_service(
            ServiceKind::S3,
            registry_region,
            false,
            vec![Request::new(
                "s3:GetObject",
                layer_bucket_objects_arn(registry_region),
            )],
        );
        self.add_purpose(ServiceKind::S3, registry_region, LAYERS);
    }

    /// An `environmentFiles` object, which the agent downloads from S3 in its bucket's region
    /// like the image layers. Its endpoint-policy requests are not added: NET011 checks the
    /// layer bucket only.
    pub fn add_environment_file(&mut self, bucket_region: &str) {
        self.add_service(ServiceKind::S3, bucket_region, false, Vec::new());
        self.add_purpose(ServiceKind::S3, bucket_region, ENVIRONMENT_FILES);
    }

    fn add_purpose(&mut self, kind: ServiceKind, region: &str, purpose: &'static str) {
        if let Some(need) = self
            .services
            .iter_mut()
            .find(|n| n.key.kind == kind && n.key.region == region && !n.key.dual_stack)
            && !need.purposes.contains(&purpose)
        {
            need.purposes.push(purpose);
        }
    }

    /// What the task reaches a service in a region for (empty when not said).
    pub fn purposes_of(&self, key: &ServiceKey) -> Vec<&'static str> {
        self.services
            .iter()
            .find(|n| &n.key == key)
            .map(|n| n.purposes.clone())
            .unwrap_or_default()
    }

    /// An image from a registry that only the internet reaches.
    pub fn add_public_registry(&mut self, host: &str) {
        if !self.public_registries.iter().any(|h| h == host) {
            self.public_registries.push(host.to_string());
        }
    }

    /// What an EC2 container instance's agent reaches (ECS-VPCE): `ecs-agent`,
    /// `ecs-telemetry` and `ecs`.
    pub fn add_container_instance_agent(&mut self, region: &str) {
        for kind in [
            ServiceKind::EcsAgent,
            ServiceKind::EcsTelemetry,
            ServiceKind::Ecs,
        ] {
            self.add_service(kind, region, false, Vec::new());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_image_adds_three_services_and_merges_repositories() {
        let mut needs = Needs::new();
        needs.add_private_ecr_image("us-east-1", "111122223333", "web", false);
        needs.add_private_ecr_image("us-east-1", "111122223333", "sidecar", false);
        let kinds: Vec<ServiceKind> = needs.services.iter().map(|n| n.key.kind).collect();
        assert_eq!(
            kinds,
            [ServiceKind::EcrApi, ServiceKind::EcrDkr, ServiceKind::S3]
        );
        assert_eq!(
            needs.services[0].requests.len(),
            1,
            "one auth request for both"
        );
        assert_eq!(
            needs.services[1].requests.len(),
            4,
            "two actions per repository"
        );
        assert_eq!(
            needs.services[1].requests[2].resource,
            "arn:aws:ecr:us-east-1:111122223333:repository/sidecar"
        );
        assert_eq!(
            needs.services[2].requests,
            [Request::new(
                "s3:GetObject",
                "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"
            )]
        );
    }

    #[test]
    fn regions_and_dual_stack_are_separate_needs() {
        let mut needs = Needs::new();
        needs.add_private_ecr_image("us-east-1", "1", "a", false);
        needs.add_private_ecr_image("eu-west-1", "1", "a", false);
        needs.add_private_ecr_image("us-east-1", "1", "a", true);
        // 3 (us-east-1) + 3 (eu-west-1) + ecr.api and ecr.dkr dual-stack; S3 is shared.
        assert_eq!(needs.services.len(), 8);
        needs.add_public_registry("registry-1.docker.io");
        needs.add_public_registry("registry-1.docker.io");
        assert_eq!(needs.public_registries.len(), 1);
        assert!(!needs.is_empty() && Needs::new().is_empty());
    }
}
