//! What the benchmarks share: the run options of an in-process check, the process's CPU time,
//! and the release binary for the benchmarks that run it as a user would.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ecs_preflight::check::RunOptions;
use ecs_preflight::settings::Settings;

/// Options for `check::run` over `paths` with `state_files`, in one account and region, with
/// the rules of `enabled` and nothing else configured.
pub fn run_options(
    paths: Vec<PathBuf>,
    state_files: Vec<PathBuf>,
    account: &str,
    region: &str,
    enabled: HashSet<&'static str>,
    ignore_base: &Path,
) -> RunOptions {
    RunOptions {
        paths,
        state_files,
        env_region: None,
        service_file: None,
        settings: Settings {
            region: Some(region.into()),
            account: Some(account.into()),
            ..Settings::default()
        },
        enabled,
        severity_overrides: HashMap::new(),
        per_file_ignores: Vec::new(),
        ignore_base: ignore_base.to_path_buf(),
        terraform: Default::default(),
    }
}

/// CPU time (user + system, all threads) of this process so far, from /proc/self/stat (clock
/// ticks of 10 ms); zero where there is no /proc. On a loaded machine the wall clock measures
/// the neighbours as much as the code; CPU time does not.
pub fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 of the file (utime, stime) are 12 and 13 after the command name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The release binary in the target folder (`cargo build --release --no-default-features`
/// first).
pub fn release_binary() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let binary = target.join("release").join("ecs-preflight");
    assert!(
        binary.exists(),
        "build it first: cargo build --release --no-default-features ({} not found)",
        binary.display()
    );
    binary
}
