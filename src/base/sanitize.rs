//! Text from input on its way to a terminal or a CI log.
//!
//! A pull request controls the files ecs-preflight reads, and the output goes to terminals and
//! to GitHub Actions logs, where a line starting with `::` is a workflow command
//! (`::add-mask::`, `::stop-commands::`, a fake `::error file=…::`). So every value that came
//! from input is passed through here before it is written: control characters (C0 including
//! line breaks, DEL, C1), Unicode line separators and bidirectional overrides and isolates
//! (which reorder what a reader sees, CVE-2021-42574) are shown escaped, as `\n` or
//! `\u{1b}`. With its line breaks escaped, a value can never start a line of output: lines
//! are started by the renderers, with their own text.
//!
//! Source snippets are the exception: they show the file's own lines, so line breaks stay; the
//! other characters are replaced by placeholders of the same length in bytes
//! ([`display_text`]) so that spans still point at the same places.

use std::borrow::Cow;

/// True for the characters that are never written raw.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        // Arabic letter mark, left-to-right and right-to-left marks.
        | '\u{61c}' | '\u{200e}' | '\u{200f}'
        // Line and paragraph separators: line breaks to some viewers.
        | '\u{2028}' | '\u{2029}'
        // Bidirectional embeddings, overrides and isolates.
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// One line of output: every unsafe character escaped, line breaks included.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Text whose line breaks the program made (a help with a command on its own line): each line
/// is escaped as [`line`] escapes it, the `\n` between lines kept. A `\r` is escaped, so a
/// `\r\n` cannot rewrite the start of a line on a terminal.
pub fn lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c == '\n' {
            out.push('\n');
        } else {
            push_escaped(&mut out, c);
        }
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// A file's text as source snippets show it: line breaks (`\n`, and `\r` before `\n`) and tabs
/// kept, every other unsafe character replaced by a visible placeholder of the same length in
/// bytes (`?` for one byte, `¿` for two, `\u{fffd}` for three), so byte offsets are unchanged.
pub fn display_text(text: &str) -> Cow<'_, str> {
    let unsafe_here = |(i, c): (usize, char)| {
        is_unsafe(c)
            && c != '\n'
            && c != '\t'
            && !(c == '\r' && text.as_bytes().get(i + 1) == Some(&b'\n'))
    };
    if !text.char_indices().any(unsafe_here) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if unsafe_here((i, c)) {
            out.push(match c.len_utf8() {
                1 => '?',
                2 => '¿',
                _ => '\u{fffd}',
            });
        } else {
            out.push(c);
        }
    }
    debug_assert_eq!(out.len(), text.len());
    Cow::Owned(out)
}

/// Escapes the characters of `s` that [`line`] escapes as JSON `\u` escapes: JSON output is
/// the same data, but printing it (a CI step that `cat`s the report) shows no raw C1 control or
/// bidirectional override. Only valid on serialized JSON, where these characters can only be
/// inside strings (serializers already escape C0 controls there).
pub fn json(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t') {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer for serialized JSON that applies [`json`] on the way (a serializer writes strings
/// whole, but a character cut between two writes is held back until it is complete).
pub struct JsonWriter<'a> {
    inner: &'a mut dyn std::io::Write,
    carry: Vec<u8>,
}

impl<'a> JsonWriter<'a> {
    pub fn new(inner: &'a mut dyn std::io::Write) -> JsonWriter<'a> {
        JsonWriter {
            inner,
            carry: Vec::new(),
        }
    }
}

impl std::io::Write for JsonWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The usual case, a write of whole characters with nothing held back, is escaped
        // straight from `buf`: no copy.
        let joined;
        let bytes = if self.carry.is_empty() {
            buf
        } else {
            self.carry.extend_from_slice(buf);
            joined = std::mem::take(&mut self.carry);
            &joined[..]
        };
        let complete = match std::str::from_utf8(bytes) {
            Ok(_) => bytes.len(),
            // An incomplete character at the end waits for the next write.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            // Not UTF-8 (never from a serializer): passed on as it is.
            Err(_) => {
                self.inner.write_all(bytes)?;
                return Ok(buf.len());
            }
        };
        let (text, rest) = bytes.split_at(complete);
        let text = std::str::from_utf8(text).unwrap_or_default();
        self.inner.write_all(json(text).as_bytes())?;
        self.carry.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let bytes = std::mem::take(&mut self.carry);
        self.inner.write_all(&bytes)?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_escapes_are_shown_escaped() {
        assert_eq!(line("a\nb\r::add-mask::x"), "a\\nb\\r::add-mask::x");
        assert_eq!(
            line("\u{1b}]8;;http://x\u{7}y"),
            "\\u{1b}]8;;http://x\\u{7}y"
        );
        assert_eq!(line("ab\u{202e}cd\u{2066}"), "ab\\u{202e}cd\\u{2066}");
        assert_eq!(line("\u{85}\u{9b}\u{7f}\t"), "\\u{85}\\u{9b}\\u{7f}\\t");
        assert_eq!(line("\u{2028}"), "\\u{2028}");
        // Ordinary text, backslashes and non-Latin text are untouched (and not copied).
        assert!(matches!(line("back\\slash é 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn lines_keep_the_programs_line_breaks_only() {
        assert_eq!(lines("a\n  b\r\n\u{1b}c"), "a\n  b\\r\n\\u{1b}c");
    }

    #[test]
    fn display_text_keeps_every_byte_offset() {
        let text = "a\u{1b}b\r\nc\u{85}d\u{202e}e\rf\tg\n";
        let shown = display_text(text);
        assert_eq!(shown.len(), text.len());
        assert_eq!(shown, "a?b\r\nc¿d\u{fffd}e?f\tg\n");
        for (i, _) in text.char_indices() {
            assert!(shown.is_char_boundary(i));
        }
    }

    #[test]
    fn json_escapes_are_json() {
        let s = serde_json::to_string("x\u{202e}\u{85}\u{1b}\n").unwrap();
        let escaped = json(&s);
        assert!(!escaped.chars().any(is_unsafe));
        let back: String = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, "x\u{202e}\u{85}\u{1b}\n");
        // Written a byte at a time, as a writer may be.
        let mut out = Vec::new();
        {
            use std::io::Write;
            let mut w = JsonWriter::new(&mut out);
            for b in s.as_bytes() {
                w.write_all(std::slice::from_ref(b)).unwrap();
            }
            w.flush().unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), escaped);
    }
}
