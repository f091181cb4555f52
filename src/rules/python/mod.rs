//! Python rules that are not tied to Django.

pub mod blocking_call_in_async;
pub mod command_injection;
pub mod request_without_timeout;
pub mod unsafe_deserialization;

use crate::engine::rule::CodeRule;

pub const RULES: &[&CodeRule] = &[&command_injection::RULE, &unsafe_deserialization::RULE];
