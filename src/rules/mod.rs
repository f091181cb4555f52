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

use crate::engine::context::FileCtx;
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

/// Phase-1 fact extraction for the project-level rules. An extractor runs
/// on a file of its languages that contains one of its needles, or on
/// every such file when it has none.
pub struct FactExtractor {
    /// Rule ids or prefixes that consume these facts: the extractor runs
    /// only when one of them is enabled.
    pub consumers: &'static [&'static str],
    pub langs: &'static [Lang],
    pub needles: &'static [&'static str],
    pub run: fn(&mut FileCtx),
    /// The consumers are file rules whose findings are completed after
    /// phase 1 from these facts (not project rules): the extractor runs
    /// whenever one of them is enabled, also on context files.
    pub for_file_rules: bool,
}

/// The rules that read the model index and queryset facts.
const ORM_RULES: &[&str] = &[
    "django/n-plus-one-fk",
    "django/n-plus-one-related",
    "django/query-in-loop",
    "django/save-in-loop",
    "drf/n-plus-one-serializer",
];

pub const FACT_EXTRACTORS: &[FactExtractor] = &[
    FactExtractor {
        // fit/node-security-by-hand asks whether the application creates
        // its server itself.
        consumers: &["express/", "nest/", "node/", "fit/node-security-by-hand"],
        langs: &[Lang::JavaScript, Lang::TypeScript, Lang::Tsx],
        // Every file: an app's wiring runs through modules that name no
        // framework (setup functions, re-exports, factories). Extracting
        // their facts here, where the tree already exists, means phase 2
        // never parses a file and the facts are cached with the file.
        needles: &[],
        run: express::facts::extract,
        for_file_rules: false,
    },
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
        for_file_rules: false,
    },
    // The model index: model classes, managers and querysets.
    FactExtractor {
        consumers: ORM_RULES,
        langs: &[Lang::Python],
        needles: &["Model", "models.", "Manager", "QuerySet"],
        run: django::models::extract,
        for_file_rules: false,
    },
    // Loops, querysets, queries and writes in functions; views.
    FactExtractor {
        consumers: ORM_RULES,
        langs: &[Lang::Python],
        needles: &[
            "objects",
            "get_queryset",
            "queryset",
            "_set",
            ".all()",
            ".filter(",
            ".save(",
            ".create(",
            ".delete(",
            "get_object_or_404",
            "serializer_class",
        ],
        run: django::querysets::extract,
        for_file_rules: false,
    },
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
    // DRF serializers.
    FactExtractor {
        consumers: &["drf/n-plus-one-serializer"],
        langs: &[Lang::Python],
        needles: &["Serializer"],
        run: django::drf::extract,
        for_file_rules: false,
    },
    FactExtractor {
        consumers: &["fit/"],
        langs: &[Lang::Python, Lang::JavaScript, Lang::TypeScript, Lang::Tsx],
        needles: crate::profile::signals::NEEDLES,
        run: crate::profile::signals::extract,
        for_file_rules: false,
    },
    // NestJS providers: injected calls, classes, imports and re-exports, for
    // the request-handler rules to reach services of other files (the
    // conditional findings themselves come from `Engine::conditional`).
    FactExtractor {
        consumers: &["node/"],
        langs: &[Lang::JavaScript, Lang::TypeScript, Lang::Tsx],
        needles: &["Injectable", "Controller", "Resolver", "Gateway", "Inject(", "export *", "export {"],
        run: nest::services::extract,
        for_file_rules: true,
    },
];
