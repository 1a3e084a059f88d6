//! ROLE: may the execution role pull the image, read its secrets and write its logs (IAM state).

use crate::rules::Rule;

/// This family's rules, in code order.
pub static RULES: &[&Rule] = &[];
