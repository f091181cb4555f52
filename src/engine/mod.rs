//! The two-phase engine. Phase 1 runs per file, in parallel: parse once, one
//! traversal dispatching nodes to the code rules that asked for their kind,
//! one pass of the combined declarative query, fact extraction; the tree is
//! dropped when the file is done. Phase 2 merges the facts and runs the
//! project-level rules.

pub mod context;
pub mod declarative;
pub mod facts;
pub mod pass;
pub mod project;
pub mod rule;
pub mod suppress;

use crate::finding::{Confidence, Finding, Location, Role, Severity};
use crate::parse::Syntax;
use crate::parse::{self, Lang, Source, ALL_LANGS};
use crate::semantics;
use context::{FileCtx, Pending};
use declarative::{CombinedQuery, DeclRule};
use facts::{FactExtractor, FileFacts};
use pass::{FilePass, Rerun};
use project::{ProjectCtx, ProjectOut};
use rule::{CodeRule, InRole, Rule, RuleKind, RuleMeta, RuleOrigin, RuleSpec};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use suppress::Suppressions;

/// What the layers above contribute to an engine: the builtin code rules
/// and declarative rule texts, the fact extractors and the file passes.
/// The engine itself knows no rule, framework or fact kind;
/// `crate::registry::builtins()` assembles these.
#[derive(Default)]
pub struct Builtins {
    pub code_rules: Vec<&'static CodeRule>,
    /// (file name, TOML text) of the builtin declarative rules.
    pub declarative: Vec<(&'static str, &'static str)>,
    pub extractors: Vec<&'static FactExtractor>,
    pub passes: Vec<&'static dyn FilePass>,
}

pub struct Engine {
    pub rules: Vec<Rule>,
    by_id: HashMap<String, usize>,
    /// Per language: node kind id → code rules with a `node` hook for it.
    dispatch: [Vec<Vec<usize>>; 4],
    /// Per language: code rules with a `file` hook or a gate.
    file_rules: [Vec<usize>; 4],
    /// Per language: declarative rules, compiled on first use.
    decl_rules: [Vec<usize>; 4],
    decl_queries: [OnceLock<Result<Option<CombinedQuery>, String>>; 4],
    prefilters: [Prefilter; 4],
    pub parse_budget: Duration,
    extractors: Vec<&'static FactExtractor>,
    passes: Vec<&'static dyn FilePass>,
    /// Hash of the user rule files loaded (builtin rules are covered by the
    /// build id), part of the result cache's key.
    pub user_rules_hash: u64,
}

/// The byte-level pre-check done before parsing: which of the literal
/// needles that rules and fact extractors declared occur in a file. A file
/// in which no enabled rule and no extractor can match is not parsed.
#[derive(Default)]
struct Prefilter {
    automaton: Option<aho_corasick::AhoCorasick>,
    /// Per needle id: it must occur as a whole word.
    words: Vec<bool>,
    /// Per rule index: needle ids (empty: the rule always runs).
    rule_needles: Vec<Vec<usize>>,
    /// Per fact extractor: needle ids (`None`: not for this language;
    /// empty: runs on every file of the language).
    extractor_needles: Vec<Option<Vec<usize>>>,
}

impl Prefilter {
    fn build(lang: Lang, rules: &[Rule], extractors: &[&FactExtractor]) -> Prefilter {
        let mut needles: Vec<(String, bool)> = Vec::new();
        let id_of = |n: &str, word: bool, needles: &mut Vec<(String, bool)>| match needles
            .iter()
            .position(|(x, w)| x == n && *w == word)
        {
            Some(i) => i,
            None => {
                needles.push((n.to_string(), word));
                needles.len() - 1
            }
        };
        let rule_needles = rules
            .iter()
            .map(|r| {
                if r.meta.langs.contains(&lang) {
                    let plain = r.meta.prefilter.iter().map(|n| id_of(n, false, &mut needles)).collect::<Vec<_>>();
                    let words = r.meta.prefilter_words.iter().map(|n| id_of(n, true, &mut needles)).collect::<Vec<_>>();
                    plain.into_iter().chain(words).collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        let extractor_needles = extractors
            .iter()
            .map(|x| x.langs.contains(&lang).then(|| x.needles.iter().map(|n| id_of(n, false, &mut needles)).collect()))
            .collect();
        let automaton =
            if needles.is_empty() { None } else { aho_corasick::AhoCorasick::new(needles.iter().map(|(n, _)| n)).ok() };
        let words = needles.iter().map(|(_, w)| *w).collect();
        Prefilter { automaton, words, rule_needles, extractor_needles }
    }

    /// Which needles occur in `text`.
    fn scan(&self, text: &str) -> Vec<bool> {
        let count = self.words.len();
        let mut present = vec![false; count];
        if let Some(ac) = &self.automaton {
            let bytes = text.as_bytes();
            let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
            let mut left = count;
            for m in ac.find_overlapping_iter(text) {
                let i = m.pattern().as_usize();
                if present[i] {
                    continue;
                }
                if self.words[i]
                    && (m.start() > 0 && is_word(bytes[m.start() - 1])
                        || bytes.get(m.end()).is_some_and(|b| is_word(*b)))
                {
                    continue;
                }
                present[i] = true;
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        present
    }

    fn passes(needles: &[usize], present: &[bool]) -> bool {
        needles.is_empty() || needles.iter().any(|&n| present[n])
    }
}

/// `FileStats::per_rule` index of the declarative rules' combined pass.
pub const DECLARATIVE_STAT: usize = usize::MAX;
/// `FileStats::per_rule` index of fact extractor `x`: `EXTRACTOR_STAT - x`.
pub const EXTRACTOR_STAT: usize = usize::MAX - 1;

/// How a file is analysed: with `--stats` timings, and whether only for
/// its facts (a file no enabled rule looks at in a partial run).
#[derive(Clone, Copy)]
struct Pass {
    stats: bool,
    facts_only: bool,
}

/// Per-file timings and counters for `--stats`.
#[derive(Debug, Default, Clone)]
pub struct FileStats {
    pub parse: Duration,
    pub rules: Duration,
    /// (rule index, time) for rules that ran on this file, with --stats.
    pub per_rule: Vec<(usize, Duration)>,
}

/// The outcome of phase 1 for one file: what the result cache stores.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct FileOutcome {
    #[serde(with = "crate::finding::as_json")]
    pub findings: Vec<Finding>,
    /// Shared: the cache, phase 2 and the cache writer hold the same facts.
    pub facts: std::sync::Arc<FileFacts>,
    pub suppressions: Suppressions,
    /// Directive indices that suppressed at least one finding.
    pub used_suppressions: Vec<usize>,
    #[serde(skip)]
    pub stats: FileStats,
    /// A parse that timed out or failed; the file was not analysed.
    pub error: Option<String>,
    /// No enabled rule could match (byte-level pre-check): not parsed.
    pub prefiltered: bool,
    /// The file's code role, as the run decided it.
    pub role: Role,
}

/// Which rules run for a file: one flag per rule index.
pub type Enabled = [bool];

impl Engine {
    /// Builtin code rules, builtin declarative rules, then the declarative
    /// rules in `extra_dirs`.
    pub fn load(builtins: &Builtins, extra_dirs: &[PathBuf]) -> Result<Engine, String> {
        let mut rules = Vec::new();
        for &code in &builtins.code_rules {
            let spec: RuleSpec = toml::from_str(code.doc).map_err(|e| format!("builtin code rule docs: {e}"))?;
            let meta = RuleMeta::from_spec(&spec, RuleOrigin::Builtin)
                .map_err(|e| format!("builtin rule {}: {e}", spec.id))?;
            rules.push(Rule { meta, kind: RuleKind::Code(code) });
        }
        for &(name, text) in &builtins.declarative {
            rules.push(load_decl(text, RuleOrigin::File(PathBuf::from(name)), false)?);
        }
        let mut user_texts = String::new();
        for dir in extra_dirs {
            for path in rule_files(dir)? {
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                rules.push(load_decl(&text, RuleOrigin::File(path.clone()), true)?);
                user_texts.push_str(&text);
            }
        }
        let mut engine = Engine::with(rules, builtins.extractors.clone(), builtins.passes.clone())?;
        engine.user_rules_hash = xxhash_rust::xxh3::xxh3_64(user_texts.as_bytes());
        Ok(engine)
    }

    /// An engine of these rules alone: no fact extractors, no file passes.
    pub fn new(rules: Vec<Rule>) -> Result<Engine, String> {
        Engine::with(rules, Vec::new(), Vec::new())
    }

    pub fn with(
        rules: Vec<Rule>,
        extractors: Vec<&'static FactExtractor>,
        passes: Vec<&'static dyn FilePass>,
    ) -> Result<Engine, String> {
        let mut by_id = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            if let Some(prev) = by_id.insert(r.meta.id.clone(), i) {
                return Err(format!(
                    "rule id '{}' is defined twice ({} and {})",
                    r.meta.id,
                    origin_name(&rules[prev].meta.origin),
                    origin_name(&r.meta.origin)
                ));
            }
        }
        let mut dispatch: [Vec<Vec<usize>>; 4] = Default::default();
        let mut file_rules: [Vec<usize>; 4] = Default::default();
        let mut decl_rules: [Vec<usize>; 4] = Default::default();
        for lang in ALL_LANGS {
            let language = lang.ts_language();
            let table = &mut dispatch[lang.index()];
            table.resize(language.node_kind_count(), Vec::new());
            for (i, r) in rules.iter().enumerate() {
                if !r.meta.langs.contains(&lang) {
                    continue;
                }
                match &r.kind {
                    RuleKind::Code(c) => {
                        if c.node.is_some() {
                            for kind in c.kinds {
                                let id = language.id_for_node_kind(kind, true) as usize;
                                if id != 0 && id < table.len() {
                                    table[id].push(i);
                                }
                            }
                        }
                        if c.file.is_some() || c.node.is_some() {
                            file_rules[lang.index()].push(i);
                        }
                    }
                    RuleKind::Declarative(_) => decl_rules[lang.index()].push(i),
                }
            }
        }
        let prefilters = ALL_LANGS.map(|l| Prefilter::build(l, &rules, &extractors));
        Ok(Engine {
            rules,
            by_id,
            dispatch,
            file_rules,
            decl_rules,
            decl_queries: Default::default(),
            prefilters,
            parse_budget: Duration::from_secs(30),
            extractors,
            passes,
            user_rules_hash: 0,
        })
    }

    /// Fact extractor `x` (as `EXTRACTOR_STAT - x` in `--stats`).
    pub fn extractor(&self, x: usize) -> Option<&FactExtractor> {
        self.extractors.get(x).copied()
    }

    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub(crate) fn combined_query(&self, lang: Lang) -> &Result<Option<CombinedQuery>, String> {
        self.decl_queries[lang.index()].get_or_init(|| {
            let rules: Vec<(usize, &str)> = self.decl_rules[lang.index()]
                .iter()
                .filter_map(|&i| match &self.rules[i].kind {
                    RuleKind::Declarative(d) => Some((i, d.query.as_str())),
                    _ => None,
                })
                .collect();
            CombinedQuery::build(lang, &rules)
        })
    }

    /// Phase 1 for one decoded file.
    pub fn analyse(&self, rel: &str, lang: Lang, src: &Source, enabled: &Enabled, stats: bool) -> FileOutcome {
        self.analyse_file(rel, lang, src, enabled, Pass { stats, facts_only: false }, Role::App)
    }

    /// Phase 1 for one decoded file of the given code role: only the rules
    /// that apply to the role run, with their severities capped as it says.
    pub fn analyse_role(
        &self,
        rel: &str,
        lang: Lang,
        src: &Source,
        enabled: &Enabled,
        stats: bool,
        role: Role,
    ) -> FileOutcome {
        self.analyse_file(rel, lang, src, enabled, Pass { stats, facts_only: false }, role)
    }

    /// Phase 1 for a file that a partial run reads only for its facts: no
    /// rule looks at it, only the fact extractors the enabled rules need.
    pub fn analyse_context(&self, rel: &str, lang: Lang, src: &Source, enabled: &Enabled, role: Role) -> FileOutcome {
        self.analyse_file(rel, lang, src, enabled, Pass { stats: false, facts_only: true }, role)
    }

    fn analyse_file(
        &self,
        rel: &str,
        lang: Lang,
        src: &Source,
        enabled: &Enabled,
        pass: Pass,
        role: Role,
    ) -> FileOutcome {
        let Pass { stats, facts_only } = pass;
        let mut out = FileOutcome { role, ..Default::default() };
        let t0 = Instant::now();
        // Byte-level pre-check: rules and extractors whose needles are absent
        // cannot match; if none is left, the file is not even parsed.
        let pf = &self.prefilters[lang.index()];
        let present = pf.scan(&src.text);
        // Extractors run for the rules that consume their facts: project
        // rules, or file rules that phase 2 completes.
        let extractors: Vec<usize> = self
            .extractors
            .iter()
            .enumerate()
            .filter(|(x, fx)| {
                pf.extractor_needles[*x].as_ref().is_some_and(|n| Prefilter::passes(n, &present))
                    && self.rules.iter().zip(enabled.iter()).any(|(r, on)| {
                        *on && (r.is_project() || fx.for_file_rules)
                            && fx.consumers.iter().any(|c| rule::id_matches(c, &r.meta.id))
                    })
            })
            .map(|(x, _)| x)
            .collect();
        // Rules with per-file work whose needles occur in the file.
        let enabled: Vec<bool> = (0..self.rules.len())
            .map(|i| {
                !facts_only
                    && enabled[i]
                    && self.rules[i].meta.in_role(role) != InRole::Skip
                    && self.rules[i].has_file_work()
                    && self.rules[i].meta.langs.contains(&lang)
                    && Prefilter::passes(&pf.rule_needles[i], &present)
            })
            .collect();
        out.suppressions = Suppressions::parse(&src.text);
        if !enabled.iter().any(|e| *e) && extractors.is_empty() {
            out.prefiltered = true;
            return out;
        }
        let enabled = &enabled[..];
        let tree = match parse::parse(lang, &src.text, self.parse_budget) {
            Ok(t) => t,
            Err(parse::ParseError::Timeout(b)) => {
                out.error = Some(format!("parsing took longer than {}s; file not analysed", b.as_secs()));
                return out;
            }
            Err(parse::ParseError::Failed) => {
                out.error = Some("the parser gave up on this file; not analysed".into());
                return out;
            }
        };
        out.stats.parse = t0.elapsed();
        let t1 = Instant::now();
        let mut ctx = FileCtx::new(rel, lang, src, &tree);
        ctx.role = role;
        if let Some(e) = self.run_rules(&mut ctx, enabled, stats, &mut out.stats) {
            out.error = Some(e);
        }
        for x in extractors {
            let ts = Instant::now();
            (self.extractors[x].run)(&mut ctx);
            if stats {
                out.stats.per_rule.push((EXTRACTOR_STAT - x, ts.elapsed()));
            }
        }

        if src.text.contains("stackfit:") {
            let mut comments = Vec::new();
            semantics::descendants(tree.root_node(), |n| {
                if n.ty() == "comment" {
                    comments.push((n.start_byte(), n.end_byte()));
                }
                true
            });
            out.suppressions = Suppressions::parse_in(&src.text, Some(&comments));
        }
        // Findings that hold if other files make this one's functions request
        // handlers (a NestJS controller reaching a service method).
        let conditional: Vec<(usize, Vec<(context::RawFinding, pass::Tag)>)> = if facts_only {
            Vec::new()
        } else {
            let rerun = Rerun { engine: self, enabled };
            (0..self.passes.len())
                .filter(|&p| self.passes[p].applies(&ctx))
                .map(|p| (p, self.passes[p].run(&rerun, &ctx)))
                .filter(|(_, found)| !found.is_empty())
                .collect()
        };
        out.stats.rules = t1.elapsed();
        let raw = std::mem::take(&mut ctx.findings);
        let mut facts = std::mem::take(&mut ctx.facts);
        drop(ctx);
        drop(tree);
        let mut findings = Vec::with_capacity(raw.len());
        for f in raw {
            let span = src.span(f.at.0, f.at.1);
            findings.push(self.finish(f, rel.to_string(), span, role));
        }
        dedup(&mut findings);
        let (kept, used) = apply_suppressions(findings, &out.suppressions);
        out.findings = kept;
        out.used_suppressions = used;
        let mut seen = HashMap::new();
        fingerprint_with(&mut out.findings, Some(src), &mut seen);
        for (p, found) in conditional {
            let mut cond_findings: Vec<Finding> = Vec::with_capacity(found.len());
            let mut tags = Vec::with_capacity(found.len());
            for (f, tag) in found {
                let span = src.span(f.at.0, f.at.1);
                cond_findings.push(self.finish(f, rel.to_string(), span, role));
                tags.push(tag);
            }
            // Ranked after the file's own findings, so that theirs never change.
            fingerprint_with(&mut cond_findings, Some(src), &mut seen);
            let done = cond_findings
                .into_iter()
                .zip(tags)
                .map(|(finding, tag)| {
                    let suppressed_by = out.suppressions.find(&finding.rule_id, finding.span.start_line);
                    (finding, tag, suppressed_by)
                })
                .collect();
            self.passes[p].store(&mut facts, done);
        }
        out.facts = std::sync::Arc::new(facts);
        out
    }

    /// Runs the code rules (gates and file hooks, then one traversal) and
    /// the declarative rules enabled in `run` over the file of `ctx`.
    /// Returns an error that made the results incomplete.
    fn run_rules(&self, ctx: &mut FileCtx, run: &[bool], stats: bool, fstats: &mut FileStats) -> Option<String> {
        let lang = ctx.lang;
        let mut error = None;
        let mut active = vec![false; self.rules.len()];
        for &i in &self.file_rules[lang.index()] {
            if !run[i] {
                continue;
            }
            let RuleKind::Code(c) = &self.rules[i].kind else { continue };
            if let Some(gate) = c.gate {
                if !gate(ctx) {
                    continue;
                }
            }
            active[i] = true;
            if let Some(f) = c.file {
                let ts = Instant::now();
                ctx.current_rule = i;
                f(ctx);
                if stats {
                    fstats.per_rule.push((i, ts.elapsed()));
                }
            }
        }
        self.traverse(ctx, &active, stats, fstats);

        // Declarative rules: one pass of the combined query.
        if self.decl_rules[lang.index()].iter().any(|&i| run[i]) {
            match self.combined_query(lang) {
                Ok(Some(q)) => {
                    let ts = Instant::now();
                    let rule_of = |i: usize| -> Option<&DeclRule> {
                        if !run[i] {
                            return None;
                        }
                        match &self.rules[i].kind {
                            RuleKind::Declarative(d) => Some(d),
                            _ => None,
                        }
                    };
                    if !declarative::run(ctx, q, &rule_of, self.parse_budget) {
                        error = Some(format!(
                            "declarative rules took longer than {}s; their results for this file are incomplete",
                            self.parse_budget.as_secs()
                        ));
                    }
                    if stats {
                        fstats.per_rule.push((DECLARATIVE_STAT, ts.elapsed()));
                    }
                }
                Ok(None) => {}
                Err(e) => error = Some(format!("declarative rules failed to compile: {e}")),
            }
        }
        ctx.current_rule = usize::MAX;
        error
    }

    /// The rules that read `handlers` run again over the same tree with a
    /// different set of request handlers; returns their findings and the
    /// rules that read request data (taint) in that run.
    pub(crate) fn rerun(
        &self,
        base: &FileCtx,
        run: &[bool],
        handlers: semantics::Handlers,
    ) -> (Vec<context::RawFinding>, Vec<usize>) {
        let mut ctx = FileCtx::new(base.rel, base.lang, base.src, base.tree).with_handlers(handlers);
        let mut st = FileStats::default();
        let _ = self.run_rules(&mut ctx, run, false, &mut st);
        let readers = ctx.taint_readers.borrow().iter().copied().collect();
        (std::mem::take(&mut ctx.findings), readers)
    }

    fn traverse(&self, ctx: &mut FileCtx, active: &[bool], stats: bool, fstats: &mut FileStats) {
        let table = &self.dispatch[ctx.lang.index()];
        if !active.iter().any(|a| *a) {
            return;
        }
        let mut per_rule: HashMap<usize, Duration> = HashMap::new();
        let mut dispatch = |node: tree_sitter::Node, kind: u16, ctx: &mut FileCtx| {
            if let Some(interested) = table.get(kind as usize) {
                for &i in interested {
                    if !active[i] {
                        continue;
                    }
                    let RuleKind::Code(c) = &self.rules[i].kind else { continue };
                    let Some(hook) = c.node else { continue };
                    ctx.current_rule = i;
                    if stats {
                        let ts = Instant::now();
                        hook(node, ctx);
                        *per_rule.entry(i).or_default() += ts.elapsed();
                    } else {
                        hook(node, ctx);
                    }
                }
            }
        };
        ctx.ancestors.clear();
        // Over the flattened tree when the file has one (taken out of the
        // context for the loop; it stays registered for the hooks).
        if let Some(installed) = ctx.take_flat() {
            // Ends (indices past the subtree) of the ancestors.
            let mut ends: Vec<usize> = Vec::new();
            for (j, (node, kind, end)) in installed.flat().entries().enumerate() {
                while ends.last().is_some_and(|e| *e <= j) {
                    ends.pop();
                    ctx.ancestors.pop();
                }
                dispatch(node, kind, ctx);
                if end > j + 1 {
                    ends.push(end);
                    ctx.ancestors.push(node);
                }
            }
            ctx.ancestors.clear();
            ctx.put_flat(installed);
            fstats.per_rule.extend(per_rule);
            return;
        }
        let tree = ctx.tree;
        let mut cursor = tree.walk();
        'outer: loop {
            let node = cursor.node();
            dispatch(node, node.kind_id(), ctx);
            if cursor.goto_first_child() {
                ctx.ancestors.push(node);
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    break 'outer;
                }
                ctx.ancestors.pop();
            }
        }
        ctx.ancestors.clear();
        fstats.per_rule.extend(per_rule);
    }

    /// Attaches the rule's metadata to a pending finding in a file of
    /// `role`, whose cap (scripts: performance findings at note) applies.
    fn finish<At>(&self, f: Pending<At>, path: String, span: crate::finding::Span, role: Role) -> Finding {
        let meta = &self.rules[f.rule].meta;
        let mut severity = f.severity.unwrap_or(meta.severity);
        let mut confidence = f.confidence.unwrap_or(meta.confidence);
        if let InRole::Cap(cap) = meta.in_role(role) {
            // Whether a script's slow loop matters depends on how often it
            // runs, which the code does not say: a note, at low confidence
            // (shown in audits with --min-confidence low).
            severity = severity.min(cap);
            confidence = Confidence::Low;
        }
        Finding {
            rule_id: meta.id.clone(),
            severity,
            category: meta.category,
            confidence,
            role,
            path,
            span,
            message: f.message,
            related: f.related,
            fix: f.fix,
            fingerprint: String::new(),
            unless: f.unless,
        }
    }

    /// Phase 2: project rules over the merged facts. Findings carry their
    /// locations; suppressions and fingerprints are applied by the caller,
    /// which has the files.
    pub fn project(&self, ctx: &ProjectCtx, enabled: &Enabled) -> Vec<Finding> {
        let role_of = |path: &str| ctx.role_of(path);
        let mut out = ProjectOut::default();
        for (i, r) in self.rules.iter().enumerate() {
            if !enabled[i] {
                continue;
            }
            if let RuleKind::Code(CodeRule { project: Some(p), .. }) = &r.kind {
                out.current_rule = i;
                p(ctx, &mut out);
            }
        }
        // A project finding in a file whose role the rule skips (a settings
        // finding in test settings, a view in a test module) is dropped.
        let mut findings: Vec<Finding> = out
            .findings
            .into_iter()
            .filter_map(|f| {
                let (path, span) = (f.at.path.clone(), f.at.span);
                let role = role_of(&path);
                (self.rules[f.rule].meta.in_role(role) != InRole::Skip).then(|| self.finish(f, path, span, role))
            })
            .collect();
        dedup(&mut findings);
        findings
    }
}

fn origin_name(o: &RuleOrigin) -> String {
    match o {
        RuleOrigin::Builtin => "builtin".into(),
        RuleOrigin::File(p) => p.display().to_string(),
    }
}

/// Parses and validates one declarative rule file. `user` rules get their
/// queries validated per rule so that errors name the file.
pub fn load_decl(text: &str, origin: RuleOrigin, validate: bool) -> Result<Rule, String> {
    let name = origin_name(&origin);
    let spec: RuleSpec = toml::from_str(text).map_err(|e| format!("{name}: {}", e.to_string().trim_end()))?;
    let meta = RuleMeta::from_spec(&spec, origin).map_err(|e| format!("{name}: {e}"))?;
    let decl =
        DeclRule::from_spec(&spec, &meta.langs, validate).map_err(|e| format!("{name}: rule {}: {e}", spec.id))?;
    Ok(Rule { meta, kind: RuleKind::Declarative(Box::new(decl)) })
}

/// The `.toml` rule files under `dir`, sorted.
pub fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("rules dir {}: {e}", d.display()))?;
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn dedup(findings: &mut Vec<Finding>) {
    crate::finding::sort_findings(findings);
    findings.dedup_by(|a, b| a.rule_id == b.rule_id && a.path == b.path && a.span == b.span);
}

/// Drops suppressed findings; returns the rest and the directives used.
pub fn apply_suppressions(findings: Vec<Finding>, s: &Suppressions) -> (Vec<Finding>, Vec<usize>) {
    if s.directives.is_empty() {
        return (findings, Vec::new());
    }
    let mut used = Vec::new();
    let kept = findings
        .into_iter()
        .filter(|f| match s.find(&f.rule_id, f.span.start_line) {
            Some(d) => {
                used.push(d);
                false
            }
            None => true,
        })
        .collect();
    used.sort();
    used.dedup();
    (kept, used)
}

/// Fingerprints: rule id, path, the finding's code with whitespace folded,
/// and its rank among identical ones in the file. Line numbers are left out
/// so a finding keeps its identity when unrelated lines move.
pub fn assign_fingerprints(findings: &mut [Finding], src: Option<&Source>) {
    fingerprint_with(findings, src, &mut HashMap::new());
}

/// `assign_fingerprints`, ranking after the findings already counted in `seen`.
fn fingerprint_with(findings: &mut [Finding], src: Option<&Source>, seen: &mut HashMap<u64, u32>) {
    for f in findings.iter_mut() {
        let code = match src {
            Some(s) => {
                let last = f.span.end_line.min(f.span.start_line + 5);
                let mut code = String::new();
                for l in f.span.start_line..=last {
                    code.push_str(s.line(l));
                    code.push('\n');
                }
                code.split_whitespace().collect::<Vec<_>>().join(" ")
            }
            None => String::new(),
        };
        let base = xxhash_rust::xxh3::xxh3_64(format!("{}\0{}\0{}", f.rule_id, f.path, code).as_bytes());
        let n = seen.entry(base).or_insert(0);
        f.fingerprint = format!("{base:016x}:{n}");
        *n += 1;
    }
}

/// A related location helper for rules.
pub fn loc(path: &str, span: crate::finding::Span, message: &str) -> Location {
    Location { path: path.to_string(), span, message: Some(message.to_string()) }
}

pub fn severity_rank(s: Severity) -> u8 {
    s as u8
}
