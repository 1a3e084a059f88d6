//! ecs-preflight: checks, before a deploy, that ECS tasks will be able to pull and start their
//! container images.
//!
//! The shape is collect → resolve → check → report: `parse` turns text into spanned trees,
//! `model` reads task definitions out of them, `state` holds what is known of the account,
//! `rules` are pure functions from model and state to diagnostics, `render` prints them.

pub mod parse;
pub mod source;
pub mod span;
pub mod state;
pub mod model;
pub mod diag;
pub mod rules;
pub mod config;
pub mod check;
pub mod render;
pub mod pages;
pub mod cli;
pub mod app;
pub mod ecr;
pub mod iam;
pub mod net;
