//! The tool in a CI job and a pull request: a gate that is never silent (stderr summary, what was
//! not checked, empty runs), standard input, fingerprints, SARIF categories, GitLab Code Quality,
//! baselines, inline suppressions and `--image`.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod support;
use support::cmd;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|e| panic!("not JSON: {e}\n{}", String::from_utf8_lossy(output)))
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The diagnostics that count (not baselined), as (code, container).
fn counted(report: &Value) -> Vec<(String, Option<String>)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["baselined"] != Value::Bool(true))
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["container"].as_str().map(str::to_string),
            )
        })
        .collect()
}

const LATEST: &str = r#"{
  "family": "web",
  "containerDefinitions": [
    {"name": "web", "image": "public.ecr.aws/nginx/nginx:latest", "memory": 256}
  ]
}"#;

/// An awsvpc task with no known subnets: a NET001 note and NET checks not run.
const AWSVPC: &str = r#"{
  "family": "api",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {"name": "api", "image": "public.ecr.aws/nginx/nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
  ]
}"#;

fn shop() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop")
}

/// A copy of examples/shop to change files in.
fn shop_copy() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&shop(), dir.path());
    dir
}

// --- never silent -------------------------------------------------------------------------

#[test]
fn a_report_written_to_a_file_still_prints_one_summary_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.sarif");
    let run = cmd()
        .current_dir(shop())
        .args(["check", "--format", "sarif", "--output"])
        .arg(&out)
        .arg(".")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(run.stdout.is_empty());
    let err = stderr(&run);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("ecs-preflight: 12 errors, 6 warnings, 3 notes in 5 files"),
        "{err}"
    );
    assert!(
        lines[0].ends_with("(9 checks not run: see the report)"),
        "{err}"
    );
    // The same for JSON on stdout, and for human output sent to a file.
    for args in [
        vec!["--format", "json"],
        vec!["--format", "github"],
        vec!["--format", "gitlab"],
        vec!["--output", out.to_str().unwrap()],
    ] {
        let run = cmd()
            .current_dir(shop())
            .arg("check")
            .args(&args)
            .arg(".")
            .output()
            .unwrap();
        assert!(
            stderr(&run).starts_with("ecs-preflight: 12 errors"),
            "{args:?}: {}",
            stderr(&run)
        );
    }
    // --quiet drops it; human output on stdout has its own summary and prints none.
    let quiet = cmd()
        .current_dir(shop())
        .args(["check", "--format", "json", "--quiet", "."])
        .output()
        .unwrap();
    assert_eq!(stderr(&quiet), "");
    let human = cmd()
        .current_dir(shop())
        .args(["check", "."])
        .output()
        .unwrap();
    assert_eq!(stderr(&human), "");
}

#[test]
fn github_annotations_say_what_was_not_checked() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "api.json", AWSVPC);
    let run = cmd()
        .args(["check", "--format", "github"])
        .arg(&file)
        .output()
        .unwrap();
    let out = stdout(&run);
    let notice: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("::notice title=ecs-preflight%3A 1 check not run::"))
        .collect();
    assert_eq!(notice.len(), 1, "{out}");
    assert!(notice[0].contains("api: no subnets known"), "{out}");
    assert!(notice[0].contains("(NET002–NET015)"), "{out}");
    // Without skips there is no notice.
    let latest = write(dir.path(), "web.json", LATEST);
    let run = cmd()
        .args(["check", "--format", "github", "--select", "IMG"])
        .arg(&latest)
        .output()
        .unwrap();
    assert!(!stdout(&run).contains("not run"), "{}", stdout(&run));
}

#[test]
fn a_run_that_finds_no_ecs_input_fails_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "package.json",
        r#"{"name": "x", "version": "1.0.0"}"#,
    );
    write(dir.path(), "notes.yaml", "a: 1\n");
    let run = cmd().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", stdout(&run));
    assert!(
        stderr(&run).contains("no ECS inputs found in"),
        "{}",
        stderr(&run)
    );
    // A path typo is a missing file (IN001), also exit 2.
    cmd()
        .arg("check")
        .arg(dir.path().join("taskdefz"))
        .assert()
        .code(2);
    cmd()
        .args(["check", "--allow-empty"])
        .arg(dir.path())
        .assert()
        .code(0);
    // JSON output still writes a report, with zero files.
    let run = cmd()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(json(&run.stdout)["summary"]["files"], 0);
}

#[test]
fn skip_unrecognized_lets_pre_commit_name_every_changed_file() {
    let dir = tempfile::tempdir().unwrap();
    let other = write(dir.path(), "package.json", r#"{"name": "x"}"#);
    let web = write(dir.path(), "web.json", LATEST);
    // Named and not an ECS input: an error without the flag.
    cmd()
        .args(["check", "--fail-on", "never"])
        .arg(&other)
        .arg(&web)
        .assert()
        .code(2);
    let run = cmd()
        .args(["check", "--skip-unrecognized", "--format", "json"])
        .arg(&other)
        .arg(&web)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let report = json(&run.stdout);
    assert_eq!(report["summary"]["files"], 1);
    assert_eq!(
        counted(&report),
        vec![("IMG002".into(), Some("web".into()))]
    );
    // Only unrecognised files: nothing checked, which is still not green.
    cmd()
        .args(["check", "--skip-unrecognized"])
        .arg(&other)
        .assert()
        .code(2);
    cmd()
        .args(["check", "--skip-unrecognized", "--allow-empty"])
        .arg(&other)
        .assert()
        .code(0);
}

#[test]
fn standard_input_is_read_with_the_name_it_is_given() {
    let run = cmd()
        .args(["check", "--format", "json", "-"])
        .write_stdin(LATEST)
        .output()
        .unwrap();
    let report = json(&run.stdout);
    assert_eq!(report["diagnostics"][0]["code"], "IMG002");
    assert_eq!(report["diagnostics"][0]["file"], "<stdin>");
    assert_eq!(report["diagnostics"][0]["line"], 4);
    // The given name is used for positions and for the config lookup (its per-file-ignores).
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ecs-preflight.toml",
        "[[per-file-ignores]]\npath = \"legacy/**\"\nignore = [\"IMG002\"]\n",
    );
    let named = |name: &str| {
        let run = cmd()
            .current_dir(dir.path())
            .args(["check", "--format", "json", "--stdin-filename", name, "-"])
            .write_stdin(LATEST)
            .output()
            .unwrap();
        json(&run.stdout)
    };
    let report = named("taskdefs/web.json");
    assert_eq!(report["diagnostics"][0]["file"], "taskdefs/web.json");
    let report = named("legacy/web.json");
    assert_eq!(report["diagnostics"], Value::Array(vec![]));
    // describe-task-definition output piped in, as `aws ecs describe-task-definition … | check -`.
    let described = format!("{{\"taskDefinition\": {LATEST}}}");
    cmd()
        .args(["check", "--fail-on", "warning", "-"])
        .write_stdin(described)
        .assert()
        .code(1);
    // Not an ECS input on stdin: an error, as a named file is.
    cmd()
        .args(["check", "-"])
        .write_stdin("{\"name\": \"x\"}")
        .assert()
        .code(2);
    // --stdin-filename without `-`, and --fix on stdin, are usage errors.
    cmd()
        .args(["check", "--stdin-filename", "x.json", "."])
        .assert()
        .code(2);
    cmd()
        .args(["check", "--fix", "-"])
        .write_stdin(LATEST)
        .assert()
        .code(2);
}

// --- fingerprints, SARIF, GitLab ----------------------------------------------------------

/// The fingerprints of a JSON report, by code.
fn fingerprints(report: &Value, code: &str) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| d["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

fn check_json(dir: &Path, args: &[&str]) -> Value {
    let run = cmd()
        .current_dir(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    json(&run.stdout)
}

#[test]
fn fingerprints_survive_edits_elsewhere_and_change_with_the_subject() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "web.json", LATEST);
    let before = fingerprints(&check_json(dir.path(), &["web.json"]), "IMG002");
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].len(), 16, "{before:?}");
    // Lines added above, fields added, the file re-indented: the same finding.
    write(
        dir.path(),
        "web.json",
        r#"{

  "family": "web",
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {
      "name": "web",
      "memory": 256,
      "image": "public.ecr.aws/nginx/nginx:latest"
    }
  ]
}"#,
    );
    let edited = check_json(dir.path(), &["web.json"]);
    assert_eq!(fingerprints(&edited, "IMG002"), before);
    assert_ne!(edited["diagnostics"][0]["line"], 4);
    // Another image, or another container: another finding.
    write(
        dir.path(),
        "web.json",
        &LATEST.replace("nginx/nginx", "nginx/unit"),
    );
    let other_image = fingerprints(&check_json(dir.path(), &["web.json"]), "IMG002");
    assert_ne!(other_image, before);
    write(
        dir.path(),
        "web.json",
        &LATEST.replace(r#""name": "web""#, r#""name": "proxy""#),
    );
    let other_container = fingerprints(&check_json(dir.path(), &["web.json"]), "IMG002");
    assert_ne!(other_container, before);
    // A network finding is about the subnet set, not the `networkMode` text it points at.
    let shop = shop();
    let both = fingerprints(&check_json(&shop, &["taskdefs/web.json"]), "NET005");
    let one = fingerprints(
        &check_json(
            &shop,
            &[
                "taskdefs/web.json",
                "--subnets",
                "subnet-0app1a000000000c",
                "--security-groups",
                "sg-0tasks000000000002",
            ],
        ),
        "NET005",
    );
    assert_eq!(both.len(), 1);
    assert_eq!(one.len(), 1);
    assert_ne!(both, one);
}

#[test]
fn sarif_carries_fingerprints_and_a_category_and_validates() {
    let sarif = |args: &[&str]| {
        let run = cmd()
            .current_dir(shop())
            .args(["check", "--format", "sarif", "."])
            .args(args)
            .output()
            .unwrap();
        json(&run.stdout)
    };
    let log = sarif(&[]);
    support::validate_sarif(&log);
    assert_eq!(log["runs"][0]["automationDetails"]["id"], "ecs-preflight/");
    let report = check_json(&shop(), &["."]);
    let expected: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["fingerprint"].as_str().unwrap())
        .collect();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), expected.len());
    for (result, fingerprint) in results.iter().zip(&expected) {
        let fps = result["partialFingerprints"].as_object().unwrap();
        assert_eq!(fps.len(), 1, "{fps:?}");
        assert_eq!(fps["ecsPreflight/v1"], *fingerprint);
        assert!(!fps.contains_key("primaryLocationLineHash"));
    }
    let log = sarif(&["--sarif-category", "prod-us-east-1"]);
    support::validate_sarif(&log);
    assert_eq!(log["runs"][0]["automationDetails"]["id"], "prod-us-east-1/");
    let log = sarif(&["--sarif-category", "ecs/prod/"]);
    assert_eq!(log["runs"][0]["automationDetails"]["id"], "ecs/prod/");
}

/// The fields GitLab documents as required for a Code Quality report
/// (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format).
const GITLAB_CODE_QUALITY_SCHEMA: &str = r#"{
  "type": "array",
  "items": {
    "type": "object",
    "required": ["description", "check_name", "fingerprint", "severity", "location"],
    "properties": {
      "description": { "type": "string", "minLength": 1 },
      "check_name": { "type": "string", "minLength": 1 },
      "fingerprint": { "type": "string", "minLength": 1 },
      "severity": { "enum": ["info", "minor", "major", "critical", "blocker"] },
      "location": {
        "type": "object",
        "required": ["path", "lines"],
        "properties": {
          "path": { "type": "string", "minLength": 1 },
          "lines": {
            "type": "object",
            "required": ["begin"],
            "properties": { "begin": { "type": "integer", "minimum": 1 } }
          }
        }
      }
    }
  }
}"#;

#[test]
fn gitlab_code_quality_report_has_the_required_fields() {
    let run = cmd()
        .current_dir(shop())
        .args(["check", "--format", "gitlab", "."])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let report = json(&run.stdout);
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource(
            "gitlab.json",
            serde_json::from_str(GITLAB_CODE_QUALITY_SCHEMA).unwrap(),
        )
        .unwrap();
    let index = compiler.compile("gitlab.json", &mut schemas).unwrap();
    if let Err(e) = schemas.validate(&report, index) {
        panic!("not a GitLab Code Quality report: {e:#}");
    }
    let issues = report.as_array().unwrap();
    assert_eq!(issues.len(), 21);
    // GitLab tells issues apart by fingerprint: they must be unique in a report.
    let unique: std::collections::HashSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(unique.len(), issues.len());
    let img002 = issues.iter().find(|i| i["check_name"] == "IMG002").unwrap();
    assert_eq!(img002["severity"], "minor");
    assert_eq!(img002["location"]["path"], "taskdefs/web.json");
    assert_eq!(img002["location"]["lines"]["begin"], 13);
    let td004 = issues.iter().find(|i| i["check_name"] == "TD004").unwrap();
    assert_eq!(td004["severity"], "major");
}

// --- baseline -----------------------------------------------------------------------------

#[test]
fn a_baseline_hides_existing_findings_and_shows_exactly_the_new_one() {
    let shop = shop_copy();
    let dir = shop.path();
    let run = cmd()
        .current_dir(dir)
        .args(["check", "--write-baseline", "baseline.json", "."])
        .output()
        .unwrap();
    // Adopting the baseline turns the gate green.
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stderr(&run).contains("wrote 21 findings to baseline.json"));
    let baseline: Value = json(&std::fs::read(dir.join("baseline.json")).unwrap());
    let entries = baseline["findings"].as_array().unwrap();
    assert_eq!(entries.len(), 21);
    let first = &entries[0];
    for key in ["file", "code", "fingerprint", "subject", "message"] {
        assert!(first[key].is_string(), "{key}: {first}");
    }
    // Sorted, for a reviewable diff.
    let keys: Vec<(String, String)> = entries
        .iter()
        .map(|e| (e["file"].to_string(), e["code"].to_string()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    // A new container with a `latest` image, added above the existing one (every line below
    // it moves): exactly one new finding.
    let worker = dir.join("taskdefs/worker.json");
    let text = std::fs::read_to_string(&worker).unwrap();
    let text = text.replacen(
        "\"containerDefinitions\": [\n",
        "\"containerDefinitions\": [\n      {\n        \"name\": \"metrics\",\n        \"image\": \"public.ecr.aws/aws-observability/aws-otel-collector:latest\",\n        \"essential\": false\n      },\n",
        1,
    );
    std::fs::write(&worker, text).unwrap();
    let run = cmd()
        .current_dir(dir)
        .args([
            "check",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
            ".",
        ])
        .output()
        .unwrap();
    let report = json(&run.stdout);
    assert_eq!(
        counted(&report),
        vec![("IMG002".into(), Some("metrics".into()))]
    );
    assert_eq!(report["summary"]["baselined"], 21);
    assert_eq!(report["summary"]["warnings"], 1);
    assert_eq!(report["summary"]["errors"], 0);
    assert!(report["summary"].get("fixed").is_none());
    // The new finding is a warning: green at the default --fail-on error, red at warning.
    assert_eq!(run.status.code(), Some(0));
    assert!(
        stderr(&run).contains(
            "ecs-preflight: 0 errors, 1 warning, 0 notes in 5 files; 21 baselined, 0 fixed"
        ),
        "{}",
        stderr(&run)
    );
    cmd()
        .current_dir(dir)
        .args([
            "check",
            "--baseline",
            "baseline.json",
            "--fail-on",
            "warning",
            ".",
        ])
        .assert()
        .code(1);
    // SARIF and GitLab show only the new finding.
    let run = cmd()
        .current_dir(dir)
        .args([
            "check",
            "--baseline",
            "baseline.json",
            "--format",
            "sarif",
            ".",
        ])
        .output()
        .unwrap();
    assert_eq!(
        json(&run.stdout)["runs"][0]["results"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A fixed finding (the awslogs prefix added) is reported as a stale baseline entry.
    let web = dir.join("taskdefs/web.json");
    let text = std::fs::read_to_string(&web).unwrap().replace(
        "\"awslogs-region\": \"us-east-1\" }",
        "\"awslogs-region\": \"us-east-1\", \"awslogs-stream-prefix\": \"web\" }",
    );
    std::fs::write(&web, text).unwrap();
    let report = check_json(dir, &["--baseline", "baseline.json", "."]);
    let fixed = report["summary"]["fixed"].as_array().unwrap();
    assert_eq!(fixed.len(), 1, "{fixed:?}");
    assert_eq!(fixed[0]["code"], "TD004");
    let human = cmd()
        .current_dir(dir)
        .args(["check", "--baseline", "baseline.json", "."])
        .output()
        .unwrap();
    let out = stdout(&human);
    assert!(
        out.contains("20 findings in the baseline not shown."),
        "{out}"
    );
    assert!(
        out.contains("1 entry of the baseline no longer found (fixed)"),
        "{out}"
    );
    assert!(!out.contains("TD004 awslogs-options\n"), "{out}");
}

#[test]
fn a_bad_baseline_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "web.json", LATEST);
    write(dir.path(), "b.json", "{\"findings\": 3}");
    let run = cmd()
        .current_dir(dir.path())
        .args(["check", "--baseline", "b.json", "web.json"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("is not an ecs-preflight baseline"),
        "{}",
        stderr(&run)
    );
    cmd()
        .current_dir(dir.path())
        .args(["check", "--baseline", "missing.json", "web.json"])
        .assert()
        .code(2);
}

// --- --image ------------------------------------------------------------------------------

#[test]
fn image_replaces_a_containers_image_before_checking() {
    let dir = tempfile::tempdir().unwrap();
    let pinned = "public.ecr.aws/nginx/nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    write(
        dir.path(),
        "web.json",
        &LATEST.replace("public.ecr.aws/nginx/nginx:latest", pinned),
    );
    assert_eq!(
        counted(&check_json(dir.path(), &["web.json", "--select", "IMG002"])),
        vec![]
    );
    // The pipeline pushed `latest` after all: the committed file is checked with it, and the
    // finding points at the `image` field of the file.
    let report = check_json(
        dir.path(),
        &[
            "web.json",
            "--select",
            "IMG002",
            "--image",
            "web=public.ecr.aws/nginx/nginx:latest",
        ],
    );
    assert_eq!(
        counted(&report),
        vec![("IMG002".into(), Some("web".into()))]
    );
    assert_eq!(report["diagnostics"][0]["line"], 4);
    // An unknown container, or a malformed argument, is a usage error.
    for arg in ["api=repo:1", "web", "=repo:1"] {
        let run = cmd()
            .current_dir(dir.path())
            .args(["check", "web.json", "--image", arg])
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "{arg}");
        assert!(stderr(&run).contains("--image"), "{arg}: {}", stderr(&run));
    }
    // --fix would write the replacement into the file.
    cmd()
        .current_dir(dir.path())
        .args(["check", "web.json", "--fix", "--image", "web=repo:1"])
        .assert()
        .code(2);
}

// --- inline suppressions ------------------------------------------------------------------

/// The shop's CloudFormation template, changed by `edit`, checked alone with the shop's state.
fn api_template(edit: impl Fn(String) -> String) -> (tempfile::TempDir, Value) {
    let shop = shop_copy();
    let path = shop.path().join("cloudformation/api.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
    let report = check_json(shop.path(), &["cloudformation/api.yaml"]);
    (shop, report)
}

fn all_codes(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn yaml_comments_suppress_findings_on_their_line_or_the_next() {
    let (_, plain) = api_template(|t| t);
    let plain = all_codes(&plain);
    assert!(plain.contains(&"IMG004".to_string()) && plain.contains(&"IMG007".to_string()));
    // Alone on the line before the span.
    let (_, report) = api_template(|t| {
        t.replace(
            "          Image: nginx:1.27\n",
            "          # ecs-preflight: ignore[IMG004] the proxy follows the 1.27 line on purpose\n          Image: nginx:1.27\n",
        )
    });
    let codes = all_codes(&report);
    assert!(!codes.contains(&"IMG004".to_string()), "{codes:?}");
    assert!(codes.contains(&"IMG007".to_string()), "{codes:?}");
    assert_eq!(codes.len(), plain.len() - 1);
    // On the line itself, two rules, by code and by name.
    let (_, report) = api_template(|t| {
        t.replace(
            "          Image: nginx:1.27\n",
            "          Image: nginx:1.27 # ecs-preflight: ignore[IMG004, public-registry-image] mirrored later\n",
        )
    });
    let codes = all_codes(&report);
    assert_eq!(codes.len(), plain.len() - 2, "{codes:?}");
    // A suppression that matches nothing is a warning at the comment.
    let (_, report) = api_template(|t| {
        t.replace(
            "          Image: nginx:1.27\n",
            "          # ecs-preflight: ignore[IMG002]\n          Image: nginx:1.27\n",
        )
    });
    let in004: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "IN004")
        .collect();
    assert_eq!(in004.len(), 1, "{report}");
    assert_eq!(in004[0]["severity"], "warning");
    assert_eq!(in004[0]["line"], 57);
    assert!(in004[0]["message"].as_str().unwrap().contains("IMG002"));
    // A name that is no rule is reported too.
    let (_, report) = api_template(|t| {
        t.replace(
            "          Image: nginx:1.27\n",
            "          Image: nginx:1.27 # ecs-preflight: ignore[IMG04]\n",
        )
    });
    let codes = all_codes(&report);
    assert!(codes.contains(&"IN004".to_string()) && codes.contains(&"IMG004".to_string()));
}

#[test]
fn cloudformation_metadata_suppresses_the_resources_findings() {
    let (_, plain) = api_template(|t| t);
    let plain = all_codes(&plain);
    assert!(plain.contains(&"ROLE004".to_string()));
    let (_, report) = api_template(|t| {
        t.replace(
            "  ApiTask:\n    Type: AWS::ECS::TaskDefinition\n",
            "  ApiTask:\n    Type: AWS::ECS::TaskDefinition\n    Metadata:\n      ecs-preflight:\n        ignore: [ROLE004, IMG007, TD002]\n",
        )
    });
    let codes = all_codes(&report);
    assert!(!codes.contains(&"ROLE004".to_string()), "{codes:?}");
    assert!(!codes.contains(&"IMG007".to_string()), "{codes:?}");
    // TD002 does not fire on this task definition: reported unused, at its list item.
    let unused: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "IN004")
        .collect();
    assert_eq!(unused.len(), 1, "{codes:?}");
    assert!(unused[0]["message"].as_str().unwrap().contains("TD002"));
    assert_eq!(unused[0]["line"], 39);
    // A suppression of a rule that did not run (--select) is not called unused.
    let shop = shop_copy();
    let path = shop.path().join("cloudformation/api.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "  ApiTask:\n    Type: AWS::ECS::TaskDefinition\n",
        "  ApiTask:\n    Type: AWS::ECS::TaskDefinition\n    Metadata:\n      ecs-preflight:\n        ignore: [ROLE004, TD002]\n",
    );
    std::fs::write(&path, text).unwrap();
    let report = check_json(
        shop.path(),
        &["cloudformation/api.yaml", "--select", "ROLE"],
    );
    let codes = all_codes(&report);
    assert!(!codes.contains(&"IN004".to_string()), "{codes:?}");
    assert!(!codes.contains(&"ROLE004".to_string()), "{codes:?}");
    // IN findings are never suppressed: a broken template still fails the run.
    std::fs::write(
        &path,
        "# ecs-preflight: ignore[IN002]\nResources: [\n  # ecs-preflight: ignore[IN002]\n",
    )
    .unwrap();
    let run = cmd()
        .current_dir(shop.path())
        .args(["check", "--format", "json", "cloudformation/api.yaml"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(all_codes(&json(&run.stdout)).contains(&"IN002".to_string()));
}

// --- the offline build --------------------------------------------------------------------

/// The offline build has no live AWS support: its help does not offer it, and using it says so.
#[cfg(not(feature = "aws"))]
#[test]
fn the_offline_build_does_not_offer_live_aws_options() {
    let help = cmd().args(["check", "--help"]).output().unwrap();
    let help = stdout(&help);
    assert!(help.contains("--state <FILE>"), "{help}");
    for hidden in ["--aws", "--profile", "--cluster"] {
        assert!(!help.contains(hidden), "{hidden} in:\n{help}");
    }
    let top = cmd().arg("--help").output().unwrap();
    let top = stdout(&top);
    assert!(top.contains("check"), "{top}");
    assert!(!top.contains("snapshot"), "{top}");
    for args in [
        vec!["check", "--aws", "."],
        vec!["check", "--profile", "prod", "."],
        vec!["check", "--cluster", "shop", "."],
        vec!["snapshot", "--out", "state.json"],
    ] {
        let run = cmd().args(&args).output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&run).contains("no AWS support"),
            "{args:?}: {}",
            stderr(&run)
        );
    }
}

// --- human output -------------------------------------------------------------------------

fn human(dir: &Path, columns: &str, args: &[&str]) -> String {
    let run = cmd()
        .current_dir(dir)
        .env("COLUMNS", columns)
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    stdout(&run)
}

/// Lines of a report that are not source snippets (those show the file as it is).
fn prose_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            let snippet_frame = t.starts_with(['·', '╭', '│', '╰']);
            !snippet_frame
                && t.split_once(" │")
                    .is_none_or(|(n, _)| n.trim().parse::<u32>().is_err())
        })
        .collect()
}

#[test]
fn human_output_fits_80_and_120_columns() {
    for columns in ["80", "120"] {
        let text = human(&shop(), columns, &["."]);
        let width: usize = columns.parse().unwrap();
        for line in prose_lines(&text) {
            // Only one unbreakable token (a digest-pinned image, an ARN, a quoted argument)
            // may run past the width.
            if line.chars().count() > width {
                let words: Vec<&str> = line.split_whitespace().collect();
                let longest = words.iter().map(|w| w.chars().count()).max().unwrap_or(0);
                assert!(
                    longest + 12 > width || words.len() <= 2,
                    "{columns} columns: {line:?}"
                );
            }
        }
        insta::assert_snapshot!(format!("shop_{columns}_columns"), text);
    }
    // COLUMNS is honoured: a narrower terminal gives more, shorter lines.
    let narrow = human(&shop(), "80", &["taskdefs/web.json"]);
    let wide = human(&shop(), "120", &["taskdefs/web.json"]);
    assert!(narrow.lines().count() > wide.lines().count());
}

#[test]
fn one_cause_is_one_block_with_one_help() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/NET003");
    let args = [
        "fail-private-no-endpoints.yaml",
        "--region",
        "us-east-1",
        "--account",
        "111122223333",
        "--select",
        "NET",
    ];
    let text = human(&fixtures, "80", &args);
    // NET003 is the heading; NET004–NET006 are listed under it, not repeated as blocks.
    assert!(text.contains("NET003 ecr-api-unreachable\n"), "{text}");
    for other in ["NET004", "NET005", "NET006"] {
        assert!(
            !text.contains(&format!("\n{other} ")),
            "{other} has its own block:\n{text}"
        );
    }
    assert!(
        text.contains("with the same cause: NET004 ecr-dkr-unreachable, NET005"),
        "{text}"
    );
    assert_eq!(text.matches("help:").count(), 1, "{text}");
    // The simplest fix first, then every endpoint with one security group.
    let help = &text[text.find("help:").unwrap()..];
    let nat = help.find("NAT gateway").unwrap();
    let endpoint = help.find("create-vpc-endpoint").unwrap();
    assert!(nat < endpoint, "{help}");
    assert_eq!(help.matches("create-security-group").count(), 1, "{help}");
    assert_eq!(
        help.matches("--vpc-endpoint-type Interface").count(),
        3,
        "{help}"
    );
    assert!(text.contains("Found 4 errors"), "{text}");
    insta::assert_snapshot!("net_one_cause_80_columns", text);
    // JSON keeps one entry per code, with the shared cause.
    let report = check_json(&fixtures, &args);
    let causes: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["cause"])
        .collect();
    assert_eq!(causes.len(), 4);
    assert!(
        causes.iter().all(|c| c.is_string() && *c == causes[0]),
        "{causes:?}"
    );
}
