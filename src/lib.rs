//! stackfit: a risk and fit linter for Node.js and Django codebases.
//!
//! The crate is laid out as the pipeline runs (see `docs/architecture.md`):
//! `walk` finds files and `parse` decodes and parses them; `semantics` is
//! the language-level understanding every rule family shares; `engine` runs
//! the rules in two phases and knows no framework; `model` is what the
//! project's code means per framework (Django models and querysets, Node
//! apps, NestJS services); `profile` is the fit profile; `rules` holds one
//! file per rule (declarative ones as TOML in the top-level `rules/`);
//! `report` renders each output format; `registry` tells the engine which
//! rules, fact extractors and file passes exist.

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
