//! Rules written in Rust, by family. A family's `mod.rs` lists its rules;
//! adding a rule is one file in the family folder plus one line there, and
//! its fixtures. Declarative rules live as TOML in the top-level `rules/`.

pub mod django;

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;

/// Every builtin code rule.
pub fn code_rules() -> Vec<&'static CodeRule> {
    let mut all = Vec::new();
    all.extend(django::RULES.iter().copied());
    all
}

/// Phase-1 fact extraction for the project-level rules, run on every file
/// after the rules (cheap gates inside each extractor).
pub fn extract_facts(ctx: &mut FileCtx) {
    django::settings::extract(ctx);
}
