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
    /// The file's modification time and size when its content hashed to
    /// `hash`: a later run that sees the same stamp reuses the hash without
    /// reading the file (as git's index does). Absent when the file was
    /// modified too recently to trust its timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stamp: Option<Stamp>,
    outcome: FileOutcome,
}

/// A file's modification time (ns since the epoch), size and content hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub mtime_ns: u64,
    pub size: u64,
    pub hash: u64,
}

impl Stamp {
    /// Modification time and size of `meta`; `hash` is filled in later.
    pub fn of(meta: &std::fs::Metadata) -> Option<Stamp> {
        let mtime = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(Stamp { mtime_ns: mtime.as_nanos() as u64, size: meta.len(), hash: 0 })
    }

    /// Whether the timestamp is old enough to stand for the content: a file
    /// written within the last two seconds may change again within the same
    /// timestamp tick.
    fn trustworthy(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        self.mtime_ns.saturating_add(2_000_000_000) < now
    }
}

/// Shared by the worker threads of a run: lookups read the entries loaded
/// at start, new outcomes are collected under a lock.
pub struct Cache {
    file: PathBuf,
    old: CacheFile,
    /// (path, mtime, size) → content hash, from the stamps of `old`.
    stamps: HashMap<(String, u64, u64), u64>,
    new: Mutex<HashMap<String, Entry>>,
    /// Keys of old entries this run used, with a fresher stamp if any.
    used: Mutex<HashMap<String, Option<Stamp>>>,
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

pub fn content_hash(content: &[u8]) -> u64 {
    xxh3_64(content)
}

pub fn entry_key(settings: u64, rel: &str, content_hash: u64) -> String {
    let k = xxh3_64(format!("{settings:016x}\0{rel}\0{content_hash:016x}").as_bytes());
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
        let stamps = old
            .entries
            .values()
            .filter_map(|e| e.stamp.map(|s| ((e.path.clone(), s.mtime_ns, s.size), s.hash)))
            .collect();
        Cache {
            file,
            old,
            stamps,
            new: Mutex::new(HashMap::new()),
            used: Mutex::new(HashMap::new()),
            hits: AtomicUsize::new(0),
            dirty: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The cached outcome and line count for this key.
    /// The cached outcome and line count for this key. `stamp` (with the
    /// content hash) replaces the entry's stamp when it is newer and
    /// trustworthy, so the next run need not read the file.
    pub fn get(&self, key: &str, stamp: Option<Stamp>) -> Option<(u64, FileOutcome)> {
        let e = self.old.entries.get(key)?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        let fresher = stamp.filter(|st| Some(*st) != e.stamp && st.trustworthy());
        if fresher.is_some() {
            self.dirty.store(true, Ordering::Relaxed);
        }
        self.used.lock().unwrap().insert(key.to_string(), fresher);
        Some((e.lines, e.outcome.clone()))
    }

    /// The content hash of the file at `path` if a cached entry saw it with
    /// this modification time and size.
    pub fn known_hash(&self, path: &str, stamp: &Stamp) -> Option<u64> {
        self.stamps.get(&(path.to_string(), stamp.mtime_ns, stamp.size)).copied()
    }

    /// Records a fresh outcome; `stamp` (with the content hash) lets later
    /// runs skip reading the file while it is unchanged.
    pub fn put(&self, key: String, path: &str, lines: u64, stamp: Option<Stamp>, outcome: &FileOutcome) {
        let stamp = stamp.filter(Stamp::trustworthy);
        let e = Entry { path: path.to_string(), lines, stamp, outcome: outcome.clone() };
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
            // Freeing thousands of entries takes milliseconds a pre-commit
            // run need not wait for.
            std::thread::spawn(move || drop(self));
            return Ok(());
        }
        let dir = self.file.parent().unwrap().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            let _ = std::fs::write(&ignore, "# Created by stackfit automatically.\n*\n");
        }
        let mut entries = self.new.into_inner().unwrap();
        let used = self.used.into_inner().unwrap();
        let touched: std::collections::HashSet<String> = entries
            .values()
            .map(|e| e.path.clone())
            .chain(used.keys().filter_map(|k| self.old.entries.get(k)).map(|e| e.path.clone()))
            .collect();
        for (k, mut e) in self.old.entries {
            if let Some(fresher) = used.get(&k) {
                if fresher.is_some() {
                    e.stamp = *fresher;
                }
                entries.insert(k, e);
            } else if !touched.contains(e.path.as_str()) {
                entries.insert(k, e);
            }
        }
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
