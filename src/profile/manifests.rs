//! Dependency manifests and lock files, read with real parsers: package.json
//! and npm/yarn/pnpm lock files, requirements files (with `-r`/`-c`
//! includes, extras, markers), pyproject.toml (PEP 621, Poetry, PEP 735
//! groups), Pipfile and Pipfile.lock, setup.cfg, poetry/uv/pdm lock files.
//! Every dependency keeps the line it is declared on, for locations.

use super::catalog::normalise_python_name;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Dependency {
    /// npm name, or PyPI name normalised per PEP 503.
    pub name: String,
    /// The version specifier as written (`^4.19.2`, `>=5.2,<6`, `==6.0.1`).
    pub spec: String,
    /// Development-only (devDependencies, dev requirement files, groups).
    pub dev: bool,
    /// Manifest path, relative to the report root.
    pub file: String,
    pub line: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extras: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// A version as far as a specifier tells it: exact (`==6.0.1`, a lock
/// file) or the lower bound of a range (`^4.19.2` → 4.19.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub text: String,
    pub pinned: bool,
}

impl Version {
    /// Numeric components: `6.0.1` → [6, 0, 1]; `5.2rc1` → [5, 2].
    pub fn parts(&self) -> Vec<u64> {
        version_parts(&self.text)
    }
    pub fn major(&self) -> Option<u64> {
        self.parts().first().copied()
    }
    pub fn at_least(&self, major: u64, minor: u64) -> bool {
        let p = self.parts();
        match (p.first(), p.get(1)) {
            (Some(&a), b) => a > major || (a == major && b.copied().unwrap_or(0) >= minor),
            _ => false,
        }
    }
}

pub fn version_parts(s: &str) -> Vec<u64> {
    let s = s.trim().trim_start_matches(['v', 'V', '=']);
    let mut out = Vec::new();
    for part in s.split('.') {
        let digits: String = part.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            break;
        }
        out.push(digits.parse().unwrap_or(0));
        if digits.len() != part.len() {
            break;
        }
    }
    out
}

/// The version a specifier implies. npm ranges (`^1.2.3`, `~1.2`, `>=1 <2`,
/// `1.x`, `a || b` (lowest alternative)) and PEP 440 specifiers (`==`,
/// `~=`, `>=`, `===`) are both understood.
pub fn version_of_spec(spec: &str) -> Option<Version> {
    let spec = spec.trim();
    if spec.is_empty() || spec == "*" || spec == "latest" {
        return None;
    }
    if spec.contains("||") {
        let mut best: Option<Version> = None;
        for alt in spec.split("||") {
            if let Some(v) = version_of_spec(alt) {
                if best.as_ref().is_none_or(|b| v.parts() < b.parts()) {
                    best = Some(v);
                }
            }
        }
        return best.map(|v| Version { pinned: false, ..v });
    }
    if spec.starts_with("workspace:") || spec.starts_with("file:") || spec.starts_with("link:") || spec.contains("://")
    {
        return None;
    }
    let spec = spec.strip_prefix("npm:").map(|s| s.rsplit_once('@').map(|x| x.1).unwrap_or(s)).unwrap_or(spec);
    let clauses: Vec<&str> = spec.split([',', ' ']).map(str::trim).filter(|c| !c.is_empty()).collect();
    let mut lower: Option<Version> = None;
    for c in &clauses {
        let (op, v) = split_op(c);
        let text = v.trim().trim_start_matches('v').to_string();
        if version_parts(&text).is_empty() {
            continue;
        }
        match op {
            "==" | "===" | "" if !text.contains('*') && !text.contains('x') && !text.contains('X') => {
                // A bare npm version is exact; a bare PEP 440 one cannot occur.
                return Some(Version { text: trim_wildcard(&text), pinned: true });
            }
            "<" | "<=" | "!=" => {}
            _ => {
                // The tightest lower bound: `==5.2.*,>=5.2.17` → 5.2.17.
                let v = Version { text: trim_wildcard(&text), pinned: false };
                if lower.as_ref().is_none_or(|l| v.parts() > l.parts()) {
                    lower = Some(v);
                }
            }
        }
    }
    lower
}

fn trim_wildcard(t: &str) -> String {
    t.split('.').take_while(|p| !matches!(*p, "*" | "x" | "X")).collect::<Vec<_>>().join(".")
}

fn split_op(c: &str) -> (&str, &str) {
    for op in ["===", "==", "~=", ">=", "<=", "!=", "^", "~", ">", "<", "="] {
        if let Some(rest) = c.strip_prefix(op) {
            return (if op == "=" { "==" } else { op }, rest);
        }
    }
    ("", c)
}

/// Line (1-based) of the first line at or after `from` whose text holds
/// `needle` as a key or a requirement name (case-insensitive, followed by
/// a non-name character).
pub fn find_line(text: &str, needle: &str, from: u32) -> Option<u32> {
    let lower_needle = needle.to_ascii_lowercase();
    for (i, line) in text.lines().enumerate().skip(from.saturating_sub(1) as usize) {
        let l = line.to_ascii_lowercase();
        let mut start = 0;
        while let Some(pos) = l[start..].find(&lower_needle) {
            let at = start + pos;
            let before = l[..at].chars().next_back();
            let after = l[at + lower_needle.len()..].chars().next();
            let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '@');
            if !before.is_some_and(name_char) && !after.is_some_and(name_char) {
                return Some(i as u32 + 1);
            }
            start = at + lower_needle.len();
        }
    }
    None
}

// ---------------------------------------------------------------- npm

#[derive(Debug, Clone, Default)]
pub struct PackageJson {
    pub rel: String,
    pub name: Option<String>,
    pub deps: Vec<Dependency>,
    /// (script name, command, line).
    pub scripts: Vec<(String, String, u32)>,
    /// `engines.node`, with its line.
    pub engines_node: Option<(String, u32)>,
    pub volta_node: Option<String>,
    pub workspaces: bool,
}

impl PackageJson {
    pub fn dep(&self, name: &str) -> Option<&Dependency> {
        self.deps.iter().find(|d| d.name == name)
    }
}

pub fn parse_package_json(rel: &str, text: &str) -> Result<PackageJson, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("{rel}: not valid JSON: {e}"))?;
    let obj = v.as_object().ok_or_else(|| format!("{rel}: not a JSON object"))?;
    let mut p = PackageJson { rel: rel.to_string(), ..Default::default() };
    p.name = obj.get("name").and_then(|n| n.as_str()).map(str::to_string);
    for (section, dev) in [
        ("dependencies", false),
        ("optionalDependencies", false),
        ("devDependencies", true),
        ("peerDependencies", true),
    ] {
        let Some(deps) = obj.get(section).and_then(|d| d.as_object()) else { continue };
        let section_line = find_line(text, &format!("\"{section}\""), 1).unwrap_or(1);
        for (name, spec) in deps {
            let spec = spec.as_str().unwrap_or("").to_string();
            let line = find_line(text, &format!("\"{name}\""), section_line).unwrap_or(section_line);
            let kind_dev = dev || section == "peerDependencies";
            p.deps.push(Dependency {
                name: name.clone(),
                spec,
                dev: kind_dev,
                file: rel.to_string(),
                line,
                extras: Vec::new(),
                marker: None,
            });
        }
    }
    if let Some(scripts) = obj.get("scripts").and_then(|s| s.as_object()) {
        let section_line = find_line(text, "\"scripts\"", 1).unwrap_or(1);
        for (name, cmd) in scripts {
            if let Some(cmd) = cmd.as_str() {
                let line = find_line(text, &format!("\"{name}\""), section_line).unwrap_or(section_line);
                p.scripts.push((name.clone(), cmd.to_string(), line));
            }
        }
    }
    if let Some(node) = obj.get("engines").and_then(|e| e.get("node")).and_then(|n| n.as_str()) {
        let engines_line = find_line(text, "\"engines\"", 1).unwrap_or(1);
        p.engines_node = Some((node.to_string(), find_line(text, "\"node\"", engines_line).unwrap_or(engines_line)));
    }
    p.volta_node = obj.get("volta").and_then(|e| e.get("node")).and_then(|n| n.as_str()).map(str::to_string);
    p.workspaces = obj.contains_key("workspaces");
    p.deps.sort();
    Ok(p)
}

/// Installed versions from an npm lock file (`package-lock.json`,
/// `npm-shrinkwrap.json`), for the package at `pkg_dir` relative to the
/// lock file's directory ("" for the same directory).
pub fn npm_lock_versions(v: &serde_json::Value, pkg_dir: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(pkgs) = v.get("packages").and_then(|p| p.as_object()) {
        let prefixes: Vec<String> = if pkg_dir.is_empty() {
            vec!["node_modules/".into()]
        } else {
            vec![format!("{pkg_dir}/node_modules/"), "node_modules/".into()]
        };
        for prefix in prefixes {
            for (k, meta) in pkgs {
                let Some(name) = k.strip_prefix(&prefix) else { continue };
                if name.contains("/node_modules/") {
                    continue;
                }
                if let Some(ver) = meta.get("version").and_then(|x| x.as_str()) {
                    out.entry(name.to_string()).or_insert_with(|| ver.to_string());
                }
            }
        }
    } else if let Some(deps) = v.get("dependencies").and_then(|p| p.as_object()) {
        for (name, meta) in deps {
            if let Some(ver) = meta.get("version").and_then(|x| x.as_str()) {
                out.insert(name.clone(), ver.to_string());
            }
        }
    }
    out
}

/// `yarn.lock` (classic and berry): name → versions resolved, with the
/// ranges that resolved to each.
pub fn yarn_lock_versions(text: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') && line.ends_with(':') {
            current.clear();
            for entry in line.trim_end_matches(':').split(", ") {
                let e = entry.trim().trim_matches('"');
                // `@scope/name@^1`, `name@npm:^1`
                let at = if let Some(rest) = e.strip_prefix('@') { rest.find('@').map(|i| i + 1) } else { e.find('@') };
                if let Some(i) = at {
                    let name = &e[..i];
                    let range = e[i + 1..].trim_start_matches("npm:");
                    current.push((name.to_string(), range.to_string()));
                }
            }
            continue;
        }
        let t = line.trim();
        let version = t.strip_prefix("version ").or_else(|| t.strip_prefix("version: "));
        if let Some(v) = version {
            let v = v.trim().trim_matches('"');
            for (name, range) in current.drain(..) {
                out.entry(name).or_default().push((range, v.to_string()));
            }
        }
    }
    out
}

/// `pnpm-lock.yaml`: name → versions listed under `packages:` (v5–v9 key
/// forms `/name@1.2.3:`, `/name/1.2.3:`, `name@1.2.3:`).
pub fn pnpm_lock_versions(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut in_packages = false;
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        if !in_packages || !line.starts_with("  ") || line.starts_with("   ") {
            continue;
        }
        let key = line.trim().trim_end_matches(':').trim_matches(|c| c == '\'' || c == '"');
        let key = key.trim_start_matches('/');
        let key = key.split('(').next().unwrap_or(key);
        let at = if let Some(rest) = key.strip_prefix('@') { rest.find(['@', '/']).map(|i| i + 1) } else { None };
        let split = match at {
            Some(i) => key[i..].find(['@', '/']).map(|j| i + j),
            None => key.find(['@', '/']),
        };
        // Scoped names contain one '/', so search for the separator after it.
        let split = if key.starts_with('@') {
            key.find('/').and_then(|slash| key[slash + 1..].find(['@', '/']).map(|j| slash + 1 + j))
        } else {
            split
        };
        if let Some(i) = split {
            let (name, ver) = (&key[..i], &key[i + 1..]);
            if !version_parts(ver).is_empty() {
                out.entry(name.to_string()).or_default().push(ver.to_string());
            }
        }
    }
    out
}

/// The installed version that best matches `spec`: same major as the
/// specifier's lower bound, else the first.
pub fn pick_version<'a>(candidates: impl IntoIterator<Item = &'a String>, spec: &str) -> Option<String> {
    let want = version_of_spec(spec).and_then(|v| v.major());
    let all: Vec<&String> = candidates.into_iter().collect();
    all.iter()
        .find(|v| want.is_some() && version_parts(v).first().copied() == want)
        .or(all.first())
        .map(|v| v.to_string())
}

// ------------------------------------------------------------- Python

/// One parsed PEP 508 requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub name: String,
    pub extras: Vec<String>,
    pub spec: String,
    pub marker: Option<String>,
}

/// `Django[argon2]>=5.2,<6 ; python_version >= "3.10"` → name, extras,
/// specifier, marker. `name @ url` keeps the URL as the specifier.
pub fn parse_pep508(s: &str) -> Option<Requirement> {
    let s = s.trim();
    let (req, marker) = match s.split_once(';') {
        Some((r, m)) => (r.trim(), Some(m.trim().to_string()).filter(|m| !m.is_empty())),
        None => (s, None),
    };
    let name_len =
        req.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).unwrap_or(req.len());
    if name_len == 0 {
        return None;
    }
    let name = normalise_python_name(&req[..name_len]);
    let mut rest = req[name_len..].trim();
    let mut extras = Vec::new();
    if let Some(r) = rest.strip_prefix('[') {
        let end = r.find(']')?;
        extras = r[..end].split(',').map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect();
        rest = r[end + 1..].trim();
    }
    let spec = rest.strip_prefix('@').map(|u| u.trim()).unwrap_or(rest);
    let spec = spec.trim_start_matches('(').trim_end_matches(')').trim().to_string();
    Some(Requirement { name, extras, spec, marker })
}

/// Requirement files named for development, tests or tooling.
pub fn is_dev_requirements(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    ["dev", "test", "local", "lint", "docs", "ci", "tox", "debug", "develop"]
        .iter()
        .any(|w| name.split(['-', '_', '.']).any(|p| p == *w || p == format!("{w}s")))
}

/// Parses a requirements file and the files it includes (`-r`, `-c`),
/// relative to `root` for the `file` of each dependency. Constraint files
/// only contribute versions (returned separately); cycles are cut.
pub fn parse_requirements(root: &Path, path: &Path) -> (Vec<Dependency>, Vec<Dependency>, Vec<String>) {
    let mut deps = Vec::new();
    let mut constraints = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    requirements_rec(root, path, false, &mut seen, &mut deps, &mut constraints, &mut errors);
    (deps, constraints, errors)
}

fn requirements_rec(
    root: &Path,
    path: &Path,
    constraint: bool,
    seen: &mut HashSet<PathBuf>,
    deps: &mut Vec<Dependency>,
    constraints: &mut Vec<Dependency>,
    errors: &mut Vec<String>,
) {
    let canon = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if !seen.insert(canon) || seen.len() > 64 {
        return;
    }
    let rel = crate::walk::rel_path(root, path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            errors.push(format!("{rel}: {e}"));
            return;
        }
    };
    let dev = is_dev_requirements(&rel);
    let dir = path.parent().unwrap_or(Path::new("."));
    // Logical lines: a trailing backslash continues the line.
    let mut logical: Vec<(u32, String)> = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw);
        let (start, mut acc) = pending.take().unwrap_or((i as u32 + 1, String::new()));
        if let Some(cont) = line.trim_end().strip_suffix('\\') {
            acc.push_str(cont);
            acc.push(' ');
            pending = Some((start, acc));
        } else {
            acc.push_str(line);
            logical.push((start, acc));
        }
    }
    if let Some(p) = pending {
        logical.push(p);
    }
    for (line_no, line) in logical {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        if let Some(target) = option_value(l, &["-r", "--requirement"]) {
            requirements_rec(root, &dir.join(target), constraint, seen, deps, constraints, errors);
            continue;
        }
        if let Some(target) = option_value(l, &["-c", "--constraint"]) {
            requirements_rec(root, &dir.join(target), true, seen, deps, constraints, errors);
            continue;
        }
        let req_text = if let Some(target) = option_value(l, &["-e", "--editable"]) {
            match target.split_once("#egg=") {
                Some((_, egg)) => egg.to_string(),
                None => continue,
            }
        } else if l.starts_with('-') {
            continue;
        } else if l.contains("://") || l.starts_with('.') || l.starts_with('/') {
            // A URL or path: only an `#egg=` or `name @ url` names it.
            match l.split_once("#egg=") {
                Some((_, egg)) => egg.to_string(),
                None if l.contains(" @ ") => l.to_string(),
                None => continue,
            }
        } else {
            l.to_string()
        };
        let Some(r) = parse_pep508(&req_text) else { continue };
        let d = Dependency {
            name: r.name,
            spec: r.spec,
            dev,
            file: rel.clone(),
            line: line_no,
            extras: r.extras,
            marker: r.marker,
        };
        if constraint {
            constraints.push(d);
        } else {
            deps.push(d);
        }
    }
}

/// A comment starts at `#` at the line start or after whitespace (URLs
/// may contain `#egg=`).
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// `-r file`, `-rfile`, `--requirement=file`, `--requirement file`.
fn option_value<'a>(l: &'a str, names: &[&str]) -> Option<&'a str> {
    for n in names {
        let Some(rest) = l.strip_prefix(n) else { continue };
        let v = if let Some(r) = rest.strip_prefix('=') {
            r
        } else if rest.starts_with([' ', '\t']) || !n.starts_with("--") {
            rest
        } else {
            continue;
        };
        let v = v.trim();
        if !v.is_empty() {
            return Some(v);
        }
    }
    None
}

fn dep_from_req(r: Requirement, rel: &str, text: &str, dev: bool, from: u32) -> Dependency {
    let line = find_line(text, &r.name, from)
        .or_else(|| find_line(text, &r.name.replace('-', "_"), from))
        .or_else(|| find_line(text, &r.name, 1))
        .unwrap_or(from.max(1));
    Dependency { name: r.name, spec: r.spec, dev, file: rel.to_string(), line, extras: r.extras, marker: r.marker }
}

/// Python metadata of a pyproject.toml: dependencies and `requires-python`.
#[derive(Debug, Clone, Default)]
pub struct PyProject {
    pub deps: Vec<Dependency>,
    pub requires_python: Option<String>,
}

pub fn parse_pyproject(rel: &str, text: &str) -> Result<PyProject, String> {
    let v: toml::Table = toml::from_str(text).map_err(|e| format!("{rel}: {}", e.to_string().trim_end()))?;
    let mut out = PyProject::default();
    let section_line = |name: &str| find_line(text, name, 1).unwrap_or(1);
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    if let Some(project) = v.get("project").and_then(|p| p.as_table()) {
        out.requires_python = project.get("requires-python").and_then(|r| r.as_str()).map(str::to_string);
        let from = section_line("dependencies");
        for s in strings(project.get("dependencies")) {
            if let Some(r) = parse_pep508(&s) {
                out.deps.push(dep_from_req(r, rel, text, false, from));
            }
        }
        if let Some(opt) = project.get("optional-dependencies").and_then(|o| o.as_table()) {
            for (group, list) in opt {
                let dev = is_dev_requirements(group);
                for s in strings(Some(list)) {
                    if let Some(r) = parse_pep508(&s) {
                        out.deps.push(dep_from_req(r, rel, text, dev, section_line("optional-dependencies")));
                    }
                }
            }
        }
    }
    if let Some(groups) = v.get("dependency-groups").and_then(|g| g.as_table()) {
        for (_, list) in groups {
            for s in strings(Some(list)) {
                if let Some(r) = parse_pep508(&s) {
                    out.deps.push(dep_from_req(r, rel, text, true, section_line("dependency-groups")));
                }
            }
        }
    }
    let poetry = v.get("tool").and_then(|t| t.get("poetry"));
    if let Some(poetry) = poetry {
        let mut tables: Vec<(&toml::Value, bool)> = Vec::new();
        if let Some(d) = poetry.get("dependencies") {
            tables.push((d, false));
        }
        if let Some(d) = poetry.get("dev-dependencies") {
            tables.push((d, true));
        }
        if let Some(groups) = poetry.get("group").and_then(|g| g.as_table()) {
            for (_, g) in groups {
                if let Some(d) = g.get("dependencies") {
                    tables.push((d, true));
                }
            }
        }
        for (table, dev) in tables {
            let Some(t) = table.as_table() else { continue };
            for (name, val) in t {
                if name == "python" {
                    out.requires_python = val.as_str().map(str::to_string).or(out.requires_python.take());
                    continue;
                }
                let spec = match val {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Table(t) => t.get("version").and_then(|v| v.as_str()).unwrap_or("").to_string(),
                    _ => String::new(),
                };
                let r = Requirement { name: normalise_python_name(name), extras: Vec::new(), spec, marker: None };
                out.deps.push(dep_from_req(r, rel, text, dev, section_line("[tool.poetry")));
            }
        }
    }
    if let Some(pdm) = v.get("tool").and_then(|t| t.get("pdm")).and_then(|p| p.get("dev-dependencies")) {
        if let Some(groups) = pdm.as_table() {
            for (_, list) in groups {
                for s in strings(Some(list)) {
                    if let Some(r) = parse_pep508(&s) {
                        out.deps.push(dep_from_req(r, rel, text, true, 1));
                    }
                }
            }
        }
    }
    out.deps.sort();
    Ok(out)
}

pub fn parse_pipfile(rel: &str, text: &str) -> Result<Vec<Dependency>, String> {
    let v: toml::Table = toml::from_str(text).map_err(|e| format!("{rel}: {}", e.to_string().trim_end()))?;
    let mut out = Vec::new();
    for (section, dev) in [("packages", false), ("dev-packages", true)] {
        let Some(t) = v.get(section).and_then(|t| t.as_table()) else { continue };
        let from = find_line(text, &format!("[{section}]"), 1).unwrap_or(1);
        for (name, val) in t {
            let (spec, extras) = match val {
                toml::Value::String(s) => (s.clone(), Vec::new()),
                toml::Value::Table(t) => (
                    t.get("version").and_then(|v| v.as_str()).unwrap_or("").to_string(),
                    t.get("extras")
                        .and_then(|e| e.as_array())
                        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                        .unwrap_or_default(),
                ),
                _ => (String::new(), Vec::new()),
            };
            let r = Requirement { name: normalise_python_name(name), extras, spec, marker: None };
            out.push(dep_from_req(r, rel, text, dev, from));
        }
    }
    out.sort();
    Ok(out)
}

/// setup.cfg `[options] install_requires` and `[options.extras_require]`.
pub fn parse_setup_cfg(rel: &str, text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut key: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let line = raw.split(['#', ';']).next().unwrap_or("").trim_end();
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            key = None;
            continue;
        }
        let continuation = raw.starts_with([' ', '\t']);
        let value = if continuation {
            line.trim().to_string()
        } else if let Some((k, v)) = line.split_once(['=', ':']) {
            key = Some(k.trim().to_string());
            v.trim().to_string()
        } else {
            continue;
        };
        let wanted = match (section.as_str(), key.as_deref()) {
            ("options", Some("install_requires")) => Some(false),
            ("options.extras_require", Some(k)) => Some(is_dev_requirements(k)),
            _ => None,
        };
        let Some(dev) = wanted else { continue };
        if value.is_empty() {
            continue;
        }
        if let Some(r) = parse_pep508(&value) {
            out.push(Dependency {
                name: r.name,
                spec: r.spec,
                dev,
                file: rel.to_string(),
                line: line_no,
                extras: r.extras,
                marker: r.marker,
            });
        }
    }
    out
}

/// Core metadata (`PKG-INFO` of an sdist, `METADATA` of a wheel):
/// `Requires-Dist:` lines; those only for an extra count as optional.
pub fn parse_core_metadata(rel: &str, text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            break; // the description follows the headers
        }
        let Some(v) = line.strip_prefix("Requires-Dist:") else { continue };
        if let Some(r) = parse_pep508(v) {
            let optional = r.marker.as_deref().is_some_and(|m| m.contains("extra"));
            out.push(Dependency {
                name: r.name,
                spec: r.spec,
                dev: optional,
                file: rel.to_string(),
                line: i as u32 + 1,
                extras: r.extras,
                marker: r.marker,
            });
        }
    }
    out
}

/// poetry.lock, uv.lock, pdm.lock: `[[package]] name, version`.
pub fn toml_lock_versions(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(v) = toml::from_str::<toml::Table>(text) else { return out };
    if let Some(pkgs) = v.get("package").and_then(|p| p.as_array()) {
        for p in pkgs {
            if let (Some(n), Some(ver)) =
                (p.get("name").and_then(|x| x.as_str()), p.get("version").and_then(|x| x.as_str()))
            {
                out.entry(normalise_python_name(n)).or_insert_with(|| ver.to_string());
            }
        }
    }
    out
}

/// Pipfile.lock: `default`/`develop` → name → `==version`.
pub fn pipfile_lock_versions(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else { return out };
    for section in ["default", "develop"] {
        if let Some(pkgs) = v.get(section).and_then(|p| p.as_object()) {
            for (name, meta) in pkgs {
                if let Some(ver) = meta.get("version").and_then(|x| x.as_str()) {
                    out.entry(normalise_python_name(name)).or_insert_with(|| ver.trim_start_matches('=').to_string());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_specifiers() {
        let v = |s: &str| version_of_spec(s).map(|v| (v.text, v.pinned));
        assert_eq!(v("^4.19.2"), Some(("4.19.2".into(), false)));
        assert_eq!(v("4.19.2"), Some(("4.19.2".into(), true)));
        assert_eq!(v("==6.0.1"), Some(("6.0.1".into(), true)));
        assert_eq!(v(">=5.2,<6"), Some(("5.2".into(), false)));
        assert_eq!(v("~=4.2.0"), Some(("4.2.0".into(), false)));
        assert_eq!(v("<6"), None);
        assert_eq!(v("*"), None);
        assert_eq!(v("22.x"), Some(("22".into(), false)));
        assert_eq!(v("^20 || >=22"), Some(("20".into(), false)));
        assert_eq!(v(">=22.0.0"), Some(("22.0.0".into(), false)));
        assert_eq!(v("==5.2.*,>=5.2.17"), Some(("5.2.17".into(), false)));
        assert!(Version { text: "6.0.1".into(), pinned: true }.at_least(6, 0));
        assert!(!Version { text: "5.2".into(), pinned: false }.at_least(6, 0));
    }

    #[test]
    fn pep508_requirements() {
        let r = parse_pep508("Django[argon2,bcrypt]>=5.2,<6 ; python_version >= \"3.10\"").unwrap();
        assert_eq!(r.name, "django");
        assert_eq!(r.extras, vec!["argon2", "bcrypt"]);
        assert_eq!(r.spec, ">=5.2,<6");
        assert_eq!(r.marker.as_deref(), Some("python_version >= \"3.10\""));
        let r = parse_pep508("my_pkg @ https://example.com/p.whl").unwrap();
        assert_eq!((r.name.as_str(), r.spec.as_str()), ("my-pkg", "https://example.com/p.whl"));
    }

    #[test]
    fn requirements_follow_includes_and_skip_options() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("requirements")).unwrap();
        std::fs::write(
            root.join("requirements/base.txt"),
            "# base\nDjango==6.0.1  # pinned\ncelery[redis]>=5.4 ; sys_platform != 'win32'\n-c constraints.txt\n",
        )
        .unwrap();
        std::fs::write(root.join("requirements/constraints.txt"), "redis==5.0.1\n").unwrap();
        std::fs::write(
            root.join("requirements/prod.txt"),
            "-r base.txt\n--index-url https://pypi.example.com/simple\ngunicorn==23.0.0 \\\n    --hash=sha256:abc\n-e git+https://github.com/x/y.git#egg=some_lib\n-r base.txt\n",
        )
        .unwrap();
        let (deps, constraints, errors) = parse_requirements(root, &root.join("requirements/prod.txt"));
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<(&str, &str, u32)> = deps.iter().map(|d| (d.name.as_str(), d.file.as_str(), d.line)).collect();
        assert_eq!(
            names,
            vec![
                ("django", "requirements/base.txt", 2),
                ("celery", "requirements/base.txt", 3),
                ("gunicorn", "requirements/prod.txt", 3),
                ("some-lib", "requirements/prod.txt", 5),
            ]
        );
        assert_eq!(deps[1].extras, vec!["redis"]);
        assert!(deps[1].marker.is_some());
        assert_eq!(constraints[0].name, "redis");
    }

    #[test]
    fn pyproject_pipfile_and_setup_cfg() {
        let p = parse_pyproject(
            "pyproject.toml",
            "[project]\nname = \"x\"\nrequires-python = \">=3.12\"\ndependencies = [\n  \"django>=6.0\",\n  \"channels[daphne]\",\n]\n[dependency-groups]\ndev = [\"pytest\"]\n",
        )
        .unwrap();
        let names: Vec<(&str, bool, u32)> = p.deps.iter().map(|d| (d.name.as_str(), d.dev, d.line)).collect();
        assert!(names.contains(&("django", false, 5)), "{names:?}");
        assert!(names.contains(&("channels", false, 6)), "{names:?}");
        assert!(names.contains(&("pytest", true, 9)), "{names:?}");
        let poetry =
            parse_pyproject("pyproject.toml", "[tool.poetry.dependencies]\npython = \"^3.11\"\nDjango = \"^5.1\"\n")
                .unwrap();
        assert_eq!(poetry.deps[0].name, "django");
        assert_eq!(poetry.deps[0].line, 3);
        let pip =
            parse_pipfile("Pipfile", "[packages]\ndjango = \"==4.2.1\"\n[dev-packages]\npytest = \"*\"\n").unwrap();
        assert_eq!(pip.len(), 2);
        let cfg = parse_setup_cfg(
            "setup.cfg",
            "[metadata]\nname = x\n[options]\ninstall_requires =\n    Django>=4.2\n    requests\n",
        );
        assert_eq!(
            cfg.iter().map(|d| (d.name.as_str(), d.line)).collect::<Vec<_>>(),
            vec![("django", 5), ("requests", 6)]
        );
    }

    #[test]
    fn core_metadata_requires_dist() {
        let d = parse_core_metadata(
            "PKG-INFO",
            "Metadata-Version: 2.1\nName: shop\nRequires-Dist: Django<6,>=5.2\nRequires-Dist: pytest; extra == \"dev\"\n\nRequires-Dist: not-a-header\n",
        );
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].name.as_str(), d[0].spec.as_str(), d[0].line, d[0].dev), ("django", "<6,>=5.2", 3, false));
        assert!(d[1].dev);
    }

    #[test]
    fn package_json_and_locks() {
        let text = "{\n  \"name\": \"gw\",\n  \"scripts\": { \"start\": \"node --permission src/server.js\" },\n  \"engines\": { \"node\": \">=22\" },\n  \"dependencies\": {\n    \"express\": \"^4.19.2\",\n    \"socket.io\": \"^4.7.5\"\n  }\n}\n";
        let p = parse_package_json("gw/package.json", text).unwrap();
        assert_eq!(p.dep("express").unwrap().line, 6);
        assert_eq!(p.scripts[0].2, 3);
        assert_eq!(p.engines_node.as_ref().unwrap().0, ">=22");
        let lock = "{\"lockfileVersion\":3,\"packages\":{\"\":{},\"node_modules/express\":{\"version\":\"4.21.2\"},\"node_modules/a/node_modules/express\":{\"version\":\"3.0.0\"}}}";
        assert_eq!(
            npm_lock_versions(&serde_json::from_str(lock).unwrap(), "").get("express").map(String::as_str),
            Some("4.21.2")
        );
        let yarn = "# yarn\n\"express@^4.18.2\", express@^4.17.1:\n  version \"4.18.2\"\n\n\"@nestjs/core@npm:^10.0.0\":\n  version: 10.3.0\n";
        let y = yarn_lock_versions(yarn);
        assert_eq!(y["express"][0].1, "4.18.2");
        assert_eq!(y["@nestjs/core"][0].1, "10.3.0");
        let pnpm = "lockfileVersion: '9.0'\npackages:\n\n  express@4.21.2:\n    resolution: {}\n  /@nestjs/core@10.3.0(rxjs@7):\n    x: y\n";
        let p = pnpm_lock_versions(pnpm);
        assert_eq!(p["express"], vec!["4.21.2"]);
        assert_eq!(p["@nestjs/core"], vec!["10.3.0"]);
    }
}
