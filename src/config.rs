//! `ecs-preflight.toml`: the project's settings. An unknown key or rule code is an error that
//! points at its line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::diag::Severity;
use crate::rules::{ALL, Needs, Rule};
use crate::settings::{FailOn, VulnerabilityLevel};
use crate::source::SourceFile;
use crate::span::Span;

pub const FILE_NAME: &str = "ecs-preflight.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    pub select: Option<Vec<Spanned<String>>>,
    pub ignore: Option<Vec<Spanned<String>>>,
    pub fail_on: Option<Spanned<FailOn>>,
    pub state: Option<Vec<Spanned<String>>>,
    pub region: Option<String>,
    pub account: Option<Spanned<String>>,
    pub require_digest: Option<bool>,
    pub severity: Option<HashMap<String, Spanned<Severity>>>,
    pub per_file_ignores: Option<Vec<PerFileIgnore>>,
    pub vulnerabilities: Option<Vulnerabilities>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PerFileIgnore {
    pub path: Spanned<String>,
    pub ignore: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Vulnerabilities {
    pub error_on: Option<Spanned<VulnerabilityLevel>>,
    pub warn_on: Option<Spanned<VulnerabilityLevel>>,
}

/// A config file read and checked.
#[derive(Debug)]
pub struct LoadedConfig {
    pub path: PathBuf,
    pub source: SourceFile,
    pub config: Config,
}

/// An error in the config file, at a place in it.
#[derive(Debug)]
pub struct ConfigError {
    pub source: SourceFile,
    pub span: Span,
    pub message: String,
}

/// Whether `named`, a path in the config file at `config_path`, is in the config's folder or
/// below once symbolic links are resolved; the reason when it is not.
fn confined(config_path: &Path, named: &str) -> Result<(), String> {
    let outside = || {
        format!(
            "`{named}` is outside the folder of {FILE_NAME}: state files named in the config must \
             be in its folder or below; name a file elsewhere with --state"
        )
    };
    let folder = std::path::absolute(config_path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .ok_or_else(outside)?;
    let folder = std::fs::canonicalize(&folder).unwrap_or(folder);
    let target = folder.join(named);
    match std::fs::canonicalize(&target) {
        Ok(real) if real.starts_with(&folder) => Ok(()),
        Ok(_) => Err(outside()),
        // A file that does not exist is reported when it is read; its name alone must stay
        // inside (no absolute path, no `..` above the folder, no link out on the way).
        Err(_) => {
            let mut depth = 0usize;
            for part in Path::new(named).components() {
                match part {
                    std::path::Component::Normal(_) => depth += 1,
                    std::path::Component::CurDir => {}
                    std::path::Component::ParentDir if depth > 0 => depth -= 1,
                    _ => return Err(outside()),
                }
            }
            // The deepest existing folder on the way must be inside too.
            let existing = target.ancestors().find(|a| a.exists());
            match existing.map(std::fs::canonicalize) {
                Some(Ok(real)) if !real.starts_with(&folder) => Err(outside()),
                _ => Ok(()),
            }
        }
    }
}

/// The nearest `ecs-preflight.toml` from `start` upward.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = if start.is_file() {
        start.parent()?.to_path_buf()
    } else {
        start.to_path_buf()
    };
    let start = if start.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        start
    };
    let start = std::path::absolute(&start).ok()?;
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|p| p.is_file())
}

pub fn load(path: &Path, display_name: String) -> Result<LoadedConfig, Box<ConfigError>> {
    let source = match SourceFile::read(path, display_name.clone()) {
        Ok(s) => s,
        Err(e) => {
            let source = SourceFile::new(path.to_path_buf(), display_name, String::new());
            return Err(Box::new(ConfigError {
                source,
                span: Span::default(),
                message: format!("cannot read the config file: {}", e.message),
            }));
        }
    };
    from_source(path, source)
}

/// A config file's text, checked: `path` is where it was read from (state paths are relative
/// to its folder).
pub fn from_source(path: &Path, source: SourceFile) -> Result<LoadedConfig, Box<ConfigError>> {
    let config: Config = match toml::from_str(&source.text) {
        Ok(c) => c,
        Err(e) => {
            let span = e
                .span()
                .map(|r| Span::new(r.start, r.end))
                .unwrap_or_default();
            let message = e.message().to_string();
            return Err(Box::new(ConfigError {
                source,
                span,
                message,
            }));
        }
    };
    let fail = |span: std::ops::Range<usize>, message: String, source: SourceFile| {
        Box::new(ConfigError {
            source,
            span: Span::new(span.start, span.end),
            message,
        })
    };
    // Every rule code, name or prefix must mean something.
    let mut selectors: Vec<&Spanned<String>> = Vec::new();
    selectors.extend(config.select.iter().flatten());
    selectors.extend(config.ignore.iter().flatten());
    for pfi in config.per_file_ignores.iter().flatten() {
        selectors.extend(pfi.ignore.iter());
    }
    for s in selectors {
        if !is_known_selector(s.get_ref()) {
            let message = unknown_selector_message(s.get_ref());
            return Err(fail(s.span(), message, source));
        }
    }
    let mut ignores: Vec<&Spanned<String>> = config.ignore.iter().flatten().collect();
    ignores.extend(
        config
            .per_file_ignores
            .iter()
            .flatten()
            .flat_map(|p| p.ignore.iter()),
    );
    for s in ignores {
        if names_input_rules(s.get_ref()) {
            return Err(fail(s.span(), in_not_ignorable(), source));
        }
    }
    let mut assigned: HashMap<(&'static str, usize), &str> = HashMap::new();
    for (key, level) in config.severity.iter().flatten() {
        if !is_known_selector(key) {
            // The key's own span is not kept by serde; point at the value on that key's line.
            let message = unknown_selector_message(key);
            return Err(fail(level.span(), message, source));
        }
        for rule in resolve_selector(key) {
            if let Some(other) = assigned.insert((rule.code, specificity(key)), key) {
                return Err(fail(
                    level.span(),
                    format!(
                        "{} is given a severity twice, as `{other}` and as `{key}`",
                        rule.code
                    ),
                    source,
                ));
            }
        }
    }
    if let Some(a) = &config.account
        && !is_account_id(a.get_ref())
    {
        return Err(fail(
            a.span(),
            format!("`{}` is not an AWS account ID (12 digits)", a.get_ref()),
            source,
        ));
    }
    for pfi in config.per_file_ignores.iter().flatten() {
        if let Err(e) = globset::Glob::new(pfi.path.get_ref()) {
            return Err(fail(
                pfi.path.span(),
                format!("invalid path pattern: {e}"),
                source,
            ));
        }
    }
    // A pull request can change the config: the state files it names must be in the
    // config's folder or below (symbolic links resolved), so that it cannot make the tool read
    // (and quote in an error) a file elsewhere on the machine. `--state` names any file.
    for state in config.state.iter().flatten() {
        if let Err(why) = confined(path, state.get_ref()) {
            return Err(fail(state.span(), why, source));
        }
    }
    Ok(LoadedConfig {
        path: path.to_path_buf(),
        source,
        config,
    })
}

/// Rule families are valid selectors even while a family has no rule in this build, so that
/// a config written for the full rule set keeps working.
pub fn is_known_selector(selector: &str) -> bool {
    let upper = selector.trim().to_ascii_uppercase();
    !resolve_selector(selector).is_empty()
        || crate::rules::FAMILIES.iter().any(|f| f.prefix == upper)
}

/// Why IN rules cannot be ignored, naming them.
pub fn in_not_ignorable() -> String {
    let codes: Vec<&str> = ALL
        .iter()
        .filter(|r| r.needs == Needs::Input)
        .map(|r| r.code)
        .collect();
    let range = match codes.as_slice() {
        [first, .., last] => format!("{first}–{last}"),
        [only] => only.to_string(),
        [] => "IN".to_string(),
    };
    format!(
        "the IN rules ({range}: inputs that could not be checked, exit code 2, and suppressions that match nothing) cannot be ignored"
    )
}

/// Whether a selector names IN rules explicitly (`IN002`, `IN`, `syntax-error`; not `ALL`).
pub fn names_input_rules(selector: &str) -> bool {
    !selector.trim().eq_ignore_ascii_case("ALL")
        && resolve_selector(selector)
            .iter()
            .any(|r| r.needs == Needs::Input)
}

/// How specific a selector is: a prefix by its length, a whole code or name above any prefix.
pub fn specificity(selector: &str) -> usize {
    match crate::rules::find(selector) {
        Some(_) => usize::MAX,
        None => selector.trim().len(),
    }
}

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The rules a selector names: a code (`IMG002`), a name (`latest-tag`), a prefix of codes
/// (`IMG`, `IMG00`) or `ALL`.
pub fn resolve_selector(selector: &str) -> Vec<&'static Rule> {
    let s = selector.trim();
    if s.eq_ignore_ascii_case("ALL") {
        return ALL.to_vec();
    }
    if let Some(rule) = crate::rules::find(s) {
        return vec![rule];
    }
    let upper = s.to_ascii_uppercase();
    if upper.is_empty() || !upper.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Vec::new();
    }
    ALL.iter()
        .copied()
        .filter(|r| r.code.starts_with(&upper) && family(r.code).len() <= upper.len())
        .collect()
}

fn family(code: &str) -> &str {
    code.trim_end_matches(|c: char| c.is_ascii_digit())
}

pub fn unknown_selector_message(selector: &str) -> String {
    let prefixes: Vec<&str> = crate::rules::FAMILIES.iter().map(|f| f.prefix).collect();
    let hint = if prefixes
        .iter()
        .any(|f| selector.to_ascii_uppercase().starts_with(f))
    {
        " (run `ecs-preflight rules` for the list)".to_string()
    } else {
        let (last, others) = prefixes.split_last().expect("families");
        format!(
            " (codes start with {} or {last}; run `ecs-preflight rules` for the list)",
            others.join(", ")
        )
    };
    format!("unknown rule code or name `{selector}`{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<LoadedConfig, Box<ConfigError>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        load(&path, FILE_NAME.into())
    }

    fn error_line(text: &str) -> (usize, String) {
        let err = load_text(text).unwrap_err();
        (err.source.line_col(err.span.start).0, err.message)
    }

    #[test]
    fn levels_are_typed_and_a_bad_one_points_at_its_line() {
        let (line, message) = error_line("region = \"us-east-1\"\nfail-on = \"fatal\"\n");
        assert_eq!(line, 2);
        assert!(
            message.contains("`fatal`") && message.contains("`never`"),
            "{message}"
        );
        let (line, message) = error_line("\n[severity]\nIMG004 = \"loud\"\n");
        assert_eq!(line, 3);
        assert!(
            message.contains("`loud`") && message.contains("`note`"),
            "{message}"
        );
        let (line, message) = error_line("[vulnerabilities]\nwarn-on = \"high\"\n");
        assert_eq!(line, 2);
        assert!(message.contains("`HIGH`"), "{message}");
        let ok =
            load_text("fail-on = \"never\"\n[vulnerabilities]\nerror-on = \"NONE\"\n").unwrap();
        assert_eq!(ok.config.fail_on.map(|f| *f.get_ref()), Some(FailOn::Never));
        assert_eq!(
            ok.config
                .vulnerabilities
                .and_then(|v| v.error_on)
                .map(|l| *l.get_ref()),
            Some(VulnerabilityLevel::None)
        );
    }

    #[test]
    fn reads_the_documented_example() {
        let text = r#"
select = ["TD", "IMG", "ROLE", "NET", "ECR"]
ignore = ["IMG007"]
fail-on = "error"
state = ["state/prod-us-east-1.json"]
region = "us-east-1"
require-digest = false

[severity]
IMG004 = "warning"

[[per-file-ignores]]
path = "legacy/**"
ignore = ["IMG002", "IMG003"]

[vulnerabilities]
error-on = "CRITICAL"
warn-on = "HIGH"
"#;
        let c = load_text(text).unwrap().config;
        assert_eq!(c.region.as_deref(), Some("us-east-1"));
        assert_eq!(c.per_file_ignores.unwrap()[0].ignore.len(), 2);
    }

    #[test]
    fn unknown_keys_and_codes_point_at_their_line() {
        let (line, msg) = error_line("region = \"us-east-1\"\nfail_on = \"error\"\n");
        assert_eq!(line, 2);
        assert!(msg.contains("unknown field `fail_on`"), "{msg}");
        let (line, msg) = error_line("select = [\"TD\"]\nignore = [\n  \"IMG099\",\n]\n");
        assert_eq!(line, 3);
        assert!(msg.contains("IMG099"), "{msg}");
        let (line, _) = error_line("[severity]\nIMG004 = \"warning\"\nFOO123 = \"note\"\n");
        assert_eq!(line, 3);
        let (line, msg) = error_line("fail-on = \"sometimes\"\n");
        assert_eq!(line, 1);
        assert!(msg.contains("sometimes"));
        let (line, _) = error_line("\n\nregion = [1\n");
        assert_eq!(line, 3);
    }

    #[test]
    fn selectors() {
        assert_eq!(resolve_selector("IMG002").len(), 1);
        assert_eq!(resolve_selector("latest-tag")[0].code, "IMG002");
        assert!(resolve_selector("IMG").len() >= 9);
        assert!(resolve_selector("IMG00").len() >= 9);
        assert!(resolve_selector("I").is_empty());
        assert!(resolve_selector("nope").is_empty());
    }
}
