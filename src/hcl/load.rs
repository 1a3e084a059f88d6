//! Reading a module folder: its `.tf` files parsed (with `hcl-edit`, which keeps spans) and its
//! blocks indexed by kind.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};

use crate::parse::ParseError;
use crate::source::SourceFile;
use crate::span::Span;

use super::Sources;

/// An expression and the base offset of the file it is written in.
#[derive(Clone, Debug)]
pub struct Expr {
    pub expr: Expression,
    pub base: usize,
}

impl Expr {
    pub fn span(&self) -> Span {
        span_of(&self.expr, self.base)
    }
}

pub fn span_of(item: &impl hcl_edit::Span, base: usize) -> Span {
    match item.span() {
        Some(r) => Span::new(base + r.start, base + r.end),
        None => Span::new(base, base),
    }
}

/// A `resource`, `data` or `module` block.
#[derive(Clone, Debug)]
pub struct BlockAt {
    /// Resource or data source type (`aws_iam_role`); empty for a module call.
    pub kind: String,
    pub name: String,
    pub body: Body,
    pub base: usize,
    /// The block's labels (`resource "aws_iam_role" "exec"`), for findings about the whole
    /// resource.
    pub span: Span,
    /// The whole block: what is written inside it belongs to it.
    pub extent: Span,
}

#[derive(Clone, Debug)]
pub struct Variable {
    pub name: String,
    pub default: Option<Expr>,
    /// The `type` constraint: its `optional(…, default)` attributes fill in missing ones.
    pub type_expr: Option<Expr>,
    pub span: Span,
}

/// One module: the blocks of every `.tf` file of a folder.
#[derive(Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub variables: Vec<Variable>,
    pub locals: HashMap<String, Expr>,
    pub outputs: HashMap<String, Expr>,
    pub resources: Vec<BlockAt>,
    pub data: Vec<BlockAt>,
    pub calls: Vec<BlockAt>,
    /// The literal `region` of the default `provider "aws"` block.
    pub provider_region: Option<Expr>,
}

impl Module {
    pub fn resource(&self, kind: &str, name: &str) -> Option<&BlockAt> {
        self.resources
            .iter()
            .find(|r| r.kind == kind && r.name == name)
    }

    pub fn data_source(&self, kind: &str, name: &str) -> Option<&BlockAt> {
        self.data.iter().find(|r| r.kind == kind && r.name == name)
    }

    pub fn call(&self, name: &str) -> Option<&BlockAt> {
        self.calls.iter().find(|r| r.name == name)
    }
}

/// The `.tf` and `.tf.json` files of a folder, each sorted (Terraform reads them in that order).
pub fn tf_files(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut tf = Vec::new();
    let mut json = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if !p.is_file() {
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".tf") {
                tf.push(p);
            } else if name.ends_with(".tf.json") {
                json.push(p);
            }
        }
    }
    tf.sort();
    json.sort();
    (tf, json)
}

/// A file could not be read or parsed: the error, at its place in [`Sources`].
#[derive(Debug)]
pub struct LoadError {
    pub error: ParseError,
}

/// Reads and parses the module in `dir`, adding its files to `sources`. The first file that
/// cannot be read or parsed stops the module (Terraform refuses such a module too).
pub fn load_module(
    dir: &Path,
    sources: &mut Sources,
    name_of: &dyn Fn(&Path) -> String,
) -> Result<Module, LoadError> {
    let (files, json_files) = tf_files(dir);
    let mut module = Module {
        // `path.module` is used to build file paths: absolute, whatever the working directory.
        dir: std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()),
        ..Module::default()
    };
    for path in files {
        let (body, base) = read_body(&path, sources, name_of)?;
        index(&mut module, body, base);
    }
    for path in json_files {
        let (text, base) = read_text(&path, sources, name_of)?;
        super::tfjson::index(&mut module, &text, base).map_err(|(message, offset)| LoadError {
            error: ParseError::new(
                format!("Terraform JSON error in `{}`: {message}", name_of(&path)),
                Span::new(base + offset, base + offset),
            ),
        })?;
    }
    Ok(module)
}

/// Reads a file into `sources`: its text and base offset.
pub fn read_text(
    path: &Path,
    sources: &mut Sources,
    name_of: &dyn Fn(&Path) -> String,
) -> Result<(String, usize), LoadError> {
    match SourceFile::read(path, name_of(path)) {
        Ok(file) => {
            let base = sources.add(path, file.name.clone(), &file.text);
            Ok((file.text, base))
        }
        Err(e) => {
            let base = sources.add(path, name_of(path), "");
            Err(LoadError {
                error: ParseError::new(
                    format!("cannot read `{}`: {}", name_of(path), e.message),
                    Span::new(base, base),
                ),
            })
        }
    }
}

/// Reads one HCL file (a `.tf` or `.tfvars`) into `sources` and parses it.
pub fn read_body(
    path: &Path,
    sources: &mut Sources,
    name_of: &dyn Fn(&Path) -> String,
) -> Result<(Body, usize), LoadError> {
    let (text, base) = read_text(path, sources, name_of)?;
    match parse_body(&text) {
        Ok((body, renamed)) => {
            sources
                .dropped_keys
                .extend(renamed.into_iter().map(|at| base + at));
            Ok((body, base))
        }
        Err((message, offset)) => Err(LoadError {
            error: ParseError::new(
                format!("HCL syntax error in `{}`: {message}", name_of(path)),
                Span::new(base + offset, base + offset),
            ),
        }),
    }
}

/// How many duplicate object keys are renamed before giving up (see [`parse_body`]).
const MAX_DUPLICATE_KEYS: usize = 64;

/// Parses HCL text. `hcl-edit` refuses an object constructor with the same key twice; Terraform
/// accepts it and keeps the last one (real configurations do this). So the earlier key is
/// renamed to a placeholder identifier of the same length (spans stay valid), and its offset is
/// returned: evaluation drops the object members whose key starts there.
pub fn parse_body(text: &str) -> Result<(Body, Vec<usize>), (String, usize)> {
    let mut owned: Option<String> = None;
    let mut renamed = Vec::new();
    for round in 0..MAX_DUPLICATE_KEYS {
        let current = owned.as_deref().unwrap_or(text);
        match hcl_edit::parser::parse_body(current) {
            Ok(body) => return Ok((body, renamed)),
            Err(e) => {
                let offset = byte_offset(current, e.location().line(), e.location().column());
                let message = e.message().to_string();
                if !message.contains("redefined object key") {
                    return Err((message, offset));
                }
                match rename_earlier_key(current, offset, round) {
                    Some((text, at)) => {
                        owned = Some(text);
                        renamed.push(at);
                    }
                    None => return Err((message, offset)),
                }
            }
        }
    }
    Err(("too many duplicate object keys".into(), 0))
}

/// The key at `offset` is defined twice in its object: renames the *earlier* definition (found
/// by scanning back for the same identifier followed by `=`/`:` at the same indentation) to
/// a same-length identifier.
fn rename_earlier_key(text: &str, offset: usize, round: usize) -> Option<(String, usize)> {
    let rest = text.get(offset..)?;
    let key: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if key.is_empty() {
        return None;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..offset];
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    let needle = format!("\n{indent}{key}");
    let mut search_end = line_start;
    while let Some(at) = text[..search_end].rfind(&needle) {
        let key_at = at + needle.len() - key.len();
        let after = text[key_at + key.len()..].trim_start_matches([' ', '\t']);
        if after.starts_with('=') || after.starts_with(':') {
            // `_`, then the round number, padded with `_`: unique within the text as long as
            // the key has room for the number.
            let mut placeholder = format!("_{round}");
            placeholder.truncate(key.len());
            while placeholder.len() < key.len() {
                placeholder.push('_');
            }
            let mut out = String::with_capacity(text.len());
            out.push_str(&text[..key_at]);
            out.push_str(&placeholder);
            out.push_str(&text[key_at + key.len()..]);
            return Some((out, key_at));
        }
        search_end = at;
    }
    None
}

pub(crate) fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let col_bytes: usize = l
                .chars()
                .take(column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return offset + col_bytes;
        }
        offset += l.len();
    }
    text.len()
}

fn labels_span(block: &Block, base: usize) -> Span {
    let start = span_of(&block.ident, base);
    let end = block
        .labels
        .last()
        .map(|l| span_of(l, base))
        .unwrap_or(start);
    start.join(end)
}

fn index(module: &mut Module, body: Body, base: usize) {
    for structure in body.into_iter() {
        let Ok(block) = structure.into_block() else {
            continue;
        };
        let labels: Vec<String> = block
            .labels
            .iter()
            .map(|l| l.as_str().to_string())
            .collect();
        let span = labels_span(&block, base);
        let whole = span_of(&block, base);
        let extent = if whole.is_empty() {
            span
        } else {
            span.join(whole)
        };
        match (block.ident.as_str(), labels.as_slice()) {
            ("variable", [name]) => module.variables.push(Variable {
                name: name.clone(),
                default: block.body.get_attribute("default").map(|a| Expr {
                    expr: a.value.clone(),
                    base,
                }),
                type_expr: block.body.get_attribute("type").map(|a| Expr {
                    expr: a.value.clone(),
                    base,
                }),
                span,
            }),
            ("locals", []) => {
                for a in block.body.attributes() {
                    module.locals.insert(
                        a.key.as_str().to_string(),
                        Expr {
                            expr: a.value.clone(),
                            base,
                        },
                    );
                }
            }
            ("output", [name]) => {
                if let Some(a) = block.body.get_attribute("value") {
                    module.outputs.insert(
                        name.clone(),
                        Expr {
                            expr: a.value.clone(),
                            base,
                        },
                    );
                }
            }
            ("resource", [kind, name]) => module.resources.push(BlockAt {
                kind: kind.clone(),
                name: name.clone(),
                body: block.body,
                base,
                span,
                extent,
            }),
            ("data", [kind, name]) => module.data.push(BlockAt {
                kind: kind.clone(),
                name: name.clone(),
                body: block.body,
                base,
                span,
                extent,
            }),
            ("module", [name]) => module.calls.push(BlockAt {
                kind: String::new(),
                name: name.clone(),
                body: block.body,
                base,
                span,
                extent,
            }),
            // The default provider (no `alias`) gives the region.
            ("provider", [name])
                if name == "aws" && block.body.get_attribute("alias").is_none() =>
            {
                module.provider_region = block.body.get_attribute("region").map(|a| Expr {
                    expr: a.value.clone(),
                    base,
                });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_object_keys_keep_the_last_one() {
        let text = "locals {\n  x = {\n    a = 1\n    a = 2\n  }\n}\n";
        let (body, renamed) = parse_body(text).unwrap();
        assert_eq!(body.len(), 1);
        assert_eq!(renamed, vec![text.find("a = 1").unwrap()]);
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let text = "resource \"a\" \"b\" {\n  x = \n}\n";
        let (_, offset) = parse_body(text).unwrap_err();
        assert!(offset > 18, "{offset}");
    }
}
