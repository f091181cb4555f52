//! NestJS rules. Apps are discovered by `crate::rules::express::apps`.

pub mod missing_validation_pipe;
pub mod services;

use crate::engine::rule::CodeRule;

pub const RULES: &[&CodeRule] = &[&missing_validation_pipe::RULE];
