//! ECR: what the registry actually holds (ECR state).

use crate::rules::Rule;

/// This family's rules, in code order.
pub static RULES: &[&Rule] = &[];
