//! ROLE: end-to-end tests through the real loader and driver: bad inputs (wrong
//! types, empty statements, unknown operators, a 10 MB policy, 100,000 roles) give clear errors
//! or correct decisions, never a panic.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde_json::{Value, json};

use ecs_preflight::check::{self, Report, RunOptions};
use ecs_preflight::diag::Diagnostic;
use ecs_preflight::rules::ALL;
use ecs_preflight::settings::Settings;

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
    run_role_rules(vec![td_path], vec![state_path])
}

/// Runs the ROLE and IN rules over `paths` with `state_files`, in account `ACCOUNT`, us-east-1.
fn run_role_rules(paths: Vec<PathBuf>, state_files: Vec<PathBuf>) -> Report {
    let enabled: HashSet<&'static str> = ALL
        .iter()
        .filter(|r| r.code.starts_with("ROLE") || r.code.starts_with("IN"))
        .map(|r| r.code)
        .collect();
    let options = RunOptions {
        paths,
        state_files,
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
fn a_state_role_without_arn_is_in003_at_the_role_not_role002() {
    let text = r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
        "iam": {"RoleDetailList": [{"RoleName": "web-exec", "Path": "/", "RolePolicyList": [], "AttachedManagedPolicies": []}]}}"#;
    let r = run_text(&task_definition(), text);
    assert!(r.input_errors);
    let d = only(&r, "IN003");
    assert_eq!(d.file, 0);
    assert!(text[d.span.range()].starts_with(r#"{"RoleName": "web-exec""#));
    assert!(d.message.contains("has no `Arn`"), "{}", d.message);
    assert!(!codes(&r).contains(&"ROLE002"), "{:#?}", r.diagnostics);
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

const EXEC_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// A state with the role and the ECR section of repository `web` (with `policy`, if any).
fn state_with_repository(roles: Vec<Value>, policy: Option<Value>) -> Value {
    let mut st = state(roles);
    let policies: Vec<Value> = policy
        .into_iter()
        .map(|p| json!({"registryId": ACCOUNT, "repositoryName": "web", "policyText": p.to_string()}))
        .collect();
    st["ecr"] = json!({
        "repositories": [{"repositoryName": "web", "registryId": ACCOUNT,
            "repositoryArn": "arn:aws:ecr:us-east-1:111122223333:repository/web"}],
        "repositoryPolicies": policies
    });
    st
}

fn with_managed(mut r: Value, arn: &str) -> Value {
    r["AttachedManagedPolicies"] =
        json!([{"PolicyName": arn.rsplit('/').next().unwrap(), "PolicyArn": arn}]);
    r["RolePolicyList"] = json!([]);
    r
}

fn with_boundary(mut st: Value, role_index: usize, doc: Value) -> Value {
    let arn = "arn:aws:iam::111122223333:policy/bnd";
    st["iam"]["RoleDetailList"][role_index]["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn});
    st["iam"]["Policies"] = json!([{"PolicyName": "bnd", "Arn": arn, "DefaultVersionId": "v1",
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": doc}]}]);
    st
}

fn auth_only() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "Auth", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]})
}

fn boundary_without_pull() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "logs:*"], "Resource": "*"}]})
}

fn grant_to_role() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "ExecPull", "Effect": "Allow", "Principal": {"AWS": EXEC},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]})
}

#[test]
fn a_boundary_that_refuses_too_is_named_with_the_identity_policy_and_both_fixes_given() {
    // No repository policy: both the identity policy and the boundary must change.
    let st = with_boundary(
        state_with_repository(vec![role("web-exec", auth_only())], None),
        0,
        boundary_without_pull(),
    );
    let r = run(&task_definition(), &st);
    let d = only(&r, "ROLE005");
    assert!(
        d.message
            .contains("neither an identity policy nor the permissions boundary `bnd` allows it"),
        "{}",
        d.message
    );
    assert!(
        d.message
            .contains("the repository has no policy that could grant it"),
        "{}",
        d.message
    );
    let help = d.help.as_deref().unwrap();
    assert!(help.contains("put-role-policy"), "{help}");
    assert!(help.contains("boundary policy `bnd`"), "{help}");
    assert!(help.contains("create-policy-version"), "{help}");
}

#[test]
fn a_repository_grant_to_the_role_is_named_and_the_boundary_is_the_fix() {
    let st = with_boundary(
        state_with_repository(vec![role("web-exec", auth_only())], Some(grant_to_role())),
        0,
        boundary_without_pull(),
    );
    let r = run(&task_definition(), &st);
    let d = only(&r, "ROLE005");
    assert!(
        !d.message.contains("does not grant"),
        "the repository policy grants it: {}",
        d.message
    );
    assert!(
        d.message
            .contains("the repository policy grants it to the role, but a grant that names the role is still limited by the permissions boundary"),
        "{}",
        d.message
    );
    let help = d.help.as_deref().unwrap();
    assert!(help.contains("boundary policy `bnd`"), "{help}");
    assert!(!help.contains("put-role-policy"), "{help}");
    // With the boundary fixed, the pull is allowed (the repository policy grants it).
    let mut fixed = boundary_without_pull();
    fixed["Statement"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Effect": "Allow",
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "*"}));
    let st = with_boundary(
        state_with_repository(vec![role("web-exec", auth_only())], Some(grant_to_role())),
        0,
        fixed,
    );
    let r = run(&task_definition(), &st);
    assert!(codes(&r).is_empty(), "{:#?}", r.diagnostics);
}

#[test]
fn a_secret_refused_by_identity_and_boundary_names_both() {
    let mut td = task_definition();
    td["containerDefinitions"][0]["secrets"] = json!([{"name": "DB", "valueFrom": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"}]);
    let st = with_boundary(
        state(vec![role("web-exec", allow_pull())]),
        0,
        boundary_without_pull(),
    );
    let r = run(&td, &st);
    let d = only(&r, "ROLE007");
    assert!(
        d.message
            .contains("neither an identity policy nor the permissions boundary `bnd` allows it"),
        "{}",
        d.message
    );
    let help = d.help.as_deref().unwrap();
    assert!(
        help.contains("put-role-policy") && help.contains("boundary policy `bnd`"),
        "{help}"
    );
}

#[test]
fn an_undecided_same_account_repository_deny_is_one_role011_at_the_image() {
    let denies = [
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "Vpce", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60789"}}}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "Org", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
            "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "OnlyExec", "Effect": "Deny",
            "NotPrincipal": {"AWS": EXEC}, "Action": "ecr:*"}]}),
        // A repository policy that cannot be read.
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": 5}]}),
    ];
    for deny in denies {
        let st = state_with_repository(
            vec![with_managed(role("web-exec", json!({})), EXEC_POLICY)],
            Some(deny.clone()),
        );
        let td = task_definition();
        let r = run(&td, &st);
        assert_eq!(codes(&r), ["ROLE011"], "{deny}: {:#?}", r.diagnostics);
        let d = only(&r, "ROLE011");
        let text = serde_json::to_string_pretty(&td).unwrap();
        assert!(
            text[d.span.range()].contains(".dkr.ecr."),
            "{deny}: at {:?}",
            &text[d.span.range()]
        );
    }
}

/// Two repositories, two secrets: each fix suggests a policy name of its own, and the document
/// to save is a whole policy.
#[test]
fn each_fix_suggests_its_own_inline_policy_with_a_whole_document() {
    let mut td = task_definition();
    td["containerDefinitions"] = json!([
        {"name": "web", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1", "secrets": [
            {"name": "A", "valueFrom": "arn:aws:secretsmanager:us-east-1:111122223333:secret:a-AbCdEf"},
            {"name": "B", "valueFrom": "/app/b"}]},
        {"name": "api", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/team/api:1",
         "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web",
            "awslogs-region": "us-east-1", "awslogs-stream-prefix": "api"}}}
    ]);
    let r = run(&td, &state(vec![role("web-exec", auth_only())]));
    let mut names = Vec::new();
    for d in r.diagnostics.iter().filter(|d| d.code != "ROLE011") {
        let help = d.help.as_deref().unwrap();
        let name = help
            .split("--policy-name ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .unwrap_or_else(|| panic!("{}: {help}", d.code));
        assert!(name.starts_with("ecs-preflight-"), "{name}");
        names.push(name.to_string());
        // The document to save parses, with Version and Statement.
        let doc_text = help
            .split("whole document: ")
            .nth(1)
            .and_then(|s| s.split(" (save it as policy.json").next())
            .unwrap();
        let doc: Value =
            serde_json::from_str(doc_text).unwrap_or_else(|e| panic!("{e}: {doc_text}"));
        assert_eq!(doc["Version"], "2012-10-17");
        assert!(doc["Statement"][0]["Effect"] == "Allow", "{doc}");
    }
    names.sort();
    assert_eq!(
        names,
        [
            "ecs-preflight-ecr-pull-team-api",
            "ecs-preflight-ecr-pull-web",
            "ecs-preflight-logs-ecs-web",
            "ecs-preflight-secrets-a-AbCdEf",
            "ecs-preflight-secrets-app-b",
        ]
    );
}

fn logs_task(create: bool) -> Value {
    let mut td = task_definition();
    td["containerDefinitions"][0]["logConfiguration"] = json!({"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web",
        "awslogs-create-group": if create { "true" } else { "false" }}});
    td
}

fn logs_policy(create_resources: &[&str]) -> Value {
    let mut statements = vec![
        json!({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "*"}),
        json!({"Sid": "Streams", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/web:*"}),
    ];
    if !create_resources.is_empty() {
        statements.push(json!({"Sid": "Group", "Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": create_resources}));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[test]
fn create_log_group_on_either_arn_form() {
    let group = "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/web";
    let star = "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/web:*";
    // Streams allowed by `…:log-group:GROUP:*`, no group creation: nothing to say.
    let r = run(
        &logs_task(false),
        &state(vec![role("web-exec", logs_policy(&[]))]),
    );
    assert!(codes(&r).is_empty(), "{:#?}", r.diagnostics);
    // Allowed on the group ARN: allowed.
    for resources in [vec![group], vec![group, star]] {
        let r = run(
            &logs_task(true),
            &state(vec![role("web-exec", logs_policy(&resources))]),
        );
        assert!(codes(&r).is_empty(), "{resources:?}: {:#?}", r.diagnostics);
    }
    // Allowed only on `…:*`: undetermined, naming both forms.
    let r = run(
        &logs_task(true),
        &state(vec![role("web-exec", logs_policy(&[star]))]),
    );
    assert_eq!(codes(&r), ["ROLE011"], "{:#?}", r.diagnostics);
    let m = &only(&r, "ROLE011").message;
    assert!(
        m.contains(&format!("`{star}`")) && m.contains(&format!("`{group}`")),
        "{m}"
    );
    // Neither: ROLE008.
    let r = run(
        &logs_task(true),
        &state(vec![role("web-exec", logs_policy(&[]))]),
    );
    assert_eq!(codes(&r), ["ROLE008"], "{:#?}", r.diagnostics);
    assert!(
        only(&r, "ROLE008")
            .message
            .contains("may not create log group")
    );
}

#[test]
fn a_repository_deny_is_role006s_and_role005_names_the_roles_own_refusal() {
    let deny = json!({"Version": "2012-10-17", "Statement": [{"Sid": "NoExec", "Effect": "Deny",
        "Principal": {"AWS": EXEC}, "Action": "ecr:*"}]});
    let st = state_with_repository(vec![role("web-exec", auth_only())], Some(deny));
    let r = run(&task_definition(), &st);
    let m = &only(&r, "ROLE005").message;
    assert!(m.contains("no identity policy allows it"), "{m}");
    assert!(!m.contains("denied explicitly"), "{m}");
    assert!(only(&r, "ROLE006").message.contains("`NoExec`"));
}

/// Runs every ROLE rule on a CloudFormation template (no state: the template defines the
/// role, the secret and its key).
fn run_template(text: &str) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template.yaml");
    std::fs::write(&path, text).unwrap();
    run_role_rules(vec![path], Vec::new())
}

/// A template that creates a secret, its customer managed key (whose policy's only statement
/// allows `key_principal`) and the execution role (`role_name`: a `RoleName:` line, or empty for
/// a name generated at deploy time); the role's own policies allow the read and the decrypt.
fn secret_key_and_role(parameters: &str, key_principal: &str, role_name: &str) -> String {
    format!(
        r#"{parameters}Resources:
  DbKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: Admins
            Effect: Allow
            Principal:
              AWS: {key_principal}
            Action: kms:*
            Resource: "*"
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: prod/db
      KmsKeyId: !Ref DbKey
      GenerateSecretString: {{}}
  ExecRole:
    Type: AWS::IAM::Role
    Properties:
      {role_name}AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: ecs-tasks.amazonaws.com}}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - !Sub arn:${{AWS::Partition}}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
      Policies:
        - PolicyName: secrets
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [secretsmanager:GetSecretValue, kms:Decrypt]
                Resource: [!Ref DbSecret, !GetAtt DbKey.Arn]
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: web
      ExecutionRoleArn: !GetAtt ExecRole.Arn
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: "256"
      Memory: "512"
      ContainerDefinitions:
        - Name: web
          Image: public.ecr.aws/nginx/nginx:1.27
          Essential: true
          Secrets:
            - Name: DB_PASSWORD
              ValueFrom: !Ref DbSecret
"#
    )
}

/// The key policy's only statement names a principal given as a parameter without a default:
/// whether it is the execution role is known only at deploy time.
fn key_policy_from_parameter() -> String {
    secret_key_and_role(
        "Parameters:\n  KeyUserArn:\n    Type: String\n",
        "!Ref KeyUserArn",
        "RoleName: web-exec\n      ",
    )
}

/// The key policy allows only the account's administrators role by name, and the execution
/// role's name is generated at deploy time: it may be that role.
fn generated_role_name() -> String {
    secret_key_and_role(
        "",
        "!Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/admin",
        "",
    )
}

#[test]
fn a_template_key_policy_with_a_principal_from_a_parameter_is_undecided() {
    let r = run_template(&key_policy_from_parameter());
    assert_eq!(codes(&r), ["ROLE011"], "{:#?}", r.diagnostics);
    let m = &only(&r, "ROLE011").message;
    assert!(
        m.contains("kms:Decrypt") && m.contains("`Principal`"),
        "{m}"
    );
    assert!(m.contains("KeyUserArn"), "{m}");
}

#[test]
fn a_template_key_policy_naming_other_roles_is_undecided_for_a_generated_role_name() {
    let r = run_template(&generated_role_name());
    assert_eq!(codes(&r), ["ROLE011"], "{:#?}", r.diagnostics);
    let m = &only(&r, "ROLE011").message;
    assert!(
        m.contains("the role's name is generated at deploy time"),
        "{m}"
    );
    // Once the key policy names that role through the template, it is allowed.
    let named = generated_role_name().replace(
        "AWS: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/admin",
        "AWS: !GetAtt ExecRole.Arn",
    );
    let r = run_template(&named);
    assert!(codes(&r).is_empty(), "{:#?}", r.diagnostics);
}
