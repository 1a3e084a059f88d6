//! TD: task definition structure that registration would reject.

pub mod awslogs_options;
pub mod fargate_cpu_memory;
pub mod fargate_network_mode;
pub mod invalid_secret_reference;
pub mod invalid_task_definition;
pub mod no_essential_container;
pub mod not_registrable;
mod schema;

use crate::rules::Rule;

/// This family's rules, in code order.
pub static RULES: &[&Rule] = &[
    &invalid_task_definition::RULE,
    &fargate_cpu_memory::RULE,
    &fargate_network_mode::RULE,
    &awslogs_options::RULE,
    &no_essential_container::RULE,
    &not_registrable::RULE,
    &invalid_secret_reference::RULE,
];
