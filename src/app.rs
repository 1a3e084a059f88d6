//! From parsed arguments to a run and an exit code.

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::check::{self, Report, RunOptions};
use crate::cli::{AssignPublicIp, CheckArgs, Cli, Command, FailOn, Format};
use crate::config::{self, LoadedConfig};
use crate::diag::Severity;
use crate::render::{self, OutputFormat, RenderOptions};
use crate::rules::{self, ALL};
use crate::settings::{NetworkFlags, Settings};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

pub fn main(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => check(*args),
        Command::Rules => {
            print!("{}", rules_table());
            EXIT_OK
        }
        Command::Explain { rule } => explain(&rule),
        Command::Completions { shell } => generated(crate::generate::completions(shell)),
        Command::Man { dir } => generated(crate::generate::man(dir.as_deref())),
        #[cfg(feature = "aws")]
        Command::Snapshot(args) => match crate::live::snapshot(&args) {
            Ok(()) => EXIT_OK,
            Err(crate::live::SnapshotFailed) => EXIT_ERROR,
        },
        #[cfg(not(feature = "aws"))]
        Command::Snapshot(_) => usage_error(NO_AWS_SUPPORT),
    }
}

/// `check --aws` and `snapshot` in a build without the `aws` feature.
#[cfg(not(feature = "aws"))]
const NO_AWS_SUPPORT: &str = "this build of ecs-preflight has no AWS support (it was built \
     without the `aws` feature), so it cannot read the live account; pass state files with \
     --state, or build with the default features";

/// The exit code of a command that generates files or text (completions, man pages).
fn generated(result: Result<(), String>) -> i32 {
    match result {
        Ok(()) => EXIT_OK,
        Err(message) => {
            eprintln!("error: {}", render::sanitize::line(&message));
            EXIT_ERROR
        }
    }
}

fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A usage problem: printed to stderr, exit code 2.
fn usage_error(message: &str) -> i32 {
    // Messages quote arguments and file names: escaped like every value from input.
    eprintln!("error: {}", render::sanitize::line(message));
    EXIT_ERROR
}

pub fn rules_table() -> String {
    let mut out = String::new();
    for r in ALL.iter() {
        out.push_str(&format!(
            "{:<8} {:<32} {:<8} {}\n",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary
        ));
    }
    out
}

fn explain(query: &str) -> i32 {
    let Some(rule) = rules::find(query) else {
        return usage_error(&config::unknown_selector_message(query));
    };
    match crate::pages::page(rule.code) {
        Some(text) => {
            print!("{text}");
            EXIT_OK
        }
        None => usage_error(&format!("{} has no page", rule.code)),
    }
}

fn check(args: CheckArgs) -> i32 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    // A named path that does not exist is reported like any unreadable input (IN001, exit 2)
    // and the other inputs are still checked.
    #[cfg(not(feature = "aws"))]
    if args.aws || args.cluster.is_some() || args.profile.is_some() {
        return usage_error(NO_AWS_SUPPORT);
    }
    if !args.aws && (args.cluster.is_some() || args.profile.is_some()) {
        return usage_error("--cluster and --profile read the live account: add --aws");
    }
    let reads_stdin = paths.iter().any(|p| p.as_os_str() == "-");
    if args.stdin_filename.is_some() && !reads_stdin {
        return usage_error("--stdin-filename names standard input: add the path `-`");
    }
    if reads_stdin && args.fix {
        return usage_error("--fix edits files in place and cannot edit standard input");
    }
    let mut images = Vec::new();
    for arg in &args.image {
        match crate::image_override::parse(arg) {
            Ok(o) => images.push(o),
            Err(message) => return usage_error(&message),
        }
    }
    if !images.is_empty() && args.fix {
        return usage_error(
            "--fix would write the --image replacement into the file: run --fix without --image",
        );
    }
    // Standard input names a file for the config lookup when --stdin-filename gives one.
    let stdin_name = args
        .stdin_filename
        .clone()
        .unwrap_or_else(|| check::STDIN_NAME.to_string());
    let config_from = if paths[0].as_os_str() == "-" {
        match &args.stdin_filename {
            Some(name) => PathBuf::from(name),
            None => PathBuf::from("."),
        }
    } else {
        paths[0].clone()
    };
    let loaded = match load_config(&args, &config_from) {
        Ok(c) => c,
        Err(code) => return code,
    };
    #[allow(unused_mut)]
    let mut options = match run_options(&args, paths.clone(), loaded.as_ref()) {
        Ok(o) => o,
        Err(message) => return usage_error(&message),
    };
    let mut inputs = check::InputOptions {
        images,
        skip_unrecognized: args.skip_unrecognized,
        stdin: None,
    };
    if reads_stdin {
        let mut bytes = Vec::new();
        let limit = crate::source::MAX_FILE_BYTES + 1;
        if let Err(e) = std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin().lock(), limit),
            &mut bytes,
        ) {
            return usage_error(&format!("cannot read standard input: {e}"));
        }
        inputs.stdin = Some(check::StdinInput {
            name: stdin_name.clone(),
            bytes,
        });
    }
    let fail_on = match (
        args.fail_on,
        loaded.as_ref().and_then(|c| c.config.fail_on.as_ref()),
    ) {
        (Some(f), _) => f,
        (None, Some(f)) => *f.get_ref(),
        (None, None) => FailOn::Error,
    };
    // --aws reads the account once; the check after --fix reuses what was read.
    #[cfg(feature = "aws")]
    let live = if args.aws {
        match live_state(&args, &mut options) {
            Ok(live) => Some(live),
            Err(message) => return usage_error(&message),
        }
    } else {
        None
    };
    let run = |options: &RunOptions| -> Report {
        #[cfg(feature = "aws")]
        if let Some(live) = &live {
            return check::run_with_live_state(options, &inputs, &live.files, live.skips.clone());
        }
        check::run_with_live_state(options, &inputs, &[], Vec::new())
    };
    let mut report = run(&options);
    // --fix: apply the safe fixes, then check again and report what remains.
    let mut fixed = None;
    if args.fix {
        let resolve = crate::model::recognize::ResolveSettings {
            account: options.settings.account.clone(),
            region: options.settings.region.clone(),
        };
        let outcome = crate::fix::apply(&report, &resolve);
        if outcome.files_written > 0 {
            report = run(&options);
        }
        fixed = Some(outcome);
    }
    // A bad baseline is a usage error before anything is written.
    let baseline = match &args.baseline {
        Some(path) => match crate::baseline::load(path) {
            Ok(entries) => Some(entries),
            Err(message) => return usage_error(&message),
        },
        None => None,
    };
    if let Some(path) = &args.write_baseline {
        let entries = crate::baseline::entries(&report);
        if let Err(message) = crate::baseline::write(path, &entries) {
            return usage_error(&message);
        }
        if !args.quiet {
            eprintln!(
                "ecs-preflight: wrote {} {} to {}",
                entries.len(),
                if entries.len() == 1 {
                    "finding"
                } else {
                    "findings"
                },
                path.display()
            );
        }
        // The baseline just written applies to this run: adopting it turns the gate green.
        crate::baseline::apply(&mut report, &entries);
    } else if let Some(entries) = &baseline {
        crate::baseline::apply(&mut report, entries);
    }
    if let Some(unknown) = inputs
        .images
        .iter()
        .find(|o| !report.images_replaced.contains(&o.container))
    {
        return usage_error(&format!(
            "--image {}=…: no container named `{}` in the task definitions checked",
            unknown.container, unknown.container
        ));
    }
    let format = match args.format {
        Format::Human => OutputFormat::Human,
        Format::Json => OutputFormat::Json,
        Format::Sarif => OutputFormat::Sarif,
        Format::Github => OutputFormat::Github,
        Format::Gitlab => OutputFormat::Gitlab,
    };
    let color = format == OutputFormat::Human
        && args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let options = RenderOptions {
        color,
        width: Some(render::wrap::terminal_width()),
        sarif_category: args.sarif_category.as_deref(),
    };
    if let Some(output) = &args.output
        && let Some(input) = same_file_as_an_input(output, &report, loaded.as_ref())
    {
        return usage_error(&format!(
            "--output `{}` is the input `{input}`: the report would replace it; write the report elsewhere",
            output.display()
        ));
    }
    if let Err(message) = write_report(&report, format, options, args.output.as_deref()) {
        return usage_error(&message);
    }
    // What --fix changed goes to stderr whatever the format: stdout stays machine-readable.
    if let Some(outcome) = &fixed {
        eprint!("{}", crate::fix::describe(outcome));
    }
    if (format != OutputFormat::Human || args.output.is_some()) && !args.quiet {
        // The report went to a file or to a machine: a CI log still says how the gate ended.
        eprintln!("{}", render::summary_line(&report));
    }
    if report.checked_files == 0 && !report.input_errors {
        eprintln!(
            "no ECS inputs found in {} (pass --allow-empty if that is expected)",
            describe_paths(&paths, &stdin_name)
        );
        if !args.allow_empty {
            return EXIT_ERROR;
        }
    }
    // A fix that could not be written must not look like success in CI.
    if fixed.as_ref().is_some_and(|f| f.write_failures > 0) {
        return EXIT_ERROR;
    }
    let code = exit_code(&report, fail_on);
    // The process exits next: freeing a report of a hundred thousand findings one allocation
    // at a time would only cost time (a twentieth of a run on a 10 MB input).
    std::mem::forget(report);
    code
}

/// The paths of a run, as the user gave them, for a message.
fn describe_paths(paths: &[PathBuf], stdin_name: &str) -> String {
    let shown: Vec<String> = paths
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                stdin_name.to_string()
            } else {
                check::display_name(p)
            }
        })
        .collect();
    shown.join(", ")
}

/// The input (task definition, state, service or config file) that `output` names, if any.
fn same_file_as_an_input(
    output: &Path,
    report: &Report,
    config: Option<&LoadedConfig>,
) -> Option<String> {
    let target = std::fs::canonicalize(output).ok()?;
    let same = |p: &Path| std::fs::canonicalize(p).is_ok_and(|c| c == target);
    if let Some(f) = report.files.iter().find(|f| same(&f.path)) {
        return Some(f.name.clone());
    }
    config
        .filter(|c| same(&c.path))
        .map(|c| c.source.name.clone())
}

pub fn exit_code(report: &Report, fail_on: FailOn) -> i32 {
    if report.input_errors {
        return EXIT_ERROR;
    }
    let threshold = match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Note => Severity::Note,
        FailOn::Never => return EXIT_OK,
    };
    if report
        .diagnostics
        .iter()
        .any(|d| d.severity >= threshold && !d.baselined)
    {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn write_report(
    report: &Report,
    format: OutputFormat,
    options: RenderOptions,
    path: Option<&Path>,
) -> Result<(), String> {
    let mut sink: Box<dyn Write> = match path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(|e| format!("cannot write `{}`: {e}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let result = match format {
        OutputFormat::Human => render::human::write(report, options, &mut sink),
        OutputFormat::Json => render::json::write(report, &mut sink),
        OutputFormat::Sarif => render::sarif::write(report, options.sarif_category, &mut sink),
        OutputFormat::Github => render::github::write(report, &mut sink),
        OutputFormat::Gitlab => sink.write_all(render::render(report, format, options).as_bytes()),
    };
    let result = result.and_then(|_| sink.flush());
    match (result, path) {
        (Ok(()), _) => Ok(()),
        // A closed pipe (`| head`) is not an error worth a message.
        (Err(e), None) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        (Err(e), Some(p)) => Err(format!("cannot write `{}`: {e}", p.display())),
        (Err(e), None) => Err(format!("cannot write the report: {e}")),
    }
}

fn load_config(args: &CheckArgs, first_path: &Path) -> Result<Option<LoadedConfig>, i32> {
    let path = match &args.config {
        Some(p) => {
            if !p.exists() {
                return Err(usage_error(&format!(
                    "config file `{}` not found",
                    p.display()
                )));
            }
            Some(p.clone())
        }
        None => config::discover(first_path),
    };
    let Some(path) = path else { return Ok(None) };
    match config::load(&path, check::display_name(&path)) {
        Ok(c) => Ok(Some(c)),
        Err(e) => {
            eprint!(
                "{}",
                render::human::render_error(&e.source, e.span, &e.message, stderr_color())
            );
            Err(EXIT_ERROR)
        }
    }
}

fn selectors(list: &[String]) -> Result<Vec<&'static rules::Rule>, String> {
    let mut out = Vec::new();
    for s in list.iter().filter(|s| !s.trim().is_empty()) {
        let found = config::resolve_selector(s);
        if !config::is_known_selector(s) {
            return Err(config::unknown_selector_message(s));
        }
        out.extend(found);
    }
    Ok(out)
}

fn run_options(
    args: &CheckArgs,
    paths: Vec<PathBuf>,
    loaded: Option<&LoadedConfig>,
) -> Result<RunOptions, String> {
    let cfg = loaded.map(|l| &l.config);
    // --select replaces the config's select; --ignore adds to the config's ignore.
    // `--select ""` (an empty variable in a CI script) is no selection, not "no rules".
    let cli_select: Vec<String> = args
        .select
        .iter()
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .collect();
    let select: Vec<String> = if !cli_select.is_empty() {
        cli_select
    } else {
        cfg.and_then(|c| c.select.as_ref())
            .map(|v| v.iter().map(|s| s.get_ref().clone()).collect())
            .unwrap_or_default()
    };
    let mut ignore: Vec<String> = cfg
        .and_then(|c| c.ignore.as_ref())
        .map(|v| v.iter().map(|s| s.get_ref().clone()).collect())
        .unwrap_or_default();
    ignore.extend(args.ignore.iter().cloned());
    let mut enabled: HashSet<&'static str> = if select.is_empty() {
        ALL.iter().map(|r| r.code).collect()
    } else {
        selectors(&select)?.into_iter().map(|r| r.code).collect()
    };
    if ignore.iter().any(|s| config::names_input_rules(s)) {
        return Err(config::in_not_ignorable());
    }
    for r in selectors(&ignore)? {
        enabled.remove(r.code);
    }
    // `[severity]` keys are codes, names or prefixes; the more specific key wins (`IMG` then
    // `IMG004`), whatever the order in the file.
    let mut levels: Vec<(usize, &String, Severity)> = cfg
        .and_then(|c| c.severity.as_ref())
        .into_iter()
        .flatten()
        .map(|(key, level)| (config::specificity(key), key, *level.get_ref()))
        .collect();
    levels.sort_by_key(|(specificity, key, _)| (*specificity, (*key).clone()));
    let mut severity_overrides = HashMap::new();
    for (_, key, sev) in levels {
        for rule in config::resolve_selector(key) {
            severity_overrides.insert(rule.code, sev);
        }
    }
    let ignore_base = loaded
        .and_then(|l| std::path::absolute(&l.path).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let mut per_file_ignores = Vec::new();
    for pfi in cfg
        .and_then(|c| c.per_file_ignores.as_ref())
        .into_iter()
        .flatten()
    {
        // Paths are matched relative to the config's folder, without a leading `./`.
        let pattern = pfi.path.get_ref().as_str();
        let pattern = pattern.trim_start_matches("./");
        let glob = globset::Glob::new(pattern)
            .map_err(|e| format!("invalid per-file-ignores path: {e}"))?;
        let codes: HashSet<&'static str> = selectors(
            &pfi.ignore
                .iter()
                .map(|s| s.get_ref().clone())
                .collect::<Vec<_>>(),
        )?
        .into_iter()
        .map(|r| r.code)
        .collect();
        per_file_ignores.push((glob.compile_matcher(), codes));
    }
    if let Some(account) = &args.account
        && !config::is_account_id(account)
    {
        return Err(format!(
            "--account `{account}` is not an AWS account ID (12 digits)"
        ));
    }
    let (region, region_source) = match (&args.region, cfg.and_then(|c| c.region.clone())) {
        (Some(r), _) => (Some(r.clone()), Some("--region".to_string())),
        (None, Some(r)) => (Some(r), Some(format!("`region` in {}", config::FILE_NAME))),
        (None, None) => (None, None),
    };
    let env_region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .ok()
        .filter(|r| !r.is_empty());
    // --state files, then the config's (relative to the config file).
    let mut state_files = args.state.clone();
    if let (Some(l), Some(list)) = (loaded, cfg.and_then(|c| c.state.as_ref())) {
        let base = l.path.parent().map(Path::to_path_buf).unwrap_or_default();
        state_files.extend(list.iter().map(|p| base.join(p.get_ref())));
    }
    let account = args.account.clone().or_else(|| {
        cfg.and_then(|c| c.account.as_ref())
            .map(|a| a.get_ref().clone())
    });
    let vulnerabilities = cfg.and_then(|c| c.vulnerabilities.as_ref());
    let settings = Settings {
        region,
        region_source,
        account,
        account_source: None,
        require_digest: cfg.and_then(|c| c.require_digest).unwrap_or(false),
        network: NetworkFlags {
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
            assign_public_ip: args.assign_public_ip.map(|a| a == AssignPublicIp::Enabled),
            launch_type: args.launch_type,
        },
        vulnerabilities_error_on: vulnerabilities
            .and_then(|v| v.error_on.as_ref())
            .map(|s| *s.get_ref()),
        vulnerabilities_warn_on: vulnerabilities
            .and_then(|v| v.warn_on.as_ref())
            .map(|s| *s.get_ref()),
        now: None,
    };
    // A device or FIFO is refused when it is read, with the reason (IN002).
    if let Some(service) = &args.service
        && !service.exists()
    {
        return Err(format!("--service `{}`: no such file", service.display()));
    }
    // `--var-file` and `--var` in command-line order (Terraform applies them so).
    let mut given: Vec<(u64, crate::model::tfsource::VarInput)> = Vec::new();
    for f in &args.var_file {
        if !f.value.is_file() {
            return Err(format!("--var-file `{}`: no such file", f.value.display()));
        }
        given.push((
            f.seq,
            crate::model::tfsource::VarInput::File(f.value.clone()),
        ));
    }
    for v in &args.var {
        match v.value.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => given.push((
                v.seq,
                crate::model::tfsource::VarInput::Value(name.trim().to_string(), value.to_string()),
            )),
            _ => return Err(format!("--var `{}`: expected NAME=VALUE", v.value)),
        }
    }
    given.sort_by_key(|(seq, _)| *seq);
    let terraform = crate::check::TerraformInputs {
        values: given.into_iter().map(|(_, v)| v).collect(),
    };
    Ok(RunOptions {
        paths,
        state_files,
        env_region,
        service_file: args.service.clone(),
        settings,
        enabled,
        severity_overrides,
        per_file_ignores,
        ignore_base,
        terraform,
    })
}

/// `check --aws`: reads the account for what the inputs reference. The region read becomes the
/// deployment region when neither `--region` nor the config gives one.
#[cfg(feature = "aws")]
fn live_state(
    args: &CheckArgs,
    options: &mut RunOptions,
) -> Result<crate::live::LiveState, String> {
    let inputs = crate::live::Inputs {
        paths: &options.paths,
        region: options.settings.region.clone(),
        account: options.settings.account.clone(),
        profile: args.profile.clone(),
        cluster: args.cluster.clone(),
        network: &options.settings.network,
        service_file: options.service_file.as_deref(),
    };
    let live = crate::live::for_check(&inputs, &options.enabled)?;
    if options.settings.region.is_none() {
        options.settings.region = Some(live.region.clone());
        options.settings.region_source = Some("the AWS configuration".to_string());
    }
    Ok(live)
}
