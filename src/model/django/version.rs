//! The Django version a project runs on, read from its dependency manifests
//! in phase 2: requirements files (`requirements*.txt`, `requirements/*.txt`),
//! `pyproject.toml` (PEP 621 and Poetry), `Pipfile`, `setup.cfg`, and the lock
//! files that pin an exact version (`poetry.lock`, `uv.lock`, `Pipfile.lock`).
//! These are not Python source files, so the walker does not hand them to
//! the engine; they are read from disk next to the settings module and in
//! each directory above it up to the scanned root.
//!
//! Only a lower bound is kept: `Django>=6.0,<7` and `django = "^6.0"` both
//! say "at least 6.0"; `Django>=5.2` says nothing about 6.0.

use std::path::{Path, PathBuf};

/// What the manifests say about the Django version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DjangoVersion {
    /// The lowest version the requirement allows: (major, minor).
    pub min: (u32, u32),
    /// The manifest it was read from and the line (1-based).
    pub file: PathBuf,
    pub line: u32,
}

impl DjangoVersion {
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        self.min >= (major, minor)
    }
}

/// The manifests looked at in one directory, most precise first.
const LOCK_FILES: &[&str] = &["poetry.lock", "uv.lock", "Pipfile.lock"];
const MANIFESTS: &[&str] = &["pyproject.toml", "Pipfile", "setup.cfg"];

/// The Django version for code at `start` (a file or directory): the first
/// directory from there up to `root` whose manifests mention Django.
pub fn django_version(root: &Path, start: &Path) -> Option<DjangoVersion> {
    let mut dir = if start.is_dir() { Some(start) } else { start.parent() };
    while let Some(d) = dir {
        if let Some(v) = version_in_dir(d) {
            return Some(v);
        }
        if d == root || !d.starts_with(root) {
            break;
        }
        dir = d.parent();
    }
    None
}

/// Also true when django-csp is a dependency of the project.
pub fn depends_on(root: &Path, start: &Path, package: &str) -> bool {
    let mut dir = if start.is_dir() { Some(start) } else { start.parent() };
    while let Some(d) = dir {
        for f in manifest_files(d) {
            if let Ok(text) = std::fs::read_to_string(&f) {
                if text.lines().any(|l| requirement_name(l).is_some_and(|n| normalise(&n) == normalise(package))) {
                    return true;
                }
            }
        }
        if d == root || !d.starts_with(root) {
            break;
        }
        dir = d.parent();
    }
    false
}

fn manifest_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for name in LOCK_FILES.iter().chain(MANIFESTS) {
        let p = dir.join(name);
        if p.is_file() {
            out.push(p);
        }
    }
    let mut reqs = Vec::new();
    for d in [dir.to_path_buf(), dir.join("requirements")] {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
            let in_req_dir = d.ends_with("requirements");
            if p.is_file()
                && (name.ends_with(".txt") || name.ends_with(".in"))
                && (in_req_dir || name.starts_with("requirements"))
            {
                reqs.push(p);
            }
        }
    }
    // Base requirements before the development ones, deterministically.
    reqs.sort_by_key(|p| {
        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
        let dev = ["dev", "test", "local", "ci", "lint", "doc"].iter().any(|w| n.contains(w));
        (dev, n)
    });
    out.extend(reqs);
    out
}

fn version_in_dir(dir: &Path) -> Option<DjangoVersion> {
    for file in manifest_files(dir) {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let found = match name {
            "poetry.lock" | "uv.lock" => locked_toml(&text),
            "Pipfile.lock" => locked_pipfile(&text),
            _ => requirement_lines(&text),
        };
        if let Some((min, line)) = found {
            return Some(DjangoVersion { min, file, line });
        }
    }
    None
}

fn normalise(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The package a requirement-like line names: `Django==6.0`, `"django>=5"`,
/// `django = "^6.0"` (Poetry, Pipfile), `django = {version = "..."}`.
fn requirement_name(line: &str) -> Option<String> {
    let l = line.trim().trim_start_matches(['"', '\'', '-', ' ']).trim();
    if l.starts_with('#') || l.starts_with('[') || l.is_empty() {
        return None;
    }
    let end = l.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).unwrap_or(l.len());
    let name = &l[..end];
    if name.is_empty() {
        return None;
    }
    let rest = l[end..].trim_start();
    // A bare name, a specifier, extras, an environment marker, or `= "..."`.
    if rest.is_empty() || rest.starts_with(['=', '>', '<', '~', '!', '[', ';', '"', '\'', ',', '(']) {
        Some(name.to_string())
    } else {
        None
    }
}

/// The lowest version a specifier allows: `==6.0.1`, `>=6.0,<6.1`, `~=6.0`,
/// `^6.0`, `6.0.*`; `None` when it has no lower bound (`<6`, `*`, `!=5`).
fn lower_bound(spec: &str) -> Option<(u32, u32)> {
    let mut best: Option<(u32, u32)> = None;
    for part in spec.split([',', '|']) {
        let p = part.trim().trim_matches(['"', '\'', ' ']);
        let (op, ver) = match p.find(|c: char| c.is_ascii_digit()) {
            Some(i) => (p[..i].trim(), &p[i..]),
            None => continue,
        };
        if !matches!(op, "==" | "===" | ">=" | "~=" | "^" | "~" | "" | ">") {
            continue;
        }
        let mut nums = ver
            .split(['.', '*', ' ', ';', '"'])
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take_while(char::is_ascii_digit).collect::<String>().parse::<u32>().ok());
        let Some(Some(major)) = nums.next() else { continue };
        let minor = nums.next().flatten().unwrap_or(0);
        let v = (major, minor);
        best = Some(best.map_or(v, |b| b.max(v)));
    }
    best
}

/// A Django requirement in requirements/pyproject/Pipfile/setup.cfg text.
fn requirement_lines(text: &str) -> Option<((u32, u32), u32)> {
    for (i, full) in text.lines().enumerate() {
        // `dependencies = ["Django>=6.0", "gunicorn"]` on one line: each
        // quoted item is a requirement.
        let mut candidates = vec![full.to_string()];
        if full.contains('[') && full.contains('"') {
            candidates.extend(full.split('"').skip(1).step_by(2).map(str::to_string));
        }
        if let Some(v) = candidates.iter().find_map(|c| requirement_line(c)) {
            return Some((v, i as u32 + 1));
        }
    }
    None
}

fn requirement_line(line: &str) -> Option<(u32, u32)> {
    let name = requirement_name(line)?;
    if normalise(&name) != "django" {
        return None;
    }
    let l = line.trim().trim_start_matches(['"', '\'', '-', ' ']).trim();
    let rest = l[name.len()..].trim_start();
    // Drop extras (`django[argon2]`) and environment markers.
    let rest = match rest.strip_prefix('[') {
        Some(r) => r.split_once(']').map(|(_, r)| r).unwrap_or(""),
        None => rest,
    };
    let rest = rest.split(';').next().unwrap_or("");
    let spec = if let Some(r) = rest.trim_start().strip_prefix('=').filter(|r| !r.starts_with('=')) {
        // TOML: `django = "^6.0"` or `django = { version = ">=6.0" }`.
        match r.find("version") {
            Some(v) => r[v + "version".len()..].trim_start().trim_start_matches('=').to_string(),
            None => r.to_string(),
        }
    } else {
        rest.to_string()
    };
    lower_bound(&spec)
}

/// `[[package]] name = "django" version = "6.0.1"` in poetry.lock / uv.lock.
fn locked_toml(text: &str) -> Option<((u32, u32), u32)> {
    let mut in_django = false;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with('[') {
            in_django = false;
        } else if let Some(n) = l.strip_prefix("name") {
            in_django = normalise(n.trim_start().trim_start_matches('=').trim().trim_matches('"')) == "django";
        } else if in_django {
            if let Some(v) = l.strip_prefix("version") {
                let v = v.trim_start().trim_start_matches('=').trim();
                return lower_bound(&format!("=={}", v.trim_matches('"'))).map(|m| (m, i as u32 + 1));
            }
        }
    }
    None
}

/// `"django": {"version": "==6.0.1", ...}` in Pipfile.lock.
fn locked_pipfile(text: &str) -> Option<((u32, u32), u32)> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let v = json.get("default")?.get("django")?.get("version")?.as_str()?;
    let min = lower_bound(v)?;
    let line = text.lines().position(|l| l.contains("\"django\"")).map(|i| i as u32 + 1).unwrap_or(1);
    Some((min, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_bounds_of_specifiers() {
        assert_eq!(lower_bound("==6.0.1"), Some((6, 0)));
        assert_eq!(lower_bound(">=5.2,<6.1"), Some((5, 2)));
        assert_eq!(lower_bound("~=6.0"), Some((6, 0)));
        assert_eq!(lower_bound("^6.1"), Some((6, 1)));
        assert_eq!(lower_bound("==6.0.*"), Some((6, 0)));
        assert_eq!(lower_bound("<6"), None);
        assert_eq!(lower_bound(""), None);
        assert_eq!(lower_bound("!=5.0"), None);
    }

    #[test]
    fn requirement_lines_of_every_manifest_kind() {
        assert_eq!(requirement_lines("gunicorn\nDjango==6.0.2  # pinned\n"), Some(((6, 0), 2)));
        assert_eq!(
            requirement_lines("django-csp==4.0\ndjango[argon2]>=6.0 ; python_version>'3.10'\n"),
            Some(((6, 0), 2))
        );
        assert_eq!(requirement_lines("[project]\ndependencies = [\n  \"Django>=6.0,<6.1\",\n]\n"), Some(((6, 0), 3)));
        assert_eq!(requirement_lines("[tool.poetry.dependencies]\ndjango = \"^5.2\"\n"), Some(((5, 2), 2)));
        assert_eq!(requirement_lines("[packages]\ndjango = {version = \">=6.0\", extras = []}\n"), Some(((6, 0), 2)));
        assert_eq!(requirement_lines("[options]\ninstall_requires =\n    Django>=6.0\n"), Some(((6, 0), 3)));
        assert_eq!(requirement_lines("djangorestframework==3.16\ndjango-environ\n"), None);
        assert_eq!(requirement_lines("Django\n"), None);
        assert_eq!(requirement_lines("dependencies = [\"gunicorn\", \"django~=6.0\"]\n"), Some(((6, 0), 1)));
    }

    #[test]
    fn lock_files_pin_the_version() {
        let poetry = "[[package]]\nname = \"asgiref\"\nversion = \"3.8\"\n\n[[package]]\nname = \"django\"\nversion = \"6.0.1\"\n";
        assert_eq!(locked_toml(poetry), Some(((6, 0), 7)));
        let pipfile = "{\"default\": {\"django\": {\"version\": \"==5.2.4\"}}}";
        assert_eq!(locked_pipfile(pipfile), Some(((5, 2), 1)));
    }
}
