//! Phase 2: the merged facts of every analysed file, and the sink for
//! project-level findings.

use crate::config::Config;
use crate::engine::facts::FileFacts;
use crate::finding::{Fix, Location, Severity};
use crate::parse::Lang;
use std::path::{Path, PathBuf};

pub struct ProjectFile {
    pub rel: String,
    pub path: PathBuf,
    pub lang: Lang,
    pub facts: FileFacts,
}

/// What a project rule sees: every file's facts, sorted by path.
pub struct ProjectCtx<'a> {
    pub root: &'a Path,
    pub files: &'a [ProjectFile],
    pub config: &'a Config,
}

impl ProjectCtx<'_> {
    pub fn file(&self, rel: &str) -> Option<&ProjectFile> {
        self.files.binary_search_by(|f| f.rel.as_str().cmp(rel)).ok().map(|i| &self.files[i])
    }
}

#[derive(Debug, Clone)]
pub struct ProjectFinding {
    pub rule: usize,
    pub location: Location,
    pub message: String,
    pub severity: Option<Severity>,
    pub related: Vec<Location>,
    pub fix: Option<Fix>,
}

impl ProjectFinding {
    pub fn severity(&mut self, s: Severity) -> &mut Self {
        self.severity = Some(s);
        self
    }
    pub fn related(&mut self, loc: Location) -> &mut Self {
        self.related.push(loc);
        self
    }
    pub fn fix(&mut self, fix: Fix) -> &mut Self {
        self.fix = Some(fix);
        self
    }
}

#[derive(Default)]
pub struct ProjectOut {
    pub(crate) current_rule: usize,
    pub(crate) findings: Vec<ProjectFinding>,
}

impl ProjectOut {
    pub fn report(&mut self, location: Location, message: impl Into<String>) -> &mut ProjectFinding {
        self.findings.push(ProjectFinding {
            rule: self.current_rule,
            location,
            message: message.into(),
            severity: None,
            related: Vec::new(),
            fix: None,
        });
        self.findings.last_mut().unwrap()
    }
}
