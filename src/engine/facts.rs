//! Per-file facts: what phase 1 extracts from a file for the project-level
//! rules of phase 2 (settings, models, app wiring). Plain serialisable data,
//! so trees can be dropped after phase 1 and facts can be cached.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileFacts {
    /// Module-level settings of a Python file that may be a Django settings
    /// module (assignments, star imports, list edits).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub django_settings: Option<crate::rules::django::settings::SettingsFacts>,
    /// What a JavaScript/TypeScript file says about Node.js apps: apps and
    /// routers it creates, middleware registered on them, imports, exports.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub node_app: Option<crate::rules::express::facts::NodeFacts>,
}
