//! What the user chose for this run: where the deployment goes, where the task runs, and policy
//! choices. Read by the state layer (to resolve templates), the engines and the rules; it
//! depends on nothing above `base`.

/// Settings rules read: where the deployment goes and the user's policy choices.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub region: Option<String>,
    /// Where the region came from, for messages ("--region", "ecs-preflight.toml", …).
    pub region_source: Option<String>,
    pub account: Option<String>,
    /// Set when `account` is only the fallback taken from the only state file (which ranks
    /// below the account of the task definition's role ARNs); None when the user gave it.
    pub account_source: Option<String>,
    pub require_digest: bool,
    /// Where the task runs, from the command line (these override every file).
    pub network: NetworkFlags,
    /// `[vulnerabilities]` thresholds for ECR005: finding severities (CRITICAL, HIGH, …) at or
    /// above which the rule reports an error / a warning.
    pub vulnerabilities_error_on: Option<VulnerabilityLevel>,
    pub vulnerabilities_warn_on: Option<VulnerabilityLevel>,
    /// The moment lifecycle policies are evaluated at (ECR004, ECR010); `None` = the clock.
    /// Set by tests so that time-based verdicts are reproducible.
    pub now: Option<crate::base::timestamp::Timestamp>,
}

/// `--subnets`, `--security-groups`, `--assign-public-ip`, `--launch-type`.
#[derive(Clone, Debug, Default)]
pub struct NetworkFlags {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    /// Some(true) for ENABLED.
    pub assign_public_ip: Option<bool>,
    pub launch_type: Option<LaunchType>,
}

/// Where a task runs: it decides which network interface pulls the image and which role
/// rules apply. `--launch-type` takes the first two; the others come from services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum LaunchType {
    Fargate,
    Ec2,
    /// ECS Anywhere: the on-premises network, not evaluated.
    #[value(skip)]
    External,
    #[value(skip)]
    Unknown,
}

impl LaunchType {
    /// Reads `launchType` (`FARGATE` | `EC2` | `EXTERNAL`).
    pub fn from_aws(value: Option<&str>) -> LaunchType {
        match value {
            Some(v) if v.eq_ignore_ascii_case("FARGATE") => LaunchType::Fargate,
            Some(v) if v.eq_ignore_ascii_case("EC2") => LaunchType::Ec2,
            Some(v) if v.eq_ignore_ascii_case("EXTERNAL") => LaunchType::External,
            _ => LaunchType::Unknown,
        }
    }
}

/// The lowest severity that makes the exit code 1 (`--fail-on`, config `fail-on`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

/// An ECR scan finding severity, as ECR names them, for the `[vulnerabilities]` thresholds;
/// `NONE` turns a threshold off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VulnerabilityLevel {
    Undefined,
    Informational,
    Low,
    Medium,
    High,
    Critical,
    None,
}

impl VulnerabilityLevel {
    /// The name ECR gives it in `findingSeverityCounts`.
    pub fn as_str(self) -> &'static str {
        match self {
            VulnerabilityLevel::Undefined => "UNDEFINED",
            VulnerabilityLevel::Informational => "INFORMATIONAL",
            VulnerabilityLevel::Low => "LOW",
            VulnerabilityLevel::Medium => "MEDIUM",
            VulnerabilityLevel::High => "HIGH",
            VulnerabilityLevel::Critical => "CRITICAL",
            VulnerabilityLevel::None => "NONE",
        }
    }
}
