//! Where a task's traffic leaves from: its subnets, security groups, public IP, and which
//! network interface makes which connection (docs/network.md#which-network-interface-pulls,
//! docs/inputs.md#where-the-task-runs).

use crate::base::known::Tri;
use crate::net::services::ServiceKind;
use crate::state::ecs::{CapacityProviderStrategyItem, EcsService};

/// `awsvpcConfiguration.assignPublicIp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssignPublicIp {
    Enabled,
    Disabled,
    /// An unresolved template expression or an unreadable value.
    Unknown,
}

impl AssignPublicIp {
    /// Reads the AWS value; absent is `DISABLED`, the CreateService default
    /// (docs/inputs.md#where-the-task-runs).
    pub fn from_aws(value: Option<&str>) -> AssignPublicIp {
        match value {
            None => AssignPublicIp::Disabled,
            Some(v) if v.eq_ignore_ascii_case("ENABLED") => AssignPublicIp::Enabled,
            Some(v) if v.eq_ignore_ascii_case("DISABLED") => AssignPublicIp::Disabled,
            Some(_) => AssignPublicIp::Unknown,
        }
    }
}

pub use crate::settings::LaunchType;

/// From a capacity provider strategy: all `FARGATE`/`FARGATE_SPOT` is Fargate, none of
/// them is EC2 (Auto Scaling group providers), a mix or an empty list is unknown.
pub fn launch_type_from_capacity_providers(
    strategy: &[CapacityProviderStrategyItem],
) -> LaunchType {
    let is_fargate = |item: &CapacityProviderStrategyItem| {
        matches!(
            item.capacity_provider.as_deref(),
            Some("FARGATE" | "FARGATE_SPOT")
        )
    };
    if strategy.is_empty() || strategy.iter().any(|i| i.capacity_provider.is_none()) {
        LaunchType::Unknown
    } else if strategy.iter().all(is_fargate) {
        LaunchType::Fargate
    } else if !strategy.iter().any(is_fargate) {
        LaunchType::Ec2
    } else {
        LaunchType::Unknown
    }
}

/// The operating system family (`runtimePlatform.operatingSystemFamily`): it changes what
/// Fargate platform version `1.0.0` means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OsFamily {
    Linux,
    Windows,
    Unknown,
}

/// The network a task runs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskNetwork {
    /// Every subnet the task may land in; each is evaluated.
    pub subnets: Vec<String>,
    /// Empty means the VPC's default security group (docs/inputs.md#where-the-task-runs), unless
    /// `security_groups_unknown`.
    pub security_groups: Vec<String>,
    /// Why the task's security groups are not known (an unresolved template expression):
    /// every check of their rules is then unknown.
    pub security_groups_unknown: Option<String>,
    pub assign_public_ip: AssignPublicIp,
    pub launch_type: LaunchType,
    /// `platformVersion`; absent or `LATEST` is 1.4.0 on Linux, 1.0.0 on Windows.
    pub platform_version: Option<String>,
    pub os_family: OsFamily,
}

/// Whether the task's traffic leaves with a public IP.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PublicIp {
    Assigned,
    NotAssigned(NoPublicIp),
    Unknown(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoPublicIp {
    /// `assignPublicIp` is `DISABLED` (or absent).
    AssignPublicIpDisabled,
    /// EC2 launch type: awsvpc task ENIs never get a public IP
    /// (docs/network.md#which-network-interface-pulls).
    Ec2LaunchType,
}

/// Which network interface makes the connections of the image pull
/// (docs/network.md#which-network-interface-pulls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EniModel {
    /// Fargate ≥ 1.4.0 (Linux) or Windows 1.0.0: everything through the task ENI.
    TaskEni,
    /// Fargate ≤ 1.3.0: ECR auth and secrets through an AWS-owned ENI, the rest through the
    /// task ENI.
    FargateSplit,
    /// EC2: the container instance pulls. Evaluated on the task's subnets with no public IP,
    /// as rules/NET002-public-ip-disabled.md describes; that the instance sits in those subnets
    /// is an assumption (inferred, docs/network.md#which-network-interface-pulls).
    ContainerInstance,
    /// ECS Anywhere: not evaluated.
    External,
    Unknown(String),
}

impl TaskNetwork {
    /// The network of a service in the state: its effective (PRIMARY deployment's) awsvpc
    /// configuration, launch type (or capacity provider strategy) and platform version.
    /// `None` when the service has no awsvpc configuration. The OS family is not in a
    /// service: it is `Unknown` here, to be set from the task definition.
    pub fn from_ecs_service(service: &EcsService) -> Option<TaskNetwork> {
        let config = service.effective_awsvpc_configuration()?;
        let launch_type = match service.effective_launch_type() {
            Some(value) => LaunchType::from_aws(Some(value)),
            None => service
                .effective_capacity_provider_strategy()
                .map(launch_type_from_capacity_providers)
                .unwrap_or(LaunchType::Unknown),
        };
        Some(TaskNetwork {
            subnets: config.subnets.clone().unwrap_or_default(),
            security_groups: config.security_groups.clone().unwrap_or_default(),
            security_groups_unknown: None,
            assign_public_ip: AssignPublicIp::from_aws(config.assign_public_ip.as_deref()),
            launch_type,
            platform_version: service.effective_platform_version().map(str::to_string),
            os_family: OsFamily::Unknown,
        })
    }

    /// Whether the traffic leaves with a public IP (only Fargate with `ENABLED`).
    pub fn public_ip(&self) -> PublicIp {
        match (self.assign_public_ip, self.launch_type) {
            (_, LaunchType::Ec2) => PublicIp::NotAssigned(NoPublicIp::Ec2LaunchType),
            (AssignPublicIp::Disabled, _) => PublicIp::NotAssigned(NoPublicIp::AssignPublicIpDisabled),
            (AssignPublicIp::Enabled, LaunchType::Fargate) => PublicIp::Assigned,
            (AssignPublicIp::Enabled, LaunchType::External) => {
                PublicIp::Unknown("ECS Anywhere tasks are on the on-premises network".into())
            }
            (AssignPublicIp::Enabled, LaunchType::Unknown) => PublicIp::Unknown(
                "assignPublicIp is ENABLED but the launch type is not known (EC2 tasks never get a public IP)".into(),
            ),
            (AssignPublicIp::Unknown, _) => PublicIp::Unknown("assignPublicIp is not known".into()),
        }
    }

    /// Which interface makes the pull's connections.
    pub fn eni_model(&self) -> EniModel {
        match self.launch_type {
            LaunchType::Ec2 => EniModel::ContainerInstance,
            LaunchType::External => EniModel::External,
            LaunchType::Fargate | LaunchType::Unknown => match self.fargate_before_1_4() {
                Tri::False => EniModel::TaskEni,
                Tri::True if self.launch_type == LaunchType::Fargate => EniModel::FargateSplit,
                Tri::True => EniModel::Unknown(format!(
                    "platform version {} splits traffic between two ENIs on Fargate, but the launch type is not known",
                    self.platform_version.as_deref().unwrap_or("")
                )),
                Tri::Unknown => EniModel::Unknown(format!(
                    "Fargate platform version `{}` is not understood for this operating system",
                    self.platform_version.as_deref().unwrap_or("")
                )),
            },
        }
    }

    fn fargate_before_1_4(&self) -> Tri {
        let version = match self.platform_version.as_deref() {
            None => return Tri::False,
            Some(v) if v.eq_ignore_ascii_case("LATEST") => return Tri::False,
            Some(v) => v,
        };
        let parts: Vec<Option<u32>> = version.split('.').map(|p| p.parse::<u32>().ok()).collect();
        let (major, minor) = match parts.as_slice() {
            [Some(major), Some(minor), Some(_)] => (*major, *minor),
            _ => return Tri::Unknown,
        };
        if (major, minor) >= (1, 4) {
            return Tri::False;
        }
        // Windows on Fargate starts at 1.0.0, with the single-ENI model.
        match (version, self.os_family) {
            ("1.0.0", OsFamily::Windows) => Tri::False,
            ("1.0.0", OsFamily::Unknown) => Tri::Unknown,
            _ => Tri::True,
        }
    }
}

impl EniModel {
    /// Whether the task's subnets carry this service's connections: `Ok(true)` yes,
    /// `Ok(false)` no (another interface does), `Err(reason)` cannot tell.
    pub fn carried_by_task_subnets(&self, kind: ServiceKind) -> Result<bool, String> {
        let through_platform_eni = matches!(
            kind,
            ServiceKind::EcrApi | ServiceKind::SecretsManager | ServiceKind::Ssm
        );
        match self {
            EniModel::TaskEni | EniModel::ContainerInstance => Ok(true),
            EniModel::FargateSplit => Ok(!through_platform_eni),
            EniModel::External => Ok(false),
            EniModel::Unknown(reason) if through_platform_eni => Err(reason.clone()),
            EniModel::Unknown(_) => Ok(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(
        launch_type: LaunchType,
        assign: AssignPublicIp,
        version: Option<&str>,
        os: OsFamily,
    ) -> TaskNetwork {
        TaskNetwork {
            subnets: vec!["subnet-a".into()],
            security_groups: vec![],
            security_groups_unknown: None,
            assign_public_ip: assign,
            launch_type,
            platform_version: version.map(str::to_string),
            os_family: os,
        }
    }

    #[test]
    fn public_ip_by_launch_type() {
        let fargate = task(
            LaunchType::Fargate,
            AssignPublicIp::Enabled,
            None,
            OsFamily::Linux,
        );
        assert_eq!(fargate.public_ip(), PublicIp::Assigned);
        let ec2 = task(
            LaunchType::Ec2,
            AssignPublicIp::Enabled,
            None,
            OsFamily::Linux,
        );
        assert_eq!(
            ec2.public_ip(),
            PublicIp::NotAssigned(NoPublicIp::Ec2LaunchType)
        );
        let disabled = task(
            LaunchType::Unknown,
            AssignPublicIp::Disabled,
            None,
            OsFamily::Linux,
        );
        assert_eq!(
            disabled.public_ip(),
            PublicIp::NotAssigned(NoPublicIp::AssignPublicIpDisabled)
        );
        let unknown = task(
            LaunchType::Unknown,
            AssignPublicIp::Enabled,
            None,
            OsFamily::Linux,
        );
        assert!(matches!(unknown.public_ip(), PublicIp::Unknown(_)));
        assert_eq!(AssignPublicIp::from_aws(None), AssignPublicIp::Disabled);
        assert_eq!(
            AssignPublicIp::from_aws(Some("enabled")),
            AssignPublicIp::Enabled
        );
        assert_eq!(
            AssignPublicIp::from_aws(Some("${var}")),
            AssignPublicIp::Unknown
        );
    }

    #[test]
    fn platform_versions() {
        let model = |v: Option<&str>, os| {
            task(LaunchType::Fargate, AssignPublicIp::Disabled, v, os).eni_model()
        };
        assert_eq!(model(None, OsFamily::Linux), EniModel::TaskEni);
        assert_eq!(model(Some("LATEST"), OsFamily::Unknown), EniModel::TaskEni);
        assert_eq!(model(Some("1.4.0"), OsFamily::Linux), EniModel::TaskEni);
        assert_eq!(
            model(Some("1.3.0"), OsFamily::Linux),
            EniModel::FargateSplit
        );
        assert_eq!(model(Some("1.0.0"), OsFamily::Windows), EniModel::TaskEni);
        assert_eq!(
            model(Some("1.0.0"), OsFamily::Linux),
            EniModel::FargateSplit
        );
        assert!(matches!(
            model(Some("1.0.0"), OsFamily::Unknown),
            EniModel::Unknown(_)
        ));
        assert!(matches!(
            model(Some("one"), OsFamily::Linux),
            EniModel::Unknown(_)
        ));
        let split = EniModel::FargateSplit;
        assert_eq!(
            split.carried_by_task_subnets(ServiceKind::EcrApi),
            Ok(false)
        );
        assert_eq!(split.carried_by_task_subnets(ServiceKind::EcrDkr), Ok(true));
        assert_eq!(split.carried_by_task_subnets(ServiceKind::S3), Ok(true));
        assert!(
            EniModel::Unknown("x".into())
                .carried_by_task_subnets(ServiceKind::Ssm)
                .is_err()
        );
        assert_eq!(
            EniModel::External.carried_by_task_subnets(ServiceKind::S3),
            Ok(false)
        );
    }

    #[test]
    fn capacity_providers_decide_the_launch_type() {
        let item = |name: &str| CapacityProviderStrategyItem {
            capacity_provider: Some(name.into()),
            weight: None,
            base: None,
        };
        assert_eq!(
            launch_type_from_capacity_providers(&[item("FARGATE"), item("FARGATE_SPOT")]),
            LaunchType::Fargate
        );
        assert_eq!(
            launch_type_from_capacity_providers(&[item("my-asg")]),
            LaunchType::Ec2
        );
        assert_eq!(
            launch_type_from_capacity_providers(&[item("my-asg"), item("FARGATE")]),
            LaunchType::Unknown
        );
        assert_eq!(
            launch_type_from_capacity_providers(&[]),
            LaunchType::Unknown
        );
    }

    #[test]
    fn from_service_uses_primary_deployment() {
        let service: EcsService = serde_json::from_str(
            r#"{"taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/web:2",
                "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}],
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-old"]}},
                "deployments": [{"status": "PRIMARY", "platformVersion": "1.3.0",
                  "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-new"], "securityGroups": ["sg-1"], "assignPublicIp": "ENABLED"}}}]}"#,
        )
        .unwrap();
        let network = TaskNetwork::from_ecs_service(&service).unwrap();
        assert_eq!(network.subnets, ["subnet-new"]);
        assert_eq!(network.security_groups, ["sg-1"]);
        assert_eq!(network.assign_public_ip, AssignPublicIp::Enabled);
        assert_eq!(network.launch_type, LaunchType::Fargate);
        assert_eq!(network.eni_model(), EniModel::FargateSplit);
        let no_network: EcsService = serde_json::from_str(r#"{"launchType": "EC2"}"#).unwrap();
        assert!(TaskNetwork::from_ecs_service(&no_network).is_none());
    }
}
