//! IN: inputs that cannot be checked. The driver reports these itself.

pub mod invalid_state;
pub mod syntax_error;
pub mod unreadable_input;
