//! The edit that pins an image string to a digest, format-preserving.
//!
//! The edit replaces exactly the characters of the string's content and nothing else: the
//! quotes, the indentation, the comments and every other byte of the file stay as they were.
//! It is offered only where that is certainly right:
//!
//! - a JSON string, or a YAML double-quoted scalar, on one line: the content between the
//!   quotes, when the quoted text decodes (JSON escapes) to exactly the image (the new image
//!   needs no escapes: it is letters, digits and `.:/@_-`);
//! - a YAML single-quoted scalar on one line (`''` is its only escape);
//! - a YAML plain scalar on one line whose text is the image itself.
//!
//! Anything else (a value built by `!Sub` or `Fn::Join`, a block or multi-line scalar, a tagged
//! or anchored scalar, a CommaDelimitedList item) gets no fix. A value that came from a
//! CloudFormation parameter default or a mapping entry has that literal's span, so the edit
//! changes the default or the entry, which is the text the deployed value comes from.
//!
//! In a Terraform plan the image is inside the `container_definitions` JSON string of
//! `planned_values`; the plan is regenerated from the `.tf` sources, so the edit is shown
//! (display-only) and never applied. In Terraform source the literal the image was evaluated
//! from is edited when it is exactly the image string (a template such as
//! `"${var.repo}:${var.tag}"` gets no fix).

use crate::diag::{Applicability, Edit, Fix};
use crate::model::Format;
use crate::parse::Node;
use crate::rules::Context;
use crate::span::Span;

/// The fix that replaces the image string at `node` with `new_image`.
pub fn pin_fix(cx: &Context, node: &Node, new_image: &str, description: String) -> Option<Fix> {
    let value = node.as_str()?;
    let text = &cx.file.text;
    if cx.document.format == Format::TerraformPlan {
        let raw = text.get(node.span.range())?;
        // `\"image\"` inside the plan's JSON string: show the content between the escaped
        // quotes.
        let span = match (raw.strip_prefix("\\\""), raw.ends_with("\\\"")) {
            (Some(_), true) if raw.len() >= 4 => {
                Span::new(node.span.start as usize + 2, node.span.end as usize - 2)
            }
            _ => node.span,
        };
        return Some(Fix {
            description: format!("{description} (in the Terraform configuration, not the plan)"),
            applicability: Applicability::DisplayOnly,
            edits: vec![Edit {
                file: cx.file_id,
                span,
                content: new_image.to_string(),
            }],
        });
    }
    // In Terraform source the span is the literal the image was evaluated from (in a `.tf`, a
    // heredoc, a file `file()` reads, a variable default or a module argument): only a string
    // that is exactly the image is edited, never a template or an expression. A literal in a
    // `.tfvars` file is shown, not applied (the driver knows the file; see `check.rs`).
    let span = string_content_span(text, node.span, value)?;
    Some(Fix {
        description,
        applicability: Applicability::Safe,
        edits: vec![Edit {
            file: cx.file_id,
            span,
            content: new_image.to_string(),
        }],
    })
}

/// For a display-only fix (a Terraform plan): the sentence the help adds, saying what to
/// change in the `.tf` source.
pub fn terraform_help(fix: &Fix) -> Option<String> {
    if fix.applicability != Applicability::DisplayOnly
        || fix.description.contains("Terraform source")
    {
        return None;
    }
    let image = &fix.edits.first()?.content;
    Some(format!(
        "; this is a Terraform plan, so make the change in the configuration it was made from: set the \
         container's `image` to `{image}` in the `container_definitions` of the `aws_ecs_task_definition` \
         (or the variable it comes from) and plan again (`--fix` never edits plans)"
    ))
}

/// The span of a string scalar's content (inside its quotes), when the text at `span` is
/// certainly the string `value` written in one of the forms listed in the module docs.
pub fn string_content_span(text: &str, span: Span, value: &str) -> Option<Span> {
    let raw = text.get(span.range())?;
    if raw.contains(['\n', '\r']) {
        return None;
    }
    let (start, end) = (span.start as usize, span.end as usize);
    let inner = || Span::new(start + 1, end - 1);
    if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
        // JSON string or YAML double-quoted scalar. YAML-only escapes (`\x41`, `\N`, …) do not
        // decode as JSON and give no fix.
        return match serde_json::from_str::<String>(raw) {
            Ok(decoded) if decoded == value => Some(inner()),
            _ => None,
        };
    }
    if raw.len() >= 2 && raw.starts_with('\'') && raw.ends_with('\'') {
        let decoded = raw[1..raw.len() - 1].replace("''", "'");
        return (decoded == value).then(inner);
    }
    // A plain scalar: the text is the value, character for character.
    (raw == value).then_some(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(text: &str, value: &str) -> Option<&'static str> {
        let at = text.find('<').unwrap() + 1;
        let end = text.find('>').unwrap();
        let clean: String = text.replace(['<', '>'], "");
        let span = Span::new(at - 1, end - 1);
        string_content_span(&clean, span, value).map(|s| {
            let out: &'static str = Box::leak(clean[s.range()].to_string().into_boxed_str());
            out
        })
    }

    #[test]
    fn quoted_and_plain_scalars() {
        assert_eq!(content(r#"{"image": <"web:1">}"#, "web:1"), Some("web:1"));
        // An escape that decodes to the same image: the content is replaced whole.
        assert_eq!(
            content(r#"{"image": <"web\/x:1">}"#, "web/x:1"),
            Some(r"web\/x:1")
        );
        assert_eq!(content("image: <'web:1'>", "web:1"), Some("web:1"));
        assert_eq!(content("image: <web:1>", "web:1"), Some("web:1"));
    }

    #[test]
    fn anything_else_gets_no_fix() {
        // The span holds something else than the value (a parameter list, a !Sub).
        assert_eq!(content(r#"Default: <"a:1,b:2">"#, "a:1"), None);
        assert_eq!(content(r#"Image: <!Sub "web:1">"#, "web:1"), None);
        // Multi-line and YAML-only escapes.
        assert_eq!(content("image: <\"web:\n 1\">", "web: 1"), None);
        assert_eq!(content(r#"image: <"web\x3a1">"#, "web:1"), None);
        // A plain scalar whose text differs (a tag or an anchor in front).
        assert_eq!(content("image: <&a web:1>", "web:1"), None);
    }
}
