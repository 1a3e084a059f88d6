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
