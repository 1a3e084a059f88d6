//! JSON read out of a Terraform string (`container_definitions` as a heredoc, `file()` or
//! `templatefile()`; a policy written as a heredoc), with every value's span mapped back to the
//! text it comes from: the heredoc, the referenced file, or the interpolation that produced it.

use crate::parse::{Node, NodeKind};
use crate::span::Span;

use super::eval::{Env, Seg, UNKNOWN_MARK, unknown_reason};

/// Why a string's JSON could not be read.
#[derive(Debug)]
pub enum JsonError {
    /// The string, or a part outside any JSON string, is not known before apply.
    Unknown(String),
    /// Not valid JSON, at this place.
    Syntax { message: String, span: Span },
}

impl From<JsonError> for String {
    fn from(e: JsonError) -> String {
        match e {
            JsonError::Unknown(why) => why,
            JsonError::Syntax { message, .. } => format!("not valid JSON: {message}"),
        }
    }
}

/// The JSON a string value holds, as a tree with spans.
pub fn read_json(env: &Env, node: &Node) -> Result<Node, JsonError> {
    if let Some(s) = env.structure_of(node) {
        return Ok(s);
    }
    let Some(origin) = env.origin_of(node) else {
        return match &node.kind {
            NodeKind::String(s) => {
                // A string from somewhere we do not follow character by character (a variable
                // default): every value points at the string.
                // Built by functions we follow only by value: a syntax error may be ours (a
                // function evaluated differently), so it is an unknown, not an error.
                let mut parsed = crate::parse::json::parse(s).map_err(|e| {
                    JsonError::Unknown(format!(
                        "the value as evaluated is not valid JSON ({})",
                        e.message
                    ))
                })?;
                respan(&mut parsed, &|_, _| node.span);
                Ok(parsed)
            }
            _ => Err(JsonError::Unknown(unknown_reason(node).unwrap_or_else(
                || format!("{} is not a JSON string", node.type_name()),
            ))),
        };
    };
    let mut parsed = match crate::parse::json::parse(&origin.text) {
        Ok(p) => p,
        Err(e) => {
            if let Some(first) = origin.unknowns.first() {
                // A placeholder outside a JSON string (`"cpu": ${var.cpu}`) breaks the JSON.
                return Err(JsonError::Unknown(first.clone()));
            }
            let at = map_offset(&origin.segs, e.span.start as usize, false);
            return Err(JsonError::Syntax {
                message: e.message,
                span: Span::new(
                    at,
                    at.max(map_offset(&origin.segs, e.span.end as usize, true)),
                ),
            });
        }
    };
    let segs = &origin.segs;
    // A JSON string that is exactly one interpolation of a value written elsewhere (`"${image}"`
    // with `image` a variable default) points at that value, and remembers where it is used.
    let mut stack = vec![&mut parsed];
    while let Some(n) = stack.pop() {
        let whole = match &n.kind {
            NodeKind::String(_) => segs.iter().find(|s| {
                !s.exact
                    && s.value_span.is_some()
                    && s.out_start == n.span.start as usize + 1
                    && s.out_end + 1 == n.span.end as usize
            }),
            _ => None,
        };
        match whole {
            Some(seg) => {
                let value = seg.value_span.unwrap_or(seg.src);
                let name = env
                    .sources
                    .borrow()
                    .text
                    .get(seg.src.range())
                    .unwrap_or("")
                    .trim()
                    .to_string();
                let mut sources = env.value_sources.borrow_mut();
                let entry = (value, seg.src, name);
                if !sources.contains(&entry) {
                    sources.push(entry);
                }
                n.span = value;
            }
            None => {
                let start = map_offset(segs, n.span.start as usize, false);
                let end = map_offset(segs, n.span.end as usize, true);
                n.span = Span::new(start, end.max(start));
            }
        }
        match &mut n.kind {
            NodeKind::Array(items) => stack.extend(items.iter_mut()),
            NodeKind::Object(members) => {
                for m in members.iter_mut() {
                    let start = map_offset(segs, m.key_span.start as usize, false);
                    let end = map_offset(segs, m.key_span.end as usize, true);
                    m.key_span = Span::new(start, end.max(start));
                    stack.push(&mut m.value);
                }
            }
            _ => {}
        }
    }
    if !origin.unknowns.is_empty() {
        mark_unknowns(&mut parsed, &origin.unknowns);
    }
    Ok(parsed)
}

/// Same as [`read_json`], for functions (`jsondecode`): any failure is a reason.
pub fn read_json_string(env: &Env, node: &Node) -> Result<Node, String> {
    read_json(env, node).map_err(String::from)
}

/// Where offset `o` of the evaluated string is in the source: exactly, in literal text; the
/// start (or end) of the interpolation, in a value it produced.
fn map_offset(segs: &[Seg], o: usize, is_end: bool) -> usize {
    let i = segs.partition_point(|s| s.out_end < o + usize::from(!is_end));
    let Some(seg) = segs.get(i).or(segs.last()) else {
        return 0;
    };
    if seg.exact {
        let within = o.saturating_sub(seg.out_start).min(seg.src.len());
        seg.src.start as usize + within
    } else if is_end {
        seg.src.end as usize
    } else {
        seg.src.start as usize
    }
}

fn respan(node: &mut Node, f: &dyn Fn(Span, bool) -> Span) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        n.span = f(n.span, false);
        match &mut n.kind {
            NodeKind::Array(items) => stack.extend(items.iter_mut()),
            NodeKind::Object(members) => {
                for m in members.iter_mut() {
                    m.key_span = f(m.key_span, true);
                    stack.push(&mut m.value);
                }
            }
            _ => {}
        }
    }
}

/// A JSON string holding a placeholder is unknown, with the placeholder's reason.
fn mark_unknowns(node: &mut Node, reasons: &[String]) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        let marked = match &n.kind {
            NodeKind::String(s) if s.contains(UNKNOWN_MARK) => s
                .split(UNKNOWN_MARK)
                .nth(1)
                .and_then(|d| d.parse::<usize>().ok()),
            _ => None,
        };
        if let Some(number) = marked {
            let why = reasons.get(number).cloned().unwrap_or_default();
            n.kind = NodeKind::Unresolved(why);
            continue;
        }
        match &mut n.kind {
            NodeKind::Array(items) => stack.extend(items.iter_mut()),
            NodeKind::Object(members) => stack.extend(members.iter_mut().map(|m| &mut m.value)),
            _ => {}
        }
    }
}
