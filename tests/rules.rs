//! Every rule's fixtures, one named test each (`cargo test --no-default-features --test rules --
//! NET002/fail-service-file`). A fixture `tests/fixtures/<CODE>/<KIND>….<ext>` is:
//!
//! - `fail*`: the rule reports at least one diagnostic; the rendered human output is kept as an
//!   insta snapshot `rules__<CODE>__<stem>.snap`.
//! - `pass*`: the rule ran on the file's task definitions, was not skipped, and reported nothing.
//!   (A rule that is skipped also reports nothing; without the "not skipped" half a pass fixture
//!   that lacks the state its rule needs would pass for the wrong reason.)
//! - `unknown*`: the rule reported nothing because it could not know: it was skipped, and the
//!   rendered output with the skip reason is kept as a snapshot, like a `fail*` fixture's.
//!
//! The harness is `libtest-mimic` (the test target has `harness = false`): the list of tests is
//! built at run time from the fixture folders, so a new fixture is a new test without touching
//! this file, and the plain tests below run in the same binary.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};

use ecs_preflight::check::{self, Report, RunOptions};
use ecs_preflight::diag::Skip;
use ecs_preflight::render::{self, OutputFormat, RenderOptions};
use ecs_preflight::rules::role::SCP_NOT_EVALUATED;
use ecs_preflight::rules::{ALL, Needs, Rule};
// The only import of the settings types: they are moving to their own module.
use ecs_preflight::settings::Settings;

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test(
            "every_rule_has_failing_and_passing_fixtures",
            every_rule_has_failing_and_passing_fixtures,
        ),
        Trial::test(
            "every_fixture_folder_is_a_rule",
            every_fixture_folder_is_a_rule,
        ),
        Trial::test(
            "every_snapshot_has_its_fixture",
            every_snapshot_has_its_fixture,
        ),
    ];
    for rule in checked_rules() {
        for path in files(rule.code) {
            let stem = stem(&path);
            trials.push(Trial::test(format!("{}/{stem}", rule.code), move || {
                check_fixture(rule, &path)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// The rules that have fixtures: all but the IN rules, which the driver reports about a whole
/// input (tests/cli.rs covers them).
fn checked_rules() -> impl Iterator<Item = &'static Rule> {
    ALL.iter().copied().filter(|r| r.needs != Needs::Input)
}

fn fixture_dir() -> PathBuf {
    Path::new("tests").join("fixtures")
}

/// `fail-two-containers.json` → `fail-two-containers` (companions have more dots, and are not
/// fixtures).
fn stem(path: &Path) -> String {
    let name = path.file_name().unwrap().to_string_lossy();
    name.split('.').next().unwrap().to_string()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Fail,
    Pass,
    Unknown,
}

fn kind(stem: &str) -> Option<Kind> {
    if stem.starts_with("fail") {
        Some(Kind::Fail)
    } else if stem.starts_with("pass") {
        Some(Kind::Pass)
    } else if stem.starts_with("unknown") {
        Some(Kind::Unknown)
    } else {
        None
    }
}

/// A fixture `NAME.EXT` may come with companions in the same folder:
/// `NAME.state.json` / `NAME.state-2.json` (state files), `NAME.service.json` (`--service`),
/// `NAME.assets.json` (a CDK assets manifest, next to `NAME.template.json`),
/// and `NAME.args` (`key = value` lines: region, account, subnets, security-groups,
/// assign-public-ip, launch-type, require-digest, now).
fn run(path: &Path, code: &'static str) -> Report {
    let stem = stem(path);
    let dir = path.parent().unwrap();
    let companion = |suffix: &str| dir.join(format!("{stem}{suffix}"));
    let mut state_files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(&format!("{stem}.state")) && name.ends_with(".json")
        })
        .collect();
    state_files.sort();
    let mut settings = Settings {
        region: Some("us-east-1".into()),
        region_source: Some("--region".into()),
        ..Settings::default()
    };
    if let Ok(args) = std::fs::read_to_string(companion(".args")) {
        for line in args
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let (key, value) = line.split_once('=').expect("key = value");
            let (key, value) = (key.trim(), value.trim().to_string());
            match key {
                "region" => settings.region = (!value.is_empty()).then_some(value),
                "account" => settings.account = Some(value),
                "subnets" => {
                    settings.network.subnets = value.split(',').map(str::to_string).collect()
                }
                "security-groups" => {
                    settings.network.security_groups =
                        value.split(',').map(str::to_string).collect()
                }
                "assign-public-ip" => settings.network.assign_public_ip = Some(value == "ENABLED"),
                "launch-type" => {
                    settings.network.launch_type =
                        Some(ecs_preflight::settings::LaunchType::from_aws(Some(&value)))
                }
                "require-digest" => settings.require_digest = value == "true",
                "now" => {
                    settings.now = Some(
                        ecs_preflight::base::timestamp::Timestamp::parse_iso8601(&value)
                            .expect("now = ISO-8601"),
                    )
                }
                other => panic!("unknown key {other} in {}", companion(".args").display()),
            }
        }
    }
    let service = companion(".service.json");
    let options = RunOptions {
        paths: vec![path.to_path_buf()],
        state_files,
        env_region: None,
        service_file: service.exists().then_some(service),
        settings,
        enabled: HashSet::from([code]),
        severity_overrides: HashMap::new(),
        per_file_ignores: Vec::new(),
        ignore_base: std::env::current_dir().unwrap(),
        terraform: Default::default(),
    };
    check::run(&options)
}

/// Companion files are not fixtures themselves.
fn is_companion(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name.contains(".state")
        || name.contains(".service.")
        || name.ends_with(".args")
        || name.ends_with(".assets.json")
}

fn files(code: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir().join(code))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| !is_companion(p))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn render_human(report: &Report) -> String {
    render::render(
        report,
        OutputFormat::Human,
        RenderOptions {
            color: false,
            width: Some(80),
            sarif_category: None,
        },
    )
}

/// The ROLE permission rules end every evaluation of a role with a note for the run summary:
/// SCPs and RCPs are outside the state. It qualifies a verdict that was reached; it does not
/// say the rule was skipped.
fn is_caveat(skip: &Skip) -> bool {
    skip.reason == SCP_NOT_EVALUATED
}

fn check_fixture(rule: &'static Rule, path: &Path) -> Result<(), Failed> {
    let stem = stem(path);
    let Some(kind) = kind(&stem) else {
        return Err(format!(
            "{}: a fixture's name starts with `fail`, `pass` or `unknown`",
            path.display()
        )
        .into());
    };
    let report = run(path, rule.code);
    if report.input_errors {
        return Err(format!("{}: input error: {:#?}", path.display(), report.diagnostics).into());
    }
    let mine: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == rule.code)
        .collect();
    let skips: Vec<_> = report
        .skipped
        .iter()
        .filter(|s| s.rules.contains(&rule.code) && !is_caveat(s))
        .collect();
    match kind {
        Kind::Fail => {
            if mine.is_empty() {
                return Err(format!(
                    "{}: expected {}, got none (skipped: {skips:#?})",
                    path.display(),
                    rule.code
                )
                .into());
            }
        }
        Kind::Pass => {
            if !mine.is_empty() {
                return Err(format!(
                    "{}: expected no {}, got {mine:#?}",
                    path.display(),
                    rule.code
                )
                .into());
            }
            if report.task_definitions == 0 {
                return Err(format!(
                    "{}: no task definition was found, so {} did not run",
                    path.display(),
                    rule.code
                )
                .into());
            }
            if !skips.is_empty() {
                return Err(format!(
                    "{}: {} passes only because it was skipped: {skips:#?}",
                    path.display(),
                    rule.code
                )
                .into());
            }
        }
        Kind::Unknown => {
            if !mine.is_empty() {
                return Err(format!(
                    "{}: expected {} to be skipped, got {mine:#?}",
                    path.display(),
                    rule.code
                )
                .into());
            }
            if skips.is_empty() {
                return Err(format!(
                    "{}: expected {} to be skipped as unknown, but it was not skipped",
                    path.display(),
                    rule.code
                )
                .into());
            }
        }
    }
    if kind != Kind::Pass {
        let text = render_human(&report);
        insta::assert_snapshot!(format!("{}__{stem}", rule.code), text);
    }
    Ok(())
}

fn every_rule_has_failing_and_passing_fixtures() -> Result<(), Failed> {
    let mut missing = Vec::new();
    for rule in checked_rules() {
        let kinds: Vec<Option<Kind>> = files(rule.code).iter().map(|p| kind(&stem(p))).collect();
        for (wanted, word) in [(Kind::Fail, "failing"), (Kind::Pass, "passing")] {
            if !kinds.contains(&Some(wanted)) {
                missing.push(format!("{} has no {word} fixture", rule.code));
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing.join("\n").into())
    }
}

/// A folder named after no rule (a typo, a renamed rule) would have its fixtures never run.
fn every_fixture_folder_is_a_rule() -> Result<(), Failed> {
    let codes: HashSet<&str> = checked_rules().map(|r| r.code).collect();
    let mut strays = Vec::new();
    for entry in std::fs::read_dir(fixture_dir()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // `fix/` holds the inputs of `ecs-preflight fix` (tests/cli.rs).
        if entry.path().is_dir() && name != "fix" && !codes.contains(name.as_str()) {
            strays.push(name);
        }
    }
    if strays.is_empty() {
        Ok(())
    } else {
        Err(format!("fixture folders named after no rule: {strays:?}").into())
    }
}

/// A renamed or deleted fixture leaves its snapshot behind, where it checks nothing.
fn every_snapshot_has_its_fixture() -> Result<(), Failed> {
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(Path::new("tests").join("snapshots"))
        .unwrap()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix("rules__")
            .and_then(|r| r.strip_suffix(".snap"))
        else {
            continue;
        };
        let Some((code, stem)) = rest.split_once("__") else {
            orphans.push(name);
            continue;
        };
        let has_fixture = files(code)
            .iter()
            .any(|p| self::stem(p) == stem && kind(stem).is_some_and(|k| k != Kind::Pass));
        if !has_fixture {
            orphans.push(name);
        }
    }
    if orphans.is_empty() {
        Ok(())
    } else {
        Err(format!("snapshots without a fail* or unknown* fixture: {orphans:?}").into())
    }
}
