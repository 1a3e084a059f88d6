//! Benchmark: large and hostile single inputs, in every output format. Runs the release binary
//! as a user would and prints wall time and peak memory of each run.
//!
//! - 1,000 / 4,000 / 16,000 task definitions in one pretty-printed file (human rendering must
//!   grow linearly with the findings);
//! - inputs of about 10 MB: the same task definitions minified on one line, a CloudFormation
//!   YAML template, a file with one 10 MB string, a file that is not JSON after 10 MB, a YAML
//!   alias bomb, and a state file with 100,000 roles.
//!
//! Target: every input up to 10 MB checked in ≤ 2 s and ≤ 300 MB in every format.
//!
//!     cargo build --release --no-default-features && cargo bench --no-default-features --bench hostile_inputs

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const FORMATS: [&str; 4] = ["human", "json", "sarif", "github"];

fn main() {
    let binary = release_binary();
    // HOSTILE_INPUTS_DIR keeps the generated inputs there (for profiling one of them).
    let keep = std::env::var_os("HOSTILE_INPUTS_DIR").map(PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("ecs-preflight-hostile-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases: Vec<(String, Vec<String>)> = Vec::new();
    for n in [1_000, 4_000, 16_000] {
        let path = dir.join(format!("taskdefs-{n}.json"));
        std::fs::write(&path, task_definitions(n, true)).unwrap();
        cases.push((
            format!("{n} task definitions, one pretty-printed file"),
            vec![s(&path)],
        ));
    }
    // The most task definitions that fit in 10 MB on one line (the target is for inputs up
    // to 10 MB): the size grows with the count, so bisect it.
    let minified = dir.join("minified.json");
    let (mut low, mut high) = (1, 1 << 17);
    while high - low > 1 {
        let mid = (low + high) / 2;
        if task_definitions(mid, false).len() <= 10 << 20 {
            low = mid;
        } else {
            high = mid;
        }
    }
    let n = low;
    let text = task_definitions(n, false);
    std::fs::write(&minified, &text).unwrap();
    cases.push((
        format!(
            "{n} task definitions on one line ({:.1} MB)",
            text.len() as f64 / 1048576.0
        ),
        vec![s(&minified)],
    ));
    let template = dir.join("template.yaml");
    let text = yaml_template(10 << 20);
    std::fs::write(&template, &text).unwrap();
    cases.push((
        format!(
            "CloudFormation YAML template ({:.1} MB)",
            text.len() as f64 / 1048576.0
        ),
        vec![s(&template)],
    ));
    let long = dir.join("long-string.json");
    std::fs::write(
        &long,
        format!(
            r#"{{"family": "web", "containerDefinitions": [{{"name": "web", "memory": 256, "image": "nginx:{}"}}]}}"#,
            "a".repeat(10 << 20)
        ),
    )
    .unwrap();
    cases.push(("one 10 MB image reference".into(), vec![s(&long)]));
    let broken = dir.join("broken.json");
    let mut text = task_definitions(n, false);
    text.push_str(",}");
    std::fs::write(&broken, &text).unwrap();
    cases.push((
        "a syntax error at the end of 10 MB".into(),
        vec![s(&broken)],
    ));
    let bomb = dir.join("bomb.yaml");
    std::fs::write(&bomb, alias_bomb()).unwrap();
    cases.push(("YAML alias bomb (a billion laughs)".into(), vec![s(&bomb)]));
    let state = dir.join("state.json");
    let text = roles_state(100_000);
    std::fs::write(&state, &text).unwrap();
    let one = dir.join("one.json");
    std::fs::write(&one, task_definitions(1, true)).unwrap();
    cases.push((
        format!(
            "state file with 100,000 roles ({:.1} MB)",
            text.len() as f64 / 1048576.0
        ),
        vec![
            s(&one),
            "--state".into(),
            s(&state),
            "--region".into(),
            "us-east-1".into(),
        ],
    ));

    // HOSTILE_ONLY=word runs only the inputs whose label contains it.
    let only = std::env::var("HOSTILE_ONLY").unwrap_or_default();
    cases.retain(|(label, _)| label.contains(&only));
    println!("| input | format | wall time | peak memory |");
    println!("|---|---|---|---|");
    for (label, args) in &cases {
        for format in FORMATS {
            let (seconds, kb) = measure(&binary, args, format);
            println!(
                "| {label} | {format} | {seconds:.2} s | {:.0} MB |",
                kb as f64 / 1024.0
            );
        }
    }
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn release_binary() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let binary = target.join("release").join("ecs-preflight");
    assert!(
        binary.exists(),
        "build it first: cargo build --release --no-default-features ({} not found)",
        binary.display()
    );
    binary
}

/// Wall time (seconds) and peak resident memory (KB), from /usr/bin/time.
fn measure(binary: &Path, args: &[String], format: &str) -> (f64, u64) {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(binary)
        .arg("check")
        .args(args)
        .args(["--format", format])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .output()
        .expect("/usr/bin/time is needed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    let mut parts = last.split_whitespace();
    let seconds = parts
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(f64::NAN);
    let kb = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (seconds, kb)
}

/// `n` task definitions in one JSON array, each with two findings (a `latest` tag, Docker Hub).
fn task_definitions(n: usize, pretty: bool) -> String {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "family": format!("svc-{i:05}"),
                "requiresCompatibilities": ["EC2"],
                "containerDefinitions": [
                    {"name": "app", "image": "nginx:latest", "memory": 256, "essential": true},
                    {"name": "side", "image": format!("111122223333.dkr.ecr.us-east-1.amazonaws.com/side:1.{i}"), "memory": 64}
                ]
            })
        })
        .collect();
    if pretty {
        serde_json::to_string_pretty(&items).unwrap()
    } else {
        serde_json::to_string(&items).unwrap()
    }
}

fn yaml_template(bytes: usize) -> String {
    let mut out = String::from("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n");
    let mut i = 0;
    while out.len() < bytes {
        let _ = write!(
            out,
            "  Task{i}:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      Family: svc-{i}\n      ContainerDefinitions:\n        - Name: app\n          Image: nginx:latest\n          Memory: 256\n"
        );
        i += 1;
    }
    out
}

/// Nine levels of ten aliases each: 10⁹ nodes if expanded.
fn alias_bomb() -> String {
    let mut out = String::from(
        "a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
    );
    for level in 1..10 {
        let prev = level - 1;
        let _ = writeln!(
            out,
            "a{level}: &a{level} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]"
        );
    }
    out.push_str("Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions: *a9\n");
    out
}

fn roles_state(roles: usize) -> String {
    let list: Vec<serde_json::Value> = (0..roles)
        .map(|i| {
            serde_json::json!({
                "RoleName": format!("role-{i}"),
                "Arn": format!("arn:aws:iam::111122223333:role/role-{i}"),
                "Path": "/",
                "RoleId": format!("AROA{i:016}"),
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage"], "Resource": "*"}]}}],
                "AttachedManagedPolicies": [],
                "Tags": []
            })
        })
        .collect();
    serde_json::to_string(&serde_json::json!({
        "ecsPreflightState": 1,
        "accountId": "111122223333",
        "region": "us-east-1",
        "iam": {"RoleDetailList": list, "Policies": []}
    }))
    .unwrap()
}
