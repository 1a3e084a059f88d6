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
        lines[0].ends_with("(6 checks not run: see the report)"),
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
