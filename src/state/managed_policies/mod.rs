//! AWS managed IAM policies shipped with the tool as data.
//!
//! A role that attaches an AWS managed policy by ARN says nothing in the state snapshot about what
//! that policy allows, unless the snapshot also carries the policy's default version. This table
//! is the fallback for that case: a dated copy of the default version of the few managed policies
//! that decide whether an ECS task can pull its image, read its secrets and write its logs.
//!
//! The documents are AWS's data, copied from the snapshot that the PyPI package `moto` bundles
//! (see SOURCES.md beside this file for the exact version, file and how to reproduce the copy).
//! AWS adds permissions to managed policies over time, so a caller that uses one of these
//! documents should say which version and date it relied on (`version_id`, `version_date`).
//! The documents are those of the `aws` partition: a resource ARN inside a document reads
//! `arn:aws:...` even when the policy is found through an `aws-cn` or `aws-us-gov` ARN.

/// One AWS managed policy, as its default version stood on `version_date`.
#[derive(Debug)]
pub struct ManagedPolicy {
    /// The policy name, e.g. "AmazonECSTaskExecutionRolePolicy".
    pub name: &'static str,
    /// The ARN's resource part after "policy/": the IAM path without its leading "/" followed
    /// by the name, e.g. "service-role/AmazonECSTaskExecutionRolePolicy" or "AdministratorAccess".
    pub arn_path: &'static str,
    /// The default version id in the source, e.g. "v1".
    pub version_id: &'static str,
    /// When that version became the default (the source's `UpdateDate`, RFC 3339).
    pub version_date: &'static str,
    /// The policy document of the default version, JSON text.
    pub document: &'static str,
    /// Where the document came from: package, version and file.
    pub source: &'static str,
}

impl ManagedPolicy {
    /// The policy's ARN in the given partition ("aws", "aws-cn", "aws-us-gov", ...).
    pub fn arn(&self, partition: &str) -> String {
        format!("arn:{partition}:iam::aws:policy/{}", self.arn_path)
    }
}

/// Every document below comes from this file of this package.
const MOTO_SOURCE: &str = "PyPI moto 5.2.5, moto/iam/aws_managed_policies.py";

static POLICIES: [ManagedPolicy; 12] = [
    ManagedPolicy {
        name: "AmazonECSTaskExecutionRolePolicy",
        arn_path: "service-role/AmazonECSTaskExecutionRolePolicy",
        version_id: "v1",
        version_date: "2017-11-16T18:48:22+00:00",
        document: include_str!("AmazonECSTaskExecutionRolePolicy.json"),
        source: MOTO_SOURCE,
    },
    ManagedPolicy {
        name: "AmazonEC2ContainerServiceforEC2Role",
        arn_path: "service-role/AmazonEC2ContainerServiceforEC2Role",
        version_id: "v10",
        version_date: "2026-02-12T17:59:52+00:00",
        document: include_str!("AmazonEC2ContainerServiceforEC2Role.json"),
        source: MOTO_SOURCE,
    },
    ManagedPolicy {
        name: "AmazonEC2ContainerRegistryReadOnly",
        arn_path: "AmazonEC2ContainerRegistryReadOnly",
        version_id: "v3",
        version_date: "2019-12-10T20:56:32+00:00",
        document: include_str!("AmazonEC2ContainerRegistryReadOnly.json"),
        source: MOTO_SOURCE,
    },
    ManagedPolicy {
        name: "AmazonEC2ContainerRegistryPullOnly",
        arn_path: "AmazonEC2ContainerRegistryPullOnly",
        version_id: "v1",
        version_date: "2024-10-04T16:58:49+00:00",
        document: include_str!("AmazonEC2ContainerRegistryPullOnly.json"),
        source: MOTO_SOURCE,
    },
    ManagedPolicy {
        name: "AmazonEC2ContainerRegistryPowerUser",
        arn_path: "AmazonEC2ContainerRegistryPowerUser",
        version_id: "v3",
        version_date: "2019-12-10T20:48:08+00:00",
        document: include_str!("AmazonEC2ContainerRegistryPowerUser.json"),
        source: MOTO_SOURCE,
    },
    ManagedPolicy {
        name: "AmazonEC2ContainerRegistryFullAccess",
        arn_path: "AmazonEC2ContainerRegistryFullAccess",
        version_id: "v3",
        version_date: "2020-12-05T00:04:19+00:00",
        document: include_str!("AmazonEC2ContainerRegistryFullAccess.json"),
        source: MOTO_SOURCE,
    },
    ManagedPolicy {
        name: "AdministratorAccess",
        arn_path: "AdministratorAccess",
        version_id: "v1",
        version_date: "2015-02-06T18:39:46+00:00",
        document: include_str!("AdministratorAccess.json"),
        source: MOTO_SOURCE,
    },
    ManagedPolicy {
        name: "PowerUserAccess",
        arn_path: "PowerUserAccess",
        version_id: "v12",
        version_date: "2026-02-12T17:59:14+00:00",
        document: include_str!("PowerUserAccess.json"),
        source: MOTO_SOURCE,
    },
    ManagedPolicy {
        name: "ReadOnlyAccess",
        arn_path: "ReadOnlyAccess",
        version_id: "v190",
        version_date: "2026-09-24T17:37:08+00:00",
        document: include_str!("ReadOnlyAccess.json"),
        source: MOTO_SOURCE,
    },
    ManagedPolicy {
        name: "CloudWatchLogsFullAccess",
        arn_path: "CloudWatchLogsFullAccess",
        version_id: "v8",
        version_date: "2026-02-12T18:00:33+00:00",
        document: include_str!("CloudWatchLogsFullAccess.json"),
        source: MOTO_SOURCE,
    },
    ManagedPolicy {
        name: "SecretsManagerReadWrite",
        arn_path: "SecretsManagerReadWrite",
        version_id: "v6",
        version_date: "2026-08-25T23:37:10+00:00",
        document: include_str!("SecretsManagerReadWrite.json"),
        source: MOTO_SOURCE,
    },
    ManagedPolicy {
        name: "AmazonSSMReadOnlyAccess",
        arn_path: "AmazonSSMReadOnlyAccess",
        version_id: "v1",
        version_date: "2015-05-29T17:44:19+00:00",
        document: include_str!("AmazonSSMReadOnlyAccess.json"),
        source: MOTO_SOURCE,
    },
];

/// Every managed policy the tool ships.
pub fn all() -> &'static [ManagedPolicy] {
    &POLICIES
}

/// The shipped policy with this ARN, in any partition; None for any other ARN.
///
/// Accepts `arn:<partition>:iam::aws:policy/<path><name>`, where the partition is "aws" or starts
/// with "aws-" (aws-cn, aws-us-gov, aws-iso, ...). The match is exact and case-sensitive, as IAM
/// compares ARNs: a customer-managed policy with the same name has the account id instead of
/// "aws" and is not found here.
pub fn find(arn: &str) -> Option<&'static ManagedPolicy> {
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    if !is_partition(partition) {
        return None;
    }
    let arn_path = rest.strip_prefix("iam::aws:policy/")?;
    POLICIES.iter().find(|policy| policy.arn_path == arn_path)
}

/// Partitions are "aws" and "aws-<suffix>"; the suffix list grows, so only its shape is checked.
fn is_partition(partition: &str) -> bool {
    match partition.strip_prefix("aws") {
        Some("") => true,
        Some(suffix) => match suffix.strip_prefix('-') {
            Some(tail) => {
                !tail.is_empty()
                    && tail
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            }
            None => false,
        },
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const PARTITIONS: [&str; 5] = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"];

    #[test]
    fn every_document_is_a_policy_with_statements() {
        for policy in all() {
            let doc: Value = serde_json::from_str(policy.document)
                .unwrap_or_else(|e| panic!("{}: not JSON: {e}", policy.name));
            assert_eq!(doc["Version"], "2012-10-17", "{}", policy.name);
            let statements = doc["Statement"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: Statement is not an array", policy.name));
            assert!(!statements.is_empty(), "{}", policy.name);
            for statement in statements {
                let effect = statement["Effect"].as_str();
                assert!(
                    effect == Some("Allow") || effect == Some("Deny"),
                    "{}: {statement}",
                    policy.name
                );
            }
        }
    }

    #[test]
    fn names_paths_and_versions_are_consistent() {
        let mut names: Vec<&str> = all().iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all().len(), "duplicate policy names");
        for policy in all() {
            assert!(
                policy.arn_path == policy.name
                    || policy.arn_path.ends_with(&format!("/{}", policy.name)),
                "{}: arn_path {}",
                policy.name,
                policy.arn_path
            );
            assert!(!policy.arn_path.starts_with('/'), "{}", policy.name);
            let number = policy.version_id.strip_prefix('v').unwrap_or("");
            assert!(
                !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
                "{}: version {}",
                policy.name,
                policy.version_id
            );
            assert!(policy.source.contains("moto"), "{}", policy.name);
        }
    }

    #[test]
    fn find_returns_each_policy_in_every_partition() {
        for policy in all() {
            for partition in PARTITIONS {
                let arn = policy.arn(partition);
                let found = find(&arn).unwrap_or_else(|| panic!("not found: {arn}"));
                assert_eq!(found.name, policy.name, "{arn}");
            }
        }
    }

    #[test]
    fn find_knows_the_exact_service_role_arns() {
        let exec = find("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy");
        assert_eq!(exec.map(|p| p.version_id), Some("v1"));
        let ec2 =
            find("arn:aws-cn:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role");
        assert_eq!(
            ec2.map(|p| p.name),
            Some("AmazonEC2ContainerServiceforEC2Role")
        );
        let admin = find("arn:aws-us-gov:iam::aws:policy/AdministratorAccess");
        assert_eq!(admin.map(|p| p.name), Some("AdministratorAccess"));
    }

    #[test]
    fn execution_role_policy_allows_the_pull_and_log_actions() {
        let policy = find("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy");
        let doc: Value = serde_json::from_str(policy.map(|p| p.document).unwrap_or("null"))
            .unwrap_or(Value::Null);
        let actions: Vec<&str> = doc["Statement"][0]["Action"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            actions,
            [
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ]
        );
        assert_eq!(doc["Statement"][0]["Resource"], "*");
    }

    #[test]
    fn unknown_or_malformed_arns_are_not_found() {
        let not_found = [
            "",
            "AdministratorAccess",
            "policy/AdministratorAccess",
            // Customer-managed policy with the same name: account id instead of "aws".
            "arn:aws:iam::123456789012:policy/AdministratorAccess",
            // Missing or wrong path.
            "arn:aws:iam::aws:policy/AmazonECSTaskExecutionRolePolicy",
            "arn:aws:iam::aws:policy/service-role/AdministratorAccess",
            "arn:aws:iam::aws:policy//AdministratorAccess",
            // Not a policy, or not IAM.
            "arn:aws:iam::aws:role/AdministratorAccess",
            "arn:aws:sts::aws:policy/AdministratorAccess",
            "arn:aws:iam:us-east-1:aws:policy/AdministratorAccess",
            // Unknown policy, wrong case, trailing junk.
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            "arn:aws:iam::aws:policy/administratoraccess",
            "arn:aws:iam::aws:policy/AdministratorAccess ",
            "arn:aws:iam::aws:policy/AdministratorAccess/",
            // Not a partition.
            "arn::iam::aws:policy/AdministratorAccess",
            "arn:gcp:iam::aws:policy/AdministratorAccess",
            "arn:aws-:iam::aws:policy/AdministratorAccess",
            "arn:awscn:iam::aws:policy/AdministratorAccess",
            "arn:AWS:iam::aws:policy/AdministratorAccess",
            "ARN:aws:iam::aws:policy/AdministratorAccess",
        ];
        for arn in not_found {
            assert!(find(arn).is_none(), "should not be found: {arn:?}");
        }
    }
}
