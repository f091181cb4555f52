//! The fit profile: per application, the stack and the workload signals.
//! Filled in by the fit issue; until then the profile is empty.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Profile {
    pub applications: Vec<serde_json::Value>,
}
