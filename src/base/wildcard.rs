//! The one wildcard matcher: `*` (any run of characters, possibly empty) and `?` (exactly one
//! character), for IAM actions, resources and conditions, trust policy conditions, ECR
//! lifecycle and tag-mutability patterns (`*` only) and CDK asset names.
//!
//! Patterns are compiled once into a token list; matching then walks the token list with the
//! classic single-backtrack-point algorithm, which is complete for patterns made of literals,
//! `*` and `?` (no character classes). No regex: these wildcards are not regexes, and a regex
//! engine would be slower to build for the thousands of short patterns a state file holds.

/// One element of a compiled wildcard pattern.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// Text that must appear exactly.
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A compiled wildcard pattern, with the common shapes kept apart so that they match without
/// walking tokens (and cost one allocation each: policies hold hundreds of thousands of them).
#[derive(Clone, Debug)]
pub(crate) enum Glob {
    /// `*` alone.
    Any,
    /// No wildcard at all.
    Exact(Box<str>),
    /// `literal*`.
    Prefix(Box<str>),
    /// Anything else.
    General(Box<[Tok]>),
}

impl Glob {
    pub(crate) fn from_toks(mut toks: Vec<Tok>) -> Glob {
        match toks.as_mut_slice() {
            [Tok::Star] => Glob::Any,
            [] => Glob::Exact("".into()),
            [Tok::Lit(l)] => Glob::Exact(std::mem::take(l).into_boxed_str()),
            [Tok::Lit(l), Tok::Star] => Glob::Prefix(std::mem::take(l).into_boxed_str()),
            _ => Glob::General(toks.into_boxed_slice()),
        }
    }

    pub(crate) fn is_match(&self, s: &str) -> bool {
        match self {
            Glob::Any => true,
            Glob::Exact(l) => same(s.as_bytes(), l.as_bytes()),
            Glob::Prefix(p) => starts_with(s.as_bytes(), p.as_bytes()),
            Glob::General(toks) => toks_match(toks, s),
        }
    }

    /// The pattern as text (`*` and `?` for wildcards).
    pub(crate) fn text(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            Glob::Any => Cow::Borrowed("*"),
            Glob::Exact(l) => Cow::Borrowed(l),
            Glob::Prefix(p) => Cow::Owned(format!("{p}*")),
            Glob::General(toks) => Cow::Owned(
                toks.iter()
                    .map(|t| match t {
                        Tok::Lit(l) => l.as_str(),
                        Tok::Star => "*",
                        Tok::One => "?",
                    })
                    .collect(),
            ),
        }
    }
}

/// Appends literal text to a token list, merging with a preceding literal.
pub(crate) fn push_lit(toks: &mut Vec<Tok>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Tok::Lit(prev)) = toks.last_mut() {
        prev.push_str(text);
    } else {
        toks.push(Tok::Lit(text.to_string()));
    }
}

/// Appends a wildcard, collapsing runs of `*` (they mean the same as one).
pub(crate) fn push_wild(toks: &mut Vec<Tok>, tok: Tok) {
    if tok == Tok::Star && toks.last() == Some(&Tok::Star) {
        return;
    }
    toks.push(tok);
}

/// Length in bytes of the UTF-8 character that starts with `b`.
fn char_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Whole-string match of `s` against the tokens. `?` and star backtracking step by whole UTF-8
/// characters so that a `?` never matches half a character.
pub(crate) fn toks_match(toks: &[Tok], s: &str) -> bool {
    let sb = s.as_bytes();
    let mut ti = 0usize;
    let mut si = 0usize;
    // (token index after the last star seen, string position that star's match ends at)
    let mut star: Option<(usize, usize)> = None;
    loop {
        let advanced = match toks.get(ti) {
            Some(Tok::Star) => {
                if ti + 1 == toks.len() {
                    return true;
                }
                star = Some((ti + 1, si));
                ti += 1;
                continue;
            }
            Some(Tok::One) => match sb.get(si) {
                Some(&b) => {
                    si += char_len(b);
                    ti += 1;
                    true
                }
                None => false,
            },
            Some(Tok::Lit(l)) => {
                if sb
                    .get(si..)
                    .is_some_and(|rest| starts_with(rest, l.as_bytes()))
                {
                    si += l.len();
                    ti += 1;
                    true
                } else {
                    false
                }
            }
            None => {
                if si >= sb.len() {
                    return true;
                }
                false
            }
        };
        if advanced {
            continue;
        }
        // Mismatch: let the last star swallow one more character and retry after it.
        match star {
            Some((after_star, end)) => match sb.get(end) {
                Some(&b) => {
                    let next = end + char_len(b);
                    star = Some((after_star, next));
                    ti = after_star;
                    si = next;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

/// A glob where `*` and `?` are wildcards and everything else is literal.
pub(crate) fn wild_glob(text: &str) -> Glob {
    let mut toks = Vec::new();
    let mut lit_start = 0usize;
    for (i, c) in text.char_indices() {
        if c == '*' || c == '?' {
            push_lit(&mut toks, text.get(lit_start..i).unwrap_or(""));
            push_wild(&mut toks, if c == '*' { Tok::Star } else { Tok::One });
            lit_start = i + 1;
        }
    }
    push_lit(&mut toks, text.get(lit_start..).unwrap_or(""));
    Glob::from_toks(toks)
}

// Byte-wise comparison. Patterns and the texts they match (tags, actions, ARN parts) are
// short; for strings that short a plain loop is several times faster than the `memcmp` calls
// behind `str::starts_with` (measured with benches/lifecycle.rs: memcmp was 44% of the
// lifecycle evaluation time).

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

pub(crate) fn starts_with(text: &[u8], prefix: &[u8]) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| same(head, prefix))
}

/// A glob where only `*` is a wildcard (ECR tag patterns: `?` is an ordinary character there,
/// https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html).
pub(crate) fn star_glob(text: &str) -> Glob {
    let mut toks = Vec::new();
    for (i, piece) in text.split('*').enumerate() {
        if i > 0 {
            push_wild(&mut toks, Tok::Star);
        }
        push_lit(&mut toks, piece);
    }
    Glob::from_toks(toks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(p: &str) -> Glob {
        let mut toks = Vec::new();
        for c in p.chars() {
            match c {
                '*' => push_wild(&mut toks, Tok::Star),
                '?' => push_wild(&mut toks, Tok::One),
                c => push_lit(&mut toks, c.encode_utf8(&mut [0; 4])),
            }
        }
        Glob::from_toks(toks)
    }

    #[test]
    fn star_and_question() {
        assert!(glob("*").is_match(""));
        assert!(glob("a*c").is_match("abbbc"));
        assert!(glob("a*c").is_match("ac"));
        assert!(!glob("a*c").is_match("abcd"));
        assert!(glob("a?c").is_match("abc"));
        assert!(!glob("a?c").is_match("ac"));
        assert!(glob("*Image").is_match("batchgetImage"));
        assert!(glob("ab*cd*ef").is_match("abXcdYcdZef"));
        assert!(!glob("ab*cd*ef").is_match("abXcdYcdZe"));
        assert!(glob("*a*a*a*").is_match("aaa"));
        assert!(!glob("*a*a*a*b").is_match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(glob("prefix*").is_match("prefix/and/more"));
        assert!(!glob("prefix*").is_match("prefi"));
    }

    #[test]
    fn question_matches_one_character_not_one_byte() {
        assert!(glob("a?c").is_match("aéc"));
        assert!(!glob("a??c").is_match("aéc"));
        assert!(glob("*é").is_match("xxé"));
    }

    #[test]
    fn in_a_star_glob_a_question_mark_is_literal() {
        assert!(star_glob("v?-*").is_match("v?-1"));
        assert!(!star_glob("v?-*").is_match("v1-1"));
        assert!(star_glob("*-1").is_match("prod-1"));
        assert!(star_glob("a**b").is_match("ab"));
        assert!(wild_glob("v?-*").is_match("v1-1"));
    }
}
