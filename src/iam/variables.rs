//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`) and the escapes
//! `${*}`, `${?}`, `${$}` inside pattern strings (docs/iam.md#policy-variables).
//!
//! A string from a policy is compiled once into a [`Template`]: literal text, wildcards (when the
//! place allows them) and variables. Templates without variables match through a precompiled
//! [`Glob`]; the others are resolved against the request context first. In a policy whose
//! `Version` is missing or `2008-10-17`, `${…}` is plain text (the escapes too).

use super::matcher::{Glob, Tok, push_lit, push_wild, toks_match};
use super::request::{KeyState, RequestContext};
use std::borrow::Cow;

/// One piece of a template.
#[derive(Clone, Debug)]
pub(crate) enum Part {
    Tok(Tok),
    /// `${key}` or `${key, 'default'}`; `key` is lowercased (condition keys are case-insensitive).
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A compiled policy string: a plain glob when it has no variables (the common case, one
/// allocation), otherwise the pieces to resolve against the request context.
#[derive(Clone, Debug)]
pub(crate) enum Template {
    Plain(Glob),
    Vars(Box<[Part]>),
}

/// What compiling should treat as special.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (Resource, StringLike, Arn*); otherwise literal characters.
    pub wildcards: bool,
    /// `${…}` is a variable or escape (policy Version 2012-10-17); otherwise literal text.
    pub variables: bool,
}

/// Why a template could not be turned into a concrete pattern.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum VarFail {
    /// The key's value is not known statically; the original key text is kept for reports.
    Unknown(String),
    /// The key is known to be absent (or multi-valued) and there is no default: IAM cannot
    /// resolve the variable, and the docs warn the statement may then be invalid.
    Unresolvable,
}

/// The outcome of matching a template against one string.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum VarMatch {
    Yes,
    No,
    Fail(VarFail),
}

impl Template {
    pub(crate) fn compile(text: &str, syntax: Syntax) -> Template {
        let mut parts: Vec<Part> = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let variable = if syntax.variables {
                variable_at(rest)
            } else {
                None
            };
            if let Some((piece, len)) = variable {
                match piece {
                    Piece::Literal(ch) => lit.push(ch),
                    Piece::Var { key, default } => {
                        flush(&mut parts, &mut lit);
                        parts.push(Part::Var { key, default });
                    }
                }
                rest = rest.get(len..).unwrap_or("");
                continue;
            }
            if syntax.wildcards && (c == '*' || c == '?') {
                flush(&mut parts, &mut lit);
                parts.push(Part::Tok(if c == '*' { Tok::Star } else { Tok::One }));
            } else {
                lit.push(c);
            }
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        }
        flush(&mut parts, &mut lit);
        if parts.iter().any(|p| matches!(p, Part::Var { .. })) {
            return Template::Vars(parts.into_boxed_slice());
        }
        let mut toks = Vec::with_capacity(parts.len());
        for p in parts {
            if let Part::Tok(t) = p {
                match t {
                    Tok::Lit(l) => push_lit(&mut toks, &l),
                    other => push_wild(&mut toks, other),
                }
            }
        }
        Template::Plain(Glob::from_toks(toks))
    }

    #[cfg(test)]
    pub(crate) fn has_variables(&self) -> bool {
        matches!(self, Template::Vars(_))
    }

    /// Matches `s` as a whole against the template.
    pub(crate) fn matches(&self, s: &str, ctx: &RequestContext) -> VarMatch {
        let parts = match self {
            Template::Plain(g) => {
                return if g.is_match(s) {
                    VarMatch::Yes
                } else {
                    VarMatch::No
                };
            }
            Template::Vars(parts) => parts,
        };
        match resolve_toks(parts, ctx) {
            Ok(toks) => {
                if toks_match(&toks, s) {
                    VarMatch::Yes
                } else {
                    VarMatch::No
                }
            }
            Err(f) => VarMatch::Fail(f),
        }
    }

    /// The template as plain text, variables substituted (meant for templates compiled without
    /// wildcards, where every token is literal).
    pub(crate) fn resolve_text(&self, ctx: &RequestContext) -> Result<Cow<'_, str>, VarFail> {
        let parts = match self {
            Template::Plain(g) => return Ok(g.text()),
            Template::Vars(parts) => parts,
        };
        let mut out = String::new();
        for p in parts.iter() {
            match p {
                Part::Tok(Tok::Lit(l)) => out.push_str(l),
                Part::Tok(Tok::Star) => out.push('*'),
                Part::Tok(Tok::One) => out.push('?'),
                Part::Var { key, default } => out.push_str(&resolve_var(key, default, ctx)?),
            }
        }
        Ok(Cow::Owned(out))
    }
}

fn resolve_toks(parts: &[Part], ctx: &RequestContext) -> Result<Vec<Tok>, VarFail> {
    let mut toks = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            Part::Tok(Tok::Lit(l)) => push_lit(&mut toks, l),
            Part::Tok(t) => push_wild(&mut toks, t.clone()),
            // A substituted value is literal text: a `*` inside a tag value is not a wildcard.
            Part::Var { key, default } => push_lit(&mut toks, &resolve_var(key, default, ctx)?),
        }
    }
    Ok(toks)
}

fn flush(parts: &mut Vec<Part>, lit: &mut String) {
    if !lit.is_empty() {
        parts.push(Part::Tok(Tok::Lit(std::mem::take(lit))));
    }
}

fn resolve_var<'c>(
    key: &str,
    default: &'c Option<String>,
    ctx: &'c RequestContext,
) -> Result<Cow<'c, str>, VarFail> {
    match ctx.lookup(key) {
        KeyState::Single(v) => Ok(Cow::Borrowed(v)),
        // IAM cannot substitute a multi-valued key; with a default it uses the default
        // (inferred, same as for an absent key: docs/iam.md#policy-variables).
        KeyState::Multi(_) | KeyState::Absent => match default {
            Some(d) => Ok(Cow::Borrowed(d.as_str())),
            None => Err(VarFail::Unresolvable),
        },
        KeyState::Unknown => Err(VarFail::Unknown(key.to_string())),
    }
}

enum Piece {
    Literal(char),
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A `${…}` at the start of `text`, and its length in bytes.
fn variable_at(text: &str) -> Option<(Piece, usize)> {
    let inner_and_rest = text.strip_prefix("${")?;
    let close = inner_and_rest.find('}')?;
    let piece = variable_piece(inner_and_rest.get(..close)?)?;
    Some((piece, close + 3))
}

/// Interprets the text between `${` and `}`. `None` means "not a variable": keep it as text.
fn variable_piece(inner: &str) -> Option<Piece> {
    match inner {
        "*" => return Some(Piece::Literal('*')),
        "?" => return Some(Piece::Literal('?')),
        "$" => return Some(Piece::Literal('$')),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((k, d)) => {
            let d = d.trim();
            let quoted = d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'');
            if !quoted {
                return None;
            }
            (
                k.trim(),
                Some(d.get(1..d.len() - 1).unwrap_or("").to_string()),
            )
        }
        None => (inner.trim(), None),
    };
    if key.is_empty()
        || key
            .chars()
            .any(|c| c.is_whitespace() || c == '$' || c == '{')
    {
        return None;
    }
    Some(Piece::Var {
        key: key.to_ascii_lowercase(),
        default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIKE: Syntax = Syntax {
        wildcards: true,
        variables: true,
    };
    const EQUALS: Syntax = Syntax {
        wildcards: false,
        variables: true,
    };
    const OLD: Syntax = Syntax {
        wildcards: true,
        variables: false,
    };

    fn ctx() -> RequestContext {
        let mut c = RequestContext::new();
        c.set("aws:username", "alice");
        c.set("aws:PrincipalTag/team", "a*b");
        c.set_absent("aws:PrincipalTag/missing");
        c
    }

    #[test]
    fn variables_substitute_and_stay_literal() {
        let c = ctx();
        let t = Template::compile("home/${aws:username}/*", LIKE);
        assert!(t.has_variables());
        assert_eq!(t.matches("home/alice/x", &c), VarMatch::Yes);
        assert_eq!(t.matches("home/bob/x", &c), VarMatch::No);
        // The `*` inside the tag value is literal text.
        let t = Template::compile("${aws:PrincipalTag/TEAM}", LIKE);
        assert_eq!(t.matches("a*b", &c), VarMatch::Yes);
        assert_eq!(t.matches("axxb", &c), VarMatch::No);
    }

    #[test]
    fn defaults_absent_and_unknown_keys() {
        let c = ctx();
        let t = Template::compile("${aws:PrincipalTag/missing, 'none'}", EQUALS);
        assert_eq!(t.matches("none", &c), VarMatch::Yes);
        let t = Template::compile("${aws:PrincipalTag/missing}", EQUALS);
        assert_eq!(t.matches("", &c), VarMatch::Fail(VarFail::Unresolvable));
        let t = Template::compile("x${aws:SourceVpc}", EQUALS);
        assert_eq!(
            t.matches("xvpc-1", &c),
            VarMatch::Fail(VarFail::Unknown("aws:sourcevpc".into()))
        );
    }

    #[test]
    fn escapes_and_old_version() {
        let c = ctx();
        let t = Template::compile("a${*}b", LIKE);
        assert_eq!(t.matches("a*b", &c), VarMatch::Yes);
        assert_eq!(t.matches("axb", &c), VarMatch::No);
        let t = Template::compile("${aws:username}", OLD);
        assert!(!t.has_variables());
        assert_eq!(t.matches("${aws:username}", &c), VarMatch::Yes);
        assert_eq!(t.matches("alice", &c), VarMatch::No);
        let t = Template::compile("a*b", EQUALS);
        assert_eq!(t.matches("a*b", &c), VarMatch::Yes);
        assert_eq!(t.matches("axb", &c), VarMatch::No);
    }

    #[test]
    fn malformed_variables_are_text() {
        let c = ctx();
        for text in ["${", "${}", "${ }", "${a, b}", "${unterminated"] {
            let t = Template::compile(text, EQUALS);
            assert_eq!(t.matches(text, &c), VarMatch::Yes, "{text}");
        }
    }

    #[test]
    fn resolve_text_substitutes() {
        let c = ctx();
        let t = Template::compile("u-${aws:username}", EQUALS);
        assert_eq!(t.resolve_text(&c).unwrap(), "u-alice");
    }
}
