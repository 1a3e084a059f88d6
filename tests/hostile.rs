//! Input written by someone else (a pull request's author): it must not inject lines or escape
//! sequences into the output, exhaust the machine, read outside the repository, or make
//! `--fix` lose or corrupt anything.

use std::path::{Path, PathBuf};

mod support;
use support::cmd;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn fix_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fix")
        .join(name)
}

/// A task definition whose every name carries a workflow command after a line break, terminal
/// escapes and a bidirectional override.
const INJECTING: &str = r#"{"family": "web\n::add-mask::x\u001b[31mred\u0007\u202e",
 "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512",
 "executionRoleArn": "arn:aws:iam::111122223333:role/exec\n::warning file=a::b",
 "containerDefinitions": [{"name": "app\r::stop-commands::t\u0085", "image": "nginx\n::error::boom\u001b]8;;http://x\u0007",
   "essential": true,
   "secrets": [{"name": "S", "valueFrom": "arn:aws:secretsmanager:us-east-1:111122223333:secret:x\n::add-mask::q"}]}]}"#;

/// No line starts (after blanks, as the Actions runner reads it) with text from input, and no
/// control character other than the line break is written raw.
fn assert_clean(out: &str, what: &str) {
    for line in out.lines() {
        let t = line.trim_start();
        assert!(
            !t.starts_with("::add-mask")
                && !t.starts_with("::stop-commands")
                && !t.starts_with("::error::boom")
                && !t.starts_with("::warning file=a"),
            "{what}: a line from input: {line:?}\n{out}"
        );
    }
    for c in out.chars() {
        assert!(
            c == '\n'
                || !(c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c) || c == '\u{2066}'),
            "{what}: raw {c:?} in\n{out}"
        );
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// What a run printed: its exit code, stdout and stderr.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the tool in `dir` with `args` and asserts that neither stdout nor stderr carries a
/// line or a raw control character from input (`what` names the case in failures).
fn run_clean(dir: &Path, args: &[&str], what: &str) -> Run {
    let out = cmd().current_dir(dir).args(args).output().unwrap();
    let run = Run {
        code: out.status.code(),
        stdout: text(&out.stdout),
        stderr: text(&out.stderr),
    };
    assert_clean(&run.stdout, what);
    assert_clean(&run.stderr, what);
    run
}

#[test]
fn names_from_input_cannot_start_a_line_or_send_escapes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "td.json", INJECTING);
    for format in ["human", "github", "json", "sarif"] {
        let stdout = run_clean(
            dir.path(),
            &["check", "td.json", "--format", format],
            format,
        )
        .stdout;
        assert!(
            stdout.contains("add-mask"),
            "{format}: the value is shown: {stdout}"
        );
        if format == "github" {
            for line in stdout.lines() {
                assert!(
                    line.starts_with("::error ")
                        || line.starts_with("::warning ")
                        || line.starts_with("::notice "),
                    "{line}"
                );
            }
        }
        if format == "json" || format == "sarif" {
            // The same data, escaped as JSON.
            let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert!(v.to_string().contains("web\\n::add-mask::x\\u001b[31mred"));
        }
    }
    // The summary of what was not checked names the task definition, escaped.
    let stdout = run_clean(dir.path(), &["check", "td.json"], "summary").stdout;
    assert!(
        stdout.contains("web\\n::add-mask::x\\u{1b}[31mred\\u{7}\\u{202e}"),
        "{stdout}"
    );
}

#[test]
fn a_walked_file_name_with_a_line_break_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:latest", "memory": 256}]}"#;
    write(dir.path(), "in/a\n::add-mask::secret\u{1b}[2J.json", good);
    for format in ["human", "github"] {
        let stdout = run_clean(dir.path(), &["check", "in", "--format", format], format).stdout;
        let shown = match format {
            "github" => "a\\n%3A%3Aadd-mask%3A%3Asecret\\u{1b}[2J.json",
            _ => "a\\n::add-mask::secret\\u{1b}[2J.json",
        };
        assert!(stdout.contains(shown), "{stdout}");
    }
}

#[test]
fn the_fix_change_list_escapes_file_names() {
    let name = "td\n::add-mask::x\u{1b}[1m.json";
    for format in ["human", "github"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(fix_fixture("taskdef.json"), dir.path().join(name)).unwrap();
        std::fs::copy(fix_fixture("state.json"), dir.path().join("state.json")).unwrap();
        let args = [
            "check",
            ".",
            "--state",
            "state.json",
            "--region",
            "us-east-1",
            "--account",
            "111122223333",
            "--fix",
            "--format",
            format,
        ];
        let stderr = run_clean(dir.path(), &args, format).stderr;
        assert!(
            stderr.contains("td\\n::add-mask::x\\u{1b}[1m.json"),
            "{stderr}"
        );
    }
}

#[test]
fn usage_errors_escape_what_they_quote() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_clean(
        dir.path(),
        &["check", "--account", "1\n::add-mask::x\u{1b}[2J", "."],
        "usage error",
    );
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("1\\n::add-mask::x"), "{}", run.stderr);
}

#[test]
fn source_snippets_show_control_characters_as_placeholders() {
    // YAML lets a C1 control and an override into a comment; the snippet shows the line.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: web\n          Image: nginx:latest # \u{1b}]0;title\u{7} \u{9b}2J \u{202e}\n          Memory: 256\n",
    );
    let stdout = run_clean(dir.path(), &["check", "t.yaml"], "snippet").stdout;
    assert!(
        stdout.contains("Image: nginx:latest # ?]0;title? ¿2J \u{fffd}"),
        "{stdout}"
    );
}

/// Runs the tool with a deadline: a read that blocks (a FIFO) must not hang the run.
fn run_within(mut command: assert_cmd::Command, seconds: u64) -> std::process::Output {
    command.timeout(std::time::Duration::from_secs(seconds));
    let out = command.output().unwrap();
    assert!(
        out.status.code().is_some(),
        "killed after {seconds} s (blocked or unbounded read): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[cfg(unix)]
#[test]
fn devices_are_refused_whatever_their_reported_length() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.json")).unwrap();
    // A named input that is a link to a device, a device as --state, as --config, as --service.
    let cases: [&[&str]; 4] = [
        &["check", "zero.json"],
        &[
            "check",
            "--state",
            "/dev/zero",
            "--region",
            "us-east-1",
            ".",
        ],
        &["check", "--config", "/dev/zero", "."],
        &["check", "--service", "/dev/zero", "."],
    ];
    for args in cases {
        let mut c = cmd();
        // Wide enough that the message is not wrapped.
        c.current_dir(dir.path()).args(args).env("COLUMNS", "300");
        let out = run_within(c, 20);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            all.contains("a device, not a regular file"),
            "{args:?}: {all}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let cases: [&[&str]; 2] = [
        &["check", "pipe.json"],
        &[
            "check",
            "--state",
            "pipe.json",
            "--region",
            "us-east-1",
            ".",
        ],
    ];
    for args in cases {
        let mut c = cmd();
        // Wide enough that the message is not wrapped.
        c.current_dir(dir.path()).args(args).env("COLUMNS", "300");
        let out = run_within(c, 20);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("a FIFO (named pipe), not a regular file"),
            "{stdout}"
        );
    }
}

#[test]
fn config_state_paths_stay_in_the_config_folder() {
    let outside = tempfile::tempdir().unwrap();
    let secret = write(
        outside.path(),
        "config.json",
        r#"{"auths": {"registry": {"auth": "c2VjcmV0LXRva2VuLTEyMzQ="}}}"#,
    );
    let repo = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "memory": 256}]}"#,
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, repo.path().join("link.json")).unwrap();
    std::fs::create_dir(repo.path().join("sub")).unwrap();
    let relative = format!(
        "{}/config.json",
        pathdiff_up(repo.path(), outside.path()).display()
    );
    let mut names = vec![secret.to_str().unwrap().to_string(), relative];
    if cfg!(unix) {
        names.push("link.json".into());
        names.push("./sub/../link.json".into());
    }
    for name in names {
        write(
            repo.path(),
            "ecs-preflight.toml",
            &format!("state = [{:?}]\n", name),
        );
        let out = cmd()
            .current_dir(repo.path())
            .args(["check", "."])
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{name}: {all}");
        assert!(
            all.contains("is outside the folder of ecs-preflight.toml"),
            "{all}"
        );
        assert!(
            !all.contains("c2VjcmV0"),
            "{name}: the file's content is shown: {all}"
        );
    }
    // Given on the command line, the same file is read (and is not a state file).
    let out = cmd()
        .current_dir(repo.path())
        .args(["check", "td.json", "--state"])
        .arg(&secret)
        .arg("--config")
        .arg(write(repo.path(), "other.toml", ""))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("IN003"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Inside the folder, a state file is fine.
    write(
        repo.path(),
        "state/acct.json",
        r#"{"ecsPreflightState": 1, "accountId": "111122223333", "region": "us-east-1"}"#,
    );
    write(
        repo.path(),
        "ecs-preflight.toml",
        "state = [\"state/acct.json\"]\n",
    );
    let out = cmd()
        .current_dir(repo.path())
        .args(["check", "td.json"])
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `../../x` from `from` to `to` (both absolute temporary folders).
fn pathdiff_up(from: &Path, to: &Path) -> PathBuf {
    let mut up = PathBuf::new();
    for _ in from.components().skip(1) {
        up.push("..");
    }
    up.join(to.strip_prefix("/").unwrap())
}

/// A copy of the `--fix` fixture: the task definition (as `name`) and the state.
fn fix_dir(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fix_fixture("taskdef.json"), dir.path().join(name)).unwrap();
    std::fs::copy(fix_fixture("state.json"), dir.path().join("state.json")).unwrap();
    dir
}

fn fix(dir: &Path, file: &str) -> std::process::Output {
    cmd()
        .current_dir(dir)
        .args([
            "check",
            file,
            "--state",
            "state.json",
            "--region",
            "us-east-1",
        ])
        .args(["--account", "111122223333", "--fix"])
        .output()
        .unwrap()
}

const PINNED: &str =
    "web:latest@sha256:ac47b3653d780477f9b138bab8905d775e843572a3941859ed31d3d6bfcd8b1f";

#[cfg(unix)]
#[test]
fn fix_edits_the_target_of_a_symbolic_link() {
    let dir = fix_dir("real.json");
    std::os::unix::fs::symlink("real.json", dir.path().join("link.json")).unwrap();
    let out = fix(dir.path(), "link.json");
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 changes"));
    let link = std::fs::symlink_metadata(dir.path().join("link.json")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    let text = std::fs::read_to_string(dir.path().join("real.json")).unwrap();
    assert!(text.contains(PINNED), "{text}");
}

#[cfg(unix)]
#[test]
fn fix_keeps_hard_links_and_permissions() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = fix_dir("a.json");
    std::fs::hard_link(dir.path().join("a.json"), dir.path().join("b.json")).unwrap();
    std::fs::set_permissions(
        dir.path().join("a.json"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let out = fix(dir.path(), "a.json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = std::fs::metadata(dir.path().join("a.json")).unwrap();
    assert_eq!(a.nlink(), 2, "the hard link was split");
    assert_eq!(a.mode() & 0o777, 0o640);
    let b = std::fs::read_to_string(dir.path().join("b.json")).unwrap();
    assert!(b.contains(PINNED), "{b}");
}

#[cfg(unix)]
#[test]
fn fix_refuses_a_read_only_file_and_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = fix_dir("td.json");
    let path = dir.path().join("td.json");
    let before = std::fs::read(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = fix(dir.path(), "td.json");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("td.json left unchanged: the file is read-only"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

/// A writer that takes the lock, as an editor or another `--fix` would: reads the file, adds
/// one to `memory`, removes the pins (so there is always something to fix) and writes it back
/// in place. Every one of its edits must survive the concurrent `--fix` runs.
#[cfg(unix)]
#[test]
fn fix_never_loses_a_concurrent_edit() {
    use std::io::{Read, Seek, Write};
    let dir = fix_dir("td.json");
    let path = dir.path().join("td.json");
    let start: u64 = {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        v["memory"].as_str().map_or(0, |s| s.parse().unwrap())
    };
    let edits = 200u64;
    let writer = {
        let path = path.clone();
        std::thread::spawn(move || {
            for _ in 0..edits {
                let f = loop {
                    let f = std::fs::OpenOptions::new()
                        .read(true)
                        .write(true)
                        .open(&path)
                        .unwrap();
                    f.lock().unwrap();
                    // The file may have been replaced while we waited for the lock.
                    use std::os::unix::fs::MetadataExt;
                    if f.metadata().unwrap().ino() == std::fs::metadata(&path).unwrap().ino() {
                        break f;
                    }
                };
                let mut text = String::new();
                (&f).read_to_string(&mut text).unwrap();
                let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let memory = v["memory"]
                    .as_str()
                    .map_or(0, |s| s.parse::<u64>().unwrap());
                v["memory"] = serde_json::Value::String((memory + 1).to_string());
                let text = serde_json::to_string_pretty(&v)
                    .unwrap()
                    .replace("@sha256:", "-unpinned-");
                let text = unpin(&text);
                let mut w = &f;
                w.seek(std::io::SeekFrom::Start(0)).unwrap();
                w.write_all(text.as_bytes()).unwrap();
                f.set_len(text.len() as u64).unwrap();
                drop(f);
                std::thread::sleep(std::time::Duration::from_millis(3));
            }
        })
    };
    let mut runs = 0;
    while !writer.is_finished() {
        let out = fix(dir.path(), "td.json");
        assert!(out.status.code().is_some());
        runs += 1;
    }
    writer.join().unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let memory: u64 = v["memory"].as_str().unwrap().parse().unwrap();
    assert_eq!(memory, start + edits, "edits lost over {runs} --fix runs");
    assert!(runs > 3, "only {runs} runs");
}

/// The image references without their digests.
fn unpin(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("-unpinned-") {
        out.push_str(&rest[..at]);
        rest = &rest[at + "-unpinned-".len()..];
        let hex = rest
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len());
        rest = &rest[hex..];
    }
    out.push_str(rest);
    out
}

#[test]
fn a_span_past_column_65535_is_rendered_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let long = "a".repeat(70_000);
    write(
        dir.path(),
        "td.json",
        &format!(
            r#"{{"family": "web", "containerDefinitions": [{{"name": "web", "memory": 256, "image": "nginx:{long}"}}], "x": "{long}", "cpu": "lots"}}"#
        ),
    );
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "td.json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("out of range"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("IMG001"),
        "{}",
        &stdout[..stdout.len().min(2000)]
    );
    // The snippet shows a window, not the 70,000 characters.
    assert!(stdout.len() < 20_000, "{} bytes", stdout.len());
}

#[test]
fn output_naming_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:latest", "memory": 256}]}"#;
    write(dir.path(), "td.json", text);
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", ".", "--output", "./td.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is the input `td.json`"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("td.json")).unwrap(),
        text
    );
}

#[test]
fn a_closed_pipe_is_not_an_error_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<String> = (0..2000)
        .map(|i| format!(r#"{{"family": "web-{i}", "containerDefinitions": [{{"name": "web", "image": "nginx:latest", "memory": 256}}]}}"#))
        .collect();
    write(dir.path(), "many.json", &format!("[{}]", items.join(",")));
    let binary = assert_cmd::cargo::cargo_bin("ecs-preflight");
    for format in ["human", "json", "sarif", "github"] {
        let mut child = std::process::Command::new(&binary)
            .current_dir(dir.path())
            .args(["check", "many.json", "--format", format])
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The report is far larger than a pipe's buffer: the tool's write fails with EPIPE.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Only the one-line summary a non-human format prints on stderr; no error.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.lines().all(|l| l.starts_with("ecs-preflight: ")) && stderr.lines().count() <= 1,
            "{format}: {stderr}"
        );
    }
}

#[test]
fn per_file_ignores_accept_a_leading_dot_slash() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "legacy/td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:latest", "memory": 256}]}"#,
    );
    write(
        dir.path(),
        "ecs-preflight.toml",
        "[[per-file-ignores]]\npath = \"./legacy/**\"\nignore = [\"IMG\"]\n",
    );
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", ".", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(!codes.iter().any(|c| c.starts_with("IMG")), "{codes:?}");
}

#[cfg(unix)]
#[test]
fn backslashes_in_file_names_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "back\\slash.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:latest", "memory": 256}]}"#,
    );
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", ".", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["file"], "back\\slash.json");
}

#[cfg(unix)]
#[test]
fn links_and_dot_ignore_files_do_not_hide_inputs_silently() {
    let dir = tempfile::tempdir().unwrap();
    let td = r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:latest", "memory": 256}]}"#;
    write(dir.path(), "real/td.json", td);
    write(dir.path(), "hidden/td.json", td);
    write(dir.path(), ".ignore", "hidden/\n");
    std::os::unix::fs::symlink("real/td.json", dir.path().join("link.json")).unwrap();
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "."])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("`link.json` is a symbolic link: links are not followed"),
        "{stdout}"
    );
    assert!(stdout.contains("hidden/td.json"), "{stdout}");
}
