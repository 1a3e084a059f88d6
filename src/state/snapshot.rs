//! State snapshot files (`--state`): one JSON object per account and region, each section
//! exactly what the named AWS CLI command prints (docs/inputs.md#state-snapshots). A malformed
//! file is an IN003 error that points at the place in it.

use serde::de::DeserializeOwned;

use super::ec2::Ec2State;
use super::ecr::EcrSection;
use super::ecs::EcsState;
use super::iam::{IamSection, RoleEntry, read_role};
use super::kms::KmsSection;
use super::logs::LogsSection;
use super::s3::S3Section;
use super::secretsmanager::SecretsManagerSection;
use super::ssm::SsmSection;
use crate::diag::FileId;
use crate::parse::{self, Node, NodeKind};
use crate::source::SourceFile;
use crate::span::Span;

/// The format version this build reads.
pub const FORMAT_VERSION: u64 = 1;

/// One state file, read.
#[derive(Debug)]
pub struct Snapshot {
    /// The file's id in the report (state files come first).
    pub file: FileId,
    pub account_id: String,
    pub region: String,
    /// The parsed file, for pointing at policy statements in it.
    pub root: Node,
    /// None: the section is absent, so unknown.
    pub iam: Option<IamSection>,
    /// The roles of `iam.RoleDetailList`, read while the file was parsed (the tree keeps a
    /// null in place of each); the IAM index takes them.
    pub roles: Vec<RoleEntry>,
    pub ecr: Option<EcrSection>,
    pub ec2: Option<Ec2State>,
    pub ecs: Option<EcsState>,
    pub secretsmanager: Option<SecretsManagerSection>,
    pub ssm: Option<SsmSection>,
    pub kms: Option<KmsSection>,
    pub logs: Option<LogsSection>,
    pub s3: Option<S3Section>,
}

/// A problem in a state file, at a place in it.
#[derive(Debug)]
pub struct StateError {
    pub span: Span,
    pub message: String,
}

pub fn load(file: &SourceFile, id: FileId) -> Result<Snapshot, StateError> {
    // Roles are read one at a time as the parser meets them, so that a state file of
    // 100,000 roles is never held as one tree.
    let mut roles = Vec::new();
    let root = parse::json::parse_taking(
        &file.text,
        &["iam", "RoleDetailList"],
        &mut |index, node| {
            let role = read_role(&node, index, &file.text, id)
                .map_err(|e| parse::ParseError::new(e.message, e.span))?;
            roles.push(role);
            Ok(())
        },
    )
    .map_err(|e| StateError {
        span: e.span,
        message: e.message,
    })?;
    let top = Span {
        start: root.span.start,
        end: root.span.start + 1,
    };
    if !root.is_object() {
        return Err(StateError {
            span: root.span,
            message: "a state file is a JSON object (see the README for the format)".into(),
        });
    }
    match root.get("ecsPreflightState") {
        None => {
            return Err(StateError {
                span: top,
                message: "not an ecs-preflight state file: `\"ecsPreflightState\": 1` is missing"
                    .into(),
            });
        }
        Some(v) if v.kind != NodeKind::Number(FORMAT_VERSION.to_string()) => {
            return Err(StateError {
                span: v.span,
                message: format!(
                    "unknown state format version {}; this version of ecs-preflight reads version {FORMAT_VERSION}",
                    v.scalar_text().unwrap_or_default()
                ),
            });
        }
        Some(_) => {}
    }
    let account_id = match root.get("accountId") {
        Some(n) => match n.as_str() {
            Some(a) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => a.to_string(),
            _ => {
                return Err(StateError {
                    span: n.span,
                    message: "`accountId` must be a 12-digit account ID in a string".into(),
                });
            }
        },
        None => {
            return Err(StateError {
                span: top,
                message: "`accountId` is missing".into(),
            });
        }
    };
    let region = match root.get("region") {
        Some(n) => match n.as_str() {
            Some(r) if !r.is_empty() => r.to_string(),
            _ => {
                return Err(StateError {
                    span: n.span,
                    message: "`region` must be a region name in a string, e.g. \"us-east-1\""
                        .into(),
                });
            }
        },
        None => {
            return Err(StateError {
                span: top,
                message: "`region` is missing".into(),
            });
        }
    };
    const TOP: &[&str] = &[
        "ecsPreflightState",
        "accountId",
        "region",
        "iam",
        "ecr",
        "ec2",
        "ecs",
        "secretsmanager",
        "ssm",
        "kms",
        "logs",
        "s3",
    ];
    unknown_keys(&root, "", TOP, &[])?;
    for (key, read, printed) in SECTION_KEYS {
        if let Some(section) = root.get(key).filter(|n| n.is_object()) {
            unknown_keys(section, key, read, printed)?;
        }
    }
    let iam = section::<IamSection>(&root, "iam")?;
    // With a key given twice the last one counts: only the roles of the list that counts.
    let list = root
        .get("iam")
        .and_then(|n| n.get("RoleDetailList"))
        .map(|n| n.span);
    roles.retain(|r: &RoleEntry| {
        let place = r.place.map(|(_, span)| span).unwrap_or_default();
        list.is_some_and(|l| l.start <= place.start && place.end <= l.end)
    });
    let ec2 = section::<Ec2State>(&root, "ec2")?;
    let ecs = section::<EcsState>(&root, "ecs")?;
    let secretsmanager = section::<SecretsManagerSection>(&root, "secretsmanager")?;
    let ssm = section::<SsmSection>(&root, "ssm")?;
    let kms = section::<KmsSection>(&root, "kms")?;
    let logs = section::<LogsSection>(&root, "logs")?;
    let s3 = section::<S3Section>(&root, "s3")?;
    let ecr = match root.get("ecr").filter(|n| !n.is_null()) {
        None => None,
        Some(node) => match EcrSection::from_value(&node.to_json(), "ecr") {
            Ok(s) => Some(s),
            Err(errors) => {
                let first = errors.into_iter().next();
                let (path, message) = first.map(|e| (e.path, e.message)).unwrap_or_default();
                return Err(StateError {
                    span: span_at(&root, &path),
                    message: format!("{path}: {message}"),
                });
            }
        },
    };
    Ok(Snapshot {
        file: id,
        account_id,
        region,
        root,
        iam,
        roles,
        ecr,
        ec2,
        ecs,
        secretsmanager,
        ssm,
        kms,
        logs,
        s3,
    })
}

/// The keys of each section: those read, and those the AWS CLI command named for the section
/// prints besides (accepted and ignored, so that its output can be pasted as it is).
const SECTION_KEYS: &[(&str, &[&str], &[&str])] = &[
    (
        "iam",
        &["RoleDetailList", "Policies"],
        // aws iam get-account-authorization-details
        &[
            "UserDetailList",
            "GroupDetailList",
            "IsTruncated",
            "Marker",
            "NextToken",
            "ResponseMetadata",
        ],
    ),
    (
        "ecr",
        &[
            "repositories",
            "imageDetails",
            "images",
            "repositoryPolicies",
            "lifecyclePolicies",
            "pullThroughCacheRules",
            "registryPolicy",
            "registryScanningConfiguration",
        ],
        &[],
    ),
    (
        "ec2",
        &[
            "Vpcs",
            "VpcAttributes",
            "Subnets",
            "RouteTables",
            "VpcEndpoints",
            "SecurityGroups",
            "NatGateways",
            "PrefixLists",
        ],
        // the describe-* commands' paging and metadata
        &["NextToken", "ResponseMetadata"],
    ),
    (
        "ecs",
        &["services"],
        // aws ecs describe-services
        &["failures", "ResponseMetadata"],
    ),
    // The sections below are composed from several commands' outputs (see docs/inputs.md);
    // their own keys are the only ones.
    ("secretsmanager", &["secrets"], &[]),
    ("ssm", &["parameters"], &[]),
    ("kms", &["keys", "aliases"], &[]),
    ("logs", &["logGroups"], &[]),
    ("s3", &["buckets", "objects"], &[]),
];

/// An unknown key is an error (a typo must not leave a section silently empty), with the
/// nearest valid name when there is one.
fn unknown_keys(
    node: &Node,
    section: &str,
    read: &[&str],
    printed: &[&str],
) -> Result<(), StateError> {
    for m in node.members() {
        let key = m.key.as_str();
        if read.contains(&key) || printed.contains(&key) {
            continue;
        }
        let place = if section.is_empty() {
            "a state file".to_string()
        } else {
            format!("`{section}`")
        };
        let names = read
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let message = match crate::base::spelling::did_you_mean(key, read.iter().copied()) {
            Some(meant) => format!(
                "unknown key `{key}` in {place}; did you mean `{meant}`? ({place} has {names})"
            ),
            None => format!("unknown key `{key}` in {place}, which has {names}"),
        };
        return Err(StateError {
            span: m.key_span,
            message,
        });
    }
    Ok(())
}

/// A section read with serde; a type error points at the value by its path.
fn section<T: DeserializeOwned>(root: &Node, key: &str) -> Result<Option<T>, StateError> {
    let Some(node) = root.get(key).filter(|n| !n.is_null()) else {
        return Ok(None);
    };
    if !node.is_object() {
        return Err(StateError {
            span: node.span,
            message: format!("`{key}` must be an object, found {}", node.type_name()),
        });
    }
    // Read from the tree itself: no `serde_json::Value` copy of the section.
    serde_path_to_error::deserialize::<_, T>(node)
        .map(Some)
        .map_err(|e| {
            let path = format!("{key}.{}", e.path());
            StateError {
                span: span_at(root, &path),
                message: format!("{path}: {}", e.inner()),
            }
        })
}

/// The span of the value at a path like `ecr.imageDetails[3].imagePushedAt` (as far as it
/// exists).
pub fn span_at(root: &Node, path: &str) -> Span {
    let mut node = root;
    for part in path.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            match node.get(key) {
                Some(n) => node = n,
                None => break,
            }
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            match index
                .trim_end_matches(']')
                .parse::<usize>()
                .ok()
                .and_then(|i| node.items().get(i))
            {
                Some(n) => node = n,
                None => return node.span,
            }
        }
    }
    node.span
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Snapshot, (String, String)> {
        let file = SourceFile::new("state.json".into(), "state.json".into(), text.to_string());
        load(&file, 0).map_err(|e| (file.slice(e.span).to_string(), e.message))
    }

    #[test]
    fn reads_sections_and_keeps_absent_apart_from_empty() {
        let s = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "iam": {"RoleDetailList": []}, "ec2": {"Subnets": []}}"#,
        )
        .unwrap();
        assert_eq!(s.account_id, "111122223333");
        assert!(
            s.iam
                .as_ref()
                .unwrap()
                .role_detail_list
                .as_ref()
                .unwrap()
                .is_empty()
        );
        assert!(s.iam.as_ref().unwrap().policies.is_none());
        assert!(s.ecr.is_none());
        assert!(s.ec2.as_ref().unwrap().vpcs.is_none());
    }

    #[test]
    fn unknown_keys_are_errors_with_the_nearest_name() {
        let (at, msg) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "iam": {"RoleDetailsList": []}}"#,
        )
        .unwrap_err();
        assert_eq!(at, "\"RoleDetailsList\"");
        assert!(msg.contains("did you mean `RoleDetailList`?"), "{msg}");
        let (at, msg) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "ec2": {"Subnet": []}}"#,
        )
        .unwrap_err();
        assert_eq!(at, "\"Subnet\"");
        assert!(msg.contains("did you mean `Subnets`?"), "{msg}");
        let (_, msg) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "ecs": {"services": [], "clusters": []}}"#,
        )
        .unwrap_err();
        assert!(msg.contains("unknown key `clusters` in `ecs`"), "{msg}");
        let (_, msg) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1", "Iam": {}}"#,
        )
        .unwrap_err();
        assert!(msg.contains("did you mean `iam`?"), "{msg}");
    }

    #[test]
    fn keys_the_cli_prints_are_accepted() {
        let s = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "iam": {"RoleDetailList": [], "UserDetailList": [], "GroupDetailList": [], "Policies": [], "IsTruncated": false},
            "ecs": {"services": [], "failures": []},
            "ec2": {"Subnets": [], "NextToken": null}}"#,
        )
        .unwrap();
        assert!(s.iam.is_some() && s.ecs.is_some() && s.ec2.is_some());
    }

    #[test]
    fn errors_point_into_the_file() {
        let (at, msg) = load_text(
            r#"{"ecsPreflightState": 2, "accountId": "111122223333", "region": "us-east-1"}"#,
        )
        .unwrap_err();
        assert_eq!(at, "2");
        assert!(msg.contains("version"));
        let (at, msg) = load_text(r#"{"accountId": "111122223333"}"#).unwrap_err();
        assert_eq!(at, "{");
        assert!(msg.contains("ecsPreflightState"));
        let (at, _) =
            load_text(r#"{"ecsPreflightState": 1, "accountId": "1111", "region": "us-east-1"}"#)
                .unwrap_err();
        assert_eq!(at, "\"1111\"");
        let (at, msg) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "ec2": {"Subnets": [{"SubnetId": "subnet-1"}, {"SubnetId": 7}]}}"#,
        )
        .unwrap_err();
        assert_eq!(at, "7", "{msg}");
        assert!(msg.starts_with("ec2.Subnets[1].SubnetId"), "{msg}");
        let (at, _) = load_text(r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "ecr": {"imageDetails": [{"repositoryName": "web", "imageDigest": "sha256:00", "imagePushedAt": "yesterday"}]}}"#)
        .unwrap_err();
        assert_eq!(at, "\"yesterday\"");
        let (at, msg) = load_text(r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1", "eks": {}}"#).unwrap_err();
        assert_eq!(at, "\"eks\"");
        assert!(msg.contains("unknown key"));
        let (_, msg) = load_text("{\"ecsPreflightState\": 1,").unwrap_err();
        assert!(msg.contains("end of file"));
    }

    #[test]
    fn reads_the_reference_sections_and_points_at_wrong_types() {
        let s = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "secretsmanager": {"secrets": [{"ARN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf", "Name": "db",
                "SecretVersionsToStages": {"v1": ["AWSCURRENT"]}, "DeletedDate": "2026-01-01T00:00:00Z"}]},
            "ssm": {"parameters": []},
            "kms": {"keys": [{"KeyMetadata": {"KeyId": "k1", "KeyManager": "CUSTOMER"}, "Policy": "{not json"}]},
            "logs": {"logGroups": [{"logGroupName": "/ecs/web"}]},
            "s3": {"buckets": [{"Name": "b", "Region": null, "Policy": null}, {"Name": "c"}], "objects": []}}"#,
        )
        .unwrap();
        let secret = &s.secretsmanager.as_ref().unwrap().secrets.as_ref().unwrap()[0];
        assert!(secret.scheduled_for_deletion());
        assert!(
            s.ssm
                .as_ref()
                .unwrap()
                .parameters
                .as_ref()
                .unwrap()
                .is_empty()
        );
        let buckets = s.s3.as_ref().unwrap().buckets.as_ref().unwrap();
        // A `Policy` of null is "no policy"; an absent one is unknown.
        assert_eq!(buckets[0].policy, Some(None));
        assert_eq!(buckets[1].policy, None);
        assert!(s.kms.as_ref().unwrap().aliases.is_none());

        let (at, msg) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "logs": {"logGroups": [{"logGroupName": 7}]}}"#,
        )
        .unwrap_err();
        assert_eq!(at, "7", "{msg}");
        assert!(msg.starts_with("logs.logGroups[0].logGroupName"), "{msg}");
        let (at, _) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "kms": []}"#,
        )
        .unwrap_err();
        assert_eq!(at, "[]");
        let (at, msg) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "ssm": {"parameters": [{"Name": "/a", "Version": "two"}]}}"#,
        )
        .unwrap_err();
        assert_eq!(at, "\"two\"", "{msg}");
    }

    #[test]
    fn roles_are_read_as_parsed_and_only_from_the_list_that_counts() {
        let s = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "iam": {"RoleDetailList": [{"RoleName": "old", "Arn": "arn:aws:iam::111122223333:role/old"}]},
            "iam": {"RoleDetailList": [{"RoleName": "a", "Arn": "arn:aws:iam::111122223333:role/a"},
                                       {"RoleName": "b", "Arn": "arn:aws:iam::111122223333:role/b"}]}}"#,
        )
        .unwrap();
        let names: Vec<_> = s.roles.iter().filter_map(|r| r.name.as_deref()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(s.iam.unwrap().role_detail_list.unwrap().len(), 2);
        // A type error inside a role points at the value, with its path.
        let (at, msg) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "iam": {"RoleDetailList": [{"RoleName": "a", "Arn": "arn:aws:iam::111122223333:role/a", "Tags": [{"Key": 5}]}]}}"#,
        )
        .unwrap_err();
        assert_eq!(at, "5");
        assert!(
            msg.starts_with("iam.RoleDetailList[0].Tags[0].Key: "),
            "{msg}"
        );
        let (at, _) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "iam": {"RoleDetailList": {}}}"#,
        )
        .unwrap_err();
        assert_eq!(at, "{}");
    }

    #[test]
    fn a_role_without_arn_is_invalid_state_at_the_role() {
        let (at, msg) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "iam": {"RoleDetailList": [{"RoleName": "a", "Arn": "arn:aws:iam::111122223333:role/a"}, {"RoleName": "web-exec", "Path": "/"}]}}"#,
        )
        .unwrap_err();
        assert_eq!(at, r#"{"RoleName": "web-exec", "Path": "/"}"#);
        assert!(
            msg.starts_with("iam.RoleDetailList[1]: the role `web-exec` has no `Arn`"),
            "{msg}"
        );
        let (at, _) = load_text(
            r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1",
            "iam": {"RoleDetailList": [{"RoleName": "web-exec", "Arn": ""}]}}"#,
        )
        .unwrap_err();
        assert_eq!(at, r#"{"RoleName": "web-exec", "Arn": ""}"#);
    }
}
