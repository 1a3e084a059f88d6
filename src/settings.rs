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
    pub vulnerabilities_error_on: Option<String>,
    pub vulnerabilities_warn_on: Option<String>,
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
    /// "FARGATE" or "EC2".
    pub launch_type: Option<String>,
}
