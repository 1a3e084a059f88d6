//! What is known of the AWS account: from state snapshot files, from resources defined in the
//! same template, or (later) from the live account. Rules cannot tell the sources apart.

pub mod ec2;
pub mod ecr;
pub mod ecs;
pub mod lookup;
pub mod managed_policies;

pub use lookup::{Lookup, Tri};
