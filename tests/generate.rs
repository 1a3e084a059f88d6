//! `--version`, `completions` and `man`: what the release archives ship is generated from the
//! CLI definition, and must work in the shells and `man`.

mod support;

use support::cmd;

fn stdout_of(args: &[&str]) -> String {
    let out = cmd().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?} failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn version_names_the_version_and_the_features() {
    let text = stdout_of(&["--version"]);
    let features = if cfg!(feature = "aws") {
        "(features: aws)"
    } else {
        "(features: none; offline build without live AWS support)"
    };
    assert_eq!(
        text.trim_end(),
        format!("ecs-preflight {} {features}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn every_shell_gets_a_completion_script_naming_the_commands() {
    for (shell, marker) in [
        ("bash", "complete -F _ecs__preflight"),
        ("zsh", "#compdef ecs-preflight"),
        ("fish", "complete -c ecs-preflight"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let text = stdout_of(&["completions", shell]);
        assert!(text.contains(marker), "{shell}: no {marker:?}");
        assert!(
            text.contains("fail-on"),
            "{shell}: check's --fail-on missing"
        );
        assert!(
            text.contains("explain"),
            "{shell}: the explain command missing"
        );
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = cmd().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("possible values: bash, zsh, fish, powershell"),
        "{err}"
    );
}

/// Runs the bash completion function as bash would for the words typed so far.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = stdout_of(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ecs-preflight.bash");
    std::fs::write(&path, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _ecs__preflight ecs-preflight '{}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        quoted.join(" "),
        words[cword]
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash is needed for this test");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_their_options() {
    assert_eq!(bash_complete(&["ecs-preflight", "ex"]), ["explain"]);
    // A subcommand's options: broken in clap_complete for hyphenated names, fixed in generate.rs.
    assert_eq!(
        bash_complete(&["ecs-preflight", "check", "--fail-o"]),
        ["--fail-on"]
    );
    assert_eq!(
        bash_complete(&["ecs-preflight", "check", "--fail-on", ""]),
        ["error", "warning", "note", "never"]
    );
    assert_eq!(
        bash_complete(&["ecs-preflight", "completions", "p"]),
        ["powershell"]
    );
}

#[test]
fn man_prints_the_main_page() {
    let text = stdout_of(&["man"]);
    assert!(
        text.starts_with(".ie") || text.contains("\n.TH ecs-preflight 1"),
        "{text}"
    );
    assert!(text.contains(".TH ecs-preflight 1"));
    for sub in ["check", "rules", "explain", "completions", "man"] {
        assert!(text.contains(sub), "the main page does not list {sub}");
    }
    // The offline build has no live AWS commands, and its man page does not mention them.
    assert_eq!(text.contains("snapshot"), cfg!(feature = "aws"), "{text}");
}

#[test]
fn man_dir_writes_a_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man");
    stdout_of(&["man", "--dir", out_dir.to_str().unwrap()]);
    let check = std::fs::read_to_string(out_dir.join("ecs-preflight-check.1")).unwrap();
    assert!(check.contains(".TH ecs-preflight-check 1"));
    assert!(
        check.contains("\\-\\-fail\\-on"),
        "check's page documents --fail-on"
    );
    for page in ["ecs-preflight.1", "ecs-preflight-explain.1"] {
        assert!(out_dir.join(page).is_file(), "{page} missing");
    }
    assert_eq!(
        out_dir.join("ecs-preflight-snapshot.1").is_file(),
        cfg!(feature = "aws")
    );
}

#[test]
fn man_dir_that_cannot_be_created_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = cmd()
        .args(["man", "--dir", file.join("man").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: cannot create "), "{err}");
}
