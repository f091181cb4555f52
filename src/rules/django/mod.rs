//! Django and DRF rules.

pub mod csrf_exempt;
pub mod debug_enabled;
pub mod settings;

use crate::engine::rule::CodeRule;

pub const RULES: &[&CodeRule] = &[&csrf_exempt::RULE, &debug_enabled::RULE];
