//! Python rules that are not tied to Django.

pub mod blocking_call_in_async;
pub mod command_injection;
pub mod request_without_timeout;
pub mod unsafe_deserialization;

use crate::engine::rule::CodeRule;

pub const RULES: &[&CodeRule] = &[
    // One rule per line.
    &command_injection::RULE,
    &unsafe_deserialization::RULE,
    &blocking_call_in_async::RULE,
    &request_without_timeout::RULE,
];
