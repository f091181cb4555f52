//! NestJS rules. Apps are discovered by `crate::model::node::apps`.

pub mod missing_validation_pipe;

use crate::engine::rule::CodeRule;

pub const RULES: &[&CodeRule] = &[&missing_validation_pipe::RULE];
