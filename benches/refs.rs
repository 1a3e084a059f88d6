//! The rules of what a task references (REF001–REF004) and the execution role's KMS and
//! environment-file permissions (ROLE012, ROLE013), end to end (harness = false; std::time
//! only): a state file with 5,000 secrets (half encrypted with one of 500 customer managed
//! keys, each with a key policy and grants), 2,000 SecureString and plain parameters, 2,000 log
//! groups, 50 buckets with their objects and 200 execution roles is written to a temporary
//! folder with 10,000 task definition files, each reading 3 secrets (two Secrets Manager ARNs
//! and one parameter), logging with awslogs and loading an environment file. Then the real
//! loader and driver run.
//!
//! Reported: loading and indexing the state, a run with no rule enabled (state + reading the
//! files), a run with the six rules, and the difference, in wall-clock and in CPU time (best
//! of five each).
//!
//! Run: `cargo bench --no-default-features --bench refs` (release). Target: the six rules
//! together under 0.5 s on 2 cores.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ecs_preflight::check;
use ecs_preflight::rules::ALL;
use ecs_preflight::source::SourceFile;
use ecs_preflight::state::{AccountState, snapshot};

const ACCOUNT: &str = "111111111111";
const REGION: &str = "us-east-1";
const ROLES: usize = 200;
const SECRETS: usize = 5_000;
const KEYS: usize = 500;
const PARAMETERS: usize = 2_000;
const LOG_GROUPS: usize = 2_000;
const BUCKETS: usize = 50;
const TASKS: usize = 10_000;
const CODES: &[&str] = &["REF001", "REF002", "REF003", "REF004", "ROLE012", "ROLE013"];

fn role_arn(r: usize) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/exec-{r}")
}

fn key_id(k: usize) -> String {
    format!("{k:08x}-1111-2222-3333-444444444444")
}

fn key_arn(k: usize) -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{}", key_id(k))
}

fn state_file() -> String {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let roles: Vec<String> = (0..ROLES)
        .map(|r| {
            // Nine roles in ten may decrypt with every key of the account (through the default
            // key policy's delegation) and read the environment files; the tenth may decrypt
            // with a tenth of the keys and read no file: a few percent of the references fail.
            let keys: Vec<String> = if r % 10 == 0 {
                (0..KEYS)
                    .filter(|k| k % 10 == r % 10)
                    .map(|k| format!("\"{}\"", key_arn(k)))
                    .collect()
            } else {
                vec![format!("\"arn:aws:kms:{REGION}:{ACCOUNT}:key/*\"")]
            };
            let s3 = if r % 10 == 0 {
                String::new()
            } else {
                r#",{"Effect":"Allow","Action":["s3:GetObject","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::config-*"]}"#.to_string()
            };
            format!(
                r#"{{"Path":"/","RoleName":"exec-{r}","Arn":"{}","AssumeRolePolicyDocument":{trust},"RolePolicyList":[{{"PolicyName":"exec","PolicyDocument":{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","ssm:GetParameters","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}},{{"Effect":"Allow","Action":"kms:Decrypt","Resource":[{}]}}{s3}]}}}}],"AttachedManagedPolicies":[]}}"#,
                role_arn(r),
                keys.join(",")
            )
        })
        .collect();
    let secrets: Vec<String> = (0..SECRETS)
        .map(|i| {
            let key = if i % 2 == 0 {
                format!(r#","KmsKeyId":"{}""#, key_arn(i % KEYS))
            } else {
                String::new()
            };
            format!(
                r#"{{"ARN":"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app-{i}-AbCdEf","Name":"app-{i}"{key},"SecretVersionsToStages":{{"v{i}":["AWSCURRENT"]}}}}"#
            )
        })
        .collect();
    let keys: Vec<String> = (0..KEYS)
        .map(|k| {
            // Default key policies (delegation to IAM) on most keys; on a fifth the policy
            // names a few roles itself, with the service condition.
            let policy = if k % 5 == 0 {
                let principals: Vec<String> = (0..5)
                    .map(|j| format!("\\\"{}\\\"", role_arn((k + j * 17) % ROLES)))
                    .collect();
                format!(
                    r#"{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Sid\":\"Admin\",\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"arn:aws:iam::{ACCOUNT}:role/admin\"}},\"Action\":\"kms:*\",\"Resource\":\"*\"}},{{\"Sid\":\"Use\",\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":[{}]}},\"Action\":\"kms:Decrypt\",\"Resource\":\"*\",\"Condition\":{{\"StringEquals\":{{\"kms:ViaService\":\"secretsmanager.{REGION}.amazonaws.com\"}}}}}}]}}"#,
                    principals.join(",")
                )
            } else {
                format!(
                    r#"{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Sid\":\"Enable IAM User Permissions\",\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"arn:aws:iam::{ACCOUNT}:root\"}},\"Action\":\"kms:*\",\"Resource\":\"*\"}}]}}"#
                )
            };
            let grants: Vec<String> = (0..3)
                .map(|g| {
                    format!(
                        r#"{{"GrantId":"g{k}-{g}","GranteePrincipal":"{}","Operations":["Decrypt"],"Constraints":{{"EncryptionContextSubset":{{"SecretARN":"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app-{}-AbCdEf"}}}}}}"#,
                        role_arn((k * 7 + g) % ROLES),
                        (k + g * KEYS) % SECRETS
                    )
                })
                .collect();
            format!(
                r#"{{"KeyMetadata":{{"KeyId":"{}","Arn":"{}","AWSAccountId":"{ACCOUNT}","KeyManager":"CUSTOMER","KeyState":"Enabled"}},"Policy":"{policy}","Grants":[{}]}}"#,
                key_id(k),
                key_arn(k),
                grants.join(",")
            )
        })
        .collect();
    let aliases: Vec<String> = (0..KEYS)
        .map(|k| {
            format!(
                r#"{{"AliasName":"alias/key-{k}","TargetKeyId":"{}"}}"#,
                key_id(k)
            )
        })
        .collect();
    let parameters: Vec<String> = (0..PARAMETERS)
        .map(|i| {
            if i % 2 == 0 {
                format!(
                    r#"{{"Name":"/app/{i}/token","Type":"SecureString","KeyId":"alias/key-{}","Version":3}}"#,
                    i % KEYS
                )
            } else {
                format!(r#"{{"Name":"/app/{i}/token","Type":"String","Version":1}}"#)
            }
        })
        .collect();
    let groups: Vec<String> = (0..LOG_GROUPS)
        .map(|i| format!(r#"{{"logGroupName":"/ecs/app-{i}"}}"#))
        .collect();
    let buckets: Vec<String> = (0..BUCKETS)
        .map(|b| format!(r#"{{"Name":"config-{b}","Region":null,"Policy":null}}"#))
        .collect();
    let objects: Vec<String> = (0..TASKS)
        .filter(|i| i % 50 != 0)
        .map(|i| {
            format!(
                r#"{{"Bucket":"config-{}","Key":"app-{i}.env"}}"#,
                i % BUCKETS
            )
        })
        .collect();
    format!(
        r#"{{"ecsPreflightState":1,"accountId":"{ACCOUNT}","region":"{REGION}","iam":{{"RoleDetailList":[{}],"Policies":[]}},"secretsmanager":{{"secrets":[{}]}},"ssm":{{"parameters":[{}]}},"kms":{{"keys":[{}],"aliases":[{}]}},"logs":{{"logGroups":[{}]}},"s3":{{"buckets":[{}],"objects":[{}]}}}}"#,
        roles.join(","),
        secrets.join(","),
        parameters.join(","),
        keys.join(","),
        aliases.join(","),
        groups.join(","),
        buckets.join(","),
        objects.join(",")
    )
}

fn task_definition(i: usize) -> String {
    // A few references that do not exist, so that every rule has findings to build.
    let secret = |n: usize| {
        if i.is_multiple_of(97) && n == 0 {
            format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:gone-{i}-AbCdEf")
        } else {
            format!(
                "arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app-{}-AbCdEf:password::",
                (i * 3 + n) % SECRETS
            )
        }
    };
    let parameter = format!("/app/{}/token", (i * 7) % (PARAMETERS + 20));
    format!(
        r#"{{
  "family": "app-{i}",
  "executionRoleArn": "{}",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {{
      "name": "app",
      "image": "public.ecr.aws/docker/library/nginx:1.27",
      "essential": true,
      "secrets": [
        {{"name": "A", "valueFrom": "{}"}},
        {{"name": "B", "valueFrom": "{}"}},
        {{"name": "C", "valueFrom": "{parameter}"}}
      ],
      "environmentFiles": [{{"value": "arn:aws:s3:::config-{}/app-{i}.env", "type": "s3"}}],
      "logConfiguration": {{"logDriver": "awslogs", "options": {{"awslogs-group": "/ecs/app-{}", "awslogs-region": "{REGION}", "awslogs-stream-prefix": "app"}}}}
    }}
  ]
}}
"#,
        role_arn(i % ROLES),
        secret(0),
        secret(1),
        i % BUCKETS,
        i % (LOG_GROUPS + 20)
    )
}

fn run(
    dir: &Path,
    state: &Path,
    enabled: HashSet<&'static str>,
) -> (Duration, Duration, usize, BTreeMap<&'static str, usize>) {
    let options = support::run_options(
        vec![dir.join("taskdefs")],
        vec![state.to_path_buf()],
        ACCOUNT,
        REGION,
        enabled,
        dir,
    );
    let cpu = support::cpu_time();
    let start = Instant::now();
    let report = check::run(&options);
    let elapsed = start.elapsed();
    let cpu = support::cpu_time().saturating_sub(cpu);
    let mut by_code = BTreeMap::new();
    for d in &report.diagnostics {
        *by_code.entry(d.code).or_default() += 1;
    }
    (elapsed, cpu, report.task_definitions, by_code)
}

fn main() {
    let dir = std::env::temp_dir().join(format!("ecs-preflight-refs-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("taskdefs")).unwrap();
    let state_path: PathBuf = dir.join("state.json");
    let state_text = state_file();
    std::fs::write(&state_path, &state_text).unwrap();
    for i in 0..TASKS {
        std::fs::write(
            dir.join("taskdefs").join(format!("app-{i:05}.json")),
            task_definition(i),
        )
        .unwrap();
    }

    let mut load_times = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let file = SourceFile::read(&state_path, "state.json".into()).unwrap();
        let snapshot = snapshot::load(&file, 0).unwrap();
        let _state = AccountState::new(vec![snapshot]);
        load_times.push(start.elapsed());
    }
    let load = *load_times.iter().min().unwrap();

    let none: HashSet<&'static str> = HashSet::new();
    // `REFS_BENCH_CODES=REF001,ROLE012` measures other rules (ROLE008 alone: the ROLE
    // family's shared evaluation, which every ROLE rule pays once).
    let only = std::env::var("REFS_BENCH_CODES").ok();
    let rules: HashSet<&'static str> = ALL
        .iter()
        .filter(|r| match &only {
            Some(o) => o.split(',').any(|c| c == r.code),
            None => CODES.contains(&r.code),
        })
        .map(|r| r.code)
        .collect();
    assert!(!rules.is_empty(), "every rule is registered");
    let mut base = Vec::new();
    let mut full = Vec::new();
    let mut base_cpu = Vec::new();
    let mut full_cpu = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let b = run(&dir, &state_path, none.clone());
        base.push(b.0);
        base_cpu.push(b.1);
        let r = run(&dir, &state_path, rules.clone());
        full.push(r.0);
        full_cpu.push(r.1);
        last = Some(r);
    }
    let base = *base.iter().min().unwrap();
    let full_min = *full.iter().min().unwrap();
    let base_cpu = *base_cpu.iter().min().unwrap();
    let full_cpu = *full_cpu.iter().min().unwrap();
    let (_, _, tasks, by_code) = last.unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "refs benchmark ({} cores available)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "  state file:               {:.1} MB, {SECRETS} secrets, {KEYS} keys, {PARAMETERS} parameters, {LOG_GROUPS} log groups, {ROLES} roles",
        state_text.len() as f64 / 1e6
    );
    println!("  task definitions:         {tasks} in {TASKS} files, 3 secrets each");
    println!("  state load + index:       {:.1} ms", ms(load));
    println!("  run without rules:        {:.1} ms", ms(base));
    println!("  run with the six rules:   {:.1} ms", ms(full_min));
    println!(
        "  the six rules:            {:.1} ms (difference)",
        ms(full_min.saturating_sub(base))
    );
    println!(
        "  CPU time (all threads):   {:.0} ms without rules, {:.0} ms with them: the six rules {:.0} ms",
        ms(base_cpu),
        ms(full_cpu),
        ms(full_cpu.saturating_sub(base_cpu))
    );
    println!("  diagnostics:              {by_code:?}");
}
