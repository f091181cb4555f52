//! The folders of `src/` form layers, each importing only from the layers
//! below it (walk/parse → engine → model → profile → rules → report →
//! the composition root): the engine knows no framework, the model layer no
//! rule, the profile no rule. Checked on the source text, comments
//! excluded, tests included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module and its rank: a module may import from modules of
/// a lower rank (and from itself).
const LAYERS: &[(&str, u32)] = &[
    ("finding", 0),
    ("config", 1),
    ("parse", 1),
    ("walk", 2),
    ("semantics", 2),
    ("engine", 3),
    ("model", 4),
    ("profile", 5),
    ("rules", 6),
    ("report", 7),
    ("registry", 7),
    ("cache", 8),
    ("testing", 10),
    ("scan", 9),
    ("fuzzing", 10),
    ("cli", 11),
    ("lib", 12),
    ("main", 12),
];

fn rank(module: &str) -> u32 {
    LAYERS
        .iter()
        .find(|(m, _)| *m == module)
        .map(|(_, r)| *r)
        .unwrap_or_else(|| panic!("module {module} has no layer in tests/layers.rs"))
}

/// The top-level modules that `text` names through `crate::`, outside
/// comments: `crate::a::b`, `crate::{a, b::c}`.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
            } else {
                let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
            rest = after;
        }
    }
    out
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_module_imports_only_from_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    all.sort();
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();
    for p in &all {
        let rel = p.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        let module = first.trim_end_matches(".rs").to_string();
        let text = std::fs::read_to_string(p).unwrap();
        for to in imports(&text) {
            if to != module {
                edges.entry((module.clone(), to)).or_insert_with(|| rel.display().to_string());
            }
        }
    }
    let bad: Vec<String> = edges
        .iter()
        .filter(|((from, to), _)| rank(to) >= rank(from))
        .map(|((from, to), file)| format!("{from} -> {to} ({file})"))
        .collect();
    assert!(bad.is_empty(), "imports against the layers:\n{}", bad.join("\n"));
    // The test reads the code it checks: the engine's imports are there.
    assert!(edges.contains_key(&("engine".to_string(), "parse".to_string())));
    assert!(edges.contains_key(&("rules".to_string(), "model".to_string())));
}

#[test]
fn imports_are_read_from_paths_and_groups_but_not_comments() {
    let got =
        imports("use crate::{engine, model::x};\n// crate::rules\nlet a = crate::profile::b(); // crate::report\n");
    assert_eq!(got.into_iter().collect::<Vec<_>>(), ["engine", "model", "profile"]);
}
