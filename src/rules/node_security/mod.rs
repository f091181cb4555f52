//! Node.js security rules: secrets, JWT use, and injection sinks fed by
//! request data (SQL, MongoDB filters, shell commands, file paths,
//! redirects, HTML). They are code rules rather than declarative ones because
//! they follow values to their assignments and inspect option objects, and
//! because every extra pattern in the combined declarative query costs time
//! on every call expression of every file.

pub mod command_injection;
pub mod hardcoded_secret;
pub mod jwt_insecure;
pub mod nosql_injection;
pub mod open_redirect;
pub mod path_traversal;
pub mod reflected_xss;
pub mod sql_injection;

use crate::engine::rule::CodeRule;

pub const RULES: &[&CodeRule] = &[
    &hardcoded_secret::RULE,
    &jwt_insecure::RULE,
    &sql_injection::RULE,
    &nosql_injection::RULE,
    &command_injection::RULE,
    &path_traversal::RULE,
    &open_redirect::RULE,
    &reflected_xss::RULE,
];
