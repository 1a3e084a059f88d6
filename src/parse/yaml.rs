//! YAML (CloudFormation templates) to [`Node`] trees, with spans.
//!
//! Built on saphyr-parser's event stream, with our own explicit stack (no recursion). Short
//! CloudFormation tags become their long form (`!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` →
//! `{"Fn::GetAtt": ["A", "B"]}`, `!Sub s` → `{"Fn::Sub": s}`) so that later stages see one shape.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use super::{MAX_DEPTH, Member, Node, NodeKind, ParseError};
use crate::span::Span;

/// A document's values, aliases expanded: a 10 MB template has a few hundred thousand.
const MAX_NODES: usize = 5_000_000;

/// Alias expansion can multiply a small file into a huge tree ("billion laughs"). What aliases
/// add is counted before it is copied, in values and in bytes (a few values can hold long
/// strings), and refused well before it costs 100 MB. Templates that use aliases at all
/// repeat a few small blocks.
const MAX_ALIAS_NODES: usize = 250_000;
const MAX_ALIAS_BYTES: usize = 16 * 1024 * 1024;

pub fn parse(text: &str) -> Result<Node, ParseError> {
    // A byte order mark is allowed at the start of a YAML stream; read what follows it and move
    // the spans back onto the file's bytes.
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        let bom = '\u{feff}'.len_utf8() as u32;
        return match parse_without_bom(rest) {
            Ok(mut node) => {
                shift_spans(&mut node, bom);
                Ok(node)
            }
            Err(mut e) => {
                e.span = Span {
                    start: e.span.start + bom,
                    end: e.span.end + bom,
                };
                Err(e)
            }
        };
    }
    parse_without_bom(text).map_err(|mut e| {
        // The parser can place an error just past the last byte (a tag at the very end):
        // every span must lie in the text.
        let len = text.len() as u32;
        e.span.end = e.span.end.min(len);
        e.span.start = e.span.start.min(e.span.end);
        e
    })
}

fn shift_spans(node: &mut Node, by: u32) {
    node.span = Span {
        start: node.span.start + by,
        end: node.span.end + by,
    };
    match &mut node.kind {
        NodeKind::Array(items) => items.iter_mut().for_each(|n| shift_spans(n, by)),
        NodeKind::Object(members) => {
            for m in members {
                m.key_span = Span {
                    start: m.key_span.start + by,
                    end: m.key_span.end + by,
                };
                shift_spans(&mut m.value, by);
            }
        }
        _ => {}
    }
}

fn parse_without_bom(text: &str) -> Result<Node, ParseError> {
    let mut patched: Option<String> = None;
    // A few hundred retries at most: each one moves one closing bracket.
    for _ in 0..1000 {
        let current = patched.as_deref().unwrap_or(text);
        match parse_once(current) {
            Err(e) if e.message.ends_with("invalid indentation") => {
                match unindented_closing_bracket(current, e.span.start as usize) {
                    Some(newline) => {
                        let mut bytes = current.as_bytes().to_vec();
                        bytes[newline] = b' ';
                        if newline > 0 && bytes[newline - 1] == b'\r' {
                            bytes[newline - 1] = b' ';
                        }
                        patched =
                            Some(String::from_utf8(bytes).unwrap_or_else(|_| current.to_string()));
                    }
                    None => return Err(e),
                }
            }
            other => return other,
        }
    }
    parse_once(patched.as_deref().unwrap_or(text))
}

/// libyaml (and so CloudFormation and most YAML tools) accepts a flow collection's closing `]`
/// or `}` at the indentation of its key; strict YAML 1.2, and saphyr, do not. When saphyr stops
/// at such a bracket, the line break before it can be turned into a space: the same number of
/// bytes and characters, so every span stays right. Returns the byte offset of that line break.
fn unindented_closing_bracket(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if !matches!(bytes.get(at), Some(b']' | b'}')) {
        return None;
    }
    let line_start = text[..at].rfind('\n')?;
    if !text[line_start + 1..at].bytes().all(|b| b == b' ') {
        return None;
    }
    let previous_line = &text[text[..line_start].rfind('\n').map_or(0, |i| i + 1)..line_start];
    // A comment on the previous line would swallow the bracket.
    if previous_line.contains('#') {
        return None;
    }
    Some(line_start)
}

fn parse_once(text: &str) -> Result<Node, ParseError> {
    let offsets = CharOffsets::new(text);
    let mut builder = Builder {
        text,
        offsets: &offsets,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        alias_cost: Cost::default(),
        root: None,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(ev) => ev,
            Err(err) => {
                let at = offsets.byte(err.marker().index());
                let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                return Err(ParseError::new(
                    yaml_message(err.info()),
                    Span::new(at, end),
                ));
            }
        };
        let span = Span::new(
            offsets.byte(span.start.index()),
            offsets.byte(span.end.index()),
        );
        match event {
            // Only the first document is read: a CloudFormation template is one document.
            Event::DocumentEnd if builder.root.is_some() => break,
            Event::Scalar(value, style, anchor, tag) => {
                let node = builder.scalar(&value, style, tag.as_deref(), span)?;
                builder.finish(node, anchor)?;
            }
            Event::SequenceStart(anchor, tag) => builder.open(
                Frame::Seq(Vec::new()),
                span,
                anchor,
                tag.map(|t| t.into_owned()),
            )?,
            Event::MappingStart(anchor, tag) => builder.open(
                Frame::Map(Vec::new(), None),
                span,
                anchor,
                tag.map(|t| t.into_owned()),
            )?,
            Event::SequenceEnd | Event::MappingEnd => builder.close(span)?,
            Event::Alias(id) => {
                let cost = builder
                    .anchors
                    .get(&id)
                    .map(|(_, cost)| *cost)
                    .ok_or_else(|| {
                        ParseError::new("alias to an anchor that is not defined", span)
                    })?;
                // Counted before it is copied.
                builder.count(cost, span)?;
                let node = builder.anchors[&id].0.clone();
                builder.finish(node, 0)?;
            }
            _ => {}
        }
    }
    Ok(builder
        .root
        .unwrap_or_else(|| Node::new(NodeKind::Null, Span::new(0, 0))))
}

fn yaml_message(info: &str) -> String {
    if info.contains("recursion limit") {
        "the document is nested too deeply to check".to_string()
    } else {
        format!("YAML syntax error: {info}")
    }
}

/// What a copy of a value costs: its values, and the bytes they take.
#[derive(Clone, Copy, Debug, Default)]
struct Cost {
    nodes: usize,
    bytes: usize,
}

impl Cost {
    fn of(node: &Node) -> Cost {
        let mut cost = Cost::default();
        node.walk(|n| {
            cost.nodes += 1;
            cost.bytes += std::mem::size_of::<Node>()
                + match &n.kind {
                    NodeKind::String(s) | NodeKind::Number(s) | NodeKind::Unresolved(s) => s.len(),
                    NodeKind::Object(members) => members
                        .iter()
                        .map(|m| std::mem::size_of::<Member>() + m.key.len())
                        .sum(),
                    NodeKind::ResourceRef { id, attribute } => {
                        id.len() + attribute.as_ref().map_or(0, String::len)
                    }
                    _ => 0,
                };
        });
        cost
    }
}

enum Frame {
    Seq(Vec<Node>),
    /// Members so far, and the key waiting for its value.
    Map(Vec<Member>, Option<(String, Span)>),
}

struct Open {
    frame: Frame,
    start: Span,
    anchor: usize,
    tag: Option<Tag>,
}

struct Builder<'a> {
    text: &'a str,
    offsets: &'a CharOffsets,
    stack: Vec<Open>,
    /// Anchored values and what a copy of each costs.
    anchors: HashMap<usize, (Node, Cost)>,
    nodes: usize,
    /// Values and bytes added by aliases so far.
    alias_cost: Cost,
    root: Option<Node>,
}

impl Builder<'_> {
    fn open(
        &mut self,
        frame: Frame,
        span: Span,
        anchor: usize,
        tag: Option<Tag>,
    ) -> Result<(), ParseError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(ParseError::new(
                format!("the document is nested more than {MAX_DEPTH} levels deep"),
                span,
            ));
        }
        self.stack.push(Open {
            frame,
            start: span,
            anchor,
            tag,
        });
        Ok(())
    }

    fn close(&mut self, end: Span) -> Result<(), ParseError> {
        let Some(open) = self.stack.pop() else {
            return Ok(());
        };
        let span = Span {
            start: open.start.start,
            end: end.end.max(open.start.end),
        };
        let kind = match open.frame {
            Frame::Seq(items) => NodeKind::Array(items),
            Frame::Map(members, _) => NodeKind::Object(merge_keys(members)),
        };
        let node = Node::new(kind, span);
        let node = match open.tag {
            Some(tag) => self.apply_tag(&tag, node)?,
            None => node,
        };
        self.finish(node, open.anchor)
    }

    /// Counts what an alias adds, before it is copied.
    fn count(&mut self, cost: Cost, span: Span) -> Result<(), ParseError> {
        self.alias_cost.nodes += cost.nodes;
        self.alias_cost.bytes += cost.bytes;
        self.nodes += cost.nodes;
        if self.alias_cost.nodes > MAX_ALIAS_NODES
            || self.alias_cost.bytes > MAX_ALIAS_BYTES
            || self.nodes > MAX_NODES
        {
            return Err(ParseError::new(
                format!(
                    "aliases expand this document to more than {} values or {} MB; refusing to read it",
                    MAX_ALIAS_NODES,
                    MAX_ALIAS_BYTES / (1024 * 1024)
                ),
                span,
            ));
        }
        Ok(())
    }

    /// Hands a completed node to its parent (or makes it the root).
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), ParseError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(ParseError::new(
                "the document has more than 5,000,000 values",
                node.span,
            ));
        }
        if anchor != 0 {
            let cost = Cost::of(&node);
            self.anchors.insert(anchor, (node.clone(), cost));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Open {
                frame: Frame::Seq(items),
                ..
            }) => items.push(node),
            Some(Open {
                frame: Frame::Map(members, pending),
                ..
            }) => match pending.take() {
                None => {
                    let key = match node.scalar_text() {
                        Some(k) => k.into_owned(),
                        None if node.is_null() => String::new(),
                        None => {
                            return Err(ParseError::new(
                                "mapping keys must be plain values, not lists or mappings",
                                node.span,
                            ));
                        }
                    };
                    *pending = Some((key, node.span));
                }
                Some((key, key_span)) => members.push(Member {
                    key,
                    key_span,
                    value: node,
                }),
            },
        }
        Ok(())
    }

    fn scalar(
        &self,
        value: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<Node, ParseError> {
        let plain = matches!(style, ScalarStyle::Plain);
        let kind = match tag {
            Some(t) if is_core(t, "str") => NodeKind::String(value.to_string()),
            _ if plain => plain_scalar(value),
            _ => NodeKind::String(value.to_string()),
        };
        // A scalar's span can run on over the whitespace (and a comment) before the next token:
        // a quoted scalar ends at its closing quote, a plain one at its last non-blank.
        let raw = self.text.get(span.range()).unwrap_or("");
        let len = match style {
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                quoted_len(raw).unwrap_or(raw.trim_end().len())
            }
            _ => raw.trim_end().len(),
        };
        let span = Span {
            start: span.start,
            end: span.start + len as u32,
        };
        let node = Node::new(kind, span);
        match tag {
            Some(t) if !is_core_tag(t) => self.apply_tag(t, node),
            _ => Ok(node),
        }
    }

    /// `!Ref X` → `{"Ref": X}`, `!GetAtt A.B` → `{"Fn::GetAtt": ["A", "B"]}`, `!Other v` →
    /// `{"Fn::Other": v}`. The resulting node's span starts at the tag.
    fn apply_tag(&self, tag: &Tag, value: Node) -> Result<Node, ParseError> {
        let name = &tag.suffix;
        let tag_start = self.tag_start(value.span.start as usize, &tag.handle, name);
        let tag_span = Span::new(tag_start, tag_start + tag.handle.len() + name.len());
        let span = Span {
            start: tag_span.start,
            end: value.span.end.max(tag_span.end),
        };
        if tag.handle != "!" {
            return Err(ParseError::new(
                format!("unsupported YAML tag `{}{}`", tag.handle, name),
                tag_span,
            ));
        }
        let key = match name.as_str() {
            "Ref" | "Condition" => name.clone(),
            _ => format!("Fn::{name}"),
        };
        let value = match (name.as_str(), &value.kind) {
            ("GetAtt", NodeKind::String(s)) => {
                let (resource, attribute) = s.split_once('.').unwrap_or((s.as_str(), ""));
                let part = |text: &str| Node::new(NodeKind::String(text.to_string()), value.span);
                Node::new(
                    NodeKind::Array(vec![part(resource), part(attribute)]),
                    value.span,
                )
            }
            _ => value,
        };
        Ok(Node::new(
            NodeKind::Object(vec![Member {
                key,
                key_span: tag_span,
                value,
            }]),
            span,
        ))
    }

    /// saphyr reports a tagged node's span without its tag: find the tag text just before it.
    fn tag_start(&self, value_start: usize, handle: &str, suffix: &str) -> usize {
        let before = self.text[..value_start.min(self.text.len())].trim_end();
        let tag_len = handle.len() + suffix.len();
        if before.ends_with(suffix) && before.len() >= tag_len {
            let start = before.len() - tag_len;
            if self.text[start..].starts_with(handle) {
                return start;
            }
        }
        let _ = self.offsets;
        value_start
    }
}

/// YAML merge keys: `<<: *base` (or a list of them) adds the members of the merged mappings
/// that the mapping does not set itself.
fn merge_keys(members: Vec<Member>) -> Vec<Member> {
    if !members.iter().any(|m| m.key == "<<") {
        return members;
    }
    let (merges, mut own): (Vec<Member>, Vec<Member>) =
        members.into_iter().partition(|m| m.key == "<<");
    for merge in merges {
        let sources: Vec<&Node> = match &merge.value.kind {
            NodeKind::Object(_) => vec![&merge.value],
            NodeKind::Array(items) => items.iter().collect(),
            _ => Vec::new(),
        };
        for source in sources {
            for m in source.members() {
                if !own.iter().any(|o| o.key == m.key) {
                    own.push(m.clone());
                }
            }
        }
    }
    own
}

/// The length of a quoted scalar's text up to and including its closing quote.
fn quoted_len(raw: &str) -> Option<usize> {
    let quote = raw.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let mut chars = raw.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            c if c == quote => {
                // `''` inside single quotes is an escaped quote.
                if quote == '\'' && chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                    continue;
                }
                return Some(i + 1);
            }
            _ => {}
        }
    }
    None
}

fn is_core_tag(tag: &Tag) -> bool {
    tag.handle == "!!" || tag.handle.starts_with("tag:yaml.org")
}

fn is_core(tag: &Tag, name: &str) -> bool {
    is_core_tag(tag) && tag.suffix == name
}

/// YAML 1.2 core schema resolution of plain scalars.
fn plain_scalar(value: &str) -> NodeKind {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => NodeKind::Null,
        "true" | "True" | "TRUE" => NodeKind::Bool(true),
        "false" | "False" | "FALSE" => NodeKind::Bool(false),
        _ if is_yaml_number(value) => NodeKind::Number(value.to_string()),
        _ => NodeKind::String(value.to_string()),
    }
}

fn is_yaml_number(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() {
        return false;
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    // Decimal floats with an optional exponent; hex, octal, .inf and .nan stay strings, which is
    // what CloudFormation does with them in practice.
    let (mantissa, exponent) = match digits.find(['e', 'E']) {
        Some(i) => (&digits[..i], Some(&digits[i + 1..])),
        None => (digits, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => {
            (!a.is_empty() || !b.is_empty())
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|c| c.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// saphyr reports positions in characters; spans are bytes.
struct CharOffsets {
    /// Byte offset of each character, only when the text is not pure ASCII.
    table: Option<Vec<u32>>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> CharOffsets {
        let table = if text.is_ascii() {
            None
        } else {
            let mut t: Vec<u32> = text.char_indices().map(|(i, _)| i as u32).collect();
            t.push(text.len() as u32);
            Some(t)
        };
        CharOffsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.len),
            Some(t) => t.get(char_index).map_or(self.len, |&b| b as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of<'a>(text: &'a str, node: &Node) -> &'a str {
        &text[node.span.range()]
    }

    #[test]
    fn short_tags_become_long_form_with_spans() {
        let text = "Resources:\n  É: !Ref Name\n  B: !GetAtt Role.Arn\n  C: !Sub '${AWS::Region}'\n  D: !Join ['', [a, !Ref X]]\n";
        let root = parse(text).unwrap();
        let res = root.get("Resources").unwrap();
        let r = res.get("É").unwrap();
        assert_eq!(r.get("Ref").unwrap().as_str(), Some("Name"));
        assert_eq!(text_of(text, r), "!Ref Name");
        let b = res.get("B").unwrap().get("Fn::GetAtt").unwrap();
        let parts: Vec<_> = b.items().iter().map(|n| n.as_str().unwrap()).collect();
        assert_eq!(parts, ["Role", "Arn"]);
        assert_eq!(
            res.get("C").unwrap().get("Fn::Sub").unwrap().as_str(),
            Some("${AWS::Region}")
        );
        let join = res.get("D").unwrap().get("Fn::Join").unwrap();
        assert_eq!(
            text_of(text, res.get("D").unwrap()),
            "!Join ['', [a, !Ref X]]"
        );
        assert_eq!(
            join.items()[1].items()[1].get("Ref").unwrap().as_str(),
            Some("X")
        );
    }

    #[test]
    fn plain_scalars_are_typed() {
        let root =
            parse("a: 256\nb: true\nc: ~\nd: '256'\ne: 2012-10-17\nf: 1.5e3\ng: abc\n").unwrap();
        assert_eq!(root.get("a").unwrap().kind, NodeKind::Number("256".into()));
        assert_eq!(root.get("b").unwrap().kind, NodeKind::Bool(true));
        assert!(root.get("c").unwrap().is_null());
        assert_eq!(root.get("d").unwrap().kind, NodeKind::String("256".into()));
        assert_eq!(
            root.get("e").unwrap().kind,
            NodeKind::String("2012-10-17".into())
        );
        assert_eq!(
            root.get("f").unwrap().kind,
            NodeKind::Number("1.5e3".into())
        );
        assert_eq!(root.get("g").unwrap().as_str(), Some("abc"));
    }

    #[test]
    fn anchors_and_aliases_are_expanded() {
        let root = parse("a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(root.get("b").unwrap().get("k").unwrap().as_str(), Some("v"));
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("aliases expand"), "{}", err.message);
    }

    #[test]
    fn error_spans_stay_inside_the_text() {
        // Found by the `yaml` fuzz target: a `!` tag at the very end gave a span past it.
        let text = "AWSTemplateFornatVersSubnetBRoutes:\n    Type: AWS::EC2::SubnetRouteTableAsrociation\n    Properties:\n      SubnetId: !ReRe:f AppSubnetB\n      RouteTable Properties:\n      VpcId: !Ref Vpc\n      CidrBlock: 11.0.2.0/24\n      Availabilio##################on: ! ######on:tainerPort: 80\n";
        let err = parse(text).unwrap_err();
        assert!(err.span.end as usize <= text.len(), "{err:?}");
    }

    #[test]
    fn aliases_of_long_strings_are_counted_in_bytes() {
        // Few values, but each copy of the anchor is 1 MB: 20 copies are refused.
        let mut text = format!("a: &a \"{}\"\nb: [", "x".repeat(1 << 20));
        text.push_str(&["*a"; 20].join(", "));
        text.push_str("]\n");
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("16 MB"), "{}", err.message);
        // Ten copies are fine.
        let mut text = format!("a: &a \"{}\"\nb: [", "x".repeat(1 << 20));
        text.push_str(&["*a"; 10].join(", "));
        text.push_str("]\n");
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn syntax_errors_have_positions() {
        let text = "a: [1, 2\nb: c\n";
        let err = parse(text).unwrap_err();
        assert!(
            err.message.starts_with("YAML syntax error"),
            "{}",
            err.message
        );
        let text = "a:\n  b: 1\n c: 2\n";
        assert!(parse(text).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("a: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("nested"), "{}", err.message);
        let block: String = (0..5000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert!(parse(&block).is_err());
    }

    #[test]
    fn closing_brackets_at_the_key_indentation_are_accepted() {
        let text = "A:\n  Action: [\n    \"a\",\n    \"b\"\n  ]\n  Resource: x\n";
        let root = parse(text).unwrap();
        let action = root.get("A").unwrap().get("Action").unwrap();
        assert_eq!(action.items().len(), 2);
        assert_eq!(text_of(text, &action.items()[1]), "\"b\"");
        assert_eq!(
            text_of(text, root.get("A").unwrap().get("Resource").unwrap()),
            "x"
        );
    }

    #[test]
    fn byte_order_mark_quoted_spans_and_merge_keys() {
        let text = "\u{feff}Resources:\n  A: \"x:1\"   # comment\n  B: 'it''s'  # c\n  base: &b {Image: nginx, Name: a}\n  C:\n    <<: *b\n    Name: c\n";
        let root = parse(text).unwrap();
        let res = root.get("Resources").unwrap();
        assert_eq!(text_of(text, res.get("A").unwrap()), "\"x:1\"");
        assert_eq!(text_of(text, res.get("B").unwrap()), "'it''s'");
        let c = res.get("C").unwrap();
        assert_eq!(c.get("Name").unwrap().as_str(), Some("c"));
        assert_eq!(c.get("Image").unwrap().as_str(), Some("nginx"));
        assert!(c.get("<<").is_none());
    }

    #[test]
    fn non_ascii_spans_are_bytes() {
        let text = "ü: 'ä'\nx: !Ref Ö\n";
        let root = parse(text).unwrap();
        assert_eq!(text_of(text, root.get("x").unwrap()), "!Ref Ö");
        assert_eq!(text_of(text, root.get("ü").unwrap()), "'ä'");
    }
}
