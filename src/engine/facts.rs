//! Per-file facts: what phase 1 extracts from a file for the project-level
//! rules of phase 2 (settings, models, app wiring). Plain serialisable data,
//! so trees can be dropped after phase 1 and facts can be cached.

use serde::{Deserialize, Serialize};

/// Prefix of the symbols the project's `package.json` files provide: for a
/// dependency declared with lower bound major version M everywhere it is
/// declared, `npm:<name>>=<k>` for every k up to M.
pub const NPM_SYMBOL: &str = "npm:";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileFacts {
    /// Symbols the file defines that can void other files' findings
    /// (`Finding::unless`), e.g. `guard:safe_url` for a function wrapping a
    /// redirect check.
    #[serde(default)]
    pub provides: Vec<String>,
    /// Module-level settings of a Python file that may be a Django settings
    /// module (assignments, star imports, list edits).
    #[serde(default)]
    pub django_settings: Option<crate::rules::django::settings::SettingsFacts>,
    /// Models, querysets, loops, views and serializers for the ORM rules.
    #[serde(default)]
    pub django_models: Option<crate::rules::django::models::DjangoFacts>,
    /// What a JavaScript/TypeScript file says about Node.js apps: apps and
    /// routers it creates, middleware registered on them, imports, exports.
    #[serde(default)]
    pub node_app: Option<crate::rules::express::facts::NodeFacts>,
    /// Workload signals for the fit profile (routes, websockets, jobs, ML
    /// imports, CPU-heavy sites in handlers, ...).
    #[serde(default)]
    pub fit: Option<crate::profile::signals::FitFacts>,
    /// NestJS providers: injected calls, and findings that hold when a
    /// controller of another file reaches this file's service methods.
    #[serde(default)]
    pub nest: Option<crate::rules::nest::services::NestFacts>,
}
