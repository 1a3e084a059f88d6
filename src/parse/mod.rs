//! Text to [`Node`] trees, with spans. Parsing knows text and spans only, nothing about ECS.

pub mod de;
pub mod embedded;
pub mod json;
pub mod node;
pub mod yaml;

pub use node::{Member, Node, NodeKind};

use crate::span::Span;

/// Documents nested deeper than this are refused with a clear error instead of risking the
/// stack. Real task definitions, templates and plans stay far below it.
pub const MAX_DEPTH: usize = 200;

/// A syntax error (or a document the tool refuses to read), at a place in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

impl ParseError {
    pub fn new(message: impl Into<String>, span: Span) -> ParseError {
        ParseError {
            message: message.into(),
            span,
        }
    }
}
