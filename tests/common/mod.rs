//! Shared helpers for the integration tests: throwaway projects on disk and
//! a way to run the real `stackfit` binary against them.

#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Python that `python/eval` flags.
pub const PY_EVAL: &str = "eval(cache.get(x))\n";
/// A Django view that `python/eval` flags as an error (request data, line 2).
pub const PY_EVAL_REQUEST: &str = "def view(request):\n    return eval(request.GET[\"q\"])\n";
/// JavaScript that `node/eval` flags.
pub const JS_EVAL: &str = "eval(cache.get(x));\n";

/// A temporary project directory, deleted when dropped.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project { dir: tempfile::Builder::new().prefix("stackfit-it-").tempdir().expect("create temp dir") }
    }

    /// A project holding the given `(relative path, content)` files.
    pub fn with(files: &[(&str, &str)]) -> Project {
        let p = Project::new();
        for (path, text) in files {
            p.write(path, text);
        }
        p
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file, creating its parent directories.
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> &Project {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).expect("create parent dirs");
        std::fs::write(&p, text).expect("write file");
        self
    }

    pub fn mkdir(&self, rel: &str) -> &Project {
        std::fs::create_dir_all(self.path(rel)).expect("create dir");
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).expect("read file")
    }

    /// Runs `stackfit ARGS` with the project root as working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.root(), args)
    }
}

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The raw bytes of stdout, for byte-for-byte comparisons.
    pub stdout_bytes: Vec<u8>,
}

impl Run {
    /// stdout parsed as JSON; panics with the run's output when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }

    /// `(path, start_line, rule_id)` of every finding of a JSON report.
    pub fn findings(&self) -> Vec<(String, u64, String)> {
        findings_of(&self.json())
    }

    /// The rule ids of every finding of a JSON report, in report order.
    pub fn rule_ids(&self) -> Vec<String> {
        self.findings().into_iter().map(|(_, _, r)| r).collect()
    }

    /// Asserts the exit code, showing the whole run when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "unexpected exit code\n{}", self.describe());
        self
    }

    /// Asserts the run did not panic and did not stop with a usage/IO error.
    #[track_caller]
    pub fn assert_survived(&self) -> &Run {
        assert!(!self.stderr.contains("panicked"), "the binary panicked\n{}", self.describe());
        assert!(
            self.code == 0 || self.code == 1,
            "expected exit code 0 or 1 (a finished run), got {}\n{}",
            self.code,
            self.describe()
        );
        for line in self.stderr.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                line.contains("warning"),
                "stderr should hold warnings at most, found: {line:?}\n{}",
                self.describe()
            );
        }
        self
    }

    pub fn describe(&self) -> String {
        format!("exit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.code, self.stdout, self.stderr)
    }
}

/// `(path, start_line, rule_id)` of every finding of a parsed JSON report.
pub fn findings_of(doc: &Value) -> Vec<(String, u64, String)> {
    doc["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array in {doc}"))
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("finding path").to_string(),
                f["start_line"].as_u64().expect("finding start_line"),
                f["rule_id"].as_str().expect("finding rule_id").to_string(),
            )
        })
        .collect()
}

/// Shorthand for building expected finding lists.
pub fn f(path: &str, line: u64, rule: &str) -> (String, u64, String) {
    (path.to_string(), line, rule.to_string())
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_stackfit")
}

/// Runs `stackfit ARGS` in `dir`, with colours off and no inherited stdin.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .expect("run stackfit");
    Run {
        code: out.status.code().unwrap_or_else(|| panic!("stackfit was killed by a signal: {:?}", out.status)),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stdout_bytes: out.stdout,
    }
}

/// True when the tests run as root, where file permissions do not block reads.
pub fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        // `id -u` avoids a libc dependency just for geteuid().
        Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        false
    }
}
