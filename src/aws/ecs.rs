//! The `ecs` section (`--cluster NAME`): the cluster's services that run one of the task
//! definitions' families, as `aws ecs describe-services` prints them. ListServices, then
//! DescribeServices 10 at a time (the API's limit).

use std::collections::BTreeSet;

use aws_sdk_ecs::types::{CapacityProviderStrategyItem, NetworkConfiguration, Service};
use serde_json::Value;

use super::client::{Aws, describe, is};
use super::json::Obj;
use crate::state::ecs::task_definition_family;

const SERVICES_PER_CALL: usize = 10;

pub struct Collected {
    /// The matching services (None: unknown, see `unknown`).
    pub services: Option<Vec<Value>>,
    /// Subnets and security groups of the matching services (for the EC2 section).
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub unknown: Vec<String>,
}

pub async fn collect(aws: &Aws, cluster: &str, families: &BTreeSet<String>) -> Collected {
    let mut out = Collected {
        services: None,
        subnets: Vec::new(),
        security_groups: Vec::new(),
        unknown: Vec::new(),
    };
    let mut arns = Vec::new();
    {
        let _p = aws.permit().await;
        let mut pages = aws
            .ecs
            .list_services()
            .cluster(cluster)
            .max_results(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => arns.extend(p.service_arns.unwrap_or_default()),
                Err(e) if is(&e, &["ClusterNotFoundException"]) => {
                    out.unknown.push(format!(
                        "cluster `{cluster}` not found in region {}: no service network configuration read",
                        aws.region
                    ));
                    out.services = Some(Vec::new());
                    return out;
                }
                Err(e) => {
                    out.unknown.push(format!(
                        "ECS services of cluster `{cluster}` unknown: {}",
                        describe("ecs:ListServices", &e)
                    ));
                    return out;
                }
            }
        }
    }
    let mut services = Vec::new();
    for batch in arns.chunks(SERVICES_PER_CALL) {
        let got = {
            let _p = aws.permit().await;
            aws.ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(batch.to_vec()))
                .send()
                .await
        };
        match got {
            Ok(o) => services.extend(o.services.unwrap_or_default()),
            Err(e) => {
                out.unknown.push(format!(
                    "ECS services of cluster `{cluster}` unknown: {}",
                    describe("ecs:DescribeServices", &e)
                ));
                return out;
            }
        }
    }
    // A service runs a family when its task definition, or one of its deployments', is of it.
    let runs_family = |s: &Service| {
        s.task_definition()
            .into_iter()
            .chain(s.deployments().iter().filter_map(|d| d.task_definition()))
            .filter_map(task_definition_family)
            .any(|f| families.contains(f))
    };
    let mut matching: Vec<&Service> = services.iter().filter(|s| runs_family(s)).collect();
    matching.sort_by(|a, b| a.service_arn().cmp(&b.service_arn()));
    for s in &matching {
        let configs = s.network_configuration().into_iter().chain(
            s.deployments()
                .iter()
                .filter_map(|d| d.network_configuration()),
        );
        for c in configs {
            if let Some(v) = c.awsvpc_configuration() {
                out.subnets.extend(v.subnets().iter().cloned());
                out.security_groups
                    .extend(v.security_groups().iter().cloned());
            }
        }
    }
    out.services = Some(matching.into_iter().map(service).collect());
    out
}

fn service(s: &Service) -> Value {
    Obj::new()
        .str("serviceName", s.service_name())
        .str("serviceArn", s.service_arn())
        .str("clusterArn", s.cluster_arn())
        .str("status", s.status())
        .str("taskDefinition", s.task_definition())
        .str("launchType", s.launch_type().map(|l| l.as_str()))
        .value(
            "capacityProviderStrategy",
            strategy(s.capacity_provider_strategy()),
        )
        .str("platformVersion", s.platform_version())
        .str("platformFamily", s.platform_family())
        .value(
            "networkConfiguration",
            s.network_configuration().map(network),
        )
        .list("deployments", s.deployments(), |d| {
            Obj::new()
                .str("id", d.id())
                .str("status", d.status())
                .str("taskDefinition", d.task_definition())
                .str("launchType", d.launch_type().map(|l| l.as_str()))
                .value(
                    "capacityProviderStrategy",
                    strategy(d.capacity_provider_strategy()),
                )
                .str("platformVersion", d.platform_version())
                .str("platformFamily", d.platform_family())
                .value(
                    "networkConfiguration",
                    d.network_configuration().map(network),
                )
                .build()
        })
        .build()
}

/// Written only when there is one (the CLI leaves it out for a launch-type service).
fn strategy(items: &[CapacityProviderStrategyItem]) -> Option<Value> {
    if items.is_empty() {
        return None;
    }
    Some(Value::Array(
        items
            .iter()
            .map(|i| {
                Obj::new()
                    .str("capacityProvider", Some(i.capacity_provider()))
                    .int("weight", Some(i64::from(i.weight())))
                    .int("base", Some(i64::from(i.base())))
                    .build()
            })
            .collect(),
    ))
}

fn network(n: &NetworkConfiguration) -> Value {
    Obj::new()
        .value(
            "awsvpcConfiguration",
            n.awsvpc_configuration().map(|v| {
                Obj::new()
                    .strings("subnets", v.subnets())
                    .strings("securityGroups", v.security_groups())
                    .str("assignPublicIp", v.assign_public_ip().map(|a| a.as_str()))
                    .build()
            }),
        )
        .build()
}
