//! Benchmark: `ecs-preflight check` on a repository of 500 generated Terraform modules (10
//! resources and one task definition each), and on one module, process start included. Runs
//! the release binary as a user would.
//!
//!     cargo build --release --no-default-features && cargo bench --no-default-features --bench terraform

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const MODULES: usize = 500;
const RUNS: usize = 7;

fn main() {
    let binary = support::release_binary();
    let dir = std::env::temp_dir().join(format!("ecs-preflight-tf-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    generate(&dir);
    let one = dir.join("svc-000");
    println!(
        "ecs-preflight Terraform benchmark ({} CPUs)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for (label, path) in [
        (format!("{MODULES} modules"), dir.clone()),
        ("1 module (process start included)".to_string(), one),
    ] {
        let args = vec![
            path.to_string_lossy().into_owned(),
            "--account".into(),
            "111122223333".into(),
            "--region".into(),
            "us-east-1".into(),
        ];
        let mut times: Vec<Duration> = (0..RUNS).map(|_| run(&binary, &args)).collect();
        times.sort();
        println!(
            "  {label}: median {:.1} ms (min {:.1}, max {:.1})",
            support::ms(times[RUNS / 2]),
            support::ms(times[0]),
            support::ms(times[RUNS - 1])
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
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
        String::from_utf8_lossy(&out.stdout)
    );
    elapsed
}

/// Each module: a VPC, two subnets, a route table and its association, a security group, an
/// execution role with its policy document and attachment, and a task definition whose
/// container definitions come from `jsonencode` with a variable and a local.
fn generate(dir: &Path) {
    for i in 0..MODULES {
        let module = dir.join(format!("svc-{i:03}"));
        std::fs::create_dir_all(&module).unwrap();
        let tag = if i % 3 == 0 {
            "latest".to_string()
        } else {
            format!("1.{}", i % 20)
        };
        let text = format!(
            r#"variable "image_tag" {{
  default = "{tag}"
}}

locals {{
  name = "svc-{i:03}"
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.{octet}.0.0/16"
}}

resource "aws_subnet" "private" {{
  count      = 2
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
}}

resource "aws_route_table" "private" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_route_table_association" "private" {{
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}}

resource "aws_security_group" "task" {{
  name   = local.name
  vpc_id = aws_vpc.main.id
  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

data "aws_iam_policy_document" "trust" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }}
  }}
}}

resource "aws_iam_role" "exec" {{
  name               = "${{local.name}}-exec"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}}

resource "aws_iam_role_policy_attachment" "exec" {{
  role       = aws_iam_role.exec.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}}

resource "aws_ecs_task_definition" "app" {{
  family                   = local.name
  execution_role_arn       = aws_iam_role.exec.arn
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  container_definitions = jsonencode([{{
    name      = "app"
    image     = "111122223333.dkr.ecr.us-east-1.amazonaws.com/${{local.name}}:${{var.image_tag}}"
    essential = true
    logConfiguration = {{
      logDriver = "awslogs"
      options = {{
        awslogs-group         = "/ecs/${{local.name}}"
        awslogs-region        = "us-east-1"
        awslogs-stream-prefix = "app"
      }}
    }}
  }}])
}}
"#,
            octet = i % 250
        );
        std::fs::write(module.join("main.tf"), text).unwrap();
    }
}
