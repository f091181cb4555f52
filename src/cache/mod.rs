//! The result cache: phase-1 outcomes per file, keyed by the file's content
//! hash, its path, the tool build, the rule set and the config that governs
//! it. Stored in `.stackfit_cache/` under the project root (with a
//! `.gitignore` inside, as ruff does), written atomically so concurrent runs
//! never see a torn file, and ignored (then rewritten) when unreadable.

use crate::engine::FileOutcome;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use xxhash_rust::xxh3::xxh3_64;

/// Hash of the sources this binary was built from (see build.rs), so a
/// development build never reuses results of another build.
const BUILD_ID: &str = env!("STACKFIT_BUILD_ID");

pub const CACHE_DIR: &str = ".stackfit_cache";

#[derive(Default, Serialize, Deserialize)]
struct CacheFile {
    build: String,
    /// Entry key (hex) → outcome.
    entries: HashMap<String, Entry>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    /// The path the entry belongs to, to prune entries of changed files.
    path: String,
    lines: u64,
    outcome: FileOutcome,
}

/// Shared by the worker threads of a run: lookups read the entries loaded
/// at start, new outcomes are collected under a lock.
pub struct Cache {
    file: PathBuf,
    old: CacheFile,
    new: Mutex<HashMap<String, Entry>>,
    hits: AtomicUsize,
    /// Whether this run produced anything the file on disk lacks.
    dirty: std::sync::atomic::AtomicBool,
}

/// The part of an entry key that does not depend on the file: hash it once
/// per config from everything that changes results (enabled rules and their
/// definitions, config values).
pub fn settings_key(parts: &[&str]) -> u64 {
    let mut s = String::new();
    for p in parts {
        s.push_str(p);
        s.push('\u{0}');
    }
    xxh3_64(s.as_bytes())
}

pub fn entry_key(settings: u64, rel: &str, content: &[u8]) -> String {
    let c = xxh3_64(content);
    let k = xxh3_64(format!("{settings:016x}\0{rel}\0{c:016x}").as_bytes());
    format!("{k:016x}")
}

impl Cache {
    /// Opens the cache of the project at `root`; a missing, unreadable or
    /// foreign cache file starts empty.
    pub fn open(root: &Path) -> Cache {
        let dir = root.join(CACHE_DIR);
        let file = dir.join("results-v1.json");
        let old = std::fs::File::open(&file)
            .ok()
            .and_then(|f| serde_json::from_reader::<_, CacheFile>(BufReader::new(f)).ok())
            .filter(|c| c.build == BUILD_ID)
            .unwrap_or_default();
        Cache {
            file,
            old,
            new: Mutex::new(HashMap::new()),
            hits: AtomicUsize::new(0),
            dirty: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The cached outcome and line count for this key.
    pub fn get(&self, key: &str) -> Option<(u64, FileOutcome)> {
        let e = self.old.entries.get(key)?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        self.new.lock().unwrap().insert(key.to_string(), e.clone());
        Some((e.lines, e.outcome.clone()))
    }

    /// Records a fresh outcome.
    pub fn put(&self, key: String, path: &str, lines: u64, outcome: &FileOutcome) {
        let e = Entry { path: path.to_string(), lines, outcome: outcome.clone() };
        self.new.lock().unwrap().insert(key, e);
        self.dirty.store(true, Ordering::Relaxed);
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    /// Writes the cache: this run's entries plus the old entries of files
    /// this run did not look at (a pre-commit run on three files keeps the
    /// rest). Atomic: written to a temporary file, then renamed.
    pub fn save(self) -> Result<(), String> {
        if !self.dirty.load(Ordering::Relaxed) {
            // Every result came from the cache: the file already holds them.
            return Ok(());
        }
        let dir = self.file.parent().unwrap().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            let _ = std::fs::write(&ignore, "# Created by stackfit automatically.\n*\n");
        }
        let mut entries = self.new.into_inner().unwrap();
        let touched: std::collections::HashSet<&str> = entries.values().map(|e| e.path.as_str()).collect();
        let kept: Vec<(String, Entry)> =
            self.old.entries.into_iter().filter(|(_, e)| !touched.contains(e.path.as_str())).collect();
        entries.extend(kept);
        let data = CacheFile { build: BUILD_ID.to_string(), entries };
        let tmp = dir.join(format!(".results-v1.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let f = std::fs::File::create(&tmp)?;
            let mut w = BufWriter::new(f);
            serde_json::to_writer(&mut w, &data)?;
            w.flush()?;
            std::fs::rename(&tmp, &self.file)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", self.file.display())
        })
    }
}
