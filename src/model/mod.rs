//! The model layer: what the project's code means, per framework. Each
//! family extracts per-file facts in phase 1 (plain serialisable data,
//! cached with the file) and builds a project index from them in phase 2;
//! rules ask the index questions ("which relations does this queryset
//! load", "which middleware does this app register") instead of reading
//! trees themselves.
//!
//! `model/` builds on `engine/` (the fact store, file and project contexts)
//! and `semantics/` (bindings, constants, request data); it never imports
//! `rules/`, `profile/` or `report/`. Its fact extractors are listed in
//! [`EXTRACTORS`] and registered with the engine by `crate::registry`.

pub mod django;
pub mod nest;
pub mod node;

use crate::engine::facts::FactExtractor;
use crate::parse::Lang;

/// The rules that read the model index and queryset facts.
const ORM_RULES: &[&str] = &[
    "django/n-plus-one-fk",
    "django/n-plus-one-related",
    "django/query-in-loop",
    "django/save-in-loop",
    "drf/n-plus-one-serializer",
];

/// Phase-1 extractors of the framework facts, in the order they run.
pub const EXTRACTORS: &[FactExtractor] = &[
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
        run: node::facts::extract,
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
    // DRF serializers.
    FactExtractor {
        consumers: &["drf/n-plus-one-serializer"],
        langs: &[Lang::Python],
        needles: &["Serializer"],
        run: django::drf::extract,
        for_file_rules: false,
    },
    // NestJS providers: injected calls, classes, imports and re-exports, for
    // the request-handler rules to reach services of other files (the
    // conditional findings themselves come from `nest::services::PASS`).
    FactExtractor {
        consumers: &["node/"],
        langs: &[Lang::JavaScript, Lang::TypeScript, Lang::Tsx],
        needles: &["Injectable", "Controller", "Resolver", "Gateway", "Inject(", "export *", "export {"],
        run: nest::services::extract,
        for_file_rules: true,
    },
];
