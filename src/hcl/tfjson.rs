//! Terraform's JSON syntax (`.tf.json`): the same blocks as a `.tf` file, read into the same
//! [`Module`], with spans into the JSON text.
//!
//! In this syntax every string at an argument's place is a template (`"${var.x}"`), and a JSON
//! value is, almost character for character, an HCL expression (objects, arrays, numbers,
//! `true`/`false`/`null`, quoted templates). So the arguments of one JSON object are laid out
//! in a *shadow* of the text: every byte blank except, for each argument, its name where the
//! JSON key is, `=` after it, the value's text where it is written, and a newline after it.
//! Parsing the shadow gives every argument an HCL expression whose spans are the JSON text's
//! own. Blocks (which JSON writes as nested objects) are built around those arguments.
//!
//! See <https://developer.hashicorp.com/terraform/language/syntax/json>.

use hcl_edit::Ident;
use hcl_edit::structure::{Attribute, Block, BlockLabel, Body, Structure};

use crate::parse::{Member, Node, NodeKind};
use crate::span::Span;

use super::load::{BlockAt, Expr, Module, Variable};

/// Nested blocks of the resources this tool reads (JSON cannot tell a block from an argument
/// holding an object: Terraform uses the provider's schema). An object, or an array of objects,
/// under one of these names is a block; under any other name, an argument.
const BLOCK_NAMES: [&str; 41] = [
    "alarms",
    "authorization_config",
    "capacity_provider_strategy",
    "condition",
    "connection",
    "content",
    "deployment_circuit_breaker",
    "deployment_controller",
    "dns_options",
    "docker_volume_configuration",
    "efs_volume_configuration",
    "egress",
    "encryption_configuration",
    "entry",
    "ephemeral_storage",
    "fsx_windows_file_server_volume_configuration",
    "image_scanning_configuration",
    "image_tag_mutability_exclusion_filter",
    "inference_accelerator",
    "ingress",
    "inline_policy",
    "lifecycle",
    "load_balancer",
    "network_configuration",
    "not_principals",
    "ordered_placement_strategy",
    "placement_constraints",
    "placement_strategy",
    "principals",
    "provisioner",
    "proxy_configuration",
    "route",
    "runtime_platform",
    "service_connect_configuration",
    "service_registries",
    "statement",
    "subnet_configuration",
    "timeouts",
    "volume",
    "volume_configuration",
    "vpc_lattice_configurations",
];

/// How many arguments of one object are parsed alone after an error in the shadow, before the
/// error is the file's.
const MAX_ALONE: usize = 64;

/// Nested blocks deeper than this are not read (the JSON parser bounds depth too).
const MAX_BLOCK_DEPTH: usize = 32;

/// An error: a message and an offset of the file's text.
type Error = (String, usize);

/// Reads a `.tf.json` file's text (at `base` in the joined sources) into `module`.
pub fn index(module: &mut Module, text: &str, base: usize) -> Result<(), Error> {
    let root = crate::parse::json::parse(text).map_err(|e| (e.message, e.span.start as usize))?;
    let NodeKind::Object(top) = &root.kind else {
        return Err((
            "a `.tf.json` file holds one JSON object".into(),
            root.span.start as usize,
        ));
    };
    for m in top {
        match m.key.as_str() {
            "resource" | "data" | "module" => labeled_blocks(module, text, base, m)?,
            "variable" => {
                for (name, name_span, body) in each_body(&m.value) {
                    let default = match body.iter().find(|b| b.key == "default") {
                        Some(d) => Some(expr_at(text, base, &d.value, false)?),
                        None => None,
                    };
                    // A `type` that is not a plain string is no constraint (not a guess).
                    let type_expr = body
                        .iter()
                        .find(|b| b.key == "type")
                        .and_then(|t| expr_at(text, base, &t.value, true).ok());
                    module.variables.push(Variable {
                        name,
                        default,
                        type_expr,
                        span: shift(name_span, base),
                    });
                }
            }
            "locals" => {
                for body in objects(&m.value) {
                    for local in body.iter().filter(|l| !is_comment(l)) {
                        let e = expr_at(text, base, &local.value, false)?;
                        module.locals.insert(local.key.clone(), e);
                    }
                }
            }
            "output" => {
                for (name, _, body) in each_body(&m.value) {
                    if let Some(v) = body.iter().find(|b| b.key == "value") {
                        let e = expr_at(text, base, &v.value, false)?;
                        module.outputs.insert(name, e);
                    }
                }
            }
            "provider" => {
                if let NodeKind::Object(providers) = &m.value.kind {
                    for p in providers.iter().filter(|p| p.key == "aws") {
                        for body in objects(&p.value) {
                            // The default provider (no `alias`) gives the region.
                            if body.iter().any(|b| b.key == "alias") {
                                continue;
                            }
                            if let Some(r) = body.iter().find(|b| b.key == "region") {
                                module.provider_region =
                                    Some(expr_at(text, base, &r.value, false)?);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn shift(span: Span, base: usize) -> Span {
    Span::new(base + span.start as usize, base + span.end as usize)
}

fn is_comment(m: &Member) -> bool {
    m.key == "//"
}

/// The objects of a value that is an object or an array of objects (JSON's way of repeating a
/// block).
fn objects(value: &Node) -> Vec<&[Member]> {
    match &value.kind {
        NodeKind::Object(members) => vec![members.as_slice()],
        NodeKind::Array(items) => items
            .iter()
            .filter_map(|i| match &i.kind {
                NodeKind::Object(members) => Some(members.as_slice()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `{"name": {body}}` (one label): each name with its bodies.
fn each_body(value: &Node) -> Vec<(String, Span, &[Member])> {
    let mut out = Vec::new();
    if let NodeKind::Object(named) = &value.kind {
        for n in named.iter().filter(|n| !is_comment(n)) {
            for body in objects(&n.value) {
                out.push((n.key.clone(), n.key_span, body));
            }
        }
    }
    out
}

/// One value read as an expression of its own, at its place in the file: a template, or with
/// `bare` the text of a string (a variable's `type`).
fn expr_at(text: &str, base: usize, value: &Node, bare: bool) -> Result<Expr, Error> {
    let (vs, ve) = (value.span.start as usize, value.span.end as usize);
    let written = text.get(vs..ve).unwrap_or("");
    if bare {
        return match &value.kind {
            NodeKind::String(s) if written.len() == s.len() + 2 => hcl_edit::parser::parse_expr(s)
                .map(|expr| Expr {
                    expr,
                    base: base + vs + 1,
                })
                .map_err(|e| (e.message().to_string(), vs)),
            _ => Err(("not a plain string".into(), vs)),
        };
    }
    let (hcl, _) = hcl_text(text, value);
    match hcl_edit::parser::parse_expr(&hcl) {
        Ok(expr) => Ok(Expr {
            expr,
            base: base + vs,
        }),
        Err(e) => Err((e.message().to_string(), vs)),
    }
}

/// `resource`/`data` (`{"type": {"name": {body}}}`) and `module` (`{"name": {body}}`).
fn labeled_blocks(module: &mut Module, text: &str, base: usize, m: &Member) -> Result<(), Error> {
    let mut found: Vec<(String, String, Span, &[Member])> = Vec::new();
    if m.key == "module" {
        for (name, span, body) in each_body(&m.value) {
            found.push((String::new(), name, span, body));
        }
    } else if let NodeKind::Object(types) = &m.value.kind {
        for t in types.iter().filter(|t| !is_comment(t)) {
            for (name, span, body) in each_body(&t.value) {
                found.push((t.key.clone(), name, t.key_span.join(span), body));
            }
        }
    }
    for (kind, name, span, members) in found {
        // Every expression of a block shares the block's base: the start of its first member.
        let anchor = members.first().map_or(0, |f| f.key_span.start as usize);
        // From the block's name (`span` also covers the resource type, whose object holds
        // the other blocks of that type) to its last member.
        let name_end = Span::new(span.end as usize, span.end as usize);
        let extent = match members.last() {
            Some(last) => name_end.join(last.value.span),
            None => name_end,
        };
        let block = BlockAt {
            kind,
            name,
            body: body(text, anchor, members, 0)?,
            base: base + anchor,
            span: shift(span, base),
            extent: shift(extent, base),
        };
        match m.key.as_str() {
            "resource" => module.resources.push(block),
            "data" => module.data.push(block),
            _ => module.calls.push(block),
        }
    }
    Ok(())
}

/// What one member of a JSON body is.
enum Part<'a> {
    /// An argument (`bare`: its string is an expression, a `dynamic` block's `iterator`).
    Attr(&'a Member, bool),
    Block(Box<Block>),
}

/// A JSON object as a block body; spans relative to `anchor`.
fn body(text: &str, anchor: usize, members: &[Member], depth: usize) -> Result<Body, Error> {
    let mut parts: Vec<Part> = Vec::new();
    for m in members.iter().filter(|m| !is_comment(m)) {
        let Ok(ident) = Ident::try_new(m.key.as_str()) else {
            continue;
        };
        if depth >= MAX_BLOCK_DEPTH {
            continue;
        }
        if m.key == "dynamic" {
            for (label, _, inner) in each_body(&m.value) {
                let mut block = Block::new(ident.clone());
                block.labels = vec![BlockLabel::from(label)];
                block.body = dynamic_body(text, anchor, inner, depth + 1)?;
                parts.push(Part::Block(Box::new(block)));
            }
            continue;
        }
        let blocks = objects(&m.value);
        let all_objects = match &m.value.kind {
            NodeKind::Object(_) => true,
            NodeKind::Array(a) => !a.is_empty() && a.len() == blocks.len(),
            _ => false,
        };
        if all_objects && BLOCK_NAMES.contains(&m.key.as_str()) {
            for b in blocks {
                let mut block = Block::new(ident.clone());
                block.body = body(text, anchor, b, depth + 1)?;
                parts.push(Part::Block(Box::new(block)));
            }
        } else {
            parts.push(Part::Attr(m, false));
        }
    }
    assemble(text, anchor, parts)
}

/// The body of `"dynamic": {"label": {…}}`: its `content` blocks and its arguments.
fn dynamic_body(
    text: &str,
    anchor: usize,
    members: &[Member],
    depth: usize,
) -> Result<Body, Error> {
    let mut parts = Vec::new();
    for m in members.iter().filter(|m| !is_comment(m)) {
        match m.key.as_str() {
            "content" => {
                for content in objects(&m.value) {
                    let mut block = Block::new(Ident::new("content"));
                    block.body = body(text, anchor, content, depth + 1)?;
                    parts.push(Part::Block(Box::new(block)));
                }
            }
            "iterator" => parts.push(Part::Attr(m, true)),
            _ => parts.push(Part::Attr(m, false)),
        }
    }
    assemble(text, anchor, parts)
}

/// The arguments parsed (one shadow for the object), with the blocks in their order.
fn assemble(text: &str, anchor: usize, parts: Vec<Part>) -> Result<Body, Error> {
    let attrs: Vec<(&Member, bool)> = parts
        .iter()
        .filter_map(|p| match p {
            Part::Attr(m, bare) => Some((*m, *bare)),
            Part::Block(_) => None,
        })
        .collect();
    let mut parsed = parse_attributes(text, anchor, &attrs)?.into_iter();
    let mut body = Body::new();
    for part in parts {
        match part {
            Part::Attr(..) => {
                if let Some(Some(a)) = parsed.next() {
                    body.push(Structure::Attribute(a));
                }
            }
            Part::Block(b) => body.push(Structure::Block(*b)),
        }
    }
    Ok(body)
}

/// The arguments of one JSON object as HCL attributes with spans relative to `anchor` (see the
/// module's comment); `None` for one that cannot be read (a `bare` value that is not a plain
/// string, a name that is not an identifier).
fn parse_attributes(
    text: &str,
    anchor: usize,
    attrs: &[(&Member, bool)],
) -> Result<Vec<Option<Attribute>>, Error> {
    let values: Vec<Option<(usize, String, bool)>> = attrs
        .iter()
        .map(|(m, bare)| value_text(text, m, *bare))
        .collect();
    // Values whose HCL text is not as long as their JSON are parsed alone.
    let mut alone: Vec<usize> = (0..attrs.len())
        .filter(|&i| values[i].as_ref().is_some_and(|v| !v.2))
        .collect();
    loop {
        let (shadow, laid) = shadow(text, anchor, attrs, &values, &alone);
        let error = match hcl_edit::parser::parse_body(&shadow) {
            Ok(body) => {
                let mut parsed = body.into_attributes();
                let mut out = Vec::with_capacity(attrs.len());
                for (i, (m, _)) in attrs.iter().enumerate() {
                    if laid[i] {
                        out.push(parsed.next());
                    } else if let (true, Some((at, hcl, _))) = (alone.contains(&i), &values[i]) {
                        let attr =
                            parse_alone(anchor, *at, hcl).map_err(|message| (message, *at))?;
                        out.push(Some(Attribute::new(Ident::new(m.key.as_str()), attr)));
                    } else {
                        out.push(None);
                    }
                }
                return Ok(out);
            }
            Err(e) => e,
        };
        let at = anchor
            + super::load::byte_offset(&shadow, error.location().line(), error.location().column());
        // The argument the error is in is parsed alone, where its error is its own.
        let culprit = (0..attrs.len()).find(|&i| {
            let m = attrs[i].0;
            laid[i] && m.key_span.start as usize <= at && at <= m.value.span.end as usize
        });
        match culprit {
            Some(i) if alone.len() < MAX_ALONE => alone.push(i),
            _ => return Err((error.message().to_string(), at)),
        }
    }
}

/// An expression parsed on its own, placed at `at` (spans relative to `anchor`).
fn parse_alone(anchor: usize, at: usize, hcl: &str) -> Result<hcl_edit::expr::Expression, String> {
    // `parse_expr` takes no leading space: an attribute does (a member's value is preceded by
    // at least its key's quotes and `:`, room for `a=`).
    let padded = format!("{}a={hcl}\n", " ".repeat((at - anchor).saturating_sub(2)));
    let body = hcl_edit::parser::parse_body(&padded).map_err(|e| e.message().to_string())?;
    body.into_attributes()
        .next()
        .map(|a| a.value)
        .ok_or_else(|| "no value".to_string())
}

/// Where an argument's HCL text goes, the text, and whether it is as long as the JSON.
fn value_text(text: &str, m: &Member, bare: bool) -> Option<(usize, String, bool)> {
    let (vs, ve) = (m.value.span.start as usize, m.value.span.end as usize);
    if Ident::try_new(m.key.as_str()).is_err() {
        return None;
    }
    if bare {
        return match &m.value.kind {
            NodeKind::String(s) if ve - vs == s.len() + 2 => Some((vs + 1, s.clone(), true)),
            _ => None,
        };
    }
    let (hcl, same) = hcl_text(text, &m.value);
    Some((vs, hcl, same))
}

/// The shadow of `text[anchor..]` holding the `values` but those parsed `alone`, and which
/// are laid out in it.
fn shadow(
    text: &str,
    anchor: usize,
    attrs: &[(&Member, bool)],
    values: &[Option<(usize, String, bool)>],
    alone: &[usize],
) -> (String, Vec<bool>) {
    let end = attrs
        .iter()
        .map(|(m, _)| m.value.span.end as usize)
        .max()
        .unwrap_or(anchor);
    let mut out: Vec<u8> = text.as_bytes()[anchor..end]
        .iter()
        .map(|&b| if b == b'\n' { b'\n' } else { b' ' })
        .collect();
    out.push(b'\n');
    let mut laid = vec![false; attrs.len()];
    for (i, (m, _)) in attrs.iter().enumerate() {
        let Some((at, value, true)) = &values[i] else {
            continue;
        };
        let (ks, ke) = (m.key_span.start as usize, m.key_span.end as usize);
        let ve = m.value.span.end as usize;
        // The key as written must be the name in quotes (no escapes) to hold the name.
        if alone.contains(&i)
            || ks < anchor
            || text.get(ks..ke) != Some(format!("\"{}\"", m.key).as_str())
            || ke >= *at
        {
            continue;
        }
        out[ks + 1 - anchor..ke - 1 - anchor].copy_from_slice(m.key.as_bytes());
        out[ke - anchor] = b'=';
        out[at - anchor..at - anchor + value.len()].copy_from_slice(value.as_bytes());
        out[ve - anchor] = b'\n';
        laid[i] = true;
    }
    // Only ASCII bytes replaced whole UTF-8 sequences, and whole values were copied.
    (String::from_utf8(out).unwrap_or_default(), laid)
}

/// A JSON value as HCL expression text, and whether it has the same length as the JSON
/// (then every span inside it is exact; else spans after an escape HCL does not share are
/// approximate). Strings are templates (see [`quoted_template`]); the rest of JSON is HCL.
fn hcl_text(text: &str, value: &Node) -> (String, bool) {
    let (vs, ve) = (value.span.start as usize, value.span.end as usize);
    let mut strings: Vec<Span> = Vec::new();
    let mut stack = vec![value];
    while let Some(n) = stack.pop() {
        match &n.kind {
            NodeKind::String(_) => strings.push(n.span),
            NodeKind::Array(items) => stack.extend(items.iter()),
            NodeKind::Object(members) => {
                for m in members {
                    strings.push(m.key_span);
                    stack.push(&m.value);
                }
            }
            _ => {}
        }
    }
    strings.sort_by_key(|s| s.start);
    let mut out = String::with_capacity(ve - vs);
    let mut same = true;
    let mut at = vs;
    for s in strings {
        let (ss, se) = (s.start as usize, s.end as usize);
        if ss < at || se > ve {
            continue;
        }
        out.push_str(&text[at..ss]);
        let (quoted, same_length) = quoted_template(&text[ss..se]);
        same &= same_length;
        out.push_str(&quoted);
        at = se;
    }
    out.push_str(&text[at..ve]);
    (out, same)
}

/// A JSON string as written (with its quotes) as an HCL quoted template with the same value:
/// Terraform's JSON syntax reads the decoded string as template text. HCL shares JSON's
/// escapes in literal text; inside `${…}`, JSON escapes the quotes of nested strings (`\"`),
/// written ` "` and `" ` (the space is outside the nested string). Returns whether the result
/// has the same length (every other case: decoded, longer or shorter).
fn quoted_template(raw: &str) -> (String, bool) {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    // (decoded char, raw text) of every character.
    let mut chars: Vec<(char, &str)> = Vec::new();
    let mut i = 0;
    let bytes = inner.as_bytes();
    while i < inner.len() {
        if bytes[i] == b'\\' && i + 1 < inner.len() {
            let (c, len) = match bytes[i + 1] {
                b'"' => ('"', 2),
                b'\\' => ('\\', 2),
                b'/' => ('/', 2),
                b'b' => ('\u{8}', 2),
                b'f' => ('\u{c}', 2),
                b'n' => ('\n', 2),
                b'r' => ('\r', 2),
                b't' => ('\t', 2),
                b'u' => decode_u(&inner[i..]),
                _ => ('\\', 1),
            };
            chars.push((c, &inner[i..i + len]));
            i += len;
        } else {
            let c = inner[i..].chars().next().unwrap_or(' ');
            chars.push((c, &inner[i..i + c.len_utf8()]));
            i += c.len_utf8();
        }
    }
    let mut out = String::with_capacity(raw.len());
    out.push('"');
    let mut same = true;
    // Inside `${`/`%{`: brace depth, and whether inside a nested string.
    let mut depth = 0usize;
    let mut nested = false;
    let mut k = 0;
    let at = |k: usize| chars.get(k).map(|c| c.0);
    while k < chars.len() {
        let (c, written) = chars[k];
        if depth == 0 {
            if (c == '$' || c == '%') && at(k + 1) == Some(c) && at(k + 2) == Some('{') {
                out.push(c);
                out.push(c);
                out.push('{');
                k += 3;
                continue;
            }
            if (c == '$' || c == '%') && at(k + 1) == Some('{') {
                out.push(c);
                out.push('{');
                depth = 1;
                k += 2;
                continue;
            }
            // HCL's quoted strings have JSON's escapes but `\/`, `\b`, `\f` (and surrogate
            // pairs): those are written as the character or HCL's `\u`.
            match written.as_bytes().get(1) {
                Some(b'/') => {
                    out.push('/');
                    same = false;
                }
                Some(b'b' | b'f') => {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                    same = false;
                }
                Some(b'u') if written.len() != 6 || c == '\u{fffd}' => {
                    out.push(c);
                    same = false;
                }
                _ => out.push_str(written),
            }
        } else if nested {
            if c == '\\' {
                // An escape of the nested string (`\\\"` in JSON for HCL's `\"`): both
                // characters, decoded; the text is shorter.
                out.push(c);
                if let Some(next) = at(k + 1) {
                    out.push(next);
                }
                same = false;
                k += 2;
                continue;
            }
            match (c, written.len()) {
                ('"', _) => {
                    out.push_str("\" ");
                    nested = false;
                }
                (_, 1) => out.push(c),
                _ if !c.is_ascii() => out.push_str(written),
                _ => {
                    // An escape inside a nested string (`\\n` for HCL's `\n`): the decoded
                    // text is shorter.
                    out.push(c);
                    same = false;
                }
            }
        } else {
            match c {
                '"' => {
                    out.push_str(" \"");
                    nested = written.len() == 2 || {
                        same = false;
                        true
                    };
                }
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if c != '"' {
                if written.len() == 1 || c.len_utf8() == written.len() {
                    out.push(c);
                } else if c.is_ascii() {
                    // `\n` in an expression is white space; the escape's other bytes too.
                    out.push_str(&" ".repeat(written.len() - 1));
                    out.push(c);
                } else {
                    out.push(c);
                    same = false;
                }
            }
        }
        k += 1;
    }
    out.push('"');
    (out, same)
}

/// `\uXXXX` (and a surrogate pair `\uD83D\uDE00`): the character and the escape's length.
fn decode_u(s: &str) -> (char, usize) {
    let hex = |from: usize| {
        s.get(from..from + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    match hex(2) {
        Some(hi @ 0xD800..=0xDBFF) => match (s.get(6..8), hex(8)) {
            (Some("\\u"), Some(lo @ 0xDC00..=0xDFFF)) => {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                (char::from_u32(c).unwrap_or('\u{fffd}'), 12)
            }
            _ => ('\u{fffd}', 6),
        },
        Some(c) => (char::from_u32(c).unwrap_or('\u{fffd}'), 6),
        None => ('\\', 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_become_templates_of_the_same_length_when_they_can() {
        // Literal escapes HCL shares stay; quotes of strings inside `${…}` lose their `\`.
        assert_eq!(
            quoted_template(r#""a\"b\n${f(\"x\")}""#),
            (r#""a\"b\n${f( "x" )}""#.to_string(), true)
        );
        assert_eq!(
            quoted_template(r#""$${x}""#),
            (r#""$${x}""#.to_string(), true)
        );
        // An escaped quote inside a nested string stays inside it.
        assert_eq!(
            quoted_template(r#""${f(\"a\\\"b\")}""#),
            (r#""${f( "a\"b" )}""#.to_string(), false)
        );
        // Escapes HCL does not have: the same value, another length.
        assert_eq!(
            quoted_template(r#""a\/b""#),
            (r#""a/b""#.to_string(), false)
        );
        assert_eq!(
            quoted_template(r#""\b\uD83D\uDE00""#),
            ("\"\\u0008\u{1F600}\"".to_string(), false)
        );
    }

    #[test]
    fn a_resource_body_keeps_its_arguments_and_blocks() {
        let text = r#"{"resource": {"aws_x": {"y": {"a": "${var.v}", "b": "a\/b", "ingress": [{"c": 1}, {"c": 2}], "tags": {"k": "v"}, "dynamic": {"egress": {"for_each": "${var.e}", "iterator": "r", "content": {"d": "${r.value}"}}}}}}}"#;
        let mut module = Module::default();
        index(&mut module, text, 10).unwrap();
        let res = &module.resources[0];
        assert_eq!((res.kind.as_str(), res.name.as_str()), ("aws_x", "y"));
        let a = res.body.get_attribute("a").unwrap();
        let span = super::super::load::span_of(&a.value, res.base);
        assert_eq!(
            &text[span.start as usize - 10..span.end as usize - 10],
            r#""${var.v}""#
        );
        assert!(res.body.get_attribute("b").is_some());
        assert!(res.body.get_attribute("tags").is_some());
        assert_eq!(res.body.get_blocks("ingress").count(), 2);
        let dynamic = res.body.get_blocks("dynamic").next().unwrap();
        assert!(matches!(
            dynamic.body.get_attribute("iterator").unwrap().value,
            hcl_edit::expr::Expression::Variable(_)
        ));
        assert_eq!(dynamic.body.get_blocks("content").count(), 1);
    }
}
