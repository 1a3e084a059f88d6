//! NET: whole runs over bad or large network inputs: clear verdicts or unknowns, never a panic.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use ecs_preflight::check::{self, Report, RunOptions};
use ecs_preflight::rules::ALL;
use ecs_preflight::settings::Settings;

fn task_definition() -> Value {
    json!({"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
           "cpu": "256", "memory": "512", "executionRoleArn": "arn:aws:iam::111122223333:role/exec",
           "containerDefinitions": [{"name": "web", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1",
             "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "w"}}}]})
}

fn run(ec2: Value, subnets: &[String]) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let td = dir.path().join("td.json");
    std::fs::write(&td, task_definition().to_string()).unwrap();
    let state = dir.path().join("state.json");
    let snapshot = json!({"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1", "ec2": ec2});
    std::fs::write(&state, snapshot.to_string()).unwrap();
    let mut settings = Settings {
        region: Some("us-east-1".into()),
        account: Some("111122223333".into()),
        ..Settings::default()
    };
    settings.network.subnets = subnets.to_vec();
    settings.network.security_groups = vec!["sg-task".into()];
    let options = RunOptions {
        paths: vec![td],
        state_files: vec![state],
        env_region: None,
        service_file: None,
        settings,
        enabled: ALL
            .iter()
            .filter(|r| r.code.starts_with("NET"))
            .map(|r| r.code)
            .collect::<HashSet<_>>(),
        severity_overrides: HashMap::new(),
        per_file_ignores: Vec::new(),
        ignore_base: dir.path().to_path_buf(),
        terraform: Default::default(),
    };
    check::run(&options)
}

fn codes(report: &Report) -> Vec<&'static str> {
    let mut codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code).collect();
    codes.sort();
    codes
}

fn skipped(report: &Report) -> String {
    report
        .skipped
        .iter()
        .map(|s| format!("{:?} {}", s.rules, s.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

fn base(routes: Value, subnets: Value) -> Value {
    json!({
        "Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}],
        "VpcAttributes": [{"VpcId": "vpc-1", "EnableDnsSupport": {"Value": true}, "EnableDnsHostnames": {"Value": true}}],
        "Subnets": subnets,
        "RouteTables": [{"RouteTableId": "rtb-1", "VpcId": "vpc-1",
                         "Associations": [{"Main": true, "RouteTableId": "rtb-1"}], "Routes": routes}],
        "VpcEndpoints": [], "NatGateways": [], "PrefixLists": [],
        "SecurityGroups": [{"GroupId": "sg-task", "GroupName": "task", "VpcId": "vpc-1", "IpPermissions": [],
                            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]
    })
}

fn subnet(id: &str, cidr: &str) -> Value {
    json!({"SubnetId": id, "VpcId": "vpc-1", "CidrBlock": cidr})
}

#[test]
fn route_to_a_nat_gateway_missing_from_the_state_is_unknown() {
    let ec2 = base(
        json!([{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-gone", "State": "active"}]),
        json!([subnet("subnet-a", "10.0.1.0/24")]),
    );
    let report = run(ec2, &["subnet-a".into()]);
    assert!(!report.input_errors);
    assert!(codes(&report).is_empty(), "{:?}", report.diagnostics);
    assert!(
        skipped(&report).contains("nat-gone"),
        "{}",
        skipped(&report)
    );
}

#[test]
fn subnets_missing_from_the_state_are_unknown_not_failures() {
    let ec2 = base(json!([]), json!([subnet("subnet-a", "10.0.1.0/24")]));
    let report = run(ec2, &["subnet-zzz".into()]);
    assert!(codes(&report).is_empty(), "{:?}", report.diagnostics);
    assert!(
        skipped(&report).contains("subnet-zzz"),
        "{}",
        skipped(&report)
    );
}

#[test]
fn overlapping_and_malformed_cidrs_do_not_panic() {
    let ec2 = base(
        json!([{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
               {"DestinationCidrBlock": "not-a-cidr", "GatewayId": "igw-1"}]),
        json!([
            subnet("subnet-a", "10.0.1.0/24"),
            subnet("subnet-b", "10.0.1.0/25"),
            subnet("subnet-c", "10.0.300.0/24"),
            subnet("subnet-d", "10.0.2.0/33")
        ]),
    );
    let subnets: Vec<String> = ["subnet-a", "subnet-b", "subnet-c", "subnet-d"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let report = run(ec2, &subnets);
    // A route whose destination cannot be read might be the default route: unknown.
    assert!(codes(&report).is_empty(), "{:?}", report.diagnostics);
    assert!(
        skipped(&report).contains("not-a-cidr"),
        "{}",
        skipped(&report)
    );
}

#[test]
fn malformed_prefix_list_entries_are_unknown() {
    let mut ec2 = base(json!([]), json!([subnet("subnet-a", "10.0.1.0/24")]));
    ec2["PrefixLists"] = json!([{"PrefixListId": "pl-1", "PrefixListName": "com.amazonaws.us-east-1.s3", "Cidrs": ["52.216.0.0/15", "bogus"]}]);
    ec2["VpcEndpoints"] = json!([{"VpcEndpointId": "vpce-s3", "VpcEndpointType": "Gateway", "VpcId": "vpc-1",
        "ServiceName": "com.amazonaws.us-east-1.s3", "State": "available", "RouteTableIds": ["rtb-1"], "SubnetIds": [], "Groups": []}]);
    ec2["SecurityGroups"][0]["IpPermissionsEgress"] = json!([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]);
    let report = run(ec2, &["subnet-a".into()]);
    assert!(
        !codes(&report).contains(&"NET010"),
        "{:?}",
        report.diagnostics
    );
    assert!(skipped(&report).contains("bogus"), "{}", skipped(&report));
    // The other needs have no path: one diagnostic each, not one per container or subnet.
    assert_eq!(codes(&report), ["NET003", "NET004", "NET006"]);
}

#[test]
fn five_thousand_subnets_give_one_diagnostic_per_cause() {
    let subnets: Vec<Value> = (0..5000)
        .map(|i| {
            subnet(
                &format!("subnet-{i}"),
                &format!("10.{}.{}.0/24", i / 256, i % 256),
            )
        })
        .collect();
    let ids: Vec<String> = (0..5000).map(|i| format!("subnet-{i}")).collect();
    let ec2 = base(
        json!([{"DestinationCidrBlock": "10.0.0.0/8", "GatewayId": "local"}]),
        Value::Array(subnets),
    );
    let start = std::time::Instant::now();
    let report = run(ec2, &ids);
    assert!(start.elapsed().as_secs() < 30);
    assert_eq!(codes(&report), ["NET003", "NET004", "NET005", "NET006"]);
    assert!(report.diagnostics[0].message.contains("`subnet-4999`"));
}
