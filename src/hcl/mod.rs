//! Terraform source (HCL): a folder of `.tf` and `.tf.json` files read as one module, evaluated without
//! Terraform, providers or credentials, into the same resources a plan gives (see
//! `docs/terraform.md`).
//!
//! All files of one check (the module's `.tf` files, the `.tfvars` files, the files `file()` and
//! `templatefile()` read, and the files of the local modules it calls) are laid end to end in
//! one text, [`Sources`]: every value keeps a span into that text, so the rules work on it as on
//! any other input, and the driver maps each diagnostic back to the file it points into.

pub mod eval;
pub mod funcs;
pub mod json;
pub mod load;
pub mod tfjson;

use std::path::{Path, PathBuf};

use crate::span::Span;

/// Every file one module check reads, laid end to end.
#[derive(Debug, Default)]
pub struct Sources {
    pub text: String,
    pub pieces: Vec<Piece>,
    /// Offsets of object keys that a later key of the same object replaces (see
    /// [`load::parse_body`]).
    pub dropped_keys: std::collections::HashSet<usize>,
}

/// One file of [`Sources`]: its path, its name as shown to the user, and where its text starts.
#[derive(Debug, Clone)]
pub struct Piece {
    pub path: PathBuf,
    pub name: String,
    pub base: usize,
    pub len: usize,
}

impl Sources {
    /// Adds a file's text (once per path) and returns its base offset.
    pub fn add(&mut self, path: &Path, name: String, text: &str) -> usize {
        if let Some(p) = self.pieces.iter().find(|p| p.path == path) {
            return p.base;
        }
        if !self.text.is_empty() {
            // A separator, so that no span of one file touches the next.
            self.text.push('\n');
        }
        let base = self.text.len();
        self.text.push_str(text);
        self.pieces.push(Piece {
            path: path.to_path_buf(),
            name,
            base,
            len: text.len(),
        });
        base
    }

    pub fn base_of(&self, path: &Path) -> Option<usize> {
        self.pieces.iter().find(|p| p.path == path).map(|p| p.base)
    }

    /// The file a span of the joined text is in, and the span within that file.
    pub fn locate(&self, span: Span) -> (usize, Span) {
        let start = span.start as usize;
        let i = match self.pieces.partition_point(|p| p.base <= start) {
            0 => 0,
            i => i - 1,
        };
        let Some(piece) = self.pieces.get(i) else {
            return (0, span);
        };
        let local_start = start.saturating_sub(piece.base).min(piece.len);
        let local_end = (span.end as usize)
            .saturating_sub(piece.base)
            .clamp(local_start, piece.len);
        (i, Span::new(local_start, local_end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_map_back_to_their_file() {
        let mut s = Sources::default();
        let a = s.add(Path::new("a.tf"), "a.tf".into(), "abc");
        let b = s.add(Path::new("b.tf"), "b.tf".into(), "defgh");
        assert_eq!(a, 0);
        assert_eq!(b, 4);
        assert_eq!(s.add(Path::new("a.tf"), "a.tf".into(), "abc"), 0);
        assert_eq!(s.locate(Span::new(5, 7)), (1, Span::new(1, 3)));
        assert_eq!(s.locate(Span::new(1, 2)), (0, Span::new(1, 2)));
        // A span running past its file is cut at the file's end.
        assert_eq!(s.locate(Span::new(2, 6)), (0, Span::new(2, 3)));
    }
}
