//! Inputs found by the cargo-fuzz targets (`fuzz/`), replayed through the
//! same path: `stackfit::fuzzing::Harness` (decoding, parse, every rule,
//! fact extractors, project rules) on a thread with a scan worker's stack.
//! Every file under `tests/fuzz-regressions/<language>/` is one input for
//! that language's target; the file name does not matter (the harness picks
//! the analysed path from the first byte, as the fuzzer did).
//!
//! Crashes and slow units the fuzzer found go here once fixed, with some of
//! the inputs that reached the most code.

mod common;

use stackfit::fuzzing::{file_name, Harness, Outcome, SCAN_STACK_SIZE};
use stackfit::parse::{Lang, ALL_LANGS};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Far above what any input takes (milliseconds, in a debug build); a hang
/// the fuzzer reported as a slow unit must not come back.
const LIMIT: Duration = Duration::from_secs(60);

fn inputs(lang: Lang) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions").join(lang.name());
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

#[test]
fn every_language_has_fuzz_regression_inputs() {
    for lang in ALL_LANGS {
        assert!(!inputs(lang).is_empty(), "tests/fuzz-regressions/{}/ is empty", lang.name());
    }
}

#[test]
fn fuzz_regression_inputs_run_through_every_rule_without_panicking() {
    let harness = Harness::new().unwrap();
    let mut failures = Vec::new();
    let mut analysed = 0;
    for lang in ALL_LANGS {
        for path in inputs(lang) {
            let bytes = std::fs::read(&path).unwrap();
            let started = Instant::now();
            let result = std::thread::scope(|s| {
                std::thread::Builder::new()
                    .stack_size(SCAN_STACK_SIZE)
                    .spawn_scoped(s, || harness.run(lang, &bytes))
                    .unwrap()
                    .join()
            });
            let took = started.elapsed();
            let name = path.display();
            match result {
                Err(e) => {
                    let msg = e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    failures.push(format!("{name}: panicked: {msg}"));
                }
                Ok(Outcome::Analysed { .. }) => analysed += 1,
                Ok(Outcome::Skipped(_)) => {}
            }
            if took > LIMIT {
                failures.push(format!("{name}: took {took:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(analysed > 0, "no input got past decoding");
}

/// The same inputs as files of one project, through the binary.
#[test]
fn a_project_of_the_fuzz_regression_inputs_is_scanned_without_panicking() {
    let project = common::Project::new();
    for lang in ALL_LANGS {
        for (i, path) in inputs(lang).iter().enumerate() {
            let bytes = std::fs::read(path).unwrap();
            project.write(&format!("{}/{i}/{}", lang.name(), file_name(lang, &bytes)), bytes);
        }
    }
    let run = project.run(&["check", "--no-cache", "--no-default-excludes", "--format", "json", "."]);
    run.assert_survived();
    let _ = run.json();
}
