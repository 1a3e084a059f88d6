//! What ECR itself decides about an image: lifecycle policies, platforms, tag mutability.

pub mod lifecycle;
pub mod mutability;
pub mod platform;
