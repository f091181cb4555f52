//! Django settings modules: the facts phase 1 extracts from each candidate
//! settings file, and their resolution into settings chains in phase 2.

use crate::engine::context::FileCtx;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SettingsFacts {}

pub fn extract(_ctx: &mut FileCtx) {}
