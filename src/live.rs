//! `check --aws` and `snapshot`: from the command line to a collection (`aws`), and from a
//! collection to state snapshots (in memory for `check`, files for `snapshot`). The collector
//! itself knows nothing of rules or exit codes: this layer names the rules a missing part
//! leaves unchecked (from each rule's `reads`) and says whether the command succeeded.

use crate::base::sanitize::line as clean;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::aws::{Collected, Deployment, References, Request, Target, collect};
use crate::check::{self, LiveStateFile};
use crate::cli::SnapshotArgs;
use crate::diag::Skip;
use crate::model::recognize::ResolveSettings;
use crate::parse::Node;
use crate::rules::ALL;
use crate::settings::NetworkFlags;

/// What `check --aws` feeds the check.
pub struct LiveState {
    pub files: Vec<LiveStateFile>,
    pub skips: Vec<Skip>,
    /// The region read (the deployment region when `--region` and the config give none).
    pub region: String,
}

/// What the collection needs from a command line.
pub struct Inputs<'a> {
    pub paths: &'a [PathBuf],
    pub region: Option<String>,
    pub account: Option<String>,
    pub profile: Option<String>,
    pub cluster: Option<String>,
    pub network: &'a NetworkFlags,
    pub service_file: Option<&'a Path>,
}

/// Reads the inputs' references and collects them.
pub fn collect_inputs(inputs: &Inputs) -> Result<Collected, String> {
    let service = inputs
        .service_file
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| crate::parse::json::parse(&text).ok());
    let request = Request {
        target: Target {
            profile: inputs.profile.clone(),
            region: inputs.region.clone(),
        },
        cluster: inputs.cluster.clone(),
        progress: std::io::stderr().is_terminal(),
        config: None,
    };
    collect(request, |caller, region| {
        let resolve = ResolveSettings {
            account: inputs.account.clone().or_else(|| Some(caller.to_string())),
            region: Some(region.to_string()),
        };
        let documents = check::read_documents(inputs.paths, &resolve);
        References::from_inputs(
            &documents,
            service.as_ref().map(|n: &Node| n),
            inputs.network,
            &Deployment {
                account: inputs.account.clone(),
                caller: Some(caller.to_string()),
                region: Some(region.to_string()),
            },
        )
    })
}

/// `check --aws`: the snapshots in memory, named `aws:ACCOUNT:REGION`.
pub fn for_check(
    inputs: &Inputs,
    enabled: &std::collections::HashSet<&'static str>,
) -> Result<LiveState, String> {
    let collected = collect_inputs(inputs)?;
    if std::io::stderr().is_terminal() {
        eprintln!("{}", summary_line(&collected));
    }
    let files = collected
        .snapshots
        .iter()
        .map(|s| LiveStateFile {
            name: format!("aws:{}:{}", s.account_id, s.region),
            text: s.text(),
        })
        .collect();
    Ok(LiveState {
        files,
        skips: skips(&collected, enabled),
        region: collected.region.clone(),
    })
}

/// Each part that could not be read, as a run-summary entry for the enabled rules that read
/// it. A build without those rules names the family instead (`ECR`), so the reason is still
/// shown.
fn skips(collected: &Collected, enabled: &std::collections::HashSet<&'static str>) -> Vec<Skip> {
    collected
        .unknown
        .iter()
        .filter_map(|u| {
            let rules: Vec<&'static str> = ALL
                .iter()
                .filter(|r| r.reads.contains(&u.part) && enabled.contains(r.code))
                .map(|r| r.code)
                .collect();
            (!rules.is_empty()).then(|| Skip {
                rules,
                reason: u.reason.clone(),
                subjects: Vec::new(),
            })
        })
        .collect()
}

fn summary_line(c: &Collected) -> String {
    format!(
        "read AWS state of account {} in {}: {} API calls in {:.1} s",
        c.caller_account,
        c.region,
        c.call_count(),
        c.elapsed.as_secs_f64()
    )
}

/// Where the snapshot of another account or region goes: next to `out`, named after it
/// (`state.json` → `state.222233334444-eu-west-1.json`).
pub fn companion_path(out: &Path, account: &str, region: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_string());
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "json".to_string());
    out.with_file_name(format!("{stem}.{account}-{region}.{ext}"))
}

/// `snapshot --out FILE [PATHS]`: exit code 0 when written, 2 on an error.
/// `snapshot` failed; why has been said on stderr.
#[derive(Debug)]
pub struct SnapshotFailed;

/// `snapshot`: Ok when every file was written (what could not be read is said on stderr).
pub fn snapshot(args: &SnapshotArgs) -> Result<(), SnapshotFailed> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    for p in &paths {
        if !p.exists() {
            eprintln!(
                "error: `{}`: no such file or folder",
                clean(&p.display().to_string())
            );
            return Err(SnapshotFailed);
        }
    }
    if let Some(service) = &args.service
        && !service.is_file()
    {
        eprintln!(
            "error: --service `{}`: no such file",
            clean(&service.display().to_string())
        );
        return Err(SnapshotFailed);
    }
    // The config's region, as `check` would use it.
    let config_region = crate::config::discover(&paths[0])
        .and_then(|p| crate::config::load(&p, check::display_name(&p)).ok())
        .and_then(|c| c.config.region);
    let network = NetworkFlags {
        subnets: args
            .subnets
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect(),
        security_groups: args
            .security_groups
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect(),
        ..NetworkFlags::default()
    };
    let inputs = Inputs {
        paths: &paths,
        region: args.region.clone().or(config_region),
        account: None,
        profile: args.profile.clone(),
        cluster: args.cluster.clone(),
        network: &network,
        service_file: args.service.as_deref(),
    };
    let collected = match collect_inputs(&inputs) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}", clean(&e));
            return Err(SnapshotFailed);
        }
    };
    let mut written = Vec::new();
    for (i, s) in collected.snapshots.iter().enumerate() {
        let path = if i == 0 {
            args.out.clone()
        } else {
            companion_path(&args.out, &s.account_id, &s.region)
        };
        if let Err(e) = std::fs::write(&path, s.text()) {
            eprintln!(
                "error: cannot write `{}`: {e}",
                clean(&path.display().to_string())
            );
            return Err(SnapshotFailed);
        }
        written.push((path, s));
    }
    eprintln!("{}", summary_line(&collected));
    for (path, s) in &written {
        let sections = s.sections();
        eprintln!(
            "wrote {} (account {}, {}: {})",
            path.display(),
            s.account_id,
            s.region,
            if sections.is_empty() {
                "nothing known".to_string()
            } else {
                sections.join(", ")
            }
        );
    }
    if written.len() > 1 {
        let list: Vec<String> = written
            .iter()
            .map(|(p, _)| format!("--state {}", p.display()))
            .collect();
        eprintln!("check with: ecs-preflight check {}", list.join(" "));
    }
    for u in &collected.unknown {
        eprintln!(
            "warning: not captured ({}): {}",
            u.part.section(),
            clean(&u.reason)
        );
    }
    Ok(())
}
