//! Terraform source (`.tf` folders): evaluation, places, modules, and bad input of every kind.

use std::path::Path;
use std::time::{Duration, Instant};

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

/// Runs `check --format json` (IMG002, IMG003 and IMG008 only) on `args` in `dir`; returns the exit code and the report.
fn check(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = cmd()
        .current_dir(dir)
        .args([
            "check",
            "--format",
            "json",
            "--select",
            "IMG002,IMG003,IMG008",
        ])
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON: {e}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

/// (code, file, line, column) of every diagnostic but IMG008 (an image not known).
fn places(report: &Value) -> Vec<(String, String, u64, u64)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] != "IMG008")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// What the run says it could not check: skipped checks and unknown images.
fn skipped_text(report: &Value) -> String {
    let unknown_images: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "IMG008")
        .filter_map(|d| d["message"].as_str())
        .collect();
    format!(
        "{}\n{}",
        serde_json::to_string(&report["summary"]["skipped"]).unwrap(),
        unknown_images.join("\n")
    )
}

const TASK_LATEST: &str = r#"
resource "aws_ecs_task_definition" "app" {
  family = "app"
  container_definitions = jsonencode([{ name = "web", image = "nginx:latest", essential = true }])
}
"#;

#[test]
fn the_json_output_shape_is_what_these_tests_read() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m/main.tf", TASK_LATEST);
    let (code, report) = check(dir.path(), &["m"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        places(&report),
        vec![("IMG002".into(), "m/main.tf".into(), 4, 63)]
    );
}

#[test]
fn a_syntax_error_is_located_and_other_modules_are_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good/main.tf", TASK_LATEST);
    write(
        dir.path(),
        "bad/main.tf",
        "resource \"aws_ecs_task_definition\" \"x\" {\n  family = \n}\n",
    );
    let (code, report) = check(dir.path(), &["."]);
    assert_eq!(code, 2);
    let p = places(&report);
    assert!(
        p.iter()
            .any(|(c, f, l, _)| c == "IN002" && f == "bad/main.tf" && *l == 2),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|(c, f, _, _)| c == "IMG002" && f == "good/main.tf"),
        "{p:?}"
    );
}

#[test]
fn a_missing_templatefile_is_an_input_error_at_the_call() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/main.tf",
        r#"resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = templatefile("${path.module}/missing.json.tpl", {})
}
"#,
    );
    let (code, report) = check(dir.path(), &["m"]);
    assert_eq!(code, 2);
    assert_eq!(
        places(&report),
        vec![("IN001".into(), "m/main.tf".into(), 3, 27)]
    );
}

#[test]
fn heredocs_and_templates_point_into_the_file_they_are_written_in() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/main.tf",
        r#"variable "tag" { default = "latest" }
variable "unknown" {}
resource "aws_ecs_task_definition" "a" {
  family                = "a"
  container_definitions = <<EOT
[{"name": "web", "image": "nginx:${var.tag}", "environment": [{"name": "X", "value": "${var.unknown}"}]}]
EOT
}
resource "aws_ecs_task_definition" "b" {
  family                = "b"
  container_definitions = templatefile("${path.module}/defs.json.tpl", { image = "redis:latest" })
}
"#,
    );
    write(
        dir.path(),
        "m/defs.json.tpl",
        "[\n  {\"name\": \"cache\", \"image\": \"${image}\"},\n  {\"name\": \"side\", \"image\": \"busybox:latest\"}\n]\n",
    );
    let (_, report) = check(dir.path(), &["m"]);
    let p = places(&report);
    // The heredoc's image is known even though another value of the JSON is not; its tag
    // comes from `var.tag`, whose default is the literal to change.
    assert!(
        p.contains(&("IMG002".into(), "m/main.tf".into(), 1, 28)),
        "{p:?}"
    );
    // A literal of the template file points into it; the template's `"${image}"` is a value
    // written in main.tf, and that finding points there.
    assert!(
        p.contains(&("IMG002".into(), "m/defs.json.tpl".into(), 3, 29)),
        "{p:?}"
    );
    assert!(
        p.contains(&("IMG002".into(), "m/main.tf".into(), 11, 82)),
        "{p:?}"
    );
}

#[test]
fn local_modules_are_followed_and_registry_modules_listed_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "root/main.tf",
        r#"module "a" {
  source = "../modules/task"
  image  = "nginx:latest"
}
module "b" {
  source = "../modules/task"
  image  = "nginx:1.25"
}
module "vpc" {
  source = "terraform-aws-modules/vpc/aws"
}
"#,
    );
    write(
        dir.path(),
        "modules/task/main.tf",
        r#"variable "image" {}
resource "aws_ecs_task_definition" "this" {
  family                = "t"
  container_definitions = jsonencode([{ name = "web", image = var.image }])
}
"#,
    );
    let (_, report) = check(dir.path(), &["."]);
    let p = places(&report);
    // Module `a`'s argument is the literal to change; the module folder is not a root too.
    let latest: Vec<_> = p.iter().filter(|x| x.0 == "IMG002").collect();
    assert_eq!(
        latest,
        vec![&("IMG002".into(), "root/main.tf".into(), 3, 12)],
        "{p:?}"
    );
    assert_eq!(
        report["summary"]["taskDefinitions"].as_u64(),
        Some(2),
        "{report:#}"
    );
    let skipped = skipped_text(&report);
    assert_eq!(
        skipped.matches("terraform-aws-modules/vpc/aws").count(),
        1,
        "{skipped}"
    );
}

#[test]
fn cycles_self_references_and_outside_sources_are_unknown() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(
        dir.path(),
        "m/main.tf",
        r#"module "self" {
  source = "./"
}
module "outside" {
  source = "../../../../../../../../../../tmp"
}
locals {
  a = local.b
  b = local.a
}
resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = jsonencode([{ name = "web", image = local.a }])
}
"#,
    );
    let (code, report) = check(dir.path(), &["m"]);
    assert_eq!(code, 0, "{report:#}");
    let skipped = skipped_text(&report);
    assert!(skipped.contains("refers to itself"), "{skipped}");
    assert!(skipped.contains("a cycle"), "{skipped}");
    assert!(skipped.contains("outside the folder checked"), "{skipped}");
}

#[test]
fn variables_take_tfvars_then_var_files_then_vars() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/main.tf",
        r#"variable "image" { default = "nginx:1" }
resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = jsonencode([{ name = "web", image = var.image }])
}
"#,
    );
    write(
        dir.path(),
        "m/terraform.tfvars",
        "image = \"nginx:latest\"\n",
    );
    let (_, report) = check(dir.path(), &["m"]);
    assert_eq!(
        places(&report),
        vec![("IMG002".into(), "m/terraform.tfvars".into(), 1, 9)]
    );
    write(dir.path(), "prod.tfvars", "image = \"nginx\"\n");
    let (_, report) = check(dir.path(), &["m", "--var-file", "prod.tfvars"]);
    assert_eq!(
        places(&report),
        vec![("IMG003".into(), "prod.tfvars".into(), 1, 9)]
    );
    let (_, report) = check(
        dir.path(),
        &[
            "m",
            "--var-file",
            "prod.tfvars",
            "--var",
            "image=nginx:1.25@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ],
    );
    assert_eq!(places(&report), vec![]);
}

#[test]
fn big_and_deep_configurations_neither_crash_nor_hang() {
    let dir = tempfile::tempdir().unwrap();
    // 1,000 resources, and a 10 MB file.
    let mut many = String::from(TASK_LATEST);
    for i in 0..1000 {
        many.push_str(&format!(
            "resource \"aws_security_group\" \"g{i}\" {{\n  name = \"g{i}\"\n  tags = {{ Name = \"g-${{{i}}}\" }}\n}}\n"
        ));
    }
    write(dir.path(), "many/main.tf", &many);
    let mut big = String::from(TASK_LATEST);
    let filler = format!("# {}\n", "x".repeat(1000));
    while big.len() < 10 * 1024 * 1024 {
        big.push_str(&filler);
    }
    write(dir.path(), "big/main.tf", &big);
    // Nesting beyond the parser's limit, and a long chain of locals.
    write(
        dir.path(),
        "deep/main.tf",
        &format!(
            "locals {{\n  x = {}1{}\n}}\n{TASK_LATEST}",
            "[".repeat(5000),
            "]".repeat(5000)
        ),
    );
    let mut chain = String::from(TASK_LATEST.replace("\"nginx:latest\"", "local.l0").as_str());
    chain.push_str("locals {\n");
    for i in 0..3000 {
        chain.push_str(&format!("  l{i} = local.l{}\n", i + 1));
    }
    chain.push_str("  l3000 = \"nginx:latest\"\n}\n");
    write(dir.path(), "chain/main.tf", &chain);
    let started = Instant::now();
    let (code, report) = check(dir.path(), &["."]);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(code, 2, "{report:#}");
    let p = places(&report);
    assert!(
        p.iter()
            .any(|(c, f, _, _)| c == "IN002" && f == "deep/main.tf"),
        "{p:?}"
    );
    for folder in ["many", "big"] {
        assert!(
            p.iter()
                .any(|(c, f, _, _)| c == "IMG002" && f.starts_with(folder)),
            "{folder}: {p:?}"
        );
    }
    assert!(
        skipped_text(&report).contains("nested too deeply"),
        "{report:#}"
    );
}

#[test]
fn optional_attributes_of_a_variable_type_take_their_defaults() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/main.tf",
        r#"variable "containers" {
  type = map(object({
    image  = string
    create = optional(bool, true)
  }))
  default = {
    web = { image = "nginx:latest" }
    off = { image = "nginx", create = false }
  }
}
variable "untyped" { default = "unused" }
resource "aws_ecs_task_definition" "app" {
  family = "app"
  container_definitions = jsonencode([
    for k, v in var.containers : { name = k, image = v.image } if v.create
  ])
}
"#,
    );
    let (_, report) = check(dir.path(), &["m"]);
    // `web` is created (the default), `off` is not: only the `latest` finding, none for `nginx`.
    assert_eq!(
        places(&report),
        vec![("IMG002".into(), "m/main.tf".into(), 7, 21)],
        "{report:#}"
    );
}

#[test]
fn tf_json_files_are_read_with_spans_into_the_json() {
    let dir = tempfile::tempdir().unwrap();
    // Terraform's JSON syntax: strings are templates, quotes inside `${…}` escaped; a `//`
    // comment; a `.tf` file of the same module uses a variable the JSON declares.
    write(
        dir.path(),
        "m/main.tf.json",
        r#"{
  "//": "generated",
  "variable": { "side": { "type": "string", "default": "busybox:latest" } },
  "resource": {
    "aws_ecs_task_definition": {
      "app": {
        "family": "a\/b",
        "runtime_platform": { "cpu_architecture": "ARM64" },
        "container_definitions": "${jsonencode([{name = \"web\", image = \"nginx:latest\", essential = true}])}"
      },
      "raw": {
        "family": "raw",
        "container_definitions": "[{\"name\": \"web\", \"image\": \"redis:latest\", \"essential\": true}]"
      }
    }
  }
}
"#,
    );
    write(
        dir.path(),
        "m/side.tf",
        r#"resource "aws_ecs_task_definition" "side" {
  family                = "side"
  container_definitions = jsonencode([{ name = "side", image = var.side }])
}
"#,
    );
    let (code, report) = check(dir.path(), &["."]);
    assert_eq!(code, 0, "{report:#}");
    let mut p = places(&report);
    p.sort();
    assert_eq!(
        p,
        vec![
            ("IMG002".into(), "m/main.tf.json".into(), 3, 56),
            ("IMG002".into(), "m/main.tf.json".into(), 9, 75),
            // JSON inside a JSON string: the string (its escapes shift every offset).
            ("IMG002".into(), "m/main.tf.json".into(), 13, 34),
        ],
        "{report:#}"
    );
    assert_eq!(report["summary"]["taskDefinitions"].as_u64(), Some(3));
    // Naming the `.tf.json` file checks its folder's module.
    let (_, named) = check(dir.path(), &["m/main.tf.json"]);
    assert_eq!(named["summary"]["taskDefinitions"].as_u64(), Some(3));
}

#[test]
fn bad_tf_json_is_a_located_input_error() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a/main.tf.json",
        "{\n  \"resource\": {\n    \"aws_ecs_task_definition\": {\n      \"x\": { \"family\": \"x\", }\n    }\n  }\n}\n",
    );
    write(
        dir.path(),
        "b/main.tf.json",
        "[\"aws_ecs_task_definition\"]\n",
    );
    // A template that is not valid HCL inside a valid JSON string.
    write(
        dir.path(),
        "c/main.tf.json",
        "{\"resource\": {\"aws_ecs_task_definition\": {\"x\": {\n  \"family\": \"${var.}\"\n}}}}\n",
    );
    let (code, report) = check(dir.path(), &["."]);
    assert_eq!(code, 2, "{report:#}");
    let p = places(&report);
    for (file, line) in [
        ("a/main.tf.json", 4),
        ("b/main.tf.json", 1),
        ("c/main.tf.json", 2),
    ] {
        assert!(
            p.iter()
                .any(|(c, f, l, _)| c == "IN002" && f == file && *l == line),
            "{file}: {p:?}"
        );
    }
}

#[test]
fn var_files_and_vars_apply_in_command_line_order() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/main.tf",
        r#"variable "image" { default = "nginx:1" }
resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = jsonencode([{ name = "web", image = var.image }])
}
"#,
    );
    // terraform.tfvars, then terraform.tfvars.json, then the `*.auto.tfvars(.json)` by name.
    write(dir.path(), "m/terraform.tfvars", "image = \"a:latest\"\n");
    write(
        dir.path(),
        "m/terraform.tfvars.json",
        "{\"image\": \"b:latest\"}\n",
    );
    let (_, report) = check(dir.path(), &["m"]);
    assert_eq!(
        places(&report),
        vec![("IMG002".into(), "m/terraform.tfvars.json".into(), 1, 11)]
    );
    write(dir.path(), "m/a.auto.tfvars", "image = \"c:latest\"\n");
    write(
        dir.path(),
        "m/b.auto.tfvars.json",
        "{\"image\": \"d:latest\"}\n",
    );
    let (_, report) = check(dir.path(), &["m"]);
    assert_eq!(
        places(&report),
        vec![("IMG002".into(), "m/b.auto.tfvars.json".into(), 1, 11)]
    );
    // The command line comes last, in its own order: a `--var-file` after a `--var` wins.
    write(dir.path(), "later.tfvars", "image = \"e:latest\"\n");
    let (_, report) = check(
        dir.path(),
        &[
            "m",
            "--var",
            "image=nginx:1.25",
            "--var-file",
            "later.tfvars",
        ],
    );
    assert_eq!(
        places(&report),
        vec![("IMG002".into(), "later.tfvars".into(), 1, 9)]
    );
    let (_, report) = check(
        dir.path(),
        &["m", "--var-file", "later.tfvars", "--var", "image=nginx"],
    );
    // A `--var` value has no literal in a file: the finding points at the variable.
    assert_eq!(
        places(&report),
        vec![("IMG003".into(), "m/main.tf".into(), 1, 1)]
    );
    // A bad JSON variables file is a located input error.
    write(dir.path(), "bad.tfvars.json", "{\"image\": }\n");
    let (code, report) = check(dir.path(), &["m", "--var-file", "bad.tfvars.json"]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(places(&report)[0].1, "bad.tfvars.json");
}

#[test]
fn image_overrides_reach_terraform_modules() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "root/main.tf",
        "module \"task\" {\n  source = \"../modules/task\"\n  image  = \"nginx:latest\"\n}\n",
    );
    write(
        dir.path(),
        "modules/task/main.tf",
        r#"variable "image" {}
resource "aws_ecs_task_definition" "this" {
  family                = "t"
  container_definitions = jsonencode([{ name = "web", image = var.image }])
}
"#,
    );
    let (_, report) = check(dir.path(), &["."]);
    assert_eq!(
        places(&report),
        vec![("IMG002".into(), "root/main.tf".into(), 3, 12)]
    );
    // What the pipeline deploys replaces the module's image (a local module's too).
    let (code, report) = check(dir.path(), &[".", "--image", "web=nginx:latest-but-not"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(places(&report), vec![]);
    let (_, report) = check(dir.path(), &[".", "--image", "web=redis:latest"]);
    assert_eq!(
        places(&report),
        vec![("IMG002".into(), "root/main.tf".into(), 3, 12)]
    );
    // A container name no task definition has is still a usage error.
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", ".", "--image", "api=redis:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no container named `api`"));
}

#[test]
fn a_tag_interpolated_from_a_variable_points_at_the_literal_that_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/main.tf",
        r#"variable "repo" { default = "nginx" }
variable "tag" { default = "latest" }
resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = jsonencode([{ name = "web", image = "${var.repo}:${var.tag}" }])
}
"#,
    );
    let (_, report) = check(dir.path(), &["m"]);
    assert_eq!(
        places(&report),
        vec![("IMG002".into(), "m/main.tf".into(), 2, 28)]
    );
    // The template stays as a secondary label, at the interpolation.
    let labels = &report["diagnostics"][0]["labels"];
    assert!(
        labels.as_array().unwrap().iter().any(|l| l["line"] == 5
            && l["message"]
                .as_str()
                .unwrap()
                .contains("`var.tag`, used here")),
        "{labels:#}"
    );
    // A `.tfvars` entry that sets the tag is the literal then.
    write(dir.path(), "m/terraform.tfvars", "tag = \"1.25\"\n");
    let (_, report) = check(dir.path(), &["m", "--select", "IMG004"]);
    assert_eq!(
        places(&report),
        vec![("IMG004".into(), "m/terraform.tfvars".into(), 1, 7)]
    );
    // A tag not written as one literal (part of a longer value): the template.
    std::fs::remove_file(dir.path().join("m/terraform.tfvars")).unwrap();
    write(
        dir.path(),
        "m/terraform.tfvars",
        "repo = \"nginx:latest\"\ntag = \"x\"\n",
    );
    std::fs::write(
        dir.path().join("m/main.tf"),
        r#"variable "repo" {}
variable "tag" {}
resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = jsonencode([{ name = "web", image = "${var.repo}" }])
}
"#,
    )
    .unwrap();
    let (_, report) = check(dir.path(), &["m"]);
    assert_eq!(
        places(&report),
        vec![("IMG002".into(), "m/terraform.tfvars".into(), 1, 8)]
    );
}

const FIX_MODULE: &str = r#"variable "worker_image" {
  default = "111122223333.dkr.ecr.us-east-1.amazonaws.com/worker:latest" # pinned by --fix
}
variable "api_tag" { default = "2.0.1" }
resource "aws_ecs_task_definition" "app" {
  family = "app"
  container_definitions = jsonencode([
    { name = "web", image = "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:latest", essential = true },
    { name = "worker", image = var.worker_image, essential = false },
    { name = "api", image = "111122223333.dkr.ecr.us-east-1.amazonaws.com/api:${var.api_tag}", essential = false },
  ])
}
"#;

/// `check --fix` (with the ECR state of `tests/fixtures/fix`) in `dir`: stderr.
fn fix(dir: &Path, extra: &[&str]) -> String {
    let state = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix/state.json");
    let out = cmd()
        .current_dir(dir)
        .args(["check", "m", "--fix", "--region", "us-east-1"])
        .args(["--account", "111122223333", "--state"])
        .arg(state)
        .args(extra)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn fix_pins_image_literals_of_tf_files_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(dir.path(), "m/main.tf", FIX_MODULE);
    let said = fix(dir.path(), &[]);
    let expected = FIX_MODULE
        .replace(
            "web:latest\"",
            "web:latest@sha256:ac47b3653d780477f9b138bab8905d775e843572a3941859ed31d3d6bfcd8b1f\"",
        )
        .replace(
            "worker:latest\"",
            "worker:latest@sha256:5564bdd3544eab64405923f300e1927aa6ed3b5f310f4438292efbb2657c74b2\"",
        );
    // The literal in `jsonencode` and the variable default (its only value) are pinned; the
    // template `…/api:${var.api_tag}` is an expression: left as it is. Every other byte stays.
    assert_eq!(std::fs::read_to_string(&main).unwrap(), expected, "{said}");
    assert!(said.contains("--fix: 2 changes in 1 file"), "{said}");
    // Idempotent.
    let again = fix(dir.path(), &[]);
    assert!(again.contains("--fix: nothing to fix"), "{again}");
    assert_eq!(std::fs::read_to_string(&main).unwrap(), expected);
}

#[test]
fn fix_leaves_a_value_set_by_tfvars_shown_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(dir.path(), "m/main.tf", FIX_MODULE);
    let tfvars = write(
        dir.path(),
        "m/terraform.tfvars",
        "worker_image = \"111122223333.dkr.ecr.us-east-1.amazonaws.com/worker:latest\"\n",
    );
    let said = fix(dir.path(), &["--select", "IMG002"]);
    // The web literal is pinned; the worker's value comes from terraform.tfvars: not edited
    // (neither there nor at the default it overrides).
    let main_after = std::fs::read_to_string(&main).unwrap();
    assert!(main_after.contains("web:latest@sha256:"), "{said}");
    assert!(
        main_after.contains("worker:latest\" # pinned"),
        "{main_after}"
    );
    assert_eq!(
        std::fs::read_to_string(&tfvars).unwrap(),
        "worker_image = \"111122223333.dkr.ecr.us-east-1.amazonaws.com/worker:latest\"\n"
    );
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "m", "--format", "json", "--select", "IMG002"])
        .args([
            "--region",
            "us-east-1",
            "--account",
            "111122223333",
            "--state",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix/state.json"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &report["diagnostics"][0];
    assert_eq!(d["file"], "m/terraform.tfvars", "{report:#}");
    assert_eq!(d["fix"]["applicability"], "display-only", "{d:#}");
    assert!(
        d["fix"]["description"]
            .as_str()
            .unwrap()
            .contains("shown, not applied"),
        "{d:#}"
    );
}

#[test]
fn fix_pins_images_in_a_json_file_that_file_reads() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/main.tf",
        "resource \"aws_ecs_task_definition\" \"app\" {\n  family = \"app\"\n  container_definitions = file(\"${path.module}/containers.json\")\n}\n",
    );
    let json = "[\n  {\"name\": \"web\",   \"image\": \"111122223333.dkr.ecr.us-east-1.amazonaws.com/web:latest\", \"essential\": true}\n]\n";
    let containers = write(dir.path(), "m/containers.json", json);
    let said = fix(dir.path(), &[]);
    assert_eq!(
        std::fs::read_to_string(&containers).unwrap(),
        json.replace(
            "web:latest\"",
            "web:latest@sha256:ac47b3653d780477f9b138bab8905d775e843572a3941859ed31d3d6bfcd8b1f\""
        ),
        "{said}"
    );
    let again = fix(dir.path(), &[]);
    assert!(again.contains("--fix: nothing to fix"), "{again}");
}

/// (code, line, column) of every diagnostic of `code`.
fn places_of(report: &Value, code: &str) -> Vec<(u64, u64)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap()))
        .collect()
}

#[test]
fn each_use_of_an_unknown_reference_points_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    // The repository URL is known only after apply (no account given): both task definitions
    // use it, each diagnostic at its own `image`.
    write(
        dir.path(),
        "m/main.tf",
        r#"resource "aws_ecr_repository" "app" { name = "app" }
resource "aws_ecs_task_definition" "one" {
  family                = "one"
  container_definitions = jsonencode([{ name = "web", image = aws_ecr_repository.app.repository_url }])
}
resource "aws_ecs_task_definition" "two" {
  family                = "two"
  container_definitions = jsonencode([{ name = "web", image = aws_ecr_repository.app.repository_url }])
}
"#,
    );
    let (_, report) = check(dir.path(), &["m", "--select", "IMG008"]);
    assert_eq!(places_of(&report, "IMG008"), vec![(4, 63), (8, 63)]);

    // A secret's ARN (known only after apply) named first by the role policy, then by the
    // container's `valueFrom`: the finding about the `valueFrom` points at the `valueFrom`.
    write(
        dir.path(),
        "s/main.tf",
        r#"resource "aws_kms_key" "db" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:role/admin" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}
resource "aws_secretsmanager_secret" "db" {
  name       = "prod/db"
  kms_key_id = aws_kms_key.db.arn
}
resource "aws_iam_role" "exec" {
  name = "web-exec"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}
resource "aws_iam_role_policy" "secrets" {
  role = aws_iam_role.exec.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = aws_secretsmanager_secret.db.arn },
      { Effect = "Allow", Action = "kms:Decrypt", Resource = aws_kms_key.db.arn },
    ]
  })
}
resource "aws_ecs_task_definition" "web" {
  family                   = "web"
  execution_role_arn       = aws_iam_role.exec.arn
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  container_definitions = jsonencode([{
    name      = "web"
    image     = "public.ecr.aws/nginx/nginx:1.27"
    essential = true
    secrets   = [{ name = "DB_PASSWORD", valueFrom = aws_secretsmanager_secret.db.arn }]
  }])
}
"#,
    );
    let (_, report) = check(
        dir.path(),
        &[
            "s",
            "--select",
            "ROLE012",
            "--region",
            "us-east-1",
            "--account",
            "111122223333",
        ],
    );
    assert_eq!(places_of(&report, "ROLE012"), vec![(48, 54)], "{report:#}");
}

#[test]
fn a_variable_used_by_two_task_definitions_is_labelled_at_each_ones_use_only() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/main.tf",
        r#"variable "image" { default = "nginx:latest" }
variable "tag" { default = "latest" }
resource "aws_ecs_task_definition" "one" {
  family                = "one"
  container_definitions = jsonencode([{ name = "web", image = var.image }, { name = "api", image = "nginx:${var.tag}" }])
}
resource "aws_ecs_task_definition" "two" {
  family                = "two"
  container_definitions = jsonencode([{ name = "web", image = var.image }, { name = "api", image = "nginx:${var.tag}" }])
}
"#,
    );
    // The same in Terraform's JSON syntax.
    write(
        dir.path(),
        "j/main.tf.json",
        r#"{
  "variable": { "image": { "default": "nginx:latest" } },
  "resource": {
    "aws_ecs_task_definition": {
      "one": {
        "family": "one",
        "container_definitions": "${jsonencode([{ name = \"web\", image = var.image }])}"
      },
      "two": {
        "family": "two",
        "container_definitions": "${jsonencode([{ name = \"web\", image = var.image }])}"
      }
    }
  }
}
"#,
    );
    let (_, report) = check(dir.path(), &["j"]);
    let mut uses: Vec<(String, Vec<u64>)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let lines = d["labels"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["message"].as_str().unwrap().contains("used here"))
                .map(|l| l["line"].as_u64().unwrap())
                .collect();
            (d["taskDefinition"].as_str().unwrap().to_string(), lines)
        })
        .collect();
    uses.sort();
    assert_eq!(
        uses,
        vec![("one".to_string(), vec![7]), ("two".to_string(), vec![11])],
        "{report:#}"
    );

    let (_, report) = check(dir.path(), &["m"]);
    // Each finding: its primary span is the default both task definitions use (the literal to
    // change), and it is labelled at the use of its own task definition, not the other's.
    /// (task definition, container, line of the finding, (line, column) of its "used here" labels)
    type Found = (String, String, u64, Vec<(u64, u64)>);
    let mut found: Vec<Found> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let uses = d["labels"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["message"].as_str().unwrap().contains("used here"))
                .map(|l| (l["line"].as_u64().unwrap(), l["column"].as_u64().unwrap()))
                .collect();
            (
                d["taskDefinition"].as_str().unwrap().to_string(),
                d["container"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                uses,
            )
        })
        .collect();
    found.sort();
    let s = |x: &str| x.to_string();
    assert_eq!(
        found,
        vec![
            (s("one"), s("api"), 2, vec![(5, 109)]),
            (s("one"), s("web"), 1, vec![(5, 63)]),
            (s("two"), s("api"), 2, vec![(9, 109)]),
            (s("two"), s("web"), 1, vec![(9, 63)]),
        ],
        "{report:#}"
    );

    // A use outside the task definitions (a `local` both read) labels both.
    std::fs::write(
        dir.path().join("m/main.tf"),
        r#"variable "image" { default = "nginx:latest" }
locals { img = var.image }
resource "aws_ecs_task_definition" "one" {
  family                = "one"
  container_definitions = jsonencode([{ name = "web", image = local.img }])
}
resource "aws_ecs_task_definition" "two" {
  family                = "two"
  container_definitions = jsonencode([{ name = "web", image = local.img }])
}
"#,
    )
    .unwrap();
    let (_, report) = check(dir.path(), &["m"]);
    assert_eq!(
        places(&report),
        vec![
            ("IMG002".into(), "m/main.tf".into(), 1, 30),
            ("IMG002".into(), "m/main.tf".into(), 1, 30),
        ]
    );
    for d in report["diagnostics"].as_array().unwrap() {
        assert!(
            d["labels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["line"] == 2
                    && l["column"] == 16
                    && l["message"]
                        .as_str()
                        .unwrap()
                        .contains("`var.image`, used here")),
            "{d:#}"
        );
    }
}

#[test]
fn a_variable_without_a_value_is_unknown_where_it_is_used() {
    // As a CloudFormation parameter without a default: no literal holds the value, so the
    // unknown stands at each use, not at the declaration (where every use would look alike).
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/main.tf",
        r#"variable "image" {}
resource "aws_ecs_task_definition" "one" {
  family                = "one"
  container_definitions = jsonencode([{ name = "web", image = var.image }])
}
resource "aws_ecs_task_definition" "two" {
  family                = "two"
  container_definitions = jsonencode([{ name = "web", image = "${var.image}" }])
}
"#,
    );
    let (_, report) = check(dir.path(), &["m", "--select", "IMG008"]);
    assert_eq!(places_of(&report, "IMG008"), vec![(4, 63), (8, 66)]);
    assert!(
        report["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("variable `image` has no value"),
        "{report:#}"
    );
    // A module argument that is unknown stays at the argument (where the caller writes it).
    write(
        dir.path(),
        "c/main.tf",
        r#"resource "aws_ecr_repository" "app" { name = "app" }
module "app" {
  source = "./app"
  image  = aws_ecr_repository.app.repository_url
}
"#,
    );
    write(
        dir.path(),
        "c/app/main.tf",
        r#"variable "image" {}
resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = jsonencode([{ name = "web", image = var.image }])
}
"#,
    );
    let (_, report) = check(dir.path(), &["c", "--select", "IMG008"]);
    assert_eq!(places_of(&report, "IMG008"), vec![(4, 12)], "{report:#}");
}
