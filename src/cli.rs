//! Command-line arguments (clap). Parsing only: `app.rs` turns them into a run.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A value of a repeatable option and its place among the values of the options that share an
/// order (`--var-file` and `--var`: Terraform applies them in command-line order, and clap keeps
/// the order of each option only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InOrder<T> {
    pub seq: u64,
    pub value: T,
}

/// clap parses values in command-line order: a counter numbers them.
static NEXT_IN_ORDER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn in_order<T: From<String>>(value: &str) -> Result<InOrder<T>, String> {
    Ok(InOrder {
        seq: NEXT_IN_ORDER.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        value: T::from(value.to_string()),
    })
}

/// `--version`: the version and the cargo features this binary was built with, so that a user
/// can tell the full tool from the offline build (which cannot read the live account).
#[cfg(feature = "aws")]
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (features: aws)");
#[cfg(not(feature = "aws"))]
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (features: none; offline build without live AWS support)"
);

#[derive(Parser, Debug)]
#[command(
    name = "ecs-preflight",
    version = VERSION,
    about = "Checks, before you deploy, that ECS tasks will be able to pull and start their container images",
    long_about = None,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint task definitions, CloudFormation templates and Terraform plans (files or folders)
    Check(Box<CheckArgs>),
    /// Capture live account state into a state file (needs AWS credentials)
    // The offline build has no live collector: the command is hidden, and using it says so.
    #[cfg_attr(not(feature = "aws"), command(hide = true))]
    Snapshot(SnapshotArgs),
    /// List every rule: code, name, default severity, summary
    Rules,
    /// Print a rule's documentation
    Explain {
        /// A rule code (IMG002) or name (latest-tag)
        rule: String,
    },
    /// Print a shell completion script
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page, or write one page per command into a folder
    Man {
        /// Write ecs-preflight.1 and a page per subcommand (ecs-preflight-check.1, …) into DIR
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Args, Debug, Default)]
pub struct CheckArgs {
    /// Files and folders to check (default: the current folder); `-` reads standard input
    pub paths: Vec<PathBuf>,
    /// The name of standard input (`-`), for positions, config lookup and per-file ignores
    /// [default: <stdin>]
    #[arg(long = "stdin-filename", value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// Skip named files that are not ECS inputs instead of failing (for pre-commit)
    #[arg(long = "skip-unrecognized")]
    pub skip_unrecognized: bool,
    /// Exit 0 when no ECS input was found (default: exit 2, a gate that checked nothing)
    #[arg(long = "allow-empty")]
    pub allow_empty: bool,
    /// Check CONTAINER with IMAGE instead of the image the file names (repeatable)
    #[arg(long = "image", value_name = "CONTAINER=IMAGE")]
    pub image: Vec<String>,
    /// Account state snapshot (repeatable; one per account and region)
    #[arg(long = "state", value_name = "FILE")]
    pub state: Vec<PathBuf>,
    /// Read account state live with the AWS SDK
    #[arg(long)]
    #[cfg_attr(not(feature = "aws"), arg(hide = true))]
    pub aws: bool,
    /// With --aws: take network configuration and launch type from this cluster's services
    #[arg(long, value_name = "NAME")]
    #[cfg_attr(not(feature = "aws"), arg(hide = true))]
    pub cluster: Option<String>,
    /// AWS profile for --aws
    #[arg(long, value_name = "NAME")]
    #[cfg_attr(not(feature = "aws"), arg(hide = true))]
    pub profile: Option<String>,
    /// The deployment region
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The deployment account ID
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Terraform: a variables file for root modules (repeatable; with --var, applied in
    /// command-line order, later wins)
    #[arg(long = "var-file", value_name = "FILE", value_parser = in_order::<PathBuf>)]
    pub var_file: Vec<InOrder<PathBuf>>,
    /// Terraform: a root-module variable value, NAME=VALUE (repeatable; with --var-file,
    /// applied in command-line order, later wins)
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = in_order::<String>)]
    pub var: Vec<InOrder<String>>,
    /// An ECS service definition (create-service input or describe-services output)
    #[arg(long, value_name = "FILE")]
    pub service: Option<PathBuf>,
    /// Subnets the task runs in (comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub subnets: Vec<String>,
    /// Security groups of the task (comma-separated)
    #[arg(long = "security-groups", value_delimiter = ',', value_name = "IDS")]
    pub security_groups: Vec<String>,
    /// Whether the task gets a public IP
    #[arg(long = "assign-public-ip", value_name = "ENABLED|DISABLED")]
    pub assign_public_ip: Option<AssignPublicIp>,
    /// Launch type of the task
    #[arg(long = "launch-type", value_name = "FARGATE|EC2")]
    pub launch_type: Option<LaunchType>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// SARIF category (`runs[0].automationDetails.id`), so uploads for several accounts or
    /// environments do not replace each other [default: ecs-preflight/]
    #[arg(long = "sarif-category", value_name = "NAME")]
    pub sarif_category: Option<String>,
    /// No summary line on stderr
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Report only findings not in this baseline file
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the current findings to FILE as a baseline
    #[arg(long = "write-baseline", value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1 [default: error]
    #[arg(long = "fail-on", value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
    /// Rules to run: codes, code prefixes (NET) or names (latest-tag), comma-separated
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Vec<String>,
    /// Rules not to run (added to the config's `ignore`)
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,
    /// Config file (default: the nearest ecs-preflight.toml from the first path upward)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Apply safe fixes in place and report what remains
    #[arg(long)]
    pub fix: bool,
}

#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// Where to write the state file
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Inputs whose references decide what is captured (default: the current folder)
    pub paths: Vec<PathBuf>,
    /// The deployment region (default: the AWS profile's or AWS_REGION)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS profile to read with
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Also capture this cluster's services of the task definitions' families
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// An ECS service definition whose subnets and security groups to capture
    #[arg(long, value_name = "FILE")]
    pub service: Option<PathBuf>,
    /// Subnets to capture (comma-separated), as given to `check --subnets`
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub subnets: Vec<String>,
    /// Security groups to capture (comma-separated)
    #[arg(long = "security-groups", value_delimiter = ',', value_name = "IDS")]
    pub security_groups: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Sarif,
    Github,
    Gitlab,
}

pub use crate::settings::{FailOn, LaunchType};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum AssignPublicIp {
    Enabled,
    Disabled,
}
