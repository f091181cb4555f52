//! The result cache: phase-1 outcomes per file, keyed by the file's content
//! hash, its path, the tool build, the rule set and the config that governs
//! it. Stored in `.stackfit_cache/` under the project root (with a
//! `.gitignore` inside, as ruff does), written atomically so concurrent runs
//! never see a torn file, and ignored (then rewritten) when unreadable.

use crate::engine::FileOutcome;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use xxhash_rust::xxh3::xxh3_64;

/// Hash of the sources this binary was built from (see build.rs), so a
/// development build never reuses results of another build.
const BUILD_ID: &str = env!("STACKFIT_BUILD_ID");

pub const CACHE_DIR: &str = ".stackfit_cache";

/// The cache file: postcard (a compact binary serde format), because a
/// pre-commit run loads every file's facts and JSON cost it tens of
/// milliseconds. Values whose serde form is not self-contained (findings,
/// with their flattened span) are embedded as JSON strings ([`crate::finding::as_json`]).
const CACHE_FILE: &str = "results-v3.bin";

#[derive(Default, Serialize, Deserialize)]
struct CacheFile {
    build: String,
    /// Entry key (see [`entry_key`]) → result.
    entries: HashMap<u64, Entry>,
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
    stamp: Option<Stamp>,
    result: Stored,
}

/// What phase 1 made of a file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Stored {
    /// Analysed.
    Outcome(FileOutcome),
    /// Skipped without parsing (minified or bundled code): the reason. Kept
    /// so that a warm run does not read multi-megabyte bundles again.
    Skipped(String),
}

/// A file's modification time (ns since the epoch), size and content hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub mtime_ns: u64,
    pub size: u64,
    pub hash: u64,
}

impl Stamp {
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
    /// path → (mtime, size, content hash) of its entries in `old`.
    stamps: HashMap<String, Vec<Stamp>>,
    new: Mutex<HashMap<u64, Entry>>,
    /// Keys of old entries this run used, with a fresher stamp if any.
    used: Mutex<HashMap<u64, Option<Stamp>>>,
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

pub fn entry_key(settings: u64, rel: &str, content_hash: u64) -> u64 {
    xxh3_64(format!("{settings:016x}\0{rel}\0{content_hash:016x}").as_bytes())
}

impl Cache {
    /// Opens the cache of the project at `root`; a missing, unreadable,
    /// corrupt or foreign cache file starts empty.
    pub fn open(root: &Path) -> Cache {
        let dir = root.join(CACHE_DIR);
        let file = dir.join(CACHE_FILE);
        let old = std::fs::read(&file)
            .ok()
            .and_then(|bytes| postcard::from_bytes::<CacheFile>(&bytes).ok())
            .filter(|c| c.build == BUILD_ID)
            .unwrap_or_default();
        let mut stamps: HashMap<String, Vec<Stamp>> = HashMap::new();
        for e in old.entries.values() {
            if let Some(s) = e.stamp {
                stamps.entry(e.path.clone()).or_default().push(s);
            }
        }
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

    /// The cached result and line count for this key. `stamp` (with the
    /// content hash) replaces the entry's stamp when it is newer and
    /// trustworthy, so the next run need not read the file.
    pub fn get(&self, key: u64, stamp: Option<Stamp>) -> Option<(u64, Stored)> {
        let e = self.old.entries.get(&key)?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        let fresher = stamp.filter(|st| Some(*st) != e.stamp && st.trustworthy());
        if fresher.is_some() {
            self.dirty.store(true, Ordering::Relaxed);
        }
        self.used.lock().unwrap().insert(key, fresher);
        Some((e.lines, e.result.clone()))
    }

    /// The content hash of the file at `path` if a cached entry saw it with
    /// this modification time and size.
    pub fn known_hash(&self, path: &str, stamp: &Stamp) -> Option<u64> {
        self.stamps.get(path)?.iter().find(|s| s.mtime_ns == stamp.mtime_ns && s.size == stamp.size).map(|s| s.hash)
    }

    /// Records a fresh result; `stamp` (with the content hash) lets later
    /// runs skip reading the file while it is unchanged.
    pub fn put(&self, key: u64, path: &str, lines: u64, stamp: Option<Stamp>, result: Stored) {
        let stamp = stamp.filter(Stamp::trustworthy);
        let e = Entry { path: path.to_string(), lines, stamp, result };
        self.new.lock().unwrap().insert(key, e);
        self.dirty.store(true, Ordering::Relaxed);
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    /// Writes the cache: this run's entries plus the old entries of files
    /// this run did not look at (a pre-commit run on three files keeps the
    /// rest). Atomic: written to a temporary file, then renamed. Callers
    /// may run it on a thread of its own: nothing else reads the cache then.
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
        let bytes = postcard::to_stdvec(&data).map_err(|e| format!("{}: {e}", self.file.display()))?;
        // Entries of older formats would only take room.
        let _ = std::fs::remove_file(dir.join("results-v1.json"));
        let tmp = dir.join(format!(".{CACHE_FILE}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            std::fs::rename(&tmp, &self.file)
        };
        let written = write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", self.file.display())
        });
        std::thread::spawn(move || drop(data));
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::django::models::DjangoFacts;
    use crate::model::django::settings::SettingsFacts;
    use crate::model::nest::services::NestFacts;
    use crate::model::node::facts::NodeFacts;
    use crate::parse::{Lang, Source};
    use crate::profile::signals::FitFacts;

    /// Every fixture file's phase-1 result survives the cache's encoding
    /// unchanged: facts of every kind (Django settings and models, Node
    /// apps, NestJS services with their conditional findings, fit signals),
    /// findings, suppressions, and skipped files.
    #[test]
    fn every_fixture_result_round_trips_through_the_cache_format() {
        let engine = crate::registry::engine(&[]).unwrap();
        let enabled = vec![true; engine.rules.len()];
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if Lang::from_path(&p).is_some() {
                    files.push(p);
                }
            }
        }
        files.sort();
        assert!(files.len() > 100, "fixtures not found under {}", root.display());
        let mut entries = HashMap::new();
        let mut expectations = HashMap::new();
        let mut kinds = std::collections::BTreeSet::new();
        for (i, p) in files.iter().enumerate() {
            let rel = p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            let src = Source::new(std::fs::read_to_string(p).unwrap());
            let mut out = engine.analyse(&rel, Lang::from_path(p).unwrap(), &src, &enabled, false);
            out.stats = Default::default(); // not stored
            let expected = as_reported(&out);
            let f = &out.facts;
            for (kind, present) in [
                ("settings", f.get::<SettingsFacts>().is_some()),
                ("models", f.get::<DjangoFacts>().is_some()),
                ("node", f.get::<NodeFacts>().is_some()),
                ("fit", f.get::<FitFacts>().is_some()),
                ("nest-conditional", f.get::<NestFacts>().is_some_and(|n| !n.conditional.is_empty())),
                ("findings", !out.findings.is_empty()),
            ] {
                if present {
                    kinds.insert(kind);
                }
            }
            let stamp = Some(Stamp { mtime_ns: i as u64, size: 7, hash: u64::MAX - i as u64 });
            expectations.insert(i as u64, expected);
            entries.insert(i as u64, Entry { path: rel, lines: 3, stamp, result: Stored::Outcome(out) });
        }
        entries.insert(
            u64::MAX,
            Entry { path: "a.min.js".into(), lines: 0, stamp: None, result: Stored::Skipped("minified".into()) },
        );
        assert_eq!(kinds.len(), 6, "the fixtures should exercise every kind of fact: {kinds:?}");
        let data = CacheFile { build: BUILD_ID.into(), entries };
        let bytes = postcard::to_stdvec(&data).unwrap();
        let back: CacheFile = postcard::from_bytes(&bytes).expect("decodes");
        assert_eq!(back.entries.len(), data.entries.len());
        for (k, e) in &data.entries {
            let b = &back.entries[k];
            assert_eq!((&b.path, b.lines, b.stamp), (&e.path, e.lines, e.stamp));
            let expected = match expectations.get(k) {
                Some(x) => format!("{x:?}"),
                None => format!("{:?}", e.result),
            };
            // Facts come back encoded, decoded when first read.
            let got = match &b.result {
                Stored::Outcome(o) => {
                    let Stored::Outcome(orig) = &e.result else { unreachable!() };
                    let mut o = o.clone();
                    o.facts = o.facts.decoded_like(&orig.facts).into();
                    Stored::Outcome(o)
                }
                s => s.clone(),
            };
            assert_eq!(format!("{got:?}"), expected, "{}", e.path);
        }
    }

    /// Findings are stored as reports show them (JSON: lines and columns,
    /// no byte offsets, which nothing after phase 1 reads); facts keep
    /// their byte offsets.
    fn as_reported(out: &FileOutcome) -> Stored {
        fn strip(f: &mut crate::finding::Finding) {
            let zero = |s: &mut crate::finding::Span| (s.start_byte, s.end_byte) = (0, 0);
            zero(&mut f.span);
            f.related.iter_mut().for_each(|l| zero(&mut l.span));
            if let Some(fix) = &mut f.fix {
                fix.edits.iter_mut().for_each(|e| zero(&mut e.span));
            }
        }
        let mut out = out.clone();
        out.findings.iter_mut().for_each(strip);
        let mut facts = (*out.facts).clone();
        if let Some(n) = facts.get_mut::<NestFacts>() {
            n.conditional.iter_mut().for_each(|c| strip(&mut c.finding));
        }
        out.facts = facts.into();
        Stored::Outcome(out)
    }

    #[test]
    fn a_corrupt_or_truncated_cache_file_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(CACHE_DIR)).unwrap();
        for bytes in [&b""[..], b"{ not json", &[0xff; 64], &[0x05, b'a', b'b']] {
            std::fs::write(dir.path().join(CACHE_DIR).join(CACHE_FILE), bytes).unwrap();
            assert!(Cache::open(dir.path()).old.entries.is_empty());
        }
    }
}
