//! The parts of the account state a rule can read. Each rule declares the parts it needs
//! (`Rule::reads`), so that the live collector and the run summary can say which rules a
//! missing part leaves unchecked without keeping their own lists.

/// One section of the state snapshot format, or one list of the `ecr` section (the ECR lists
/// are read by different API calls, and one can fail while the others succeed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatePart {
    /// `iam`: roles and their policies.
    Iam,
    /// `ecr.repositories`: which repositories exist (and their settings).
    EcrRepositories,
    /// `ecr.imageDetails`: which tags and digests exist, scan results, push and pull times.
    EcrImageDetails,
    /// `ecr.images`: manifests (platforms).
    EcrImages,
    EcrRepositoryPolicies,
    EcrRegistryPolicy,
    EcrLifecyclePolicies,
    EcrPullThroughCacheRules,
    EcrRegistryScanningConfiguration,
    /// `ec2`: VPCs, subnets, route tables, endpoints, security groups.
    Ec2,
    /// `ecs.services`: where a task definition's service runs.
    EcsServices,
    /// `secretsmanager.secrets`: which secrets exist, their keys and versions.
    Secrets,
    /// `ssm.parameters`: which parameters exist, their types, keys and versions.
    Parameters,
    /// `kms.keys` and `kms.aliases`: key policies and grants.
    KmsKeys,
    /// `logs.logGroups`: which log groups exist.
    LogGroups,
    /// `s3.buckets` and `s3.objects`: buckets, their policies, which objects exist.
    S3,
}

impl StatePart {
    /// The ECR list of that name in the state format.
    pub fn ecr_list(name: &str) -> Option<StatePart> {
        Some(match name {
            "repositories" => StatePart::EcrRepositories,
            "imageDetails" => StatePart::EcrImageDetails,
            "images" => StatePart::EcrImages,
            "repositoryPolicies" => StatePart::EcrRepositoryPolicies,
            "registryPolicy" => StatePart::EcrRegistryPolicy,
            "lifecyclePolicies" => StatePart::EcrLifecyclePolicies,
            "pullThroughCacheRules" => StatePart::EcrPullThroughCacheRules,
            "registryScanningConfiguration" => StatePart::EcrRegistryScanningConfiguration,
            _ => return None,
        })
    }

    /// The top-level section of the state format it belongs to, for messages.
    pub fn section(self) -> &'static str {
        match self {
            StatePart::Iam => "iam",
            StatePart::Ec2 => "ec2",
            StatePart::EcsServices => "ecs",
            StatePart::Secrets => "secretsmanager",
            StatePart::Parameters => "ssm",
            StatePart::KmsKeys => "kms",
            StatePart::LogGroups => "logs",
            StatePart::S3 => "s3",
            _ => "ecr",
        }
    }

    /// Every part, for tests and for rules that read the whole registry.
    pub const ALL_ECR: &'static [StatePart] = &[
        StatePart::EcrRepositories,
        StatePart::EcrImageDetails,
        StatePart::EcrImages,
        StatePart::EcrRepositoryPolicies,
        StatePart::EcrRegistryPolicy,
        StatePart::EcrLifecyclePolicies,
        StatePart::EcrPullThroughCacheRules,
        StatePart::EcrRegistryScanningConfiguration,
    ];
}
