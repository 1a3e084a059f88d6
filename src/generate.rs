//! Shell completions and man pages, generated from the clap definition in `cli.rs` so that they
//! never drift from the real options. The release archives ship their output.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, Shell};

/// `ecs-preflight completions SHELL`: the completion script on stdout.
/// Errors are the message to print; the caller chooses the exit code.
pub fn completions(shell: Shell) -> Result<(), String> {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "ecs-preflight", &mut out);
    if shell == clap_complete::Shell::Bash {
        out = fix_bash_states(out);
    }
    write_stdout(&out)
}

/// clap_complete's bash script spells a subcommand's state `ecs__preflight__subcmd__check` where
/// it walks the words but `ecs__subcmd__preflight__subcmd__check` in the `case` that offers the
/// options, so for a binary name with a hyphen no subcommand option ever completes
/// (https://github.com/clap-rs/clap/issues/6421). Spelling both alike fixes it; once clap_complete
/// is fixed this replaces nothing.
fn fix_bash_states(script: Vec<u8>) -> Vec<u8> {
    match String::from_utf8(script) {
        Ok(text) => text
            .replace("ecs__subcmd__preflight", "ecs__preflight")
            .into_bytes(),
        Err(e) => e.into_bytes(),
    }
}

/// `ecs-preflight man`: the main page on stdout; with a folder, every page into it.
pub fn man(dir: Option<&Path>) -> Result<(), String> {
    let cmd = Cli::command();
    match dir {
        None => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut out) {
                Ok(()) => write_stdout(&out),
                Err(e) => Err(format!("cannot render the man page: {e}")),
            }
        }
        Some(dir) => {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return Err(format!("cannot create {}: {e}", dir.display()));
            }
            match clap_mangen::generate_to(cmd, dir) {
                Ok(()) => Ok(()),
                Err(e) => Err(format!("cannot write man pages to {}: {e}", dir.display())),
            }
        }
    }
}

/// Writes everything or reports why not: a closed pipe (`| head`) must not panic.
fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write to stdout: {e}")),
    }
}
