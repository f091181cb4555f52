//! The fit profile: per application found in the repository, its stack,
//! framework and version, how it is served, the libraries that signal its
//! workload, and the workload signals counted in its code, with locations.
//! The `fit/` rules (src/rules/fit/) judge each application from it.
//!
//! - `signals*.rs`: phase 1, per-file signals (a fact extractor);
//! - `manifests.rs`, `deploy.rs`: dependency manifests, lock files and
//!   deployment files, read in phase 2;
//! - `apps.rs`: discovery of applications and attribution of files;
//! - `catalog.rs`: which libraries mean what;
//! - `render.rs`: the text form `stackfit fit` prints.

pub mod apps;
pub mod catalog;
pub mod deploy;
pub mod manifests;
pub mod render;
pub mod signals;
pub mod signals_js;
pub mod signals_py;

use crate::engine::project::ProjectFile;
use crate::finding::{Finding, Location, Span};
use crate::parse::Source;
use apps::{Candidate, Found};
use catalog::LibKind;
use deploy::Model;
use manifests::{Dependency, Version};
use serde::Serialize;
use signals::SignalKind;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The fit profile's phase-1 extractor: workload signals of every file.
pub const EXTRACTORS: &[crate::engine::facts::FactExtractor] = &[crate::engine::facts::FactExtractor {
    consumers: &["fit/"],
    langs: &[
        crate::parse::Lang::Python,
        crate::parse::Lang::JavaScript,
        crate::parse::Lang::TypeScript,
        crate::parse::Lang::Tsx,
    ],
    needles: signals::NEEDLES,
    run: signals::extract,
    for_file_rules: false,
}];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stack {
    Node,
    Django,
    Python,
}

impl Stack {
    pub fn label(self) -> &'static str {
        match self {
            Stack::Node => "Node.js",
            Stack::Django => "Django",
            Stack::Python => "Python",
        }
    }
}

/// The whole profile: what `--format json` prints under `profile`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Profile {
    pub applications: Vec<Application>,
    /// A Node part and a Python part side by side (G7).
    pub hybrid: bool,
    /// Source files under no application's root.
    pub unattributed_files: usize,
    /// Start commands no application could be matched to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unattributed_commands: Vec<deploy::Command>,
    /// Manifests that could not be read or parsed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Security headers set by a web-server or proxy config the project
    /// ships: (file, line, lowercase header name).
    #[serde(skip)]
    pub proxy_headers: Vec<(String, u32, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Application {
    /// The application's folder name.
    pub name: String,
    /// Its root directory relative to the scanned root ("." for the root).
    pub root: String,
    pub stack: Stack,
    pub framework: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework_version: Option<String>,
    /// Exact (lock file, `==`) rather than a range's lower bound.
    pub version_pinned: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    pub manifests: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry_points: Vec<String>,
    /// Where the application's fit findings point.
    pub anchor: Location,
    /// Source files attributed to the application.
    pub files: usize,
    pub serving: Serving,
    /// Workload-signalling libraries by kind (`realtime`, `jobs`, ...).
    pub libraries: BTreeMap<String, Vec<String>>,
    /// Workload mix in percent, largest first.
    pub workload: Vec<Share>,
    /// Counted signals, most frequent first, with up to five examples.
    pub signals: Vec<SignalSummary>,
    /// The fit findings reported for the application (filled in when the
    /// report is made, after suppressions and baselines).
    pub fit_findings: Vec<FitFindingRef>,
    /// Every signal site, by kind.
    #[serde(skip)]
    pub sites: BTreeMap<SignalKind, Vec<Site>>,
    /// Every dependency of its manifests.
    #[serde(skip)]
    pub deps: Vec<Dependency>,
    /// External modules imported by its code (npm packages, Python
    /// distributions), with their first location.
    #[serde(skip)]
    pub imports: BTreeMap<String, Location>,
    /// Lowest Node major version the application targets, and where.
    #[serde(skip)]
    pub node_major: Option<(u64, String)>,
    /// Locations of manifest lines: dependency name → location.
    #[serde(skip)]
    pub dep_locations: BTreeMap<String, Location>,
    #[serde(skip)]
    pub scripts: Vec<(String, String, Location)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Serving {
    /// `wsgi`, `wsgi-async-workers`, `asgi`, `node` or `unknown`.
    pub model: String,
    /// What the model was read from.
    pub evidence: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<ServingCommand>,
    /// Node: whether every start command uses the permission model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_permission: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServingCommand {
    pub path: String,
    pub line: u32,
    pub origin: String,
    pub command: String,
    pub server: String,
    pub model: Model,
    #[serde(skip)]
    pub permission: bool,
    /// The command's line, for related locations.
    #[serde(skip)]
    pub loc: Option<Location>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Share {
    pub category: &'static str,
    pub label: &'static str,
    pub percent: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignalSummary {
    pub kind: SignalKind,
    pub label: &'static str,
    pub count: usize,
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Example {
    pub path: String,
    pub line: u32,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FitFindingRef {
    pub rule_id: String,
    pub severity: crate::finding::Severity,
    pub path: String,
    pub line: u32,
    pub message: String,
}

/// One signal site of an application.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    pub loc: Location,
    pub detail: String,
    /// First line of the enclosing request handler (0: none).
    pub handler: u32,
}

impl Application {
    pub fn sites(&self, kind: SignalKind) -> &[Site] {
        self.sites.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }
    pub fn count(&self, kind: SignalKind) -> usize {
        self.sites(kind).len()
    }
    pub fn has_lib(&self, name: &str) -> bool {
        self.libraries.values().any(|v| v.iter().any(|l| l == name))
    }
    pub fn libs(&self, kind: LibKind) -> &[String] {
        self.libraries.get(kind.key()).map(Vec::as_slice).unwrap_or(&[])
    }
    /// The version as a comparable value.
    pub fn version(&self) -> Option<Version> {
        self.framework_version.as_ref().map(|t| Version { text: t.clone(), pinned: self.version_pinned })
    }
    /// Location of a manifest line declaring `dep`, else the anchor.
    pub fn dep_location(&self, dep: &str) -> Location {
        self.dep_locations.get(dep).cloned().unwrap_or_else(|| self.anchor.clone())
    }
    pub fn serving_model(&self) -> &str {
        &self.serving.model
    }
    /// "2 × crypto.pbkdf2Sync, 1 × busy loop": counts of details.
    pub fn breakdown(sites: &[Site]) -> String {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for s in sites {
            *by.entry(s.detail.as_str()).or_default() += 1;
        }
        let mut v: Vec<(&str, usize)> = by.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let shown: Vec<String> = v.iter().take(4).map(|(d, n)| format!("{n} × {d}")).collect();
        let rest = v.len().saturating_sub(4);
        if rest > 0 {
            format!("{}, and {rest} more kinds", shown.join(", "))
        } else {
            shown.join(", ")
        }
    }
}

/// Everything phase 2 knows that the profile is built from.
pub struct ProfileInput<'a> {
    /// The report root: every path is relative to it.
    pub root: &'a Path,
    /// Directories searched for manifests and deployment files.
    pub search: &'a [PathBuf],
    pub excludes: &'a globset::GlobSet,
    /// Candidate manifests found by the scan's walk of `search` (see
    /// [`apps::maybe_manifest`]); `None` to walk for them here.
    pub manifests: Option<&'a [PathBuf]>,
    pub files: &'a [ProjectFile],
    /// Phase-1 findings (risk rules that are also fit signals).
    pub findings: &'a [Finding],
}

/// Risk rules whose findings count as CPU-heavy sites in Node handlers.
pub const CPU_RULES: &[&str] = &["node/sync-api-in-handler", "node/cpu-loop-in-handler"];

/// Reads manifest lines into locations, one read per file.
struct Lines<'a> {
    root: &'a Path,
    files: HashMap<String, Option<Source>>,
}

impl Lines<'_> {
    fn location(&mut self, path: &str, line: u32, message: Option<String>) -> Location {
        let root = self.root;
        let src = self.files.entry(path.to_string()).or_insert_with(|| {
            std::fs::read(root.join(path)).ok().and_then(|b| String::from_utf8(b).ok()).map(Source::new)
        });
        let span = match src {
            Some(s) if line >= 1 && (line as usize) <= s.line_count() => {
                let start = s.line_start(line);
                let text = s.line(line);
                let lead = text.len() - text.trim_start().len();
                let end = start + text.trim_end().len();
                s.span(start + lead.min(text.trim_end().len()), end.max(start + lead.min(text.trim_end().len())))
            }
            _ => Span {
                start_line: line.max(1),
                start_column: 1,
                end_line: line.max(1),
                end_column: 1,
                ..Default::default()
            },
        };
        Location { path: path.to_string(), span, message }
    }
}

pub fn build(input: &ProfileInput) -> Profile {
    let found = match input.manifests {
        Some(paths) => apps::read_manifests(input.root, paths),
        None => apps::gather(input.root, input.search, input.excludes),
    };
    let cands = apps::discover(&found, input.files);
    let mut lines = Lines { root: input.root, files: HashMap::new() };
    let root_name = input.root.file_name().and_then(|n| n.to_str()).unwrap_or(".").to_string();

    // Files, signals and imports per application.
    let mut per_app_files: Vec<Vec<&ProjectFile>> = vec![Vec::new(); cands.len()];
    let mut unattributed = 0;
    for f in input.files {
        match apps::owner(&cands, &f.rel) {
            Some(i) => per_app_files[i].push(f),
            None => unattributed += 1,
        }
    }
    let mut commands: Vec<Vec<deploy::Command>> = vec![Vec::new(); cands.len()];
    let mut unattributed_commands = Vec::new();
    for c in &found.commands {
        if apps::in_non_app_dir(&c.path) || deploy::classify(&c.command).is_empty() {
            continue;
        }
        match apps::command_owner(&cands, c) {
            Some(i) => commands[i].push(c.clone()),
            None => unattributed_commands.push(c.clone()),
        }
    }

    // Applications are named by their folder; an unpacked npm tarball's
    // folder is always `package`, so its package name says more.
    let folder_of = |c: &Candidate| -> String {
        let folder = if c.root.is_empty() {
            root_name.clone()
        } else {
            c.root.rsplit('/').next().unwrap_or(&c.root).to_string()
        };
        match c.package_json.and_then(|p| found.package_jsons[p].name.clone()) {
            Some(n) if folder == "package" => n,
            _ => folder,
        }
    };
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for c in &cands {
        *names.entry(folder_of(c)).or_default() += 1;
    }
    let mut applications = Vec::new();
    for (i, c) in cands.iter().enumerate() {
        let folder = folder_of(c);
        let name = if names[&folder] > 1 && !c.root.is_empty() { c.root.clone() } else { folder };
        let app = build_app(input, &found, &cands, c, name, &per_app_files[i], &commands[i], &mut lines);
        applications.push(app);
    }
    let stacks: BTreeSet<bool> = applications.iter().map(|a| a.stack == Stack::Node).collect();
    Profile {
        hybrid: stacks.len() == 2,
        applications,
        unattributed_files: unattributed,
        unattributed_commands,
        warnings: found.warnings,
        proxy_headers: found.proxy_headers,
    }
}

#[allow(clippy::too_many_arguments)]
fn build_app(
    input: &ProfileInput,
    found: &Found,
    cands: &[Candidate],
    c: &Candidate,
    name: String,
    files: &[&ProjectFile],
    commands: &[deploy::Command],
    lines: &mut Lines,
) -> Application {
    let me = cands.iter().position(|x| x.root == c.root && x.stack == c.stack);
    // Manifests and dependencies.
    let mut manifests_list = BTreeSet::new();
    let mut deps: Vec<Dependency> = Vec::new();
    let mut constraints: Vec<Dependency> = Vec::new();
    let mut requires_python = None;
    let package_json = c.package_json.map(|i| &found.package_jsons[i]);
    if let Some(p) = package_json {
        manifests_list.insert(p.rel.clone());
        deps.extend(p.deps.iter().cloned());
    }
    if c.stack != Stack::Node {
        for m in &found.py {
            let inside = apps::owner(cands, &m.rel) == me && apps::under(&m.dir, &c.root);
            let above = apps::under(&c.root, &m.dir)
                && !cands.iter().any(|o| o.stack != Stack::Node && o.root != c.root && apps::under(&o.root, &m.dir));
            if inside || above {
                manifests_list.insert(m.rel.clone());
                deps.extend(m.deps.iter().cloned());
                constraints.extend(m.constraints.iter().cloned());
                requires_python = requires_python.or(m.requires_python.clone());
            }
        }
    }
    deps.sort();
    deps.dedup_by(|a, b| a.name == b.name && a.file == b.file && a.line == b.line);

    // Framework version: lock files, then pins, then the range.
    let fw_dep_name = match c.stack {
        Stack::Node => catalog::NODE_FRAMEWORKS
            .iter()
            .find(|(_, n)| *n == c.framework)
            .map(|(d, _)| d.to_string())
            .unwrap_or_default(),
        _ => c.framework.clone(),
    };
    let fw_dep = deps
        .iter()
        .filter(|d| d.name == fw_dep_name)
        .min_by_key(|d| (d.dev, !d.spec.starts_with("=="), d.file.clone()));
    let mut version: Option<Version> = None;
    let mut version_source = None;
    if let Some(d) = fw_dep {
        if let Some((v, src)) = locked_version(found, c, d) {
            version = Some(Version { text: v, pinned: true });
            version_source = Some(src);
        } else if let Some(v) = manifests::version_of_spec(&d.spec) {
            version_source = Some(format!("range {} in {}", d.spec, d.file));
            version = Some(v);
        }
    }
    if version.as_ref().is_none_or(|v| !v.pinned) {
        if let Some(con) = constraints.iter().find(|d| d.name == fw_dep_name) {
            if let Some(v) = manifests::version_of_spec(&con.spec).filter(|v| v.pinned) {
                version_source = Some(format!("constraint {} in {}", con.spec, con.file));
                version = Some(v);
            }
        }
    }

    // Sites from the application's files.
    let mut sites: BTreeMap<SignalKind, Vec<Site>> = BTreeMap::new();
    let mut imports: BTreeMap<String, Location> = BTreeMap::new();
    for f in files {
        let Some(ff) = f.facts.get::<crate::profile::signals::FitFacts>() else { continue };
        let js = f.lang.is_js_family();
        for s in &ff.signals {
            let kind = match (c.stack, js, s.kind) {
                // Browser code of a Python application: only what it asks
                // of the server counts.
                (Stack::Django | Stack::Python, true, SignalKind::WebsocketHandler | SignalKind::PushClient) => {
                    SignalKind::PushClient
                }
                (Stack::Django | Stack::Python, true, SignalKind::PollClient) => SignalKind::PollClient,
                (Stack::Django | Stack::Python, true, _) => continue,
                // Python scripts beside a Node service.
                (Stack::Node, false, SignalKind::MlImport) => SignalKind::MlImport,
                (Stack::Node, false, _) => continue,
                (_, _, k) => k,
            };
            let detail = if c.stack == Stack::Node && !js { format!("python: {}", s.detail) } else { s.detail.clone() };
            let loc = Location { path: f.rel.clone(), span: s.span, message: Some(detail.clone()) };
            sites.entry(kind).or_default().push(Site { loc, detail, handler: s.handler });
        }
        for imp in &ff.imports {
            let key = if js { imp.module.clone() } else { catalog::python_dist_of_import(&imp.module) };
            imports.entry(key).or_insert_with(|| Location { path: f.rel.clone(), span: imp.span, message: None });
        }
    }
    // Risk findings of the CPU rules that the extractor did not see.
    if c.stack == Stack::Node {
        for f in input.findings.iter().filter(|f| CPU_RULES.contains(&f.rule_id.as_str())) {
            if apps::owner(cands, &f.path) != me {
                continue;
            }
            let seen = [SignalKind::CpuHeavy, SignalKind::BlockingSync].iter().any(|k| {
                sites.get(k).is_some_and(|v| {
                    v.iter().any(|s| s.loc.path == f.path && s.loc.span.start_line == f.span.start_line)
                })
            });
            if !seen {
                let detail = f.rule_id.clone();
                let loc = Location { path: f.path.clone(), span: f.span, message: Some(f.message.clone()) };
                sites.entry(SignalKind::CpuHeavy).or_default().push(Site { loc, detail, handler: 0 });
            }
        }
    }
    for (path, model, line) in &found.prisma_models {
        if apps::owner(cands, path) == me {
            let loc = lines.location(path, *line, Some(format!("prisma model {model}")));
            sites.entry(SignalKind::Model).or_default().push(Site {
                loc,
                detail: format!("prisma model {model}"),
                handler: 0,
            });
        }
    }
    for v in sites.values_mut() {
        v.sort();
        // One site per line and kind (`StreamingHttpResponse(..., "text/event-stream")`
        // is one stream).
        v.dedup_by(|a, b| a.loc.path == b.loc.path && a.loc.span.start_line == b.loc.span.start_line);
    }

    // Libraries: declared (non-dev) and imported, with installed apps.
    let mut lib_names: BTreeSet<String> = deps.iter().filter(|d| !d.dev).map(|d| d.name.clone()).collect();
    lib_names.extend(imports.keys().cloned());
    if let Some(apps_) = sites.get(&SignalKind::InstalledApp) {
        lib_names.extend(apps_.iter().map(|s| catalog::python_dist_of_import(&s.detail)));
    }
    let mut libraries: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in &lib_names {
        let kind = if c.stack == Stack::Node { catalog::node_lib(l) } else { catalog::python_lib(l) };
        if let Some(k) = kind {
            libraries.entry(k.key().to_string()).or_default().push(l.clone());
        }
    }

    // Dependency locations.
    let mut dep_locations = BTreeMap::new();
    for d in deps.iter().filter(|d| !d.dev).chain(deps.iter().filter(|d| d.dev)) {
        if !dep_locations.contains_key(&d.name) {
            let loc = lines.location(&d.file, d.line, None);
            dep_locations.insert(d.name.clone(), loc);
        }
    }
    let scripts: Vec<(String, String, Location)> = package_json
        .map(|p| {
            p.scripts
                .iter()
                .map(|(n, cmd, line)| (n.clone(), cmd.clone(), lines.location(&p.rel, *line, None)))
                .collect()
        })
        .unwrap_or_default();

    // Serving model.
    let mut serving = serving(c, commands, &scripts, &sites, &deps, found);
    for cmd in &mut serving.commands {
        let msg = format!("{} starts {} ({})", cmd.origin, cmd.server, cmd.model.as_str());
        cmd.loc = Some(lines.location(&cmd.path, cmd.line, Some(msg)));
    }
    // Runtime.
    let (runtime, node_major) = runtime(c, package_json, found, commands, requires_python);

    // Anchor: the framework's line in its manifest, else an entry point.
    let anchor = if let Some(d) = fw_dep {
        lines.location(&d.file, d.line, None)
    } else if let Some(p) = package_json {
        lines.location(&p.rel, 1, None)
    } else if let Some(s) = files.iter().find_map(|f| {
        let ff = f.facts.get::<crate::profile::signals::FitFacts>()?;
        let s = ff.signals.iter().find(|s| s.kind == SignalKind::SettingsRef && f.rel.ends_with("manage.py"))?;
        Some(Location { path: f.rel.clone(), span: s.span, message: None })
    }) {
        s
    } else if let Some(m) = manifests_list.iter().next() {
        lines.location(m, 1, None)
    } else {
        let e = c.entries.iter().next().cloned().unwrap_or_default();
        lines.location(&e, 1, None)
    };

    let workload = workload_mix(c.stack, &sites);
    let signals = summaries(&sites);
    Application {
        name,
        root: if c.root.is_empty() { ".".into() } else { c.root.clone() },
        stack: c.stack,
        framework: c.framework.clone(),
        framework_version: version.as_ref().map(|v| v.text.clone()),
        version_pinned: version.as_ref().is_some_and(|v| v.pinned),
        version_source,
        runtime,
        manifests: manifests_list.into_iter().collect(),
        entry_points: c.entries.iter().cloned().collect(),
        anchor,
        files: files.len(),
        serving,
        libraries,
        workload,
        signals,
        fit_findings: Vec::new(),
        sites,
        deps,
        imports,
        node_major,
        dep_locations,
        scripts,
    }
}

/// The exact version a lock file records for `dep`, and the lock's path.
fn locked_version(found: &Found, c: &Candidate, dep: &Dependency) -> Option<(String, String)> {
    // The nearest lock at or above the application's root.
    let mut dirs: Vec<String> = Vec::new();
    let mut d = c.root.clone();
    loop {
        dirs.push(d.clone());
        if d.is_empty() {
            break;
        }
        d = apps::dir_of(&d);
    }
    for dir in dirs {
        if c.stack == Stack::Node {
            for (ldir, lock) in found.npm_locks.iter().filter(|(l, _)| *l == dir) {
                let sub = c.root.strip_prefix(ldir.as_str()).unwrap_or("").trim_start_matches('/');
                let (v, file) = match lock {
                    apps::NpmLock::Npm(v) => {
                        (manifests::npm_lock_versions(v, sub).get(&dep.name).cloned(), "package-lock.json")
                    }
                    apps::NpmLock::Yarn(m) => (
                        m.get(&dep.name).and_then(|v| {
                            v.iter()
                                .find(|(r, _)| *r == dep.spec)
                                .map(|x| x.1.clone())
                                .or_else(|| manifests::pick_version(v.iter().map(|x| &x.1), &dep.spec))
                        }),
                        "yarn.lock",
                    ),
                    apps::NpmLock::Pnpm(m) => {
                        (m.get(&dep.name).and_then(|v| manifests::pick_version(v.iter(), &dep.spec)), "pnpm-lock.yaml")
                    }
                };
                if let Some(v) = v {
                    let path = if dir.is_empty() { file.to_string() } else { format!("{dir}/{file}") };
                    return Some((v, path));
                }
            }
        } else {
            for (ldir, versions, file) in &found.py_locks {
                if *ldir == dir {
                    if let Some(v) = versions.get(&dep.name) {
                        return Some((v.clone(), file.clone()));
                    }
                }
            }
        }
    }
    // An exact specifier pins the version too (`==5.2.4`, npm `5.2.1`).
    manifests::version_of_spec(&dep.spec).filter(|v| v.pinned).map(|v| (v.text, dep.file.clone()))
}

fn serving(
    c: &Candidate,
    commands: &[deploy::Command],
    scripts: &[(String, String, Location)],
    sites: &BTreeMap<SignalKind, Vec<Site>>,
    deps: &[Dependency],
    found: &Found,
) -> Serving {
    let mut cmds: Vec<ServingCommand> = Vec::new();
    for cmd in commands {
        for u in deploy::classify(&cmd.command) {
            let mut u = u;
            // `npm start` runs the package's script.
            if let Some(script) = &u.script {
                match scripts.iter().find(|(n, _, _)| n == script) {
                    Some((_, body, _)) if !body.contains("npm ") => {
                        match deploy::classify(body)
                            .into_iter()
                            .find(|x| x.model == Model::Node || x.model == Model::Dev)
                        {
                            Some(inner) => u = inner,
                            None => continue,
                        }
                    }
                    _ => continue,
                }
            }
            let relevant = match c.stack {
                Stack::Node => matches!(u.model, Model::Node),
                _ => !matches!(u.model, Model::Node | Model::Dev),
            };
            // Only scripts that start the service count (not test, lint, build).
            if cmd.origin.starts_with("package.json scripts.") {
                let script = cmd.origin.trim_start_matches("package.json scripts.");
                let start_like = matches!(script, "start" | "serve" | "server" | "prod" | "production" | "web")
                    || script.starts_with("start:prod")
                    || script.starts_with("serve:prod");
                if !start_like {
                    continue;
                }
            }
            if relevant {
                cmds.push(ServingCommand {
                    path: cmd.path.clone(),
                    line: cmd.line,
                    origin: cmd.origin.clone(),
                    command: cmd.command.clone(),
                    server: u.server.clone(),
                    model: u.model,
                    permission: u.permission,
                    loc: None,
                });
            }
        }
    }
    cmds.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    cmds.dedup_by(|a, b| a.path == b.path && a.line == b.line && a.server == b.server);
    if c.stack == Stack::Node {
        let node_permission = (!cmds.is_empty()).then(|| cmds.iter().all(|x| x.permission));
        let evidence = match cmds.first() {
            Some(x) => format!("{} at {}:{}", x.origin, x.path, x.line),
            None => "no start command found".into(),
        };
        return Serving { model: "node".into(), evidence, commands: cmds, node_permission };
    }
    let pick = |m: Model| cmds.iter().find(|x| x.model == m);
    let (model, evidence) = if let Some(x) = pick(Model::Asgi) {
        ("asgi", format!("{} runs {} at {}:{}", x.origin, x.server, x.path, x.line))
    } else if let Some(x) = pick(Model::Wsgi) {
        ("wsgi", format!("{} runs {} at {}:{}", x.origin, x.server, x.path, x.line))
    } else if let Some(x) = pick(Model::WsgiAsyncWorkers) {
        (
            "wsgi-async-workers",
            format!("{} runs {} with green-thread workers at {}:{}", x.origin, x.server, x.path, x.line),
        )
    } else {
        let worker_class = sites
            .get(&SignalKind::Setting)
            .and_then(|v| v.iter().find(|s| s.detail.starts_with("worker_class=")))
            .map(|s| (s.detail.clone(), s.loc.path.clone()));
        let has_dep = |n: &str| deps.iter().any(|d| d.name == n && !d.dev);
        let asgi_dep = ["uvicorn", "daphne", "hypercorn"].into_iter().find(|n| has_dep(n));
        let wsgi_dep = ["gunicorn", "uwsgi", "waitress", "mod-wsgi"].into_iter().find(|n| has_dep(n));
        let uwsgi_ini = found.uwsgi_ini.iter().find(|p| apps::under(p, &c.root));
        match (worker_class, asgi_dep, wsgi_dep, uwsgi_ini) {
            (Some((wc, path)), _, _, _) if wc.contains("uvicorn") || wc.contains("Uvicorn") => {
                ("asgi", format!("gunicorn {wc} in {path}"))
            }
            (Some((wc, path)), _, _, _) if wc.contains("gevent") || wc.contains("eventlet") => {
                ("wsgi-async-workers", format!("gunicorn {wc} in {path}"))
            }
            (_, Some(a), _, _) => ("asgi", format!("{a} among the dependencies, no start command found")),
            (_, _, _, Some(p)) => ("wsgi", format!("uWSGI configuration {p}")),
            (_, _, Some(w), _) => ("wsgi", format!("{w} among the dependencies, no start command found")),
            _ => ("unknown", "no server command or server dependency found".to_string()),
        }
    };
    Serving { model: model.into(), evidence, commands: cmds, node_permission: None }
}

/// The runtime the application targets, and the lowest Node major.
fn runtime(
    c: &Candidate,
    package_json: Option<&manifests::PackageJson>,
    found: &Found,
    commands: &[deploy::Command],
    requires_python: Option<String>,
) -> (Option<String>, Option<(u64, String)>) {
    if c.stack != Stack::Node {
        let from_image = found
            .dockerfiles
            .iter()
            .filter(|(p, _)| apps::under(p, &c.root) || commands.iter().any(|x| x.path == *p))
            .find_map(|(_, d)| d.image.as_ref().filter(|(i, _)| i.contains("python")).map(|(i, _)| i.clone()));
        return (requires_python.map(|r| format!("python {r}")).or(from_image), None);
    }
    let mut best: Option<(u64, String, String)> = None;
    fn consider(best: &mut Option<(u64, String, String)>, major: Option<u64>, text: String, source: String) {
        if let Some(m) = major {
            if best.as_ref().is_none_or(|b| m < b.0) {
                *best = Some((m, text, source));
            }
        }
    }
    if let Some(p) = package_json {
        if let Some((spec, _)) = &p.engines_node {
            consider(
                &mut best,
                manifests::version_of_spec(spec).and_then(|v| v.major()),
                format!("node {spec}"),
                p.rel.clone(),
            );
        }
        if let Some(v) = &p.volta_node {
            consider(&mut best, manifests::version_parts(v).first().copied(), format!("node {v}"), p.rel.clone());
        }
    }
    if best.is_none() {
        // .nvmrc / .node-version at or above the root, nearest first.
        let mut files: Vec<&(String, String)> =
            found.node_version_files.iter().filter(|(p, _)| apps::under(&c.root, &apps::dir_of(p))).collect();
        files.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        if let Some((p, v)) = files.first() {
            consider(&mut best, manifests::version_parts(v).first().copied(), format!("node {v}"), p.clone());
        }
    }
    if best.is_none() {
        for (p, d) in &found.dockerfiles {
            if apps::under(p, &c.root) || commands.iter().any(|x| x.path == *p) {
                if let Some((image, _)) = &d.image {
                    consider(&mut best, deploy::node_major_of_image(image), format!("node image {image}"), p.clone());
                }
            }
        }
    }
    match best {
        Some((m, text, source)) => (Some(format!("{text} ({source})")), Some((m, source))),
        None => (None, None),
    }
}

/// The workload mix: weighted signal counts per category, in percent.
/// The weights say how much one signal of a kind tells about the work an
/// application does; they are a reading aid, not a measurement.
fn workload_mix(stack: Stack, sites: &BTreeMap<SignalKind, Vec<Site>>) -> Vec<Share> {
    let n = |k: SignalKind| sites.get(&k).map(Vec::len).unwrap_or(0) as u64;
    let ml_files = sites
        .get(&SignalKind::MlImport)
        .map(|v| v.iter().map(|s| s.loc.path.as_str()).collect::<BTreeSet<_>>().len())
        .unwrap_or(0) as u64;
    let requests = match stack {
        Stack::Node => n(SignalKind::Route),
        _ => n(SignalKind::Route).max(n(SignalKind::View)),
    };
    let raw: [(&'static str, &'static str, u64); 6] = [
        (
            "realtime",
            "real-time",
            3 * (n(SignalKind::WebsocketServer)
                + n(SignalKind::WebsocketHandler)
                + n(SignalKind::Sse)
                + n(SignalKind::LongPoll)
                + n(SignalKind::GraphqlSubscription))
                + 2 * (n(SignalKind::PollView) + n(SignalKind::PollClient) + n(SignalKind::PushClient)),
        ),
        ("api", "request/response API", requests + n(SignalKind::GraphqlOperation) + n(SignalKind::OutboundHttp)),
        ("crud_admin", "data/CRUD/admin", 2 * n(SignalKind::Model) + n(SignalKind::Admin)),
        ("jobs", "background jobs", 2 * n(SignalKind::JobDef) + n(SignalKind::ScheduledJob)),
        ("ml_data", "ML/data", 3 * n(SignalKind::MlInHandler) + 2 * ml_files),
        ("cpu", "CPU-heavy", 3 * n(SignalKind::CpuHeavy)),
    ];
    let total: u64 = raw.iter().map(|r| r.2).sum();
    if total == 0 {
        return Vec::new();
    }
    // Largest remainder, so the shares add up to 100.
    let mut shares: Vec<(usize, u64, u64)> =
        raw.iter().enumerate().map(|(i, r)| (i, r.2 * 100 / total, (r.2 * 100) % total)).collect();
    let mut left = 100 - shares.iter().map(|s| s.1).sum::<u64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| shares[b].2.cmp(&shares[a].2).then(a.cmp(&b)));
    for i in order {
        if left == 0 {
            break;
        }
        if raw[i].2 > 0 {
            shares[i].1 += 1;
            left -= 1;
        }
    }
    let mut out: Vec<Share> = shares
        .into_iter()
        .filter(|s| s.1 > 0)
        .map(|(i, p, _)| Share { category: raw[i].0, label: raw[i].1, percent: p as u32 })
        .collect();
    out.sort_by_key(|s| std::cmp::Reverse(s.percent));
    out
}

fn summaries(sites: &BTreeMap<SignalKind, Vec<Site>>) -> Vec<SignalSummary> {
    let mut out: Vec<SignalSummary> = sites
        .iter()
        .filter(|(k, v)| !k.is_wiring() && !v.is_empty())
        .map(|(k, v)| SignalSummary {
            kind: *k,
            label: k.label(),
            count: v.len(),
            examples: v
                .iter()
                .take(5)
                .map(|s| Example { path: s.loc.path.clone(), line: s.loc.span.start_line, detail: s.detail.clone() })
                .collect(),
        })
        .collect();
    // The strongest evidence first: counts weighted as in the workload mix.
    out.sort_by(|a, b| (b.count * b.kind.weight()).cmp(&(a.count * a.kind.weight())).then(a.kind.cmp(&b.kind)));
    out
}

impl Profile {
    /// The profile as the reports carry it, with each application's fit
    /// findings taken from the findings being reported.
    pub fn to_json(&self, findings: &[Finding]) -> serde_json::Value {
        let mut p = self.clone();
        for f in findings.iter().filter(|f| f.rule_id.starts_with("fit/")) {
            if let Some(i) = p.app_of_path(&f.path) {
                p.applications[i].fit_findings.push(FitFindingRef {
                    rule_id: f.rule_id.clone(),
                    severity: f.severity,
                    path: f.path.clone(),
                    line: f.span.start_line,
                    message: f.message.clone(),
                });
            }
        }
        serde_json::to_value(&p).unwrap_or(serde_json::Value::Null)
    }

    /// The application a fit finding at `path` belongs to: the one whose
    /// manifest or anchor it is, else the deepest root holding it.
    pub fn app_of_path(&self, path: &str) -> Option<usize> {
        if let Some(i) = self.applications.iter().position(|a| a.anchor.path == path) {
            return Some(i);
        }
        let by_manifest: Vec<usize> = (0..self.applications.len())
            .filter(|&i| self.applications[i].manifests.iter().any(|m| m == path))
            .collect();
        if by_manifest.len() == 1 {
            return Some(by_manifest[0]);
        }
        self.applications
            .iter()
            .enumerate()
            .filter(|(_, a)| a.root == "." || apps::under(path, &a.root))
            .max_by_key(|(_, a)| if a.root == "." { 0 } else { a.root.len() })
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_shares_add_up_to_100() {
        let mut sites: BTreeMap<SignalKind, Vec<Site>> = BTreeMap::new();
        let site = |p: &str| Site {
            loc: Location { path: p.into(), span: Span::default(), message: None },
            detail: String::new(),
            handler: 0,
        };
        sites.insert(SignalKind::Route, vec![site("a"), site("b"), site("c")]);
        sites.insert(SignalKind::WebsocketHandler, vec![site("d")]);
        sites.insert(SignalKind::JobDef, vec![site("e")]);
        let mix = workload_mix(Stack::Node, &sites);
        assert_eq!(mix.iter().map(|s| s.percent).sum::<u32>(), 100);
        assert_eq!(mix[0].category, "realtime");
        assert!(workload_mix(Stack::Node, &BTreeMap::new()).is_empty());
    }
}
