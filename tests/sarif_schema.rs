//! `check --format sarif` end to end: the log of a small project validates
//! against the official SARIF 2.1.0 schema (vendored in `tests/data`), has
//! what GitHub code scanning relies on, and is byte-identical across runs.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const SCHEMA: &str = include_str!("data/sarif-schema-2.1.0.json");

fn validator() -> jsonschema::Validator {
    // The official schema's pattern for `run.language` has an unescaped `]`
    // (fine outside a class in ECMA-262, rejected by the validator's own
    // meta-schema check); escape it, which matches the same strings.
    let text = SCHEMA.replace(r#"[a-zA-Z]{2}]?$"#, r#"[a-zA-Z]{2}\\]?$"#);
    assert_ne!(text, SCHEMA, "the schema's language pattern changed; revisit this workaround");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options().should_validate_formats(true).build(&schema).expect("schema compiles")
}

fn schema_errors(v: &jsonschema::Validator, log: &Value) -> Vec<String> {
    v.iter_errors(log).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

/// Runs `stackfit check --format sarif DIR`; returns the exit code and stdout.
fn run_sarif(dir: &Path) -> (i32, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_stackfit"))
        .args(["check", "--format", "sarif", "--ignore", "express/"])
        .arg(dir)
        .current_dir(dir)
        .output()
        .expect("run stackfit");
    let code = out.status.code().expect("exit code");
    assert!(code == 0 || code == 1, "stackfit exited {code}: {}", String::from_utf8_lossy(&out.stderr));
    (code, out.stdout)
}

fn parse(stdout: &[u8]) -> Value {
    assert!(stdout.ends_with(b"\n"), "output ends with a newline");
    serde_json::from_slice(stdout).expect("SARIF output is JSON")
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn project_with_findings() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "shop/views.py",
        "from django.http import JsonResponse\n\n\ndef view(request):\n    return JsonResponse({\"v\": eval(request.GET[\"q\"])})\n",
    );
    write(
        dir.path(),
        "api/server.js",
        "const express = require(\"express\");\nconst helmet = require(\"helmet\");\nconst app = express();\napp.use(helmet());\n\napp.post(\"/calc\", (req, res) => {\n  res.json({ value: eval(req.body.x) });\n});\n",
    );
    dir
}

#[test]
fn sarif_with_findings_is_valid_and_complete() {
    let dir = project_with_findings();
    let (code, stdout) = run_sarif(dir.path());
    assert_eq!(code, 1, "error findings fail the run by default");
    let log = parse(&stdout);

    let errors = schema_errors(&validator(), &log);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));

    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["tool"]["driver"]["name"], "stackfit");
    assert_eq!(run["automationDetails"]["id"], "stackfit/");
    let root_uri = run["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap();
    assert!(root_uri.starts_with("file:///") && root_uri.ends_with('/'), "{root_uri}");

    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "rules are sorted by id");
    for r in rules {
        assert_ne!(r["name"], r["id"]);
        assert!(r["shortDescription"]["text"].is_string());
        assert!(r["help"]["text"].is_string() && r["help"]["markdown"].is_string());
        assert!(r["defaultConfiguration"]["level"].is_string());
        let tags = r["properties"]["tags"].as_array().unwrap();
        assert!(!tags.is_empty());
        assert!(r["properties"]["precision"].is_string());
        if tags[0] == "security" {
            let sev = r["properties"]["security-severity"].as_str();
            assert!(
                matches!(sev, Some("8.0" | "5.0" | "2.0")),
                "security rule {} has security-severity {sev:?}",
                r["id"]
            );
        }
    }
    let eval_rule = rules.iter().find(|r| r["id"] == "python/eval").expect("python/eval listed");
    // The rule's default is the unknown-value warning; request data makes a
    // result an error.
    assert_eq!(eval_rule["properties"]["security-severity"], "5.0");
    assert_eq!(eval_rule["defaultConfiguration"]["level"], "warning");

    let results = run["results"].as_array().unwrap();
    let found: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (r["ruleId"].as_str().unwrap(), loc["artifactLocation"]["uri"].as_str().unwrap())
        })
        .collect();
    assert_eq!(found, [("node/eval", "api/server.js"), ("python/eval", "shop/views.py")]);
    for r in results {
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], r["ruleId"], "ruleIndex points at the rule");
        assert_eq!(r["level"], "error");
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let fp = r["partialFingerprints"]["stackfit/v1"].as_str().expect("partial fingerprint");
        assert!(!fp.is_empty());
        assert_eq!(r["properties"]["category"], "security");
        assert_eq!(r["properties"]["confidence"], "high");
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &loc["region"];
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[k].as_u64().is_some_and(|n| n >= 1), "region.{k}");
        }
        assert!(region["snippet"]["text"].as_str().unwrap().starts_with("eval("));
    }
    let py = &results[1]["locations"][0]["physicalLocation"];
    assert_eq!(py["region"]["startLine"], 5);
    assert_eq!(py["region"]["startColumn"], 31);
    assert_eq!(py["region"]["snippet"]["text"], "eval(request.GET[\"q\"])");
    assert_eq!(py["contextRegion"]["snippet"]["text"], "    return JsonResponse({\"v\": eval(request.GET[\"q\"])})");

    // Deterministic: the same input gives byte-identical output.
    let (code2, stdout2) = run_sarif(dir.path());
    assert_eq!(code2, 1);
    assert!(stdout == stdout2, "two runs differ");
}

#[test]
fn sarif_without_findings_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/views.py", "def view(request):\n    return eval(\"1 + 1\")\n");
    write(dir.path(), "server.js", "const value = eval(\"2 + 2\");\n");
    let (code, stdout) = run_sarif(dir.path());
    assert_eq!(code, 0, "no findings, exit 0");
    let log = parse(&stdout);
    let errors = schema_errors(&validator(), &log);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    let run = &log["runs"][0];
    assert_eq!(run["results"], serde_json::json!([]), "results is present and empty");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert!(run["tool"]["driver"]["rules"].as_array().is_some_and(|r| !r.is_empty()));
}

#[test]
fn schema_check_catches_broken_logs() {
    // Guard against a validator that accepts anything.
    let v = validator();
    let broken = serde_json::json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "stackfit"}},
            "results": [{"message": {"text": "m"}, "level": "fatal",
                "locations": [{"physicalLocation": {"region": {"startLine": 0}}}]}]
        }]
    });
    assert!(schema_errors(&v, &broken).len() >= 2);
}
