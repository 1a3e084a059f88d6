//! NET: can the task reach the registry, S3, CloudWatch Logs and Secrets Manager from its subnets (network state).

use crate::rules::Rule;

/// This family's rules, in code order.
pub static RULES: &[&Rule] = &[];
