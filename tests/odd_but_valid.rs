//! Issue 10: a small committed sample of odd-but-valid code (decorators
//! everywhere, JSX in .js, TypeScript generics and decorators, TSX generic
//! components, Python 3.12 syntax, match statements, walrus) parses without
//! a single error node, and a scan of it finishes with zero panics, zero
//! skipped files and zero warnings.

mod common;

use stackfit::parse::{parse, Lang};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/odd-but-valid")
}

fn sample_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(sample_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

#[test]
fn every_language_has_odd_but_valid_samples() {
    let langs: Vec<Lang> = sample_files().iter().filter_map(|p| Lang::from_path(p)).collect();
    for lang in stackfit::parse::ALL_LANGS {
        assert!(langs.contains(&lang), "no sample for {}", lang.name());
    }
    assert_eq!(langs.len(), sample_files().len(), "every sample is a source file");
}

#[test]
fn odd_but_valid_samples_parse_without_error_nodes() {
    for path in sample_files() {
        let lang = Lang::from_path(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let tree = parse(lang, &text, Duration::from_secs(10)).unwrap();
        let mut errors = Vec::new();
        let mut cursor = tree.walk();
        'walk: loop {
            let n = cursor.node();
            if n.is_error() || n.is_missing() {
                errors.push(format!(
                    "{} at {}:{}",
                    n.kind(),
                    n.start_position().row + 1,
                    n.start_position().column + 1
                ));
            }
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
}

#[test]
fn scanning_odd_but_valid_samples_skips_nothing_and_warns_about_nothing() {
    let project = common::Project::new();
    for path in sample_files() {
        project.write(path.file_name().unwrap().to_str().unwrap(), std::fs::read(&path).unwrap());
    }
    let run = project.run(&["check", "--no-cache", "--format", "json", "."]);
    run.assert_survived();
    assert!(run.stderr.trim().is_empty(), "warnings:\n{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["summary"]["files"], sample_files().len() as u64, "{doc}");
    assert_eq!(doc["skipped"].as_array().map(Vec::len), Some(0), "{doc}");
    assert_eq!(doc["summary"]["skipped"], 0, "{doc}");
}
