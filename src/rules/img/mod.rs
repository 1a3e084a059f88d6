//! IMG: image references, judged from the file alone.

pub mod credentials_on_ecr_image;
pub mod cross_region_image;
pub mod implicit_latest_tag;
pub mod invalid_image_reference;
pub mod latest_tag;
pub mod public_registry_image;
pub mod tag_with_digest;
pub mod unpinned_image;
pub mod unresolved_image;

use std::ops::Range;

use crate::rules::Rule;

/// This family's rules, in code order.
pub static RULES: &[&Rule] = &[
    &invalid_image_reference::RULE,
    &latest_tag::RULE,
    &implicit_latest_tag::RULE,
    &unpinned_image::RULE,
    &tag_with_digest::RULE,
    &cross_region_image::RULE,
    &public_registry_image::RULE,
    &unresolved_image::RULE,
    &credentials_on_ecr_image::RULE,
];

use crate::parse::Node;
use crate::source::SourceFile;
use crate::span::Span;

/// Where the tag of an image built by a template (`"${var.repo}:${var.tag}"`) is written: the
/// literal (a variable default, a `.tfvars` entry) of a value interpolated into the image
/// string whose text is exactly the tag. None when no such literal is known, or when two
/// differ.
pub fn tag_literal(cx: &crate::rules::Context, node: &Node, tag: Option<&str>) -> Option<Span> {
    let tag = tag?;
    let mut found = cx.value_sources().iter().filter(|s| {
        node.span.start <= s.used_at.start
            && s.used_at.end <= node.span.end
            && s.value != node.span
            && crate::rules::ecr::pin::string_content_span(&cx.file.text, s.value, tag).is_some()
    });
    let first = found.next()?.value;
    found.all(|s| s.value == first).then_some(first)
}

/// The span, in the file, of `part` (a byte range of the decoded string `node`). Strings
/// written with escapes fall back to the whole value.
pub fn part_span(file: &SourceFile, node: &Node, part: Option<Range<usize>>) -> Span {
    let (Some(part), Some(value)) = (part, node.as_str()) else {
        return node.span;
    };
    let raw = file.slice(node.span);
    match raw.find(value) {
        Some(offset) if part.end <= value.len() => {
            let start = node.span.start as usize + offset;
            Span::new(start + part.start, start + part.end)
        }
        _ => node.span,
    }
}
