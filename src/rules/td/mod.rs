//! TD: task definition structure that registration would reject.

pub mod awslogs_options;
pub mod fargate_cpu_memory;
pub mod fargate_network_mode;
pub mod invalid_task_definition;
pub mod no_essential_container;
mod schema;
