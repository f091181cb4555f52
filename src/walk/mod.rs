//! The walker: turns the command line's paths into the list of files to
//! analyse, honouring `.gitignore`, `.ignore`, the config's exclude globs and
//! the default excludes, in parallel with the `ignore` crate.

pub mod roles;

use crate::parse::Lang;
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Directory names never worth analysing: dependencies, virtualenvs, build
/// output and caches. Disabled by `--no-default-excludes`.
pub const DEFAULT_EXCLUDED_DIRS: &[&str] = &[
    "node_modules",
    "bower_components",
    "jspm_packages",
    ".venv",
    "venv",
    "virtualenv",
    "site-packages",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".stackfit_cache",
    "dist",
    "build",
    ".next",
    ".nuxt",
    ".svelte-kit",
    ".output",
    "coverage",
    ".git",
    ".hg",
    ".svn",
    ".yarn",
    ".cache",
];

/// File name suffixes of minified or bundled output.
pub const MINIFIED_SUFFIXES: &[&str] =
    &[".min.js", "-min.js", ".min.mjs", ".min.cjs", ".bundle.js", ".chunk.js", ".packed.js"];

#[derive(Debug, Clone)]
pub struct FileEntry {
    pub path: PathBuf,
    /// Path relative to the report root, `/`-separated.
    pub rel: String,
    pub lang: Lang,
    pub size: u64,
    /// Modification time (ns since the epoch), when the file system has one:
    /// with the size, what the cache needs to trust an entry without
    /// reading the file.
    pub mtime_ns: Option<u64>,
    /// Named explicitly on the command line.
    pub explicit: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct WalkResult {
    pub files: Vec<FileEntry>,
    /// Files passed over on purpose (excluded, minified by name, too large).
    pub skipped: Vec<Skipped>,
    /// Problems worth a warning on stderr (unreadable directories, loops).
    pub warnings: Vec<String>,
    /// Other files the `keep` test of [`WalkOptions`] asked for, sorted.
    pub kept: Vec<PathBuf>,
}

pub struct WalkOptions<'a> {
    pub paths: &'a [PathBuf],
    pub root: &'a Path,
    pub excludes: &'a GlobSet,
    pub default_excludes: bool,
    pub max_file_size: u64,
    pub threads: usize,
    /// Files that are not source files but wanted all the same (the fit
    /// profile's manifests), by file name and parent directory name: one
    /// walk of the project instead of two.
    pub keep: Option<fn(&str, &str) -> bool>,
}

/// Compiles gitignore-like exclude patterns: a pattern without `/` matches a
/// file or directory of that name anywhere; one with `/` is anchored at the
/// root it is relative to.
pub fn compile_globs(patterns: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let p = p.trim().trim_start_matches("./").trim_end_matches('/');
        if p.is_empty() {
            continue;
        }
        let anchored = p.starts_with('/') || p.contains('/');
        let p = p.trim_start_matches('/');
        let forms = if anchored {
            vec![p.to_string(), format!("{p}/**")]
        } else {
            vec![format!("**/{p}"), format!("**/{p}/**")]
        };
        for f in forms {
            let g = Glob::new(&f).map_err(|e| format!("invalid glob '{p}': {e}"))?;
            b.add(g);
        }
    }
    b.build().map_err(|e| e.to_string())
}

pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

pub fn is_minified_name(name: &str) -> bool {
    MINIFIED_SUFFIXES.iter().any(|s| name.ends_with(s))
}

fn is_default_excluded_dir(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    DEFAULT_EXCLUDED_DIRS.contains(&name) || path.join("pyvenv.cfg").is_file()
}

pub fn walk(opts: &WalkOptions) -> WalkResult {
    let result = Mutex::new(WalkResult::default());
    let mut dirs = Vec::new();
    for p in opts.paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => dirs.push(p.clone()),
            Ok(m) => consider_file(opts, p, &m, true, &result),
            Err(e) => result.lock().unwrap().warnings.push(format!("{}: {e}", rel_path(opts.root, p))),
        }
    }
    if let Some((first, rest)) = dirs.split_first() {
        let mut builder = ignore::WalkBuilder::new(first);
        for d in rest {
            builder.add(d);
        }
        builder
            .hidden(false)
            .parents(true)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .threads(opts.threads.max(1));
        let default_excludes = opts.default_excludes;
        let root = opts.root.to_path_buf();
        let excludes = opts.excludes.clone();
        builder.filter_entry(move |e| {
            if e.depth() == 0 {
                return true;
            }
            if e.file_type().is_some_and(|t| t.is_dir()) {
                if default_excludes && is_default_excluded_dir(e.path()) {
                    return false;
                }
                let rel = rel_path(&root, e.path());
                return !excludes.is_match(&rel);
            }
            true
        });
        builder.build_parallel().run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                        if Lang::from_path(e.path()).is_some() {
                            match e.metadata() {
                                Ok(m) => consider_file(opts, e.path(), &m, false, &result),
                                Err(err) => result.lock().unwrap().warnings.push(err.to_string()),
                            }
                        } else if let Some(keep) = opts.keep {
                            let name = e.file_name().to_str().unwrap_or("");
                            let parent = e.path().parent().and_then(|p| p.file_name()).and_then(|n| n.to_str());
                            if keep(name, parent.unwrap_or("")) {
                                result.lock().unwrap().kept.push(e.into_path());
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(err) => result.lock().unwrap().warnings.push(err.to_string()),
                }
                ignore::WalkState::Continue
            })
        });
    }
    let mut r = result.into_inner().unwrap();
    r.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    r.files.dedup_by(|a, b| a.rel == b.rel);
    r.skipped.sort();
    r.skipped.dedup();
    r.warnings.sort();
    r.kept.sort();
    r.kept.dedup();
    r
}

fn consider_file(opts: &WalkOptions, path: &Path, meta: &std::fs::Metadata, explicit: bool, out: &Mutex<WalkResult>) {
    let size = meta.len();
    let Some(lang) = Lang::from_path(path) else {
        return;
    };
    let rel = rel_path(opts.root, path);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let skip = |reason: String| {
        out.lock().unwrap().skipped.push(Skipped { path: rel.clone(), reason });
    };
    if opts.excludes.is_match(&rel) {
        skip("excluded by config".into());
        return;
    }
    if !explicit && opts.default_excludes && lang.is_js_family() && is_minified_name(name) {
        skip("minified bundle (by name)".into());
        return;
    }
    if size > opts.max_file_size {
        skip(format!("larger than the {} byte limit", opts.max_file_size));
        return;
    }
    let mtime_ns =
        meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_nanos() as u64);
    out.lock().unwrap().files.push(FileEntry { path: path.to_path_buf(), rel, lang, size, mtime_ns, explicit });
}

/// Content test for minified or bundled JavaScript: long lines on average, a
/// large file dominated by a few enormous lines, or fairly long lines none of
/// which is indented (minifiers that end statements with newlines instead
/// of semicolons: hand-written and transpiled code indents most of its
/// lines). An inline source map (`//# sourceMappingURL=data:...`, one huge
/// line at the end of transpiled but readable output) does not count.
pub fn looks_minified(text: &str) -> bool {
    if text.len() < 2048 {
        return false;
    }
    let (mut bytes, mut lines, mut longest, mut code_lines, mut indented) = (0usize, 0usize, 0usize, 0usize, 0usize);
    for line in text.split('\n') {
        let t = line.trim_start();
        if t.starts_with("//# sourceMappingURL=") || t.starts_with("//@ sourceMappingURL=") {
            continue;
        }
        bytes += line.len() + 1;
        lines += 1;
        longest = longest.max(line.len());
        if !t.is_empty() {
            code_lines += 1;
            indented += usize::from(t.len() < line.len());
        }
    }
    if bytes < 2048 {
        return false;
    }
    let average = bytes / lines.max(1);
    average > 300
        || (bytes > 100_000 && longest > 32_768)
        || (bytes >= 4096 && average > 100 && indented * 20 < code_lines)
}

/// Why a JavaScript file's content is not worth analysing: minified or
/// bundled output (`None` for code a person wrote).
pub fn generated_code(text: &str) -> Option<&'static str> {
    if looks_minified(text) {
        Some("minified or bundled code (long lines)")
    } else if looks_bundled(text) {
        Some("bundled code (modules inlined from node_modules)")
    } else {
        None
    }
}

/// Content test for bundler output that is readable (not minified):
/// modules inlined from `node_modules` with the bundler's region comments
/// (`//#region ../node_modules/...` from rolldown, `// node_modules/...`
/// from esbuild) or webpack's runtime (`/******/` lines). Findings there
/// are in code the project did not write, and its source is scanned
/// elsewhere. Two markers are required: a hand-written file may mention
/// such a path once in a comment.
pub fn looks_bundled(text: &str) -> bool {
    if !text.contains("node_modules/") && !text.contains("/******/") {
        return false;
    }
    let mut markers = 0;
    for line in text.lines() {
        let t = line.trim_start();
        let marker = t.starts_with("// node_modules/")
            || (t.starts_with("//#region ") && t.contains("node_modules/"))
            || t.starts_with("/******/");
        if marker {
            markers += 1;
            if markers == 2 {
                return true;
            }
        }
    }
    false
}

/// Is `path` inside directory `dir` ("" is the root)?
pub fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path == dir || (path.starts_with(dir) && path[dir.len()..].starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_anywhere_or_anchored() {
        let g = compile_globs(&["migrations".into(), "src/gen/*.py".into()]).unwrap();
        assert!(g.is_match("app/migrations/0001_initial.py"));
        assert!(g.is_match("src/gen/a.py"));
        assert!(!g.is_match("lib/src/gen/a.py"));
        assert!(!g.is_match("app/views.py"));
    }

    #[test]
    fn minified_detection() {
        assert!(is_minified_name("vendor.min.js"));
        assert!(!is_minified_name("admin.js"));
        let line = "var a=1;".repeat(1000);
        assert!(looks_minified(&line));
        let normal = "const a = 1;\n".repeat(1000);
        assert!(!looks_minified(&normal));
        let transpiled = format!("{normal}//# sourceMappingURL=data:application/json;base64,{}", "QUJD".repeat(50_000));
        assert!(!looks_minified(&transpiled));
        // Statements ended by newlines, nothing indented.
        let newline_separated =
            "var e=function(t,r){for(var n in r)t[n]=r[n];return t}(window.X||{},{A:1,B:2,C:3,D:!1,E:!0,F:void 0})\n"
                .repeat(100);
        assert!(looks_minified(&newline_separated));
        // Long but indented lines are hand-written.
        let wide = "    const value = compute(firstArgument, secondArgument, thirdArgument, fourthArgument, more);\n"
            .repeat(100);
        assert!(!looks_minified(&wide));
        // Unindented short lines (a flat module of requires) are not minified.
        let flat = "const a = require('a');\n".repeat(300);
        assert!(!looks_minified(&flat));
    }

    #[test]
    fn bundle_detection() {
        let module = "var x = class {\n\tconstructor() {\n\t\tthis.a = 1;\n\t}\n};\n";
        let rolldown = format!(
            "import {{ a }} from \"./_react.js\";\n//#region ../../node_modules/.pnpm/q@5/node_modules/q/build/a.js\n{module}//#endregion\n//#region ../../node_modules/q/build/b.js\n{module}//#endregion\n"
        );
        assert!(looks_bundled(&rolldown));
        let esbuild = format!("// node_modules/react/index.js\n{module}// node_modules/react-dom/index.js\n{module}// src/app.ts\n{module}");
        assert!(looks_bundled(&esbuild));
        let webpack = "/******/ (() => { // webpackBootstrap\n/******/ \tvar __webpack_modules__ = ({});\n";
        assert!(looks_bundled(webpack));
        // Hand-written code that mentions a dependency's path once, or
        // regions of its own.
        let once = format!("// node_modules/foo/index.js has a bug we work around here\n{module}{module}");
        assert!(!looks_bundled(&once));
        let own_regions = format!("//#region helpers\n{module}//#endregion\n//#region routes\n{module}//#endregion\n");
        assert!(!looks_bundled(&own_regions));
        let requires = "const express = require('express'); // see node_modules/express/Readme.md\n".repeat(3);
        assert!(!looks_bundled(&requires));
    }
}
