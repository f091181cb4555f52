//! Rules written in Rust, by family. A family's `mod.rs` lists its rules;
//! adding a rule is one file in the family folder plus one line there, and
//! its fixtures. Declarative rules live as TOML in the top-level `rules/`.

pub mod django;
pub mod fit;

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::parse::Lang;

/// Every builtin code rule.
pub fn code_rules() -> Vec<&'static CodeRule> {
    let mut all = Vec::new();
    all.extend(django::RULES.iter().copied());
    all.extend(fit::RULES.iter().copied());
    all
}

/// Phase-1 fact extraction for the project-level rules. An extractor runs
/// on a file of its languages that contains one of its needles.
pub struct FactExtractor {
    /// Rule ids or prefixes that consume these facts: the extractor runs
    /// only when one of them is enabled.
    pub consumers: &'static [&'static str],
    pub langs: &'static [Lang],
    pub needles: &'static [&'static str],
    pub run: fn(&mut FileCtx),
}

pub const FACT_EXTRACTORS: &[FactExtractor] = &[
    FactExtractor {
        consumers: &["django/", "drf/"],
        langs: &[Lang::Python],
        needles: &[
            "INSTALLED_APPS",
            "MIDDLEWARE",
            "DEBUG =",
            "DEBUG=",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_SETTINGS_MODULE",
            "import *",
        ],
        run: django::settings::extract,
    },
    FactExtractor {
        consumers: &["fit/"],
        langs: &[Lang::Python, Lang::JavaScript, Lang::TypeScript, Lang::Tsx],
        needles: crate::profile::signals::NEEDLES,
        run: crate::profile::signals::extract,
    },
];
