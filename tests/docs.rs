//! The repository explains itself: code, tests and pages cite the project's own `docs/` and
//! `rules/` pages (or AWS documentation URLs), never documents that a clone does not have; and
//! every relative link and every `docs/…md#anchor` pointer leads somewhere; and every test file
//! is one that cargo runs.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Names of documents that live outside the repository (the design notes the project started
/// from). Spelled in pieces so that this file does not cite them itself.
const EXTERNAL: [&str; 3] = [
    concat!("aws", "-reference"),
    concat!("rules", ".md"),
    concat!("interface", ".md"),
];

/// Folders outside the repository that the code must neither cite nor read.
const OUTSIDE: [&str; 2] = [concat!("/work", "/shared"), concat!("shared", "/docs/")];

/// The text files of the repository under `paths` (files or folders), honouring `.gitignore`
/// (installed test dependencies and build output are not the project's).
fn files(paths: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        let path = root().join(p);
        if path.is_file() {
            out.push(path);
            continue;
        }
        for entry in ignore::WalkBuilder::new(&path)
            .require_git(false)
            .hidden(false)
            .build()
            .flatten()
        {
            if entry.file_type().is_some_and(|t| t.is_file()) {
                out.push(entry.into_path());
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> Option<String> {
    String::from_utf8(std::fs::read(path).ok()?).ok()
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-./".contains(c)
}

/// The path-like word around byte range `start..end` of `text`.
fn word_around(text: &str, start: usize, end: usize) -> &str {
    let from = text[..start]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_path_char(*c))
        .last()
        .map_or(start, |(i, _)| i);
    let to = text[end..]
        .char_indices()
        .find(|(_, c)| !is_path_char(*c))
        .map_or(text.len(), |(i, _)| end + i);
    text[from..to].trim_end_matches('.')
}

/// Whether `word` names a file that exists, from the repository root or from `dir`.
fn exists_from(word: &str, dir: &Path) -> bool {
    !word.is_empty() && (root().join(word).is_file() || dir.join(word).is_file())
}

/// Citations of external documents in `text` (a file in `dir`), as messages.
fn external_citations(text: &str, dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let lower = text.to_lowercase();
    for name in EXTERNAL {
        for (start, _) in lower.match_indices(name) {
            let end = start + name.len();
            let word = word_around(text, start, end);
            let file_name = word.rsplit('/').next().unwrap_or(word).to_lowercase();
            // `net_rules.md` is another file; only the external name itself is a citation.
            let cites = if name.ends_with(".md") {
                file_name == name
            } else {
                file_name.starts_with(name)
            };
            // A file of the repository with that name (under docs/, say) may be cited.
            if cites && !exists_from(word, dir) {
                found.push(format!("cites `{word}`"));
            }
        }
    }
    for outside in OUTSIDE {
        if text.contains(outside) {
            found.push(format!("names `{outside}`"));
        }
    }
    // Numbered sections (the section sign and a digit) were citations of the external reference.
    for (i, _) in text.match_indices('\u{a7}') {
        if text[i + '\u{a7}'.len_utf8()..].starts_with(|c: char| c.is_ascii_digit()) {
            found.push(
                "cites a numbered section (\u{a7}N) of a document outside the repository".into(),
            );
        }
    }
    found
}

#[test]
fn nothing_cites_documents_outside_the_repository() {
    let mut problems = Vec::new();
    for path in files(&[
        "src",
        "tests",
        "benches",
        "rules",
        "docs",
        "README.md",
        "CONTRIBUTING.md",
    ]) {
        let Some(text) = read(&path) else { continue };
        let dir = path.parent().unwrap();
        for (n, line) in text.lines().enumerate() {
            for problem in external_citations(line, dir) {
                problems.push(format!("{}:{}: {problem}", relative(&path), n + 1));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "cite the project's own docs/ or rules/ pages, or an AWS documentation URL, instead:\n{}",
        problems.join("\n")
    );
}

/// Markdown text without fenced code blocks and inline code spans (links and headings there
/// are examples, not links).
fn prose(markdown: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            out.push('\n');
            continue;
        }
        if !fenced {
            let mut in_code = false;
            for c in line.chars() {
                if c == '`' {
                    in_code = !in_code;
                } else if !in_code {
                    out.push(c);
                }
            }
        }
        out.push('\n');
    }
    out
}

/// The anchors GitHub gives the headings of a Markdown page: lowercased, punctuation removed,
/// spaces turned into `-`, repeats numbered.
fn anchors(markdown: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut out = HashSet::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        if fenced {
            continue;
        }
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let slug: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut anchor = slug.clone();
        let mut n = 0;
        while !seen.insert(anchor.clone()) {
            n += 1;
            anchor = format!("{slug}-{n}");
        }
        out.insert(anchor);
    }
    out
}

/// Why `target` (a file, maybe with `#anchor`, relative to `dir`) leads nowhere, if it does.
fn broken(target: &str, dir: &Path, this_file: &Path) -> Option<String> {
    let (file, anchor) = match target.split_once('#') {
        Some((f, a)) => (f, Some(a)),
        None => (target, None),
    };
    let path = if file.is_empty() {
        this_file.to_path_buf()
    } else {
        dir.join(file)
    };
    if !path.exists() {
        return Some(format!("`{target}`: no such file or folder"));
    }
    let anchor = anchor.filter(|a| !a.is_empty())?;
    if path.extension().is_some_and(|e| e == "md") {
        let text = read(&path)?;
        if !anchors(&text).contains(anchor) {
            return Some(format!(
                "`{target}`: no heading with the anchor `#{anchor}`"
            ));
        }
    }
    None
}

/// The targets of the Markdown links `[text](target)` of a page, outside code.
fn link_targets(markdown: &str) -> Vec<String> {
    let text = prose(markdown);
    let mut out = Vec::new();
    for (i, _) in text.match_indices("](") {
        let rest = &text[i + 2..];
        let Some(end) = rest.find(')') else { continue };
        let target = rest[..end].split_whitespace().next().unwrap_or("");
        out.push(target.trim_matches(|c| c == '<' || c == '>').to_string());
    }
    out
}

#[test]
fn relative_links_in_the_pages_lead_somewhere() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in files(&["docs", "rules", "README.md", "CONTRIBUTING.md"]) {
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = read(&path).unwrap();
        let dir = path.parent().unwrap();
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") || target.is_empty() {
                continue;
            }
            checked += 1;
            if let Some(why) = broken(&target, dir, &path) {
                problems.push(format!("{}: {why}", relative(&path)));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} relative links found: is the parser broken?"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

/// Pointers to the pages of `docs/` (with an optional anchor) and of `rules/` in the text of code
/// and pages.
fn pointers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["docs/", "rules/"] {
        for (i, _) in text.match_indices(prefix) {
            // `src/rules/…`, `../docs/…` and URLs are not pointers of this kind.
            if text[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || "_/.-".contains(c)) {
                continue;
            }
            let rest = &text[i..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "_-./#".contains(c)))
                .unwrap_or(rest.len());
            let word = rest[..end].trim_end_matches(['.', '#']);
            let file = word.split('#').next().unwrap_or(word);
            if file.ends_with(".md") && !file[prefix.len()..].contains('/') {
                out.push(word.to_string());
            }
        }
    }
    out
}

#[test]
fn pointers_into_docs_and_rules_lead_somewhere() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in files(&[
        "src",
        "tests",
        "benches",
        "rules",
        "docs",
        "CONTRIBUTING.md",
    ]) {
        if path.extension().is_some_and(|e| e == "snap") {
            continue;
        }
        let Some(text) = read(&path) else { continue };
        for (n, line) in text.lines().enumerate() {
            for pointer in pointers(line) {
                checked += 1;
                if let Some(why) = broken(&pointer, &root(), &path) {
                    problems.push(format!("{}:{}: {why}", relative(&path), n + 1));
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} pointers found: is the scanner broken?"
    );
    assert!(
        problems.is_empty(),
        "broken pointers:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checks_catch_what_they_are_for() {
    let dir = root();
    let external = format!("see {} section 3", EXTERNAL[1]);
    assert_eq!(external_citations(&external, &dir).len(), 1);
    assert_eq!(external_citations("(\u{a7}3.2)", &dir).len(), 1);
    let named = format!("({} \u{a7}1.4)", EXTERNAL[0]);
    assert_eq!(external_citations(&named, &dir).len(), 2);
    assert!(external_citations("see net_rules.md and docs/iam.md", &dir).is_empty());

    let page = "# Title\n\n## The decision\n\n```sh\n# not a heading\n```\n\n## The decision\n";
    let a = anchors(page);
    assert!(a.contains("title") && a.contains("the-decision") && a.contains("the-decision-1"));
    assert!(!a.contains("not-a-heading"));
    assert_eq!(
        link_targets("[a](x.md#y) `[b](not-a-link)` [c](<z.md>)"),
        ["x.md#y", "z.md"]
    );
    let iam = dir.join("docs");
    assert!(broken("iam.md#the-decision", &iam, &iam.join("README.md")).is_none());
    assert!(broken("iam.md#no-such-heading", &iam, &iam.join("README.md")).is_some());
    assert!(broken("missing.md", &iam, &iam.join("README.md")).is_some());
    assert_eq!(
        pointers("(docs/iam.md#the-decision), rules/IMG002-latest-tag.md."),
        ["docs/iam.md#the-decision", "rules/IMG002-latest-tag.md"]
    );
}

/// `autotests = false` in Cargo.toml: a test file that is not declared there never runs, and
/// nothing else would say so.
#[test]
fn every_test_file_is_declared_in_cargo_toml() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root().join("tests")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".rs") && !manifest.contains(&format!("path = \"tests/{name}\"")) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "not declared as [[test]]: {missing:?}");
}

/// The top-level modules of `src/` and the ones each names (`crate::x`), outside its tests
/// (a `#[cfg(test)]` item runs to the end of the file by convention, and `tests.rs` files are
/// test modules).
fn module_imports() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = root().join("src");
    let mut edges = std::collections::BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".rs") || name == "tests.rs" {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string();
            if top == "main" || top == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("\n#[cfg(test)]").next().unwrap_or("");
            let targets: &mut std::collections::BTreeSet<String> =
                edges.entry(top.clone()).or_default();
            for (i, _) in code.match_indices("crate::") {
                let after = &code[i + "crate::".len()..];
                let names: Vec<&str> = if let Some(group) = after.strip_prefix('{') {
                    group
                        .split('}')
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(|s| s.trim().split("::").next().unwrap_or(""))
                        .collect()
                } else {
                    vec![
                        after
                            .split(|c: char| !c.is_alphanumeric() && c != '_')
                            .next()
                            .unwrap_or(""),
                    ]
                };
                for n in names {
                    if !n.is_empty() && n != top {
                        targets.insert(n.to_string());
                    }
                }
            }
        }
    }
    edges
}

/// Layers point one way: no circle of imports between the top-level modules
/// (docs/architecture.md#layers).
#[test]
fn no_import_circle_between_top_level_modules() {
    let edges = module_imports();
    assert!(
        edges.contains_key("rules") && edges.contains_key("net"),
        "{edges:?}"
    );
    // Depth-first search; a module met again while still on the path closes a circle.
    fn visit(
        m: &str,
        edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut HashSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut circle = path[at..].to_vec();
            circle.push(m.to_string());
            return Some(circle);
        }
        if !done.insert(m.to_string()) {
            return None;
        }
        path.push(m.to_string());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = HashSet::new();
    for m in edges.keys() {
        let circle = visit(m, &edges, &mut Vec::new(), &mut done);
        assert!(
            circle.is_none(),
            "import circle: {}",
            circle.unwrap().join(" → ")
        );
    }
}
