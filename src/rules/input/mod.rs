//! IN: inputs that cannot be checked. The driver reports these itself.

pub mod invalid_state;
pub mod syntax_error;
pub mod unreadable_input;
pub mod unused_suppression;

use crate::rules::Rule;

/// This family's rules, in code order.
pub static RULES: &[&Rule] = &[
    &unreadable_input::RULE,
    &syntax_error::RULE,
    &invalid_state::RULE,
    &unused_suppression::RULE,
];
