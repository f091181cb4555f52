//! What a rule is. Every rule, declarative or code, carries the same TOML
//! metadata (id, severity, category, docs, examples); code rules add Rust
//! check functions, declarative rules a tree-sitter query and constraints.

use crate::engine::context::FileCtx;
use crate::engine::declarative::DeclRule;
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::finding::{Category, Confidence, Role, Severity};
use crate::parse::Lang;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tree_sitter::Node;

/// The documentation every rule carries (`stackfit explain`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Docs {
    pub what: String,
    pub why: String,
    pub example: String,
    pub fix: String,
    #[serde(default)]
    pub references: Vec<String>,
    /// Guidance points (`G1`..`G13`) the rule follows.
    #[serde(default)]
    pub guidance: Vec<String>,
}

/// A snippet a rule must flag (`invalid`) or must leave alone (`valid`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    #[serde(default)]
    pub valid: Option<String>,
    #[serde(default)]
    pub invalid: Option<String>,
    /// File name the snippet is analysed under (decides the language and,
    /// for project rules, what the file is taken for, e.g. `settings.py`).
    #[serde(default)]
    pub path: Option<String>,
    /// Extra files of the example project: path → content.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

/// The TOML shape shared by every rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleSpec {
    pub id: String,
    pub languages: Vec<String>,
    pub severity: String,
    pub category: String,
    #[serde(default = "default_confidence")]
    pub confidence: String,
    pub summary: String,
    /// Literal strings of which a file must contain at least one for the
    /// rule to run on it: a byte-level test done before parsing. Rules
    /// without one always run.
    #[serde(default)]
    pub prefilter: Option<Vec<String>>,
    /// Like `prefilter`, but each must occur as a whole word: not preceded
    /// or followed by a letter, digit, `_` or `$` (`eval` does not let a
    /// file with only `Leval` through). Either list lets the rule run.
    #[serde(default)]
    pub prefilter_words: Option<Vec<String>>,
    /// What the rule is about, beyond its category, for the code roles it
    /// runs on (see [`RuleMeta::in_role`]): `injection` (a sink fed by
    /// untrusted data), `request-data` (fires only on request data or in
    /// request handlers), `secret` (a credential in the code), `served`
    /// (judges how a view or route serves requests: test views are never
    /// deployed), `deployment` (reads the deployment files the project
    /// ships: the profile is built for it).
    #[serde(default)]
    pub tags: Vec<String>,
    pub docs: Docs,
    #[serde(default)]
    pub examples: Vec<Example>,
    // Declarative part; absent for code rules.
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub report: Option<String>,
    #[serde(default)]
    pub inside: Option<Vec<String>>,
    #[serde(default)]
    pub not_inside: Option<Vec<String>>,
    #[serde(default)]
    pub not_literal: Option<Vec<String>>,
    #[serde(default)]
    pub resolves_to: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    pub argument_tainted_by: Option<String>,
    #[serde(default)]
    pub argument: Option<String>,
    #[serde(default)]
    pub when_tainted: Option<WhenTainted>,
}

fn default_confidence() -> String {
    "medium".into()
}

/// Raise severity (and optionally change the message) when the named capture
/// carries request data, instead of gating the finding on it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhenTainted {
    pub capture: String,
    pub severity: String,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone)]
pub enum RuleOrigin {
    Builtin,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub id: String,
    pub langs: Vec<Lang>,
    pub severity: Severity,
    pub category: Category,
    pub confidence: Confidence,
    pub summary: String,
    pub prefilter: Vec<String>,
    pub prefilter_words: Vec<String>,
    pub tags: Vec<String>,
    pub docs: Docs,
    pub examples: Vec<Example>,
    pub origin: RuleOrigin,
}

/// Rule tags and what they mean for code roles.
pub const TAGS: &[&str] = &["injection", "request-data", "secret", "served", "deployment"];

/// How a rule treats a file of some role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InRole {
    /// The rule does not run there (its findings would not be worth reading).
    Skip,
    Run,
    /// The rule runs, its findings are at most this severe, at low
    /// confidence.
    Cap(Severity),
}

impl RuleMeta {
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// SPEC "Code roles": every rule runs on application code; scripts get
    /// performance and concurrency findings at note (and low confidence:
    /// whether a script's loop matters depends on how often it runs) and no
    /// rule that needs
    /// a request; tests and migrations no performance, concurrency or
    /// injection rule (and tests no hard-coded secret, nor a judgement of
    /// how their views serve requests); browser and vendored
    /// code no rule at all.
    pub fn in_role(&self, role: Role) -> InRole {
        let perf = matches!(self.category, Category::Performance | Category::Concurrency);
        match role {
            Role::App => InRole::Run,
            Role::Script if self.has_tag("request-data") || self.has_tag("served") => InRole::Skip,
            Role::Script if perf => InRole::Cap(Severity::Note),
            Role::Script => InRole::Run,
            Role::Test | Role::Migration if perf || self.has_tag("injection") => InRole::Skip,
            Role::Test if self.has_tag("secret") || self.has_tag("served") => InRole::Skip,
            Role::Test | Role::Migration => InRole::Run,
            Role::Browser | Role::Vendored => InRole::Skip,
        }
    }
}

impl RuleMeta {
    pub fn from_spec(spec: &RuleSpec, origin: RuleOrigin) -> Result<RuleMeta, String> {
        let mut langs = Vec::new();
        for l in &spec.languages {
            let ls = Lang::parse_list(l)
                .ok_or_else(|| format!("unknown language '{l}' (python, javascript, typescript, tsx, js)"))?;
            for l in ls {
                if !langs.contains(&l) {
                    langs.push(l);
                }
            }
        }
        if !spec.id.contains('/') {
            return Err(format!("rule id '{}' must look like 'ecosystem/name'", spec.id));
        }
        Ok(RuleMeta {
            id: spec.id.clone(),
            langs,
            severity: Severity::parse(&spec.severity)
                .ok_or_else(|| format!("severity '{}' is not error, warning or note", spec.severity))?,
            category: match spec.category.as_str() {
                "performance" => Category::Performance,
                "concurrency" => Category::Concurrency,
                "security" => Category::Security,
                "fit" => Category::Fit,
                c => return Err(format!("category '{c}' is not performance, concurrency, security or fit")),
            },
            confidence: match spec.confidence.as_str() {
                "high" => Confidence::High,
                "medium" => Confidence::Medium,
                "low" => Confidence::Low,
                c => return Err(format!("confidence '{c}' is not high, medium or low")),
            },
            summary: spec.summary.clone(),
            prefilter: spec.prefilter.clone().unwrap_or_default(),
            prefilter_words: spec.prefilter_words.clone().unwrap_or_default(),
            tags: match spec.tags.iter().find(|t| !TAGS.contains(&t.as_str())) {
                Some(t) => return Err(format!("tag '{t}' is not one of {}", TAGS.join(", "))),
                None => spec.tags.clone(),
            },
            docs: spec.docs.clone(),
            examples: spec.examples.clone(),
            origin,
        })
    }
}

/// Check functions of a rule written in Rust. A rule fills in only the hooks
/// it needs: `gate` is a cheap per-file test run before any per-node work,
/// `node` receives every node whose kind is in `kinds`, `file` runs once per
/// file, `project` runs once over the merged project facts.
pub struct CodeRule {
    /// The rule's metadata, docs and examples, in the shared TOML format.
    pub doc: &'static str,
    pub kinds: &'static [&'static str],
    pub gate: Option<fn(&FileCtx) -> bool>,
    pub node: Option<fn(Node, &mut FileCtx)>,
    pub file: Option<fn(&mut FileCtx)>,
    pub project: Option<fn(&ProjectCtx, &mut ProjectOut)>,
}

impl CodeRule {
    pub const EMPTY: CodeRule = CodeRule { doc: "", kinds: &[], gate: None, node: None, file: None, project: None };
}

pub enum RuleKind {
    Code(&'static CodeRule),
    Declarative(Box<DeclRule>),
}

pub struct Rule {
    pub meta: RuleMeta,
    pub kind: RuleKind,
}

impl Rule {
    pub fn is_project(&self) -> bool {
        matches!(self.kind, RuleKind::Code(c) if c.project.is_some())
    }

    /// Does the rule look at files in phase 1 (node or file hooks, or a query)?
    pub fn has_file_work(&self) -> bool {
        match &self.kind {
            RuleKind::Code(c) => c.node.is_some() || c.file.is_some(),
            RuleKind::Declarative(_) => true,
        }
    }
}

/// Does `pattern` (a full id or a prefix such as `django/` or `django`)
/// select rule `id`?
pub fn id_matches(pattern: &str, id: &str) -> bool {
    if pattern == id || pattern == "ALL" || pattern == "all" {
        return true;
    }
    let p = pattern.trim_end_matches('/');
    id.starts_with(p) && id[p.len()..].starts_with('/')
}
