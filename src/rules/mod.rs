//! Rules written in Rust, by family. A family's `mod.rs` lists its rules;
//! adding a rule is one file in the family folder plus one line there, and
//! its fixtures. Declarative rules live as TOML in the top-level `rules/`.

pub mod django;
pub mod express;
pub mod fit;
pub mod nest;
pub mod node;
pub mod node_security;
pub mod python;

use crate::engine::facts::FactExtractor;
use crate::engine::rule::CodeRule;
use crate::parse::Lang;

/// Every builtin code rule.
pub fn code_rules() -> Vec<&'static CodeRule> {
    let mut all = Vec::new();
    all.extend(django::RULES.iter().copied());
    all.extend(python::RULES.iter().copied());
    all.extend(node::RULES.iter().copied());
    all.extend(express::RULES.iter().copied());
    all.extend(nest::RULES.iter().copied());
    all.extend(node_security::RULES.iter().copied());
    all.extend(fit::RULES.iter().copied());
    all
}

/// Fact extractors that belong to one rule: what a rule needs to know of
/// other files (a guard wrapper, a host validator, a patched default).
/// Framework facts are the model layer's (`crate::model::EXTRACTORS`).
pub const EXTRACTORS: &[FactExtractor] = &[
    // Project functions wrapping a redirect check (`def safe_url(u): return
    // url_has_allowed_host_and_scheme(u, ...)`), in any module.
    FactExtractor {
        consumers: &["django/open-redirect"],
        langs: &[Lang::Python],
        needles: &["url_has_allowed_host_and_scheme", "is_safe_url"],
        run: django::open_redirect::extract_guards,
        for_file_rules: true,
    },
    // Project middleware that rejects unknown Host headers itself.
    FactExtractor {
        consumers: &["django/allowed-hosts-wildcard"],
        langs: &[Lang::Python],
        needles: &["DisallowedHost"],
        run: django::allowed_hosts_wildcard::extract_host_validators,
        for_file_rules: false,
    },
    // A default timeout for every `requests` call, patched in once.
    FactExtractor {
        consumers: &["python/request-without-timeout"],
        langs: &[Lang::Python],
        needles: &["HTTPAdapter.send", "Session.request", "Session.send"],
        run: python::request_without_timeout::extract_default_timeout,
        for_file_rules: true,
    },
];
