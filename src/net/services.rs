//! The AWS services a task reaches while it starts, and how their VPC endpoints are named.
//!
//! Endpoint service names differ by partition (`cn.com.amazonaws.cn-north-1.ecr.api` in
//! China), so an endpoint is matched by the `.<region>.<service>` ending of its name, never by
//! a hard-coded prefix (docs/network.md#endpoints-a-private-subnet-needs).

use std::fmt;

/// A service reached through a VPC endpoint when there is no internet path
/// (docs/network.md#endpoints-a-private-subnet-needs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKind {
    /// `ecr.api`: authentication (`GetAuthorizationToken`) and registry API calls.
    EcrApi,
    /// `ecr.dkr`: the Docker registry API (manifests, layer URLs).
    EcrDkr,
    /// `s3`: image layers, through a *gateway* endpoint on the subnet's route table.
    S3,
    /// `logs`: the awslogs log driver.
    Logs,
    /// `secretsmanager`: `secrets` from Secrets Manager and `repositoryCredentials`.
    SecretsManager,
    /// `ssm`: `secrets` from SSM Parameter Store.
    Ssm,
    /// `ecs-agent`, `ecs-telemetry`, `ecs`: what an EC2 container instance's agent reaches.
    EcsAgent,
    EcsTelemetry,
    Ecs,
}

impl ServiceKind {
    /// The last part of the endpoint service name (`com.amazonaws.<region>.<this>`).
    pub fn endpoint_suffix(self) -> &'static str {
        match self {
            ServiceKind::EcrApi => "ecr.api",
            ServiceKind::EcrDkr => "ecr.dkr",
            ServiceKind::S3 => "s3",
            ServiceKind::Logs => "logs",
            ServiceKind::SecretsManager => "secretsmanager",
            ServiceKind::Ssm => "ssm",
            ServiceKind::EcsAgent => "ecs-agent",
            ServiceKind::EcsTelemetry => "ecs-telemetry",
            ServiceKind::Ecs => "ecs",
        }
    }

    /// S3 is used through a gateway endpoint (route table); everything else through an
    /// interface endpoint (ENIs, security groups, private DNS).
    pub fn uses_gateway_endpoint(self) -> bool {
        self == ServiceKind::S3
    }

    /// Whether `service_name` is this service's endpoint in `region`.
    pub fn matches_service_name(self, service_name: &str, region: &str) -> bool {
        // `<prefix>.<region>.<suffix>` with a non-empty prefix.
        let suffix = self.endpoint_suffix();
        let Some(rest) = service_name.strip_suffix(suffix) else {
            return false;
        };
        let Some(rest) = rest.strip_suffix('.') else {
            return false;
        };
        let Some(rest) = rest.strip_suffix(region) else {
            return false;
        };
        rest.len() > 1 && rest.ends_with('.')
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.endpoint_suffix())
    }
}

/// The ARN partition of a region.
pub fn partition_of(region: &str) -> &'static str {
    crate::model::resolve::partition_of_region(region)
}

/// The endpoint service name to create for a service in a region, e.g.
/// `com.amazonaws.us-east-1.ecr.dkr`. In China the ECR names start with `cn.`
/// (docs/network.md#endpoints-a-private-subnet-needs).
pub fn endpoint_service_name(kind: ServiceKind, region: &str) -> String {
    let china_ecr = partition_of(region) == "aws-cn"
        && matches!(kind, ServiceKind::EcrApi | ServiceKind::EcrDkr);
    let prefix = if china_ecr {
        "cn.com.amazonaws"
    } else {
        "com.amazonaws"
    };
    format!("{prefix}.{region}.{}", kind.endpoint_suffix())
}

/// The names the S3 prefix list of a region may have.
pub fn s3_prefix_list_names(region: &str) -> [String; 2] {
    [
        format!("com.amazonaws.{region}.s3"),
        format!("cn.com.amazonaws.{region}.s3"),
    ]
}

/// The ECR layer bucket objects an image pull reads (docs/network.md#s3-gateway-endpoint).
pub fn layer_bucket_objects_arn(registry_region: &str) -> String {
    format!(
        "arn:{}:s3:::prod-{registry_region}-starport-layer-bucket/*",
        partition_of(registry_region)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_by_region_and_suffix() {
        assert!(
            ServiceKind::EcrDkr
                .matches_service_name("com.amazonaws.us-east-1.ecr.dkr", "us-east-1")
        );
        assert!(
            ServiceKind::EcrApi
                .matches_service_name("cn.com.amazonaws.cn-north-1.ecr.api", "cn-north-1")
        );
        assert!(
            !ServiceKind::EcrApi
                .matches_service_name("com.amazonaws.us-west-2.ecr.api", "us-east-1")
        );
        assert!(
            !ServiceKind::Ssm
                .matches_service_name("com.amazonaws.us-east-1.ssmmessages", "us-east-1")
        );
        assert!(
            !ServiceKind::S3.matches_service_name("com.amazonaws.us-east-1.s3express", "us-east-1")
        );
        assert!(
            !ServiceKind::S3
                .matches_service_name("com.amazonaws.s3-global.accesspoint", "us-east-1")
        );
        assert!(
            !ServiceKind::Ecs
                .matches_service_name("com.amazonaws.us-east-1.ecs-agent", "us-east-1")
        );
        assert!(
            ServiceKind::EcsAgent
                .matches_service_name("com.amazonaws.us-east-1.ecs-agent", "us-east-1")
        );
        assert!(
            !ServiceKind::Logs.matches_service_name("us-east-1.logs", "us-east-1"),
            "needs a prefix"
        );
        assert!(
            !ServiceKind::Logs.matches_service_name("com.amazonaws.xus-east-1.logs", "us-east-1")
        );
    }

    #[test]
    fn partitions_and_names() {
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("us-isob-east-1"), "aws-iso-b");
        assert_eq!(partition_of("us-iso-east-1"), "aws-iso");
        assert_eq!(
            endpoint_service_name(ServiceKind::EcrApi, "cn-north-1"),
            "cn.com.amazonaws.cn-north-1.ecr.api"
        );
        assert_eq!(
            endpoint_service_name(ServiceKind::Logs, "cn-north-1"),
            "com.amazonaws.cn-north-1.logs"
        );
        assert_eq!(
            endpoint_service_name(ServiceKind::S3, "eu-west-1"),
            "com.amazonaws.eu-west-1.s3"
        );
        assert_eq!(
            layer_bucket_objects_arn("us-gov-west-1"),
            "arn:aws-us-gov:s3:::prod-us-gov-west-1-starport-layer-bucket/*"
        );
    }
}
