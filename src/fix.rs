//! `--fix`: apply the safe fixes of a report to the files they edit, in place.
//!
//! Only `Applicability::Safe` fixes are applied; display-only ones (Terraform plans) never
//! are. For each file:
//!
//! - files that had an input error (unreadable, syntax error) and files that were UTF-16 on
//!   disk (the edits are byte ranges of the decoded text) are left untouched;
//! - edits are applied in order of position; a fix whose edits overlap an edit already taken
//!   is left out (it is reported again by the check that follows), and the same edit asked for
//!   twice (two containers using one parameter default) is made once;
//! - the new text must still be read as the same kind of input with the same number of task
//!   definitions, or nothing is written; a file of a Terraform module (a `.tf`, or a file
//!   `file()` reads) must still parse, and each edit must replace an image literal with an
//!   image literal;
//! - the file must not have changed on disk since it was read: this is checked under an
//!   advisory lock (`flock`) held until the new text is written, so a writer taking the same
//!   lock never has its edit replaced;
//! - the new text is written to a temporary file next to the original and renamed over it,
//!   so the file is either the old or the new text, never half of each; a symbolic link is
//!   followed (its target is edited), a file with several hard links is written in place, a
//!   read-only file is refused, and a fix that cannot be written makes the exit code 2.
//!
//! Every fix the rules offer turns a reference the rules flag into one they do not (a pinned
//! digest), so running `--fix` again changes nothing.

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::base::sanitize::line as clean;
use crate::check::Report;
use crate::diag::{Applicability, Edit, FileId};
use crate::model::recognize::{self, Recognized, ResolveSettings};
use crate::source::SourceFile;

/// One edit written to a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub file: String,
    /// 1-based line of the edit's start, in the file before the edit.
    pub line: usize,
    pub old: String,
    pub new: String,
}

/// A file the fixes were not written to, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub file: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FixOutcome {
    pub changes: Vec<Change>,
    pub refused: Vec<Refusal>,
    /// Fixes left out because they overlap another fix in the same file.
    pub conflicts: usize,
    pub files_written: usize,
    /// Files whose fixes could not be written (changed meanwhile, read-only, I/O error): the
    /// run exits with code 2.
    pub write_failures: usize,
}

/// Applies the report's safe fixes to the files on disk.
pub fn apply(report: &Report, resolve: &ResolveSettings) -> FixOutcome {
    let mut outcome = FixOutcome::default();
    // Files that could not be read or parsed: never edited.
    let broken: HashSet<FileId> = report
        .diagnostics
        .iter()
        .filter(|d| d.code.starts_with("IN"))
        .map(|d| d.file)
        .collect();
    // The safe fixes, by file, in report order (sorted by position).
    let mut by_file: BTreeMap<FileId, Vec<&[Edit]>> = BTreeMap::new();
    for d in &report.diagnostics {
        let Some(fix) = &d.fix else { continue };
        if fix.applicability != Applicability::Safe || fix.edits.is_empty() {
            continue;
        }
        let file = fix.edits[0].file;
        if fix.edits.iter().any(|e| e.file != file) {
            // Not offered by any rule today; an edit of several files at once would need all of
            // them written together.
            outcome.conflicts += 1;
            continue;
        }
        by_file.entry(file).or_default().push(&fix.edits);
    }
    for (id, fixes) in by_file {
        let Some(file) = report.files.get(id) else {
            continue;
        };
        if broken.contains(&id) {
            outcome.refused.push(Refusal {
                file: file.name.clone(),
                reason: "the file has an input error; fix it first".into(),
            });
            continue;
        }
        if file.transcoded {
            outcome.refused.push(Refusal {
                file: file.name.clone(),
                reason: "the file is UTF-16 on disk; `--fix` edits UTF-8 files only".into(),
            });
            continue;
        }
        let edits = select_edits(&fixes, &mut outcome.conflicts);
        match rewrite(file, &edits, resolve) {
            Ok(()) => {
                outcome.files_written += 1;
                for e in &edits {
                    let (line, _) = file.line_col(e.span.start);
                    outcome.changes.push(Change {
                        file: file.name.clone(),
                        line,
                        old: file.slice(e.span).to_string(),
                        new: e.content.clone(),
                    });
                }
            }
            Err((reason, write_failed)) => {
                outcome.write_failures += usize::from(write_failed);
                outcome.refused.push(Refusal {
                    file: file.name.clone(),
                    reason,
                });
            }
        }
    }
    outcome
}

/// The edits to make in one file: whole fixes whose edits overlap nothing taken before (an
/// identical edit counts as taken), sorted by position.
fn select_edits<'e>(fixes: &[&'e [Edit]], conflicts: &mut usize) -> Vec<&'e Edit> {
    let mut taken: Vec<&Edit> = Vec::new();
    for edits in fixes {
        let clashes = edits.iter().any(|e| {
            taken.iter().any(|t| {
                let same = t.span == e.span && t.content == e.content;
                let overlap = e.span.start < t.span.end && t.span.start < e.span.end
                    // Two insertions at one place overlap too (their order would be a guess).
                    || (e.span.start == t.span.start && (e.span.is_empty() || t.span.is_empty()));
                !same && overlap
            })
        });
        if clashes {
            *conflicts += 1;
            continue;
        }
        for e in edits.iter() {
            if !taken
                .iter()
                .any(|t| t.span == e.span && t.content == e.content)
            {
                taken.push(e);
            }
        }
    }
    taken.sort_by_key(|e| (e.span.start, e.span.end));
    taken
}

/// The file's text with the edits made (sorted, non-overlapping).
pub fn edited_text(text: &str, edits: &[&Edit]) -> Option<String> {
    let mut out = String::with_capacity(text.len() + edits.len() * 80);
    let mut at = 0usize;
    for e in edits {
        let (start, end) = (e.span.start as usize, e.span.end as usize);
        if start < at
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            return None;
        }
        out.push_str(&text[at..start]);
        out.push_str(&e.content);
        at = end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// Why a file was left unchanged, and whether it was because the write failed (rather than
/// the edits being refused).
type NotWritten = (String, bool);

fn rewrite(
    file: &SourceFile,
    edits: &[&Edit],
    resolve: &ResolveSettings,
) -> Result<(), NotWritten> {
    check_edits(file, edits, resolve).map_err(|why| (why, false))?;
    let new_text = edited_text(&file.text, edits).unwrap_or_default();
    write_checked(&file.path, file.text.as_bytes(), new_text.as_bytes()).map_err(|why| (why, true))
}

/// Refuses edits that would change more than they say (see the module's comment).
fn check_edits(
    file: &SourceFile,
    edits: &[&Edit],
    resolve: &ResolveSettings,
) -> Result<(), String> {
    let new_text = edited_text(&file.text, edits)
        .ok_or_else(|| "internal error: an edit is outside the file".to_string())?;
    // The edited file must still be the same kind of input, with the same task definitions,
    // and every container image must read as before or as one of the new values: an edit of a
    // literal that feeds more than one place (one branch of an `Fn::If` whose condition is not
    // known) would otherwise change what the template means.
    let before = images_of(file, resolve);
    if before.is_none() {
        // Not an input by itself: a file of a Terraform module (only Terraform source offers
        // safe fixes in such files). The edits are image literals, found by evaluating the
        // module; the file must still parse as it did.
        return check_terraform_edits(file, &new_text, edits);
    }
    let edited = SourceFile::new(file.path.clone(), file.name.clone(), new_text);
    match recognize::read_document(&edited, resolve) {
        Recognized::Document(doc) if doc.problems.is_empty() => {
            let after = images(&doc);
            let Some(before) = before else {
                return Err("internal error: the file no longer reads as it did".into());
            };
            if let Some(why) = unexpected_change(&before, &after, edits) {
                return Err(format!("after the edits {why}; nothing was written"));
            }
        }
        Recognized::Document(doc) => {
            return Err(format!(
                "after the edits the file no longer parses ({}); nothing was written",
                doc.problems[0].message
            ));
        }
        Recognized::Syntax(e) => {
            let (line, col) = edited.line_col(e.span.start);
            return Err(format!(
                "after the edits the file no longer parses (line {line}, column {col}: {}); nothing was written",
                e.message
            ));
        }
        Recognized::NotAnInput(_) => {
            return Err(
                "after the edits the file is no longer an ECS input; nothing was written".into(),
            );
        }
    }
    Ok(())
}

/// A `.tf` file must still parse as HCL, and a JSON file (`.tf.json`, a file `file()` reads)
/// as JSON when it did before; each edit replaces the content of one string with an image
/// reference (no quote, backslash, `$` or `%` that could change how the text reads).
fn check_terraform_edits(file: &SourceFile, new_text: &str, edits: &[&Edit]) -> Result<(), String> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:/@_-".contains(c))
    };
    if let Some(e) = edits
        .iter()
        .find(|e| !plain(&e.content) || !plain(file.slice(e.span)))
    {
        return Err(format!(
            "the edit of `{}` is not an image literal; nothing was written",
            clean(file.slice(e.span))
        ));
    }
    let name = file.name.as_str();
    let parses = if name.ends_with(".tf") || name.ends_with(".tfvars") {
        crate::hcl::load::parse_body(new_text)
            .map(|_| ())
            .map_err(|(message, _)| message)
    } else if crate::parse::json::parse(&file.text).is_ok() {
        crate::parse::json::parse(new_text)
            .map(|_| ())
            .map_err(|e| e.message)
    } else {
        Ok(())
    };
    parses.map_err(|why| {
        format!("after the edits the file no longer parses ({why}); nothing was written")
    })
}

/// Writes `new` over the file at `path` if it still holds `expected`, under an advisory lock
/// (`flock`) held from the comparison to the end of the write, so that a writer that takes the
/// same lock cannot have its edit replaced. A symbolic link is followed (the target is
/// edited, the link stays); a file with several hard links is written in place (a rename would
/// split the links); a read-only file is refused.
fn write_checked(path: &Path, expected: &[u8], new: &[u8]) -> Result<(), String> {
    let target =
        std::fs::canonicalize(path).map_err(|e| format!("cannot find the file again: {e}"))?;
    let meta = std::fs::metadata(&target).map_err(|e| format!("cannot read the file: {e}"))?;
    if !meta.is_file() {
        return Err("the file is no longer a regular file; nothing was written".into());
    }
    if meta.permissions().readonly() {
        return Err("the file is read-only; nothing was written".into());
    }
    let locked = lock(&target)?;
    let mut current = Vec::new();
    (&locked)
        .take(crate::source::MAX_FILE_BYTES + 1)
        .read_to_end(&mut current)
        .map_err(|e| format!("cannot read the file again: {e}"))?;
    if current != expected {
        return Err("the file changed on disk while it was checked; nothing was written".into());
    }
    let links = link_count(&locked);
    let written = if links > 1 {
        write_in_place(&locked, new)
    } else {
        write_atomically(&target, new)
    };
    written.map_err(|e| format!("cannot write the file: {e}"))
    // The lock is released when `locked` is closed.
}

/// Opens `path` for writing and takes an exclusive advisory lock on it. Another process may
/// have replaced the file (renamed a new one over it) while we waited: the lock is then on the
/// old file, so the new one is opened and locked again.
fn lock(path: &Path) -> Result<std::fs::File, String> {
    for _ in 0..100 {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot open the file for writing: {e}"))?;
        flock_exclusive(&f).map_err(|e| format!("cannot lock the file: {e}"))?;
        if same_file(&f, path) {
            return Ok(f);
        }
    }
    Err("the file keeps being replaced; nothing was written".into())
}

#[cfg(unix)]
fn flock_exclusive(f: &std::fs::File) -> std::io::Result<()> {
    // An advisory exclusive lock (flock(2) on Unix), held until the file is closed.
    f.lock()
}

#[cfg(unix)]
fn same_file(f: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::File, _: &Path) -> bool {
    true
}

#[cfg(unix)]
fn link_count(f: &std::fs::File) -> u64 {
    use std::os::unix::fs::MetadataExt;
    f.metadata().map_or(1, |m| m.nlink())
}

#[cfg(not(unix))]
fn link_count(_: &std::fs::File) -> u64 {
    1
}

/// For a file with several hard links: the new text is written into the same file. Not
/// atomic for readers, but every link keeps seeing the file.
fn write_in_place(mut f: &std::fs::File, bytes: &[u8]) -> std::io::Result<()> {
    f.seek(std::io::SeekFrom::Start(0))?;
    f.write_all(bytes)?;
    f.set_len(bytes.len() as u64)?;
    f.sync_all()
}

/// Each task definition's label and its containers' images (`None`: not a literal string).
type Images = Vec<(String, Vec<Option<String>>)>;

fn images_of(file: &SourceFile, resolve: &ResolveSettings) -> Option<Images> {
    match recognize::read_document(file, resolve) {
        Recognized::Document(doc) => Some(images(&doc)),
        _ => None,
    }
}

fn images(doc: &crate::model::Document) -> Images {
    doc.task_definitions
        .iter()
        .map(|t| {
            let list = t
                .containers()
                .map(|c| c.get_str("image").map(str::to_string))
                .collect();
            (t.label.clone(), list)
        })
        .collect()
}

/// What changed that the edits did not ask for, in words.
fn unexpected_change(before: &Images, after: &Images, edits: &[&Edit]) -> Option<String> {
    if before.len() != after.len() {
        return Some("the file has a different number of task definitions".into());
    }
    for ((label, old), (_, new)) in before.iter().zip(after) {
        if old.len() != new.len() {
            return Some(format!("{label} has a different number of containers"));
        }
        for (i, (o, n)) in old.iter().zip(new).enumerate() {
            let expected = o == n
                || n.as_ref()
                    .is_some_and(|n| edits.iter().any(|e| &e.content == n));
            if !expected {
                return Some(format!(
                    "the image of container {} of {label} would read `{}` instead of `{}`",
                    i + 1,
                    n.as_deref().unwrap_or("(known only at deploy time)"),
                    o.as_deref().unwrap_or("(known only at deploy time)")
                ));
            }
        }
    }
    None
}

/// Writes `bytes` to a temporary file in the same folder, then renames it over `path`: a
/// reader sees the old or the new content, never a mix. The file's permissions are kept.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.ecs-preflight-fix-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// What `--fix` did, for stderr next to the human report.
pub fn describe(outcome: &FixOutcome) -> String {
    let mut out = String::new();
    if outcome.changes.is_empty() && outcome.refused.is_empty() && outcome.conflicts == 0 {
        out.push_str("--fix: nothing to fix\n");
        return out;
    }
    if !outcome.changes.is_empty() {
        let files = outcome.files_written;
        out.push_str(&format!(
            "--fix: {} {} in {files} {}:\n",
            outcome.changes.len(),
            if outcome.changes.len() == 1 {
                "change"
            } else {
                "changes"
            },
            if files == 1 { "file" } else { "files" }
        ));
        for c in &outcome.changes {
            out.push_str(&format!(
                "  {}:{}: `{}` → `{}`\n",
                clean(&c.file),
                c.line,
                clean(&c.old),
                clean(&c.new)
            ));
        }
    }
    for r in &outcome.refused {
        out.push_str(&format!(
            "--fix: {} left unchanged: {}\n",
            clean(&r.file),
            clean(&r.reason)
        ));
    }
    if outcome.conflicts > 0 {
        out.push_str(&format!(
            "--fix: {} {} overlapped another and {} not applied; run --fix again\n",
            outcome.conflicts,
            if outcome.conflicts == 1 {
                "fix"
            } else {
                "fixes"
            },
            if outcome.conflicts == 1 {
                "was"
            } else {
                "were"
            }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    fn edit(start: usize, end: usize, content: &str) -> Edit {
        Edit {
            file: 0,
            span: Span::new(start, end),
            content: content.into(),
        }
    }

    #[test]
    fn edits_apply_in_order_and_keep_everything_else() {
        let a = [edit(6, 7, "B")];
        let b = [edit(0, 1, "x")];
        let mut conflicts = 0;
        let edits = select_edits(&[&a, &b], &mut conflicts);
        assert_eq!(conflicts, 0);
        assert_eq!(edited_text("a bc  d  e", &edits).unwrap(), "x bc  B  e");
    }

    #[test]
    fn identical_edits_once_and_overlaps_left_out() {
        let a = [edit(2, 5, "XYZ")];
        let same = [edit(2, 5, "XYZ")];
        let clash = [edit(4, 6, "Q")];
        let mut conflicts = 0;
        let edits = select_edits(&[&a, &same, &clash], &mut conflicts);
        assert_eq!(edits.len(), 1);
        assert_eq!(conflicts, 1);
        assert_eq!(edited_text("0123456", &edits).unwrap(), "01XYZ56");
    }

    #[test]
    fn out_of_range_edits_are_refused() {
        let a = [edit(2, 50, "x")];
        let mut conflicts = 0;
        let edits = select_edits(&[&a], &mut conflicts);
        assert!(edited_text("short", &edits).is_none());
    }
}
