//! Django and DRF rules.

pub mod csrf_exempt;
pub mod debug_enabled;
pub mod drf;
pub mod models;
pub mod n_plus_one_fk;
pub mod n_plus_one_related;
pub mod n_plus_one_serializer;
pub mod query_in_loop;
pub mod querysets;
pub mod save_in_loop;
pub mod settings;

use crate::engine::rule::CodeRule;

pub const RULES: &[&CodeRule] = &[
    &csrf_exempt::RULE,
    &debug_enabled::RULE,
    &n_plus_one_fk::RULE,
    &n_plus_one_related::RULE,
    &query_in_loop::RULE,
    &save_in_loop::RULE,
    &n_plus_one_serializer::RULE,
];
