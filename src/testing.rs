//! `stackfit test-rules`: runs every rule's embedded examples. An `invalid`
//! snippet must produce at least one finding of its rule (else: Missing), a
//! `valid` one none (else: Noisy).

use crate::engine::rule::RuleOrigin;
use crate::parse::Lang;
use crate::scan::{scan, ScanOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug)]
pub struct ExampleFailure {
    pub rule: String,
    pub kind: &'static str,
    pub detail: String,
}

fn default_path(lang: Lang) -> &'static str {
    match lang {
        Lang::Python => "example.py",
        Lang::JavaScript => "example.js",
        Lang::TypeScript => "example.ts",
        Lang::Tsx => "example.tsx",
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn scratch_dir() -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("stackfit-examples-{}-{n}", std::process::id()))
}

/// Runs one snippet as a tiny project; returns the findings of `rule`
/// in the snippet's file as `line: message`.
fn run_example(
    rules_dirs: &[PathBuf],
    rule: &str,
    path: &str,
    code: &str,
    extra: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<String>, String> {
    let dir = scratch_dir();
    let write = |p: &str, text: &str| -> Result<(), String> {
        let full = dir.join(p);
        std::fs::create_dir_all(full.parent().unwrap()).map_err(|e| e.to_string())?;
        std::fs::write(&full, text).map_err(|e| e.to_string())
    };
    write(path, code)?;
    for (p, t) in extra {
        write(p, t)?;
    }
    if !rules_dirs.is_empty() {
        let list: Vec<String> = rules_dirs.iter().map(|d| format!("{:?}", d.display().to_string())).collect();
        write("stackfit.toml", &format!("root = true\nrules-dirs = [{}]\n", list.join(", ")))?;
    }
    let res = scan(&ScanOptions {
        paths: vec![dir.clone()],
        select: Some(vec![rule.to_string()]),
        jobs: Some(1),
        no_cache: true,
        // Examples pin every finding, the low-confidence ones too.
        min_confidence: Some(crate::finding::Confidence::Low),
        ..Default::default()
    });
    let _ = std::fs::remove_dir_all(&dir);
    let res = res?;
    Ok(res
        .findings
        .iter()
        .filter(|f| f.rule_id == rule && f.path == path)
        .map(|f| format!("{}: {}", f.span.start_line, f.message))
        .collect())
}

/// Checks every example of every rule (or of the rules loaded from `dir`).
pub fn check_examples(dir: Option<&Path>) -> Result<(usize, Vec<ExampleFailure>), String> {
    // Rule dirs are written into the scratch project's config: make them absolute.
    let dir = dir.map(|d| std::path::absolute(d).unwrap_or_else(|_| d.to_path_buf()));
    let dir = dir.as_deref();
    let dirs: Vec<PathBuf> = dir.map(|d| vec![d.to_path_buf()]).unwrap_or_default();
    let engine = crate::registry::engine(&dirs)?;
    let mut passed = 0;
    let mut failures = Vec::new();
    for r in &engine.rules {
        let m = &r.meta;
        if let Some(d) = dir {
            match &m.origin {
                RuleOrigin::File(p) if p.starts_with(d) => {}
                _ => continue,
            }
        }
        if m.examples.is_empty() {
            failures.push(ExampleFailure {
                rule: m.id.clone(),
                kind: "Untested",
                detail: "the rule has no [[examples]]".into(),
            });
            continue;
        }
        let has_invalid = m.examples.iter().any(|e| e.invalid.is_some());
        let has_valid = m.examples.iter().any(|e| e.valid.is_some());
        if !has_invalid || !has_valid {
            failures.push(ExampleFailure {
                rule: m.id.clone(),
                kind: "Untested",
                detail: "the rule needs at least one `valid` and one `invalid` example".into(),
            });
        }
        for (i, ex) in m.examples.iter().enumerate() {
            let path = ex.path.clone().unwrap_or_else(|| default_path(m.langs[0]).to_string());
            for (code, must_fire) in [(&ex.invalid, true), (&ex.valid, false)] {
                let Some(code) = code else { continue };
                let found = run_example(&dirs, &m.id, &path, code, &ex.files)?;
                match (must_fire, found.is_empty()) {
                    (true, true) => failures.push(ExampleFailure {
                        rule: m.id.clone(),
                        kind: "Missing",
                        detail: format!("example {} (invalid) produced no finding:\n{}", i + 1, indent(code)),
                    }),
                    (false, false) => failures.push(ExampleFailure {
                        rule: m.id.clone(),
                        kind: "Noisy",
                        detail: format!("example {} (valid) produced {}:\n{}", i + 1, found.join("; "), indent(code)),
                    }),
                    _ => passed += 1,
                }
            }
        }
    }
    Ok((passed, failures))
}

fn indent(code: &str) -> String {
    code.lines().map(|l| format!("    | {l}")).collect::<Vec<_>>().join("\n")
}

pub fn test_rules(dir: Option<&Path>) -> Result<i32, String> {
    let (passed, failures) = check_examples(dir)?;
    for f in &failures {
        println!("{} {}: {}", f.kind, f.rule, f.detail);
    }
    println!("test-rules: {passed} passed, {} failed", failures.len());
    Ok(if failures.is_empty() { 0 } else { 1 })
}
