//! The `ecs` section of a state snapshot: `aws ecs describe-services` → `services[]` items,
//! field names as the CLI prints them. A task definition takes the network configuration and
//! launch type of the services running its family.

use serde::Deserialize;

use crate::base::known::Lookup;

/// The whole `ecs` section.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EcsState {
    pub services: Option<Vec<EcsService>>,
}

impl EcsState {
    /// The services whose task definition belongs to `family` (the `family` in
    /// `…:task-definition/family:revision`). Unknown when the state has no `services`.
    pub fn services_for_family(&self, family: &str) -> Lookup<Vec<&EcsService>> {
        let Some(services) = &self.services else {
            return Lookup::unknown("the state has no ecs.services");
        };
        let matching: Vec<&EcsService> = services
            .iter()
            .filter(|service| service.task_definition_family() == Some(family))
            .collect();
        if matching.is_empty() {
            Lookup::Absent
        } else {
            Lookup::Found(matching)
        }
    }
}

/// One `describe-services` item.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EcsService {
    pub service_name: Option<String>,
    pub service_arn: Option<String>,
    pub cluster_arn: Option<String>,
    pub status: Option<String>,
    /// The task definition ARN (`arn:aws:ecs:R:A:task-definition/family:revision`).
    pub task_definition: Option<String>,
    /// `FARGATE` | `EC2` | `EXTERNAL` (absent when a capacity provider strategy is used).
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    pub platform_version: Option<String>,
    pub platform_family: Option<String>,
    pub network_configuration: Option<NetworkConfiguration>,
    pub deployments: Option<Vec<Deployment>>,
}

/// One item of `services[].deployments[]`: each carries its own copy of the settings.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: Option<String>,
    /// `PRIMARY` (the newest), `ACTIVE` (being replaced) or `INACTIVE`.
    pub status: Option<String>,
    pub task_definition: Option<String>,
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    pub platform_version: Option<String>,
    pub platform_family: Option<String>,
    pub network_configuration: Option<NetworkConfiguration>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderStrategyItem {
    pub capacity_provider: Option<String>,
    pub weight: Option<i64>,
    pub base: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfiguration {
    pub awsvpc_configuration: Option<AwsVpcConfiguration>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AwsVpcConfiguration {
    pub subnets: Option<Vec<String>>,
    pub security_groups: Option<Vec<String>>,
    /// `ENABLED` | `DISABLED`
    pub assign_public_ip: Option<String>,
}

impl EcsService {
    /// The `PRIMARY` deployment, when `deployments` lists one.
    pub fn primary_deployment(&self) -> Option<&Deployment> {
        self.deployments.as_ref()?.iter().find(|d| {
            d.status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("PRIMARY"))
        })
    }

    /// The network configuration new tasks get: the `PRIMARY` deployment's when there is one
    /// (it is what the service is rolling out), else the top-level one.
    pub fn effective_network_configuration(&self) -> Option<&NetworkConfiguration> {
        match self.primary_deployment() {
            Some(primary) => primary.network_configuration.as_ref(),
            None => self.network_configuration.as_ref(),
        }
    }

    /// The effective `awsvpcConfiguration` (see [`Self::effective_network_configuration`]).
    pub fn effective_awsvpc_configuration(&self) -> Option<&AwsVpcConfiguration> {
        self.effective_network_configuration()?
            .awsvpc_configuration
            .as_ref()
    }

    /// The launch type of new tasks: the `PRIMARY` deployment's, else the service's.
    pub fn effective_launch_type(&self) -> Option<&str> {
        self.primary_deployment()
            .and_then(|d| d.launch_type.as_deref())
            .or(self.launch_type.as_deref())
    }

    /// The capacity provider strategy of new tasks: the `PRIMARY` deployment's, else the service's.
    pub fn effective_capacity_provider_strategy(&self) -> Option<&[CapacityProviderStrategyItem]> {
        self.primary_deployment()
            .and_then(|d| d.capacity_provider_strategy.as_deref())
            .or(self.capacity_provider_strategy.as_deref())
    }

    /// The platform version of new tasks: the `PRIMARY` deployment's, else the service's.
    pub fn effective_platform_version(&self) -> Option<&str> {
        self.primary_deployment()
            .and_then(|d| d.platform_version.as_deref())
            .or(self.platform_version.as_deref())
    }

    /// The family of the service's task definition.
    pub fn task_definition_family(&self) -> Option<&str> {
        self.task_definition
            .as_deref()
            .and_then(task_definition_family)
    }
}

/// The family in a task definition reference: an ARN
/// `arn:aws:ecs:R:A:task-definition/family:revision`, or `family:revision`, or `family`.
pub fn task_definition_family(reference: &str) -> Option<&str> {
    let name = match reference.split_once(":task-definition/") {
        Some((_, rest)) => rest,
        None if reference.starts_with("arn:") => return None,
        None => reference,
    };
    let family = match name.rsplit_once(':') {
        Some((family, revision))
            if !revision.is_empty() && revision.bytes().all(|b| b.is_ascii_digit()) =>
        {
            family
        }
        Some(_) => return None,
        None => name,
    };
    if family.is_empty() {
        None
    } else {
        Some(family)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICES: &str = r#"{"services": [
      {"serviceName": "web", "taskDefinition": "arn:aws:ecs:us-east-1:111122223333:task-definition/web:7",
       "launchType": "FARGATE", "platformVersion": "LATEST",
       "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-old"], "securityGroups": ["sg-old"], "assignPublicIp": "DISABLED"}},
       "deployments": [
         {"id": "ecs-svc/2", "status": "ACTIVE", "taskDefinition": "arn:aws:ecs:us-east-1:111122223333:task-definition/web:6",
          "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-active"], "securityGroups": [], "assignPublicIp": "DISABLED"}}},
         {"id": "ecs-svc/3", "status": "PRIMARY", "taskDefinition": "arn:aws:ecs:us-east-1:111122223333:task-definition/web:7",
          "platformVersion": "1.4.0",
          "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-new"], "securityGroups": ["sg-new"], "assignPublicIp": "ENABLED"}}}
       ]},
      {"serviceName": "worker", "taskDefinition": "arn:aws:ecs:us-east-1:111122223333:task-definition/worker:1",
       "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}],
       "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-w"], "securityGroups": ["sg-w"], "assignPublicIp": "DISABLED"}}},
      {"serviceName": "web-canary", "taskDefinition": "arn:aws:ecs:us-east-1:111122223333:task-definition/web:5"}
    ]}"#;

    fn state() -> EcsState {
        serde_json::from_str(SERVICES).unwrap()
    }

    #[test]
    fn primary_deployment_network_wins() {
        let state = state();
        let web = &state.services.as_ref().unwrap()[0];
        let config = web.effective_awsvpc_configuration().unwrap();
        assert_eq!(
            config.subnets.as_deref(),
            Some(&["subnet-new".to_string()][..])
        );
        assert_eq!(config.assign_public_ip.as_deref(), Some("ENABLED"));
        assert_eq!(web.effective_platform_version(), Some("1.4.0"));
        assert_eq!(
            web.effective_launch_type(),
            Some("FARGATE"),
            "falls back to the service's"
        );
    }

    #[test]
    fn top_level_network_without_deployments() {
        let state = state();
        let worker = &state.services.as_ref().unwrap()[1];
        let config = worker.effective_awsvpc_configuration().unwrap();
        assert_eq!(
            config.subnets.as_deref(),
            Some(&["subnet-w".to_string()][..])
        );
        let strategy = worker.effective_capacity_provider_strategy().unwrap();
        assert_eq!(
            strategy[0].capacity_provider.as_deref(),
            Some("FARGATE_SPOT")
        );
        assert_eq!(worker.effective_launch_type(), None);
    }

    #[test]
    fn services_by_family() {
        let state = state();
        let web = state.services_for_family("web").found().unwrap();
        assert_eq!(web.len(), 2);
        assert!(state.services_for_family("we").is_absent());
        assert!(EcsState::default().services_for_family("web").is_unknown());
    }

    #[test]
    fn family_from_references() {
        assert_eq!(
            task_definition_family("arn:aws:ecs:us-east-1:1:task-definition/web:7"),
            Some("web")
        );
        assert_eq!(
            task_definition_family("arn:aws-cn:ecs:cn-north-1:1:task-definition/a-b_c:12"),
            Some("a-b_c")
        );
        assert_eq!(task_definition_family("web:3"), Some("web"));
        assert_eq!(task_definition_family("web"), Some("web"));
        assert_eq!(
            task_definition_family("arn:aws:ecs:us-east-1:1:service/web"),
            None
        );
        assert_eq!(task_definition_family("web:latest"), None);
        assert_eq!(task_definition_family(":3"), None);
        assert_eq!(task_definition_family(""), None);
    }
}
