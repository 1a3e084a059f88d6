//! Every rule's fixtures: `tests/fixtures/<CODE>/fail*` must produce the rule's diagnostics (the
//! rendered human output is kept as an insta snapshot), `pass*` must produce none.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ecs_preflight::check::{self, Report, RunOptions};
use ecs_preflight::render::{self, OutputFormat, RenderOptions};
use ecs_preflight::rules::{ALL, Needs, Settings};

fn fixture_dir() -> PathBuf {
    Path::new("tests").join("fixtures")
}

/// A fixture `NAME.EXT` may come with companions in the same folder:
/// `NAME.state.json` / `NAME.state-2.json` (state files), `NAME.service.json` (`--service`),
/// and `NAME.args` (`key = value` lines: region, account, subnets, security-groups,
/// assign-public-ip, launch-type, require-digest, now).
fn run(path: &Path, code: &'static str) -> Report {
    let stem = path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .split('.')
        .next()
        .unwrap()
        .to_string();
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
                "launch-type" => settings.network.launch_type = Some(value),
                "require-digest" => settings.require_digest = value == "true",
                "now" => {
                    settings.now = Some(
                        ecs_preflight::state::ecr::Timestamp::parse_iso8601(&value)
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
    };
    check::run(&options)
}

/// Companion files are not fixtures themselves.
fn is_companion(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name.contains(".state") || name.contains(".service.") || name.ends_with(".args")
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

#[test]
fn every_rule_has_failing_and_passing_fixtures() {
    for rule in ALL.iter().filter(|r| r.needs != Needs::Input) {
        let names: Vec<String> = files(rule.code)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("fail")),
            "{} has no failing fixture",
            rule.code
        );
        assert!(
            names.iter().any(|n| n.starts_with("pass")),
            "{} has no passing fixture",
            rule.code
        );
    }
}

#[test]
fn fixtures_fire_or_stay_silent_as_named() {
    for rule in ALL.iter().filter(|r| r.needs != Needs::Input) {
        for path in files(rule.code) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let report = run(&path, rule.code);
            assert!(
                !report.input_errors,
                "{}: input error: {:?}",
                path.display(),
                report.diagnostics
            );
            let mine: Vec<_> = report
                .diagnostics
                .iter()
                .filter(|d| d.code == rule.code)
                .collect();
            if name.starts_with("pass") {
                assert!(
                    mine.is_empty(),
                    "{}: expected no {}, got {:#?}",
                    path.display(),
                    rule.code,
                    mine
                );
            } else {
                assert!(
                    !mine.is_empty(),
                    "{}: expected {}",
                    path.display(),
                    rule.code
                );
                let text = render::render(
                    &report,
                    OutputFormat::Human,
                    RenderOptions {
                        color: false,
                        width: Some(80),
                        sarif_category: None,
                    },
                );
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                insta::assert_snapshot!(format!("{}__{}", rule.code, stem), text);
            }
        }
    }
}
