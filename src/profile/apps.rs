//! Application discovery: the walk for manifests and deployment files, the
//! applications they and the code's entry points define (a package.json
//! with a server framework; a Django project's manage.py, settings or
//! WSGI/ASGI module; a Python manifest naming FastAPI or Flask), and the
//! attribution of every source file and start command to one of them.

use super::deploy::{self, Command, Dockerfile};
use super::manifests::{self, Dependency, PackageJson};
use super::signals::SignalKind;
use super::Stack;
use crate::engine::project::ProjectFile;
use crate::walk;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A Python dependency manifest.
#[derive(Debug, Clone, Default)]
pub struct PyManifest {
    pub rel: String,
    /// The directory it describes: its own, or the parent of a
    /// `requirements/` folder.
    pub dir: String,
    pub deps: Vec<Dependency>,
    pub constraints: Vec<Dependency>,
    pub requires_python: Option<String>,
}

/// An npm-family lock file.
pub enum NpmLock {
    Npm(serde_json::Value),
    Yarn(BTreeMap<String, Vec<(String, String)>>),
    Pnpm(BTreeMap<String, Vec<String>>),
}

/// Everything the manifest walk found, paths relative to the report root.
#[derive(Default)]
pub struct Found {
    pub package_jsons: Vec<PackageJson>,
    pub py: Vec<PyManifest>,
    /// (directory, lock).
    pub npm_locks: Vec<(String, NpmLock)>,
    /// (directory, name → version, file).
    pub py_locks: Vec<(String, BTreeMap<String, String>, String)>,
    pub commands: Vec<Command>,
    pub dockerfiles: Vec<(String, Dockerfile)>,
    /// `.nvmrc` / `.node-version`: (file, content).
    pub node_version_files: Vec<(String, String)>,
    pub uwsgi_ini: Vec<String>,
    /// schema.prisma models: (file, model, line).
    pub prisma_models: Vec<(String, String, u32)>,
    /// Security headers a shipped reverse-proxy or web-server config sets
    /// (`add_header Content-Security-Policy ...`): (file, line, header).
    pub proxy_headers: Vec<(String, u32, String)>,
    pub warnings: Vec<String>,
}

/// Directories whose manifests describe tests, examples or documentation,
/// not an application of the repository.
const NON_APP_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "spec",
    "e2e",
    "fixtures",
    "__fixtures__",
    "__mocks__",
    "testdata",
    "test-data",
    "examples",
    "example",
    "samples",
    "sample",
    "docs",
    "doc",
    "templates",
    "template",
    "benchmark",
    "benchmarks",
    "playground",
];

pub fn in_non_app_dir(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    parts[..parts.len().saturating_sub(1)].iter().any(|p| NON_APP_DIRS.contains(p) || p.contains("{{"))
}

pub fn dir_of(rel: &str) -> String {
    rel.rsplit_once('/').map(|x| x.0.to_string()).unwrap_or_default()
}

pub use crate::walk::under;

/// `parent`: the name of the directory the file is in.
fn is_requirements(name: &str, parent: &str) -> bool {
    (name.starts_with("requirements") && (name.ends_with(".txt") || name.ends_with(".pip")))
        || (matches!(parent, "requirements" | "reqs") && name.ends_with(".txt"))
}

/// The kinds of file the profile reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Manifest {
    PackageJson,
    Requirements,
    PyProject,
    Pipfile,
    SetupCfg,
    /// `PKG-INFO` of an sdist, `METADATA` of an unpacked wheel.
    CoreMetadata,
    PyLock,
    NpmLock,
    Procfile,
    Dockerfile,
    Compose,
    NodeVersion,
    Uwsgi,
    Prisma,
    /// nginx, Apache, Caddy or HAProxy configuration.
    ProxyConfig,
}

/// What a file named `name` in the directory `dir` (relative to the report
/// root; only its last component for the walker's question) is to the
/// profile.
fn manifest_kind(name: &str, dir: &str) -> Option<Manifest> {
    // ASCII case-insensitive affixes, without a lowercase copy per file.
    let ends = |suffix: &str| {
        name.len() >= suffix.len()
            && name.as_bytes()[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    let starts = |prefix: &str| {
        name.len() >= prefix.len() && name.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    let parent = dir.rsplit('/').next().unwrap_or(dir);
    Some(match name {
        "package.json" => Manifest::PackageJson,
        _ if is_requirements(name, parent) => Manifest::Requirements,
        "pyproject.toml" => Manifest::PyProject,
        "Pipfile" => Manifest::Pipfile,
        "setup.cfg" => Manifest::SetupCfg,
        // A wheel's METADATA describes the directory above its .dist-info.
        "PKG-INFO" if !dir.split('/').any(|d| d.ends_with(".egg-info")) => Manifest::CoreMetadata,
        "METADATA" if dir.ends_with(".dist-info") => Manifest::CoreMetadata,
        "poetry.lock" | "uv.lock" | "pdm.lock" | "Pipfile.lock" => Manifest::PyLock,
        "package-lock.json" | "npm-shrinkwrap.json" | "yarn.lock" | "pnpm-lock.yaml" => Manifest::NpmLock,
        _ if name == "Procfile" || name.starts_with("Procfile.") => Manifest::Procfile,
        _ if name == "Dockerfile"
            || name == "Containerfile"
            || name.starts_with("Dockerfile.")
            || ends(".dockerfile") =>
        {
            Manifest::Dockerfile
        }
        _ if (starts("docker-compose") || starts("compose")) && (ends(".yml") || ends(".yaml")) => Manifest::Compose,
        ".nvmrc" | ".node-version" => Manifest::NodeVersion,
        _ if starts("uwsgi") && (ends(".ini") || ends(".yaml")) => Manifest::Uwsgi,
        _ if ends(".prisma") => Manifest::Prisma,
        "Caddyfile" | ".htaccess" | "httpd.conf" | "apache2.conf" | "haproxy.cfg" => Manifest::ProxyConfig,
        _ if ends(".nginx")
            || ((ends(".conf") || ends(".conf.template"))
                && (starts("nginx")
                    || matches!(
                        parent,
                        "nginx" | "sites-available" | "sites-enabled" | "conf.d" | "apache2" | "httpd"
                    ))) =>
        {
            Manifest::ProxyConfig
        }
        _ => return None,
    })
}

/// Could a file of this name, in a directory named `parent`, be one the
/// profile reads? For the main walk to keep candidates: [`read_manifests`]
/// decides from the whole path (an `.egg-info` further up).
pub fn maybe_manifest(name: &str, parent: &str) -> bool {
    manifest_kind(name, parent).is_some()
}

/// Walks `roots` for manifests and deployment files, honouring
/// `.gitignore`, the config's excludes and the default excluded
/// directories (always: dependencies are never applications). A scan with
/// the default excludes has its walker collect them instead
/// ([`maybe_manifest`]) and calls [`read_manifests`] directly.
pub fn gather(root: &Path, roots: &[PathBuf], excludes: &globset::GlobSet) -> Found {
    let Some((first, rest)) = roots.split_first() else { return Found::default() };
    let mut builder = ignore::WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    builder.hidden(false).parents(true).git_ignore(true).git_global(false).git_exclude(true).require_git(false);
    let root_buf = root.to_path_buf();
    let ex = excludes.clone();
    builder.filter_entry(move |e| {
        if e.depth() == 0 || !e.file_type().is_some_and(|t| t.is_dir()) {
            return true;
        }
        let name = e.file_name().to_str().unwrap_or("");
        if walk::DEFAULT_EXCLUDED_DIRS.contains(&name) || e.path().join("pyvenv.cfg").is_file() {
            return false;
        }
        !ex.is_match(walk::rel_path(&root_buf, e.path()))
    });
    let mut paths: Vec<PathBuf> = builder
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    paths.dedup();
    read_manifests(root, &paths)
}

/// The security headers the web-server and proxy configs among `paths` set
/// (the other manifests are not read): (file, line, header).
pub fn read_proxy_headers(root: &Path, paths: &[PathBuf]) -> Vec<(String, u32, String)> {
    let proxies: Vec<PathBuf> = paths
        .iter()
        .filter(|p| {
            let rel = walk::rel_path(root, p);
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            matches!(manifest_kind(name, &dir_of(&rel)), Some(Manifest::ProxyConfig))
        })
        .cloned()
        .collect();
    read_manifests(root, &proxies).proxy_headers
}

/// Reads and parses the manifests and deployment files among `paths`
/// (sorted; other files are passed over).
pub fn read_manifests(root: &Path, paths: &[PathBuf]) -> Found {
    let mut found = Found::default();
    for path in paths {
        let rel = walk::rel_path(root, path);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some(kind) = manifest_kind(name, &dir_of(&rel)) else { continue };
        let read = |found: &mut Found| -> Option<String> {
            match std::fs::read_to_string(path) {
                Ok(t) => Some(t),
                Err(e) => {
                    found.warnings.push(format!("{rel}: {e}"));
                    None
                }
            }
        };
        match kind {
            Manifest::PackageJson => {
                let Some(text) = read(&mut found) else { continue };
                match manifests::parse_package_json(&rel, &text) {
                    Ok(p) => {
                        for (script, cmd, line) in &p.scripts {
                            found.commands.push(Command {
                                path: rel.clone(),
                                line: *line,
                                origin: format!("package.json scripts.{script}"),
                                command: cmd.clone(),
                                context: None,
                            });
                        }
                        found.package_jsons.push(p);
                    }
                    Err(e) => found.warnings.push(e),
                }
            }
            Manifest::Requirements => {
                let (deps, constraints, errors) = manifests::parse_requirements(root, path);
                found.warnings.extend(errors);
                let mut dir = dir_of(&rel);
                if matches!(dir.rsplit('/').next(), Some("requirements" | "reqs")) {
                    dir = dir_of(&dir);
                }
                found.py.push(PyManifest { rel, dir, deps, constraints, requires_python: None });
            }
            Manifest::PyProject | Manifest::Pipfile | Manifest::SetupCfg => {
                let Some(text) = read(&mut found) else { continue };
                let parsed = match kind {
                    Manifest::PyProject => manifests::parse_pyproject(&rel, &text).map(|p| (p.deps, p.requires_python)),
                    Manifest::Pipfile => manifests::parse_pipfile(&rel, &text).map(|d| (d, None)),
                    _ => Ok((manifests::parse_setup_cfg(&rel, &text), None)),
                };
                match parsed {
                    Ok((deps, requires_python)) => found.py.push(PyManifest {
                        dir: dir_of(&rel),
                        rel,
                        deps,
                        constraints: Vec::new(),
                        requires_python,
                    }),
                    Err(e) => found.warnings.push(e),
                }
            }
            Manifest::CoreMetadata => {
                // Core metadata of an sdist or an unpacked wheel: the
                // dependencies of a package downloaded from PyPI without its
                // requirement files. A wheel's describes the directory above.
                let Some(text) = read(&mut found) else { continue };
                let deps = manifests::parse_core_metadata(&rel, &text);
                let dir = if name == "METADATA" { dir_of(&dir_of(&rel)) } else { dir_of(&rel) };
                found.py.push(PyManifest { dir, rel, deps, constraints: Vec::new(), requires_python: None });
            }
            Manifest::PyLock => {
                let Some(text) = read(&mut found) else { continue };
                let versions = if name == "Pipfile.lock" {
                    manifests::pipfile_lock_versions(&text)
                } else {
                    manifests::toml_lock_versions(&text)
                };
                found.py_locks.push((dir_of(&rel), versions, rel));
            }
            Manifest::NpmLock => {
                let Some(text) = read(&mut found) else { continue };
                let lock = match name {
                    "yarn.lock" => NpmLock::Yarn(manifests::yarn_lock_versions(&text)),
                    "pnpm-lock.yaml" => NpmLock::Pnpm(manifests::pnpm_lock_versions(&text)),
                    _ => match serde_json::from_str(&text) {
                        Ok(v) => NpmLock::Npm(v),
                        Err(e) => {
                            found.warnings.push(format!("{rel}: not valid JSON: {e}"));
                            continue;
                        }
                    },
                };
                found.npm_locks.push((dir_of(&rel), lock));
            }
            Manifest::Procfile => {
                let Some(text) = read(&mut found) else { continue };
                found.commands.extend(deploy::parse_procfile(&rel, &text));
            }
            Manifest::Dockerfile => {
                let Some(text) = read(&mut found) else { continue };
                let d = deploy::parse_dockerfile(&rel, &text);
                found.commands.extend(d.commands.iter().cloned());
                found.dockerfiles.push((rel, d));
            }
            Manifest::Compose => {
                let Some(text) = read(&mut found) else { continue };
                found.commands.extend(deploy::compose_commands(&rel, &text).0);
            }
            Manifest::NodeVersion => {
                let Some(text) = read(&mut found) else { continue };
                found.node_version_files.push((rel, text.trim().to_string()));
            }
            Manifest::Uwsgi => found.uwsgi_ini.push(rel),
            Manifest::ProxyConfig => {
                let Some(text) = read(&mut found) else { continue };
                for (line, header) in deploy::proxy_security_headers(&text) {
                    found.proxy_headers.push((rel.clone(), line, header));
                }
            }
            Manifest::Prisma => {
                let Some(text) = read(&mut found) else { continue };
                for (i, line) in text.lines().enumerate() {
                    let t = line.trim_start();
                    if let Some(rest) = t.strip_prefix("model ") {
                        let model = rest.split_whitespace().next().unwrap_or("").to_string();
                        found.prisma_models.push((rel.clone(), model, i as u32 + 1));
                    }
                }
            }
        }
    }
    found
}

/// An application before its profile is filled in.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub root: String,
    pub stack: Stack,
    pub framework: String,
    /// The package.json of a Node application.
    pub package_json: Option<usize>,
    /// Entry points (manage.py, settings modules, wsgi/asgi modules).
    pub entries: BTreeSet<String>,
    /// Python packages of the project (`shop` for shop/settings.py), for
    /// matching `gunicorn shop.wsgi` to it.
    pub packages: BTreeSet<String>,
}

fn framework_of_package(p: &PackageJson) -> Option<&'static str> {
    super::catalog::NODE_FRAMEWORKS.iter().find(|(dep, _)| p.dep(dep).is_some_and(|d| !d.dev)).map(|(_, name)| *name)
}

/// `a/b/proj/settings/base.py` → (`a/b`, `proj`); `proj/settings.py` →
/// ("", `proj`); `proj/wsgi.py` → ("", `proj`).
fn django_root_of_module(rel: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = rel.split('/').collect();
    let n = parts.len();
    let name = parts[n - 1];
    let pkg_index = if parts.len() >= 2 && parts[n - 2] == "settings" {
        n.checked_sub(3)?
    } else if matches!(name, "settings.py" | "wsgi.py" | "asgi.py") {
        n.checked_sub(2)?
    } else {
        return None;
    };
    Some((parts[..pkg_index].join("/"), parts[pkg_index].to_string()))
}

/// Finds the applications of the repository.
pub fn discover(found: &Found, files: &[ProjectFile]) -> Vec<Candidate> {
    let mut cands: Vec<Candidate> = Vec::new();
    for (i, p) in found.package_jsons.iter().enumerate() {
        if in_non_app_dir(&p.rel) {
            continue;
        }
        if let Some(fw) = framework_of_package(p) {
            cands.push(Candidate {
                root: dir_of(&p.rel),
                stack: Stack::Node,
                framework: fw.to_string(),
                package_json: Some(i),
                entries: BTreeSet::new(),
                packages: BTreeSet::new(),
            });
        }
    }
    // Django projects from their entry points.
    let settings_refs: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.facts.get::<crate::profile::signals::FitFacts>())
        .flat_map(|ff| ff.signals.iter().filter(|s| s.kind == SignalKind::SettingsRef).map(|s| s.detail.clone()))
        .collect();
    let mut django: BTreeMap<String, Candidate> = BTreeMap::new();
    for f in files {
        let Some(ff) = f.facts.get::<crate::profile::signals::FitFacts>() else { continue };
        if in_non_app_dir(&f.rel) {
            continue;
        }
        let name = f.rel.rsplit('/').next().unwrap_or(&f.rel);
        let has = |k: SignalKind| ff.signals.iter().any(|s| s.kind == k);
        let mut root_pkg: Option<(String, Option<String>)> = None;
        if name == "manage.py" && (has(SignalKind::SettingsRef) || ff.imports.iter().any(|i| i.module == "django")) {
            let pkg = ff
                .signals
                .iter()
                .find(|s| s.kind == SignalKind::SettingsRef)
                .and_then(|s| s.detail.split('.').next().map(str::to_string));
            root_pkg = Some((dir_of(&f.rel), pkg));
        } else {
            let module = crate::model::django::settings::module_name(&f.rel).0;
            let is_settings = has(SignalKind::SettingsModule)
                && (name == "settings.py" || f.rel.contains("/settings/") || settings_refs.contains(&module));
            let is_entry = has(SignalKind::WsgiEntry) || has(SignalKind::AsgiEntry);
            if is_settings || is_entry {
                if let Some((r, p)) = django_root_of_module(&f.rel) {
                    root_pkg = Some((r, Some(p)));
                }
            }
        }
        if let Some((root, pkg)) = root_pkg {
            let c = django.entry(root.clone()).or_insert_with(|| Candidate {
                root,
                stack: Stack::Django,
                framework: "django".into(),
                package_json: None,
                entries: BTreeSet::new(),
                packages: BTreeSet::new(),
            });
            c.entries.insert(f.rel.clone());
            c.packages.extend(pkg);
        }
    }
    // A Django project nested in another one is part of it.
    let roots: Vec<String> = django.keys().cloned().collect();
    for r in &roots {
        if let Some(outer) = roots.iter().find(|o| *o != r && under(r, o)) {
            if let Some(inner) = django.remove(r) {
                if let Some(o) = django.get_mut(outer) {
                    o.entries.extend(inner.entries);
                    o.packages.extend(inner.packages);
                }
            }
        }
    }
    cands.extend(django.into_values());
    // Python web apps other than Django, from their manifests.
    for m in &found.py {
        if in_non_app_dir(&m.rel)
            || cands.iter().any(|c| c.stack != Stack::Node && (under(&c.root, &m.dir) || under(&m.dir, &c.root)))
        {
            continue;
        }
        let fw = super::catalog::PYTHON_FRAMEWORKS
            .iter()
            .find(|(n, _)| *n != "django" && m.deps.iter().any(|d| d.name == *n && !d.dev));
        if let Some((_, fw)) = fw {
            if !cands.iter().any(|c| c.root == m.dir) {
                cands.push(Candidate {
                    root: m.dir.clone(),
                    stack: Stack::Python,
                    framework: fw.to_string(),
                    package_json: None,
                    entries: BTreeSet::new(),
                    packages: BTreeSet::new(),
                });
            }
        }
    }
    // A Django project below the manifest that names Django extends to the
    // manifest's directory when nothing else lives there.
    let snapshot = cands.clone();
    for c in cands.iter_mut().filter(|c| c.stack == Stack::Django) {
        let best = found
            .py
            .iter()
            .filter(|m| !in_non_app_dir(&m.rel) && m.deps.iter().any(|d| d.name == "django"))
            .filter(|m| m.dir != c.root && under(&c.root, &m.dir))
            .filter(|m| !snapshot.iter().any(|o| o.root != c.root && under(&o.root, &m.dir)))
            .map(|m| m.dir.clone())
            .min_by_key(|d| d.len());
        if let Some(d) = best {
            c.root = d;
        }
    }
    cands.sort_by(|a, b| a.root.cmp(&b.root).then(a.stack.cmp(&b.stack)));
    cands.dedup_by(|a, b| a.root == b.root && a.stack == b.stack);
    cands
}

/// The application a path belongs to: the one with the deepest root that
/// contains it.
pub fn owner(apps: &[Candidate], path: &str) -> Option<usize> {
    apps.iter().enumerate().filter(|(_, a)| under(path, &a.root)).max_by_key(|(_, a)| a.root.len()).map(|(i, _)| i)
}

/// The application a start command belongs to: by its compose build
/// context, by its file's location, by what it starts (`gunicorn
/// shop.wsgi`, `node gateway/server.js`, `cd gateway && ...`), or the only
/// application of the matching stack.
pub fn command_owner(apps: &[Candidate], cmd: &Command) -> Option<usize> {
    if let Some(ctx) = &cmd.context {
        return owner(apps, ctx).or_else(|| apps.iter().position(|a| under(&a.root, ctx)));
    }
    let dir = dir_of(&cmd.path);
    if let Some(i) = owner(apps, &cmd.path) {
        return Some(i);
    }
    let uses = deploy::classify(&cmd.command);
    // `cd sub && ...`
    let toks: Vec<&str> = cmd.command.split_whitespace().collect();
    if let Some(i) = toks.iter().position(|t| *t == "cd") {
        if let Some(sub) = toks.get(i + 1) {
            let p = deploy::join_rel(&dir, sub);
            if let Some(a) = owner(apps, &p) {
                return Some(a);
            }
        }
    }
    for u in &uses {
        if let Some(t) = &u.target {
            let module = t.split(':').next().unwrap_or(t);
            let pkg = module.split('.').next().unwrap_or(module);
            if let Some(i) = apps.iter().position(|a| a.packages.contains(pkg)) {
                return Some(i);
            }
            if let Some(i) = owner(apps, &deploy::join_rel(&dir, t)).filter(|i| !apps[*i].root.is_empty()) {
                return Some(i);
            }
        }
    }
    let wants = |a: &Candidate| {
        uses.iter().any(|u| match u.model {
            deploy::Model::Node => a.stack == Stack::Node,
            _ => a.stack != Stack::Node,
        })
    };
    let matching: Vec<usize> = (0..apps.len()).filter(|&i| wants(&apps[i])).collect();
    (matching.len() == 1).then(|| matching[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan's walk keeps every file the profile's own walk would read,
    /// and skips the same directories: both give the same manifests.
    #[test]
    fn the_scan_walk_finds_what_the_profile_walk_finds() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let files = [
            ("package.json", r#"{"name":"a","dependencies":{"express":"4"},"scripts":{"start":"node server.js"}}"#),
            ("server.js", "require('express')().listen(3000);"),
            ("requirements.txt", "django==5.0\n"),
            ("requirements/prod.txt", "gunicorn\n"),
            ("reqs/base.txt", "celery\n"),
            ("notes.txt", "not a manifest\n"),
            ("svc/pyproject.toml", "[project]\nname = 'svc'\ndependencies = ['fastapi']\n"),
            ("svc/Pipfile", "[packages]\nflask = '*'\n"),
            ("svc/setup.cfg", "[options]\ninstall_requires =\n    requests\n"),
            ("svc/uv.lock", "[[package]]\nname = 'fastapi'\nversion = '0.110.0'\n"),
            ("Dockerfile.prod", "FROM python:3.12\nCMD gunicorn app.wsgi\n"),
            ("deploy/api.Dockerfile", "FROM node:20\nCMD node server.js\n"),
            ("Containerfile", "FROM node:20\n"),
            ("docker-compose.override.YML", "services:\n  web:\n    command: node server.js\n"),
            ("compose.yaml", "services:\n  w:\n    command: celery worker\n"),
            ("Procfile.dev", "web: node server.js\n"),
            (".nvmrc", "20\n"),
            ("uWSGI.ini", "[uwsgi]\n"),
            ("prisma/schema.prisma", "model User {\n  id Int @id\n}\n"),
            ("dist-pkg/x-1.0.dist-info/METADATA", "Name: x\nRequires-Dist: django\n"),
            ("sdist/PKG-INFO", "Name: y\nRequires-Dist: flask\n"),
            ("yarn.lock", "express@^4:\n  version \"4.18.0\"\n"),
            ("node_modules/dep/package.json", r#"{"name":"dep","dependencies":{"koa":"2"}}"#),
            ("env/pyvenv.cfg", "home = /usr\n"),
            ("env/requirements.txt", "flask\n"),
            ("build/Dockerfile", "FROM scratch\n"),
        ];
        for (rel, text) in files {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let excludes = globset::GlobSet::empty();
        let walked = walk::walk(&walk::WalkOptions {
            paths: &[root.to_path_buf()],
            root,
            excludes: &excludes,
            default_excludes: true,
            max_file_size: 1 << 20,
            threads: 2,
            keep: Some(maybe_manifest),
        });
        let rels = |f: &Found| -> Vec<String> {
            let mut v: Vec<String> = f.package_jsons.iter().map(|p| p.rel.clone()).collect();
            v.extend(f.py.iter().map(|p| format!("{} {} {}", p.rel, p.dir, p.deps.len())));
            v.extend(f.py_locks.iter().map(|l| l.2.clone()));
            v.extend(f.npm_locks.iter().map(|l| l.0.clone()));
            v.extend(f.commands.iter().map(|c| format!("{}:{} {}", c.path, c.line, c.command)));
            v.extend(f.dockerfiles.iter().map(|d| d.0.clone()));
            v.extend(f.node_version_files.iter().map(|n| n.0.clone()));
            v.extend(f.uwsgi_ini.iter().cloned());
            v.extend(f.prisma_models.iter().map(|m| m.1.clone()));
            v.extend(f.warnings.iter().cloned());
            v
        };
        let from_walk = rels(&read_manifests(root, &walked.kept));
        let own = rels(&gather(root, &[root.to_path_buf()], &excludes));
        assert_eq!(from_walk, own);
        for expected in ["package.json", "requirements/prod.txt  1", "reqs/base.txt  1", "Dockerfile.prod", "User"] {
            assert!(own.iter().any(|r| r.contains(expected)), "{expected} in {own:?}");
        }
        assert!(own.len() >= 20, "{own:?}");
        for absent in ["node_modules", "env/", "build/", "notes.txt"] {
            assert!(!own.iter().any(|r| r.contains(absent)), "{absent} in {own:?}");
        }
        assert!(!walked.kept.iter().any(|p| p.ends_with("server.js") || p.ends_with("notes.txt")));
    }

    #[test]
    fn django_roots_from_modules() {
        assert_eq!(django_root_of_module("proj/settings.py"), Some((String::new(), "proj".into())));
        assert_eq!(django_root_of_module("src/conf/settings/prod.py"), Some(("src".into(), "conf".into())));
        assert_eq!(django_root_of_module("svc/core/wsgi.py"), Some(("svc".into(), "core".into())));
        assert_eq!(django_root_of_module("settings.py"), None);
        assert!(in_non_app_dir("tests/fixtures/app/package.json"));
        assert!(!in_non_app_dir("packages/api/package.json"));
        assert!(under("gateway/src/a.js", "gateway"));
        assert!(!under("gateway2/a.js", "gateway"));
        assert!(under("a.js", ""));
    }
}
