//! Phase 2: the merged facts of every analysed file, and the sink for
//! project-level findings.

use crate::config::Config;
use crate::engine::context::Pending;
use crate::engine::facts::FileFacts;
use crate::finding::{Finding, Location};
use crate::parse::Lang;
use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

pub struct ProjectFile {
    pub rel: String,
    pub path: PathBuf,
    pub lang: Lang,
    pub role: crate::finding::Role,
    pub facts: std::sync::Arc<FileFacts>,
}

/// What a project rule sees: every file's facts, sorted by path, the
/// findings of phase 1 (for rules that build on other rules' findings), and
/// what the layers above computed for the project before its rules run
/// (the fit profile when a `fit/` rule is enabled), by type.
pub struct ProjectCtx<'a> {
    pub root: &'a Path,
    pub files: &'a [ProjectFile],
    pub config: &'a Config,
    pub findings: &'a [Finding],
    pub extras: &'a [&'a dyn Any],
    /// Indexes that several project rules build from the same facts (the
    /// Node app model, the Django settings and model indexes), built once
    /// per phase.
    pub memo: Memo,
    /// Roles of the paths that are not analysed files (manifests,
    /// templates): from their path alone.
    pub roles: &'a crate::walk::roles::RoleMap,
    /// Security headers that web-server or proxy configs of the project set:
    /// (file, line, lowercase header name). Read when a rule tagged
    /// `deployment` runs.
    pub proxy_headers: &'a [(String, u32, String)],
}

/// Files that make a directory a project of its own (an application, a
/// package): a proxy config belongs to the nearest such directory above it.
const PROJECT_MARKERS: &[&str] = &["package.json", "manage.py", "pyproject.toml", "setup.py", "setup.cfg"];

impl ProjectCtx<'_> {
    /// Where a shipped web-server or proxy config sets `header` (lowercase)
    /// for the code in `rel`: a config applies to the project it belongs to
    /// (the nearest directory above it with a manifest or `manage.py`) and
    /// everything inside it, not to a sibling project of a monorepo.
    pub fn proxy_sets(&self, header: &str, rel: &str) -> Option<(&str, u32)> {
        self.proxy_headers
            .iter()
            .filter(|(_, _, h)| h == header)
            .find(|(f, _, _)| crate::walk::under(rel, &self.owning_project(f)))
            .map(|(f, l, _)| (f.as_str(), *l))
    }

    /// The nearest directory above `rel` (relative to the root, "" for the
    /// root) holding a project marker; "" when none does.
    fn owning_project(&self, rel: &str) -> String {
        let mut dir = std::path::Path::new(rel).parent();
        while let Some(d) = dir {
            if d.as_os_str().is_empty() {
                break;
            }
            if PROJECT_MARKERS.iter().any(|m| self.root.join(d).join(m).is_file()) {
                return d.to_string_lossy().replace('\\', "/");
            }
            dir = d.parent();
        }
        String::new()
    }
}

/// One value per type, shared by the project rules of one phase 2.
#[derive(Default)]
pub struct Memo(RefCell<HashMap<TypeId, Rc<dyn Any>>>);

impl Memo {
    pub fn get<T: 'static>(&self) -> Option<Rc<T>> {
        self.0.borrow().get(&TypeId::of::<T>()).cloned().and_then(|v| v.downcast::<T>().ok())
    }

    pub fn put<T: 'static>(&self, value: Rc<T>) {
        self.0.borrow_mut().insert(TypeId::of::<T>(), value);
    }

    /// The memoised `T`, made by `make` on first use.
    pub fn get_or_insert<T: 'static>(&self, make: impl FnOnce() -> T) -> Rc<T> {
        if let Some(v) = self.get::<T>() {
            return v;
        }
        let v = Rc::new(make());
        self.put(v.clone());
        v
    }
}

impl ProjectCtx<'_> {
    /// The project-wide value of type `T` the run computed, if any.
    pub fn extra<T: 'static>(&self) -> Option<&T> {
        self.extras.iter().find_map(|e| e.downcast_ref::<T>())
    }

    pub fn file(&self, rel: &str) -> Option<&ProjectFile> {
        self.files.binary_search_by(|f| f.rel.as_str().cmp(rel)).ok().map(|i| &self.files[i])
    }

    /// The code role of a path of the project: an analysed file's own, else
    /// what its path says.
    pub fn role_of(&self, rel: &str) -> crate::finding::Role {
        match self.file(rel) {
            Some(f) => f.role,
            None => self.roles.role_at(&self.root.join(rel), None, None),
        }
    }
}

/// A project rule's finding, at a location in any file.
pub type ProjectFinding = Pending<Location>;

#[derive(Default)]
pub struct ProjectOut {
    pub(crate) current_rule: usize,
    pub(crate) findings: Vec<ProjectFinding>,
}

impl ProjectOut {
    pub fn report(&mut self, location: Location, message: impl Into<String>) -> &mut ProjectFinding {
        self.findings.push(Pending::new(self.current_rule, location, message.into()));
        self.findings.last_mut().unwrap()
    }
}
