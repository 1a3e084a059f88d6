//! The rule pages of rules/, embedded at build time.

include!(concat!(env!("OUT_DIR"), "/rule_pages.rs"));

/// The page of a rule, by code.
pub fn page(code: &str) -> Option<&'static str> {
    PAGES
        .iter()
        .find(|(stem, _)| stem.split('-').next() == Some(code))
        .map(|(_, text)| *text)
}
