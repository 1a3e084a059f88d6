//! ROLE rules end to end (harness = false; std::time only): a state file with 2,000 roles and
//! 5,000 managed policies (plus 300 repositories, half with a repository policy) is written to a
//! temporary folder with 10,000 task definition files; then the real loader and driver run.
//!
//! Each role has a trust policy, 1–3 inline policies (JSON objects) and 1–3 attached managed
//! policies (URL-encoded documents, as the raw IAM API returns them; the AWS managed execution
//! policy on most), a fifth a permissions boundary. Each task definition pulls one image (a
//! third from another account), logs with awslogs, and a tenth read a secret: every ROLE rule
//! evaluates.
//!
//! Reported separately: loading and indexing the state (every policy parsed once), reading and
//! parsing the task definition files (a run with no rule enabled), and the ROLE evaluation (a
//! run with the ROLE rules minus that baseline).
//!
//! Run: `cargo bench --no-default-features --bench role_pull` (release). Target: the ROLE run
//! under 1 s on 2 cores.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ecs_preflight::check;
use ecs_preflight::rules::ALL;
use ecs_preflight::source::SourceFile;
use ecs_preflight::state::{AccountState, snapshot};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn pct(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
}

const ACCOUNT: &str = "111111111111";
const OTHER: &str = "222222222222";
const REGION: &str = "us-east-1";
const ROLES: usize = 2_000;
const MANAGED: usize = 5_000;
const REPOS: usize = 300;
const TASKS: usize = 10_000;

fn action(rng: &mut Rng) -> String {
    const SERVICES: &[&str] = &[
        "ecr",
        "logs",
        "s3",
        "dynamodb",
        "sqs",
        "kms",
        "secretsmanager",
        "ssm",
        "ec2",
        "lambda",
    ];
    const VERBS: &[&str] = &[
        "Get", "List", "Describe", "Put", "Create", "Delete", "Batch",
    ];
    const NOUNS: &[&str] = &[
        "Image",
        "Object",
        "Item",
        "Message",
        "Secret",
        "Parameter",
        "Layer",
        "Stream",
    ];
    let svc = SERVICES[rng.below(SERVICES.len())];
    match rng.below(10) {
        0 => format!("{svc}:*"),
        1 => format!("{svc}:{}*", VERBS[rng.below(VERBS.len())]),
        _ => format!(
            "{svc}:{}{}",
            VERBS[rng.below(VERBS.len())],
            NOUNS[rng.below(NOUNS.len())]
        ),
    }
}

fn resource(rng: &mut Rng) -> String {
    let acct = if rng.pct(80) { ACCOUNT } else { OTHER };
    match rng.below(7) {
        0 => "*".to_string(),
        1 => format!(
            "arn:aws:ecr:{REGION}:{acct}:repository/team-{}/*",
            rng.below(40)
        ),
        2 => format!("arn:aws:ecr:*:{acct}:repository/svc-{}", rng.below(REPOS)),
        3 => format!("arn:aws:s3:::bucket-{}/*", rng.below(500)),
        4 => format!(
            "arn:aws:logs:{REGION}:{acct}:log-group:/ecs/app-{}:*",
            rng.below(500)
        ),
        5 => format!(
            "arn:aws:secretsmanager:{REGION}:{acct}:secret:app-{}-*",
            rng.below(500)
        ),
        _ => format!("arn:aws:sqs:{REGION}:{acct}:queue-{}", rng.below(500)),
    }
}

fn list(items: Vec<String>) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(","))
}

fn policy(rng: &mut Rng, statements: usize) -> String {
    let body: Vec<String> = (0..statements)
        .map(|i| {
            let actions = (0..rng.range(1, 8)).map(|_| action(rng)).collect();
            let resources = (0..rng.range(1, 4)).map(|_| resource(rng)).collect();
            let effect = if rng.pct(8) { "Deny" } else { "Allow" };
            let condition = match rng.below(6) {
                0 => r#","Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
                1 => r#","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
                _ => "",
            };
            format!(
                r#"{{"Sid":"S{i}","Effect":"{effect}","Action":{},"Resource":{}{condition}}}"#,
                list(actions),
                list(resources)
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        body.join(",")
    )
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const EXEC_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}"#;

fn state_file(rng: &mut Rng) -> String {
    let managed_arn = |i: usize| format!("arn:aws:iam::{ACCOUNT}:policy/managed-{i}");
    let policies: Vec<String> = (0..MANAGED)
        .map(|i| {
            let n = rng.range(3, 12);
            let doc = if i == 0 { EXEC_POLICY.to_string() } else { policy(rng, n) };
            format!(
                r#"{{"PolicyName":"managed-{i}","Arn":"{}","Path":"/","DefaultVersionId":"v1","PolicyVersionList":[{{"VersionId":"v1","IsDefaultVersion":true,"Document":"{}"}}]}}"#,
                managed_arn(i),
                url_encode(&doc)
            )
        })
        .collect();
    let roles: Vec<String> = (0..ROLES)
        .map(|r| {
            let inline: Vec<String> = (0..rng.range(1, 3))
                .map(|j| {
                    let n = rng.range(1, 5);
                    format!(r#"{{"PolicyName":"inline-{j}","PolicyDocument":{}}}"#, policy(rng, n))
                })
                .collect();
            let mut attached: Vec<usize> = (0..rng.range(1, 3)).map(|_| rng.below(MANAGED)).collect();
            if rng.pct(70) {
                attached[0] = 0;
            }
            let attached: Vec<String> = attached
                .iter()
                .map(|&i| format!(r#"{{"PolicyName":"managed-{i}","PolicyArn":"{}"}}"#, managed_arn(i)))
                .collect();
            let boundary = if rng.pct(20) {
                format!(
                    r#","PermissionsBoundary":{{"PermissionsBoundaryType":"PermissionsBoundaryPolicy","PermissionsBoundaryArn":"{}"}}"#,
                    managed_arn(rng.below(MANAGED))
                )
            } else {
                String::new()
            };
            format!(
                r#"{{"Path":"/","RoleName":"exec-{r}","Arn":"arn:aws:iam::{ACCOUNT}:role/exec-{r}","AssumeRolePolicyDocument":{TRUST},"RolePolicyList":[{}],"AttachedManagedPolicies":[{}],"Tags":[{{"Key":"team","Value":"team-{}"}}]{boundary}}}"#,
                inline.join(","),
                attached.join(","),
                r % 40
            )
        })
        .collect();
    let repos: Vec<String> = (0..REPOS)
        .map(|i| format!(r#"{{"repositoryName":"svc-{i}","registryId":"{ACCOUNT}","imageTagMutability":"IMMUTABLE"}}"#))
        .collect();
    let repo_policies: Vec<String> = (0..REPOS)
        .filter(|i| i % 2 == 0)
        .map(|i| {
            let text = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Pull","Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::{ACCOUNT}:root","arn:aws:iam::333333333333:root"]}},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}}]}}"#
            );
            format!(
                r#"{{"registryId":"{ACCOUNT}","repositoryName":"svc-{i}","policyText":{}}}"#,
                serde_json::to_string(&text).unwrap()
            )
        })
        .collect();
    format!(
        r#"{{"ecsPreflightState":1,"accountId":"{ACCOUNT}","region":"{REGION}","iam":{{"RoleDetailList":[{}],"Policies":[{}]}},"ecr":{{"repositories":[{}],"repositoryPolicies":[{}],"pullThroughCacheRules":[],"registryPolicy":null}}}}"#,
        roles.join(","),
        policies.join(","),
        repos.join(","),
        repo_policies.join(",")
    )
}

fn task_definition(rng: &mut Rng, i: usize) -> String {
    let role = rng.below(ROLES);
    let repo = rng.below(REPOS);
    let registry = if repo.is_multiple_of(3) {
        OTHER
    } else {
        ACCOUNT
    };
    let secrets = if i.is_multiple_of(10) {
        format!(
            r#","secrets":[{{"name":"DB","valueFrom":"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app-{}-AbCdEf:password::"}}]"#,
            rng.below(500)
        )
    } else {
        String::new()
    };
    format!(
        r#"{{
  "family": "app-{i}",
  "executionRoleArn": "arn:aws:iam::{ACCOUNT}:role/exec-{role}",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {{
      "name": "app",
      "image": "{registry}.dkr.ecr.{REGION}.amazonaws.com/svc-{repo}:1.0.{i}",
      "essential": true,
      "logConfiguration": {{"logDriver": "awslogs", "options": {{"awslogs-group": "/ecs/app-{}", "awslogs-region": "{REGION}", "awslogs-stream-prefix": "app"}}}}{secrets}
    }}
  ]
}}
"#,
        i % 500
    )
}

fn run(
    dir: &Path,
    state: &Path,
    enabled: HashSet<&'static str>,
) -> (Duration, usize, usize, BTreeMap<&'static str, usize>) {
    let options = support::run_options(
        vec![dir.join("taskdefs")],
        vec![state.to_path_buf()],
        ACCOUNT,
        REGION,
        enabled,
        dir,
    );
    let start = Instant::now();
    let report = check::run(&options);
    let elapsed = start.elapsed();
    let mut by_code = BTreeMap::new();
    for d in &report.diagnostics {
        *by_code.entry(d.code).or_default() += 1;
    }
    if std::env::var("ROLE_BENCH_SAMPLE").is_ok() {
        for code in ["ROLE004", "ROLE005", "ROLE007", "ROLE008", "ROLE011"] {
            if let Some(d) = report.diagnostics.iter().find(|d| d.code == code) {
                println!("  sample {code}: {}", d.message);
            }
        }
    }
    (
        elapsed,
        report.task_definitions,
        report.diagnostics.len(),
        by_code,
    )
}

fn main() {
    let mut rng = Rng(0x0A11_CE55);
    let dir = std::env::temp_dir().join(format!("ecs-preflight-role-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("taskdefs")).unwrap();
    let state_path: PathBuf = dir.join("state.json");
    let state_text = state_file(&mut rng);
    std::fs::write(&state_path, &state_text).unwrap();
    for i in 0..TASKS {
        std::fs::write(
            dir.join("taskdefs").join(format!("app-{i:05}.json")),
            task_definition(&mut rng, i),
        )
        .unwrap();
    }

    // 1. The state alone: read, parse, index (every policy parsed once).
    let mut load_times = Vec::new();
    let mut roles = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let file = SourceFile::read(&state_path, "state.json".into()).unwrap();
        let snapshot = snapshot::load(&file, 0).unwrap();
        let state = AccountState::new(vec![snapshot]);
        load_times.push(start.elapsed());
        roles = state.iam.roles().len();
    }
    let load = *load_times.iter().min().unwrap();

    // 2. Everything but the rules; 3. with the ROLE rules. Best of three each.
    let none: HashSet<&'static str> = HashSet::new();
    let role: HashSet<&'static str> = ALL
        .iter()
        .filter(|r| r.code.starts_with("ROLE"))
        .map(|r| r.code)
        .collect();
    let mut base = Vec::new();
    let mut full = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        base.push(run(&dir, &state_path, none.clone()).0);
        let r = run(&dir, &state_path, role.clone());
        full.push(r.0);
        last = Some(r);
    }
    let base = *base.iter().min().unwrap();
    let full_min = *full.iter().min().unwrap();
    let (_, tasks, diagnostics, by_code) = last.unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "role_pull benchmark ({} cores available)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "  state file:               {:.1} MB, {roles} roles, {MANAGED} managed policies, {REPOS} repositories",
        state_text.len() as f64 / 1e6
    );
    println!("  task definitions:         {tasks} in {TASKS} files");
    println!(
        "  state load + index:       {:.1} ms (read, parse, every policy parsed once)",
        ms(load)
    );
    println!(
        "  run without rules:        {:.1} ms (state + reading and parsing the task definition files)",
        ms(base)
    );
    println!("  run with ROLE rules:      {:.1} ms", ms(full_min));
    println!(
        "  ROLE evaluation:          {:.1} ms (difference)",
        ms(full_min.saturating_sub(base))
    );
    println!("  diagnostics:              {diagnostics} {by_code:?}");
}
