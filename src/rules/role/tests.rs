//! End-to-end tests of the ROLE family through the real loader and driver: bad inputs (wrong
//! types, empty statements, unknown operators, a 10 MB policy, 100,000 roles) give clear errors
//! or correct decisions, never a panic.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::check::{self, Report, RunOptions};
use crate::diag::Diagnostic;
use crate::rules::{ALL, Settings};

const ACCOUNT: &str = "111122223333";
const EXEC: &str = "arn:aws:iam::111122223333:role/web-exec";

fn task_definition() -> Value {
    json!({
        "family": "web",
        "executionRoleArn": EXEC,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512",
        "containerDefinitions": [{"name": "web", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2"}]
    })
}

fn trust() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
}

fn role(name: &str, inline: Value) -> Value {
    json!({
        "Path": "/", "RoleName": name, "Arn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
        "AssumeRolePolicyDocument": trust(),
        "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": inline}],
        "AttachedManagedPolicies": []
    })
}

fn state(roles: Vec<Value>) -> Value {
    json!({"ecsPreflightState": 1, "accountId": ACCOUNT, "region": "us-east-1",
           "iam": {"RoleDetailList": roles, "Policies": []}})
}

fn allow_pull() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "Pull", "Effect": "Allow",
        "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "*"}]})
}

/// Runs every ROLE rule on the task definition with the state (given as text).
fn run_text(td: &Value, state_text: &str) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let td_path = dir.path().join("td.json");
    let state_path = dir.path().join("state.json");
    std::fs::write(&td_path, serde_json::to_string_pretty(td).unwrap()).unwrap();
    std::fs::write(&state_path, state_text).unwrap();
    let enabled: HashSet<&'static str> = ALL
        .iter()
        .filter(|r| r.code.starts_with("ROLE") || r.code.starts_with("IN"))
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
    };
    check::run(&options)
}

fn run(td: &Value, state: &Value) -> Report {
    run_text(td, &serde_json::to_string(state).unwrap())
}

fn codes(r: &Report) -> Vec<&'static str> {
    r.diagnostics.iter().map(|d| d.code).collect()
}

fn only<'r>(r: &'r Report, code: &str) -> &'r Diagnostic {
    let found: Vec<&Diagnostic> = r.diagnostics.iter().filter(|d| d.code == code).collect();
    assert_eq!(found.len(), 1, "{code}: {:#?}", r.diagnostics);
    found[0]
}

#[test]
fn a_policy_with_wrong_types_makes_the_decisions_unknown_with_the_reason() {
    let bad = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": 5, "Resource": "*"}]});
    let r = run(&task_definition(), &state(vec![role("web-exec", bad)]));
    assert!(!r.input_errors, "{:#?}", r.diagnostics);
    assert_eq!(codes(&r), ["ROLE011"]);
    let d = only(&r, "ROLE011");
    assert!(d.message.contains("/Statement/0/Action"), "{}", d.message);
    assert!(d.message.contains("ecr:BatchGetImage"), "{}", d.message);
    // The label points at the policy in the state file.
    assert!(d.labels.iter().any(|l| l.file == 0), "{:#?}", d.labels);
}

#[test]
fn an_empty_statement_list_is_unknown_not_denied() {
    let empty = json!({"Version": "2012-10-17", "Statement": []});
    let r = run(&task_definition(), &state(vec![role("web-exec", empty)]));
    assert_eq!(codes(&r), ["ROLE011"]);
    assert!(only(&r, "ROLE011").message.contains("Statement is empty"));
}

#[test]
fn an_unknown_condition_operator_is_unknown_with_the_operator_named() {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*",
        "Condition": {"StringEqualsAnyCase": {"aws:PrincipalTag/team": "web"}}}]});
    let r = run(&task_definition(), &state(vec![role("web-exec", doc)]));
    assert_eq!(codes(&r), ["ROLE011"]);
    assert!(only(&r, "ROLE011").message.contains("StringEqualsAnyCase"));
}

#[test]
fn a_malformed_url_encoded_document_is_unknown() {
    let r = run(
        &task_definition(),
        &state(vec![role(
            "web-exec",
            json!("%7B%22Version%22%3A%222012-10-17%22%2C"),
        )]),
    );
    assert_eq!(codes(&r), ["ROLE011"]);
    assert!(only(&r, "ROLE011").message.contains("not valid JSON"));
}

#[test]
fn a_malformed_state_file_is_in003_pointing_into_it() {
    let text = r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
        "iam": {"RoleDetailList": [{"RoleName": 42}]}}"#;
    let r = run_text(&task_definition(), text);
    assert!(r.input_errors);
    let d = only(&r, "IN003");
    assert_eq!(d.file, 0);
    assert_eq!(&text[d.span.range()], "42");
    assert!(
        d.message.contains("RoleDetailList[0].RoleName"),
        "{}",
        d.message
    );
    // Without a usable state, the role is unknown: skipped, not ROLE002.
    assert!(!codes(&r).contains(&"ROLE002"));
}

#[test]
fn a_10_mb_policy_document_is_decided() {
    // 66,000 statements that do not apply, then an Allow and the Deny that decides.
    let mut statements: Vec<Value> = (0..66_000)
        .map(|i| json!({"Sid": format!("S{i}"), "Effect": "Allow", "Action": "s3:GetObject",
                        "Resource": format!("arn:aws:s3:::bucket-number-{i:08}/some/long/prefix/to/make/the/document/large/*")}))
        .collect();
    statements
        .push(json!({"Sid": "AllowPull", "Effect": "Allow", "Action": "ecr:*", "Resource": "*"}));
    statements.push(
        json!({"Sid": "DenyWeb", "Effect": "Deny", "Action": "ecr:BatchGetImage",
                           "Resource": "arn:aws:ecr:us-east-1:111122223333:repository/web"}),
    );
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    let text = serde_json::to_string(&state(vec![role("web-exec", doc)])).unwrap();
    assert!(text.len() > 10_000_000, "{}", text.len());
    let r = run_text(&task_definition(), &text);
    assert_eq!(codes(&r), ["ROLE005"]);
    let d = only(&r, "ROLE005");
    assert!(d.message.contains("`DenyWeb`"), "{}", d.message);
    // The secondary label points at the denying statement in the state file.
    let label = d
        .labels
        .iter()
        .find(|l| l.file == 0)
        .expect("label into the state");
    assert!(text[label.span.range()].contains("\"DenyWeb\""));
}

#[test]
fn one_hundred_thousand_roles_are_indexed() {
    let mut roles: Vec<Value> = (0..100_000)
        .map(|i| role(&format!("role-{i:06}"), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})))
        .collect();
    roles.push(role("web-exec", allow_pull()));
    // Two task definitions in one file: the role found among them, and one that is not there
    // (ROLE002).
    let mut missing = task_definition();
    missing["family"] = json!("web-2");
    missing["executionRoleArn"] = json!("arn:aws:iam::111122223333:role/web-exec-2");
    let r = run(&json!([task_definition(), missing]), &state(roles));
    assert_eq!(codes(&r), ["ROLE002"], "{:#?}", r.diagnostics);
    assert_eq!(r.diagnostics[0].task_definition.as_deref(), Some("web-2"));
}

#[test]
fn scps_are_listed_once_in_the_run_summary() {
    let r = run(
        &task_definition(),
        &state(vec![role("web-exec", allow_pull())]),
    );
    let scp: Vec<_> = r
        .skipped
        .iter()
        .filter(|s| s.reason.contains("service control policies"))
        .collect();
    assert_eq!(scp.len(), 1, "{:#?}", r.skipped);
}

#[test]
fn an_attached_policy_in_neither_the_state_nor_the_shipped_set_is_unknown() {
    let mut r0 = role("web-exec", allow_pull());
    r0["AttachedManagedPolicies"] = json!([{"PolicyName": "deny-all", "PolicyArn": "arn:aws:iam::111122223333:policy/deny-all"}]);
    let r = run(&task_definition(), &state(vec![r0.clone()]));
    assert_eq!(codes(&r), ["ROLE011"]);
    // With the policy's default version in the state, it decides.
    let mut st = state(vec![r0]);
    st["iam"]["Policies"] = json!([{
    "PolicyName": "deny-all", "Arn": "arn:aws:iam::111122223333:policy/deny-all", "DefaultVersionId": "v2",
    "PolicyVersionList": [
        {"VersionId": "v1", "IsDefaultVersion": false, "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}},
        {"VersionId": "v2", "IsDefaultVersion": true, "Document": {"Version": "2012-10-17", "Statement": [{"Sid": "NoEcr", "Effect": "Deny", "Action": "ecr:*", "Resource": "*"}]}}
    ]}]);
    let r = run(&task_definition(), &st);
    let c = codes(&r);
    assert!(c.contains(&"ROLE004") && c.contains(&"ROLE005"), "{c:?}");
    assert!(
        only(&r, "ROLE005")
            .message
            .contains("`NoEcr` of policy `deny-all`")
    );
}

#[test]
fn a_snapshot_copy_of_an_aws_managed_policy_wins_over_the_shipped_one() {
    let arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
    let mut r0 = role(
        "web-exec",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
    );
    r0["AttachedManagedPolicies"] =
        json!([{"PolicyName": "AmazonECSTaskExecutionRolePolicy", "PolicyArn": arn}]);
    // Shipped copy: allows the pull.
    let r = run(&task_definition(), &state(vec![r0.clone()]));
    assert!(codes(&r).is_empty(), "{:#?}", r.diagnostics);
    // The snapshot's own (here: stripped-down) default version decides instead.
    let mut st = state(vec![r0]);
    st["iam"]["Policies"] = json!([{"PolicyName": "AmazonECSTaskExecutionRolePolicy", "Arn": arn,
        "DefaultVersionId": "v9", "PolicyVersionList": [{"VersionId": "v9", "IsDefaultVersion": true,
        "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}}]}]);
    let r = run(&task_definition(), &st);
    assert!(codes(&r).contains(&"ROLE005"), "{:?}", codes(&r));
}

#[test]
fn a_missing_role_list_is_unknown_not_role002() {
    let st = json!({"ecsPreflightState": 1, "accountId": ACCOUNT, "region": "us-east-1", "iam": {"Policies": []}});
    let r = run(&task_definition(), &st);
    assert!(codes(&r).is_empty(), "{:#?}", r.diagnostics);
    assert!(
        r.skipped
            .iter()
            .any(|s| s.reason.contains("no IAM state for account")),
        "{:#?}",
        r.skipped
    );
}
