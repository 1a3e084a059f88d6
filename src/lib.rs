//! ecs-preflight: checks, before a deploy, that ECS tasks will be able to pull and start their
//! container images.
//!
//! The shape is collect → resolve → check → report: `parse` turns text into spanned trees,
//! `model` reads task definitions out of them, `state` holds what is known of the account,
//! `rules` are pure functions from model and state to diagnostics, `render` prints them.

pub mod app;
#[cfg(feature = "aws")]
pub mod aws;
pub mod base;
pub mod baseline;
pub mod check;
pub mod cli;
pub mod config;
pub mod diag;
pub mod ecr;
pub mod fix;
pub mod generate;
pub mod hcl;
pub mod iam;
pub mod image_override;
#[cfg(feature = "aws")]
pub mod live;
pub mod model;
pub mod net;
pub mod pages;
pub mod parse;
pub mod render;
pub mod rules;
pub mod settings;
pub mod source;
pub mod span;
pub mod state;
pub mod suppress;
