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

fn run(path: &Path, code: &'static str) -> Report {
    let options = RunOptions {
        paths: vec![path.to_path_buf()],
        state_files: Vec::new(),
        env_region: None,
        settings: Settings {
            region: Some("us-east-1".into()),
            region_source: Some("--region".into()),
            account: None,
            require_digest: false,
        },
        enabled: HashSet::from([code]),
        severity_overrides: HashMap::new(),
        per_file_ignores: Vec::new(),
        ignore_base: std::env::current_dir().unwrap(),
    };
    check::run(&options)
}

fn files(code: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir().join(code))
        .map(|d| d.flatten().map(|e| e.path()).collect())
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
                        width: Some(100),
                    },
                );
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                insta::assert_snapshot!(format!("{}__{}", rule.code, stem), text);
            }
        }
    }
}
