//! stackfit: a risk and fit linter for Node.js and Django codebases.
//!
//! The crate is laid out as the pipeline runs: `walk` finds files, `parse`
//! decodes and parses them, `engine` runs the rules (`rules/` in Rust,
//! top-level `rules/*.toml` declaratively) in two phases, `semantics` is the
//! shared code understanding rules build on, `profile` is the fit profile,
//! and `report` renders the findings in each output format.

pub mod cache;
pub mod cli;
pub mod config;
pub mod engine;
pub mod finding;
pub mod fuzzing;
pub mod model;
pub mod parse;
pub mod profile;
pub mod registry;
pub mod report;
pub mod rules;
pub mod scan;
pub mod semantics;
pub mod testing;
pub mod walk;
