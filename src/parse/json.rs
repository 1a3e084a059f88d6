//! A strict JSON (RFC 8259) reader that keeps the byte span of every value and key.
//!
//! Hand-written rather than serde_json because serde_json keeps no spans; small enough to own.
//! Depth is bounded by [`MAX_DEPTH`] so hostile input cannot overflow the stack.

use super::{MAX_DEPTH, Member, Node, NodeKind, ParseError};
use crate::span::Span;

pub fn parse(text: &str) -> Result<Node, ParseError> {
    parse_taking(text, &[], &mut |_, _| Ok(()))
}

/// What [`parse_taking`] calls with each item of the array it takes: the item's index and
/// the item.
pub type Take<'t> = dyn FnMut(usize, Node) -> Result<(), ParseError> + 't;

/// Parses like [`parse`], but hands each item of the array at `path` (object keys from the
/// root; empty: none) to `take` as soon as it is read, and keeps only a null with the item's
/// span in the tree: a large list is never held whole as a tree (a state file of 100,000
/// roles). An error of `take` stops the parse and is returned.
pub fn parse_taking(text: &str, path: &[&str], take: &mut Take) -> Result<Node, ParseError> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        path,
        matched: 0,
        take,
    };
    // A UTF-8 byte order mark is not JSON, but editors on Windows write one.
    if text.starts_with('\u{feff}') {
        p.pos = 3;
    }
    p.skip_ws();
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error_here("unexpected text after the end of the JSON document"));
    }
    Ok(node)
}

struct Parser<'a, 't> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// The path of the array whose items are taken, and how many of its keys the values
    /// being read are inside (equal to the depth only on the path).
    path: &'a [&'a str],
    matched: usize,
    take: &'a mut Take<'t>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// An error spanning the character at the current position (or the end of the file).
    fn error_here(&self, message: &str) -> ParseError {
        let end = match self.text[self.pos..].chars().next() {
            Some(c) => self.pos + c.len_utf8(),
            None => self.pos,
        };
        ParseError::new(message, Span::new(self.pos, end))
    }

    fn unexpected(&self, expected: &str) -> ParseError {
        match self.text[self.pos..].chars().next() {
            None => self.error_here(&format!("unexpected end of file, expected {expected}")),
            Some(c) => self.error_here(&format!("expected {expected}, found {}", describe(c))),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(self.error_here(&format!(
                "the document is nested more than {MAX_DEPTH} levels deep; this is not a task \
                 definition, template or plan the tool can check"
            )));
        }
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let s = self.string()?;
                Ok(Node::new(NodeKind::String(s), Span::new(start, self.pos)))
            }
            Some(b't') => self
                .literal("true", NodeKind::Bool(true))
                .map_err(|e| self.bare_word(start).unwrap_or(e)),
            Some(b'f') => self
                .literal("false", NodeKind::Bool(false))
                .map_err(|e| self.bare_word(start).unwrap_or(e)),
            Some(b'n') => self
                .literal("null", NodeKind::Null)
                .map_err(|e| self.bare_word(start).unwrap_or(e)),
            Some(b'-' | b'0'..=b'9') => {
                let number = self
                    .number()
                    .map_err(|e| self.bare_word(start).unwrap_or(e))?;
                match self.peek() {
                    Some(c) if c.is_ascii_alphanumeric() || c == b'.' || c == b':' => Err(self
                        .bare_word(start)
                        .unwrap_or_else(|| self.unexpected("`,` or the end of the value"))),
                    _ => Ok(number),
                }
            }
            _ => Err(self
                .bare_word(start)
                .unwrap_or_else(|| self.unexpected("a value"))),
        }
    }

    /// Text without quotes where a value belongs (`"image": nginx:latest`) gets its own
    /// message, spanning the whole word.
    fn bare_word(&self, start: usize) -> Option<ParseError> {
        let rest = &self.text[start..];
        let len = rest
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | '}' | ']' | '"'))
            .unwrap_or(rest.len());
        let word = &rest[..len];
        let is_literal = ["true", "false", "null"].contains(&word);
        let has_letters = word.chars().any(|c| c.is_alphabetic());
        if len == 0 || is_literal || !has_letters || word.parse::<f64>().is_ok() {
            return None;
        }
        Some(ParseError::new(
            format!("`{word}` is not a JSON value: text must be in double quotes"),
            Span::new(start, start + len),
        ))
    }

    fn literal(&mut self, word: &str, kind: NodeKind) -> Result<Node, ParseError> {
        let start = self.pos;
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Node::new(kind, Span::new(start, self.pos)))
        } else {
            Err(self.unexpected("a value"))
        }
    }

    fn number(&mut self) -> Result<Node, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(self.error_here("numbers cannot have leading zeros in JSON"));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit after the decimal point"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit in the exponent"));
            }
            self.digits();
        }
        let text = self.text[start..self.pos].to_string();
        Ok(Node::new(
            NodeKind::Number(text),
            Span::new(start, self.pos),
        ))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// Reads a string literal at the current position and returns its decoded value.
    fn string(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain characters in one go.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(b'\n') | None => {
                    return Err(ParseError::new(
                        "unterminated string",
                        Span::new(open, self.pos.max(open + 1)),
                    ));
                }
                Some(_) => {
                    return Err(self.error_here(
                        "control characters must be escaped inside a string (e.g. \\t)",
                    ));
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let start = self.pos;
        self.pos += 1; // the backslash
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4(start)?;
                let c = if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    if self.bytes[self.pos..].starts_with(b"\\u") {
                        self.pos += 2;
                        let second = self.hex4(start)?;
                        if !(0xDC00..0xE000).contains(&second) {
                            return Err(ParseError::new(
                                "invalid unicode escape: unpaired surrogate",
                                Span::new(start, self.pos),
                            ));
                        }
                        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        char::from_u32(code)
                    } else {
                        None
                    }
                } else {
                    char::from_u32(first)
                };
                match c {
                    Some(c) => {
                        out.push(c);
                        return Ok(());
                    }
                    None => {
                        return Err(ParseError::new(
                            "invalid unicode escape: unpaired surrogate",
                            Span::new(start, self.pos),
                        ));
                    }
                }
            }
            _ => {
                let end = (self.pos + 1).min(self.bytes.len());
                let end = if self.text.is_char_boundary(end) {
                    end
                } else {
                    self.pos
                };
                return Err(ParseError::new(
                    "invalid escape in string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
                    Span::new(start, end),
                ));
            }
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self, escape_start: usize) -> Result<u32, ParseError> {
        let digits = self.bytes.get(self.pos..self.pos + 4);
        let value = digits
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .and_then(|d| u32::from_str_radix(std::str::from_utf8(d).ok()?, 16).ok());
        match value {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(ParseError::new(
                "invalid unicode escape: \\u needs four hex digits",
                Span::new(escape_start, self.pos),
            )),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node::new(
                NodeKind::Array(items),
                Span::new(start, self.pos),
            ));
        }
        let taken = !self.path.is_empty() && self.matched == depth && depth == self.path.len();
        loop {
            self.skip_ws();
            let item = self.value(depth + 1)?;
            if taken {
                let span = item.span;
                (self.take)(items.len(), item)?;
                items.push(Node::new(NodeKind::Null, span));
            } else {
                items.push(item);
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    let comma = self.pos;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        return Err(ParseError::new(
                            "trailing comma before `]` is not allowed in JSON",
                            Span::new(comma, comma + 1),
                        ));
                    }
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node::new(
                        NodeKind::Array(items),
                        Span::new(start, self.pos),
                    ));
                }
                _ => return Err(self.unexpected("`,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node::new(
                NodeKind::Object(members),
                Span::new(start, self.pos),
            ));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a string key in double quotes"));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = Span::new(key_start, self.pos);
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("`:` after the key"));
            }
            self.pos += 1;
            self.skip_ws();
            let on_path = self.matched == depth && self.path.get(depth).is_some_and(|k| *k == key);
            if on_path {
                self.matched = depth + 1;
            }
            let value = self.value(depth + 1);
            if on_path {
                self.matched = depth;
            }
            let value = value?;
            members.push(Member {
                key,
                key_span,
                value,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    let comma = self.pos;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        return Err(ParseError::new(
                            "trailing comma before `}` is not allowed in JSON",
                            Span::new(comma, comma + 1),
                        ));
                    }
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Node::new(
                        NodeKind::Object(members),
                        Span::new(start, self.pos),
                    ));
                }
                _ => return Err(self.unexpected("`,` or `}`")),
            }
        }
    }
}

fn describe(c: char) -> String {
    match c {
        '\n' => "a line break".to_string(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c => format!("`{c}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_text(text: &str, span: Span) -> &str {
        &text[span.range()]
    }

    #[test]
    fn items_on_the_path_are_taken_and_leave_nulls_with_their_spans() {
        let text = r#"{"a": {"list": [{"x": 1}, [2], 3], "other": [4]}, "list": [5]}"#;
        let mut taken = Vec::new();
        let root = parse_taking(text, &["a", "list"], &mut |i, node| {
            taken.push((i, span_text(text, node.span).to_string()));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            taken,
            [
                (0, r#"{"x": 1}"#.into()),
                (1, "[2]".into()),
                (2, "3".into())
            ]
        );
        let list = root.get("a").unwrap().get("list").unwrap();
        assert!(list.items().iter().all(Node::is_null));
        assert_eq!(span_text(text, list.items()[1].span), "[2]");
        // Off the path, the tree is whole.
        assert_eq!(
            root.get("a").unwrap().get("other").unwrap().items().len(),
            1
        );
        assert!(!root.get("list").unwrap().items()[0].is_null());
        // An error of the taker stops the parse.
        let err = parse_taking(text, &["a", "list"], &mut |_, node| {
            Err(ParseError::new("no", node.span))
        })
        .unwrap_err();
        assert_eq!(span_text(text, err.span), r#"{"x": 1}"#);
    }

    #[test]
    fn values_keep_their_spans() {
        let text = r#"{ "family": "web", "cpu": 256, "tags": [true, null], "x": {"é": "ü"} }"#;
        let root = parse(text).unwrap();
        let family = root.get("family").unwrap();
        assert_eq!(family.as_str(), Some("web"));
        assert_eq!(span_text(text, family.span), "\"web\"");
        assert_eq!(
            root.member("cpu").map(|m| span_text(text, m.key_span)),
            Some("\"cpu\"")
        );
        assert_eq!(
            root.get("cpu").unwrap().kind,
            NodeKind::Number("256".into())
        );
        assert_eq!(root.get("tags").unwrap().items().len(), 2);
        assert_eq!(
            span_text(text, root.get("x").unwrap().get("é").unwrap().span),
            "\"ü\""
        );
        assert_eq!(span_text(text, root.span), text);
    }

    #[test]
    fn escapes_are_decoded() {
        let root = parse(r#"["a\"b\\c\/\n\t\u00e9\ud83d\ude00"]"#).unwrap();
        assert_eq!(root.items()[0].as_str(), Some("a\"b\\c/\n\té😀"));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let cases = [
            ("{\"a\": 1,}", 7, "trailing comma"),
            ("{\"a\" 1}", 5, "expected `:`"),
            ("[1 2]", 3, "expected `,` or `]`"),
            ("{\"a\": tru}", 6, "double quotes"),
            ("{\"a\": 1.2.dkr}", 6, "double quotes"),
            ("{\"a\": \"x\ny\"}", 6, "unterminated string"),
            ("{\"a\": \"\\q\"}", 7, "invalid escape"),
            ("{\"a\": 01}", 7, "leading zeros"),
            ("{\"a\": 1} x", 9, "after the end"),
            ("", 0, "unexpected end of file"),
            ("{\"a\": [1, 2", 11, "unexpected end of file"),
            ("{'a': 1}", 1, "string key"),
            ("{\"a\": \"\\ud800\"}", 7, "surrogate"),
            ("[-]", 2, "digit"),
            ("[1.]", 3, "digit"),
        ];
        for (text, offset, needle) in cases {
            let err = parse(text).expect_err(text);
            assert_eq!(err.span.start as usize, offset, "{text}: {err:?}");
            assert!(err.message.contains(needle), "{text}: {}", err.message);
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("nested more than"));
        assert_eq!(err.span.start as usize, MAX_DEPTH);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let root = parse("\u{feff}{\"a\": 1}").unwrap();
        assert!(root.get("a").is_some());
        assert_eq!(root.span.start, 3);
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let root = parse(r#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(root.get("a").unwrap().kind, NodeKind::Number("2".into()));
    }
}
