//! The live collector (`check --aws`, `snapshot`) against moto, a local stand-in for the AWS
//! APIs (https://docs.getmoto.org/). The tests start their own moto server on a free 127.0.0.1
//! port from `.venv-test` (made by `scripts/install-test-deps`, which `scripts/test` runs
//! first), seed it with `tests/live/seed.py` (boto3, HTTP to moto) and run the tool against it
//! through `AWS_ENDPOINT_URL`. They share the one server, one test at a time (each resets it).
//!
//! Without the `aws` feature only the test that the build says it has no AWS support runs.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[cfg(not(feature = "aws"))]
#[test]
fn without_the_aws_feature_the_live_commands_say_so() {
    for args in [
        vec!["check", "--aws", "."],
        vec!["snapshot", "--out", "state.json", "."],
    ] {
        let out = assert_cmd::Command::cargo_bin("ecs-preflight")
            .unwrap()
            .args(&args)
            .current_dir(root().join("examples"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("no AWS support"), "{args:?}: {stderr}");
    }
}

#[cfg(feature = "aws")]
mod live {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::Path;
    use std::process::{Child, ChildStdin, Command, Stdio};
    use std::sync::{Mutex, MutexGuard, OnceLock};
    use std::time::{Duration, Instant};

    use ecs_preflight::aws::{self, Collected, Deployment, References, Request, Target};
    use ecs_preflight::check;
    use ecs_preflight::model::recognize::ResolveSettings;
    use ecs_preflight::settings::NetworkFlags;
    use ecs_preflight::source::SourceFile;
    use ecs_preflight::state::{AccountState, Snapshot, snapshot};
    use serde_json::{Value, json};

    const ACCOUNT: &str = "123456789012";
    const OTHER: &str = "222233334444";
    const REGION: &str = "us-east-1";

    /// A moto server for this test process. It is started through `sh`, which kills it when
    /// its stdin closes, i.e. when this process exits however it exits.
    struct Moto {
        port: u16,
        _child: Child,
        _stdin: ChildStdin,
    }

    static MOTO: OnceLock<Mutex<Moto>> = OnceLock::new();

    /// The server, locked for one test and reset.
    fn moto() -> MutexGuard<'static, Moto> {
        let guard = MOTO
            .get_or_init(|| Mutex::new(start_moto()))
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A test that failed while moto enforced IAM leaves it on: turn it off first.
        let answer = http(guard.port, "POST", "/moto-api/reset-auth", "inf");
        assert!(answer.starts_with("HTTP/1.1 200"), "reset-auth: {answer}");
        let answer = http(guard.port, "POST", "/moto-api/reset", "");
        assert!(answer.starts_with("HTTP/1.1 200"), "reset: {answer}");
        guard
    }

    fn start_moto() -> Moto {
        let server = root().join(".venv-test/bin/moto_server");
        assert!(
            server.exists(),
            "{} is missing: run scripts/install-test-deps (scripts/test does)",
            server.display()
        );
        let log_dir = root().join("target/moto-server");
        std::fs::create_dir_all(&log_dir).unwrap();
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let log = log_dir.join(format!("live-{port}.log"));
            let mut child = Command::new("sh")
                .arg("-c")
                .arg(r#""$0" -H 127.0.0.1 -p "$1" >"$2" 2>&1 & pid=$!; cat >/dev/null; kill $pid; wait $pid"#)
                .arg(&server)
                .arg(port.to_string())
                .arg(&log)
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            let stdin = child.stdin.take().unwrap();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(60) {
                if TcpStream::connect(("127.0.0.1", port)).is_ok()
                    && http(port, "GET", "/moto-api/data.json", "").starts_with("HTTP/1.1")
                {
                    return Moto {
                        port,
                        _child: child,
                        _stdin: stdin,
                    };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            // The port was taken in between, or moto did not start: try another.
            drop(stdin);
            let _ = child.wait();
        }
        panic!("moto did not start; see target/moto-server/live-*.log");
    }

    /// A bare HTTP/1.1 request to moto; the whole answer as text ("" when it does not answer).
    fn http(port: u16, method: &str, path: &str, body: &str) -> String {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
            return String::new();
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        if s.write_all(request.as_bytes()).is_err() {
            return String::new();
        }
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    fn endpoint(moto: &Moto) -> String {
        format!("http://127.0.0.1:{}", moto.port)
    }

    /// Seeds a scenario of tests/live/seed.py; what it created.
    fn seed(moto: &Moto, args: &[&str]) -> Value {
        let out = Command::new(root().join(".venv-test/bin/python"))
            .arg(root().join("tests/live/seed.py"))
            .arg(endpoint(moto))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "seed {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The binary with the standard AWS variables pointing at moto, and nothing of the
    /// machine's own AWS configuration.
    /// An endpoint that accepts connections and never answers: the run gives up in about 15 s
    /// (not 90) and says AWS could not be reached, not that the credentials are bad.
    #[test]
    fn a_black_hole_endpoint_is_given_up_on_and_called_unreachable() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                held.push(stream);
            }
        });
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("td.json"),
            r#"{"family": "web", "executionRoleArn": "arn:aws:iam::123456789012:role/x",
                "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "memory": 256}]}"#,
        )
        .unwrap();
        let started = Instant::now();
        let out = assert_cmd::Command::cargo_bin("ecs-preflight")
            .unwrap()
            .current_dir(dir.path())
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_MAX_ATTEMPTS")
            .env("AWS_CONFIG_FILE", dir.path().join("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
            .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing-secret-never-printed")
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args(["check", "td.json", "--aws"])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let elapsed = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(elapsed < Duration::from_secs(25), "{elapsed:?}: {stderr}");
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("cannot reach AWS"), "{stderr}");
        assert!(!stderr.contains("credentials"), "{stderr}");
    }

    fn tool(moto: &Moto, dir: &Path) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("ecs-preflight").unwrap();
        cmd.current_dir(dir)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_DEFAULT_REGION")
            .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.join("no-aws-credentials"),
            )
            .env("AWS_ENDPOINT_URL", endpoint(moto))
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing-secret-never-printed")
            .env("AWS_REGION", REGION)
            // moto answers a missing operation with HTTP 500, which the SDK retries.
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_COLOR", "1");
        cmd
    }

    fn ecr_image(account: &str, path: &str) -> String {
        format!("{account}.dkr.ecr.{REGION}.amazonaws.com/{path}")
    }

    /// A Fargate task definition file.
    fn task_definition(family: &str, role: &str, images: &[(&str, String)]) -> Value {
        let containers: Vec<Value> = images
            .iter()
            .enumerate()
            .map(|(i, (name, image))| {
                json!({"name": name, "image": image, "essential": i == 0,
                       "logConfiguration": {"logDriver": "awslogs", "options": {
                         "awslogs-group": format!("/ecs/{family}"), "awslogs-region": REGION,
                         "awslogs-stream-prefix": name}}})
            })
            .collect();
        json!({"family": family, "executionRoleArn": role, "networkMode": "awsvpc",
               "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
               "containerDefinitions": containers})
    }

    fn write(dir: &Path, name: &str, value: &Value) {
        std::fs::write(dir.join(name), serde_json::to_string_pretty(value).unwrap()).unwrap();
    }

    /// The world scenario's task definitions: every case of the seed in two files.
    fn world_inputs(dir: &Path, w: &Value) {
        let s = |k: &str| w[k].as_str().unwrap().to_string();
        write(
            dir,
            "web.json",
            &task_definition(
                "web",
                &s("role_ok"),
                &[
                    ("web", ecr_image(ACCOUNT, "web:latest")),
                    ("pinned", ecr_image(ACCOUNT, "web:1.0")),
                    ("missing-tag", ecr_image(ACCOUNT, "web:9.9")),
                    ("api", ecr_image(ACCOUNT, "api:2.0")),
                    ("expired", ecr_image(ACCOUNT, "old:v1")),
                    ("kept", ecr_image(ACCOUNT, "old:v2")),
                    ("no-repo", ecr_image(ACCOUNT, "nope:1")),
                    ("base", ecr_image(OTHER, "shared/base:1")),
                    ("closed", ecr_image(OTHER, "shared/closed:1")),
                    (
                        "by-digest",
                        ecr_image(ACCOUNT, &format!("web@{}", s("web_1_0"))),
                    ),
                ],
            ),
        );
        write(
            dir,
            "worker.json",
            &json!([
                task_definition(
                    "denied",
                    &s("role_logs_only"),
                    &[("w", ecr_image(ACCOUNT, "web:1.0"))]
                ),
                task_definition(
                    "explicit",
                    &s("role_denied"),
                    &[("w", ecr_image(ACCOUNT, "web:1.0"))]
                ),
                task_definition(
                    "ghost",
                    &format!("arn:aws:iam::{ACCOUNT}:role/exec-missing"),
                    &[("w", ecr_image(ACCOUNT, "web:1.0"))]
                ),
                task_definition(
                    "foreign",
                    "arn:aws:iam::999988887777:role/elsewhere",
                    &[("w", "nginx:1.25".to_string())]
                ),
            ]),
        );
        write(dir, "refs.json", &refs_task_definition(w));
    }

    /// The task definition `refs`: every kind of reference the REF rules check, found and
    /// missing (seed.py `references`).
    fn refs_task_definition(w: &Value) -> Value {
        let s = |k: &str| w[k].as_str().unwrap().to_string();
        let mut td = task_definition(
            "refs",
            &s("role_ok"),
            &[("app", ecr_image(ACCOUNT, "web:1.0"))],
        );
        let secret = |name: &str, from: String| json!({"name": name, "valueFrom": from});
        td["containerDefinitions"][0]["secrets"] = json!([
            // A full ARN with a JSON key: the secret is encrypted with a customer managed key
            // named by its alias.
            secret("DB_PASSWORD", format!("{}:password::", s("secret_db"))),
            // A partial ARN (no random suffix).
            secret(
                "API_KEY",
                format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/api")
            ),
            secret("OLD", s("secret_old")),
            secret(
                "GONE",
                format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/missing-AbCdEf")
            ),
            secret("DB_HOST", "/app/host".to_string()),
            secret(
                "TOKEN",
                format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/token")
            ),
            secret("NOPE", "/app/missing:3".to_string()),
            // The same secret again: read once.
            secret("DB_USER", format!("{}:user::", s("secret_db"))),
        ]);
        td["containerDefinitions"][0]["environmentFiles"] = json!([
            {"type": "s3", "value": "arn:aws:s3:::app-config/web.env"},
            {"type": "s3", "value": "arn:aws:s3:::app-config/missing.env"},
            {"type": "s3", "value": "arn:aws:s3:::no-such-bucket-ecs-preflight/a.env"},
        ]);
        td
    }

    fn load(path: &Path, id: usize) -> Snapshot {
        let file = SourceFile::new(
            path.to_path_buf(),
            path.display().to_string(),
            std::fs::read_to_string(path).unwrap(),
        );
        snapshot::load(&file, id).unwrap()
    }

    fn names<'a>(list: &'a Value, key: &str) -> BTreeSet<&'a str> {
        list.as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i[key].as_str())
            .collect()
    }

    #[test]
    fn snapshot_captures_what_the_inputs_reference() {
        let moto = moto();
        let w = seed(&moto, &["world"]);
        let dir = tempfile::tempdir().unwrap();
        world_inputs(dir.path(), &w);
        let subnets = format!(
            "{},{},{}",
            w["subnet_public"].as_str().unwrap(),
            w["subnet_isolated"].as_str().unwrap(),
            w["subnet_endpoints"].as_str().unwrap()
        );
        let out = tool(&moto, dir.path())
            .args([
                "snapshot",
                "--out",
                "state.json",
                ".",
                "--subnets",
                &subnets,
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("testing-secret"), "{stderr}");
        assert!(
            stderr.contains("wrote state.json (account 123456789012, us-east-1: iam, ecr, ec2, secretsmanager, ssm, kms, logs, s3)"),
            "{stderr}"
        );
        // moto has no DescribePullThroughCacheRules: that list is unknown, and says why.
        assert!(
            stderr.contains("not captured (ecr): ecr.pullThroughCacheRules of account 123456789012 region us-east-1 unknown: ecr:DescribePullThroughCacheRules failed"),
            "{stderr}"
        );
        // The role of another account cannot be read with these credentials.
        assert!(
            stderr.contains(
                "role `arn:aws:iam::999988887777:role/elsewhere` is in account 999988887777"
            ),
            "{stderr}"
        );

        let primary: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("state.json")).unwrap())
                .unwrap();
        let other_path = dir.path().join(format!("state.{OTHER}-{REGION}.json"));
        let other: Value =
            serde_json::from_str(&std::fs::read_to_string(&other_path).unwrap()).unwrap();
        assert_eq!(primary["ecsPreflightState"], 1);
        assert_eq!(primary["accountId"], ACCOUNT);
        assert_eq!(other["accountId"], OTHER);
        assert!(
            primary.get("ecs").is_none(),
            "no --cluster: services unknown"
        );

        // IAM: the referenced roles of this account; the missing one is absent.
        let roles = &primary["iam"]["RoleDetailList"];
        assert_eq!(
            names(roles, "RoleName"),
            BTreeSet::from(["exec-denied", "exec-logs-only", "exec-ok"])
        );
        let denied = roles
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["RoleName"] == "exec-denied")
            .unwrap();
        // Documents come URL-encoded from the API and are written decoded.
        assert_eq!(
            denied["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Sid"],
            "NoPull"
        );
        assert_eq!(
            denied["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
            "ecs-tasks.amazonaws.com"
        );
        let policies = &primary["iam"]["Policies"];
        assert_eq!(
            policies.as_array().unwrap().len(),
            1,
            "fetched once for three roles"
        );
        let exec_policy =
            &policies[0]["PolicyVersionList"][0]["Document"]["Statement"][0]["Action"];
        assert!(
            exec_policy
                .as_array()
                .unwrap()
                .contains(&json!("ecr:BatchGetImage"))
        );

        // ECR of this account: the referenced repositories that exist, every image of them.
        let ecr = &primary["ecr"];
        assert_eq!(
            names(&ecr["repositories"], "repositoryName"),
            BTreeSet::from(["api", "old", "web"])
        );
        let digests = names(&ecr["imageDetails"], "imageDigest");
        for k in [
            "web_old",
            "web_1_0",
            "web_latest",
            "api_2_0",
            "old_v1",
            "old_v2",
        ] {
            assert!(digests.contains(w[k].as_str().unwrap()), "{k}");
        }
        // Manifests only of the referenced images (web:9.9 does not exist).
        assert_eq!(
            names(
                &Value::Array(
                    ecr["images"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i["imageId"].clone())
                        .collect()
                ),
                "imageDigest"
            ),
            ["web_latest", "web_1_0", "api_2_0", "old_v1", "old_v2"]
                .iter()
                .map(|k| w[*k].as_str().unwrap())
                .collect()
        );
        assert_eq!(ecr["repositoryPolicies"], json!([]));
        assert_eq!(
            names(&ecr["lifecyclePolicies"], "repositoryName"),
            BTreeSet::from(["old"])
        );
        assert_eq!(ecr["registryPolicy"], Value::Null);
        assert_eq!(
            ecr["registryScanningConfiguration"]["scanningConfiguration"]["scanType"],
            "BASIC"
        );
        assert!(ecr.get("pullThroughCacheRules").is_none());

        // The other account's registry: its repositories and the policy that grants the pull.
        let ecr = &other["ecr"];
        assert_eq!(
            names(&ecr["repositories"], "repositoryName"),
            BTreeSet::from(["shared/base", "shared/closed"])
        );
        assert_eq!(ecr["repositoryPolicies"].as_array().unwrap().len(), 1);
        assert_eq!(
            ecr["repositoryPolicies"][0]["repositoryName"],
            "shared/base"
        );
        assert_eq!(ecr["repositoryPolicies"][0]["policyText"], w["base_policy"]);
        // Registry-level settings of another account are not readable: unknown, not null.
        assert!(ecr.get("registryPolicy").is_none());

        // EC2: both VPCs, every subnet of them, the endpoints of VPC B.
        let ec2 = &primary["ec2"];
        assert_eq!(
            names(&ec2["Vpcs"], "VpcId"),
            BTreeSet::from([w["vpc_a"].as_str().unwrap(), w["vpc_b"].as_str().unwrap()])
        );
        assert_eq!(
            ec2["Subnets"].as_array().unwrap().len(),
            4,
            "the NAT subnet too"
        );
        assert_eq!(ec2["VpcAttributes"].as_array().unwrap().len(), 4);
        let endpoints: BTreeSet<&str> = names(&ec2["VpcEndpoints"], "ServiceName");
        assert_eq!(
            endpoints,
            BTreeSet::from([
                "com.amazonaws.us-east-1.ecr.api",
                "com.amazonaws.us-east-1.ecr.dkr",
                "com.amazonaws.us-east-1.logs",
                "com.amazonaws.us-east-1.s3",
            ])
        );
        let s3_list = ec2["PrefixLists"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["PrefixListName"] == "com.amazonaws.us-east-1.s3")
            .unwrap();
        assert!(!s3_list["Entries"].as_array().unwrap().is_empty());

        // What the other layers decide from it, through the same loader as --state.
        let snapshots = vec![
            load(&dir.path().join("state.json"), 0),
            load(&other_path, 1),
        ];
        let state = AccountState::new(snapshots);
        let idx = &state.ecr;
        assert!(
            idx.repository(ACCOUNT, REGION, "nope").is_absent(),
            "missing repository"
        );
        assert!(
            idx.image_by_tag(ACCOUNT, REGION, "web", "9.9").is_absent(),
            "missing tag"
        );
        let latest = idx
            .image_by_tag(ACCOUNT, REGION, "web", "latest")
            .found()
            .unwrap();
        assert_eq!(latest.image_digest.as_deref(), w["web_latest"].as_str());
        assert!(
            idx.image_by_tag(OTHER, REGION, "shared/base", "1")
                .found()
                .is_some()
        );
        assert!(
            idx.repository_policy(OTHER, REGION, "shared/closed")
                .is_absent()
        );
        assert!(
            idx.repository_policy(OTHER, REGION, "shared/base")
                .found()
                .is_some()
        );
        assert!(
            idx.pull_through_cache_rule(ACCOUNT, REGION, "web")
                .is_unknown()
        );

        // The lifecycle policy of `old` expires v1 (only the newest image is kept).
        use ecs_preflight::ecr::lifecycle;
        let text = idx
            .lifecycle_policy(ACCOUNT, REGION, "old")
            .found()
            .unwrap()
            .lifecycle_policy_text
            .clone()
            .unwrap();
        let policy = lifecycle::parse_policy(&text.0).unwrap();
        let images = idx
            .images_in_repository(ACCOUNT, REGION, "old")
            .found()
            .unwrap();
        let lifecycle_images: Vec<_> = images
            .iter()
            .map(|d| lifecycle::LifecycleImage::from_detail(d))
            .collect();
        let now = ecs_preflight::base::timestamp::Timestamp::from_seconds(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64,
        );
        let fates = lifecycle::evaluate(&policy, &lifecycle_images, now);
        for (image, fate) in lifecycle_images.iter().zip(&fates) {
            let expired = matches!(fate.outcome, lifecycle::Outcome::Actioned { .. });
            assert_eq!(
                expired,
                image.digest == w["old_v1"].as_str().unwrap(),
                "{fate:?}"
            );
        }

        // The network: public subnet → internet gateway; isolated subnet → no internet; the
        // endpoint VPC has its ECR endpoints.
        use ecs_preflight::net::index::NetIndex;
        use ecs_preflight::net::routes::SubnetEgress;
        use ecs_preflight::net::services::ServiceKind;
        let ec2_state = state.snapshots[0].ec2.as_ref().unwrap();
        let net = NetIndex::new(Some(ec2_state), REGION);
        assert!(matches!(
            net.subnet_egress(w["subnet_public"].as_str().unwrap()),
            SubnetEgress::InternetGateway { .. }
        ));
        assert!(matches!(
            net.subnet_egress(w["subnet_isolated"].as_str().unwrap()),
            SubnetEgress::NoInternet { .. }
        ));
        assert!(matches!(
            net.subnet_egress(w["subnet_nat"].as_str().unwrap()),
            SubnetEgress::NatGateway { .. }
        ));
        assert_eq!(
            net.endpoints_for(w["vpc_b"].as_str().unwrap(), ServiceKind::EcrDkr)
                .unwrap()
                .len(),
            1
        );
        assert!(
            net.endpoints_for(w["vpc_a"].as_str().unwrap(), ServiceKind::EcrDkr)
                .unwrap()
                .is_empty()
        );
    }

    /// `check --aws` and `snapshot` + `check --state` give the same diagnostics.
    #[test]
    fn check_aws_equals_snapshot_then_check_state() {
        let moto = moto();
        let w = seed(&moto, &["world"]);
        let dir = tempfile::tempdir().unwrap();
        world_inputs(dir.path(), &w);
        let subnets = format!(
            "{},{}",
            w["subnet_isolated"].as_str().unwrap(),
            w["subnet_endpoints"].as_str().unwrap()
        );
        let common = ["--subnets", &subnets, "--cluster", "prod"];
        let live = tool(&moto, dir.path())
            .args(["check", ".", "--aws", "--format", "json"])
            .args(common)
            .output()
            .unwrap();
        assert!(
            matches!(live.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&live.stderr)
        );
        std::fs::create_dir_all(dir.path().join("state")).unwrap();
        let snap = tool(&moto, dir.path())
            .args(["snapshot", "--out", "state/s.json", "."])
            .args(common)
            .output()
            .unwrap();
        assert_eq!(
            snap.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&snap.stderr)
        );
        let stored = tool(&moto, dir.path())
            .args([
                "check",
                ".",
                "--state",
                "state/s.json",
                "--state",
                &format!("state/s.{OTHER}-{REGION}.json"),
                "--subnets",
                &subnets,
                "--format",
                "json",
            ])
            // Not the live account this time.
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .output()
            .unwrap();
        assert_eq!(stored.status.code(), live.status.code());
        let live: Value = serde_json::from_slice(&live.stdout).unwrap();
        let stored: Value = serde_json::from_slice(&stored.stdout).unwrap();
        // Labels that point into a state file name it: `aws:ACCOUNT:REGION` when read live.
        let renamed = serde_json::to_string(&live["diagnostics"])
            .unwrap()
            .replace(&format!("aws:{ACCOUNT}:{REGION}"), "state/s.json")
            .replace(
                &format!("aws:{OTHER}:{REGION}"),
                &format!("state/s.{OTHER}-{REGION}.json"),
            );
        let live_diagnostics: Value = serde_json::from_str(&renamed).unwrap();
        assert_eq!(live_diagnostics, stored["diagnostics"]);
        assert_eq!(live["summary"]["taskDefinitions"], 6);
        // The diagnostics of the rules this build has, on the seeded account.
        let codes: BTreeMap<String, usize> =
            live_diagnostics
                .as_array()
                .unwrap()
                .iter()
                .fold(BTreeMap::new(), |mut m, d| {
                    *m.entry(d["code"].as_str().unwrap().to_string())
                        .or_insert(0) += 1;
                    m
                });
        let find = |code: &str, container: &str| {
            live_diagnostics
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["code"] == code && d["container"] == container)
                .cloned()
                .unwrap_or_else(|| panic!("no {code} for {container}: {codes:?}"))
        };
        // web:latest: pinned by the fix to the digest moto holds.
        assert_eq!(codes.get("IMG002"), Some(&1), "{codes:?}");
        let fix = find("IMG002", "web")["fix"]["edits"][0]["content"].clone();
        assert!(
            fix.as_str()
                .unwrap()
                .ends_with(&format!("web:latest@{}", w["web_latest"].as_str().unwrap())),
            "{fix}"
        );
        // old:v1: its repository's lifecycle policy expires it now; v2 is next in line.
        assert_eq!(codes.get("ECR004"), Some(&1), "{codes:?}");
        find("ECR004", "expired");
        find("ECR010", "kept");
        // api:2.0 is in an IMMUTABLE repository: neither ECR003 nor IMG004.
        assert!(
            !live_diagnostics.as_array().unwrap().iter().any(
                |d| d["container"] == "api" && (d["code"] == "ECR003" || d["code"] == "IMG004")
            ),
            "{codes:?}"
        );
        // The cross-account image is found in the other account's snapshot.
        find("ECR003", "base");
        // The references, read live: the secret scheduled for deletion and the missing one,
        // the missing parameter, the log groups not created, the missing environment files;
        // the customer managed key the role may not decrypt with, the environment file it
        // may not read.
        assert_eq!(codes.get("REF001"), Some(&2), "{codes:?}");
        assert_eq!(codes.get("REF002"), Some(&1), "{codes:?}");
        assert_eq!(codes.get("REF004"), Some(&2), "{codes:?}");
        for family in ["denied", "explicit", "ghost"] {
            assert!(
                live_diagnostics
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["code"] == "REF003" && d["taskDefinition"] == family),
                "REF003 {family}: {codes:?}"
            );
        }
        assert!(
            !live_diagnostics
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["code"] == "REF003"
                    && (d["taskDefinition"] == "web" || d["taskDefinition"] == "refs")),
            "the log groups that exist: {codes:?}"
        );
        find("ROLE012", "app");
        find("ROLE013", "app");
        // What could not be read is in the run summary of the live check.
        let skipped = serde_json::to_string(&live["summary"]["skipped"]).unwrap();
        assert!(
            skipped.contains("ecr:DescribePullThroughCacheRules failed"),
            "{skipped}"
        );
        assert!(skipped.contains("999988887777"), "{skipped}");
        // moto has no pull-through cache rules API, so a repository or tag that is not there
        // might still come through one: ECR001/ECR002 are skipped (unknown), not reported.
        assert!(
            !codes.contains_key("ECR001") && !codes.contains_key("ECR002"),
            "{codes:?}"
        );
        let stored_skipped = serde_json::to_string(&stored["summary"]["skipped"]).unwrap();
        assert!(
            stored_skipped.contains("whether a pull-through cache rule covers `nope` is not known"),
            "{stored_skipped}"
        );
    }

    /// Secrets, parameters, keys, log groups and environment files: exactly the referenced
    /// ones, metadata only, in the state format; the missing ones absent.
    ///
    /// moto fidelity gaps (moto 5.2): DescribeParameters items have no `ARN` (AWS returns it;
    /// the rules fall back to the ARN of the reference); S3 ignores `ExpectedBucketOwner` (AWS
    /// refuses a bucket of another account with 403, which the collector reports as unknown,
    /// not tested here); every region and account share one endpoint.
    #[test]
    fn snapshot_reads_the_referenced_secrets_parameters_keys_logs_and_files() {
        let moto = moto();
        let w = seed(&moto, &["world"]);
        let dir = tempfile::tempdir().unwrap();
        world_inputs(dir.path(), &w);
        let out = tool(&moto, dir.path())
            .args(["snapshot", "--out", "state.json", "."])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let text = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
        assert!(!text.contains("never-read"), "a secret value was read");
        assert!(!text.contains("MODE=prod"), "an object was read");
        let state: Value = serde_json::from_str(&text).unwrap();

        // Secrets: the two that exist and the one scheduled for deletion; not the missing one.
        let secrets = &state["secretsmanager"]["secrets"];
        assert_eq!(
            names(secrets, "Name"),
            BTreeSet::from(["app/api", "app/db", "app/old"])
        );
        let db = secrets
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Name"] == "app/db")
            .unwrap();
        assert_eq!(db["ARN"], w["secret_db"]);
        assert_eq!(db["KmsKeyId"], "alias/app");
        let stages = db["SecretVersionsToStages"].as_object().unwrap();
        assert_eq!(stages.len(), 1);
        assert!(
            secrets
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["Name"] == "app/old" && s.get("DeletedDate").is_some())
        );

        // Parameters: the two that exist (a name and an ARN reference), with their types.
        let parameters = &state["ssm"]["parameters"];
        assert_eq!(
            names(parameters, "Name"),
            BTreeSet::from(["/app/host", "/app/token"])
        );
        let token = parameters
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["Name"] == "/app/token")
            .unwrap();
        assert_eq!(token["Type"], "SecureString");
        assert_eq!(token["KeyId"], w["key_id"]);

        // The key of both (named once by its alias, once by its ID): described once, with its
        // policy, grants and alias.
        let keys = state["kms"]["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1, "{keys:?}");
        assert_eq!(keys[0]["KeyMetadata"]["KeyId"], w["key_id"]);
        assert_eq!(keys[0]["KeyMetadata"]["KeyManager"], "CUSTOMER");
        assert!(keys[0]["Policy"].as_str().unwrap().contains("kms:*"));
        assert_eq!(keys[0]["Grants"], json!([]));
        assert_eq!(
            names(&state["kms"]["aliases"], "AliasName"),
            BTreeSet::from(["alias/app"])
        );

        // Log groups: the two that exist of the six referenced.
        assert_eq!(
            names(&state["logs"]["logGroups"], "logGroupName"),
            BTreeSet::from(["/ecs/refs", "/ecs/web"])
        );
        // The group of the task definition whose role is in another account is not readable.
        assert!(
            stderr.contains(
                "log groups of account 999988887777 region us-east-1 (/ecs/foreign) not read"
            ),
            "{stderr}"
        );

        // S3: the bucket that exists, with its policy; the object that exists.
        assert_eq!(
            state["s3"]["buckets"],
            json!([{"Name": "app-config", "Region": "us-east-1", "Policy": w["bucket_policy"]}])
        );
        assert_eq!(
            state["s3"]["objects"],
            json!([{"Bucket": "app-config", "Key": "web.env"}])
        );

        // What the rules decide from it, through the same loader as --state.
        use ecs_preflight::base::known::Lookup;
        use ecs_preflight::state::kms::KeyRef;
        let state = AccountState::new(vec![load(&dir.path().join("state.json"), 0)]);
        let db = w["secret_db"].as_str().unwrap();
        assert!(state.secrets.find(ACCOUNT, REGION, db).found().is_some());
        let partial = format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/api");
        assert!(
            state
                .secrets
                .find(ACCOUNT, REGION, &partial)
                .found()
                .is_some()
        );
        let missing =
            format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/missing-AbCdEf");
        assert!(state.secrets.find(ACCOUNT, REGION, &missing).is_absent());
        assert!(
            state
                .parameters
                .find(ACCOUNT, REGION, "app/token")
                .found()
                .is_some()
        );
        assert!(
            state
                .parameters
                .find(ACCOUNT, REGION, "/app/missing")
                .is_absent()
        );
        assert!(matches!(
            state.kms.resolve(ACCOUNT, REGION, "alias/app"),
            Lookup::Found(KeyRef::Key(k)) if k.policy.is_some() && k.grants.is_some()
        ));
        assert!(state.kms.resolve(ACCOUNT, REGION, "alias/nope").is_absent());
        assert!(
            state
                .log_groups
                .find(ACCOUNT, REGION, "/ecs/ghost")
                .is_absent()
        );
        assert!(
            state
                .s3
                .bucket("app-config", Some(ACCOUNT))
                .found()
                .is_some()
        );
        assert!(
            state
                .s3
                .bucket("no-such-bucket-ecs-preflight", Some(ACCOUNT))
                .is_absent()
        );
        assert!(state.s3.object("app-config", "web.env").found().is_some());
        assert!(state.s3.object("app-config", "missing.env").is_absent());
    }

    #[test]
    fn cluster_services_of_the_families_give_the_network() {
        let moto = moto();
        let w = seed(&moto, &["world"]);
        let dir = tempfile::tempdir().unwrap();
        world_inputs(dir.path(), &w);
        let out = tool(&moto, dir.path())
            .args([
                "snapshot",
                "--out",
                "s.json",
                "web.json",
                "--cluster",
                "prod",
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let s: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("s.json")).unwrap())
                .unwrap();
        let services = s["ecs"]["services"].as_array().unwrap();
        assert_eq!(services.len(), 1, "only the family `web`, not `other`");
        assert_eq!(services[0]["serviceName"], "web");
        assert_eq!(services[0]["launchType"], "FARGATE");
        assert_eq!(
            services[0]["networkConfiguration"]["awsvpcConfiguration"]["subnets"][0],
            w["subnet_isolated"]
        );
        // The service's subnet brought its VPC (A) in, and only that one.
        assert_eq!(
            names(&s["ec2"]["Vpcs"], "VpcId"),
            BTreeSet::from([w["vpc_a"].as_str().unwrap()])
        );
        assert_eq!(s["ec2"]["VpcEndpoints"], json!([]), "VPC A has none: known");
        // Loaded as a state file, the service gives the task its network.
        let state = AccountState::new(vec![load(&dir.path().join("s.json"), 0)]);
        let ecs = state.snapshots[0].ecs.as_ref().unwrap();
        let found = ecs.services_for_family("web").found().unwrap();
        assert_eq!(found[0].effective_launch_type(), Some("FARGATE"));

        // A cluster that does not exist: said, and the services are known to be none.
        let out = tool(&moto, dir.path())
            .args([
                "snapshot",
                "--out",
                "s2.json",
                "web.json",
                "--cluster",
                "nope",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("cluster `nope` not found"), "{stderr}");
    }

    /// The library entry point against moto, with a configuration made here.
    fn collect(moto: &Moto, paths: &[PathBuf], network: &NetworkFlags) -> Collected {
        let config = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(
                aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .endpoint_url(endpoint(moto))
                    .region(aws_config::Region::new(REGION))
                    .credentials_provider(aws_sdk_ecr::config::Credentials::new(
                        "testing", "testing", None, None, "tests",
                    ))
                    .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
                    .load(),
            );
        let request = Request {
            target: Target::default(),
            cluster: None,
            progress: false,
            config: Some(config),
        };
        aws::collect(request, |caller, region| {
            let resolve = ResolveSettings {
                account: Some(caller.to_string()),
                region: Some(region.to_string()),
            };
            let documents = check::read_documents(paths, &resolve);
            References::from_inputs(
                &documents,
                None,
                network,
                &Deployment {
                    account: None,
                    caller: Some(caller.to_string()),
                    region: Some(region.to_string()),
                },
            )
        })
        .unwrap()
    }

    #[test]
    fn the_read_only_policy_allows_every_call_made() {
        let moto = moto();
        let w = seed(&moto, &["world"]);
        let dir = tempfile::tempdir().unwrap();
        world_inputs(dir.path(), &w);
        let network = NetworkFlags {
            subnets: vec![
                w["subnet_public"].as_str().unwrap().to_string(),
                w["subnet_endpoints"].as_str().unwrap().to_string(),
            ],
            security_groups: vec![w["task_sg_a"].as_str().unwrap().to_string()],
            ..NetworkFlags::default()
        };
        let collected = collect(&moto, &[dir.path().to_path_buf()], &network);
        let policy: Value = serde_json::from_str(aws::READ_ONLY_POLICY).unwrap();
        let allowed: BTreeSet<&str> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["Action"].as_array().unwrap())
            .map(|a| a.as_str().unwrap())
            .collect();
        let made: BTreeSet<&str> = collected.calls.keys().map(String::as_str).collect();
        for call in &made {
            let op = call.split(':').nth(1).unwrap();
            assert!(
                ["Describe", "Get", "List", "BatchGet"]
                    .iter()
                    .any(|p| op.starts_with(p)),
                "{call} is not a read"
            );
            // GetCallerIdentity needs no permission.
            if *call != "sts:GetCallerIdentity" {
                assert!(
                    allowed.contains(call),
                    "{call} is not in the read-only policy"
                );
            }
        }
        // Every action of the policy is one the collector makes (ecs:* only with --cluster).
        for action in &allowed {
            assert!(
                made.contains(action) || action.starts_with("ecs:"),
                "{action} is in the policy but never called"
            );
        }
    }

    /// With moto enforcing IAM, a user with exactly the shipped read-only policy reads every
    /// part; a user without two of its actions gets those two parts unknown, with the reason,
    /// and everything else still read.
    #[test]
    fn the_read_only_policy_is_enough_where_iam_is_enforced() {
        let moto = moto();
        let w = seed(&moto, &["world+readers"]);
        let dir = tempfile::tempdir().unwrap();
        world_inputs(dir.path(), &w);
        let subnets = w["subnet_endpoints"].as_str().unwrap().to_string();
        /// Turns enforcement off again when the test ends, even by a panic.
        struct Enforced(u16);
        impl Drop for Enforced {
            fn drop(&mut self) {
                http(self.0, "POST", "/moto-api/reset-auth", "inf");
            }
        }
        let answer = http(moto.port, "POST", "/moto-api/reset-auth", "0");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let _enforced = Enforced(moto.port);
        let run = |user: &str| {
            let key = &w["readers"][user];
            let out = tool(&moto, dir.path())
                .args(["snapshot", "--out", &format!("{user}.json"), "."])
                .args(["--subnets", &subnets, "--cluster", "prod"])
                .env("AWS_ACCESS_KEY_ID", key["id"].as_str().unwrap())
                .env("AWS_SECRET_ACCESS_KEY", key["secret"].as_str().unwrap())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert_eq!(out.status.code(), Some(0), "{user}: {stderr}");
            assert!(!stderr.contains(key["secret"].as_str().unwrap()));
            let state: Value = serde_json::from_str(
                &std::fs::read_to_string(dir.path().join(format!("{user}.json"))).unwrap(),
            )
            .unwrap();
            (stderr, state)
        };
        let (stderr, state) = run("reader");
        let warnings: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("warning:") && !l.contains("999988887777"))
            .collect();
        // Only what moto does not implement is missing (and the other account's role and log
        // group).
        assert_eq!(warnings.len(), 1, "{stderr}");
        assert!(
            warnings[0].contains("DescribePullThroughCacheRules"),
            "{stderr}"
        );
        for section in [
            "iam",
            "ecr",
            "ec2",
            "ecs",
            "secretsmanager",
            "ssm",
            "kms",
            "logs",
            "s3",
        ] {
            assert!(state.get(section).is_some(), "{section}: {stderr}");
        }
        let key = &state["kms"]["keys"][0];
        assert!(key.get("Policy").is_some() && key.get("Grants").is_some());
        assert_eq!(
            state["ecr"]["lifecyclePolicies"].as_array().unwrap().len(),
            1
        );

        let (stderr, state) = run("partial");
        assert!(
            stderr.contains("not captured (iam): IAM state of account 123456789012 not read: iam:ListAttachedRolePolicies"),
            "{stderr}"
        );
        assert!(
            stderr.contains("ecr.lifecyclePolicies of account 123456789012 region us-east-1 unknown: ecr:GetLifecyclePolicy"),
            "{stderr}"
        );
        assert!(
            stderr.contains("not captured (logs): log groups of account 123456789012 region us-east-1 unknown: logs:DescribeLogGroups"),
            "{stderr}"
        );
        assert!(
            stderr.contains("not captured (kms): the grants of ")
                && stderr.contains("kms:ListGrants failed"),
            "{stderr}"
        );
        // Unknown is absent, not empty; the rest is read.
        assert!(state.get("iam").is_none());
        assert!(state["ecr"].get("lifecyclePolicies").is_none());
        assert!(state.get("logs").is_none());
        let key = &state["kms"]["keys"][0];
        assert!(key.get("Policy").is_some() && key.get("Grants").is_none());
        assert!(state.get("secretsmanager").is_some() && state.get("s3").is_some());
        assert_eq!(state["ecr"]["repositories"].as_array().unwrap().len(), 3);
        assert!(state.get("ec2").is_some() && state.get("ecs").is_some());
    }

    /// The benchmark of the brief: 50 task definitions referencing 20 roles, 30 repositories
    /// and 10 subnets; then 100 with the same references make exactly the same calls.
    #[test]
    fn calls_grow_with_references_not_with_task_definitions() {
        let moto = moto();
        let b = seed(&moto, &["bench", "20"]);
        let strings = |k: &str| -> Vec<String> {
            b[k].as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        let (roles, repos, subnets) = (strings("roles"), strings("repos"), strings("subnets"));
        let (secrets, parameters, log_groups, objects) = (
            strings("secrets"),
            strings("parameters"),
            strings("log_groups"),
            strings("objects"),
        );
        let network = NetworkFlags {
            subnets: subnets.clone(),
            security_groups: vec![b["security_group"].as_str().unwrap().to_string()],
            ..NetworkFlags::default()
        };
        let mut figures = Vec::new();
        for count in [50, 100] {
            let dir = tempfile::tempdir().unwrap();
            for i in 0..count {
                let repo = &repos[i % repos.len()];
                let tag = if i % 2 == 0 { "1.0" } else { "2.0" };
                let mut td = task_definition(
                    &format!("app-{i}"),
                    &roles[i % roles.len()],
                    &[
                        ("app", ecr_image(ACCOUNT, &format!("{repo}:{tag}"))),
                        (
                            "sidecar",
                            ecr_image(ACCOUNT, &format!("{}:1.0", repos[(i + 7) % repos.len()])),
                        ),
                    ],
                );
                // Each task definition names one of 5 secrets (with a JSON key that differs),
                // 5 parameters, 5 log groups and 5 environment files.
                let app = &mut td["containerDefinitions"][0];
                app["secrets"] = json!([
                    {"name": "S", "valueFrom": format!("{}:key{i}::", secrets[i % 5])},
                    {"name": "P", "valueFrom": parameters[(i + 1) % 5]},
                ]);
                app["environmentFiles"] = json!([{"type": "s3", "value": objects[(i + 2) % 5]}]);
                app["logConfiguration"]["options"]["awslogs-group"] = json!(log_groups[i % 5]);
                td["containerDefinitions"][1]["logConfiguration"]["options"]["awslogs-group"] =
                    json!(log_groups[(i + 3) % 5]);
                write(dir.path(), &format!("td-{i}.json"), &td);
            }
            let collected = collect(&moto, &[dir.path().to_path_buf()], &network);
            let refs = &collected.references;
            assert_eq!(
                (
                    refs.roles.len(),
                    refs.repository_count(),
                    refs.subnets.len()
                ),
                (20, 30, 10)
            );
            let primary = &collected.snapshots[0].json;
            assert_eq!(
                primary["iam"]["RoleDetailList"].as_array().unwrap().len(),
                20
            );
            assert_eq!(primary["ecr"]["repositories"].as_array().unwrap().len(), 30);
            assert_eq!(primary["ec2"]["Subnets"].as_array().unwrap().len(), 10);
            assert_eq!(refs.reference_count(), 20, "5 of each kind");
            for (section, list) in [
                ("secretsmanager", "secrets"),
                ("ssm", "parameters"),
                ("logs", "logGroups"),
                ("s3", "objects"),
            ] {
                assert_eq!(
                    primary[section][list].as_array().unwrap().len(),
                    5,
                    "{section}"
                );
            }
            assert_eq!(primary["kms"]["keys"].as_array().unwrap().len(), 1);
            eprintln!(
                "benchmark: {count} task definitions, 20 roles, 30 repositories, 10 subnets: {} API calls in {:.2} s: {:?}",
                collected.call_count(),
                collected.elapsed.as_secs_f64(),
                collected.calls
            );
            figures.push(collected.calls.clone());
        }
        assert_eq!(
            figures[0], figures[1],
            "100 task definitions made more calls than 50"
        );
        let calls = &figures[0];
        // One per role for GetRole/ListRolePolicies/ListAttachedRolePolicies, the shared
        // managed policy once, one DescribeRepositories for the 30 names, four per repository.
        assert_eq!(calls["iam:GetRole"], 20);
        assert_eq!(calls["iam:GetPolicy"], 1);
        assert_eq!(calls["ecr:DescribeRepositories"], 1);
        assert_eq!(calls["ecr:DescribeImages"], 30);
        assert_eq!(calls["ecr:BatchGetImage"], 30);
        assert_eq!(
            calls["ec2:DescribeVpcAttribute"], 2,
            "one VPC, two attributes"
        );
        // One DescribeSecret per secret, one DescribeParameters for the 5 names (10 spellings),
        // one DescribeLogGroups per group, the one key once, the bucket once and one listing
        // per object.
        assert_eq!(calls["secretsmanager:DescribeSecret"], 5);
        assert_eq!(calls["ssm:DescribeParameters"], 1);
        assert_eq!(calls["logs:DescribeLogGroups"], 5);
        assert_eq!(calls["kms:DescribeKey"], 1);
        assert_eq!(calls["kms:GetKeyPolicy"], 1);
        assert_eq!(calls["kms:ListGrants"], 1);
        assert_eq!(calls["s3:GetBucketLocation"], 1);
        assert_eq!(calls["s3:GetBucketPolicy"], 1);
        assert_eq!(calls["s3:ListBucket"], 5);
        assert!(!calls.keys().any(|c| c.contains("GetSecretValue")
            || c.contains("GetParameter")
            || c.contains("GetObject")
            || c.contains("Decrypt")));
    }

    #[test]
    fn no_credentials_or_no_answer_is_an_error_with_the_reason() {
        let moto = moto();
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "t.json",
            &task_definition(
                "t",
                "arn:aws:iam::123456789012:role/x",
                &[("a", "nginx:1".into())],
            ),
        );
        let out = tool(&moto, dir.path())
            .args(["check", "--aws", "t.json"])
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        // Nothing listens on port 9: the endpoint is unreachable, which is said as such (not as
        // a credentials problem).
        assert!(
            stderr.contains("cannot reach AWS (STS in us-east-1): sts:GetCallerIdentity failed"),
            "{stderr}"
        );
        assert!(!stderr.contains("testing-secret"), "{stderr}");
        let out = tool(&moto, dir.path())
            .args(["check", "--aws", "t.json"])
            .env_remove("AWS_REGION")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("no AWS region"), "{stderr}");
        // --cluster reads the live account: without --aws it is a usage error.
        let out = tool(&moto, dir.path())
            .args(["check", "--cluster", "prod", "t.json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
    }
}
