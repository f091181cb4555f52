//! Runs stackfit over every project under `fixtures/` and checks the
//! `expect:` / `ok:` annotations in their files (see SPEC.md, "Fixture
//! annotations"). Any finding no `expect` names is a false positive.
//! Fit expectations live in `fixtures/<project>/expected-fit.json` (the
//! applications of the profile and each one's fit findings); fit findings
//! point at manifests, which cannot hold annotations, so they are checked
//! there and not inline (fit findings in code files, such as a Django
//! project's manage.py, need an inline `expect` as well).
//! Prints per-rule expected / found / missed / false-positive counts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const CODE_EXTS: &[&str] = &["py", "js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Mark {
    path: String,
    line: u32,
    rule: String,
}

#[derive(Default)]
struct Annotations {
    expect: BTreeSet<Mark>,
    ok: BTreeSet<Mark>,
}

/// `# expect: a, b` / `// ok: c` → ("expect", ["a", "b"]).
fn parse_annotation(comment: &str) -> Option<(&'static str, Vec<String>)> {
    let c = comment.trim();
    for kind in ["expect", "ok"] {
        if let Some(rest) = c.strip_prefix(kind).and_then(|r| r.trim_start().strip_prefix(':')) {
            let ids = rest
                .split(',')
                .map(|s| s.trim().trim_end_matches("*/").trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            return Some((if kind == "expect" { "expect" } else { "ok" }, ids));
        }
    }
    None
}

/// Splits a line into code and an annotation comment, if it has one.
fn split_annotation(line: &str) -> (&str, Option<(&'static str, Vec<String>)>) {
    for opener in ["# ", "#", "// ", "//", "/* "] {
        let mut search = 0;
        while let Some(pos) = line[search..].find(opener) {
            let at = search + pos;
            if let Some(a) = parse_annotation(&line[at + opener.len()..]) {
                return (&line[..at], Some(a));
            }
            search = at + opener.len();
        }
    }
    (line, None)
}

fn collect_annotations(project: &Path) -> Annotations {
    let mut ann = Annotations::default();
    let mut stack = vec![project.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
            if !CODE_EXTS.contains(&ext) {
                continue;
            }
            let rel = p.strip_prefix(project).unwrap().to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(&p).unwrap();
            let mut pending: Vec<(&'static str, String)> = Vec::new();
            for (i, line) in text.lines().enumerate() {
                let line_no = i as u32 + 1;
                let (code, a) = split_annotation(line);
                let is_code = !code.trim().is_empty();
                if let Some((kind, ids)) = a {
                    if is_code {
                        for id in ids {
                            let m = Mark { path: rel.clone(), line: line_no, rule: id };
                            if kind == "expect" {
                                ann.expect.insert(m)
                            } else {
                                ann.ok.insert(m)
                            };
                        }
                    } else {
                        pending.extend(ids.into_iter().map(|id| (kind, id)));
                    }
                    continue;
                }
                for (kind, id) in pending.drain(..) {
                    let m = Mark { path: rel.clone(), line: line_no, rule: id };
                    if kind == "expect" {
                        ann.expect.insert(m)
                    } else {
                        ann.ok.insert(m)
                    };
                }
            }
        }
    }
    ann
}

/// `fixtures/<project>/expected-fit.json`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFit {
    /// Every application the profile must find, and nothing else.
    applications: Vec<ExpectedApp>,
    /// Fit rule ids that must not fire anywhere in the project.
    #[serde(default)]
    absent: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedApp {
    name: String,
    #[serde(default)]
    root: Option<String>,
    stack: String,
    #[serde(default)]
    framework: Option<String>,
    #[serde(default)]
    framework_version: Option<String>,
    /// `serving.model`: wsgi, asgi, wsgi-async-workers, node, unknown.
    #[serde(default)]
    serving: Option<String>,
    /// The workload category with the largest share.
    #[serde(default)]
    dominant: Option<String>,
    /// The application's fit findings, by rule id (exactly these).
    fit_findings: Vec<String>,
}

fn is_code_file(path: &str) -> bool {
    let ext = path.rsplit_once('.').map(|x| x.1).unwrap_or("");
    CODE_EXTS.contains(&ext)
}

/// Checks the profile against expected-fit.json; returns problems.
fn check_fit(
    name: &str,
    project: &Path,
    doc: &serde_json::Value,
    per_rule: &mut BTreeMap<String, Counts>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let apps = doc["profile"]["applications"].as_array().cloned().unwrap_or_default();
    let path = project.join("expected-fit.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        if !apps.is_empty() {
            let names: Vec<&str> = apps.iter().filter_map(|a| a["name"].as_str()).collect();
            problems.push(format!(
                "fit      {name}: the profile found applications {names:?} but there is no expected-fit.json"
            ));
        }
        return problems;
    };
    let expected: ExpectedFit = match serde_json::from_str(&text) {
        Ok(e) => e,
        Err(e) => return vec![format!("fit      {name}/expected-fit.json: {e}")],
    };
    let actual_names: BTreeSet<&str> = apps.iter().filter_map(|a| a["name"].as_str()).collect();
    let expected_names: BTreeSet<&str> = expected.applications.iter().map(|a| a.name.as_str()).collect();
    if actual_names != expected_names {
        problems.push(format!("fit      {name}: applications {actual_names:?}, expected {expected_names:?}"));
    }
    for e in &expected.applications {
        let Some(a) = apps.iter().find(|a| a["name"] == e.name.as_str()) else { continue };
        let field = |v: &serde_json::Value| v.as_str().unwrap_or("(none)").to_string();
        let checks = [
            ("root", e.root.as_ref(), field(&a["root"])),
            ("stack", Some(&e.stack), field(&a["stack"])),
            ("framework", e.framework.as_ref(), field(&a["framework"])),
            ("framework_version", e.framework_version.as_ref(), field(&a["framework_version"])),
            ("serving", e.serving.as_ref(), field(&a["serving"]["model"])),
            ("dominant", e.dominant.as_ref(), field(&a["workload"][0]["category"])),
        ];
        for (key, want, got) in checks {
            if let Some(want) = want {
                if *want != got {
                    problems.push(format!("fit      {name}: application {} has {key} {got}, expected {want}", e.name));
                }
            }
        }
        let mut got: Vec<String> = a["fit_findings"]
            .as_array()
            .map(|v| v.iter().filter_map(|f| f["rule_id"].as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        got.sort();
        let mut want = e.fit_findings.clone();
        want.sort();
        for id in &want {
            let c = per_rule.entry(id.clone()).or_default();
            c.expected += 1;
            if got.contains(id) {
                c.found += 1;
            } else {
                c.missed += 1;
                problems.push(format!("missed   {name}: application {} {id}", e.name));
            }
        }
        for id in &got {
            if !want.contains(id) {
                per_rule.entry(id.clone()).or_default().false_positive += 1;
                problems.push(format!("unexpected {name}: application {} {id}", e.name));
            }
        }
    }
    for f in doc["findings"].as_array().into_iter().flatten() {
        let id = f["rule_id"].as_str().unwrap_or("");
        if expected.absent.iter().any(|a| a == id) {
            problems.push(format!("absent fired {name}/{}:{} {id}", f["path"].as_str().unwrap_or(""), f["start_line"]));
        }
    }
    problems
}

fn run_stackfit(project: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_stackfit"))
        .args(["check", "--format", "json", "--fail-on", "never", "--no-cache", "--min-confidence", "low"])
        .arg(project)
        .output()
        .expect("run stackfit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stackfit failed on {}: {stderr}", project.display());
    assert!(!stderr.contains("panicked"), "{stderr}");
    serde_json::from_slice(&out.stdout).expect("json output")
}

/// The findings checked by inline annotations: all but fit findings in
/// files that cannot hold comments (those are in expected-fit.json).
fn inline_marks(doc: &serde_json::Value) -> Vec<Mark> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Mark {
            path: f["path"].as_str().unwrap().to_string(),
            line: f["start_line"].as_u64().unwrap() as u32,
            rule: f["rule_id"].as_str().unwrap().to_string(),
        })
        .filter(|m| !m.rule.starts_with("fit/") || is_code_file(&m.path))
        .collect()
}

/// Every rule id of SPEC.md's catalog. An `expect:` naming one that this
/// build does not have yet is pending (reported, not failed), so fixtures
/// can carry the expectations of rules developed in parallel.
const SPEC_RULE_IDS: &[&str] = &[
    "django/n-plus-one-fk",
    "django/n-plus-one-related",
    "django/query-in-loop",
    "django/save-in-loop",
    "drf/n-plus-one-serializer",
    "django/sync-orm-in-async",
    "python/blocking-call-in-async",
    "python/request-without-timeout",
    "django/missing-security-middleware",
    "django/missing-clickjacking-middleware",
    "django/missing-csrf-middleware",
    "django/hsts-not-set",
    "django/ssl-redirect-off",
    "django/hardcoded-secret-key",
    "django/insecure-session-cookie",
    "django/insecure-csrf-cookie",
    "django/debug-enabled",
    "django/allowed-hosts-wildcard",
    "django/missing-csp",
    "django/csrf-exempt",
    "drf/default-allow-any",
    "django/sql-injection",
    "django/unsafe-mark-safe",
    "django/open-redirect",
    "python/command-injection",
    "python/unsafe-deserialization",
    "python/eval",
    "node/sync-api-in-handler",
    "node/redos-regex",
    "node/cpu-loop-in-handler",
    "node/n-plus-one-query",
    "node/n-plus-one-parallel",
    "express/missing-helmet",
    "express/missing-rate-limit",
    "express/permissive-cors",
    "express/missing-csrf",
    "express/insecure-session",
    "node/hardcoded-secret",
    "node/jwt-insecure",
    "nest/missing-validation-pipe",
    "node/sql-injection",
    "node/nosql-injection",
    "node/command-injection",
    "node/eval",
    "node/path-traversal",
    "node/open-redirect",
    "node/reflected-xss",
    "fit/profile",
    "fit/node-cpu-bound",
    "fit/node-ml-in-process",
    "fit/django-realtime-on-wsgi",
    "fit/django-sync-io-bound",
    "fit/django-celery-simple-tasks",
    "fit/node-security-by-hand",
    "fit/node-no-permission-model",
];

/// The rule ids of this build (`stackfit rules`).
fn built_rule_ids() -> BTreeSet<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_stackfit")).arg("rules").output().expect("run stackfit rules");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[derive(Default, Debug)]
struct Counts {
    expected: usize,
    found: usize,
    missed: usize,
    false_positive: usize,
    ok_violated: usize,
}

fn fixture_projects() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    v.sort();
    v
}

#[test]
fn every_fixture_annotation_holds() {
    let mut per_rule: BTreeMap<String, Counts> = BTreeMap::new();
    let mut problems = Vec::new();
    let projects = fixture_projects();
    assert!(!projects.is_empty(), "no fixture projects");
    let built = built_rule_ids();
    let mut pending = Vec::new();
    for project in &projects {
        let name = project.file_name().unwrap().to_string_lossy().to_string();
        let ann = collect_annotations(project);
        let doc = run_stackfit(project);
        problems.extend(check_fit(&name, project, &doc, &mut per_rule));
        let found: BTreeSet<Mark> = inline_marks(&doc).into_iter().collect();
        for m in &ann.expect {
            if !built.contains(&m.rule) {
                // A rule of the catalog that this build does not have yet:
                // the expectation waits for it; an id outside the catalog
                // is a typo.
                if SPEC_RULE_IDS.contains(&m.rule.as_str()) {
                    pending.push(format!("{name}/{}:{} {}", m.path, m.line, m.rule));
                } else {
                    problems.push(format!("unknown  {name}/{}:{} {} (not a rule id)", m.path, m.line, m.rule));
                }
                continue;
            }
            let c = per_rule.entry(m.rule.clone()).or_default();
            c.expected += 1;
            if found.contains(m) {
                c.found += 1;
            } else {
                c.missed += 1;
                problems.push(format!("missed   {name}/{}:{} {}", m.path, m.line, m.rule));
            }
        }
        for m in &ann.ok {
            if found.contains(m) {
                per_rule.entry(m.rule.clone()).or_default().ok_violated += 1;
                problems.push(format!("ok fired {name}/{}:{} {}", m.path, m.line, m.rule));
            }
        }
        for m in &found {
            if !ann.expect.contains(m) {
                per_rule.entry(m.rule.clone()).or_default().false_positive += 1;
                if !ann.ok.contains(m) {
                    problems.push(format!("unexpected {name}/{}:{} {}", m.path, m.line, m.rule));
                }
            }
        }
    }
    let mut table = format!(
        "{:<36} {:>8} {:>6} {:>7} {:>5} {:>9} {:>7}\n",
        "rule", "expected", "found", "missed", "fp", "precision", "recall"
    );
    for (rule, c) in &per_rule {
        let tp = c.found as f64;
        let precision = if tp + c.false_positive as f64 > 0.0 { tp / (tp + c.false_positive as f64) } else { 1.0 };
        let recall = if c.expected > 0 { tp / c.expected as f64 } else { 1.0 };
        table.push_str(&format!(
            "{:<36} {:>8} {:>6} {:>7} {:>5} {:>9.2} {:>7.2}\n",
            rule, c.expected, c.found, c.missed, c.false_positive, precision, recall
        ));
    }
    println!("{table}");
    if !pending.is_empty() {
        println!("expectations of catalog rules not in this build ({}):\n  {}", pending.len(), pending.join("\n  "));
    }
    assert!(problems.is_empty(), "fixture annotations violated:\n{}\n\n{table}", problems.join("\n"));
}

#[test]
fn annotation_parser_handles_every_form() {
    assert_eq!(parse_annotation(" expect: a/b, c/d").unwrap().1, vec!["a/b", "c/d"]);
    assert_eq!(split_annotation("import os  # expect: django/hsts-not-set").1.unwrap().0, "expect");
    assert_eq!(split_annotation("// ok: node/eval").0.trim(), "");
    assert!(split_annotation("x = '#'  # just a comment").1.is_none());
}

/// The findings of `rule` in `path` of the django-shop fixture.
fn shop_findings(rule: &str, path: &str) -> Vec<serde_json::Value> {
    let doc = run_stackfit(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/django-shop"));
    let all = doc["findings"].as_array().cloned().unwrap_or_default();
    all.into_iter().filter(|f| f["rule_id"] == rule && f["path"] == path).collect()
}

/// The fix a finding suggests must fit the code: a loop that copies rows
/// (`row.pk = None; row.save()`, `save(force_insert=True)`) inserts them, so
/// the fix is bulk_create, not bulk_update.
#[test]
fn save_in_loop_suggests_bulk_create_for_copied_rows() {
    let msgs: Vec<(u64, String)> = shop_findings("django/save-in-loop", "catalog/copying.py")
        .iter()
        .filter(|f| !f["message"].as_str().unwrap_or("").contains("delete()' writes"))
        .map(|f| {
            let text = format!("{} [{}]", f["message"].as_str().unwrap_or(""), f["confidence"].as_str().unwrap_or(""));
            (f["start_line"].as_u64().unwrap_or(0), text)
        })
        .collect();
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    for (line, m) in &msgs {
        // Line 29 updates rows in place; the others copy them: inserts, and
        // a one-off clone, so low confidence.
        let insert = *line != 29;
        assert_eq!(m.contains("bulk_create"), insert, "line {line}: {m}");
        assert_eq!(m.contains("bulk_update"), !insert, "line {line}: {m}");
        assert_eq!(m.ends_with("[low]"), insert, "line {line}: {m}");
    }
}

/// A loop that sends a mail (or enqueues a task) per row: the save beside
/// it is reported at low confidence; the same save alone is not.
#[test]
fn save_in_loop_beside_a_mail_per_row_is_low_confidence() {
    let got: Vec<(u64, String)> = shop_findings("django/save-in-loop", "catalog/notifications.py")
        .iter()
        .map(|f| (f["start_line"].as_u64().unwrap_or(0), f["confidence"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(got, vec![(16, "low".to_string()), (23, "medium".to_string())], "{got:?}");
}

/// `row.recount(); row.save()`: the model method runs its own queries per
/// row, so batching the save alone saves little (low confidence); so does
/// a save beside an inner loop that writes per item (line 38); a save with
/// nothing else per row is a plain finding.
#[test]
fn save_in_loop_after_a_querying_model_method_is_low_confidence() {
    let got: Vec<(u64, String)> = shop_findings("django/save-in-loop", "catalog/counters.py")
        .iter()
        .map(|f| (f["start_line"].as_u64().unwrap_or(0), f["confidence"].as_str().unwrap_or("").to_string()))
        .collect();
    let want = [(12, "low"), (19, "medium"), (34, "medium"), (38, "low")];
    assert_eq!(got, want.map(|(l, c)| (l, c.to_string())), "{got:?}");
}

/// `product.category.recount()`: loading the category with the products
/// removes one query of several per row: low confidence, and the message
/// says why.
#[test]
fn fk_access_whose_method_queries_anyway_is_low_confidence() {
    let got: Vec<(u64, String, bool)> = shop_findings("django/n-plus-one-fk", "catalog/counters.py")
        .iter()
        .map(|f| {
            let m = f["message"].as_str().unwrap_or("");
            (
                f["start_line"].as_u64().unwrap_or(0),
                f["confidence"].as_str().unwrap_or("").to_string(),
                m.contains("'product.category.recount()' still runs its own queries"),
            )
        })
        .collect();
    assert_eq!(got, vec![(26, "low".to_string(), true)], "{got:?}");
}

/// A csrf_exempt view that accepts only PATCH/DELETE: cross-site requests
/// need a CORS preflight, so it is reported at low confidence; the views
/// that accept POST keep the rule's own.
#[test]
fn csrf_exempt_without_post_is_low_confidence() {
    let got: Vec<(String, bool)> = shop_findings("django/csrf-exempt", "catalog/views.py")
        .iter()
        .map(|f| {
            let m = f["message"].as_str().unwrap_or("");
            (f["confidence"].as_str().unwrap_or("").to_string(), m.contains("'BasketLineEdit'"))
        })
        .collect();
    assert!(got.contains(&("low".to_string(), true)), "{got:?}");
    assert!(got.iter().any(|(c, basket)| c != "low" && !basket), "{got:?}");
}

/// A loop whose only statement deletes its row is the queryset's own
/// `.delete()`; a loop that picks rows first needs the rows' keys.
#[test]
fn save_in_loop_suggests_the_querysets_delete_for_a_pure_delete_loop() {
    let got: Vec<(u64, bool)> = shop_findings("django/save-in-loop", "catalog/copying.py")
        .iter()
        .filter(|f| f["message"].as_str().unwrap_or("").contains("delete()' writes"))
        .map(|f| {
            let m = f["message"].as_str().unwrap_or("");
            (f["start_line"].as_u64().unwrap_or(0), m.contains("call .delete() on the queryset the loop iterates"))
        })
        .collect();
    assert_eq!(got, vec![(62, true), (67, false)], "{got:?}");
}
