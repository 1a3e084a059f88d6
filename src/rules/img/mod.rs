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
