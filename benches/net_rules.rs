//! The NET rules end to end: 10,000 task definitions (one JSON array file) whose services are
//! in a state file with 500 subnets, 200 route tables, 1,000 VPC endpoints and 2,000 security
//! groups (the network of `benches/net.rs`), checked through `check::run` with the NET rules
//! only. The time of the same run with no rule enabled (reading and parsing) is subtracted to
//! give the network verdicts' share. Target: network verdicts under 1 s in release.
//!
//! Run: `cargo bench --no-default-features --bench net_rules`.

#[path = "net.rs"]
#[allow(dead_code)]
mod net;

mod support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use ecs_preflight::check;
use ecs_preflight::rules::ALL;
use serde_json::{Value, json};

use net::{GROUPS, REGION, SUBNETS, TASKS, VPCS};

fn task_definitions() -> Value {
    let tds: Vec<Value> = (0..TASKS)
        .map(|i| {
            let registry = if i % 17 == 0 { "eu-west-1" } else { REGION };
            let mut containers = vec![json!({
                "name": "app",
                "image": format!("111122223333.dkr.ecr.{registry}.amazonaws.com/app-{}:1.{i}", i % 50),
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/ecs/app", "awslogs-region": REGION, "awslogs-stream-prefix": "app"}},
                "secrets": if i % 4 == 0 {
                    json!([{"name": "DB", "valueFrom": format!("arn:aws:secretsmanager:{REGION}:111122223333:secret:db-{i}")}])
                } else {
                    json!([])
                }
            })];
            if i % 9 == 0 {
                containers.push(json!({"name": "proxy", "image": "nginx:1.27", "essential": false}));
            }
            json!({"family": format!("app-{i}"), "networkMode": "awsvpc",
                   "requiresCompatibilities": [if i % 13 == 0 { "EC2" } else { "FARGATE" }],
                   "cpu": "256", "memory": "512",
                   "executionRoleArn": "arn:aws:iam::111122223333:role/exec",
                   "containerDefinitions": containers})
        })
        .collect();
    Value::Array(tds)
}

fn services() -> Value {
    let subnets_per_vpc = SUBNETS / VPCS;
    let groups_per_vpc = GROUPS / VPCS;
    let services: Vec<Value> = (0..TASKS)
        .map(|i| {
            let v = i % VPCS;
            let s = (i / VPCS) % subnets_per_vpc;
            let subnets: Vec<String> = (0..3)
                .map(|k| format!("subnet-{v}-{}", (s + k * 7) % subnets_per_vpc))
                .collect();
            let groups: Vec<String> = if i % 11 == 0 {
                vec![]
            } else {
                vec![
                    format!("sg-{v}-{}", i % groups_per_vpc),
                    format!("sg-{v}-{}", (i * 7) % groups_per_vpc),
                ]
            };
            json!({"serviceName": format!("app-{i}"),
                   "taskDefinition": format!("arn:aws:ecs:{REGION}:111122223333:task-definition/app-{i}:3"),
                   "launchType": if i % 13 == 0 { "EC2" } else { "FARGATE" },
                   "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": groups,
                       "assignPublicIp": if i % 3 == 0 { "ENABLED" } else { "DISABLED" }}}})
        })
        .collect();
    Value::Array(services)
}

fn run(
    dir: &std::path::Path,
    enabled: HashSet<&'static str>,
) -> (Duration, Option<Duration>, check::Report) {
    let options = support::run_options(
        vec![dir.join("tds.json")],
        vec![dir.join("state.json")],
        "111122223333",
        REGION,
        enabled,
        dir,
    );
    let start = Instant::now();
    let cpu = support::cpu_time();
    let report = check::run(&options);
    let cpu = Some(support::cpu_time().saturating_sub(cpu));
    (start.elapsed(), cpu, report)
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let state = json!({"ecsPreflightState": 1, "accountId": "111122223333", "region": REGION,
                       "ec2": net::state(), "ecs": {"services": services()}});
    std::fs::write(dir.path().join("state.json"), state.to_string()).expect("write state");
    std::fs::write(dir.path().join("tds.json"), task_definitions().to_string()).expect("write tds");

    let (baseline, baseline_cpu, _) = run(dir.path(), HashSet::new());
    let net_rules: HashSet<&'static str> = ALL
        .iter()
        .filter(|r| r.code.starts_with("NET"))
        .map(|r| r.code)
        .collect();
    let (total, total_cpu, report) = run(dir.path(), net_rules);
    assert_eq!(report.task_definitions, TASKS);
    let mut by_code: HashMap<&str, usize> = HashMap::new();
    for d in &report.diagnostics {
        *by_code.entry(d.code).or_default() += 1;
    }
    let mut codes: Vec<_> = by_code.into_iter().collect();
    codes.sort();
    println!("net_rules: {TASKS} task definitions through check::run with the NET rules");
    println!("  run without rules (read, parse, state): {baseline:?}");
    println!("  run with the NET rules:                 {total:?}");
    println!(
        "  network verdicts (difference):          {:?}",
        total.saturating_sub(baseline)
    );
    if let (Some(base), Some(all)) = (baseline_cpu, total_cpu) {
        println!(
            "  CPU time: without rules {base:?}, with the NET rules {all:?}, network verdicts {:?}",
            all.saturating_sub(base)
        );
    }
    println!(
        "  diagnostics: {codes:?}; skipped reasons: {}",
        report.skipped.len()
    );
}
