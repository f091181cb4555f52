//! Declarative rules: a tree-sitter query plus context constraints, loaded
//! from TOML. Loading is two-staged as in ast-grep: serde structs first
//! (`RuleSpec`), then a validated `DeclRule` whose errors say what to change.
//! At run time all declarative rules of a language share one combined query,
//! compiled once, so a file costs one query pass whatever the rule count.

use crate::engine::context::FileCtx;
use crate::engine::rule::{RuleSpec, WhenTainted};
use crate::finding::{Confidence, Severity};
use crate::parse::Lang;
use crate::semantics::{self, Context};
use std::collections::BTreeMap;
use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Query, QueryCursor};

#[derive(Debug)]
pub struct DeclRule {
    pub message: String,
    pub query: String,
    pub report: Option<String>,
    pub inside: Vec<Context>,
    pub not_inside: Vec<Context>,
    pub not_literal: Vec<String>,
    pub resolves_to: BTreeMap<String, Vec<String>>,
    pub tainted_argument: Option<String>,
    pub when_tainted: Option<(String, Severity, Option<String>)>,
    /// The rule's own confidence: a finding is never made less confident.
    pub confidence: Confidence,
}

fn contexts(names: &Option<Vec<String>>) -> Result<Vec<Context>, String> {
    names
        .iter()
        .flatten()
        .map(|n| {
            Context::parse(n).ok_or_else(|| {
                format!("unknown context '{n}' (request-handler, async-function, loop, function, module)")
            })
        })
        .collect()
}

impl DeclRule {
    /// Validates the declarative part of `spec` against every language it
    /// names: the query must compile and every capture a constraint names
    /// must exist in it.
    /// `validate` compiles the query per language; builtin rules skip it at
    /// run time (a unit test validates them) to keep start-up fast.
    pub fn from_spec(spec: &RuleSpec, langs: &[Lang], validate: bool) -> Result<DeclRule, String> {
        let query = spec.query.clone().ok_or("missing field 'query'")?;
        let message = spec.message.clone().ok_or("missing field 'message'")?;
        let when_tainted = match &spec.when_tainted {
            Some(WhenTainted { capture, severity, message }) => Some((
                capture.clone(),
                Severity::parse(severity)
                    .ok_or_else(|| format!("when-tainted.severity '{severity}' is not error, warning or note"))?,
                message.clone(),
            )),
            None => None,
        };
        let tainted_argument = match spec.argument_tainted_by.as_deref() {
            None => None,
            Some("request") => Some(spec.argument.clone().unwrap_or_else(|| "arg".into())),
            Some(other) => return Err(format!("argument-tainted-by '{other}': only 'request' is known")),
        };
        let rule = DeclRule {
            message,
            query,
            report: spec.report.clone(),
            inside: contexts(&spec.inside)?,
            not_inside: contexts(&spec.not_inside)?,
            not_literal: spec.not_literal.clone().unwrap_or_default(),
            resolves_to: spec.resolves_to.clone().unwrap_or_default(),
            tainted_argument,
            when_tainted,
            confidence: Confidence::parse(&spec.confidence).unwrap_or(Confidence::Medium),
        };
        let langs = if validate { langs } else { &[] };
        for &lang in langs {
            let q = Query::new(&lang.ts_language(), &rule.query)
                .map_err(|e| format!("query does not compile for {}: {e}", lang.name()))?;
            let names = q.capture_names();
            let mut needed: Vec<(&str, &str)> = Vec::new();
            if let Some(r) = &rule.report {
                needed.push((r, "report"));
            }
            for c in &rule.not_literal {
                needed.push((c, "not-literal"));
            }
            for c in rule.resolves_to.keys() {
                needed.push((c, "resolves-to"));
            }
            if let Some(c) = &rule.tainted_argument {
                needed.push((c, "argument"));
            }
            if let Some((c, _, _)) = &rule.when_tainted {
                needed.push((c, "when-tainted.capture"));
            }
            for cap in template_captures(&rule.message) {
                needed.push((cap, "message"));
            }
            for (cap, key) in needed {
                if !names.contains(&cap) {
                    return Err(format!(
                        "key '{key}' names capture '@{cap}', which the query does not define (it has: {})",
                        names.iter().map(|n| format!("@{n}")).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
        Ok(rule)
    }
}

fn template_captures(msg: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = msg;
    while let Some(i) = rest.find("{{") {
        let Some(j) = rest[i..].find("}}") else { break };
        out.push(rest[i + 2..i + j].trim());
        rest = &rest[i + j + 2..];
    }
    out
}

/// All declarative rules of one language compiled into combined queries;
/// pattern indices map back to rule indices.
///
/// Most patterns are rooted in one named node kind (`(call ...)`): those
/// rules go into `anchored`, which is run with a start depth of 0 on each
/// node of such a kind, found by the file's single flat walk, instead of
/// letting the query cursor visit every node of the tree. The others
/// (wildcard or supertype roots, sibling sequences) go into `rest`, run
/// over the whole tree as usual.
pub struct CombinedQuery {
    pub anchored: Option<Part>,
    pub rest: Option<Part>,
}

pub struct Part {
    pub query: Query,
    pub pattern_rule: Vec<usize>,
    /// Per kind id: a pattern of this part is rooted in that kind (the
    /// anchored part only; empty for the rest).
    pub roots: Vec<bool>,
}

impl Part {
    /// Compiles the rules' queries as one; `rules`: (rule index, query).
    fn compile(language: &tree_sitter::Language, rules: &[(usize, &str)]) -> Result<Part, String> {
        let (source, ends) = join(rules);
        let query = Query::new(language, &source).map_err(|e| e.to_string())?;
        let pattern_rule = (0..query.pattern_count())
            .map(|p| {
                let at = query.start_byte_for_pattern(p);
                ends.iter().find(|(end, _)| at < *end).map_or(usize::MAX, |(_, i)| *i)
            })
            .collect();
        Ok(Part { query, pattern_rule, roots: Vec::new() })
    }
}

/// The rules' queries one after the other, with (end byte, rule index) per
/// rule in order.
fn join(rules: &[(usize, &str)]) -> (String, Vec<(usize, usize)>) {
    let mut source = String::new();
    let mut ends = Vec::with_capacity(rules.len());
    for (idx, q) in rules {
        source.push_str(q);
        source.push('\n');
        ends.push((source.len(), *idx));
    }
    (source, ends)
}

/// The node kind a rooted pattern starts with, `call` for `(call ...)` or
/// `((call ...) @c (#eq? ...))`, or None if it does not name one.
fn root_kind(pattern: &str) -> Option<&str> {
    let rest = pattern.trim_start_matches(|c: char| c == '(' || c.is_whitespace());
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    let name = &rest[..end];
    (!name.is_empty() && !name.starts_with('_') && pattern.trim_start().starts_with('(')).then_some(name)
}

/// The kind ids named `name` if every one of them is a visible, named,
/// concrete kind (a supertype such as `expression` matches other kinds).
fn concrete_ids(language: &tree_sitter::Language, name: &str) -> Option<Vec<u16>> {
    let ids: Vec<u16> =
        (0..language.node_kind_count() as u16).filter(|&id| language.node_kind_for_id(id) == Some(name)).collect();
    let ok = !ids.is_empty()
        && ids.iter().any(|&id| language.node_kind_is_named(id) && language.node_kind_is_visible(id))
        && !ids.iter().any(|id| language.supertypes().contains(id));
    ok.then_some(ids)
}

impl CombinedQuery {
    /// `rules`: (rule index, query text). Queries were validated one by one
    /// at load time (user rules) or by a unit test (builtin rules), so the
    /// combination compiles.
    pub fn build(lang: Lang, rules: &[(usize, &str)]) -> Result<Option<CombinedQuery>, String> {
        if rules.is_empty() {
            return Ok(None);
        }
        let language = lang.ts_language();
        let all = Part::compile(&language, rules)?;
        let (text, _) = join(rules);
        // Per rule: the kinds its patterns are rooted in, or None if one is
        // not rooted in a concrete kind.
        let mut anchors: BTreeMap<usize, Option<Vec<u16>>> = BTreeMap::new();
        for p in 0..all.query.pattern_count() {
            let range = all.query.start_byte_for_pattern(p)..all.query.end_byte_for_pattern(p);
            let ids = if all.query.is_pattern_rooted(p) {
                text.get(range).and_then(root_kind).and_then(|k| concrete_ids(&language, k))
            } else {
                None
            };
            let entry = anchors.entry(all.pattern_rule[p]).or_insert_with(|| Some(Vec::new()));
            match (entry.as_mut(), ids) {
                (Some(have), Some(ids)) => have.extend(ids),
                _ => *entry = None,
            }
        }
        let mut roots = vec![false; language.node_kind_count()];
        for id in anchors.values().flatten().flatten() {
            roots[*id as usize] = true;
        }
        if anchors.values().all(|a| a.is_some()) {
            return Ok(Some(CombinedQuery { anchored: Some(Part { roots, ..all }), rest: None }));
        }
        let is_anchored = |i: &usize| anchors.get(i).is_some_and(|a| a.is_some());
        let anchored_rules: Vec<(usize, &str)> = rules.iter().copied().filter(|(i, _)| is_anchored(i)).collect();
        let rest_rules: Vec<(usize, &str)> = rules.iter().copied().filter(|(i, _)| !is_anchored(i)).collect();
        let anchored = if anchored_rules.is_empty() {
            None
        } else {
            Some(Part { roots, ..Part::compile(&language, &anchored_rules)? })
        };
        let rest = Some(Part::compile(&language, &rest_rules)?);
        Ok(Some(CombinedQuery { anchored, rest }))
    }
}

/// Runs the combined queries over the file and reports the matches whose
/// constraints hold. `rule_of` gives the declarative rule for an index if it
/// is enabled for this file.
/// Returns false if matching was cut off by the time `budget`.
pub fn run<'r>(
    ctx: &mut FileCtx,
    combined: &CombinedQuery,
    rule_of: &dyn Fn(usize) -> Option<&'r DeclRule>,
    budget: std::time::Duration,
) -> bool {
    let started = std::time::Instant::now();
    let mut seen = std::collections::HashSet::new();
    let root = ctx.tree.root_node();
    let mut ok = true;
    if let Some(part) = &combined.anchored {
        // The nodes of the root kinds, in a walk of their own: only files a
        // declarative rule's prefilter lets through get here, and folding
        // it into the code rules' traversal cost every other file more
        // (measured: +0.5% instructions on ghost's core/server/services).
        let mut candidates = Vec::new();
        semantics::descendants(root, |n| {
            if part.roots.get(n.kind_id() as usize).copied().unwrap_or(false) {
                candidates.push(n);
            }
            true
        });
        let mut cursor = QueryCursor::new();
        cursor.set_match_limit(4096);
        cursor.set_max_start_depth(Some(0));
        for node in candidates {
            if !run_part(ctx, part, &mut cursor, node, rule_of, &mut seen, started, budget) {
                ok = false;
                break;
            }
        }
    }
    if let Some(part) = &combined.rest {
        if ok {
            let mut cursor = QueryCursor::new();
            cursor.set_match_limit(4096);
            ok = run_part(ctx, part, &mut cursor, root, rule_of, &mut seen, started, budget);
        }
    }
    ok
}

/// Matches `part` from `node` (at its own depth only if the cursor says
/// so) and reports what passes the constraints; false on time-out.
#[allow(clippy::too_many_arguments)]
fn run_part<'r, 't>(
    ctx: &mut FileCtx<'t>,
    part: &Part,
    cursor: &mut QueryCursor,
    node: Node<'t>,
    rule_of: &dyn Fn(usize) -> Option<&'r DeclRule>,
    seen: &mut std::collections::HashSet<(usize, usize, usize)>,
    started: std::time::Instant,
    budget: std::time::Duration,
) -> bool {
    let text = ctx.src.text.as_bytes();
    let names = part.query.capture_names();
    let mut timed_out = false;
    let mut progress = |_: &tree_sitter::QueryCursorState| {
        if started.elapsed() > budget {
            timed_out = true;
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    };
    let options = tree_sitter::QueryCursorOptions::new().progress_callback(&mut progress);
    let mut matches = cursor.matches_with_options(&part.query, node, text, options);
    while let Some(m) = matches.next() {
        let rule_idx = part.pattern_rule[m.pattern_index];
        let Some(rule) = rule_of(rule_idx) else { continue };
        let caps: Vec<(&str, Node)> = m.captures().iter().map(|c| (names[c.index as usize], c.node)).collect();
        let get = |name: &str| caps.iter().find(|(n, _)| *n == name).map(|(_, node)| *node);
        let target = match &rule.report {
            Some(r) => get(r),
            None => caps.iter().map(|(_, n)| *n).max_by_key(|n| n.end_byte() - n.start_byte()),
        };
        let Some(target) = target else { continue };
        // Set before the constraints run, so the context knows which rule
        // reads handlers and taint.
        ctx.current_rule = rule_idx;
        if seen.contains(&(rule_idx, target.start_byte(), target.end_byte())) || !check(ctx, rule, target, &get) {
            continue;
        }
        seen.insert((rule_idx, target.start_byte(), target.end_byte()));
        let mut severity = None;
        let mut confidence = None;
        let mut template = rule.message.as_str();
        if let Some((cap, sev, msg)) = &rule.when_tainted {
            let value = get(cap);
            if value.is_some_and(|n| ctx.is_request_data(n)) {
                // Request data: the raised severity, high confidence.
                severity = Some(*sev);
                confidence = Some(Confidence::High);
                if let Some(m) = msg {
                    template = m;
                }
            } else if value.is_some_and(|n| semantics::external_store(ctx.lang, n, &ctx.src.text)) {
                // Read from a store others can write: medium at least.
                confidence = Some(Confidence::Medium);
            }
        }
        let texts: Vec<(&str, String)> = caps.iter().map(|(n, node)| (*n, ctx.text(*node).to_string())).collect();
        let message = render(template, &|name| texts.iter().find(|(n, _)| *n == name).map(|(_, t)| t.as_str()));
        ctx.current_rule = rule_idx;
        let f = ctx.report(target, message);
        f.severity = severity;
        f.confidence = confidence.filter(|c| *c > rule.confidence);
    }
    drop(matches);
    !timed_out
}

fn check<'t>(ctx: &FileCtx<'t>, rule: &DeclRule, target: Node<'t>, get: &dyn Fn(&str) -> Option<Node<'t>>) -> bool {
    let handlers = if rule.inside.iter().chain(&rule.not_inside).any(|c| *c == Context::RequestHandler) {
        Some(ctx.handlers())
    } else {
        None
    };
    for c in &rule.inside {
        if !semantics::inside(ctx.functions(), ctx.lang, target, *c, handlers) {
            return false;
        }
    }
    for c in &rule.not_inside {
        if semantics::inside(ctx.functions(), ctx.lang, target, *c, handlers) {
            return false;
        }
    }
    // `not-literal`: a constant (a literal, a name bound only to constants,
    // a string built from them, a conditional between them) is no finding.
    for cap in &rule.not_literal {
        if get(cap).is_some_and(|n| semantics::constant::is_constant(ctx.lang, n, &ctx.src.text)) {
            return false;
        }
    }
    for (cap, names) in &rule.resolves_to {
        let Some(node) = get(cap) else { return false };
        match ctx.qualified_name(node) {
            Some(q) if names.contains(&q) => {}
            _ => return false,
        }
    }
    if let Some(cap) = &rule.tainted_argument {
        if !get(cap).is_some_and(|n| ctx.is_request_data(n)) {
            return false;
        }
    }
    true
}

/// Fills `{{capture}}` placeholders with the captured code, shortened to one
/// line of at most 60 characters.
pub fn render<'s>(template: &str, get: &dyn Fn(&str) -> Option<&'s str>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find("}}") else {
            rest = &rest[i..];
            break;
        };
        let name = rest[i + 2..i + j].trim();
        out.push_str(&crate::finding::shorten(get(name).unwrap_or("")));
        rest = &rest[i + j + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use crate::engine::rule::RuleOrigin;
    use crate::engine::{load_decl, Engine};
    use crate::parse::{Lang, Source};

    /// Runs one user rule over `code` and returns the 1-based lines it flags.
    fn lines(rule: &str, lang: Lang, path: &str, code: &str) -> Vec<u32> {
        let r = load_decl(rule, RuleOrigin::File("test.toml".into()), true).unwrap();
        let engine = Engine::new(vec![r]).unwrap();
        let src = Source::new(code.to_string());
        let out = engine.analyse(path, lang, &src, &[true], false);
        assert!(out.error.is_none(), "{:?}", out.error);
        out.findings.iter().map(|f| f.span.start_line).collect()
    }

    fn rule(languages: &str, query: &str, extra: &str) -> String {
        format!(
            "id = \"test/rule\"\nlanguages = [\"{languages}\"]\nseverity = \"warning\"\ncategory = \"security\"\n\
             summary = \"s\"\nmessage = \"m {{{{fn}}}}\"\nquery = '''{query}'''\n{extra}\n\
             [docs]\nwhat = \"w\"\nwhy = \"w\"\nexample = \"e\"\nfix = \"f\"\n"
        )
    }

    const PY_CALL: &str = "(call function: (_) @fn arguments: (argument_list . (_) @arg)) @call";
    const JS_CALL: &str = "(call_expression function: (_) @fn arguments: (arguments . (_) @arg)) @call";

    #[test]
    fn inside_loop_stops_at_function_boundaries() {
        let r = rule(
            "python",
            PY_CALL,
            "report = \"call\"\ninside = [\"loop\"]\nresolves-to = { fn = [\"builtins.save\"] }",
        );
        let code = "for x in xs:\n    save(x)\n    def later():\n        save(x)\nsave(1)\n[save(y) for y in ys]\n";
        assert_eq!(lines(&r, Lang::Python, "a.py", code), vec![2, 6]);
    }

    #[test]
    fn inside_async_function_is_the_nearest_function() {
        let r = rule(
            "js",
            JS_CALL,
            "report = \"call\"\ninside = [\"async-function\"]\nresolves-to = { fn = [\"fs.readFileSync\"] }",
        );
        let code = "const fs = require('fs');\nasync function a() {\n  fs.readFileSync(p);\n  [1].map(function () { fs.readFileSync(q) });\n}\nfs.readFileSync(r);\nconst b = async () => fs.readFileSync(s);\n";
        assert_eq!(lines(&r, Lang::JavaScript, "a.js", code), vec![3, 7]);
    }

    #[test]
    fn request_handler_context_and_not_inside() {
        let r = rule(
            "js",
            JS_CALL,
            "report = \"call\"\ninside = [\"request-handler\"]\nresolves-to = { fn = [\"fs.readFileSync\"] }",
        );
        let code = "const fs = require('fs');\nconst cfg = fs.readFileSync('c');\nfunction load(p) { return fs.readFileSync(p) }\napp.get('/x', (req, res) => res.send(load(req.query.p)));\nfunction unused() { fs.readFileSync('u') }\n";
        assert_eq!(lines(&r, Lang::JavaScript, "app.js", code), vec![3]);
        let r = rule(
            "js",
            JS_CALL,
            "report = \"call\"\nnot-inside = [\"function\"]\nresolves-to = { fn = [\"fs.readFileSync\"] }",
        );
        assert_eq!(lines(&r, Lang::JavaScript, "app.js", code), vec![2]);
    }

    #[test]
    fn argument_tainted_by_request_gates_the_finding() {
        let r = rule(
            "python",
            PY_CALL,
            "report = \"call\"\nargument-tainted-by = \"request\"\nargument = \"arg\"\nresolves-to = { fn = [\"os.system\"] }",
        );
        let code = "import os\ndef view(request, name):\n    cmd = 'ls ' + request.GET['d']\n    os.system(cmd)\n    os.system('ls')\n    os.system(name)\n    n = int(request.GET['n'])\n    os.system(str(n))\ndef task(path):\n    os.system(path)\n";
        assert_eq!(lines(&r, Lang::Python, "views.py", code), vec![4, 6]);
    }

    #[test]
    fn when_tainted_raises_severity_and_changes_the_message() {
        let r = rule(
            "js",
            JS_CALL,
            "report = \"call\"\nnot-literal = [\"arg\"]\nresolves-to = { fn = [\"child_process.exec\"] }\n\
             [when-tainted]\ncapture = \"arg\"\nseverity = \"error\"\nmessage = \"tainted {{arg}}\"",
        );
        let r = load_decl(&r, RuleOrigin::File("t.toml".into()), true).unwrap();
        let engine = Engine::new(vec![r]).unwrap();
        let code = "const { exec } = require('child_process');\napp.post('/', (req, res) => { exec(`ls ${req.body.d}`); });\nfunction job(d) { exec(d); exec('ls'); }\n";
        let src = Source::new(code.to_string());
        let out = engine.analyse("a.js", Lang::JavaScript, &src, &[true], false);
        let got: Vec<(u32, String, String)> =
            out.findings.iter().map(|f| (f.span.start_line, f.severity.to_string(), f.message.clone())).collect();
        assert_eq!(
            got,
            vec![(2, "error".into(), "tainted `ls ${req.body.d}`".into()), (3, "warning".into(), "m exec".into())]
        );
    }

    /// Patterns not rooted in one concrete kind (wildcard, supertype,
    /// sibling sequence) run over the whole tree; rooted ones from their
    /// kind's nodes, with matches deeper in the subtree still found.
    #[test]
    fn unrooted_patterns_run_over_the_whole_tree() {
        use super::{root_kind, CombinedQuery};
        assert_eq!(root_kind("((call function: (_) @f) @c (#eq? @f \"x\"))"), Some("call"));
        assert_eq!(root_kind("(_ function: (_) @f)"), None);
        assert_eq!(root_kind("[(call) (attribute)] @x"), None);
        let q = CombinedQuery::build(
            Lang::Python,
            &[
                (0, "(call function: (identifier) @fn) @call"),
                (1, "(_ function: (identifier) @fn) @node"),
                (2, "(primary_expression) @p"),
                (3, "((identifier) @a . (identifier) @b)"),
                (4, "(return_statement (call (argument_list (call) @inner)))"),
            ],
        )
        .unwrap()
        .unwrap();
        let a = q.anchored.unwrap();
        let r = q.rest.unwrap();
        let mut anchored: Vec<usize> = a.pattern_rule.clone();
        anchored.dedup();
        let mut rest: Vec<usize> = r.pattern_rule.clone();
        rest.dedup();
        assert_eq!((anchored, rest), (vec![0, 4], vec![1, 2, 3]));

        let wildcard = rule("python", "(_ function: (identifier) @fn (#eq? @fn \"save\")) @node", "report = \"node\"");
        assert_eq!(lines(&wildcard, Lang::Python, "a.py", "save(1)\nx = [save(2)]\n"), vec![1, 2]);
        let deep = rule(
            "python",
            "(return_statement (call arguments: (argument_list (call function: (identifier) @fn)))) @ret",
            "report = \"ret\"",
        );
        assert_eq!(
            lines(&deep, Lang::Python, "a.py", "def f():\n    return g(h(1))\ndef k():\n    return g(1)\n"),
            vec![2]
        );
    }

    #[test]
    fn load_errors_name_the_problem() {
        let bad_query = rule("python", "(call function: (nope) @fn)", "");
        let e = load_decl(&bad_query, RuleOrigin::File("r.toml".into()), true).err().unwrap();
        assert!(e.contains("r.toml") && e.contains("query does not compile"), "{e}");
        let bad_capture = rule("python", PY_CALL, "report = \"missing\"");
        let e = load_decl(&bad_capture, RuleOrigin::File("r.toml".into()), true).err().unwrap();
        assert!(e.contains("@missing"), "{e}");
        let bad_context = rule("python", PY_CALL, "inside = [\"kitchen\"]");
        let e = load_decl(&bad_context, RuleOrigin::File("r.toml".into()), true).err().unwrap();
        assert!(e.contains("unknown context 'kitchen'"), "{e}");
    }
}
