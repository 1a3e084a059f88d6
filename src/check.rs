//! The driver: find the inputs, read them, run the rules, collect one report. Files are read and
//! checked in parallel; the report is the same whatever the scheduling.
//!
//! Longer than the project's ~800-line guide: the driver is one pipeline (walk, read, resolve,
//! check, collect) that reads top to bottom; its parts share the per-run `Shared` inputs, and
//! the next split planned is the input walk (`find_candidates` and its helpers) into its own file.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diag::CURRENT_FILE;
use crate::diag::{Diagnostic, FileId, Severity, Skip};
use crate::image_override::{self, ImageOverride};
use crate::model::Document;
use crate::model::recognize::{self, Recognized, ResolveSettings};
use crate::rules::{self, Context, DocumentFacts, Rule, ServiceFile};
use crate::settings::Settings;
use crate::source::SourceFile;
use crate::span::Span;
use crate::state::template::TemplateState;
use crate::state::{AccountState, snapshot};

/// Everything a run needs, already validated.
pub struct RunOptions {
    pub paths: Vec<PathBuf>,
    /// State snapshot files (`--state` and the config's `state`).
    pub state_files: Vec<PathBuf>,
    /// The region from `AWS_REGION`/`AWS_DEFAULT_REGION`: the last fallback, after the region of
    /// the only state file.
    pub env_region: Option<String>,
    /// `--service FILE`.
    pub service_file: Option<PathBuf>,
    pub settings: Settings,
    pub enabled: HashSet<&'static str>,
    pub severity_overrides: HashMap<&'static str, Severity>,
    /// Glob (relative to `ignore_base`) → codes not reported for matching files.
    pub per_file_ignores: Vec<(globset::GlobMatcher, HashSet<&'static str>)>,
    pub ignore_base: PathBuf,
    /// `--var-file` and `--var` for Terraform root modules.
    pub terraform: TerraformInputs,
}

/// Root-module variable values from the command line, in command-line order.
#[derive(Clone, Debug, Default)]
pub struct TerraformInputs {
    pub values: Vec<crate::model::tfsource::VarInput>,
}

impl RunOptions {
    /// Local module sources are followed inside the repository of `dir` (the folder holding
    /// `.git`), else inside the folder named on the command line that holds `dir`, else inside
    /// the working directory, else inside `dir` itself.
    fn terraform_boundary(&self, dir: &Path) -> PathBuf {
        let dir = identity(dir);
        let mut at = Some(dir.as_path());
        while let Some(d) = at {
            if d.join(".git").exists() {
                return d.to_path_buf();
            }
            at = d.parent();
        }
        let named = self
            .paths
            .iter()
            .filter(|p| p.is_dir())
            .map(|p| identity(p))
            .filter(|p| dir.starts_with(p))
            .min_by_key(|p| p.components().count());
        if let Some(named) = named {
            return named;
        }
        match std::env::current_dir().map(|c| identity(&c)) {
            Ok(cwd) if dir.starts_with(&cwd) => cwd,
            _ => dir,
        }
    }
}

/// How inputs are found and read, beyond their paths.
#[derive(Clone, Debug, Default)]
pub struct InputOptions {
    /// What the path `-` reads: standard input, read once by the caller.
    pub stdin: Option<StdinInput>,
    /// `--skip-unrecognized`: a named file that is not an ECS input is skipped, not an error.
    pub skip_unrecognized: bool,
    /// `--image CONTAINER=IMAGE`.
    pub images: Vec<ImageOverride>,
}

/// Standard input, as the path `-` and its `--stdin-filename`.
#[derive(Clone, Debug)]
pub struct StdinInput {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The name standard input has when `--stdin-filename` does not give one.
pub const STDIN_NAME: &str = "<stdin>";

#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
    pub skipped: Vec<Skip>,
    /// Files that are ECS inputs (or were named and could not be read).
    pub checked_files: usize,
    pub task_definitions: usize,
    /// An input could not be read or parsed (exit code 2).
    pub input_errors: bool,
    /// Containers whose image `--image` replaced somewhere.
    pub images_replaced: BTreeSet<String>,
    /// `--baseline` entries that no finding matches any more.
    pub baseline_fixed: Vec<crate::diag::fingerprint::BaselineEntry>,
}

impl Report {
    /// Findings of this severity that count (baselined ones do not).
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity && !d.baselined)
            .count()
    }

    pub fn baselined(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.baselined).count()
    }
}

/// One file to look at, and whether the user named it (an unrecognised named file is an error;
/// one found by walking is skipped).
struct Candidate {
    path: PathBuf,
    named: bool,
    /// A folder of `.tf` files: one Terraform module.
    terraform: bool,
    /// The path `-`: standard input.
    stdin: bool,
}

struct FileResult {
    file: Option<SourceFile>,
    /// Further files the diagnostics point into (the other files of a Terraform module), with
    /// ids `CURRENT_FILE - 1`, `CURRENT_FILE - 2`, … until numbered.
    more_files: Vec<SourceFile>,
    /// A Terraform module folder that is called by another module checked: its results are
    /// dropped (it is checked through its callers), by folder.
    terraform_dir: Option<PathBuf>,
    called_dirs: Vec<PathBuf>,
    is_input: bool,
    task_definitions: usize,
    diagnostics: Vec<Diagnostic>,
    skipped: Vec<Skip>,
    input_error: bool,
    images_replaced: Vec<String>,
}

pub fn run(options: &RunOptions) -> Report {
    run_with_live_state(options, &InputOptions::default(), &[], Vec::new())
}

/// A state snapshot read from the live account (`check --aws`): loaded exactly as a state file
/// with this name and text would be, after the `--state` files.
#[derive(Clone, Debug)]
pub struct LiveStateFile {
    pub name: String,
    pub text: String,
}

/// `run`, with state snapshots read live and what could not be read (run summary).
pub fn run_with_live_state(
    options: &RunOptions,
    inputs: &InputOptions,
    live_state: &[LiveStateFile],
    live_skips: Vec<Skip>,
) -> Report {
    let mut report = Report::default();
    let state = load_state(&options.state_files, live_state, &mut report);
    let service = options
        .service_file
        .as_ref()
        .and_then(|p| load_service(p, &mut report));
    let settings = finish_settings(&options.settings, &state, options.env_region.as_deref());
    let (candidates, walk_skips) = find_candidates(&options.paths);
    report.skipped.extend(walk_skips);
    let shared = Shared {
        options,
        inputs,
        settings: &settings,
        state: &state,
        service: service.as_ref(),
    };
    let results: Vec<FileResult> = candidates
        .par_iter()
        .map(|c| {
            if c.terraform {
                check_terraform_module(c, &shared)
            } else {
                check_file(c, &shared)
            }
        })
        .collect();
    // A module folder another checked module calls is checked through its callers.
    let called: HashSet<PathBuf> = results
        .iter()
        .flat_map(|r| r.called_dirs.iter().cloned())
        .collect();
    for result in results {
        if result
            .terraform_dir
            .as_ref()
            .is_some_and(|d| called.contains(d))
        {
            continue;
        }
        let Some(file) = result.file else { continue };
        let id = report.files.len();
        let more = result.more_files.len();
        let renumber = |f: &mut FileId| {
            if *f == CURRENT_FILE {
                *f = id;
            } else if *f < CURRENT_FILE && *f >= CURRENT_FILE - more {
                *f = id + (CURRENT_FILE - *f);
            }
        };
        report.checked_files += usize::from(result.is_input);
        report.task_definitions += result.task_definitions;
        report.input_errors |= result.input_error;
        report.images_replaced.extend(result.images_replaced);
        let mut diagnostics = result.diagnostics;
        for d in &mut diagnostics {
            renumber(&mut d.file);
            d.labels.iter_mut().for_each(|l| renumber(&mut l.file));
            if let Some(fix) = &mut d.fix {
                fix.edits.iter_mut().for_each(|e| renumber(&mut e.file));
            }
        }
        // The first file's list is taken as it is: no copy of a large one.
        if report.diagnostics.is_empty() {
            report.diagnostics = diagnostics;
        } else {
            report.diagnostics.append(&mut diagnostics);
        }
        report.skipped.extend(result.skipped);
        report.files.push(file);
        report.files.extend(result.more_files);
    }
    sort_diagnostics(&mut report);
    crate::diag::fingerprint::assign(&mut report.diagnostics, &report.files);
    report.skipped.extend(live_skips);
    report.skipped = merge_skips(report.skipped);
    report
}

/// Reads the state files into the report's first file slots; a bad one is an IN003 error and
/// contributes nothing (its checks become unknown).
fn load_state(paths: &[PathBuf], live: &[LiveStateFile], report: &mut Report) -> AccountState {
    let mut snapshots = Vec::new();
    for path in paths {
        let id = report.files.len();
        let name = display_name(path);
        let rule = &rules::input::invalid_state::RULE;
        match SourceFile::read(path, name.clone()) {
            Ok(file) => {
                match snapshot::load(&file, id) {
                    Ok(s) => snapshots.push(s),
                    Err(e) => {
                        let mut d = rules::input_diagnostic(
                            rule,
                            e.span,
                            format!("invalid state file: {}", e.message),
                        );
                        d.file = id;
                        report.diagnostics.push(d);
                        report.input_errors = true;
                    }
                }
                report.files.push(file);
            }
            Err(e) => {
                let mut d = rules::input_diagnostic(
                    rule,
                    Span::default(),
                    format!("cannot read state file `{name}`: {}", e.message),
                );
                d.file = id;
                report.diagnostics.push(d);
                report.input_errors = true;
                report
                    .files
                    .push(SourceFile::new(path.clone(), name, String::new()));
            }
        }
    }
    for l in live {
        let id = report.files.len();
        let file = SourceFile::new(PathBuf::from(&l.name), l.name.clone(), l.text.clone());
        match snapshot::load(&file, id) {
            Ok(s) => snapshots.push(s),
            Err(e) => {
                // The collector writes what the loader reads; this is a bug, not bad input.
                let mut d = rules::input_diagnostic(
                    &rules::input::invalid_state::RULE,
                    e.span,
                    format!("invalid state read from AWS: {}", e.message),
                );
                d.file = id;
                report.diagnostics.push(d);
                report.input_errors = true;
            }
        }
        report.files.push(file);
    }
    AccountState::new(snapshots)
}

/// The ECS inputs among `paths`, read as the check reads them (the live collector lists their
/// references). Files that cannot be read or are not inputs are left out: the check reports
/// them.
pub fn read_documents(paths: &[PathBuf], resolve: &ResolveSettings) -> Vec<Document> {
    find_candidates(paths)
        .0
        .par_iter()
        .filter(|c| !c.stdin)
        .filter_map(|c| {
            if c.terraform {
                // A Terraform module, without `--var`/`--var-file` (the references of its
                // defaults and tfvars are what is read live).
                let options = crate::model::tfsource::SourceOptions {
                    account: resolve.account.clone(),
                    region: resolve.region.clone(),
                    boundary: identity(&c.path),
                    ..Default::default()
                };
                let read = crate::model::tfsource::read_module(&c.path, &options, display_name);
                return (!read.failed && !read.document.task_definitions.is_empty())
                    .then_some(read.document);
            }
            let file = SourceFile::read(&c.path, display_name(&c.path)).ok()?;
            if !c.named && !recognize::may_be_input(&file.text) {
                return None;
            }
            match recognize::read_document(&file, resolve) {
                Recognized::Document(doc) => Some(doc),
                _ => None,
            }
        })
        .collect()
}

/// A `--service` file, read and parsed into the report's files. A bad one is an IN002 error.
fn load_service(path: &Path, report: &mut Report) -> Option<ServiceFile> {
    let id = report.files.len();
    let name = display_name(path);
    let file = match SourceFile::read(path, name.clone()) {
        Ok(f) => f,
        Err(e) => {
            let mut d = rules::input_diagnostic(
                &rules::input::unreadable_input::RULE,
                Span::default(),
                format!("cannot read service file `{name}`: {}", e.message),
            );
            d.file = id;
            report.diagnostics.push(d);
            report.input_errors = true;
            report
                .files
                .push(SourceFile::new(path.to_path_buf(), name, String::new()));
            return None;
        }
    };
    let parsed = crate::parse::json::parse(&file.text);
    report.files.push(file);
    match parsed {
        Ok(root) => Some(ServiceFile { file: id, root }),
        Err(e) => {
            let mut d =
                rules::input_diagnostic(&rules::input::syntax_error::RULE, e.span, e.message);
            d.file = id;
            report.diagnostics.push(d);
            report.input_errors = true;
            None
        }
    }
}

/// What every file's check reads.
struct Shared<'a> {
    options: &'a RunOptions,
    inputs: &'a InputOptions,
    settings: &'a Settings,
    state: &'a AccountState,
    service: Option<&'a ServiceFile>,
}

/// Region and account fallbacks that need the state: the only state file's, then (region)
/// the environment's.
fn finish_settings(
    settings: &Settings,
    state: &AccountState,
    env_region: Option<&str>,
) -> Settings {
    let mut s = settings.clone();
    if s.region.is_none() {
        if let Some(r) = state.only_region() {
            s.region = Some(r.to_string());
            s.region_source = Some("the region of the state file".to_string());
        } else if let Some(r) = env_region {
            s.region = Some(r.to_string());
            s.region_source = Some("AWS_REGION".to_string());
        }
    }
    if s.account.is_none() {
        s.account = state.only_account().map(str::to_string);
        if s.account.is_some() {
            s.account_source = Some("the account of the state file".to_string());
        }
    }
    s
}

/// The order of diagnostics in a report: file, line, column, code.
fn sort_diagnostics(report: &mut Report) {
    let files = &report.files;
    // Sorts in place through a list of keys (stable, as `sort_by` is): no second copy of
    // every diagnostic, which matters when one file has a hundred thousand of them.
    report.diagnostics.sort_by_cached_key(|d| {
        let f = &files[d.file];
        let (line, col) = f.line_col(d.span.start);
        (f.name.as_str(), line, col, d.code)
    });
}

/// The same reason for the same rules, from many task definitions, is listed once.
fn merge_skips(skips: Vec<Skip>) -> Vec<Skip> {
    let mut merged = SkipMerger::default();
    for s in skips {
        merged.add(s);
    }
    let mut out = merged.finish();
    out.sort();
    out
}

/// Skips merged by reason as they come: the rules of a reason united, its subjects kept once
/// each in the order first seen. Merging one file's skips first and the run's afterwards gives
/// what merging them all at once gives; a file with tens of thousands of task definitions then
/// keeps one entry per reason, not one per task definition.
#[derive(Default)]
struct SkipMerger {
    by_reason: Vec<(String, MergedSkip)>,
    // An index by reason: thousands of task definitions share a handful of reasons.
    index: HashMap<String, usize>,
}

struct MergedSkip {
    rules: BTreeSet<&'static str>,
    subjects: Vec<String>,
    seen: HashSet<String>,
}

impl SkipMerger {
    fn add(&mut self, s: Skip) {
        let i = match self.index.get(&s.reason) {
            Some(&i) => i,
            None => {
                self.index.insert(s.reason.clone(), self.by_reason.len());
                self.by_reason.push((
                    s.reason,
                    MergedSkip {
                        rules: BTreeSet::new(),
                        subjects: Vec::new(),
                        seen: HashSet::new(),
                    },
                ));
                self.by_reason.len() - 1
            }
        };
        let merged = &mut self.by_reason[i].1;
        merged.rules.extend(s.rules);
        for subject in s.subjects {
            // Most subjects are seen already (one task definition skips several checks).
            if !merged.seen.contains(&subject) {
                merged.seen.insert(subject.clone());
                merged.subjects.push(subject);
            }
        }
    }

    fn finish(self) -> Vec<Skip> {
        self.by_reason
            .into_iter()
            .map(|(reason, m)| Skip {
                rules: m.rules.into_iter().collect(),
                reason,
                subjects: m.subjects,
            })
            .collect()
    }
}

/// Extensions of files considered when walking a folder. Named files are read whatever their
/// name; a walk looks at JSON and YAML only (and `.template`, CloudFormation's old habit).
const WALK_EXTENSIONS: [&str; 4] = ["json", "yaml", "yml", "template"];

/// The same file named twice (`x.json` and `./x.json`, or named and found by walking) is read
/// once.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The files to check, and what the walk left out that the summary must mention.
///
/// Walking honours `.gitignore` (and git's excludes), not the `.ignore` files of other tools: a
/// file hidden from the check must be hidden on purpose. Symbolic links are not followed
/// (a link in a pull request could point anywhere on the machine); a link with an input's
/// extension is listed in the summary, as a file that was not checked.
fn find_candidates(paths: &[PathBuf]) -> (Vec<Candidate>, Vec<Skip>) {
    let mut out = Vec::new();
    let mut links = Vec::new();
    let mut seen = HashSet::new();
    let has_input_extension = |p: &Path| {
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        WALK_EXTENSIONS.contains(&ext.as_str())
    };
    for path in paths {
        if path.as_os_str() == "-" {
            if seen.insert(PathBuf::from("-")) {
                out.push(Candidate {
                    path: path.clone(),
                    named: true,
                    terraform: false,
                    stdin: true,
                });
            }
        } else if path.is_dir() {
            let mut found = Vec::new();
            let mut tf_dirs: Vec<PathBuf> = Vec::new();
            let walker = ignore::WalkBuilder::new(path)
                .hidden(false)
                .ignore(false)
                .require_git(false)
                .filter_entry(|e| e.file_name() != ".git")
                .build();
            for entry in walker.flatten() {
                let Some(file_type) = entry.file_type() else {
                    continue;
                };
                if file_type.is_symlink() && has_input_extension(entry.path()) {
                    links.push(display_name(entry.path()));
                }
                if !file_type.is_file() {
                    continue;
                }
                let p = entry.into_path();
                if is_terraform_file(&p)
                    && let Some(dir) = p.parent()
                {
                    if !tf_dirs.iter().any(|d| d == dir) {
                        tf_dirs.push(dir.to_path_buf());
                    }
                } else if has_input_extension(&p) {
                    found.push(p);
                }
            }
            found.sort();
            for p in found {
                if seen.insert(identity(&p)) {
                    out.push(Candidate {
                        path: p,
                        named: false,
                        terraform: false,
                        stdin: false,
                    });
                }
            }
            tf_dirs.sort();
            for dir in tf_dirs {
                if seen.insert(identity(&dir)) {
                    out.push(Candidate {
                        path: dir,
                        named: false,
                        terraform: true,
                        stdin: false,
                    });
                }
            }
        } else if is_terraform_file(path) {
            // A `.tf` or `.tf.json` file: its folder's whole module.
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            if seen.insert(identity(&dir)) {
                out.push(Candidate {
                    path: dir,
                    named: true,
                    terraform: true,
                    stdin: false,
                });
            }
        } else if seen.insert(identity(path)) {
            out.push(Candidate {
                path: path.clone(),
                named: true,
                terraform: false,
                stdin: false,
            });
        }
    }
    links.sort();
    let skips = links
        .into_iter()
        .map(|name| Skip {
            rules: Vec::new(),
            reason: format!(
                "`{name}` is a symbolic link: links are not followed when walking a folder; name the file to check it"
            ),
            subjects: Vec::new(),
        })
        .collect();
    (out, skips)
}

/// A fix of a literal in a `.tfvars` file is shown, not applied: the variable's value is set
/// there for this run, and other variables files or `--var` may set it for other runs.
fn keep_tfvars_fixes_shown(fix: &mut crate::diag::Fix, sources: &crate::hcl::Sources) {
    let tfvars = fix.edits.iter().find_map(|e| {
        let piece = sources.pieces.get(CURRENT_FILE.checked_sub(e.file)?)?;
        let name = piece.path.file_name()?.to_str()?;
        (name.ends_with(".tfvars") || name.ends_with(".tfvars.json")).then(|| piece.name.clone())
    });
    if let (Some(name), crate::diag::Applicability::Safe) = (tfvars, fix.applicability) {
        fix.applicability = crate::diag::Applicability::DisplayOnly;
        fix.description = format!(
            "{} (shown, not applied: the value comes from `{name}`, which other variables files or `--var` may replace; edit it where your pipeline sets it)",
            fix.description
        );
    }
}

/// A file of a Terraform module (`.tf`, or `.tf.json`, Terraform's JSON syntax).
fn is_terraform_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".tf") || name.ends_with(".tf.json")
}

/// How a path is shown: relative to the working directory when it is inside it.
pub fn display_name(path: &Path) -> String {
    let shown = match std::env::current_dir() {
        Ok(cwd) if path.is_absolute() => path
            .strip_prefix(&cwd)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    };
    // On Windows, `\` separates folders; elsewhere it is a character of the name.
    let s = shown.to_string_lossy();
    let s = if cfg!(windows) {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    };
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

fn check_file(candidate: &Candidate, shared: &Shared) -> FileResult {
    let (options, settings) = (shared.options, shared.settings);
    let mut result = FileResult {
        file: None,
        more_files: Vec::new(),
        terraform_dir: None,
        called_dirs: Vec::new(),
        is_input: false,
        task_definitions: 0,
        diagnostics: Vec::new(),
        skipped: Vec::new(),
        input_error: false,
        images_replaced: Vec::new(),
    };
    let (read, name) = if candidate.stdin {
        let input = shared.inputs.stdin.clone().unwrap_or(StdinInput {
            name: STDIN_NAME.to_string(),
            bytes: Vec::new(),
        });
        let name = input.name.clone();
        (
            SourceFile::from_bytes(PathBuf::from(&input.name), input.name, input.bytes),
            name,
        )
    } else {
        let name = display_name(&candidate.path);
        (SourceFile::read(&candidate.path, name.clone()), name)
    };
    let file = match read {
        Ok(f) => f,
        Err(e) => {
            if candidate.named {
                let at = e
                    .position
                    .map(|(l, c)| format!(" (line {l}, column {c})"))
                    .unwrap_or_default();
                let file = SourceFile::new(PathBuf::from(&name), name, String::new());
                result.diagnostics.push(rules::input_diagnostic(
                    &rules::input::unreadable_input::RULE,
                    Span::default(),
                    format!("cannot read `{}`: {}{at}", file.name, e.message),
                ));
                result.file = Some(file);
                result.is_input = true;
                result.input_error = true;
            }
            return result;
        }
    };
    if !candidate.named && !recognize::may_be_input(&file.text) {
        return result;
    }
    let resolve = ResolveSettings {
        account: settings.account.clone(),
        region: settings.region.clone(),
    };
    match recognize::read_document(&file, &resolve) {
        Recognized::Syntax(e) => {
            // A broken file found by walking is reported only if it looked like an ECS input.
            result.diagnostics.push(rules::input_diagnostic(
                &rules::input::syntax_error::RULE,
                e.span,
                e.message,
            ));
            result.is_input = true;
            result.input_error = true;
        }
        Recognized::NotAnInput(reason) => {
            if candidate.named && !shared.inputs.skip_unrecognized {
                result.diagnostics.push(rules::input_diagnostic(
                    &rules::input::unreadable_input::RULE,
                    Span::default(),
                    format!("`{}` is {reason}", file.name),
                ));
                result.is_input = true;
                result.input_error = true;
            }
        }
        Recognized::Document(mut doc) => {
            result.is_input = true;
            check_document(&mut doc, &file, shared, &mut result);
        }
    }
    apply_file_policy(&file, options, &mut result.diagnostics);
    if result.is_input {
        crate::suppress::apply(&file, &mut result.diagnostics, &options.enabled);
    }
    result.file = Some(file);
    result
}

/// Checks the document of any reader (a file, a Terraform module), after the `--image`
/// replacements.
fn check_document(doc: &mut Document, file: &SourceFile, shared: &Shared, result: &mut FileResult) {
    result.images_replaced = image_override::apply(doc, &shared.inputs.images);
    let doc = &*doc;
    let (options, settings, state) = (shared.options, shared.settings, shared.state);
    for problem in &doc.problems {
        result.diagnostics.push(rules::input_diagnostic(
            &rules::input::syntax_error::RULE,
            problem.span,
            problem.message.clone(),
        ));
        result.input_error = true;
    }
    if doc.task_definitions.is_empty() {
        return;
    }
    let template = TemplateState::from_document(doc, settings);
    let mut skips = SkipMerger::default();
    let document_facts = DocumentFacts {
        cdk_assets: (doc.format == crate::model::Format::CloudFormation)
            .then(|| crate::model::cdk::read_assets(&file.path))
            .flatten(),
        ..DocumentFacts::default()
    };
    let rules: Vec<&Rule> = rules::ALL
        .iter()
        .copied()
        .filter(|r| {
            r.needs != rules::Needs::Input
                && !std::ptr::eq(*r, &rules::td::invalid_task_definition::RULE)
        })
        .collect();
    let check_one = |task| {
        let mut cx = Context::new(
            file,
            settings,
            state,
            doc,
            &template,
            &document_facts,
            task,
            &options.enabled,
        );
        cx.service_file = shared.service;
        if let Some(why) = &task.containers_unknown {
            cx.skip(
                &rules,
                format!("the container definitions cannot be known before deploy: {why}"),
            );
        }
        // A container that is itself an expression (`!If [Cond, {…}, !Ref AWS::NoValue]`).
        for c in task.containers() {
            let why = match &c.node.kind {
                crate::parse::NodeKind::Unresolved(why) => why.clone(),
                crate::parse::NodeKind::ResourceRef { id, .. } => format!("it comes from `{id}`"),
                _ => continue,
            };
            cx.skip(
                &rules,
                format!(
                    "container #{} is known only at deploy time: {why}",
                    c.index + 1
                ),
            );
        }
        rules::check_task_definition(task, &mut cx);
        (
            std::mem::take(&mut cx.diagnostics),
            std::mem::take(&mut cx.skipped),
        )
    };
    result.task_definitions += doc.task_definitions.len();
    for task in &doc.task_definitions {
        let (mut diagnostics, skipped) = check_one(task);
        result.diagnostics.append(&mut diagnostics);
        for s in skipped {
            skips.add(s);
        }
    }
    result.skipped.extend(skips.finish());
}

/// Severity overrides and per-file ignores from the config.
fn apply_file_policy(file: &SourceFile, options: &RunOptions, diagnostics: &mut Vec<Diagnostic>) {
    let relative = std::path::absolute(&file.path)
        .ok()
        .and_then(|p| {
            p.strip_prefix(&options.ignore_base)
                .ok()
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| file.path.clone());
    let ignored: HashSet<&str> = options
        .per_file_ignores
        .iter()
        .filter(|(glob, _)| glob.is_match(&relative))
        .flat_map(|(_, codes)| codes.iter().copied())
        .collect();
    // IN diagnostics say an input could not be checked (exit code 2): they are never hidden.
    diagnostics.retain(|d| {
        d.code.starts_with("IN") || (!ignored.contains(d.code) && options.enabled.contains(d.code))
    });
    for d in diagnostics.iter_mut() {
        if let Some(sev) = options.severity_overrides.get(d.code) {
            d.severity = *sev;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Terraform source: a folder of `.tf` files is one input (see `docs/terraform.md`).

fn check_terraform_module(candidate: &Candidate, shared: &Shared) -> FileResult {
    let dir = &candidate.path;
    let mut result = FileResult {
        file: None,
        more_files: Vec::new(),
        terraform_dir: Some(identity(dir)),
        called_dirs: Vec::new(),
        is_input: false,
        task_definitions: 0,
        diagnostics: Vec::new(),
        skipped: Vec::new(),
        input_error: false,
        images_replaced: Vec::new(),
    };
    // Most Terraform folders of a repository have nothing to do with ECS: a cheap look first.
    let (tf_files, json_files) = crate::hcl::load::tf_files(dir);
    let relevant = tf_files.iter().chain(&json_files).any(|f| {
        std::fs::read_to_string(f)
            .is_ok_and(|t| t.contains("aws_ecs_task_definition") || t.contains("module"))
    });
    if !candidate.named && !relevant {
        return result;
    }
    let settings = shared.settings;
    let options = crate::model::tfsource::SourceOptions {
        account: settings.account.clone(),
        region: settings.region.clone(),
        boundary: shared.options.terraform_boundary(dir),
        values: shared.options.terraform.values.clone(),
    };
    let read = crate::model::tfsource::read_module(dir, &options, display_name);
    let sources = read.sources;
    let mut doc = read.document;
    result.called_dirs = sources
        .pieces
        .iter()
        .filter_map(|p| p.path.parent().map(identity))
        .filter(|d| Some(d) != result.terraform_dir.as_ref())
        .collect();
    let ecs = !doc.task_definitions.is_empty() || sources.text.contains("aws_ecs_task_definition");
    if !candidate.named && !ecs {
        return result;
    }
    result.is_input = true;
    let joined = SourceFile::new(dir.clone(), display_name(dir), sources.text.clone());
    check_document(&mut doc, &joined, shared, &mut result);
    for (span, why) in &read.unreadable {
        result.diagnostics.push(rules::input_diagnostic(
            &rules::input::unreadable_input::RULE,
            *span,
            why.clone(),
        ));
        result.input_error = true;
    }
    if !read.not_read.is_empty() && !read.failed {
        for (_, why) in &read.not_read {
            result.skipped.push(Skip {
                rules: Vec::new(),
                reason: why.clone(),
                subjects: Vec::new(),
            });
        }
    }
    // Spans point into the joined text: map each to its file.
    let files: Vec<SourceFile> = sources
        .pieces
        .iter()
        .map(|p| {
            SourceFile::new(
                p.path.clone(),
                p.name.clone(),
                sources.text[p.base..p.base + p.len].to_string(),
            )
        })
        .collect();
    let place = |file: &mut FileId, span: &mut Span| {
        if *file != CURRENT_FILE {
            return;
        }
        let (i, local) = sources.locate(*span);
        *span = local;
        *file = CURRENT_FILE - i;
    };
    for d in &mut result.diagnostics {
        place(&mut d.file, &mut d.span);
        for l in &mut d.labels {
            place(&mut l.file, &mut l.span);
        }
        if let Some(fix) = &mut d.fix {
            for e in &mut fix.edits {
                place(&mut e.file, &mut e.span);
            }
            keep_tfvars_fixes_shown(fix, &sources);
        }
    }
    let mut files = files.into_iter();
    let Some(first) = files.next() else {
        // No `.tf` file could be read at all.
        result.file = Some(joined);
        return result;
    };
    for (i, f) in std::iter::once(&first).chain(files.as_slice()).enumerate() {
        let id = CURRENT_FILE - i;
        let mut mine: Vec<Diagnostic> = Vec::new();
        let mut rest = Vec::new();
        for d in std::mem::take(&mut result.diagnostics) {
            if d.file == id {
                mine.push(d);
            } else {
                rest.push(d);
            }
        }
        apply_file_policy(f, shared.options, &mut mine);
        rest.extend(mine);
        result.diagnostics = rest;
    }
    result.file = Some(first);
    result.more_files = files.collect();
    result
}
