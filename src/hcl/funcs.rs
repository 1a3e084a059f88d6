//! Terraform's pure built-in functions, as ECS configurations use them, and the
//! `aws_iam_policy_document` data source rendered to the policy it produces. A function that is
//! not listed here (or is impure: `timestamp`, `uuid`) gives an unknown value with its name.
//!
//! Longer than the project's ~800-line guide on purpose: it is a flat table of independent
//! built-ins, each a few lines; split across files it would only be harder to search.

use hcl_edit::expr::Expression;

use crate::parse::{Member, Node, NodeKind};
use crate::span::Span;

use super::eval::{
    Instance, Scope, StringOrigin, equal, first_unknown, num_node, number, obj, parse_template,
    sorted_members, template_scope, truth, unknown_reason, unresolved,
};
use super::load::{BlockAt, span_of};

fn string(s: impl Into<String>, span: Span) -> Node {
    Node::new(NodeKind::String(s.into()), span)
}

fn array(items: Vec<Node>, span: Span) -> Node {
    Node::new(NodeKind::Array(items), span)
}

pub fn call(
    inst: &Instance,
    name: &str,
    arg_exprs: &[&Expression],
    expand_final: bool,
    base: usize,
    scope: &Scope,
    span: Span,
) -> Node {
    // `try` and `can` look at their arguments' failures, so they evaluate them themselves.
    match name {
        "try" => {
            let mut last = None;
            for e in arg_exprs {
                let v = inst.expr(e, base, scope);
                match &v.kind {
                    NodeKind::Unresolved(why)
                        if why.starts_with("no attribute")
                            || why.starts_with("no key")
                            || why.contains("out of range")
                            || why.contains("has no value") =>
                    {
                        last = Some(v);
                        continue;
                    }
                    _ => return v,
                }
            }
            return last.unwrap_or_else(|| unresolved("`try` with no argument that works", span));
        }
        "can" => {
            let v = arg_exprs
                .first()
                .map(|e| inst.expr(e, base, scope))
                .unwrap_or_else(|| unresolved("", span));
            return match &v.kind {
                NodeKind::Unresolved(why)
                    if why.starts_with("no attribute")
                        || why.starts_with("no key")
                        || why.contains("out of range") =>
                {
                    Node::new(NodeKind::Bool(false), span)
                }
                NodeKind::Unresolved(why) => unresolved(why.clone(), span),
                _ => Node::new(NodeKind::Bool(true), span),
            };
        }
        _ => {}
    }
    let mut args: Vec<Node> = arg_exprs
        .iter()
        .map(|e| inst.expr(e, base, scope))
        .collect();
    if expand_final && let Some(last) = args.pop() {
        match &last.kind {
            NodeKind::Array(items) => args.extend(items.iter().cloned()),
            _ => {
                return unresolved(
                    unknown_reason(&last)
                        .unwrap_or_else(|| "`...` of a value that is not a list".into()),
                    span,
                );
            }
        }
    }
    // Functions that accept unknown parts inside their arguments.
    match name {
        "jsonencode" => return jsonencode(inst, args, span),
        "merge" => return merge(args, span),
        "concat" => return concat(args, span),
        "coalesce" => {
            for a in &args {
                if let Some(why) = unknown_reason(a) {
                    return unresolved(why, span);
                }
                match &a.kind {
                    NodeKind::Null => continue,
                    NodeKind::String(s) if s.is_empty() => continue,
                    _ => return a.clone(),
                }
            }
            return unresolved("`coalesce` of only null or empty values", span);
        }
        "lookup" => {
            let Some(map) = args.first() else {
                return unresolved("`lookup` without arguments", span);
            };
            if let Some(why) = unknown_reason(map) {
                return unresolved(why, span);
            }
            let Some(key) = args.get(1).and_then(|k| k.scalar_text()) else {
                return unresolved(
                    args.get(1)
                        .and_then(unknown_reason)
                        .unwrap_or_else(|| "`lookup` key".into()),
                    span,
                );
            };
            return match (map.get(&key), args.get(2)) {
                (Some(v), _) => v.clone(),
                (None, Some(d)) => d.clone(),
                (None, None) => unresolved(format!("no key `{key}`"), span),
            };
        }
        "element" => {
            let (Some(list), Some(i)) = (args.first(), args.get(1).and_then(number)) else {
                return unresolved(
                    args.iter()
                        .find_map(unknown_reason)
                        .unwrap_or_else(|| "`element` arguments".into()),
                    span,
                );
            };
            if let Some(why) = unknown_reason(list) {
                return unresolved(why, span);
            }
            let items = list.items();
            if items.is_empty() || i < 0.0 {
                return unresolved("`element` of an empty list", span);
            }
            return items[(i as usize) % items.len()].clone();
        }
        "length" => {
            return match args.first().map(|a| &a.kind) {
                Some(NodeKind::Array(items)) => num_node(items.len() as f64, span),
                Some(NodeKind::Object(m)) => num_node(m.len() as f64, span),
                Some(NodeKind::String(s)) => num_node(s.chars().count() as f64, span),
                _ => unresolved(
                    args.first()
                        .and_then(unknown_reason)
                        .unwrap_or_else(|| "`length` of a value without one".into()),
                    span,
                ),
            };
        }
        "tolist" | "toset" | "tomap" | "sensitive" | "nonsensitive" => {
            let Some(a) = args.into_iter().next() else {
                return unresolved(format!("`{name}` without an argument"), span);
            };
            if name == "toset"
                && let NodeKind::Array(items) = &a.kind
            {
                // A set of strings iterates in lexical order.
                let mut items = dedupe(items);
                if items.iter().all(|i| i.as_str().is_some()) {
                    items.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
                }
                return array(items, a.span);
            }
            return a;
        }
        "flatten" => {
            let Some(a) = args.first() else {
                return unresolved("`flatten` without an argument", span);
            };
            let mut out = Vec::new();
            if let Err(why) = flatten_into(a, &mut out, 0) {
                return unresolved(why, span);
            }
            return array(out, span);
        }
        "file" => return file(inst, &args, span),
        "templatefile" => return templatefile(inst, &args, span),
        "jsondecode" => return jsondecode(inst, &args, span),
        _ => {}
    }
    if let Some(why) = args.iter().find_map(unknown_reason) {
        return unresolved(why, span);
    }
    let text = |i: usize| {
        args.get(i)
            .and_then(|a| a.scalar_text())
            .map(|t| t.into_owned())
    };
    let result: Result<Node, String> = (|| {
        Ok(match name {
            "format" => {
                let f = text(0).ok_or("`format` without a format string")?;
                string(format_verbs(&f, &args[1..])?, span)
            }
            "formatlist" => {
                let f = text(0).ok_or("`formatlist` without a format string")?;
                let len = args[1..]
                    .iter()
                    .filter_map(|a| {
                        if let NodeKind::Array(i) = &a.kind {
                            Some(i.len())
                        } else {
                            None
                        }
                    })
                    .max()
                    .unwrap_or(1);
                let mut out = Vec::new();
                for i in 0..len {
                    let row: Vec<Node> = args[1..]
                        .iter()
                        .map(|a| match &a.kind {
                            NodeKind::Array(items) => {
                                items.get(i).cloned().unwrap_or_else(|| a.clone())
                            }
                            _ => a.clone(),
                        })
                        .collect();
                    out.push(string(format_verbs(&f, &row)?, span));
                }
                array(out, span)
            }
            "join" => {
                let sep = text(0).ok_or("`join` without a separator")?;
                let mut parts = Vec::new();
                for list in &args[1..] {
                    for item in list.items() {
                        parts.push(
                            item.scalar_text()
                                .ok_or("`join` of a value that is not a string")?
                                .into_owned(),
                        );
                    }
                }
                string(parts.join(&sep), span)
            }
            "split" => {
                let (sep, s) = (
                    text(0).ok_or("`split` separator")?,
                    text(1).ok_or("`split` string")?,
                );
                if s.is_empty() {
                    array(Vec::new(), span)
                } else {
                    array(
                        s.split(sep.as_str()).map(|p| string(p, span)).collect(),
                        span,
                    )
                }
            }
            "distinct" => array(dedupe(args.first().map(Node::items).unwrap_or(&[])), span),
            "compact" => array(
                args.first()
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .filter(|i| !i.is_null() && i.as_str() != Some(""))
                    .cloned()
                    .collect(),
                span,
            ),
            "keys" => array(
                sorted_members(args.first().map(Node::members).unwrap_or(&[]))
                    .into_iter()
                    .map(|m| string(m.key.clone(), m.key_span))
                    .collect(),
                span,
            ),
            "values" => array(
                sorted_members(args.first().map(Node::members).unwrap_or(&[]))
                    .into_iter()
                    .map(|m| m.value.clone())
                    .collect(),
                span,
            ),
            "zipmap" => {
                let (ks, vs) = (
                    args.first().map(Node::items).unwrap_or(&[]),
                    args.get(1).map(Node::items).unwrap_or(&[]),
                );
                let mut members = Vec::new();
                for (k, v) in ks.iter().zip(vs) {
                    members.push(Member {
                        key: k
                            .scalar_text()
                            .ok_or("`zipmap` key is not a string")?
                            .into_owned(),
                        key_span: k.span,
                        value: v.clone(),
                    });
                }
                Node::new(NodeKind::Object(members), span)
            }
            "contains" => {
                let list = args.first().ok_or("`contains` without a list")?;
                let v = args.get(1).ok_or("`contains` without a value")?;
                Node::new(
                    NodeKind::Bool(list.items().iter().any(|i| equal(i, v))),
                    span,
                )
            }
            "replace" => {
                let (s, from, to) = (
                    text(0).ok_or("`replace` string")?,
                    text(1).ok_or("`replace` substring")?,
                    text(2).ok_or("`replace` replacement")?,
                );
                if from.len() > 2 && from.starts_with('/') && from.ends_with('/') {
                    let re = regex::Regex::new(&from[1..from.len() - 1])
                        .map_err(|_| "an invalid regular expression")?;
                    // `$1` / `${name}` in the replacement are captures, as in Terraform.
                    string(re.replace_all(&s, to.as_str()).into_owned(), span)
                } else {
                    string(s.replace(&from, &to), span)
                }
            }
            "regex" => {
                let (pattern, s) = (
                    text(0).ok_or("`regex` pattern")?,
                    text(1).ok_or("`regex` string")?,
                );
                let re =
                    regex::Regex::new(&pattern).map_err(|_| "an invalid regular expression")?;
                let caps = re.captures(&s).ok_or("`regex` does not match")?;
                if re.captures_len() == 1 {
                    string(caps.get(0).map_or("", |m| m.as_str()), span)
                } else if re.capture_names().flatten().next().is_some() {
                    let members = re
                        .capture_names()
                        .flatten()
                        .map(|n| Member {
                            key: n.to_string(),
                            key_span: span,
                            value: string(caps.name(n).map_or("", |m| m.as_str()), span),
                        })
                        .collect();
                    Node::new(NodeKind::Object(members), span)
                } else {
                    array(
                        (1..re.captures_len())
                            .map(|i| string(caps.get(i).map_or("", |m| m.as_str()), span))
                            .collect(),
                        span,
                    )
                }
            }
            "substr" => {
                let s = text(0).ok_or("`substr` string")?;
                let (off, len) = (
                    args.get(1).and_then(number).ok_or("`substr` offset")?,
                    args.get(2).and_then(number).ok_or("`substr` length")?,
                );
                let chars: Vec<char> = s.chars().collect();
                let start = if off < 0.0 {
                    chars.len().saturating_sub((-off) as usize)
                } else {
                    (off as usize).min(chars.len())
                };
                let end = if len < 0.0 {
                    chars.len()
                } else {
                    (start + len as usize).min(chars.len())
                };
                string(chars[start..end].iter().collect::<String>(), span)
            }
            "lower" => string(text(0).ok_or("`lower` string")?.to_lowercase(), span),
            "upper" => string(text(0).ok_or("`upper` string")?.to_uppercase(), span),
            "trimspace" => string(text(0).ok_or("`trimspace` string")?.trim(), span),
            "trimprefix" => {
                let (s, p) = (text(0).ok_or("string")?, text(1).ok_or("prefix")?);
                string(s.strip_prefix(p.as_str()).unwrap_or(&s), span)
            }
            "trimsuffix" => {
                let (s, p) = (text(0).ok_or("string")?, text(1).ok_or("suffix")?);
                string(s.strip_suffix(p.as_str()).unwrap_or(&s), span)
            }
            "trim" => {
                let (s, cut) = (text(0).ok_or("string")?, text(1).ok_or("characters")?);
                string(s.trim_matches(|c| cut.contains(c)), span)
            }
            "startswith" => Node::new(
                NodeKind::Bool(
                    text(0)
                        .ok_or("string")?
                        .starts_with(&text(1).ok_or("prefix")?),
                ),
                span,
            ),
            "endswith" => Node::new(
                NodeKind::Bool(
                    text(0)
                        .ok_or("string")?
                        .ends_with(&text(1).ok_or("suffix")?),
                ),
                span,
            ),
            "tostring" => match args.first().map(|a| &a.kind) {
                Some(NodeKind::Null) => args[0].clone(),
                _ => {
                    let a = args.first().ok_or("`tostring` without an argument")?;
                    // A plain conversion keeps the value's place.
                    string(
                        a.scalar_text()
                            .ok_or("`tostring` of a collection")?
                            .into_owned(),
                        a.span,
                    )
                }
            },
            "tonumber" => num_node(
                args.first()
                    .and_then(number)
                    .ok_or("`tonumber` of a value that is not a number")?,
                span,
            ),
            "tobool" => Node::new(
                NodeKind::Bool(truth(args.first().ok_or("`tobool`")?)?),
                span,
            ),
            "max" | "min" => {
                let ns: Vec<f64> = args.iter().filter_map(number).collect();
                if ns.len() != args.len() || ns.is_empty() {
                    return Err(format!("`{name}` of values that are not numbers"));
                }
                let v = if name == "max" {
                    ns.iter().cloned().fold(f64::MIN, f64::max)
                } else {
                    ns.iter().cloned().fold(f64::MAX, f64::min)
                };
                num_node(v, span)
            }
            "one" => match args.first().map(Node::items) {
                Some([]) => Node::new(NodeKind::Null, span),
                Some([x]) => x.clone(),
                _ => return Err("`one` of a list with more than one item".into()),
            },
            "reverse" => {
                let mut items = args.first().map(Node::items).unwrap_or(&[]).to_vec();
                items.reverse();
                array(items, span)
            }
            "slice" => {
                let items = args.first().map(Node::items).unwrap_or(&[]);
                let (a, b) = (
                    args.get(1).and_then(number).ok_or("`slice` start")? as usize,
                    args.get(2).and_then(number).ok_or("`slice` end")? as usize,
                );
                if a > b || b > items.len() {
                    return Err("`slice` out of range".into());
                }
                array(items[a..b].to_vec(), span)
            }
            "range" => {
                let ns: Vec<f64> = args.iter().filter_map(number).collect();
                let (start, end, step) = match ns.as_slice() {
                    [e] => (0.0, *e, 1.0),
                    [s, e] => (*s, *e, 1.0),
                    [s, e, st] => (*s, *e, *st),
                    _ => return Err("`range` arguments".into()),
                };
                if step == 0.0 || ((end - start) / step) > 1024.0 {
                    return Err("`range` too long".into());
                }
                let mut out = Vec::new();
                let mut x = start;
                while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                    out.push(num_node(x, span));
                    x += step;
                }
                array(out, span)
            }
            "basename" => string(
                text(0)
                    .ok_or("path")?
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string(),
                span,
            ),
            "abspath" => string(text(0).ok_or("path")?, span),
            "cidrsubnet" => {
                let prefix = text(0).ok_or("`cidrsubnet` prefix")?;
                let bits = args.get(1).and_then(number).ok_or("`cidrsubnet` newbits")?;
                let num = args.get(2).and_then(number).ok_or("`cidrsubnet` netnum")?;
                string(cidrsubnet(&prefix, bits as u32, num as u64)?, span)
            }
            "timestamp" | "uuid" | "bcrypt" | "plantimestamp" | "timeadd" | "uuidv5"
            | "filebase64" | "base64sha256" | "md5" | "sha1" | "sha256" => {
                return Err(format!(
                    "`{name}()` is not evaluated (its value changes or is not needed)"
                ));
            }
            _ => return Err(format!("the function `{name}` is not evaluated")),
        })
    })();
    result.unwrap_or_else(|why| unresolved(why, span))
}

fn dedupe(items: &[Node]) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    for i in items {
        if !out.iter().any(|o| equal(o, i)) {
            out.push(i.clone());
        }
    }
    out
}

fn flatten_into(n: &Node, out: &mut Vec<Node>, depth: usize) -> Result<(), String> {
    if depth > 64 {
        return Err("`flatten` of lists nested too deeply".into());
    }
    match &n.kind {
        NodeKind::Array(items) => {
            for i in items {
                if i.is_array() {
                    flatten_into(i, out, depth + 1)?;
                } else if let Some(why) = unknown_reason(i) {
                    return Err(why);
                } else {
                    out.push(i.clone());
                }
            }
            Ok(())
        }
        _ => {
            Err(unknown_reason(n)
                .unwrap_or_else(|| "`flatten` of a value that is not a list".into()))
        }
    }
}

fn merge(args: Vec<Node>, span: Span) -> Node {
    let mut members: Vec<Member> = Vec::new();
    for a in args {
        match a.kind {
            NodeKind::Object(ms) => {
                for m in ms {
                    members.retain(|x| x.key != m.key);
                    members.push(m);
                }
            }
            NodeKind::Null => {}
            _ => {
                return unresolved(
                    unknown_reason(&a)
                        .unwrap_or_else(|| "`merge` of a value that is not a map".into()),
                    span,
                );
            }
        }
    }
    Node::new(NodeKind::Object(members), span)
}

fn concat(args: Vec<Node>, span: Span) -> Node {
    let mut items = Vec::new();
    for a in args {
        match a.kind {
            NodeKind::Array(xs) => items.extend(xs),
            _ => {
                return unresolved(
                    unknown_reason(&a)
                        .unwrap_or_else(|| "`concat` of a value that is not a list".into()),
                    span,
                );
            }
        }
    }
    array(items, span)
}

/// `jsonencode(x)`: a string whose structure (with the spans of `x`) is kept, so that
/// `container_definitions` and policies are read with their places. Unknown parts inside make
/// the string unknown, but the structure keeps its known parts.
fn jsonencode(inst: &Instance, args: Vec<Node>, span: Span) -> Node {
    let Some(v) = args.into_iter().next() else {
        return unresolved("`jsonencode` without an argument", span);
    };
    let node = match first_unknown(&v) {
        Some(why) => unresolved(why, span),
        None => string(
            serde_json::to_string(&v.to_json()).unwrap_or_default(),
            span,
        ),
    };
    inst.env.remember_structure(&node, v);
    node
}

fn jsondecode(inst: &Instance, args: &[Node], span: Span) -> Node {
    let Some(a) = args.first() else {
        return unresolved("`jsondecode` without an argument", span);
    };
    if let Some(s) = inst.env.structure_of(a) {
        return s;
    }
    match super::json::read_json_string(inst.env, a) {
        Ok(n) => n,
        Err(why) => unresolved(why, span),
    }
}

fn file(inst: &Instance, args: &[Node], span: Span) -> Node {
    let Some(path) = args.first() else {
        return unresolved("`file` without a path", span);
    };
    if let Some(why) = unknown_reason(path) {
        return unresolved(why, span);
    }
    let Some(p) = path.as_str() else {
        return unresolved("`file` of a value that is not a string", span);
    };
    match inst.read_file(p) {
        Ok((_, base, text)) => {
            let file_span = Span::new(base, base + text.len());
            let node = string(text.clone(), file_span);
            let len = text.len();
            inst.env.remember_origin(
                &node,
                StringOrigin {
                    text,
                    segs: vec![super::eval::Seg {
                        out_start: 0,
                        out_end: len,
                        src: file_span,
                        exact: true,
                        value_span: None,
                    }],
                    unknowns: Vec::new(),
                },
            );
            node
        }
        Err(why) => unreadable(inst, why, span),
    }
}

/// A file Terraform would fail to read: an input error at the call, and the value unknown.
fn unreadable(inst: &Instance, why: String, span: Span) -> Node {
    let mut list = inst.env.unreadable.borrow_mut();
    if !list.iter().any(|(s, w)| *s == span && *w == why) {
        list.push((span, why.clone()));
    }
    unresolved(why, span)
}

fn templatefile(inst: &Instance, args: &[Node], span: Span) -> Node {
    let Some(path) = args.first() else {
        return unresolved("`templatefile` without a path", span);
    };
    if let Some(why) = unknown_reason(path) {
        return unresolved(why, span);
    }
    let Some(p) = path.as_str() else {
        return unresolved("`templatefile` of a value that is not a string", span);
    };
    let vars: Vec<(String, Node)> = match args.get(1) {
        Some(v) if v.is_object() => v
            .members()
            .iter()
            .map(|m| (m.key.clone(), m.value.clone()))
            .collect(),
        Some(v) => {
            return unresolved(
                unknown_reason(v)
                    .unwrap_or_else(|| "`templatefile` variables are not a map".into()),
                span,
            );
        }
        None => Vec::new(),
    };
    let (_, base, text) = match inst.read_file(p) {
        Ok(f) => f,
        Err(why) => return unreadable(inst, why, span),
    };
    let template = match parse_template(&text) {
        Ok(t) => t,
        Err(why) => return unresolved(format!("the template `{p}` cannot be read: {why}"), span),
    };
    let scope = template_scope(vars);
    let elements: Vec<_> = template.iter().collect();
    let file_span = Span::new(base, base + text.len());
    inst.template(&elements, base, &scope, file_span)
}

/// `data "template_file"` (the template provider): its `template` string rendered with its
/// `vars`, as `templatefile` does.
pub fn template_file(inst: &Instance, data: &BlockAt, scope: &Scope, span: Span) -> Node {
    let Some(t) = data.body.get_attribute("template") else {
        return unresolved("`template_file` without a `template`", span);
    };
    let template = inst.expr(&t.value, data.base, scope);
    let vars: Vec<(String, Node)> = match data.body.get_attribute("vars") {
        Some(a) => {
            let v = inst.expr(&a.value, data.base, scope);
            if !v.is_object() {
                return unresolved(
                    unknown_reason(&v).unwrap_or_else(|| "`vars` is not a map".into()),
                    span,
                );
            }
            v.members()
                .iter()
                .map(|m| (m.key.clone(), m.value.clone()))
                .collect()
        }
        None => Vec::new(),
    };
    if let Some(why) = unknown_reason(&template) {
        return unresolved(why, span);
    }
    // The template text is read from where it is written when it is a file or a literal
    // (places stay exact); otherwise from the value, every place being the `template`.
    let (text, base) = match inst.env.origin_of(&template) {
        Some(o) if o.segs.len() == 1 && o.segs[0].exact && o.unknowns.is_empty() => {
            (o.text.clone(), o.segs[0].src.start as usize)
        }
        _ => match template.as_str() {
            Some(s) => (s.to_string(), usize::MAX),
            None => return unresolved("`template` is not a string", span),
        },
    };
    let parsed = match parse_template(&text) {
        Ok(t) => t,
        Err(why) => return unresolved(format!("the template cannot be read: {why}"), span),
    };
    let scope = template_scope(vars);
    let elements: Vec<_> = parsed.iter().collect();
    if base == usize::MAX {
        let v = inst.template(&elements, 0, &scope, template.span);
        let mut v = v;
        v.span = template.span;
        return v;
    }
    inst.template(&elements, base, &scope, Span::new(base, base + text.len()))
}

/// Go's `fmt` verbs as Terraform's `format` takes them: `%s`, `%d`, `%v`, `%q`, `%%`.
fn format_verbs(f: &str, args: &[Node]) -> Result<String, String> {
    let mut out = String::new();
    let mut it = args.iter();
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Flags and width are rare in ECS configurations: not evaluated.
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s') | Some('v') | Some('d') => {
                let a = it.next().ok_or("`format` has fewer arguments than verbs")?;
                out.push_str(&a.scalar_text().ok_or("`format` of a collection")?);
            }
            Some('q') => {
                let a = it.next().ok_or("`format` has fewer arguments than verbs")?;
                out.push_str(
                    &serde_json::to_string(&a.scalar_text().ok_or("`format` of a collection")?)
                        .unwrap_or_default(),
                );
            }
            _ => return Err("a `format` verb that is not evaluated".into()),
        }
    }
    Ok(out)
}

/// `cidrsubnet("10.0.0.0/16", 8, 2)` → `10.0.2.0/24` (IPv4 only).
fn cidrsubnet(prefix: &str, newbits: u32, netnum: u64) -> Result<String, String> {
    let (addr, len) = prefix
        .split_once('/')
        .ok_or("`cidrsubnet` of a value that is not a CIDR")?;
    let len: u32 = len.parse().map_err(|_| "`cidrsubnet` prefix length")?;
    let ip: std::net::Ipv4Addr = addr
        .parse()
        .map_err(|_| "`cidrsubnet` is evaluated for IPv4 only")?;
    let new_len = len + newbits;
    if new_len > 32 || (newbits < 64 && netnum >= (1u64 << newbits)) {
        return Err("`cidrsubnet` out of range".into());
    }
    let base = u32::from(ip) & if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let shifted = if new_len == 32 {
        netnum as u32
    } else {
        (netnum as u32) << (32 - new_len)
    };
    Ok(format!(
        "{}/{new_len}",
        std::net::Ipv4Addr::from(base | shifted)
    ))
}

/// `data "aws_iam_policy_document"` rendered to the policy JSON it produces, as a tree with the
/// spans of the arguments. `source_policy_documents`/`override_policy_documents` are merged
/// only when they are empty.
pub fn policy_document(inst: &Instance, data: &BlockAt, scope: &Scope) -> Result<Node, String> {
    let body = &data.body;
    for merged in [
        "source_policy_documents",
        "override_policy_documents",
        "source_json",
        "override_json",
    ] {
        if let Some(a) = body.get_attribute(merged) {
            let v = inst.expr(&a.value, data.base, scope);
            if !(v.is_null() || v.items().is_empty() && v.is_array()) {
                return Err(format!("`{merged}` of a policy document is not merged"));
            }
        }
    }
    let span = data.span;
    let statements = inst.blocks(body, "statement", data.base, scope);
    if let Some(why) = unknown_reason(&statements) {
        return Err(why);
    }
    let mut out = Vec::new();
    for st in statements.items() {
        let mut members: Vec<(&str, Node)> = Vec::new();
        if let Some(sid) = st.get("sid").filter(|n| !n.is_null()) {
            members.push(("Sid", sid.clone()));
        }
        members.push((
            "Effect",
            st.get("effect")
                .filter(|n| !n.is_null())
                .cloned()
                .unwrap_or_else(|| string("Allow", st.span)),
        ));
        for (hcl, json) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if let Some(v) = st.get(hcl).filter(|n| !n.is_null()) {
                members.push((json, v.clone()));
            }
        }
        for (hcl, json) in [
            ("principals", "Principal"),
            ("not_principals", "NotPrincipal"),
        ] {
            let Some(blocks) = st.get(hcl) else { continue };
            let mut by_type: Vec<Member> = Vec::new();
            for p in blocks.items() {
                let Some(t) = p.get("type").and_then(|t| t.scalar_text()) else {
                    return Err(p
                        .get("type")
                        .and_then(unknown_reason)
                        .unwrap_or_else(|| "a principal type is not known".into()));
                };
                let ids = p
                    .get("identifiers")
                    .cloned()
                    .unwrap_or_else(|| array(Vec::new(), p.span));
                match by_type.iter_mut().find(|m| m.key == t.as_ref()) {
                    Some(m) => {
                        if let (NodeKind::Array(a), NodeKind::Array(b)) =
                            (&mut m.value.kind, ids.kind)
                        {
                            a.extend(b);
                        }
                    }
                    None => by_type.push(Member {
                        key: t.into_owned(),
                        key_span: p.span,
                        value: ids,
                    }),
                }
            }
            // `type = "*"`, `identifiers = ["*"]` is the principal `"*"`.
            let value = match by_type.as_slice() {
                [m] if m.key == "*" => string("*", m.key_span),
                _ => Node::new(NodeKind::Object(by_type), blocks.span),
            };
            members.push((json, value));
        }
        if let Some(conds) = st.get("condition") {
            let mut tests: Vec<Member> = Vec::new();
            for c in conds.items() {
                let (Some(test), Some(var)) = (
                    c.get("test").and_then(|t| t.scalar_text()),
                    c.get("variable").and_then(|t| t.scalar_text()),
                ) else {
                    return Err("a policy condition's test or variable is not known".into());
                };
                let values = c
                    .get("values")
                    .cloned()
                    .unwrap_or_else(|| array(Vec::new(), c.span));
                let entry = Member {
                    key: var.into_owned(),
                    key_span: c.span,
                    value: values,
                };
                match tests.iter_mut().find(|m| m.key == test.as_ref()) {
                    Some(m) => {
                        if let NodeKind::Object(ms) = &mut m.value.kind {
                            ms.push(entry);
                        }
                    }
                    None => tests.push(Member {
                        key: test.into_owned(),
                        key_span: c.span,
                        value: Node::new(NodeKind::Object(vec![entry]), c.span),
                    }),
                }
            }
            members.push(("Condition", Node::new(NodeKind::Object(tests), conds.span)));
        }
        out.push(obj(members, st.span));
    }
    let version = body
        .get_attribute("version")
        .map(|a| inst.expr(&a.value, data.base, scope))
        .unwrap_or_else(|| string("2012-10-17", span));
    let _ = span_of(&data.body, data.base);
    Ok(obj(
        vec![
            ("Version", version),
            ("Statement", array(out, statements.span)),
        ],
        span,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrsubnet_matches_terraform() {
        assert_eq!(cidrsubnet("10.0.0.0/16", 8, 2).unwrap(), "10.0.2.0/24");
        assert_eq!(cidrsubnet("10.1.2.0/24", 4, 15).unwrap(), "10.1.2.240/28");
        assert!(cidrsubnet("10.0.0.0/30", 8, 1).is_err());
    }

    #[test]
    fn format_verbs_work() {
        let s = |t: &str| string(t, Span::default());
        assert_eq!(format_verbs("%s-%s", &[s("a"), s("b")]).unwrap(), "a-b");
        assert_eq!(format_verbs("100%%", &[]).unwrap(), "100%");
        assert!(format_verbs("%s", &[]).is_err());
    }

    #[test]
    fn dedupe_keeps_first() {
        let s = |t: &str| string(t, Span::default());
        assert_eq!(dedupe(&[s("a"), s("b"), s("a")]).len(), 2);
    }
}
