//! The README is for users: its rule table must list every rule as the tool does, and CI must
//! run the README's test command.

use ecs_preflight::rules::ALL;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

fn expected_table() -> String {
    let mut rows = vec![
        "| code | name | severity | what it reports |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    for r in ALL.iter() {
        rows.push(format!(
            "| {} | `{}` | {} | {} |",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary
        ));
    }
    rows.join("\n")
}

#[test]
fn rule_table_matches_the_registry() {
    let text = readme();
    let start = text
        .find("<!-- rules:start -->\n")
        .expect("rules:start marker")
        + "<!-- rules:start -->\n".len();
    let end = text.find("\n<!-- rules:end -->").expect("rules:end marker");
    assert_eq!(
        &text[start..end],
        expected_table(),
        "update the README's rule table to this"
    );
}

#[test]
fn ci_runs_the_readme_test_command() {
    let text = readme();
    assert!(
        text.contains("\nscripts/test\n"),
        "the README names scripts/test as the test command"
    );
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == "scripts/test"),
        ".ci/run calls scripts/test"
    );
}

/// The README's `check` options table, as (first column, second column) rows.
fn options_table() -> Vec<(String, String)> {
    let text = readme();
    let start = text
        .find("<!-- options:start -->\n")
        .expect("options:start marker");
    let end = text
        .find("<!-- options:end -->")
        .expect("options:end marker");
    text[start..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            // Cells are split at `|` not escaped as `\|`.
            let l = l.replace("\\|", "\u{1}");
            let cells: Vec<String> = l
                .split('|')
                .map(|c| c.trim().replace('\u{1}', "|"))
                .collect();
            (cells[1].clone(), cells[2].clone())
        })
        .collect()
}

/// `--name` words in a text.
fn flags(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(str::to_string)
        .collect()
}

fn check_help() -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecs-preflight"))
        .args(["check", "--help"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// The help text of one option: its line and the description lines under it.
fn help_of(help: &str, flag: &str) -> String {
    let lines: Vec<&str> = help.lines().collect();
    let at = lines
        .iter()
        .position(|l| {
            l.trim_start()
                .split([' ', ','])
                .any(|w| w == flag || w.starts_with(&format!("{flag}=")))
        })
        .unwrap_or_else(|| panic!("{flag} is not in `check --help`:\n{help}"));
    let mut out = lines[at].to_string();
    for l in &lines[at + 1..] {
        if l.trim_start().starts_with('-') {
            break;
        }
        out.push('\n');
        out.push_str(l);
    }
    out
}

#[test]
fn documented_check_options_and_defaults_match_the_help() {
    let help = check_help();
    let rows = options_table();
    assert!(rows.len() > 10, "{rows:?}");
    let mut documented = Vec::new();
    for (options, meaning) in &rows {
        for flag in flags(options) {
            let text = help_of(&help, &flag);
            // Values listed in the README (`--format human|json|…`) are the possible values.
            let after = options.split(&flag).nth(1).unwrap_or("");
            let values = after
                .trim_start()
                .split(['`', ','])
                .next()
                .unwrap_or("")
                .trim();
            if values.contains('|') && values.chars().any(|c| c.is_ascii_lowercase()) {
                let listed = format!("[possible values: {}]", values.replace('|', ", "));
                assert!(
                    text.contains(&listed),
                    "{flag}: README says {values}; help:\n{text}"
                );
            }
            // A default in the README is the help's default.
            if let Some(default) = meaning.split("(default `").nth(1) {
                let default = default.split('`').next().unwrap();
                assert!(
                    text.contains(&format!("[default: {default}]")),
                    "{flag}: README says default `{default}`; help:\n{text}"
                );
            }
            documented.push(flag);
        }
    }
    // The other way round: every option of the help is documented (the live options are
    // documented in their own section, and absent from the offline build's help).
    for flag in flags(&help) {
        if ["--help", "--aws", "--profile", "--cluster"].contains(&flag.as_str()) {
            continue;
        }
        assert!(
            documented.contains(&flag),
            "{flag} is in `check --help` but not in the README's options table"
        );
    }
}
