//! One run of `stackfit check`: configuration, walk, phase 1 in parallel,
//! phase 2, filtering, and the counters `--stats` prints.

use crate::cache::{Stamp, Stored};
use crate::config::{self, Config, ConfigSet, FailOn};
use crate::engine::project::{ProjectCtx, ProjectFile};
use crate::engine::rule::id_matches;
use crate::engine::suppress::Suppressions;
use crate::engine::{self, Engine, FileOutcome};
use crate::finding::{sort_findings, Finding, Role};
use crate::parse::Source;
use crate::walk::roles::RoleMap;
use crate::walk::{self, FileEntry, Skipped};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Default, Clone)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub no_default_excludes: bool,
    pub jobs: Option<usize>,
    pub stats: bool,
    pub no_cache: bool,
    /// Benchmark floor: walk, read and parse every file, run no rule.
    pub parse_only: bool,
    /// Findings below this confidence are dropped (default: the config's,
    /// else medium).
    pub min_confidence: Option<crate::finding::Confidence>,
}

#[derive(Debug, Default)]
pub struct Timings {
    pub config: Duration,
    pub walk: Duration,
    pub read: Duration,
    pub parse: Duration,
    pub rules: Duration,
    pub phase1_wall: Duration,
    pub project: Duration,
    pub cache_load: Duration,
    pub cache_save: Duration,
    /// (rule id, total time), slowest first.
    pub slowest_rules: Vec<(String, Duration)>,
    /// The files that took longest to parse and analyse (phase 1).
    pub slowest_files: Vec<(String, Duration)>,
}

pub struct ScanResult {
    pub root: PathBuf,
    pub engine: Engine,
    pub config: Config,
    /// Rule indices enabled by the base config and command line.
    pub enabled: Vec<bool>,
    pub findings: Vec<Finding>,
    pub files: usize,
    /// Files actually parsed (the rest passed the byte-level pre-check with
    /// nothing any enabled rule looks for).
    pub parsed: usize,
    /// Files whose phase-1 results came from the cache.
    pub cached: usize,
    /// Files of the project not named on the command line, read only for
    /// the facts the project-level rules need (pre-commit runs).
    pub context_files: usize,
    pub bytes: u64,
    pub lines: u64,
    pub skipped: Vec<Skipped>,
    /// Problems that did not stop the run, for stderr.
    pub warnings: Vec<String>,
    /// `path:line` of suppression comments that suppressed nothing.
    pub unused_suppressions: Vec<String>,
    pub timings: Timings,
    pub started: Instant,
    /// The fit profile, computed when a `fit/` rule is enabled.
    pub profile: Option<crate::profile::Profile>,
    /// Analysed files per code role.
    pub roles: BTreeMap<Role, usize>,
}

impl ScanResult {
    pub fn fail_on(&self, cli: Option<FailOn>) -> FailOn {
        cli.or(self.config.fail_on).unwrap_or(FailOn::Level(crate::finding::Severity::Warning))
    }
}

/// Which rules a config (plus command-line `--select`/`--ignore`) enables.
pub fn enabled_rules(engine: &Engine, config: &Config, select: &Option<Vec<String>>, ignore: &[String]) -> Vec<bool> {
    let select = select.as_ref().or(config.select.as_ref());
    engine
        .rules
        .iter()
        .map(|r| {
            let id = &r.meta.id;
            let selected = select.is_none_or(|s| s.iter().any(|p| id_matches(p, id)));
            let ignored = config.ignore.iter().chain(ignore).any(|p| id_matches(p, id));
            selected && !ignored
        })
        .collect()
}

/// Checks that every rule id or prefix named by configs and the command
/// line exists.
fn validate_ids(engine: &Engine, configs: &ConfigSet, opts: &ScanOptions) -> Result<(), String> {
    let known = |p: &str| engine.rules.iter().any(|r| id_matches(p, &r.meta.id));
    for c in &configs.configs {
        for (id, key) in c.named_rule_ids() {
            if !known(&id) {
                let file = c.files.last().map(|f| f.display().to_string()).unwrap_or_default();
                return Err(format!("{file}: key '{key}': unknown rule id or prefix '{id}'"));
            }
        }
    }
    for id in opts.select.iter().flatten().chain(&opts.ignore) {
        if !known(id) {
            return Err(format!("unknown rule id or prefix '{id}' (see `stackfit rules`)"));
        }
    }
    Ok(())
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The root of the project a partial run (file arguments) belongs to: the
/// directory of the config in force, else the nearest ancestor holding
/// `.git`, else the report root.
fn project_root(base: &Config, root: &Path) -> PathBuf {
    if !base.files.is_empty() {
        return base.dir.clone();
    }
    let mut d = Some(root);
    while let Some(dir) = d {
        if dir.join(".git").exists() {
            return dir.to_path_buf();
        }
        d = dir.parent();
    }
    root.to_path_buf()
}

/// The directory finding paths are relative to: the one directory given,
/// else the current directory.
pub fn report_root(paths: &[PathBuf]) -> PathBuf {
    if paths.len() == 1 && paths[0].is_dir() {
        absolute(&paths[0])
    } else {
        absolute(Path::new("."))
    }
}

pub fn load_config(opts: &ScanOptions, root: &Path) -> Result<Config, String> {
    // Discovery starts from the deepest directory holding every PATH, so the
    // order of file arguments (pre-commit passes them in any order) does not
    // decide which config is the base one.
    let dirs: Vec<PathBuf> = opts
        .paths
        .iter()
        .map(|p| {
            let a = absolute(p);
            if a.is_dir() {
                a
            } else {
                a.parent().map(Path::to_path_buf).unwrap_or_default()
            }
        })
        .collect();
    let mut start_dir = dirs.first().cloned().unwrap_or_else(|| root.to_path_buf());
    while !dirs.iter().all(|d| d.starts_with(&start_dir)) {
        match start_dir.parent() {
            Some(p) => start_dir = p.to_path_buf(),
            None => break,
        }
    }
    let mut base = Config::empty(root);
    if let Some(explicit) = &opts.config {
        let file = config::load_file(&absolute(explicit))
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{}: no [tool.stackfit] section", explicit.display()))?;
        base = base.merged_with(&file).map_err(|e| e.to_string())?;
    } else {
        for f in config::discover_chain(&start_dir).map_err(|e| e.to_string())? {
            base = base.merged_with(&f).map_err(|e| e.to_string())?;
        }
    }
    Ok(base)
}

/// Configs found in directories between the base config and each file.
fn nested_configs(base: &Config, files: &[FileEntry], explicit_config: bool) -> Result<ConfigSet, String> {
    let mut set = vec![base.clone()];
    if explicit_config {
        return Ok(ConfigSet { configs: set });
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut seen: std::collections::HashSet<&Path> = std::collections::HashSet::new();
    for f in files {
        let mut d = f.path.parent();
        while let Some(dir) = d {
            // A directory seen before had its ancestors added then.
            if !dir.starts_with(&base.dir) || dir == base.dir || !seen.insert(dir) {
                break;
            }
            dirs.push(dir.to_path_buf());
            d = dir.parent();
        }
    }
    dirs.sort_by_key(|d| d.components().count());
    for d in dirs {
        if let Some(file) = config::config_in_dir(&d).map_err(|e| e.to_string())? {
            let parent = {
                let tmp = ConfigSet { configs: set.clone() };
                tmp.for_path(&d).clone()
            };
            set.push(parent.merged_with(&file).map_err(|e| e.to_string())?);
        }
    }
    set.sort_by_key(|c| c.dir.components().count());
    Ok(ConfigSet { configs: set })
}

fn exclude_set(c: &Config) -> Result<globset::GlobSet, String> {
    let globs: Vec<String> = c
        .exclude
        .iter()
        .map(|(dir, g)| {
            // Anchored globs are relative to their config's directory.
            match dir.strip_prefix(&c.dir) {
                Ok(rel) if !rel.as_os_str().is_empty() && g.contains('/') => {
                    format!("{}/{}", rel.to_string_lossy(), g.trim_start_matches('/'))
                }
                _ => g.clone(),
            }
        })
        .collect();
    walk::compile_globs(&globs)
}

/// The code roles of a run: the `[roles]` globs of every config (deeper
/// configs first, so they win), and the front-end packages among the
/// candidate manifests the walk kept.
fn role_map(configs: &ConfigSet, project: &Path, manifests: &[PathBuf]) -> Result<RoleMap, String> {
    let mut entries: Vec<&(PathBuf, Role, String)> = configs.configs.iter().flat_map(|c| &c.roles).collect();
    entries.sort_by(|a, b| b.0.components().count().cmp(&a.0.components().count()).then(a.cmp(b)));
    entries.dedup();
    let mut overrides: Vec<(Role, globset::GlobSetBuilder)> = Vec::new();
    for (dir, role, glob) in entries {
        let prefix = dir.strip_prefix(project).map(|p| walk::rel_path(Path::new(""), p)).unwrap_or_default();
        let glob = if prefix.is_empty() { glob.clone() } else { format!("{prefix}/{}", glob.trim_start_matches('/')) };
        let g = globset::Glob::new(&glob).map_err(|e| format!("roles: invalid glob '{glob}': {e}"))?;
        match overrides.last_mut() {
            Some((r, b)) if r == role => {
                b.add(g);
            }
            _ => {
                let mut b = globset::GlobSetBuilder::new();
                b.add(g);
                overrides.push((*role, b));
            }
        }
    }
    let overrides = overrides
        .into_iter()
        .map(|(r, b)| b.build().map(|s| (r, s)).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let mut map = RoleMap { project: project.to_path_buf(), overrides, ..Default::default() };
    for m in manifests.iter().filter(|m| m.file_name().is_some_and(|n| n == "package.json")) {
        let Some(dir) = m.parent() else { continue };
        let rel = walk::rel_path(project, dir);
        let rel = if rel.is_empty() { rel } else { format!("{rel}/") };
        let front = std::fs::read_to_string(m).is_ok_and(|t| walk::roles::is_frontend_package(&t));
        if front {
            map.frontends.push(rel);
        } else {
            map.backends.push(rel);
        }
    }
    map.frontends.sort();
    map.backends.sort();
    Ok(map)
}

struct Analysed {
    entry_idx: usize,
    outcome: Option<FileOutcome>,
    lines: u64,
    read: Duration,
    warning: Option<String>,
    skipped: Option<String>,
    cached: bool,
}

/// What every file of a run is analysed with.
struct Job<'a> {
    engine: &'a Engine,
    enabled: &'a [bool],
    default_excludes: bool,
    stats: bool,
    cache: Option<&'a crate::cache::Cache>,
    settings_key: u64,
    /// A file not named on the command line, read for facts only.
    context: bool,
    parse_only: bool,
    roles: &'a RoleMap,
}

pub fn scan(opts: &ScanOptions) -> Result<ScanResult, String> {
    let started = Instant::now();
    let mut timings = Timings::default();
    let paths = if opts.paths.is_empty() { vec![PathBuf::from(".")] } else { opts.paths.clone() };
    for p in &paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    let root = report_root(&paths);
    let base = load_config(opts, &root)?;
    let engine = crate::registry::engine(&base.rules_dirs)?;
    timings.config = started.elapsed();

    // The cache loads on a thread of its own while the project is walked.
    let cache_root = project_root(&base, &root);
    let cache_loading = (!opts.no_cache && !opts.parse_only).then(|| {
        let dir = cache_root.clone();
        std::thread::spawn(move || crate::cache::Cache::open(&dir))
    });
    let t = Instant::now();
    let default_excludes = base.default_excludes && !opts.no_default_excludes;
    let excludes = exclude_set(&base)?;
    let abs_paths: Vec<PathBuf> = paths.iter().map(|p| absolute(p)).collect();
    let jobs = opts.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)).max(1);
    let walk_opts = |paths: &[PathBuf]| {
        walk::walk(&walk::WalkOptions {
            paths,
            root: &base.dir,
            excludes: &excludes,
            default_excludes,
            max_file_size: base.max_file_size,
            threads: jobs,
            // The walk the fit profile's own would repeat: with the default
            // excludes, both skip the same directories.
            keep: default_excludes.then_some(crate::profile::apps::maybe_manifest as fn(&str, &str) -> bool),
        })
    };
    let walked = walk_opts(&abs_paths);
    let mut warnings = walked.warnings;
    let mut skipped = walked.skipped;
    // The walker's paths are relative to the config directory; findings are
    // relative to the report root.
    let mut files = walked.files;
    let mut manifests = walked.kept;
    for f in &mut files {
        f.rel = walk::rel_path(&root, &f.path);
    }
    for s in &mut skipped {
        s.path = walk::rel_path(&root, &base.dir.join(&s.path));
    }
    // Given files (as pre-commit passes them), the project-level rules still
    // need the rest of the project: its files join as context, read for
    // facts only (or taken from the cache), and nothing is reported in them.
    let named_count = files.len();
    let partial = abs_paths.iter().any(|p| p.is_file());
    if partial {
        let proj = project_root(&base, &root);
        let named: std::collections::HashSet<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
        let rest_walk = walk_opts(std::slice::from_ref(&proj));
        manifests = rest_walk.kept;
        let mut rest = rest_walk.files;
        rest.retain(|f| !named.contains(&f.path));
        for f in &mut rest {
            f.rel = walk::rel_path(&root, &f.path);
        }
        files.extend(rest);
    }
    timings.walk = t.elapsed();

    let configs = nested_configs(&base, &files, opts.config.is_some())?;
    validate_ids(&engine, &configs, opts)?;
    let enabled_per_config: Vec<Vec<bool>> =
        configs.configs.iter().map(|c| enabled_rules(&engine, c, &opts.select, &opts.ignore)).collect();
    // Fit findings point at manifests, which a run on named source files
    // (pre-commit) never reports: the profile would cost a fact scan of the
    // whole project for nothing. `stackfit fit` and full runs have it. Named
    // files still run every rule, so their cached results stay complete.
    let project_enabled: Vec<Vec<bool>> = enabled_per_config
        .iter()
        .map(|e| {
            e.iter().zip(&engine.rules).map(|(on, r)| *on && !(partial && r.meta.id.starts_with("fit/"))).collect()
        })
        .collect();
    let roles = role_map(&configs, &project_root(&base, &root), &manifests)?;
    let nested_excludes: Vec<Option<globset::GlobSet>> = configs
        .configs
        .iter()
        .enumerate()
        .map(|(i, c)| if i == 0 { Ok(None) } else { exclude_set(c).map(Some) })
        .collect::<Result<_, _>>()?;
    let t = Instant::now();
    let cache = cache_loading.map(|h| h.join().unwrap_or_else(|_| crate::cache::Cache::open(&cache_root)));
    timings.cache_load = t.elapsed();
    let settings_keys: Vec<u64> = configs
        .configs
        .iter()
        .zip(&enabled_per_config)
        .map(|(c, e)| {
            let bits: String = e.iter().map(|b| if *b { '1' } else { '0' }).collect();
            crate::cache::settings_key(&[
                &format!("{c:?}"),
                &bits,
                &engine.user_rules_hash.to_string(),
                &default_excludes.to_string(),
                // Front-end packages decide roles, so results depend on them.
                &format!("{:?}{:?}", roles.frontends, roles.backends),
            ])
        })
        .collect();

    // Largest files first so one big file does not finish last alone.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| files[b].size.cmp(&files[a].size).then(a.cmp(&b)));

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(16 * 1024 * 1024)
        .build()
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    let stats = opts.stats;
    let analysed: Vec<Analysed> = pool.install(|| {
        order
            .par_iter()
            .map(|&i| {
                let entry = &files[i];
                let ci = configs.index_for_path(&entry.path);
                if let Some(Some(ex)) = nested_excludes.get(ci) {
                    let rel = walk::rel_path(&configs.configs[ci].dir, &entry.path);
                    if ex.is_match(&rel) {
                        return Analysed {
                            entry_idx: i,
                            outcome: None,
                            lines: 0,
                            read: Duration::ZERO,
                            warning: None,
                            skipped: Some("excluded by config".into()),
                            cached: false,
                        };
                    }
                }
                let context = i >= named_count;
                let job = Job {
                    engine: &engine,
                    // Context files run no rule, only the fact extractors
                    // that the enabled rules need.
                    enabled: if context { &project_enabled[ci] } else { &enabled_per_config[ci] },
                    default_excludes,
                    stats,
                    cache: cache.as_ref(),
                    settings_key: settings_keys[ci],
                    context,
                    parse_only: opts.parse_only,
                    roles: &roles,
                };
                analyse_entry(&job, entry, i)
            })
            .collect()
    });
    timings.phase1_wall = t.elapsed();

    let mut findings = Vec::new();
    let mut project_files = Vec::new();
    let mut suppressions: SuppressionsByPath = HashMap::new();
    let mut per_rule: HashMap<usize, Duration> = HashMap::new();
    let mut slowest_files: Vec<(String, Duration)> = Vec::new();
    let mut bytes = 0;
    let mut lines = 0;
    let mut analysed_files = 0;
    let mut parsed = 0;
    let mut cached = 0;
    let mut context_files = 0;
    let mut roles_seen: BTreeMap<Role, usize> = BTreeMap::new();
    for a in analysed {
        let entry = &files[a.entry_idx];
        timings.read += a.read;
        if a.entry_idx >= named_count {
            // Context file: only its facts matter.
            if let Some(out) = a.outcome {
                context_files += 1;
                project_files.push(ProjectFile {
                    rel: entry.rel.clone(),
                    path: entry.path.clone(),
                    lang: entry.lang,
                    role: out.role,
                    facts: out.facts,
                });
            }
            continue;
        }
        cached += usize::from(a.cached);
        if let Some(w) = a.warning {
            warnings.push(format!("{}: {w}", entry.rel));
        }
        if let Some(s) = a.skipped {
            skipped.push(Skipped { path: entry.rel.clone(), reason: s });
        }
        let Some(out) = a.outcome else { continue };
        analysed_files += 1;
        parsed += usize::from(!out.prefiltered && !a.cached);
        bytes += entry.size;
        lines += a.lines;
        timings.parse += out.stats.parse;
        timings.rules += out.stats.rules;
        if stats {
            slowest_files.push((entry.rel.clone(), out.stats.parse + out.stats.rules));
        }
        for (r, d) in &out.stats.per_rule {
            *per_rule.entry(*r).or_default() += *d;
        }
        if let Some(e) = out.error {
            warnings.push(format!("{}: {e}", entry.rel));
        }
        findings.extend(out.findings);
        if !out.suppressions.directives.is_empty() {
            suppressions.insert(entry.rel.clone(), (out.suppressions, out.used_suppressions));
        }
        *roles_seen.entry(out.role).or_default() += 1;
        project_files.push(ProjectFile {
            rel: entry.rel.clone(),
            path: entry.path.clone(),
            lang: entry.lang,
            role: out.role,
            facts: out.facts,
        });
    }
    project_files.sort_by(|a, b| a.rel.cmp(&b.rel));

    // Phase 1's results are final: the cache is written while phase 2 runs
    // (they share the facts).
    let cache_saving = cache.map(|c| std::thread::spawn(move || c.save()));
    let t = Instant::now();
    let enabled = project_enabled[0].clone();
    let search: Vec<PathBuf> = if partial {
        vec![project_root(&base, &root)]
    } else {
        abs_paths.iter().filter(|p| p.is_dir()).cloned().collect()
    };
    let phase = ProjectPhase {
        engine: &engine,
        root: &root,
        files: &project_files,
        config: &base,
        enabled: &enabled,
        search: &search,
        excludes: &excludes,
        manifests: default_excludes.then_some(manifests.as_slice()),
        roles: &roles,
    };
    let profile = project_phase(&phase, &mut findings, &mut suppressions);
    void_by_symbols(&mut findings, &project_files, &project_root(&base, &root));
    timings.project += t.elapsed();
    if partial {
        // Report only in the files named on the command line.
        let named: std::collections::HashSet<&str> = files[..named_count].iter().map(|f| f.rel.as_str()).collect();
        findings.retain(|f| named.contains(f.path.as_str()));
    }
    // Waits for the cache writer started before phase 2.
    let t = Instant::now();
    if let Some(Err(e)) = cache_saving.map(|h| h.join().unwrap_or_else(|_| Err("the writer panicked".into()))) {
        warnings.push(format!("cannot write the result cache: {e}"));
    }
    timings.cache_save = t.elapsed();

    // Per-path ignores and severity overrides of the config governing each file.
    findings.retain(|f| {
        let c = configs.for_path(&root.join(&f.path));
        !c.per_path_ignores.iter().any(|(dir, glob, ids)| {
            let rel = walk::rel_path(dir, &root.join(&f.path));
            globset::Glob::new(glob).map(|g| g.compile_matcher().is_match(&rel)).unwrap_or(false)
                && ids.iter().any(|p| id_matches(p, &f.rule_id))
        })
    });
    for f in &mut findings {
        let c = configs.for_path(&root.join(&f.path));
        // The most specific override wins: a full id over a prefix.
        if let Some((_, s)) = c.severity.iter().filter(|(p, _)| id_matches(p, &f.rule_id)).max_by_key(|(p, _)| p.len())
        {
            f.severity = *s;
        }
    }
    let min_confidence = opts.min_confidence.or(base.min_confidence).unwrap_or(crate::finding::Confidence::Medium);
    findings.retain(|f| f.confidence >= min_confidence);
    sort_findings(&mut findings);

    let mut unused_suppressions = Vec::new();
    for (path, (s, used)) in &suppressions {
        for (i, d) in s.directives.iter().enumerate() {
            if !used.contains(&i) {
                unused_suppressions.push(format!("{path}:{}", d.line));
            }
        }
    }
    unused_suppressions.sort();

    let mut slowest: Vec<(String, Duration)> = per_rule
        .into_iter()
        .map(|(i, d)| {
            let name = match i {
                crate::engine::DECLARATIVE_STAT => "(declarative rules)".to_string(),
                i if i < engine.rules.len() => engine.rules[i].meta.id.clone(),
                i => format!(
                    "(facts for {})",
                    engine
                        .extractor(crate::engine::EXTRACTOR_STAT - i)
                        .map(|x| x.consumers.join(", "))
                        .unwrap_or_default()
                ),
            };
            (name, d)
        })
        .collect();
    slowest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    slowest.truncate(10);
    timings.slowest_rules = slowest;
    slowest_files.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    slowest_files.truncate(5);
    timings.slowest_files = slowest_files;
    skipped.sort();
    warnings.sort();

    Ok(ScanResult {
        root,
        engine,
        config: base,
        enabled,
        findings,
        files: analysed_files,
        parsed,
        cached,
        context_files,
        bytes,
        lines,
        skipped,
        warnings,
        unused_suppressions,
        timings,
        started,
        profile,
        roles: roles_seen,
    })
}

/// Drops the findings that a symbol some file provides voids (a guard
/// wrapper defined in another module), and clears the conditions of the
/// rest.
pub fn void_by_symbols(findings: &mut Vec<Finding>, files: &[ProjectFile], project: &Path) {
    if findings.iter().all(|f| f.unless.is_empty()) {
        return;
    }
    let mut provided: std::collections::HashSet<String> =
        files.iter().flat_map(|f| f.facts.provides.iter().cloned()).collect();
    if findings.iter().any(|f| f.unless.iter().any(|s| s.starts_with(crate::engine::facts::NPM_SYMBOL))) {
        provided.extend(npm_symbols(files, project));
    }
    findings.retain(|f| !f.unless.iter().any(|s| provided.contains(s.as_str())));
    for f in findings.iter_mut() {
        f.unless.clear();
    }
}

/// The `npm:<name>>=<k>` symbols (see `facts::NPM_SYMBOL`) of the
/// `package.json` files above the project's JavaScript files: a dependency
/// provides `>=k` up to the smallest major version any of them declares.
fn npm_symbols(files: &[ProjectFile], project: &Path) -> Vec<String> {
    let mut dirs: std::collections::BTreeSet<&Path> = std::collections::BTreeSet::new();
    for f in files.iter().filter(|f| f.lang.is_js_family()) {
        let mut d = f.path.parent();
        // Manifests inside the project only: never a folder above it.
        while let Some(dir) = d.filter(|d| d.starts_with(project)) {
            if !dirs.insert(dir) {
                break;
            }
            d = dir.parent();
        }
    }
    let mut lowest: BTreeMap<String, Option<u64>> = BTreeMap::new();
    for dir in dirs {
        let path = dir.join("package.json");
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Ok(pkg) = crate::profile::manifests::parse_package_json("package.json", &text) else { continue };
        for d in pkg.deps {
            let major = crate::profile::manifests::version_of_spec(&d.spec).and_then(|v| v.major());
            let e = lowest.entry(d.name).or_insert(major);
            *e = match (*e, major) {
                (Some(a), Some(b)) => Some(a.min(b)),
                _ => None,
            };
        }
    }
    lowest
        .into_iter()
        .filter_map(|(name, m)| m.map(|m| (name, m.min(64))))
        .flat_map(|(name, m)| (0..=m).map(move |k| format!("{}{name}>={k}", crate::engine::facts::NPM_SYMBOL)))
        .collect()
}

/// Decodes a source file's bytes as a scan does. Binary content (a NUL byte
/// in the first 8 KiB) and invalid UTF-8 are not analysed: the error is the
/// warning that names why.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return Err("binary content (NUL bytes); not analysed".into());
    }
    String::from_utf8(bytes)
        .map_err(|e| format!("not valid UTF-8 (byte {}); not analysed", e.utf8_error().valid_up_to()))
}

/// Suppression directives per file, with the indices of those used.
pub type SuppressionsByPath = HashMap<String, (Suppressions, Vec<usize>)>;

/// What phase 2 runs over.
pub struct ProjectPhase<'a> {
    pub engine: &'a Engine,
    pub root: &'a Path,
    pub files: &'a [ProjectFile],
    pub config: &'a Config,
    pub enabled: &'a [bool],
    /// Folders the fit profile searches for manifests and deployment files.
    pub search: &'a [PathBuf],
    pub excludes: &'a globset::GlobSet,
    /// The candidate manifests the walk of `search` already found (`None`:
    /// the profile walks for them).
    pub manifests: Option<&'a [PathBuf]>,
    pub roles: &'a RoleMap,
}

/// Phase 2: NestJS services reached from controllers of other files (the
/// conditional findings of phase 1 whose condition the project meets), the
/// fit profile (when a fit rule runs), then the project rules, with their
/// suppressions and fingerprints. Adds to `findings`; returns the profile.
pub fn project_phase(
    p: &ProjectPhase,
    findings: &mut Vec<Finding>,
    suppressions: &mut SuppressionsByPath,
) -> Option<crate::profile::Profile> {
    let reached = crate::model::nest::services::resolve(p.files);
    crate::model::nest::services::merge(reached, findings, |path, directive| {
        if let Some((_, used)) = suppressions.get_mut(path) {
            used.push(directive);
        }
    });
    let fit_on = p.engine.rules.iter().zip(p.enabled).any(|(r, on)| *on && r.meta.id.starts_with("fit/"));
    let deployment_on = p.engine.rules.iter().zip(p.enabled).any(|(r, on)| *on && r.meta.has_tag("deployment"));
    let profile = fit_on.then(|| {
        crate::profile::build(&crate::profile::ProfileInput {
            root: p.root,
            search: p.search,
            excludes: p.excludes,
            manifests: p.manifests,
            files: p.files,
            findings,
        })
    });
    // The web-server and proxy configs the project ships, for rules about
    // headers: from the profile when there is one, else read on their own
    // (a few small files, also on a pre-commit run).
    let proxy_headers = match &profile {
        Some(prof) => prof.proxy_headers.clone(),
        None if deployment_on => match p.manifests {
            Some(paths) => crate::profile::apps::read_proxy_headers(p.root, paths),
            None => crate::profile::apps::gather(p.root, p.search, p.excludes).proxy_headers,
        },
        None => Vec::new(),
    };
    let extras: Vec<&dyn std::any::Any> = profile.iter().map(|p| p as &dyn std::any::Any).collect();
    let ctx = ProjectCtx {
        root: p.root,
        files: p.files,
        config: p.config,
        findings,
        extras: &extras,
        proxy_headers: &proxy_headers,
        memo: Default::default(),
        roles: p.roles,
    };
    let project_findings = p.engine.project(&ctx, p.enabled);
    let mut by_file: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    for f in project_findings {
        by_file.entry(f.path.clone()).or_default().push(f);
    }
    for (path, mut fs) in by_file {
        if let Some((s, used)) = suppressions.get_mut(&path) {
            let (kept, u) = engine::apply_suppressions(fs, s);
            used.extend(u);
            fs = kept;
        }
        let src = std::fs::read(p.root.join(&path)).ok().and_then(|b| String::from_utf8(b).ok()).map(Source::new);
        sort_findings(&mut fs);
        engine::assign_fingerprints(&mut fs, src.as_ref());
        findings.extend(fs);
    }
    profile
}

fn analyse_entry(job: &Job, entry: &FileEntry, idx: usize) -> Analysed {
    let mut a = Analysed {
        entry_idx: idx,
        outcome: None,
        lines: 0,
        read: Duration::ZERO,
        warning: None,
        skipped: None,
        cached: false,
    };
    let t = Instant::now();
    let hit = |a: &mut Analysed, (lines, stored): (u64, Stored)| {
        a.lines = lines;
        a.cached = true;
        match stored {
            Stored::Outcome(outcome) => a.outcome = Some(outcome),
            Stored::Skipped(why) => {
                if !job.context {
                    a.skipped = Some(why);
                }
            }
        }
    };
    // An unchanged file (same modification time and size as when it was
    // cached) is not even read.
    let mut stamp = job.cache.and(entry.mtime_ns).map(|mtime_ns| Stamp { mtime_ns, size: entry.size, hash: 0 });
    if let (Some(cache), Some(st)) = (job.cache, &stamp) {
        let key = cache.known_hash(&entry.rel, st).map(|h| crate::cache::entry_key(job.settings_key, &entry.rel, h));
        if let Some(found) = key.and_then(|k| cache.get(k, None)) {
            hit(&mut a, found);
            a.read = t.elapsed();
            return a;
        }
    }
    let bytes = match std::fs::read(&entry.path) {
        Ok(b) => b,
        Err(e) => {
            if !job.context {
                a.warning = Some(format!("cannot read: {e}"));
            }
            return a;
        }
    };
    a.read = t.elapsed();
    let key = job.cache.map(|_| {
        let hash = crate::cache::content_hash(&bytes);
        // The file may have changed between the stat and the read.
        stamp = stamp.filter(|st| st.size == bytes.len() as u64).map(|st| Stamp { hash, ..st });
        crate::cache::entry_key(job.settings_key, &entry.rel, hash)
    });
    if let (Some(cache), Some(key)) = (job.cache, key) {
        if let Some(found) = cache.get(key, stamp) {
            hit(&mut a, found);
            return a;
        }
    }
    let report = |a: &mut Analysed, w: String| {
        if !job.context {
            a.warning = Some(w);
        }
    };
    let text = match decode(bytes) {
        Ok(t) => t,
        Err(w) => {
            report(&mut a, w);
            return a;
        }
    };
    let generated = (job.default_excludes && entry.lang.is_js_family()).then(|| walk::generated_code(&text)).flatten();
    if let Some(why) = generated {
        let why = why.to_string();
        if let (Some(cache), Some(key)) = (job.cache, key) {
            cache.put(key, &entry.rel, 0, stamp, Stored::Skipped(why.clone()));
        }
        if !job.context {
            a.skipped = Some(why);
        }
        return a;
    }
    let src = Source::new(text);
    a.lines = src.text.lines().count() as u64;
    let role = job.roles.role_at(&entry.path, Some(entry.lang), Some(&src.text));
    if job.parse_only {
        let t = Instant::now();
        let mut outcome = FileOutcome::default();
        if let Err(e) = crate::parse::parse(entry.lang, &src.text, job.engine.parse_budget) {
            outcome.error = Some(format!("{e:?}"));
        }
        outcome.stats.parse = t.elapsed();
        a.outcome = Some(outcome);
        return a;
    }
    let outcome = if job.context {
        job.engine.analyse_context(&entry.rel, entry.lang, &src, job.enabled, role)
    } else {
        job.engine.analyse_role(&entry.rel, entry.lang, &src, job.enabled, job.stats, role)
    };
    // Facts-only outcomes of context files are not complete results.
    if let (Some(cache), Some(key), false, None) = (job.cache, key, job.context, &outcome.error) {
        cache.put(key, &entry.rel, a.lines, stamp, Stored::Outcome(outcome.clone()));
    }
    a.outcome = Some(outcome);
    a
}
