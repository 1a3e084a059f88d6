//! Benchmark: `ecs-preflight check` on 10,000 generated task definition files (3 containers
//! each), and on one file, process start included. Runs the release binary as a user would.
//!
//!     cargo build --release --no-default-features && cargo bench --no-default-features --bench check_files
//!
//! Prints the median wall time of several runs and the peak memory (from /usr/bin/time when it
//! is installed).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const FILES: usize = 10_000;
const RUNS: usize = 7;

fn main() {
    let binary = release_binary();
    let dir = std::env::temp_dir().join(format!("ecs-preflight-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    generate(&dir);
    let one = dir.join("svc-00000.json");

    println!(
        "ecs-preflight check benchmark ({} CPUs)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for (label, args) in [
        (
            format!("{FILES} files, human output"),
            vec![dir.to_string_lossy().into_owned()],
        ),
        (
            format!("{FILES} files, --format json"),
            vec![
                dir.to_string_lossy().into_owned(),
                "--format".into(),
                "json".into(),
            ],
        ),
        (
            "1 file (process start included)".to_string(),
            vec![one.to_string_lossy().into_owned()],
        ),
    ] {
        let mut times: Vec<Duration> = (0..RUNS).map(|_| run(&binary, &args)).collect();
        times.sort();
        let median = times[RUNS / 2];
        let peak = peak_memory_kb(&binary, &args)
            .map(|kb| format!(", peak memory {:.1} MB", kb as f64 / 1024.0))
            .unwrap_or_default();
        println!(
            "  {label}: median {:.1} ms (min {:.1}, max {:.1}){peak}",
            ms(median),
            ms(times[0]),
            ms(times[RUNS - 1])
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
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

fn run(binary: &Path, args: &[String]) -> Duration {
    let start = Instant::now();
    let out = Command::new(binary)
        .arg("check")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "unexpected exit: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

fn peak_memory_kb(binary: &Path, args: &[String]) -> Option<u64> {
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg(binary)
        .arg("check")
        .args(args)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

/// Realistic task definitions: an app container from ECR (some `latest`, some pinned, some
/// tagged), an Envoy sidecar, a log router; awslogs, secrets, Fargate sizes.
fn generate(dir: &Path) {
    let sizes = [
        ("256", "512"),
        ("512", "1024"),
        ("1024", "2048"),
        ("1024", "3072"),
        ("2048", "4096"),
    ];
    for i in 0..FILES {
        let (cpu, memory) = sizes[i % sizes.len()];
        let tag = match i % 4 {
            0 => "latest".to_string(),
            1 => format!("1.{}.{}", i % 50, i % 7),
            2 => format!("1.4.2@sha256:{:064x}", i),
            _ => format!("{:040x}", i * 7919),
        };
        let text = format!(
            r#"{{
  "family": "svc-{i:05}",
  "executionRoleArn": "arn:aws:iam::111122223333:role/svc-{i:05}-execution",
  "taskRoleArn": "arn:aws:iam::111122223333:role/svc-{i:05}-task",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "{cpu}",
  "memory": "{memory}",
  "runtimePlatform": {{"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}},
  "containerDefinitions": [
    {{
      "name": "app",
      "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/team-{team}/svc-{i:05}:{tag}",
      "essential": true,
      "portMappings": [{{"containerPort": 8080, "protocol": "tcp"}}],
      "environment": [{{"name": "PORT", "value": "8080"}}, {{"name": "SERVICE", "value": "svc-{i:05}"}}],
      "secrets": [{{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:111122223333:secret:svc-{i:05}/db-AbCdEf"}}],
      "logConfiguration": {{"logDriver": "awslogs", "options": {{"awslogs-group": "/ecs/svc-{i:05}", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app"}}}}
    }},
    {{
      "name": "envoy",
      "image": "840364872350.dkr.ecr.us-east-1.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod",
      "essential": true,
      "memoryReservation": 64,
      "logConfiguration": {{"logDriver": "awslogs", "options": {{"awslogs-group": "/ecs/svc-{i:05}", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "envoy"}}}}
    }},
    {{
      "name": "log-router",
      "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
      "essential": false,
      "firelensConfiguration": {{"type": "fluentbit"}}
    }}
  ]
}}
"#,
            team = i % 20
        );
        std::fs::write(dir.join(format!("svc-{i:05}.json")), text).unwrap();
    }
}
