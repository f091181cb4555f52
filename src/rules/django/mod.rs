//! Django and DRF rules.

pub mod settings;

use crate::engine::rule::CodeRule;

pub const RULES: &[&CodeRule] = &[];
