//! Registry state end to end: `--fix` on real files (byte-for-byte expected output,
//! idempotence, files it must leave alone), and ECR state that is bad or huge.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Value, json};

mod support;
use support::{cmd, validate_sarif};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fix")
        .join(name)
}

/// Copies fixture files into a fresh folder and returns it.
fn copy(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for n in names {
        std::fs::copy(fixture(n), dir.path().join(n)).unwrap();
    }
    dir
}

fn check(dir: &Path, file: &str, extra: &[&str]) -> std::process::Output {
    cmd()
        .current_dir(dir)
        .args([
            "check",
            file,
            "--state",
            "state.json",
            "--region",
            "us-east-1",
        ])
        .args(["--account", "111122223333"])
        .args(extra)
        .output()
        .unwrap()
}

fn json_report(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON: {e}\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn codes(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `--fix` writes exactly the expected file, says what it changed, leaves nothing to fix, and
/// a second run changes nothing.
fn fixes_byte_for_byte(input: &str, changes: usize) {
    let dir = copy(&[input, "state.json"]);
    let expected = std::fs::read(fixture(&format!("{input}.fixed"))).unwrap();

    let first = check(dir.path(), input, &["--fix"]);
    let after = std::fs::read(dir.path().join(input)).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&after),
        String::from_utf8_lossy(&expected),
        "{}",
        stderr(&first)
    );
    let said = stderr(&first);
    assert!(
        said.contains(&format!("--fix: {changes} changes in 1 file")),
        "{said}"
    );
    assert!(
        said.contains(&format!("{input}:")) && said.contains(" → "),
        "{said}"
    );

    // What remains has nothing left to fix (and no ECR003/IMG005 about the pinned images).
    let report = json_report(&check(dir.path(), input, &["--format", "json"]));
    for d in report["diagnostics"].as_array().unwrap() {
        assert!(d.get("fix").is_none(), "{d:#}");
        assert!(d["code"] != "ECR003" && d["code"] != "IMG005", "{d:#}");
    }

    // Idempotent.
    let second = check(dir.path(), input, &["--fix"]);
    assert_eq!(std::fs::read(dir.path().join(input)).unwrap(), expected);
    assert!(
        stderr(&second).contains("--fix: nothing to fix"),
        "{}",
        stderr(&second)
    );
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn fix_json_task_definition() {
    fixes_byte_for_byte("taskdef.json", 3);
}

#[test]
fn fix_yaml_template() {
    // The parameter default, the single-quoted, double-quoted and flow-mapping images; the
    // `!Sub` one is left as it is (IMG002 stays, without a fix).
    fixes_byte_for_byte("template.yaml", 4);
}

#[test]
fn fixes_are_reported_before_fixing() {
    let dir = copy(&["taskdef.json", "state.json"]);
    let out = check(dir.path(), "taskdef.json", &["--format", "json"]);
    let report = json_report(&out);
    let fixes: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d.get("fix"))
        .collect();
    assert_eq!(fixes.len(), 3, "{report:#}");
    for fix in &fixes {
        assert_eq!(fix["applicability"], "safe");
        // The edit covers the string's content, not its quotes.
        let edit = &fix["edits"][0];
        assert!(edit["content"].as_str().unwrap().contains("@sha256:"));
    }
    let line6 = fixes.iter().find(|f| f["edits"][0]["line"] == 6).unwrap();
    assert_eq!(line6["edits"][0]["column"], 17);

    // SARIF carries the same fixes, as artifact changes with the same regions.
    let out = check(dir.path(), "taskdef.json", &["--format", "sarif"]);
    let sarif = json_report(&out);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let with_fixes: Vec<&Value> = results
        .iter()
        .filter(|r| {
            r.get("fixes")
                .is_some_and(|f| !f.as_array().unwrap().is_empty())
        })
        .collect();
    assert_eq!(with_fixes.len(), 3);
    validate_sarif(&sarif);
    let change = &with_fixes[0]["fixes"][0]["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "taskdef.json");
    let replacement = &change["replacements"][0];
    assert!(
        replacement["insertedContent"]["text"]
            .as_str()
            .unwrap()
            .contains("@sha256:")
    );
    assert!(
        replacement["deletedRegion"]["startColumn"]
            .as_u64()
            .unwrap()
            > 1
    );
    // Nothing was written without --fix.
    assert_eq!(
        std::fs::read(dir.path().join("taskdef.json")).unwrap(),
        std::fs::read(fixture("taskdef.json")).unwrap()
    );
}

#[test]
fn fix_leaves_a_terraform_plan_untouched() {
    let dir = copy(&["plan.json", "state.json"]);
    let before = std::fs::read(dir.path().join("plan.json")).unwrap();
    let out = check(dir.path(), "plan.json", &["--fix", "--format", "json"]);
    assert_eq!(std::fs::read(dir.path().join("plan.json")).unwrap(), before);
    let report = json_report(&out);
    let img002 = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "IMG002")
        .expect("IMG002 stays");
    assert_eq!(img002["fix"]["applicability"], "display-only");
    assert!(
        img002["help"].as_str().unwrap().contains("Terraform plan"),
        "{img002:#}"
    );
    // The display-only edit is the image inside the embedded string, without its escaped quotes.
    let content = img002["fix"]["edits"][0]["content"].as_str().unwrap();
    assert!(content.ends_with(
        "web:latest@sha256:ac47b3653d780477f9b138bab8905d775e843572a3941859ed31d3d6bfcd8b1f"
    ));
    // SARIF offers only fixes that can be applied.
    let out = check(dir.path(), "plan.json", &["--format", "sarif"]);
    let sarif = json_report(&out);
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        assert!(
            r.get("fixes")
                .is_none_or(|f| f.as_array().unwrap().is_empty()),
            "{r:#}"
        );
    }
}

#[test]
fn fix_leaves_a_file_with_a_syntax_error_untouched() {
    let dir = copy(&["broken.json", "state.json"]);
    let before = std::fs::read(dir.path().join("broken.json")).unwrap();
    let out = check(dir.path(), "broken.json", &["--fix"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read(dir.path().join("broken.json")).unwrap(),
        before
    );
}

#[test]
fn fix_skips_utf16_files() {
    let dir = copy(&["state.json"]);
    let text = std::fs::read_to_string(fixture("taskdef.json")).unwrap();
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(dir.path().join("taskdef.json"), &bytes).unwrap();
    let out = check(dir.path(), "taskdef.json", &["--fix"]);
    assert_eq!(
        std::fs::read(dir.path().join("taskdef.json")).unwrap(),
        bytes
    );
    assert!(stderr(&out).contains("UTF-16"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// Bad and huge ECR state
// ---------------------------------------------------------------------------------------------

const IMAGE: &str = "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2";

fn run_with_state(state: &Value, image: &str) -> (Value, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let td = json!({"family": "web", "containerDefinitions": [{"name": "web", "image": image, "memory": 256}]});
    std::fs::write(dir.path().join("td.json"), td.to_string()).unwrap();
    std::fs::write(dir.path().join("state.json"), state.to_string()).unwrap();
    let out = cmd()
        .current_dir(dir.path())
        .args([
            "check",
            "td.json",
            "--state",
            "state.json",
            "--format",
            "json",
            "--select",
            "ECR",
        ])
        .output()
        .unwrap();
    (json_report(&out), out)
}

fn state_with(ecr: Value) -> Value {
    json!({"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1", "ecr": ecr})
}

fn image(digest: &str, tags: &[&str], pushed: &str) -> Value {
    json!({"registryId": "111122223333", "repositoryName": "web", "imageDigest": digest,
           "imageTags": tags, "imagePushedAt": pushed})
}

fn skipped(report: &Value) -> Vec<String> {
    report["summary"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s["rules"], s["reason"].as_str().unwrap()))
        .collect()
}

#[test]
fn an_invalid_lifecycle_policy_is_reported_in_the_summary_and_nothing_is_guessed() {
    let policy = json!({"rules": [
        {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}},
        {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1, "colour": "red"}, "action": {"type": "expire"}}
    ]});
    let state = state_with(json!({
        "repositories": [{"repositoryName": "web", "imageTagMutability": "IMMUTABLE"}],
        "imageDetails": [image("sha256:a", &["1.4.3"], "2025-03-04T00:00:00Z"), image("sha256:b", &["1.4.2"], "2025-03-01T00:00:00Z")],
        "lifecyclePolicies": [{"repositoryName": "web", "lifecyclePolicyText": policy.to_string()}],
        "pullThroughCacheRules": []
    }));
    let (report, _) = run_with_state(&state, IMAGE);
    let codes = codes(&report);
    assert!(
        !codes.iter().any(|c| c == "ECR004" || c == "ECR010"),
        "{codes:?}"
    );
    let skipped = skipped(&report);
    let line = skipped
        .iter()
        .find(|s| s.contains("lifecycle policy of web is invalid"))
        .unwrap_or_else(|| panic!("{skipped:#?}"));
    assert!(line.contains("ECR004") && line.contains("ECR010"), "{line}");
    assert!(line.contains("colour"), "{line}");
    assert!(line.contains("rulePriority"), "{line}");
}

#[test]
fn image_details_with_missing_fields() {
    // No push time: a time rule cannot decide; the other checks still run.
    let policy = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":30},"action":{"type":"expire"}}]}"#;
    let state = state_with(json!({
        "repositories": [{"repositoryName": "web", "imageTagMutability": "MUTABLE"}],
        "imageDetails": [{"repositoryName": "web", "imageDigest": "sha256:a", "imageTags": ["1.4.2"]}],
        "lifecyclePolicies": [{"repositoryName": "web", "lifecyclePolicyText": policy}],
        "pullThroughCacheRules": []
    }));
    let (report, _) = run_with_state(&state, IMAGE);
    let codes = codes(&report);
    assert!(codes.contains(&"ECR003".to_string()), "{codes:?}");
    assert!(
        !codes
            .iter()
            .any(|c| c == "ECR004" || c == "ECR010" || c == "ECR002"),
        "{codes:?}"
    );
    let skipped = skipped(&report);
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("ECR004") && s.contains("imagePushedAt")),
        "{skipped:#?}"
    );
    // No scan fields at all, and no scanning configuration: unknown, not ECR006.
    assert!(skipped.iter().any(|s| s.contains("ECR006")), "{skipped:#?}");

    // An item without a digest cannot be identified: the state file is invalid (IN003), with
    // its place.
    let state = state_with(json!({
        "repositories": [{"repositoryName": "web"}],
        "imageDetails": [{"repositoryName": "web", "imageTags": ["1.4.2"]}]
    }));
    let (report, out) = run_with_state(&state, IMAGE);
    assert_eq!(out.status.code(), Some(2));
    let d = &report["diagnostics"][0];
    assert_eq!(d["code"], "IN003");
    assert!(
        d["message"].as_str().unwrap().contains("imageDigest"),
        "{d:#}"
    );
}

#[test]
fn a_repository_of_100000_images() {
    // Image i is pushed i minutes after the start: the referenced image (the oldest) is the
    // 100,000th newest, beyond the 50,000 the policy keeps.
    let mut details = Vec::with_capacity(100_000);
    let start = 1_700_000_000i64;
    for i in 0..100_000i64 {
        let tags: Vec<String> = if i == 0 {
            vec!["1.4.2".into()]
        } else if i % 3 == 0 {
            vec![]
        } else {
            vec![format!("build-{i}")]
        };
        details.push(
            json!({"repositoryName": "web", "imageDigest": format!("sha256:{i:064x}"),
                            "imageTags": tags, "imagePushedAt": start + i * 60}),
        );
    }
    let policy = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":50000},"action":{"type":"expire"}}]}"#;
    let state = state_with(json!({
        "repositories": [{"repositoryName": "web", "imageTagMutability": "IMMUTABLE"}],
        "imageDetails": details,
        "lifecyclePolicies": [{"repositoryName": "web", "lifecyclePolicyText": policy}],
        "pullThroughCacheRules": []
    }));
    let started = Instant::now();
    let (report, _) = run_with_state(&state, IMAGE);
    let elapsed = started.elapsed();
    let codes = codes(&report);
    assert_eq!(codes, ["ECR004"], "{report:#}");
    assert!(
        report["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("50000 newest")
    );
    // The newest image is kept, and is not about to go: nothing for it.
    let newest = "111122223333.dkr.ecr.us-east-1.amazonaws.com/web@sha256:00000000000000000000000000000000000000000000000000000000000001869f";
    let (report, _) = run_with_state(&state, newest);
    assert!(codes_of(&report).is_empty(), "{report:#}");
    // Debug build, including writing and parsing a 13 MB state file: generous bound.
    eprintln!("100,000 images: {elapsed:?}");
    assert!(elapsed.as_secs() < 30, "{elapsed:?}");
}

fn codes_of(report: &Value) -> Vec<String> {
    codes(report)
}

#[test]
fn fix_refuses_an_edit_that_would_change_what_the_template_means() {
    // Both branches of an `Fn::If` with a condition that cannot be decided are the same image,
    // so the image is known; pinning the one literal the value was read from would make the
    // branches differ. The file is left alone and IMG002 stays.
    let dir = copy(&["state.json"]);
    let text = "Parameters:\n  Env:\n    Type: String\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\nResources:\n  Task:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      Family: web\n      ContainerDefinitions:\n        - Name: web\n          Image: !If [IsProd, 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:latest, 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:latest]\n          Memory: 256\n";
    std::fs::write(dir.path().join("t.yaml"), text).unwrap();
    let out = check(dir.path(), "t.yaml", &["--fix"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.yaml")).unwrap(),
        text
    );
    let said = stderr(&out);
    assert!(
        said.contains("t.yaml left unchanged") && said.contains("known only at deploy time"),
        "{said}"
    );
}

/// Runs every ECR rule on a fixture of `tests/fixtures/<dir>` with its state file.
fn run_ecr_fixture(dir: &str, name: &str, extra: &[&str]) -> Value {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let out = cmd()
        .current_dir(&fixtures)
        .args(["check", "--format", "json", "--select", "ECR,IMG004"])
        .args(["--region", "us-east-1", "--account", "111122223333"])
        .args(["--state", &format!("{name}.state.json")])
        .arg(format!("{name}.json"))
        .args(extra)
        .output()
        .unwrap();
    json_report(&out)
}

#[test]
fn one_diagnostic_per_image_not_per_container() {
    // Two containers use `web:1.4.2`: a mutable tag, a HIGH finding, and an image the lifecycle
    // policy expires. Each is reported once, at the first container, with the second labelled.
    let report = run_ecr_fixture("ECR003", "fail-two-containers-one-image", &[]);
    let mut codes = codes(&report);
    codes.sort();
    assert_eq!(codes, ["ECR003", "ECR004", "ECR005"], "{report:#}");
    for d in report["diagnostics"].as_array().unwrap() {
        assert_eq!(d["container"], "web");
        assert_eq!(d["line"].as_u64(), Some(6));
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .starts_with("containers `web`, `worker` use"),
            "{d:#}"
        );
        let worker: Vec<&Value> = d["labels"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["message"] == "container `worker` uses the same image")
            .collect();
        assert_eq!(worker.len(), 1, "{d:#}");
        assert_eq!(worker[0]["line"].as_u64(), Some(11));
    }
    // ECR003's fix pins both containers.
    let ecr003 = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "ECR003")
        .unwrap();
    assert_eq!(ecr003["fix"]["edits"].as_array().unwrap().len(), 2);
}

#[test]
fn a_tag_that_is_not_in_the_repository_is_ecr002_not_ecr003() {
    let report = run_ecr_fixture("ECR003", "pass-tag-not-in-repository", &[]);
    assert_eq!(codes(&report), ["ECR002"], "{report:#}");
    // Shared by two containers: still one ECR002.
    let report = run_ecr_fixture("ECR002", "fail-two-containers-one-image", &[]);
    assert_eq!(codes(&report), ["ECR002"], "{report:#}");
}

// ---------------------------------------------------------------------------------------------
// A digest pin that would be longer than ECS accepts
// ---------------------------------------------------------------------------------------------

/// Runs IMG002 on one container whose image is `<registry>/<repo>:latest`, with ECR state that
/// knows the digest `latest` points at.
fn latest_with_known_digest(repo: &str) -> (Value, std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let image = format!("111122223333.dkr.ecr.us-east-1.amazonaws.com/{repo}:latest");
    let td = json!({"family": "web", "containerDefinitions": [{"name": "web", "image": image, "memory": 256}]});
    std::fs::write(dir.path().join("td.json"), td.to_string()).unwrap();
    let digest = format!("sha256:{}", "a".repeat(64));
    let state = state_with(json!({
        "repositories": [{"repositoryName": repo, "imageTagMutability": "MUTABLE"}],
        "imageDetails": [{"registryId": "111122223333", "repositoryName": repo, "imageDigest": digest,
                          "imageTags": ["latest"], "imagePushedAt": "2025-03-01T00:00:00Z"}],
    }));
    std::fs::write(dir.path().join("state.json"), state.to_string()).unwrap();
    let out = cmd()
        .current_dir(dir.path())
        .args([
            "check",
            "td.json",
            "--state",
            "state.json",
            "--format",
            "json",
        ])
        .args(["--select", "IMG002"])
        .output()
        .unwrap();
    (json_report(&out), out, dir)
}

fn only_img002(report: &Value) -> &Value {
    let diags = report["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{report:#}");
    assert_eq!(diags[0]["code"], "IMG002");
    &diags[0]
}

#[test]
fn a_pin_past_255_characters_is_not_offered_and_the_help_says_why() {
    // 45 (registry/) + 136 + 7 (`:latest`) + 72 (`@sha256:…`) = 260 characters: too long with
    // the tag; without it (`repo@sha256:…`) 253, which ECS accepts.
    let repo = format!("team/{}", "x".repeat(131));
    let (report, _, dir) = latest_with_known_digest(&repo);
    let d = only_img002(&report);
    assert!(d.get("fix").is_none(), "{d:#}");
    let help = d["help"].as_str().unwrap();
    assert!(help.contains("no fix is offered"), "{help}");
    assert!(help.contains("260 characters long"), "{help}");
    assert!(help.contains("at most 255"), "{help}");
    assert!(help.contains("without the tag"), "{help}");
    assert!(help.contains("253 characters"), "{help}");

    // `--fix` leaves the file as it was.
    let before = std::fs::read(dir.path().join("td.json")).unwrap();
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "td.json", "--state", "state.json", "--fix"])
        .output()
        .unwrap();
    assert!(stderr(&out).contains("nothing to fix"), "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.path().join("td.json")).unwrap(), before);

    // Too long even without the tag: only a shorter repository name helps.
    let repo = format!("team/{}", "y".repeat(175));
    let (report, _, _) = latest_with_known_digest(&repo);
    let help = only_img002(&report)["help"].as_str().unwrap().to_string();
    assert!(help.contains("no fix is offered"), "{help}");
    assert!(help.contains("shorten the repository name"), "{help}");
}

#[test]
fn a_pin_that_fits_is_offered_and_the_help_says_nothing_of_length() {
    let (report, _, _) = latest_with_known_digest("team/web");
    let d = only_img002(&report);
    assert!(d.get("fix").is_some(), "{d:#}");
    assert!(!d["help"].as_str().unwrap().contains("no fix is offered"));
}
