//! One file's bytes through the path a scan takes them, with every rule
//! enabled: decoding (`scan::decode`), phase 1 (`Engine::analyse`: parse,
//! file and node rules, declarative rules, fact extractors), then phase 2
//! over that single file's facts (NestJS conditional findings, the fit
//! profile, the project rules, suppressions and fingerprints).
//!
//! Shared by the cargo-fuzz targets in `fuzz/` and by
//! `tests/fuzz_regressions.rs`, so a crash the fuzzer found is replayed by
//! exactly the code that found it.

use crate::config::Config;
use crate::engine::project::ProjectFile;
use crate::engine::Engine;
use crate::parse::{Lang, Source};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The stack a scan's worker threads get (`scan::scan`): run `Harness::run`
/// on a thread this big to see what a real run would.
pub const SCAN_STACK_SIZE: usize = 16 * 1024 * 1024;

/// File names per language, so that rules gated on the path (Django
/// settings and models, Next.js API routes, NestJS controllers and
/// services...) engage. The first byte of the input picks one.
fn names(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::Python => &[
            "app/views.py",
            "project/settings.py",
            "app/models.py",
            "app/tasks.py",
            "app/urls.py",
            "manage.py",
            "project/settings/production.py",
            "app/serializers.py",
        ],
        Lang::JavaScript => &[
            "src/app.js",
            "src/routes/users.js",
            "pages/api/users.js",
            "server.js",
            "src/models/user.js",
            "config/session.dev.js",
        ],
        Lang::TypeScript => &[
            "src/app.ts",
            "src/users/users.controller.ts",
            "src/users/users.service.ts",
            "pages/api/users.ts",
            "src/main.ts",
            "src/routes/index.ts",
        ],
        Lang::Tsx => &["src/App.tsx", "pages/api/users.tsx", "app/page.tsx", "pages/index.tsx"],
    }
}

/// The project-relative path an input is analysed under.
pub fn file_name(lang: Lang, bytes: &[u8]) -> &'static str {
    let names = names(lang);
    names[bytes.first().map_or(0, |&b| b as usize) % names.len()]
}

/// What happened to one input.
#[derive(Debug)]
pub enum Outcome {
    /// Not analysed, as a scan would not (binary, not UTF-8): the warning.
    Skipped(String),
    Analysed {
        /// Phase-1 findings, then project findings.
        findings: usize,
        project_findings: usize,
        /// A parse that timed out or failed, as a scan warns about it.
        error: Option<String>,
    },
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct Harness {
    pub engine: Engine,
    enabled: Vec<bool>,
    /// A scratch project root holding the one file, for what phase 2 reads
    /// from disk (source lines, manifests).
    root: PathBuf,
    config: Config,
}

impl Harness {
    /// Every builtin rule enabled.
    pub fn new() -> Result<Harness, String> {
        let engine = crate::registry::engine(&[])?;
        let enabled = vec![true; engine.rules.len()];
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let root = std::env::temp_dir().join(format!("stackfit-fuzz-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        let config = Config::empty(&root);
        Ok(Harness { engine, enabled, root, config })
    }

    pub fn run(&self, lang: Lang, bytes: &[u8]) -> Outcome {
        let rel = file_name(lang, bytes);
        let path = self.root.join(rel);
        let text = match crate::scan::decode(bytes.to_vec()) {
            Ok(t) => t,
            Err(w) => return Outcome::Skipped(w),
        };
        let src = Source::new(text);
        let out = self.engine.analyse(rel, lang, &src, &self.enabled, false);
        let error = out.error.clone();

        // Phase 2 over this one file, as `scan::scan` runs it.
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(&path, bytes);
        let mut findings = out.findings;
        let phase1 = findings.len();
        let files =
            vec![ProjectFile { rel: rel.to_string(), path: path.clone(), lang, role: out.role, facts: out.facts }];
        let mut suppressions = crate::scan::SuppressionsByPath::new();
        suppressions.insert(rel.to_string(), (out.suppressions, Vec::new()));
        let phase = crate::scan::ProjectPhase {
            engine: &self.engine,
            root: &self.root,
            files: &files,
            config: &self.config,
            enabled: &self.enabled,
            search: std::slice::from_ref(&self.root),
            excludes: &globset::GlobSet::empty(),
            manifests: None,
            roles: &crate::walk::roles::RoleMap { project: self.root.clone(), ..Default::default() },
        };
        crate::scan::project_phase(&phase, &mut findings, &mut suppressions);
        let _ = std::fs::remove_file(&path);
        Outcome::Analysed { findings: phase1, project_findings: findings.len() - phase1, error }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
