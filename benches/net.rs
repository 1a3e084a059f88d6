//! Network verdicts at scale: 10,000 task definitions across 500 subnets, 200 route tables,
//! 1,000 VPC endpoints and 2,000 security groups. Target: under 1 s in release.
//!
//! Run: `cargo bench --bench net` (harness = false: a plain `main` timed with `Instant`).

use std::hint::black_box;
use std::time::Instant;

use ecs_preflight::net::{
    AssignPublicIp, LaunchType, Needs, NetIndex, OsFamily, ServiceKind, TaskNetwork, analyze,
};
use ecs_preflight::state::ec2::Ec2State;
use serde_json::{Value, json};

pub const REGION: &str = "us-east-1";
pub const VPCS: usize = 5;
pub const SUBNETS: usize = 500;
pub const ROUTE_TABLES: usize = 200;
pub const ENDPOINTS: usize = 1000;
pub const GROUPS: usize = 2000;
pub const TASKS: usize = 10_000;

pub fn state() -> Value {
    let subnets_per_vpc = SUBNETS / VPCS;
    let tables_per_vpc = ROUTE_TABLES / VPCS;
    let groups_per_vpc = GROUPS / VPCS;
    let mut vpcs = Vec::new();
    let mut attributes = Vec::new();
    let mut subnets = Vec::new();
    let mut tables = Vec::new();
    let mut nats = Vec::new();
    let mut endpoints = Vec::new();
    let mut groups = Vec::new();
    for v in 0..VPCS {
        let vpc = format!("vpc-{v}");
        vpcs.push(json!({"VpcId": vpc, "CidrBlock": format!("10.{v}.0.0/16")}));
        attributes.push(json!({"VpcId": vpc, "EnableDnsSupport": {"Value": true}}));
        attributes.push(json!({"VpcId": vpc, "EnableDnsHostnames": {"Value": v % 2 == 0}}));
        nats.push(json!({"NatGatewayId": format!("nat-{v}"), "SubnetId": format!("subnet-{v}-0"), "VpcId": vpc,
                         "State": "available", "ConnectivityType": "public"}));
        // Table 0 is main (local only); table 1 public; the rest alternate NAT, TGW, none.
        for t in 0..tables_per_vpc {
            let id = format!("rtb-{v}-{t}");
            let mut routes = vec![
                json!({"DestinationCidrBlock": format!("10.{v}.0.0/16"), "GatewayId": "local", "State": "active"}),
            ];
            match t % 4 {
                _ if t == 0 => {}
                1 => routes.push(json!({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": format!("igw-{v}"), "State": "active"})),
                2 => routes.push(json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": format!("nat-{v}"), "State": "active"})),
                3 => routes.push(json!({"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-1", "State": "active"})),
                _ => routes.push(json!({"DestinationPrefixListId": "pl-s3", "GatewayId": format!("vpce-{v}-s3"), "State": "active"})),
            }
            let associations: Vec<Value> = if t == 0 {
                vec![json!({"Main": true, "RouteTableId": id})]
            } else {
                (0..subnets_per_vpc)
                    .filter(|s| s % tables_per_vpc == t)
                    .map(|s| json!({"Main": false, "SubnetId": format!("subnet-{v}-{s}"), "RouteTableId": id}))
                    .collect()
            };
            tables.push(json!({"RouteTableId": id, "VpcId": vpc, "Associations": associations, "Routes": routes}));
        }
        for s in 0..subnets_per_vpc {
            subnets.push(json!({"SubnetId": format!("subnet-{v}-{s}"), "VpcId": vpc,
                                "CidrBlock": format!("10.{v}.{s}.0/24"), "AvailabilityZone": format!("us-east-1{}", ["a", "b", "c"][s % 3])}));
        }
        for g in 0..groups_per_vpc {
            let id = format!("sg-{v}-{g}");
            let ingress = json!([
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": format!("sg-{v}-{}", (g + 1) % groups_per_vpc)}]},
                {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 9000, "IpRanges": [{"CidrIp": format!("10.{v}.{}.0/24", g % 250)}]}
            ]);
            let egress = if g % 5 == 0 {
                json!([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": format!("10.{v}.0.0/16")}],
                        "PrefixListIds": [{"PrefixListId": "pl-s3"}]}])
            } else {
                json!([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            };
            let name = if g == 0 {
                "default".to_string()
            } else {
                id.clone()
            };
            groups.push(json!({"GroupId": id, "GroupName": name, "VpcId": vpc, "IpPermissions": ingress, "IpPermissionsEgress": egress}));
        }
        let per_vpc = ENDPOINTS / VPCS;
        for e in 0..per_vpc {
            let (service, kind) = match e {
                0 => ("ecr.api".to_string(), "Interface"),
                1 => ("ecr.dkr".to_string(), "Interface"),
                2 => ("logs".to_string(), "Interface"),
                3 => ("secretsmanager".to_string(), "Interface"),
                4 => ("s3".to_string(), "Gateway"),
                _ => (format!("vpce-svc-{e}"), "Interface"),
            };
            let id = if e == 4 {
                format!("vpce-{v}-s3")
            } else {
                format!("vpce-{v}-{e}")
            };
            let route_tables: Vec<String> = (0..tables_per_vpc)
                .filter(|t| t % 4 == 0)
                .map(|t| format!("rtb-{v}-{t}"))
                .collect();
            endpoints.push(json!({
                "VpcEndpointId": id, "VpcEndpointType": kind, "VpcId": vpc,
                "ServiceName": format!("com.amazonaws.{REGION}.{service}"), "State": "available",
                "PrivateDnsEnabled": kind == "Interface" && e != 3,
                "Groups": [{"GroupId": format!("sg-{v}-{}", e % groups_per_vpc)}],
                "SubnetIds": [format!("subnet-{v}-{}", e % subnets_per_vpc)],
                "RouteTableIds": if kind == "Gateway" { route_tables } else { vec![] },
                "PolicyDocument": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}"
            }));
        }
    }
    json!({
        "Vpcs": vpcs, "VpcAttributes": attributes, "Subnets": subnets, "RouteTables": tables,
        "VpcEndpoints": endpoints, "SecurityGroups": groups, "NatGateways": nats,
        "PrefixLists": [{"PrefixListId": "pl-s3", "PrefixListName": format!("com.amazonaws.{REGION}.s3"),
                         "Entries": [{"Cidr": "52.216.0.0/15"}, {"Cidr": "54.231.0.0/16"}]}]
    })
}

fn tasks() -> Vec<(TaskNetwork, Needs)> {
    let subnets_per_vpc = SUBNETS / VPCS;
    let groups_per_vpc = GROUPS / VPCS;
    (0..TASKS)
        .map(|i| {
            let v = i % VPCS;
            let s = (i / VPCS) % subnets_per_vpc;
            let network = TaskNetwork {
                subnets: (0..3)
                    .map(|k| format!("subnet-{v}-{}", (s + k * 7) % subnets_per_vpc))
                    .collect(),
                security_groups: if i % 11 == 0 {
                    vec![]
                } else {
                    vec![
                        format!("sg-{v}-{}", i % groups_per_vpc),
                        format!("sg-{v}-{}", (i * 7) % groups_per_vpc),
                    ]
                },
                security_groups_unknown: None,
                assign_public_ip: if i % 3 == 0 {
                    AssignPublicIp::Enabled
                } else {
                    AssignPublicIp::Disabled
                },
                launch_type: if i % 13 == 0 {
                    LaunchType::Ec2
                } else {
                    LaunchType::Fargate
                },
                platform_version: None,
                os_family: OsFamily::Linux,
            };
            let mut needs = Needs::new();
            let registry_region = if i % 17 == 0 { "eu-west-1" } else { REGION };
            needs.add_private_ecr_image(
                registry_region,
                "111122223333",
                &format!("app-{}", i % 50),
                false,
            );
            needs.add_service(ServiceKind::Logs, REGION, false, vec![]);
            if i % 4 == 0 {
                needs.add_service(ServiceKind::SecretsManager, REGION, false, vec![]);
            }
            if i % 9 == 0 {
                needs.add_public_registry("registry-1.docker.io");
            }
            (network, needs)
        })
        .collect()
}

fn main() {
    let value = state();
    let start = Instant::now();
    let state: Ec2State = serde_json::from_value(value).expect("the generated state is valid");
    let parse = start.elapsed();

    let tasks = tasks();
    let start = Instant::now();
    let index = NetIndex::new(Some(&state), REGION);
    let build = start.elapsed();

    let start = Instant::now();
    let mut findings = 0;
    let mut unknowns = 0;
    for (network, needs) in &tasks {
        let report = analyze(&index, black_box(network), black_box(needs));
        findings += report.findings.len();
        unknowns += report.unknowns.len();
        black_box(&report);
    }
    let analysis = start.elapsed();

    println!(
        "net: {TASKS} task definitions, {SUBNETS} subnets, {ROUTE_TABLES} route tables, {ENDPOINTS} endpoints, {GROUPS} security groups"
    );
    println!("  state from JSON value: {parse:?}");
    println!("  NetIndex::new:         {build:?}");
    println!("  analyze x {TASKS}:     {analysis:?} ({findings} findings, {unknowns} unknowns)");
    println!(
        "  network verdicts total (index + analyses): {:?}",
        build + analysis
    );
}
