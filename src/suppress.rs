//! Inline suppressions, written next to what they suppress:
//!
//! - a comment `# ecs-preflight: ignore[CODE,CODE] reason` (YAML, HCL) on the line of a
//!   finding's primary span, or alone on the line before it;
//! - on a CloudFormation task definition or service resource,
//!   `Metadata: {"ecs-preflight": {"ignore": ["CODE", …]}}`, for that resource's findings.
//!
//! A suppression that matches nothing is reported (IN004) so that stale ones do not pile up
//! and hide the next finding. IN findings are never suppressed: an input that could not be read
//! must not look checked. See rules/IN004-unused-suppression.md.

use std::collections::HashSet;

use crate::diag::CURRENT_FILE;
use crate::diag::Diagnostic;
use crate::parse::{Node, NodeKind};
use crate::rules::{self, Rule};
use crate::source::SourceFile;
use crate::span::Span;

const MARKER: &str = "ecs-preflight";

/// One rule named by a suppression.
struct Entry {
    /// As written.
    text: String,
    rule: Option<&'static Rule>,
    /// Where it is written: the comment, or the `ignore` list item.
    span: Span,
    used: bool,
}

enum Scope {
    /// Findings whose primary span starts on this line (1-based).
    Line(usize),
    /// Findings whose primary span lies inside this resource.
    Resource { span: Span, id: String },
}

struct Suppression {
    scope: Scope,
    entries: Vec<Entry>,
}

/// Removes the diagnostics of this file that a suppression covers, and adds an IN004 warning
/// for each suppressed rule that matched nothing. `enabled`: rules that ran (a suppression of
/// a rule that did not run cannot be called unused).
pub fn apply(file: &SourceFile, diagnostics: &mut Vec<Diagnostic>, enabled: &HashSet<&str>) {
    // Cheap test first: almost no file has a suppression.
    if !file.text.contains(MARKER) {
        return;
    }
    let mut suppressions = comments(file);
    suppressions.extend(metadata(file));
    if suppressions.is_empty() {
        return;
    }
    diagnostics.retain(|d| {
        if d.code.starts_with("IN") || d.file != CURRENT_FILE {
            return true;
        }
        let line = file.line_col(d.span.start).0;
        let mut suppressed = false;
        for s in suppressions.iter_mut() {
            let covers = match &s.scope {
                Scope::Line(l) => *l == line,
                Scope::Resource { span, .. } => {
                    span.start <= d.span.start && d.span.end <= span.end
                }
            };
            if !covers {
                continue;
            }
            for e in s.entries.iter_mut() {
                if e.rule.is_some_and(|r| r.code == d.code) {
                    e.used = true;
                    suppressed = true;
                }
            }
        }
        !suppressed
    });
    for s in &suppressions {
        for e in s.entries.iter().filter(|e| !e.used) {
            let message = match (e.rule, &s.scope) {
                (None, _) => format!(
                    "`{}` in this suppression is not a rule code or name (`ecs-preflight rules` lists them)",
                    e.text
                ),
                (Some(r), _) if !enabled.contains(r.code) => continue,
                (Some(r), Scope::Line(line)) => format!(
                    "this suppression of {} {} matches no finding: there is no {} finding on line {line}",
                    r.code, r.name, r.code
                ),
                (Some(r), Scope::Resource { id, .. }) => format!(
                    "this suppression of {} {} matches no finding: `{id}` has no {} finding",
                    r.code, r.name, r.code
                ),
            };
            let rule = &rules::input::unused_suppression::RULE;
            let mut d = crate::rules::input_diagnostic(rule, e.span, message);
            d.help(match s.scope {
                Scope::Line(_) => {
                    "delete the suppression, or name the rule the finding on that line reports"
                }
                Scope::Resource { .. } => {
                    "remove the code from the resource's `Metadata` `ecs-preflight` `ignore` list"
                }
            });
            diagnostics.push(d);
        }
    }
}

/// Whether the file is JSON, which has no comments (the same test the reader makes).
fn is_json(file: &SourceFile) -> bool {
    let ext = file
        .path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let first = file
        .text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next();
    ext != "yaml" && ext != "yml" && matches!(first, Some('{') | Some('['))
}

/// `# ecs-preflight: ignore[…]` comments.
fn comments(file: &SourceFile) -> Vec<Suppression> {
    if is_json(file) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut offset = 0usize;
    for (index, line) in file.text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let Some(hash) = comment_start(line) else {
            continue;
        };
        let comment = line[hash + 1..].trim_end_matches(['\n', '\r']);
        let Some(codes) = ignore_list(comment) else {
            continue;
        };
        let span = Span::new(start + hash, start + hash + 1 + comment.len());
        let alone = line[..hash].trim().is_empty();
        let line_number = index + 1;
        out.push(Suppression {
            scope: Scope::Line(if alone { line_number + 1 } else { line_number }),
            entries: codes
                .into_iter()
                .map(|text| Entry {
                    rule: rules::find(&text),
                    text,
                    span,
                    used: false,
                })
                .collect(),
        });
    }
    out
}

/// The byte index of the `#` that starts a comment on this line: at the start or after
/// whitespace, and not inside a quoted string.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && previous.is_whitespace() => return Some(i),
            None => {}
        }
        previous = c;
    }
    None
}

/// `ecs-preflight: ignore[A, B] reason` → `["A", "B"]`.
fn ignore_list(comment: &str) -> Option<Vec<String>> {
    let rest = comment.trim_start().strip_prefix(MARKER)?;
    let rest = rest.trim_start().strip_prefix(':')?;
    let rest = rest.trim_start().strip_prefix("ignore[")?;
    let (list, _reason) = rest.split_once(']')?;
    let codes: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    (!codes.is_empty()).then_some(codes)
}

/// CloudFormation `Metadata: {"ecs-preflight": {"ignore": [...]}}` on task definitions and
/// services.
fn metadata(file: &SourceFile) -> Vec<Suppression> {
    let parsed = if is_json(file) {
        crate::parse::json::parse(&file.text)
    } else {
        crate::parse::yaml::parse(&file.text)
    };
    let Ok(root) = parsed else {
        return Vec::new();
    };
    let Some(resources) = root.get("Resources") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for member in resources.members() {
        let resource = &member.value;
        let kind = resource.get("Type").and_then(Node::as_str);
        if !matches!(
            kind,
            Some("AWS::ECS::TaskDefinition") | Some("AWS::ECS::Service")
        ) {
            continue;
        }
        let Some(list) = resource
            .get("Metadata")
            .and_then(|m| m.get(MARKER))
            .and_then(|m| m.get("ignore"))
        else {
            continue;
        };
        let items: Vec<&Node> = match &list.kind {
            NodeKind::Array(items) => items.iter().collect(),
            _ => vec![list],
        };
        let entries = items
            .into_iter()
            .filter_map(|item| {
                let text = item.as_str()?.trim().to_string();
                Some(Entry {
                    rule: rules::find(&text),
                    text,
                    span: item.span,
                    used: false,
                })
            })
            .collect();
        out.push(Suppression {
            scope: Scope::Resource {
                span: Span::new(member.key_span.start as usize, resource.span.end as usize),
                id: member.key.clone(),
            },
            entries,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_lists_are_read_from_comments() {
        assert_eq!(
            ignore_list(" ecs-preflight: ignore[IMG002, latest-tag] staging runs latest"),
            Some(vec!["IMG002".to_string(), "latest-tag".to_string()])
        );
        assert_eq!(
            ignore_list(" ecs-preflight:ignore[IMG002]"),
            Some(vec!["IMG002".to_string()])
        );
        assert_eq!(ignore_list(" ecs-preflight: ignore[]"), None);
        assert_eq!(ignore_list(" ecs-preflight: ignore IMG002"), None);
        assert_eq!(ignore_list(" something else"), None);
    }

    #[test]
    fn a_hash_inside_quotes_is_not_a_comment() {
        assert_eq!(comment_start("image: \"a#b\" # x"), Some(13));
        assert_eq!(comment_start("image: 'a #b'"), None);
        assert_eq!(comment_start("# alone"), Some(0));
        assert_eq!(comment_start("url: http://x/#frag"), None);
    }
}
