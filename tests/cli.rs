//! The command line as users and CI pipelines use it: exit codes, output formats, config,
//! folder walking, and bad input of every kind.

use std::path::Path;

use serde_json::Value;

mod support;
use support::cmd;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

const GOOD: &str = r#"{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {"name": "web", "image": "public.ecr.aws/nginx/nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
  ]
}"#;

const LATEST: &str = r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "public.ecr.aws/nginx/nginx:latest", "memory": 256}]}"#;

const BAD_CPU: &str = r#"{"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "4096",
  "containerDefinitions": [{"name": "web", "image": "public.ecr.aws/nginx/nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]}"#;

fn json_report(output: &[u8]) -> Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|e| panic!("not JSON: {e}\n{}", String::from_utf8_lossy(output)))
}

fn codes(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", GOOD);
    let latest = write(dir.path(), "latest.json", LATEST);
    let bad = write(dir.path(), "bad.json", BAD_CPU);
    cmd().arg("check").arg(&good).assert().code(0);
    cmd().arg("check").arg(&bad).assert().code(1);
    // A warning fails only at --fail-on warning or lower.
    cmd().arg("check").arg(&latest).assert().code(0);
    cmd()
        .args(["check", "--fail-on", "warning"])
        .arg(&latest)
        .assert()
        .code(1);
    cmd()
        .args(["check", "--fail-on", "never"])
        .arg(&bad)
        .assert()
        .code(0);
}

#[test]
fn a_broken_file_is_reported_and_the_others_are_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a-broken.json",
        "{\"family\": \"web\", \"containerDefinitions\": [}\n",
    );
    write(dir.path(), "b-bad.json", BAD_CPU);
    let out = cmd()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let report = json_report(&out);
    let codes = codes(&report);
    assert!(codes.contains(&"IN002".to_string()), "{codes:?}");
    assert!(codes.contains(&"TD002".to_string()), "{codes:?}");
    let in002 = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "IN002")
        .unwrap();
    assert_eq!(in002["line"], 1);
    assert_eq!(in002["column"], 44);
}

#[test]
fn json_output_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "latest.json", LATEST);
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "--format", "json", "latest.json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report = json_report(&out);
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"]["name"], "ecs-preflight");
    let d = &report["diagnostics"][0];
    assert_eq!(d["code"], "IMG002");
    assert_eq!(d["name"], "latest-tag");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["file"], "latest.json");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(69))
    );
    assert_eq!(
        d["endColumn"].as_u64(),
        Some(69 + "\"public.ecr.aws/nginx/nginx:latest\"".len() as u64)
    );
    assert_eq!(d["taskDefinition"], "web");
    assert_eq!(d["container"], "web");
    assert!(d["help"].as_str().unwrap().contains("digest"));
    let summary = &report["summary"];
    assert_eq!(
        (
            summary["files"].as_u64(),
            summary["taskDefinitions"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        (summary["errors"].as_u64(), summary["warnings"].as_u64()),
        (Some(0), Some(1))
    );
    assert!(summary["skipped"].is_array());
}

#[test]
fn github_annotations() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.json", BAD_CPU);
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "--format", "github", "bad.json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    // Other findings (NET001, a note) may come first in file order.
    let line = text.lines().find(|l| l.starts_with("::error")).unwrap();
    assert!(
        line.starts_with("::error file=bad.json,line=1,col="),
        "{line}"
    );
    assert!(
        line.contains(",title=TD002 fargate-cpu-memory::Fargate does not offer 4096 MiB"),
        "{line}"
    );
    assert!(line.contains("%0Ahelp: "), "{line}");
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let (schemas, index) = support::sarif_schema();

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "task defs/bad.json", BAD_CPU);
    write(dir.path(), "task defs/latest.json", LATEST);
    write(dir.path(), "broken.json", "{\"containerDefinitions\": [");
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "--format", "sarif", "."])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let log: Value = json_report(&out);
    if let Err(e) = schemas.validate(&log, index) {
        panic!(
            "SARIF output does not validate: {e:#}\n{}",
            serde_json::to_string_pretty(&log).unwrap()
        );
    }
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), ecs_preflight::rules::ALL.len());
    let results = run["results"].as_array().unwrap();
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"task%20defs/bad.json"), "{uris:?}");
    for r in results {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        // Our own fingerprint; GitHub computes primaryLocationLineHash itself.
        assert!(r["partialFingerprints"]["ecsPreflight/v1"].is_string());
        assert!(r["partialFingerprints"]["primaryLocationLineHash"].is_null());
    }
    // A schema-valid document that is wrong must fail: the validator is really validating.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = Value::String("fatal".into());
    assert!(schemas.validate(&broken, index).is_err());
}

#[test]
fn select_and_ignore_by_code_prefix_and_name() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "latest.json", LATEST);
    let run = |args: &[&str]| {
        let out = cmd()
            .arg("check")
            .args(args)
            .arg("--format")
            .arg("json")
            .arg(&f)
            .output()
            .unwrap();
        codes(&json_report(&out.stdout))
    };
    assert_eq!(run(&[]), vec!["IMG002"]);
    assert!(run(&["--ignore", "latest-tag"]).is_empty());
    assert!(run(&["--ignore", "IMG"]).is_empty());
    assert!(run(&["--select", "TD"]).is_empty());
    assert_eq!(run(&["--select", "TD,IMG002"]), vec!["IMG002"]);
    cmd()
        .args(["check", "--select", "IMG999"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown rule code or name `IMG999`",
        ));
}

#[test]
fn config_file_is_found_upward_and_applied() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ecs-preflight.toml",
        "fail-on = \"warning\"\n[severity]\nIMG002 = \"error\"\n[[per-file-ignores]]\npath = \"legacy/**\"\nignore = [\"IMG\"]\n",
    );
    write(dir.path(), "services/web/latest.json", LATEST);
    write(dir.path(), "legacy/old.json", LATEST);
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "--format", "json", "services/web"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report = json_report(&out);
    assert_eq!(report["diagnostics"][0]["severity"], "error");
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "--format", "json", "legacy"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert!(codes(&json_report(&out)).is_empty());
}

#[test]
fn config_errors_point_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ecs-preflight.toml",
        "region = \"us-east-1\"\nselect = [\"TD\"]\nrequire_digest = true\n",
    );
    write(dir.path(), "latest.json", LATEST);
    cmd()
        .current_dir(dir.path())
        .args(["check", "latest.json"])
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("unknown field `require_digest`")
                .and(predicates::str::contains("ecs-preflight.toml:3:1")),
        );
    write(
        dir.path(),
        "ecs-preflight.toml",
        "ignore = [\n  \"IMG002\",\n  \"NOPE01\",\n]\n",
    );
    cmd()
        .current_dir(dir.path())
        .args(["check", "latest.json"])
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("NOPE01")
                .and(predicates::str::contains("ecs-preflight.toml:3:3")),
        );
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn walking_honours_gitignore_and_skips_other_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "build/\n");
    write(dir.path(), "build/latest.json", LATEST);
    write(
        dir.path(),
        "package.json",
        "{\"name\": \"app\", \"version\": \"1.0.0\"}",
    );
    write(
        dir.path(),
        "tsconfig.json",
        "{ // comments are not JSON\n \"compilerOptions\": {} }",
    );
    write(dir.path(), "docs/notes.yaml", "title: [unclosed\n");
    write(dir.path(), ".aws/task-definition.json", LATEST);
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report = json_report(&out);
    let files: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, vec![".aws/task-definition.json"]);
    assert_eq!(report["summary"]["files"], 1);
}

#[test]
fn a_named_file_that_is_not_an_input_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = write(dir.path(), "package.json", "{\"name\": \"app\"}");
    let tf = write(
        dir.path(),
        "main.tf",
        "resource \"aws_ecs_task_definition\" \"x\" {}\n",
    );
    cmd()
        .arg("check")
        .arg(&pkg)
        .assert()
        .code(2)
        .stdout(predicates::str::contains("IN001"));
    // A `.tf` file is read with its folder's module: an empty task definition is invalid.
    cmd()
        .arg("check")
        .arg(&tf)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("TD001"))
        .stdout(predicates::str::contains("main.tf:1:1"));
    // A missing path is an unreadable input; the other inputs are still checked.
    let good = write(dir.path(), "good.json", LATEST);
    let out = cmd()
        .args(["check", "--format", "json", "no/such/file.json"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let mut found = codes(&json_report(&out.stdout));
    found.sort();
    assert_eq!(found, vec!["IMG002", "IN001"]);
}

fn check_bad_input(name: &str, bytes: &[u8]) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = cmd()
        .args(["check", "--format", "json"])
        .arg(&path)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    (code, json_report(&out.stdout))
}

fn only_diagnostic(report: &Value) -> &Value {
    let list = report["diagnostics"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:#?}");
    &list[0]
}

#[test]
fn malformed_json_and_yaml_get_a_located_syntax_error() {
    let (code, report) = check_bad_input("td.json", b"{\n  \"family\": \"web\",\n  \"containerDefinitions\": [\n    {\"name\": \"web\" \"image\": \"x\"}\n  ]\n}\n");
    assert_eq!(code, 2);
    let d = only_diagnostic(&report);
    assert_eq!(
        (d["code"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("IN002"), Some(4), Some(20))
    );
    let (code, report) = check_bad_input(
        "template.yaml",
        b"Resources:\n  Task:\n    Type: AWS::ECS::TaskDefinition\n    Properties: {Family: [x}\n",
    );
    assert_eq!(code, 2);
    let d = only_diagnostic(&report);
    assert_eq!(
        (d["code"].as_str(), d["line"].as_u64()),
        (Some("IN002"), Some(4))
    );
}

#[test]
fn binary_junk_and_non_utf8_text_are_unreadable_input() {
    let junk: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let (code, report) = check_bad_input("junk.json", &junk);
    assert_eq!(code, 2);
    assert_eq!(only_diagnostic(&report)["code"], "IN001");
    let (code, report) = check_bad_input("latin1.json", b"{\"family\": \"caf\xe9\"}");
    assert_eq!(code, 2);
    let d = only_diagnostic(&report);
    assert_eq!(d["code"], "IN001");
    assert!(
        d["message"].as_str().unwrap().contains("not UTF-8 text"),
        "{d}"
    );
    assert!(
        d["message"].as_str().unwrap().contains("line 1, column 16"),
        "{d}"
    );
}

#[test]
fn deep_nesting_is_refused_without_a_crash() {
    let deep = format!(
        "{{\"family\": \"x\", \"containerDefinitions\": {}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let (code, report) = check_bad_input("deep.json", deep.as_bytes());
    assert_eq!(code, 2);
    let d = only_diagnostic(&report);
    assert_eq!(d["code"], "IN002");
    assert!(d["message"].as_str().unwrap().contains("nested"));
    let yaml = format!("Resources: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let (code, report) = check_bad_input("deep.yaml", yaml.as_bytes());
    assert_eq!(code, 2);
    assert_eq!(only_diagnostic(&report)["code"], "IN002");
}

#[test]
fn a_50_mb_file_is_checked() {
    // 50 MB of valid task definitions (5,000 of 10 KB each): read and checked, not refused.
    let padding = "x".repeat(10_000);
    let one = format!(
        r#"{{"family": "web", "containerDefinitions": [{{"name": "web", "image": "public.ecr.aws/nginx/nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "memory": 256, "environment": [{{"name": "PADDING", "value": "{padding}"}}]}}]}}"#
    );
    let mut text = String::from("[");
    let mut count = 0;
    while text.len() < 50 * 1024 * 1024 {
        if count > 0 {
            text.push(',');
        }
        text.push_str(&one);
        count += 1;
    }
    text.push(']');
    let (code, report) = check_bad_input("big.json", text.as_bytes());
    assert_eq!(code, 0, "{}", report["summary"]);
    assert_eq!(
        report["summary"]["taskDefinitions"].as_u64(),
        Some(count as u64)
    );
}

#[test]
fn a_template_with_10000_resources_is_checked() {
    let mut text = String::from("{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {");
    for i in 0..10_000 {
        if i > 0 {
            text.push(',');
        }
        if i % 100 == 0 {
            text.push_str(&format!(
                "\"Task{i}\": {{\"Type\": \"AWS::ECS::TaskDefinition\", \"Properties\": {{\"Family\": \"t{i}\", \"ContainerDefinitions\": [{{\"Name\": \"app\", \"Image\": {{\"Fn::Sub\": \"${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.amazonaws.com/app:latest\"}}, \"Memory\": 256}}]}}}}"
            ));
        } else {
            text.push_str(&format!("\"Queue{i}\": {{\"Type\": \"AWS::SQS::Queue\", \"Properties\": {{\"QueueName\": {{\"Ref\": \"AWS::StackName\"}}}}}}"));
        }
    }
    text.push_str("}}");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "big.template.json", &text);
    let out = cmd()
        .args([
            "check",
            "--format",
            "json",
            "--region",
            "us-east-1",
            "--account",
            "111122223333",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report = json_report(&out.stdout);
    assert_eq!(report["summary"]["taskDefinitions"], 100);
    assert_eq!(
        codes(&report).iter().filter(|c| *c == "IMG002").count(),
        100
    );
}

#[test]
fn report_can_go_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "bad.json", BAD_CPU);
    let out = dir.path().join("report.sarif");
    cmd()
        .args(["check", "--format", "sarif", "--output"])
        .arg(&out)
        .arg(&f)
        .assert()
        .code(1)
        .stdout("");
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
}

#[test]
fn rules_and_explain() {
    let out = cmd()
        .arg("rules")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for rule in ecs_preflight::rules::ALL.iter() {
        assert!(
            text.contains(rule.code) && text.contains(rule.name),
            "{}",
            rule.code
        );
    }
    cmd()
        .args(["explain", "IMG002"])
        .assert()
        .code(0)
        .stdout(predicates::str::starts_with("# IMG002 latest-tag"));
    cmd()
        .args(["explain", "latest-tag"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("## How to fix"));
    cmd().args(["explain", "NOPE"]).assert().code(2);
}

#[test]
fn region_from_the_environment_resolves_templates() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "t.yaml",
        "Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: a\n          Image: !Sub \"111122223333.dkr.ecr.${AWS::Region}.amazonaws.com/app:latest\"\n          Memory: 128\n",
    );
    let out = cmd()
        .env("AWS_REGION", "eu-west-1")
        .args(["check", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(codes(&json_report(&out.stdout)), vec!["IMG002"]);
    let out = cmd()
        .args(["check", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(codes(&json_report(&out.stdout)), vec!["IMG008"]);
}

#[test]
fn review_findings_stay_fixed() {
    let dir = tempfile::tempdir().unwrap();
    // A YAML template with a byte order mark is recognised, and columns do not count the mark.
    let bom = write(
        dir.path(),
        "bom.yaml",
        "\u{feff}Resources:\n  Td:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      Family: web\n      ContainerDefinitions:\n        - Name: web\n          Image: nginx:latest\n          Memory: 128\n",
    );
    let out = cmd()
        .args(["check", "--format", "json", "--select", "IMG002"])
        .arg(&bom)
        .output()
        .unwrap();
    let report = json_report(&out.stdout);
    assert_eq!(codes(&report), vec!["IMG002"]);
    assert_eq!(
        (
            report["diagnostics"][0]["line"].as_u64(),
            report["diagnostics"][0]["column"].as_u64()
        ),
        (Some(8), Some(18))
    );
    let json_bom = write(dir.path(), "bom.json", &format!("\u{feff}{LATEST}"));
    let out = cmd()
        .args(["check", "--format", "json", "--select", "IMG002"])
        .arg(&json_bom)
        .output()
        .unwrap();
    assert_eq!(
        json_report(&out.stdout)["diagnostics"][0]["column"].as_u64(),
        Some(69)
    );

    // A finding on a very long line (a one-line Terraform plan) renders without a crash.
    let long_value = "x".repeat(70_000);
    let plan = format!(
        r#"{{"format_version":"1.2","planned_values":{{"root_module":{{"resources":[{{"address":"aws_s3_bucket.b","type":"aws_s3_bucket","values":{{"tags":{{"x":"{long_value}"}}}}}},{{"address":"aws_ecs_task_definition.app","type":"aws_ecs_task_definition","values":{{"family":"app","container_definitions":"[{{\"name\":\"web\",\"image\":\"nginx:latest\",\"memory\":128}}]"}}}}]}}}}}}"#
    );
    let plan = write(dir.path(), "plan.json", &plan);
    cmd()
        .args(["check", "--select", "IMG002"])
        .arg(&plan)
        .assert()
        .code(0)
        .stdout(predicates::str::contains("plan.json:1:"));

    // The same file named twice is checked once.
    write(dir.path(), "latest.json", LATEST);
    let out = cmd()
        .current_dir(dir.path())
        .args([
            "check",
            "--format",
            "json",
            "--select",
            "IMG002",
            "latest.json",
            "./latest.json",
        ])
        .output()
        .unwrap();
    assert_eq!(codes(&json_report(&out.stdout)).len(), 1);
    let latest = dir.path().join("latest.json");

    // An empty --select is no selection; IN rules cannot be ignored.
    let out = cmd()
        .args(["check", "--format", "json", "--select", ""])
        .arg(&latest)
        .output()
        .unwrap();
    assert!(codes(&json_report(&out.stdout)).contains(&"IMG002".to_string()));
    cmd()
        .args(["check", "--ignore", "IN002"])
        .arg(&latest)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot be ignored"));

    // A rule given a severity twice is a config error; a prefix is a valid key.
    let cfg = tempfile::tempdir().unwrap();
    write(
        cfg.path(),
        "ecs-preflight.toml",
        "[severity]\nIMG = \"error\"\nIMG002 = \"note\"\n",
    );
    write(cfg.path(), "latest.json", LATEST);
    let out = cmd()
        .current_dir(cfg.path())
        .args(["check", "--format", "json", "latest.json"])
        .output()
        .unwrap();
    assert_eq!(
        json_report(&out.stdout)["diagnostics"][0]["severity"],
        "note"
    );
    write(
        cfg.path(),
        "ecs-preflight.toml",
        "[severity]\nIMG002 = \"error\"\nlatest-tag = \"note\"\n",
    );
    cmd()
        .current_dir(cfg.path())
        .args(["check", "latest.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("given a severity twice"));

    // A container that is an unresolvable expression is listed as not checked.
    let cond = write(
        dir.path(),
        "cond.yaml",
        "Parameters:\n  Mode: {Type: String}\nConditions:\n  Sidecar: !Equals [!Ref Mode, on]\nResources:\n  Td:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      Family: web\n      ContainerDefinitions:\n        - !If [Sidecar, {Name: side, Image: busybox, Memory: 64}, !Ref AWS::NoValue]\n        - {Name: web, Image: nginx:1.27, Memory: 128}\n",
    );
    let out = cmd()
        .args(["check", "--format", "json"])
        .arg(&cond)
        .output()
        .unwrap();
    let report = json_report(&out.stdout);
    let skipped = report["summary"]["skipped"].to_string();
    assert!(
        skipped.contains("container #1 is known only at deploy time"),
        "{skipped}"
    );
}

#[test]
fn a_net_finding_whose_subnets_come_from_the_service_file_points_into_it() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/NET002");
    let run = |format: &str| {
        let out = cmd()
            .current_dir(&fixtures)
            .args(["check", "--format", format, "--select", "NET002"])
            .args(["--region", "us-east-1", "--account", "111122223333"])
            .args(["--service", "fail-service-file.service.json"])
            .args(["--state", "fail-service-file.state.json"])
            .arg("fail-service-file.json")
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    // JSON: the primary span is the service's `subnets`; the task definition is still named,
    // and a label points at its `networkMode`.
    let report = json_report(run("json").as_bytes());
    assert_eq!(codes(&report), vec!["NET002"]);
    let d = &report["diagnostics"][0];
    assert_eq!(d["file"], "fail-service-file.service.json");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(32), Some(26))
    );
    assert_eq!(d["taskDefinition"], "web");
    let label = d["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["file"] == "fail-service-file.json")
        .expect("a label on the task definition");
    assert_eq!(label["message"], "the task definition `web`");
    assert_eq!(label["line"].as_u64(), Some(3));

    // SARIF: the result's location is the service file, the related location the task
    // definition.
    let log = json_report(run("sarif").as_bytes());
    let result = &log["runs"][0]["results"][0];
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "fail-service-file.service.json"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64(),
        Some(32)
    );
    assert!(
        result["relatedLocations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["physicalLocation"]["artifactLocation"]["uri"] == "fail-service-file.json")
    );

    // GitHub: the annotation is on the service file.
    let github = run("github");
    assert!(
        github.starts_with("::error file=fail-service-file.service.json,line=32,col=26,"),
        "{github}"
    );

    // Human: the snippet is the service file's, the task definition is named below it.
    let human = run("human");
    assert!(
        human.contains("╭─[fail-service-file.service.json:32:26]"),
        "{human}"
    );
    assert!(
        human.contains("the task definition `web`: fail-service-file.json:3:18"),
        "{human}"
    );
}

#[test]
fn a_first_pull_through_a_cache_rule_is_net012_or_not_checked() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/NET012");
    let run = |name: &str| {
        let out = cmd()
            .current_dir(&fixtures)
            .args(["check", "--format", "json", "--select", "NET"])
            .args(["--region", "us-east-1", "--account", "111122223333"])
            .args(["--state", &format!("{name}.state.json")])
            .arg(format!("{name}.json"))
            .output()
            .unwrap();
        json_report(&out.stdout)
    };
    let net012_skips = |report: &Value| -> Vec<String> {
        report["summary"]["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["rules"].as_array().unwrap().iter().any(|r| r == "NET012"))
            .map(|s| s["reason"].as_str().unwrap().to_string())
            .collect()
    };
    // The cache repository does not exist yet: the first pull needs the upstream registry, and
    // the ECR endpoints (all present, private DNS on) do not carry it.
    let report = run("fail-pull-through-cache-first-pull");
    assert_eq!(codes(&report), vec!["NET012"]);
    let message = report["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("registry-1.docker.io"), "{message}");
    assert!(
        message.contains(
            "the first pull through the pull-through cache rule `docker-hub` (repository not created yet)"
        ),
        "{message}"
    );
    assert!(net012_skips(&report).is_empty());

    // Whether the cache repository exists is not known: not checked, with the reason.
    let report = run("unknown-pull-through-cache-repository");
    assert_eq!(codes(&report), Vec::<String>::new());
    let skips = net012_skips(&report);
    assert_eq!(skips.len(), 1, "{skips:?}");
    assert!(
        skips[0].contains(
            "`docker-hub/library/nginx` is under the pull-through cache rule `docker-hub`"
        ) && skips[0].contains("no `ecr.repositories`")
            && skips[0].contains("subnet-0a1b2c3d4e5f60001"),
        "{}",
        skips[0]
    );

    // The cache repository exists: later pulls go through the ECR endpoints.
    let report = run("pass-pull-through-cache-repository-exists");
    assert_eq!(codes(&report), Vec::<String>::new());
    assert!(net012_skips(&report).is_empty());
}
