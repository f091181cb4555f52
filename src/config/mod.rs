//! Configuration: discovery (`stackfit.toml`, `.stackfit.toml`,
//! `[tool.stackfit]` in `pyproject.toml`), nested configs that inherit the
//! enclosing one unless they say `root = true`, and validation that names the
//! file and key of every mistake.

use crate::finding::{Confidence, Role, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub const CONFIG_FILES: &[&str] = &["stackfit.toml", ".stackfit.toml", "pyproject.toml"];

/// A config file as written. Every key of the spec; anything else is an error.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawConfig {
    pub root: Option<bool>,
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Option<Vec<String>>,
    pub default_excludes: Option<bool>,
    pub fail_on: Option<String>,
    pub severity: Option<BTreeMap<String, String>>,
    pub rules_dirs: Option<Vec<String>>,
    pub per_path_ignores: Option<BTreeMap<String, Vec<String>>>,
    pub settings_modules: Option<Vec<String>>,
    pub production_settings: Option<Vec<String>>,
    /// Files larger than this many bytes are skipped (default 10 MB).
    pub max_file_size: Option<u64>,
    /// Code roles forced for paths: role → globs (`script = ["tools/**"]`).
    pub roles: Option<BTreeMap<String, Vec<String>>>,
    /// Findings below this confidence are hidden (`--min-confidence`).
    pub min_confidence: Option<String>,
}

#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

/// One loaded config file.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// The directory the file's globs and paths are relative to.
    pub dir: PathBuf,
    pub raw: RawConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Level(Severity),
    Never,
}

impl FailOn {
    pub fn parse(s: &str) -> Option<FailOn> {
        match s {
            "never" => Some(FailOn::Never),
            other => Severity::parse(other).map(FailOn::Level),
        }
    }
}

/// The merged settings that apply to one subtree.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory this config applies to (the outermost root if none found).
    pub dir: PathBuf,
    /// Config files merged into this one, outermost first.
    pub files: Vec<PathBuf>,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub exclude: Vec<(PathBuf, String)>,
    pub default_excludes: bool,
    pub fail_on: Option<FailOn>,
    pub severity: BTreeMap<String, Severity>,
    pub rules_dirs: Vec<PathBuf>,
    /// (directory the glob is relative to, glob, rule ids or prefixes)
    pub per_path_ignores: Vec<(PathBuf, String, Vec<String>)>,
    pub settings_modules: Vec<PathBuf>,
    pub production_settings: Vec<(PathBuf, String)>,
    pub max_file_size: u64,
    /// (directory the glob is relative to, role, glob); nested configs'
    /// entries come after (and win over) their parents'.
    pub roles: Vec<(PathBuf, Role, String)>,
    pub min_confidence: Option<Confidence>,
}

pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

impl Config {
    pub fn empty(dir: &Path) -> Config {
        Config {
            dir: dir.to_path_buf(),
            files: Vec::new(),
            select: None,
            ignore: Vec::new(),
            exclude: Vec::new(),
            default_excludes: true,
            fail_on: None,
            severity: BTreeMap::new(),
            rules_dirs: Vec::new(),
            per_path_ignores: Vec::new(),
            settings_modules: Vec::new(),
            production_settings: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            roles: Vec::new(),
            min_confidence: None,
        }
    }

    /// Layers `file` over `self` (a nested config over its parent).
    pub fn merged_with(&self, file: &ConfigFile) -> Result<Config, ConfigError> {
        let err = |message: String| ConfigError { file: file.path.clone(), message };
        let raw = &file.raw;
        let mut c = if raw.root == Some(true) { Config::empty(&file.dir) } else { self.clone() };
        c.dir = file.dir.clone();
        c.files.push(file.path.clone());
        if let Some(s) = &raw.select {
            c.select = Some(s.clone());
        }
        if let Some(i) = &raw.ignore {
            c.ignore.extend(i.iter().cloned());
        }
        if let Some(e) = &raw.exclude {
            c.exclude = e.iter().map(|g| (file.dir.clone(), g.clone())).collect();
        }
        if let Some(e) = &raw.extend_exclude {
            c.exclude.extend(e.iter().map(|g| (file.dir.clone(), g.clone())));
        }
        if let Some(d) = raw.default_excludes {
            c.default_excludes = d;
        }
        if let Some(f) = &raw.fail_on {
            c.fail_on = Some(
                FailOn::parse(f)
                    .ok_or_else(|| err(format!("key 'fail-on': '{f}' is not one of error, warning, note, never")))?,
            );
        }
        if let Some(sev) = &raw.severity {
            for (id, s) in sev {
                let s = Severity::parse(s)
                    .ok_or_else(|| err(format!("key 'severity.{id}': '{s}' is not one of error, warning, note")))?;
                c.severity.insert(id.clone(), s);
            }
        }
        if let Some(d) = &raw.rules_dirs {
            c.rules_dirs.extend(d.iter().map(|p| file.dir.join(p)));
        }
        if let Some(p) = &raw.per_path_ignores {
            for (glob, ids) in p {
                globset::Glob::new(glob)
                    .map_err(|e| err(format!("key 'per-path-ignores': invalid glob '{glob}': {e}")))?;
                c.per_path_ignores.push((file.dir.clone(), glob.clone(), ids.clone()));
            }
        }
        if let Some(s) = &raw.settings_modules {
            c.settings_modules.extend(s.iter().map(|p| file.dir.join(p)));
        }
        if let Some(p) = &raw.production_settings {
            c.production_settings.extend(p.iter().map(|g| (file.dir.clone(), g.clone())));
        }
        if let Some(m) = raw.max_file_size {
            c.max_file_size = m;
        }
        if let Some(m) = &raw.min_confidence {
            c.min_confidence = Some(
                Confidence::parse(m)
                    .ok_or_else(|| err(format!("key 'min-confidence': '{m}' is not one of high, medium, low")))?,
            );
        }
        if let Some(roles) = &raw.roles {
            for (name, globs) in roles {
                let role = Role::parse(name).ok_or_else(|| {
                    err(format!("key 'roles.{name}': unknown role (one of {})", Role::ALL.map(Role::as_str).join(", ")))
                })?;
                for glob in globs {
                    globset::Glob::new(glob)
                        .map_err(|e| err(format!("key 'roles.{name}': invalid glob '{glob}': {e}")))?;
                    c.roles.push((file.dir.clone(), role, glob.clone()));
                }
            }
        }
        Ok(c)
    }

    /// Every rule id or prefix the config names, with the key that names it,
    /// for validation against the rule registry.
    pub fn named_rule_ids(&self) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        for s in self.select.iter().flatten() {
            out.push((s.clone(), "select"));
        }
        for s in &self.ignore {
            out.push((s.clone(), "ignore"));
        }
        for s in self.severity.keys() {
            out.push((s.clone(), "severity"));
        }
        for (_, _, ids) in &self.per_path_ignores {
            for s in ids {
                out.push((s.clone(), "per-path-ignores"));
            }
        }
        out
    }
}

/// Reads a config file, or `None` for a `pyproject.toml` without a
/// `[tool.stackfit]` table.
pub fn load_file(path: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    let err = |message: String| ConfigError { file: path.to_path_buf(), message };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let raw: RawConfig = if is_pyproject {
        let doc: toml::Table = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        let Some(section) = doc.get("tool").and_then(|t| t.get("stackfit")) else {
            return Ok(None);
        };
        section.clone().try_into().map_err(|e: toml::de::Error| err(format!("[tool.stackfit]: {}", e.message())))?
    } else {
        toml::from_str(&text).map_err(|e| err(e.to_string().trim_end().to_string()))?
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Some(ConfigFile { path: path.to_path_buf(), dir, raw }))
}

/// The config file in `dir` itself, if any (first of `CONFIG_FILES` found).
pub fn config_in_dir(dir: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    for name in CONFIG_FILES {
        let p = dir.join(name);
        if p.is_file() {
            if let Some(c) = load_file(&p)? {
                return Ok(Some(c));
            }
        }
    }
    Ok(None)
}

/// Config files from the outermost ancestor of `start` down to `start`,
/// stopping at one that says `root = true`.
pub fn discover_chain(start: &Path) -> Result<Vec<ConfigFile>, ConfigError> {
    let mut chain = Vec::new();
    let mut dir = Some(start);
    while let Some(d) = dir {
        if let Some(c) = config_in_dir(d)? {
            let is_root = c.raw.root == Some(true);
            chain.push(c);
            if is_root {
                break;
            }
        }
        dir = d.parent();
    }
    chain.reverse();
    Ok(chain)
}

/// All configs in force for a run: the one discovered upward from the first
/// path (or given with `--config`), plus nested ones found below it.
#[derive(Debug)]
pub struct ConfigSet {
    /// Sorted by directory depth, deepest last.
    pub configs: Vec<Config>,
}

impl ConfigSet {
    /// The config that governs `path` (the deepest whose dir contains it).
    pub fn for_path(&self, path: &Path) -> &Config {
        self.configs.iter().rev().find(|c| path.starts_with(&c.dir)).unwrap_or(&self.configs[0])
    }

    pub fn index_for_path(&self, path: &Path) -> usize {
        self.configs.iter().rposition(|c| path.starts_with(&c.dir)).unwrap_or(0)
    }

    pub fn base(&self) -> &Config {
        &self.configs[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn unknown_key_names_key_and_file() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "stackfit.toml", "selekt = [\"python/\"]\n");
        let e = load_file(&p).unwrap_err().to_string();
        assert!(e.contains("stackfit.toml"), "{e}");
        assert!(e.contains("selekt"), "{e}");
    }

    #[test]
    fn pyproject_section_and_nested_inheritance() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "pyproject.toml", "[tool.stackfit]\nignore = [\"python/eval\"]\n");
        write(d.path(), "sub/stackfit.toml", "ignore = [\"node/eval\"]\n");
        write(d.path(), "iso/stackfit.toml", "root = true\n");
        let chain = discover_chain(&d.path().join("sub")).unwrap();
        assert_eq!(chain.len(), 2);
        let mut c = Config::empty(d.path());
        for f in &chain {
            c = c.merged_with(f).unwrap();
        }
        assert_eq!(c.ignore, vec!["python/eval".to_string(), "node/eval".to_string()]);
        let chain = discover_chain(&d.path().join("iso")).unwrap();
        assert_eq!(chain.len(), 1);
    }

    #[test]
    fn bad_severity_value_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), ".stackfit.toml", "[severity]\n\"python/eval\" = \"fatal\"\n");
        let f = load_file(&p).unwrap().unwrap();
        let e = Config::empty(d.path()).merged_with(&f).unwrap_err().to_string();
        assert!(e.contains("severity.python/eval"), "{e}");
    }
}
