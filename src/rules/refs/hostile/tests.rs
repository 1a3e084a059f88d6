//! End-to-end tests of the REF rules, ROLE012 and ROLE013 on bad input, through the real loader
//! and driver: a key policy that is not valid JSON, a secret ARN with a stage and a version id,
//! a log group name with invalid characters, a state section of the wrong type. Each gives a
//! located error (IN003) or an unknown with its reason, never a panic and never a verdict on a
//! guess.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::check::{self, Report, RunOptions};
use crate::rules::ALL;
use crate::settings::Settings;

const ACCOUNT: &str = "111122223333";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const EXEC: &str = "arn:aws:iam::111122223333:role/web-exec";

fn task_definition(container: Value) -> Value {
    let mut c = json!({"name": "web", "image": "nginx:1.27", "essential": true});
    for (k, v) in container.as_object().unwrap() {
        c[k] = v.clone();
    }
    json!({
        "family": "web",
        "executionRoleArn": EXEC,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512",
        "containerDefinitions": [c]
    })
}

fn reads_secret(value_from: &str) -> Value {
    task_definition(json!({"secrets": [{"name": "DB", "valueFrom": value_from}]}))
}

/// A state with the execution role (it may read every secret and decrypt with every key) and
/// `sections` added at the top level.
fn state(sections: Value) -> String {
    let role = json!({
        "Path": "/", "RoleName": "web-exec", "Arn": EXEC,
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "RolePolicyList": [{"PolicyName": "secrets", "PolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"], "Resource": "*"}]}}],
        "AttachedManagedPolicies": []
    });
    let mut s = json!({"ecsPreflightState": 1, "accountId": ACCOUNT, "region": "us-east-1",
        "iam": {"RoleDetailList": [role], "Policies": []}});
    for (k, v) in sections.as_object().unwrap() {
        s[k] = v.clone();
    }
    serde_json::to_string_pretty(&s).unwrap()
}

fn secret_with_key() -> Value {
    json!({"secretsmanager": {"secrets": [{"ARN": SECRET, "Name": "prod/db", "KmsKeyId": KEY,
        "SecretVersionsToStages": {"v1": ["AWSCURRENT"], "v0": ["AWSPREVIOUS"]}}]}})
}

/// Runs `codes` (and the IN rules) on the task definition with the state text.
fn run(td: &Value, state_text: &str, codes: &[&str]) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let td_path = dir.path().join("td.json");
    let state_path = dir.path().join("state.json");
    std::fs::write(&td_path, serde_json::to_string_pretty(td).unwrap()).unwrap();
    std::fs::write(&state_path, state_text).unwrap();
    let enabled: HashSet<&'static str> = ALL
        .iter()
        .filter(|r| codes.contains(&r.code) || r.code.starts_with("IN"))
        .map(|r| r.code)
        .collect();
    let options = RunOptions {
        paths: vec![td_path],
        state_files: vec![state_path],
        env_region: None,
        service_file: None,
        settings: Settings {
            region: Some("us-east-1".into()),
            account: Some(ACCOUNT.into()),
            ..Settings::default()
        },
        enabled,
        severity_overrides: HashMap::new(),
        per_file_ignores: Vec::new(),
        ignore_base: PathBuf::from("/"),
        terraform: Default::default(),
    };
    check::run(&options)
}

fn codes(r: &Report) -> Vec<&'static str> {
    r.diagnostics.iter().map(|d| d.code).collect()
}

fn skipped(r: &Report, code: &str) -> Vec<String> {
    r.skipped
        .iter()
        .filter(|s| s.rules.contains(&code))
        .map(|s| s.reason.clone())
        .collect()
}

/// The text of the state file a diagnostic points at.
fn pointed_at<'r>(r: &'r Report, code: &str) -> &'r str {
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code}: {:#?}", r.diagnostics));
    &r.files[d.file].text[d.span.range()]
}

fn key(policy: Value, grants: Value) -> Value {
    json!({"keys": [{"KeyMetadata": {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Arn": KEY,
        "AWSAccountId": ACCOUNT, "KeyManager": "CUSTOMER", "KeyState": "Enabled"},
        "Policy": policy, "Grants": grants}]})
}

#[test]
fn a_key_policy_that_is_not_json_leaves_the_decrypt_unknown_even_with_a_grant() {
    let td = reads_secret(SECRET);
    // A grant names the role, but an explicit Deny in the unreadable key policy would still
    // win over it: the decrypt is unknown, not allowed and not denied.
    let grant = json!([{"GrantId": "g1", "GranteePrincipal": EXEC, "Operations": ["Decrypt"]}]);
    for grants in [json!([]), grant] {
        let mut sections = secret_with_key();
        sections["kms"] = key(
            json!("{\"Version\": \"2012-10-17\", \"Statement\": ["),
            grants,
        );
        let r = run(&td, &state(sections), &["ROLE011", "ROLE012"]);
        assert!(!r.input_errors, "{:#?}", r.diagnostics);
        assert_eq!(codes(&r), ["ROLE011"], "{:#?}", r.diagnostics);
        let m = &r.diagnostics[0].message;
        assert!(m.contains("kms:Decrypt"), "{m}");
        assert!(m.contains("cannot be read"), "{m}");
    }
}

#[test]
fn a_key_policy_of_the_wrong_type_is_in003_at_it() {
    let mut sections = secret_with_key();
    sections["kms"] = json!({"keys": [{"KeyMetadata": {"KeyId": 7}}]});
    let r = run(&reads_secret(SECRET), &state(sections), &["ROLE012"]);
    assert!(r.input_errors);
    assert_eq!(codes(&r), ["IN003"]);
    assert_eq!(pointed_at(&r, "IN003"), "7");
}

#[test]
fn a_secret_arn_with_a_stage_and_a_version_id_selects_that_version() {
    let sections = secret_with_key();
    let reports = |value_from: &str| {
        let r = run(
            &reads_secret(value_from),
            &state(sections.clone()),
            &["REF001"],
        );
        assert!(!r.input_errors, "{:#?}", r.diagnostics);
        r
    };
    // Both name the same version: found.
    let r = reports(&format!("{SECRET}:password:AWSPREVIOUS:v0"));
    assert!(codes(&r).is_empty(), "{:#?}", r.diagnostics);
    assert!(skipped(&r, "REF001").is_empty());
    // The stage is on another version than the id: that pair selects nothing.
    let r = reports(&format!("{SECRET}:password:AWSPREVIOUS:v1"));
    assert_eq!(codes(&r), ["REF001"]);
    assert!(
        r.diagnostics[0]
            .message
            .contains("does not carry the stage `AWSPREVIOUS`"),
        "{}",
        r.diagnostics[0].message
    );
    // An id the secret does not have.
    let r = reports(&format!("{SECRET}::AWSCURRENT:v9"));
    assert_eq!(codes(&r), ["REF001"]);
    assert!(
        r.diagnostics[0]
            .message
            .contains("no version with the ID `v9`")
    );
    // Too many fields after the secret: not a secret reference at all, so unknown.
    let r = reports(&format!("{SECRET}:password:AWSCURRENT:v1:extra"));
    assert!(codes(&r).is_empty(), "{:#?}", r.diagnostics);
    let why = skipped(&r, "REF001");
    assert!(
        why.iter()
            .any(|w| w.contains("more than the three optional fields")),
        "{why:?}"
    );
}

#[test]
fn a_version_selected_without_the_versions_in_the_state_is_unknown() {
    let sections = json!({"secretsmanager": {"secrets": [{"ARN": SECRET, "Name": "prod/db"}]}});
    let r = run(
        &reads_secret(&format!("{SECRET}:password:AWSPREVIOUS:v0")),
        &state(sections),
        &["REF001"],
    );
    assert!(codes(&r).is_empty(), "{:#?}", r.diagnostics);
    let why = skipped(&r, "REF001");
    assert!(
        why.iter().any(|w| w.contains("SecretVersionsToStages")),
        "{why:?}"
    );
}

#[test]
fn a_log_group_name_with_invalid_characters_is_unknown_not_missing() {
    let td = task_definition(
        json!({"logConfiguration": {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/web app*", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}}}),
    );
    let r = run(
        &td,
        &state(json!({"logs": {"logGroups": [{"logGroupName": "/ecs/web"}]}})),
        &["REF003"],
    );
    assert!(codes(&r).is_empty(), "{:#?}", r.diagnostics);
    let why = skipped(&r, "REF003");
    assert!(
        why.iter()
            .any(|w| w.contains("`/ecs/web app*` is not a valid log group name")),
        "{why:?}"
    );
}

#[test]
fn every_reference_section_of_the_wrong_type_is_in003_where_it_is_wrong() {
    let cases = [
        (
            json!({"secretsmanager": {"secrets": {"ARN": SECRET}}}),
            r#"{"#,
        ),
        (
            json!({"secretsmanager": {"secrets": [{"ARN": SECRET, "SecretVersionsToStages": {"v1": "AWSCURRENT"}}]}}),
            r#""AWSCURRENT""#,
        ),
        (json!({"ssm": "parameters"}), r#""parameters""#),
        (
            json!({"kms": {"keys": [], "aliases": [{"AliasName": false}]}}),
            "false",
        ),
        (
            json!({"kms": {"keys": [{"KeyMetadata": {"KeyId": "k"}, "Grants": [{"Operations": "Decrypt"}]}]}}),
            r#""Decrypt""#,
        ),
        (json!({"logs": {"logGroups": [17]}}), "17"),
        (json!({"s3": {"buckets": [{"Name": ["b"]}]}}), "["),
        (json!({"s3": {"objects": [{"Bucket": "b", "Key": 3}]}}), "3"),
    ];
    let td = reads_secret(SECRET);
    for (sections, at) in cases {
        let r = run(
            &td,
            &state(sections.clone()),
            &["REF001", "REF002", "REF003", "REF004", "ROLE012", "ROLE013"],
        );
        assert!(r.input_errors, "{sections}");
        assert_eq!(codes(&r), ["IN003"], "{sections}: {:#?}", r.diagnostics);
        let text = pointed_at(&r, "IN003");
        assert!(text.starts_with(at), "{sections}: points at {text:?}");
    }
}
