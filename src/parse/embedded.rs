//! JSON inside a JSON string: Terraform plans carry `container_definitions` as one string of
//! JSON. We parse the decoded string, then move every span back onto the plan file's bytes so
//! diagnostics point at the field inside the string the user can see.

use super::{Node, NodeKind, ParseError, json};
use crate::span::Span;

/// Parses the JSON held by the string literal at `literal` (quotes included) in `file_text`.
/// Spans of the result (and of an error) are byte ranges of `file_text`.
pub fn parse_json_string_literal(file_text: &str, literal: Span) -> Result<Node, ParseError> {
    let raw = &file_text[literal.range()];
    let (decoded, map) = decode_with_offsets(raw, literal.start as usize);
    match json::parse(&decoded) {
        Ok(mut node) => {
            remap(&mut node, &map);
            Ok(node)
        }
        Err(mut err) => {
            err.span = map_span(err.span, &map);
            Err(err)
        }
    }
}

/// Decodes a JSON string literal (with its quotes) and returns, for every byte of the decoded
/// text and one past its end, the file offset of the raw text it came from.
fn decode_with_offsets(raw: &str, base: usize) -> (String, Vec<u32>) {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let inner_base = base + (raw.len() - inner.len()).min(1);
    let mut decoded = String::with_capacity(inner.len());
    let mut map = Vec::with_capacity(inner.len() + 1);
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at = (inner_base + i) as u32;
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            let (c, len) = decode_escape(&inner[i..]);
            let before = decoded.len();
            decoded.push(c);
            map.extend(std::iter::repeat_n(at, decoded.len() - before));
            i += len;
        } else {
            let c = inner[i..].chars().next().unwrap_or('\u{fffd}');
            for k in 0..c.len_utf8() {
                map.push(at + k as u32);
            }
            decoded.push(c);
            i += c.len_utf8();
        }
    }
    map.push((inner_base + inner.len()) as u32);
    (decoded, map)
}

/// One escape sequence at the start of `s` → the character and the raw length consumed. The
/// outer document was already validated by the JSON reader, so escapes are well formed; a
/// malformed one still decodes to U+FFFD rather than failing.
fn decode_escape(s: &str) -> (char, usize) {
    let b = s.as_bytes();
    let simple = match b.get(1) {
        Some(b'"') => Some('"'),
        Some(b'\\') => Some('\\'),
        Some(b'/') => Some('/'),
        Some(b'b') => Some('\u{8}'),
        Some(b'f') => Some('\u{c}'),
        Some(b'n') => Some('\n'),
        Some(b'r') => Some('\r'),
        Some(b't') => Some('\t'),
        _ => None,
    };
    if let Some(c) = simple {
        return (c, 2);
    }
    let hex = |from: usize| {
        s.get(from..from + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    match hex(2) {
        Some(hi @ 0xD800..=0xDBFF) if s.get(6..8) == Some("\\u") => match hex(8) {
            Some(lo @ 0xDC00..=0xDFFF) => {
                let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
                (c.unwrap_or('\u{fffd}'), 12)
            }
            _ => ('\u{fffd}', 6),
        },
        Some(code) => (char::from_u32(code).unwrap_or('\u{fffd}'), 6),
        None => ('\u{fffd}', 2),
    }
}

fn map_span(span: Span, map: &[u32]) -> Span {
    let last = map.len().saturating_sub(1);
    let start = map[(span.start as usize).min(last)];
    // The end maps to the raw position just after the last decoded byte of the span.
    let end = if span.end > span.start {
        let last_byte = map[(span.end as usize - 1).min(last)];
        let next = map[(span.end as usize).min(last)];
        next.max(last_byte + 1)
    } else {
        start
    };
    Span { start, end }
}

fn remap(node: &mut Node, map: &[u32]) {
    node.span = map_span(node.span, map);
    match &mut node.kind {
        NodeKind::Array(items) => items.iter_mut().for_each(|n| remap(n, map)),
        NodeKind::Object(members) => {
            for m in members {
                m.key_span = map_span(m.key_span, map);
                remap(&mut m.value, map);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_into_the_outer_file() {
        let file =
            r#"{"container_definitions": "[{\"name\":\"web\",\"image\":\"nginx:latest\"}]"}"#;
        let outer = json::parse(file).unwrap();
        let literal = outer.get("container_definitions").unwrap().span;
        let inner = parse_json_string_literal(file, literal).unwrap();
        let image = inner.items()[0].get("image").unwrap();
        assert_eq!(image.as_str(), Some("nginx:latest"));
        assert_eq!(&file[image.span.range()], r#"\"nginx:latest\""#);
        let name_key = &inner.items()[0].members()[0];
        assert_eq!(&file[name_key.key_span.range()], r#"\"name\""#);
    }

    #[test]
    fn unicode_escapes_map_to_their_escape() {
        let file = r#"{"c": "[\"\u00e9x\"]"}"#;
        let outer = json::parse(file).unwrap();
        let inner = parse_json_string_literal(file, outer.get("c").unwrap().span).unwrap();
        let s = &inner.items()[0];
        assert_eq!(s.as_str(), Some("éx"));
        assert_eq!(&file[s.span.range()], r#"\"\u00e9x\""#);
    }

    #[test]
    fn syntax_errors_point_into_the_string() {
        let file = r#"{"c": "[{\"a\": 1,}]"}"#;
        let outer = json::parse(file).unwrap();
        let err = parse_json_string_literal(file, outer.get("c").unwrap().span).unwrap_err();
        assert!(err.message.contains("trailing comma"));
        assert_eq!(&file[err.span.range()], ",");
    }
}
