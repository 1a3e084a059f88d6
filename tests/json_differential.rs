//! The hand-written JSON reader (`ecs_preflight::parse::json`) against serde_json: the same
//! documents are accepted and rejected, and accepted documents have the same values. Inputs are
//! every `.json` file of the repository's tests/ and examples/, and documents made by a small
//! seeded generator (valid ones, and the same with one mutation each).
//!
//! Where the two legitimately differ, the difference is asserted, not ignored:
//!
//! - A leading byte order mark: the reader skips it (editors on Windows write one); serde_json
//!   rejects it.
//! - Nesting: the reader accepts up to `MAX_DEPTH` levels; serde_json at 127
//!   (`SERDE_JSON_DEPTH`).
//! - Numbers beyond the range of f64 (`1e400`): the reader keeps numbers as text and accepts
//!   them; serde_json rejects them ("number out of range").
//! - Duplicate keys: both accept and the last value wins (`Node::get`), but the reader also
//!   keeps the earlier members, with their spans.

use ecs_preflight::parse::{MAX_DEPTH, Node, NodeKind, json};
use serde_json::Value;

/// The deepest nesting serde_json accepts: its recursion limit (128) refuses the 128th array or
/// object inside one another.
const SERDE_JSON_DEPTH: usize = 127;

const BOM: char = '\u{feff}';

/// Compares the two readers on `text`; the error says how they differ.
fn differential(text: &str) -> Result<(), String> {
    let ours = json::parse(text);
    let theirs = serde_json::from_str::<Value>(text);
    // Differences by design, each asserted for what it is.
    if let Some(rest) = text.strip_prefix(BOM) {
        if theirs.is_ok() {
            return Err("serde_json accepted a byte order mark".into());
        }
        if rest.starts_with(BOM) {
            // Only one mark is skipped: a second is text where a value belongs.
            return match ours {
                Ok(_) => Err("a second byte order mark was accepted".into()),
                Err(_) => Ok(()),
            };
        }
        // Apart from the mark, the same document.
        return compare(rest, ours.map(|node| (node, 3)), serde_json::from_str(rest));
    }
    compare(text, ours.map(|node| (node, 0)), theirs)
}

/// `offset`: where `text` starts in the text the reader was given (spans are offsets in that).
fn compare(
    text: &str,
    ours: Result<(Node, usize), ecs_preflight::parse::ParseError>,
    theirs: Result<Value, serde_json::Error>,
) -> Result<(), String> {
    match (ours, theirs) {
        (Ok((node, offset)), Ok(value)) => {
            same_value(&node, &value, "$")?;
            spans_hold_their_values(text, &node, offset)
        }
        (Err(_), Err(_)) => Ok(()),
        (Ok((node, _)), Err(e)) => {
            let depth = depth(&node);
            if e.to_string().starts_with("recursion limit exceeded") {
                if depth > SERDE_JSON_DEPTH && depth <= MAX_DEPTH {
                    return Ok(());
                }
                return Err(format!(
                    "serde_json hit its depth limit on a document {depth} deep"
                ));
            }
            if e.to_string().starts_with("number out of range") {
                return match out_of_f64_range(&node) {
                    true => Ok(()),
                    false => Err(format!(
                        "serde_json: {e}, but no number is beyond the range of f64"
                    )),
                };
            }
            Err(format!(
                "accepted by the reader, rejected by serde_json: {e}"
            ))
        }
        (Err(e), Ok(_)) => Err(format!(
            "rejected by the reader ({} at {}..{}), accepted by serde_json",
            e.message, e.span.start, e.span.end
        )),
    }
}

/// Nesting depth: a scalar is 0 deep, `[]` 1, `[[]]` 2.
fn depth(node: &Node) -> usize {
    let children: Box<dyn Iterator<Item = &Node>> = match &node.kind {
        NodeKind::Array(items) => Box::new(items.iter()),
        NodeKind::Object(members) => Box::new(members.iter().map(|m| &m.value)),
        _ => return 0,
    };
    1 + children.map(depth).max().unwrap_or(0)
}

fn out_of_f64_range(node: &Node) -> bool {
    let mut found = false;
    node.walk(|n| {
        if let NodeKind::Number(text) = &n.kind {
            found |= text.parse::<f64>().is_ok_and(f64::is_infinite);
        }
    });
    found
}

fn same_value(node: &Node, value: &Value, path: &str) -> Result<(), String> {
    let differ = || {
        format!(
            "{path}: the reader has {:?}, serde_json has {value}",
            node.kind
        )
    };
    match (&node.kind, value) {
        (NodeKind::Null, Value::Null) => Ok(()),
        (NodeKind::Bool(a), Value::Bool(b)) if a == b => Ok(()),
        (NodeKind::String(a), Value::String(b)) if a == b => Ok(()),
        (NodeKind::Number(text), Value::Number(n)) => {
            if same_number(text, n) {
                Ok(())
            } else {
                Err(differ())
            }
        }
        (NodeKind::Array(items), Value::Array(values)) if items.len() == values.len() => {
            for (i, (item, value)) in items.iter().zip(values).enumerate() {
                same_value(item, value, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (NodeKind::Object(members), Value::Object(map)) => {
            // Duplicate keys: the reader keeps every member, and `get` (the last one) is what
            // serde_json keeps.
            let mut keys: Vec<&str> = members.iter().map(|m| m.key.as_str()).collect();
            keys.sort();
            keys.dedup();
            if keys.len() != map.len() {
                return Err(differ());
            }
            for key in keys {
                let Some(theirs) = map.get(key) else {
                    return Err(format!("{path}: serde_json has no key {key:?}"));
                };
                same_value(node.get(key).unwrap(), theirs, &format!("{path}.{key}"))?;
            }
            Ok(())
        }
        _ => Err(differ()),
    }
}

/// The reader keeps a number's text; serde_json converts it. Integers must match exactly.
/// Other numbers: serde_json (without its `float_roundtrip` feature) can be a few units in the
/// last place off the nearest f64, so the reader's text is converted by serde_json too, and
/// must give the same number: both read the same lexeme.
fn same_number(text: &str, n: &serde_json::Number) -> bool {
    if let Some(i) = n.as_i64() {
        return text.parse::<i128>() == Ok(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return text.parse::<i128>() == Ok(i128::from(u));
    }
    serde_json::from_str::<serde_json::Number>(text).is_ok_and(|ours| ours == *n)
}

/// Every value's and key's span holds text that serde_json reads as that same value: spans are
/// what diagnostics point at.
fn spans_hold_their_values(text: &str, root: &Node, offset: usize) -> Result<(), String> {
    let mut result = Ok(());
    let mut check = |span: ecs_preflight::span::Span, node: Option<&Node>, key: Option<&str>| {
        if result.is_err() {
            return;
        }
        let (start, end) = (span.start as usize - offset, span.end as usize - offset);
        let Some(slice) = text.get(start..end) else {
            result = Err(format!("span {start}..{end} is not inside the text"));
            return;
        };
        match (serde_json::from_str::<Value>(slice), node, key) {
            (Ok(value), Some(node), _) => {
                if let Err(e) = same_value(node, &value, &format!("span {start}..{end}")) {
                    result = Err(e);
                }
            }
            (Ok(Value::String(s)), None, Some(key)) if s == key => {}
            // The documented differences (too deep, a number beyond f64): the whole document
            // was compared already.
            (Err(e), Some(node), _)
                if (e.to_string().starts_with("recursion limit exceeded")
                    && depth(node) > SERDE_JSON_DEPTH)
                    || (e.to_string().starts_with("number out of range")
                        && out_of_f64_range(node)) => {}
            (other, _, _) => {
                result = Err(format!("span {start}..{end} holds {slice:?}: {other:?}"));
            }
        }
    };
    // Only the root and its direct children: deeper spans are covered by the generated
    // documents, whose subtrees are documents of their own.
    check(root.span, Some(root), None);
    for item in root.items() {
        check(item.span, Some(item), None);
    }
    for m in root.members() {
        check(m.key_span, None, Some(&m.key));
        check(m.value.span, Some(&m.value), None);
    }
    result
}

// --- the repository's own JSON files -----------------------------------------------------

fn json_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() && !name.starts_with('.') && name != "node_modules" {
            json_files(&path, out);
        } else if name.ends_with(".json") {
            out.push(path);
        }
    }
}

#[test]
fn the_repository_json_files_read_the_same() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    json_files(&root.join("tests"), &mut files);
    json_files(&root.join("examples"), &mut files);
    files.sort();
    assert!(files.len() > 100, "only {} files found", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        // Not UTF-8: the reader never sees it (the file is refused before), serde_json would
        // refuse it too.
        let Ok(text) = String::from_utf8(bytes) else {
            assert!(serde_json::from_slice::<Value>(&std::fs::read(path).unwrap()).is_err());
            continue;
        };
        if let Err(e) = differential(&text) {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// --- the documented differences, one by one ----------------------------------------------

#[test]
fn a_byte_order_mark_is_skipped_where_serde_json_refuses_it() {
    let text = "\u{feff}{\"a\": [1, \"\u{feff}\"]}";
    assert!(serde_json::from_str::<Value>(text).is_err());
    let node = json::parse(text).unwrap();
    assert_eq!(node.get("a").unwrap().items()[1].as_str(), Some("\u{feff}"));
    differential(text).unwrap();
    // Only at the very start.
    assert!(json::parse(" \u{feff}{}").is_err());
    assert!(json::parse("\u{feff}\u{feff}{}").is_err());
}

#[test]
fn nesting_limits_differ_as_documented() {
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(serde_json::from_str::<Value>(&nested(SERDE_JSON_DEPTH)).is_ok());
    assert!(serde_json::from_str::<Value>(&nested(SERDE_JSON_DEPTH + 1)).is_err());
    assert!(json::parse(&nested(SERDE_JSON_DEPTH + 1)).is_ok());
    assert!(json::parse(&nested(MAX_DEPTH)).is_ok());
    let err = json::parse(&nested(MAX_DEPTH + 1)).unwrap_err();
    assert!(err.message.contains("nested more than"), "{}", err.message);
    for n in [
        1,
        SERDE_JSON_DEPTH,
        SERDE_JSON_DEPTH + 1,
        MAX_DEPTH,
        MAX_DEPTH + 1,
    ] {
        differential(&nested(n)).unwrap();
        let objects = format!("{}1{}", "{\"k\":".repeat(n), "}".repeat(n));
        differential(&objects).unwrap();
    }
}

#[test]
fn numbers_beyond_f64_are_kept_as_text_where_serde_json_refuses_them() {
    for text in ["1e400", "-1e400", "[1.5E+309]"] {
        assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
        assert!(json::parse(text).is_ok(), "{text}");
        differential(text).unwrap();
    }
    let node = json::parse("1e400").unwrap();
    assert_eq!(node.kind, NodeKind::Number("1e400".into()));
    // Below the range: both read zero.
    differential("1e-400").unwrap();
    differential("[1e-99999999999999999999, 0e99999999999999999999]").unwrap();
    assert!(serde_json::from_str::<Value>("1e99999999999999999999").is_err());
    differential("1e99999999999999999999").unwrap();
    // Integers beyond 64 bits: serde_json reads them as floats; the text is kept.
    differential("123456789012345678901234567890").unwrap();
    differential("-9223372036854775809").unwrap();
    differential("18446744073709551616").unwrap();
}

#[test]
fn duplicate_keys_keep_every_member_and_the_last_wins() {
    let text = r#"{"a": 1, "b": 2, "a": {"c": 3}}"#;
    let node = json::parse(text).unwrap();
    assert_eq!(node.members().len(), 3);
    let theirs: Value = serde_json::from_str(text).unwrap();
    assert_eq!(theirs.as_object().unwrap().len(), 2);
    assert_eq!(theirs["a"]["c"], 3);
    assert!(node.get("a").unwrap().get("c").is_some());
    differential(text).unwrap();
}

// --- generated documents -------------------------------------------------------------------

/// xorshift64*: deterministic, so a failure names a seed that reproduces it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const WHITESPACE: [&str; 6] = ["", "", " ", "\n", "\t", "\r\n  "];

fn ws(rng: &mut Rng, out: &mut String) {
    out.push_str(rng.pick(&WHITESPACE));
}

fn gen_number(rng: &mut Rng, out: &mut String) {
    const SPECIAL: [&str; 14] = [
        "0",
        "-0",
        "0.0",
        "-0.0e-0",
        "1E+2",
        "2.5e-3",
        "1e308",
        "1.7976931348623157e308",
        "5e-324",
        "4.9406564584124654e-324",
        "9007199254740993",
        "18446744073709551615",
        "-9223372036854775808",
        "0.1e1",
    ];
    if rng.chance(30) {
        out.push_str(rng.pick(&SPECIAL));
        return;
    }
    if rng.chance(30) {
        out.push('-');
    }
    let digits = 1 + rng.below(20);
    for i in 0..digits {
        let d = if i == 0 {
            1 + rng.below(9)
        } else {
            rng.below(10)
        };
        if i == 0 && digits == 1 && rng.chance(20) {
            out.push('0');
        } else {
            out.push(char::from(b'0' + d as u8));
        }
    }
    if rng.chance(40) {
        out.push('.');
        for _ in 0..1 + rng.below(18) {
            out.push(char::from(b'0' + rng.below(10) as u8));
        }
    }
    if rng.chance(40) {
        out.push(rng.pick(&['e', 'E']));
        out.push_str(rng.pick(&["", "+", "-"]));
        out.push_str(&rng.below(330).to_string());
    }
}

fn gen_string(rng: &mut Rng, out: &mut String) {
    const PIECES: [&str; 20] = [
        "a",
        "image",
        " ",
        "é",
        "日本",
        "😀",
        "\u{7f}",
        "\u{feff}",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b\\f\\n\\r\\t",
        "\\u0000",
        "\\u001f",
        "\\u00e9",
        "\\uFFFF",
        "\\ud83d\\ude00",
        "\\uD834\\uDD1E",
        "\\u2028",
        "'",
    ];
    out.push('"');
    for _ in 0..rng.below(6) {
        out.push_str(rng.pick(&PIECES));
    }
    out.push('"');
}

fn gen_value(rng: &mut Rng, depth: usize, out: &mut String) {
    let container = depth < 6 && rng.chance(45);
    if !container {
        match rng.below(6) {
            0 => out.push_str("null"),
            1 => out.push_str(rng.pick(&["true", "false"])),
            2 | 3 => gen_number(rng, out),
            _ => gen_string(rng, out),
        }
        return;
    }
    let n = rng.below(5);
    if rng.chance(50) {
        out.push('[');
        for i in 0..n {
            if i > 0 {
                out.push(',');
            }
            ws(rng, out);
            gen_value(rng, depth + 1, out);
            ws(rng, out);
        }
        out.push(']');
    } else {
        out.push('{');
        let mut keys: Vec<String> = Vec::new();
        for i in 0..n {
            if i > 0 {
                out.push(',');
            }
            ws(rng, out);
            // Now and then a key again: duplicate keys.
            if !keys.is_empty() && rng.chance(20) {
                out.push_str(&keys[rng.below(keys.len())]);
            } else {
                let mut key = String::new();
                gen_string(rng, &mut key);
                out.push_str(&key);
                keys.push(key);
            }
            ws(rng, out);
            out.push(':');
            ws(rng, out);
            gen_value(rng, depth + 1, out);
            ws(rng, out);
        }
        out.push('}');
    }
}

/// A document: usually an object or array of generated values, sometimes very deeply nested.
fn gen_document(rng: &mut Rng) -> String {
    let mut out = String::new();
    ws(rng, &mut out);
    if rng.chance(5) {
        let n = rng.pick(&[
            SERDE_JSON_DEPTH,
            SERDE_JSON_DEPTH + 1,
            MAX_DEPTH,
            MAX_DEPTH + 1,
        ]);
        let n = (n as isize + rng.below(3) as isize - 1) as usize;
        for _ in 0..n {
            out.push_str(rng.pick(&["[", "{\"k\":"]));
        }
        let closers: String = out
            .chars()
            .rev()
            .filter_map(|c| match c {
                '[' => Some(']'),
                ':' => Some('}'),
                _ => None,
            })
            .collect();
        gen_value(rng, 6, &mut out);
        out.push_str(&closers);
    } else {
        gen_value(rng, 0, &mut out);
    }
    ws(rng, &mut out);
    out
}

/// One change that may or may not keep the document valid.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    let (before, after): (String, String) =
        (chars[..at].iter().collect(), chars[at..].iter().collect());
    const INSERTS: [&str; 24] = [
        ",", ",]", ",}", "]", "}", "[", "{", ":", "\"", "\\", "\\u", "\\ud800", "\\udc00", "\u{0}",
        "\u{1f}", "\t", "\u{c}", "\u{feff}", "e", "-", ".", "0", "+", "é",
    ];
    match rng.below(8) {
        // Insert something significant.
        0..=2 => format!("{before}{}{after}", rng.pick(&INSERTS)),
        // Delete one character.
        3..=4 => {
            let mut after = after.chars();
            after.next();
            format!("{before}{}", after.as_str())
        }
        // Cut the document short.
        5 => before,
        // A byte order mark in front.
        6 => format!("{BOM}{text}"),
        // A trailing comma before the last closing bracket.
        _ => match text.rfind([']', '}']) {
            Some(i) => format!("{},{}", &text[..i], &text[i..]),
            None => format!("{text},"),
        },
    }
}

#[test]
fn generated_documents_read_the_same() {
    let mut failures = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    // JSON_DIFFERENTIAL_SEEDS=1000000 for a longer search.
    let seeds: u64 = std::env::var("JSON_DIFFERENTIAL_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4000);
    for seed in 1..=seeds {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let valid = gen_document(&mut rng);
        let mutated = mutate(&mut rng, &valid);
        for text in [valid, mutated] {
            match json::parse(&text) {
                Ok(_) => accepted += 1,
                Err(_) => rejected += 1,
            }
            if let Err(e) = differential(&text) {
                failures.push(format!("seed {seed}: {e}\n  input: {text:?}"));
            }
        }
    }
    // The generator must exercise both sides, or the comparison says little.
    assert!(
        accepted > 3000 && rejected > 1000,
        "{accepted} accepted, {rejected} rejected"
    );
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Subtrees of generated documents are documents too: their spans, re-read alone, give the
/// same values at every level (the whole-document check looks one level down only).
#[test]
fn spans_of_generated_documents_hold_their_values() {
    for seed in 1..=500u64 {
        let mut rng = Rng(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
        let mut text = String::new();
        gen_value(&mut rng, 0, &mut text);
        let Ok(root) = json::parse(&text) else {
            panic!("seed {seed}: generated document rejected: {text:?}");
        };
        let mut failure = None;
        root.walk(|node| {
            if failure.is_none() {
                failure = spans_hold_their_values(&text, node, 0).err();
            }
        });
        assert!(
            failure.is_none(),
            "seed {seed}: {failure:?}\n  input: {text:?}"
        );
    }
}
