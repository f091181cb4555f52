//! Output formats. Each format is its own renderer over one model: the sorted
//! findings, the rules that produced them and what the run looked at.

pub mod github;
pub mod html;
pub mod json;
pub mod sarif;
pub mod text;

use crate::engine::rule::RuleMeta;
use crate::finding::Finding;
use crate::walk::Skipped;
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
    Html,
}

/// Counters of the run, shown by `--stats` and carried by JSON and SARIF.
/// The wall-clock fields (`duration_ms`, `started_at`) and the command line
/// are for human reports only: JSON and SARIF stay deterministic.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunSummary {
    pub files: usize,
    pub bytes: u64,
    pub lines: u64,
    pub skipped: usize,
    /// Analysed files per code role.
    pub roles: std::collections::BTreeMap<crate::finding::Role, usize>,
    pub duration_ms: u64,
    /// When the scan started.
    #[serde(skip)]
    pub started_at: Option<std::time::SystemTime>,
    /// The command line of the run (`stackfit check --format html ...`).
    #[serde(skip)]
    pub command: Vec<String>,
}

/// Everything a renderer needs.
pub struct Report<'a> {
    pub version: &'a str,
    /// The directory finding paths are relative to.
    pub root: &'a Path,
    /// Sorted findings after filtering, suppression and baseline.
    pub findings: &'a [Finding],
    /// Every rule that was enabled for the run (SARIF lists them all).
    pub rules: Vec<&'a RuleMeta>,
    pub summary: RunSummary,
    pub skipped: &'a [Skipped],
    /// The fit profile as JSON (empty object until the profile exists).
    pub profile: serde_json::Value,
}

impl Report<'_> {
    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.iter().copied().find(|r| r.id == id)
    }
}

pub fn render(format: Format, report: &Report, out: &mut dyn Write, color: bool) -> io::Result<()> {
    match format {
        Format::Text => text::render(report, out, color),
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Github => github::render(report, out),
        Format::Html => html::render(report, out),
    }
}

/// Reads source lines of reported files on demand, once per file.
pub struct SourceCache<'a> {
    root: &'a Path,
    files: HashMap<String, Option<Vec<String>>>,
}

impl<'a> SourceCache<'a> {
    pub fn new(root: &'a Path) -> Self {
        SourceCache { root, files: HashMap::new() }
    }

    pub fn path_of(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }

    /// 1-based line `line` of `rel`, if the file can still be read.
    pub fn line(&mut self, rel: &str, line: u32) -> Option<&str> {
        let path = self.path_of(rel);
        let lines = self.files.entry(rel.to_string()).or_insert_with(|| {
            let bytes = std::fs::read(&path).ok()?;
            let text = String::from_utf8_lossy(&bytes);
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            Some(text.lines().map(str::to_string).collect())
        });
        lines.as_ref()?.get((line as usize).checked_sub(1)?).map(String::as_str)
    }
}
