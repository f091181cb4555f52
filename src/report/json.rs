//! `--format json`: one object with the summary, every finding, the files
//! skipped and the fit profile. Deterministic: no timings, no absolute paths.
//! Also the baseline file format (a sorted JSON list of fingerprints).

use super::Report;
use crate::finding::{Finding, Severity};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::path::Path;

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    bytes: u64,
    lines: u64,
    skipped: usize,
    findings: usize,
    by_severity: BTreeMap<&'static str, usize>,
    /// Analysed files and findings per code role.
    files_by_role: BTreeMap<&'static str, usize>,
    findings_by_role: BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    tool: &'static str,
    version: &'a str,
    summary: JsonSummary,
    findings: &'a [Finding],
    skipped: &'a [crate::walk::Skipped],
    profile: &'a serde_json::Value,
}

impl Serialize for crate::walk::Skipped {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Skipped", 2)?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("reason", &self.reason)?;
        st.end()
    }
}

pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut by_severity = BTreeMap::new();
    for s in [Severity::Error, Severity::Warning, Severity::Note] {
        by_severity.insert(s.as_str(), r.findings.iter().filter(|f| f.severity == s).count());
    }
    let doc = JsonReport {
        tool: "stackfit",
        version: r.version,
        summary: JsonSummary {
            files: r.summary.files,
            bytes: r.summary.bytes,
            lines: r.summary.lines,
            skipped: r.summary.skipped,
            findings: r.findings.len(),
            by_severity,
            files_by_role: r.summary.roles.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
            findings_by_role: r.findings.iter().fold(BTreeMap::new(), |mut m, f| {
                *m.entry(f.role.as_str()).or_default() += 1;
                m
            }),
        },
        findings: r.findings,
        skipped: r.skipped,
        profile: &r.profile,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

#[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct BaselineEntry {
    rule: String,
    path: String,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
struct Baseline {
    version: u32,
    findings: Vec<BaselineEntry>,
}

pub fn write_baseline(path: &Path, findings: &[Finding]) -> Result<(), String> {
    let mut entries: Vec<BaselineEntry> = findings
        .iter()
        .map(|f| BaselineEntry { rule: f.rule_id.clone(), path: f.path.clone(), fingerprint: f.fingerprint.clone() })
        .collect();
    entries.sort();
    entries.dedup();
    let text = serde_json::to_string_pretty(&Baseline { version: 1, findings: entries }).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

pub fn read_baseline(path: &Path) -> Result<HashSet<(String, String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let b: Baseline =
        serde_json::from_str(&text).map_err(|e| format!("{}: not a stackfit baseline: {e}", path.display()))?;
    Ok(b.findings.into_iter().map(|e| (e.rule, e.path, e.fingerprint)).collect())
}
