//! NestJS services reached from controllers of other files.
//!
//! A controller method serves a request; so does every method of an
//! `@Injectable()` service it calls through constructor injection
//! (`this.usersService.findAll()`), wherever the service is defined. Phase 1
//! analyses each file alone, so the request-handler rules cannot know, when
//! they look at `users.service.ts`, whether a controller calls `findAll`.
//! Instead:
//!
//! - phase 1 of a file with `@Injectable()` classes also runs the rules that
//!   asked about handlers or request data as if the service methods were
//!   handlers, and with each parameter of them carrying request data in turn
//!   (`Engine::conditional`). What those runs add over the normal run are
//!   *conditional findings*, each with the service methods (and parameters)
//!   it depends on, recorded in the file's facts ([`NestFacts::conditional`])
//!   with its final location, message, fix, fingerprint and suppression;
//! - phase 1 of every file also records the injected calls it makes
//!   ([`NestFacts::calls`]): from a request handler (with the arguments that
//!   carry request data) or from a service method (with the parameters each
//!   argument derives from), and its imports, re-exports and classes;
//! - after phase 1, [`resolve`] follows the injected types through imports
//!   to the files that declare them, propagates "reached" and "parameter
//!   carries request data" from controllers through services to a fixpoint,
//!   and emits the conditional findings whose condition holds.
//!
//! Everything a file's facts hold depends on that file alone, so the result
//! cache stays correct; the cross-file decision is redone on every run.
//! Types that do not resolve to an `@Injectable()` class of the project
//! (a package import, a string token, an unresolved alias) reach nothing.

use crate::engine::context::FileCtx;
use crate::engine::project::ProjectFile;
use crate::finding::Finding;
use crate::model::nest::providers::{self, ServiceMethod};
use crate::parse::Syntax;
use crate::semantics::functions::FnIndex;
use crate::semantics::js::module_name;
use crate::semantics::{descendants, js_taint, text, Handlers};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tree_sitter::Node;

/// What a JavaScript/TypeScript file says about NestJS providers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NestFacts {
    /// `import { A as B } from "./x"`: (local name, module specifier, imported name;
    /// `default` for a default import).
    #[serde(default)]
    pub imports: Vec<(String, String, String)>,
    /// `export * from "./x"` (name `*`) and `export { A as B } from "./x"`:
    /// (exported name, module specifier, name in that module).
    #[serde(default)]
    pub reexports: Vec<(String, String, String)>,
    /// `@Injectable()` classes declared here (`default` marks a default export).
    #[serde(default)]
    pub injectables: Vec<(String, bool)>,
    /// Calls through injected providers.
    #[serde(default)]
    pub calls: Vec<InjectedCall>,
    /// Findings that hold if the named service methods of this file are
    /// reached from a controller.
    #[serde(default)]
    pub conditional: Vec<Conditional>,
}

impl crate::engine::facts::Fact for NestFacts {
    const KEY: &'static str = "nest";
}

/// `this.<prop>.<method>(...)` where `<prop>` is an injected provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InjectedCall {
    /// The provider's class as named in this file.
    pub type_name: String,
    pub method: String,
    /// Made from a request handler of this file.
    pub from_handler: bool,
    /// For calls from a request handler: arguments (indices) carrying request data.
    #[serde(default)]
    pub tainted_args: Vec<u32>,
    /// For calls from service methods of this file: (class, method) of the
    /// methods whose run makes the call.
    #[serde(default)]
    pub callers: Vec<(String, String)>,
    /// For calls from service methods: (class, method, parameter, argument):
    /// the argument carries the caller's parameter.
    #[serde(default)]
    pub arg_params: Vec<(String, String, u32, u32)>,
}

/// What a conditional finding depends on: a service method of the file
/// being reached from a request handler, or (with `param`) being called
/// with request data in that parameter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cond {
    pub class: String,
    pub method: String,
    #[serde(default)]
    pub param: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conditional {
    /// The finding holds if any of these holds.
    pub when: Vec<Cond>,
    #[serde(with = "crate::finding::as_json")]
    pub finding: Finding,
    /// The `stackfit: ignore` directive of the file that suppresses it.
    #[serde(default)]
    pub suppressed_by: Option<usize>,
}

/// Phase-1 extraction (a fact extractor): imports, re-exports, injectable
/// classes and injected calls.
pub fn extract(ctx: &mut FileCtx) {
    let root = ctx.tree.root_node();
    let src: &str = &ctx.src.text;
    let mut f = NestFacts::default();
    let mut c = root.walk();
    for stmt in root.named_children(&mut c) {
        match stmt.ty() {
            "import_statement" => {
                let Some(source) = stmt.field("source") else { continue };
                let module = module_name(source, src);
                descendants(stmt, |n| {
                    match n.ty() {
                        "import_clause" => {
                            if let Some(id) = n.named_child(0).filter(|x| x.ty() == "identifier") {
                                f.imports.push((text(id, src).to_string(), module.clone(), "default".into()));
                            }
                        }
                        "import_specifier" => {
                            if let Some(name) = n.field("name") {
                                let local = n.field("alias").unwrap_or(name);
                                f.imports.push((
                                    text(local, src).to_string(),
                                    module.clone(),
                                    text(name, src).to_string(),
                                ));
                            }
                            return false;
                        }
                        _ => {}
                    }
                    true
                });
            }
            "export_statement" => {
                let Some(source) = stmt.field("source") else { continue };
                let module = module_name(source, src);
                let mut clause = None;
                let mut c2 = stmt.walk();
                for ch in stmt.named_children(&mut c2) {
                    match ch.ty() {
                        "export_clause" => clause = Some(ch),
                        // `export * as ns from`: not a class name.
                        "namespace_export" => clause = Some(ch),
                        _ => {}
                    }
                }
                match clause {
                    None => f.reexports.push(("*".into(), module, "*".into())),
                    Some(cl) if cl.ty() == "export_clause" => {
                        let mut c3 = cl.walk();
                        for s in cl.named_children(&mut c3).filter(|s| s.ty() == "export_specifier") {
                            let Some(name) = s.field("name") else { continue };
                            let alias = s.field("alias").unwrap_or(name);
                            f.reexports.push((
                                text(alias, src).to_string(),
                                module.clone(),
                                text(name, src).to_string(),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    let services = providers::service_methods(root, src);
    let index = ctx.call_index();
    let closures: Vec<Handlers> = services.iter().map(|s| index.closure(root, src, s.node)).collect();
    for class in providers::classes(root) {
        let Some(name) = providers::class_name(class, src) else { continue };
        let injectable = providers::has_class_decorator(class, src, &["Injectable"]);
        if injectable {
            let default = class.up().is_some_and(|p| {
                p.ty() == "export_statement" && {
                    let mut c = p.walk();
                    let d = p.children(&mut c).any(|x| x.ty() == "default");
                    d
                }
            });
            f.injectables.push((name.to_string(), default));
        }
        let props = providers::injected_props(class, src);
        if props.is_empty() {
            continue;
        }
        let Some(body) = class.field("body") else { continue };
        let mut calls = Vec::new();
        descendants(body, |n| {
            if let Some((prop, method)) = providers::injected_call(n, src, &props) {
                calls.push((n, props[prop].clone(), method.to_string()));
            }
            true
        });
        for (call, type_name, method) in calls {
            let args = call_args(call);
            let chain: Vec<Node> = ctx.enclosing_functions(call).collect();
            let in_handler = chain.iter().any(|f| ctx.handlers().is_handler(*f));
            let mut fact = InjectedCall { type_name, method, from_handler: in_handler, ..Default::default() };
            if in_handler {
                for (i, a) in args.iter().enumerate() {
                    match a {
                        Some(a) if ctx.is_request_data(*a) => fact.tainted_args.push(i as u32),
                        _ => {}
                    }
                }
            } else {
                for (s, closure) in services.iter().zip(&closures) {
                    if s.class == name && chain.iter().any(|f| closure.is_handler(*f)) {
                        fact.callers.push((s.class.clone(), s.method.clone()));
                    }
                }
                if fact.callers.is_empty() {
                    continue;
                }
                fact.arg_params = arg_params(ctx.functions(), &services, &chain, &args, src);
            }
            f.calls.push(fact);
        }
    }
    if f != NestFacts::default() {
        ctx.facts.set(f);
    }
}

/// The arguments of a call by position; a spread ends the known positions.
fn call_args(call: Node) -> Vec<Option<Node>> {
    let Some(args) = call.field("arguments") else { return Vec::new() };
    let mut c = args.walk();
    let mut out = Vec::new();
    for a in args.named_children(&mut c).filter(|a| a.ty() != "comment") {
        if a.ty() == "spread_element" {
            break;
        }
        out.push(Some(a));
    }
    out
}

/// Which arguments of a call made in service method(s) carry which
/// parameter of the method the call sits in.
fn arg_params<'t>(
    fns: &FnIndex<'t>,
    services: &[ServiceMethod<'t>],
    chain: &[Node],
    args: &[Option<Node>],
    src: &str,
) -> Vec<(String, String, u32, u32)> {
    let mut out = Vec::new();
    let Some(inner) = chain.first() else { return out };
    for s in services.iter().filter(|s| chain.contains(&s.node)) {
        for p in 0..s.params {
            let mut h = Handlers::default();
            h.add(s.node);
            h.tainted_params.push(((s.node.start_byte(), s.node.end_byte()), p));
            let t = js_taint::taint(fns, *inner, src, &h);
            for (i, a) in args.iter().enumerate() {
                if a.is_some_and(|a| js_taint::expr_tainted(a, src, &t)) {
                    out.push((s.class.clone(), s.method.clone(), p as u32, i as u32));
                }
            }
        }
    }
    out
}

/// A conditional finding whose condition holds, ready to join the results.
#[derive(Debug, Clone)]
pub struct Emitted {
    pub finding: Finding,
    pub suppressed_by: Option<usize>,
}

const EXTS: &[&str] = &[".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/// The files of the project that module specifier `spec` imported from file
/// `from` may be, by their position in `files` (sorted by path).
fn module_files(files: &[ProjectFile], by_rel: &HashMap<&str, usize>, from: &str, spec: &str) -> Vec<usize> {
    let stem_of = |p: &str| -> String {
        for e in [".js", ".jsx", ".mjs", ".cjs"] {
            if let Some(s) = p.strip_suffix(e) {
                return s.to_string();
            }
        }
        p.to_string()
    };
    if spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == ".." {
        let mut parts: Vec<&str> = from.split('/').collect();
        parts.pop();
        for seg in spec.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Vec::new();
                    }
                }
                s => parts.push(s),
            }
        }
        let base = parts.join("/");
        let mut candidates = vec![base.clone()];
        let stem = stem_of(&base);
        for e in EXTS {
            candidates.push(format!("{stem}{e}"));
        }
        for e in EXTS {
            candidates.push(format!("{base}/index{e}"));
        }
        return candidates.iter().find_map(|c| by_rel.get(c.as_str()).copied()).into_iter().collect();
    }
    // A path from the project's base directory (`src/users/users.service`,
    // TypeScript `baseUrl`): a project file whose path ends with it, if
    // exactly one does. Anything else is a package.
    if !spec.contains('/') || spec.starts_with('@') {
        return Vec::new();
    }
    let stem = stem_of(spec);
    let mut found = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let matches = EXTS.iter().any(|e| {
            let end = format!("{stem}{e}");
            let index = format!("{stem}/index{e}");
            [end, index].iter().any(|x| f.rel == *x || f.rel.ends_with(&format!("/{x}")))
        });
        if matches {
            found.push(i);
        }
    }
    if found.len() == 1 {
        found
    } else {
        Vec::new()
    }
}

/// The `@Injectable()` class exported as `name` by file `file` (following
/// re-exports): (file, class name).
fn exported_injectable(
    files: &[ProjectFile],
    by_rel: &HashMap<&str, usize>,
    file: usize,
    name: &str,
    depth: u32,
) -> Option<(usize, String)> {
    let facts = files[file].facts.get::<crate::model::nest::services::NestFacts>()?;
    if name == "default" {
        if let Some((c, _)) = facts.injectables.iter().find(|(_, d)| *d) {
            return Some((file, c.clone()));
        }
    } else if facts.injectables.iter().any(|(c, _)| c == name) {
        return Some((file, name.to_string()));
    }
    if depth >= 4 {
        return None;
    }
    let mut found = None;
    for (exported, module, orig) in &facts.reexports {
        let inner = if exported == "*" {
            name
        } else if exported == name {
            orig.as_str()
        } else {
            continue;
        };
        for g in module_files(files, by_rel, &files[file].rel, module) {
            if let Some(r) = exported_injectable(files, by_rel, g, inner, depth + 1) {
                if found.as_ref().is_some_and(|f| *f != r) {
                    return None;
                }
                found = Some(r);
            }
        }
    }
    found
}

/// The `@Injectable()` class that `type_name`, as written in file `file`,
/// refers to.
fn resolve_type(
    files: &[ProjectFile],
    by_rel: &HashMap<&str, usize>,
    file: usize,
    type_name: &str,
) -> Option<(usize, String)> {
    let facts = files[file].facts.get::<crate::model::nest::services::NestFacts>()?;
    match facts.imports.iter().find(|(local, _, _)| local == type_name) {
        Some((_, module, imported)) => {
            let targets = module_files(files, by_rel, &files[file].rel, module);
            let [g] = targets[..] else { return None };
            exported_injectable(files, by_rel, g, imported, 0)
        }
        None => facts.injectables.iter().any(|(c, _)| c == type_name).then(|| (file, type_name.to_string())),
    }
}

/// Decides which conditional findings hold over the whole project: service
/// methods reached from request handlers (through any chain of injected
/// services) and their parameters that receive request data.
pub fn resolve(files: &[ProjectFile]) -> Vec<Emitted> {
    if !files
        .iter()
        .any(|f| f.facts.get::<crate::model::nest::services::NestFacts>().is_some_and(|n| !n.conditional.is_empty()))
    {
        return Vec::new();
    }
    let by_rel: HashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (f.rel.as_str(), i)).collect();
    // (file, class, method) reached; (file, class, method, param) tainted.
    let mut reached: BTreeSet<(usize, String, String)> = BTreeSet::new();
    let mut tainted: BTreeSet<(usize, String, String, u32)> = BTreeSet::new();
    // Calls, resolved once: (file of the call, the call, its target).
    let mut resolved: Vec<(usize, &InjectedCall, usize, String)> = Vec::new();
    let mut cache: BTreeMap<(usize, &str), Option<(usize, String)>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let Some(n) = f.facts.get::<crate::model::nest::services::NestFacts>() else { continue };
        for call in &n.calls {
            let target = cache
                .entry((i, call.type_name.as_str()))
                .or_insert_with(|| resolve_type(files, &by_rel, i, &call.type_name));
            if let Some((g, class)) = target.clone() {
                resolved.push((i, call, g, class));
            }
        }
    }
    loop {
        let before = (reached.len(), tainted.len());
        for (i, call, g, class) in &resolved {
            let caller_reached =
                call.from_handler || call.callers.iter().any(|(c, m)| reached.contains(&(*i, c.clone(), m.clone())));
            if !caller_reached {
                continue;
            }
            reached.insert((*g, class.clone(), call.method.clone()));
            for a in &call.tainted_args {
                tainted.insert((*g, class.clone(), call.method.clone(), *a));
            }
            for (c, m, p, a) in &call.arg_params {
                if tainted.contains(&(*i, c.clone(), m.clone(), *p)) {
                    tainted.insert((*g, class.clone(), call.method.clone(), *a));
                }
            }
        }
        if (reached.len(), tainted.len()) == before {
            break;
        }
    }
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let Some(n) = f.facts.get::<crate::model::nest::services::NestFacts>() else { continue };
        for c in &n.conditional {
            let holds = c.when.iter().any(|w| match w.param {
                None => reached.contains(&(i, w.class.clone(), w.method.clone())),
                Some(p) => tainted.contains(&(i, w.class.clone(), w.method.clone(), p)),
            });
            if holds {
                out.push(Emitted { finding: c.finding.clone(), suppressed_by: c.suppressed_by });
            }
        }
    }
    out
}

/// Adds the conditional findings that hold to a run's findings: a finding
/// at the same place by the same rule is replaced (the handler-aware one
/// is more precise, e.g. an error for SQL built from request data where the
/// file alone showed a warning), keeping its fingerprint; suppressed ones
/// mark their directive as used.
pub fn merge(emitted: Vec<Emitted>, findings: &mut Vec<Finding>, mut used: impl FnMut(&str, usize)) {
    // Positions by line and column (byte offsets are not kept in the cache).
    type Key = (String, String, u32, u32, u32, u32);
    let key_of = |f: &Finding| -> Key {
        (f.rule_id.clone(), f.path.clone(), f.span.start_line, f.span.start_column, f.span.end_line, f.span.end_column)
    };
    let mut at: HashMap<Key, usize> = findings.iter().enumerate().map(|(i, f)| (key_of(f), i)).collect();
    for e in emitted {
        if let Some(d) = e.suppressed_by {
            used(&e.finding.path, d);
            continue;
        }
        let key = key_of(&e.finding);
        match at.get(&key) {
            Some(&i) => {
                let fingerprint = std::mem::take(&mut findings[i].fingerprint);
                findings[i] = Finding { fingerprint, ..e.finding };
            }
            None => {
                at.insert(key, findings.len());
                findings.push(e.finding);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Category, Confidence, Severity, Span};
    use crate::parse::Lang;

    fn file(rel: &str, nest: Option<NestFacts>) -> ProjectFile {
        ProjectFile {
            rel: rel.into(),
            path: rel.into(),
            lang: Lang::TypeScript,
            role: Default::default(),
            facts: {
                let mut facts = crate::engine::facts::FileFacts::default();
                if let Some(n) = nest {
                    facts.set(n);
                }
                facts.into()
            },
        }
    }

    fn finding(path: &str, line: u32) -> Finding {
        Finding {
            rule_id: "node/sync-api-in-handler".into(),
            severity: Severity::Warning,
            category: Category::Concurrency,
            confidence: Confidence::High,
            role: Default::default(),
            unless: Vec::new(),
            path: path.into(),
            span: Span { start_line: line, start_column: 1, end_line: line, end_column: 2, ..Default::default() },
            message: "m".into(),
            related: Vec::new(),
            fix: None,
            fingerprint: String::new(),
        }
    }

    fn cond(class: &str, method: &str, param: Option<u32>) -> Cond {
        Cond { class: class.into(), method: method.into(), param }
    }

    fn import(local: &str, module: &str) -> (String, String, String) {
        (local.into(), module.into(), local.into())
    }

    #[test]
    fn module_specifiers_resolve_to_project_files() {
        let files: Vec<ProjectFile> = [
            "apps/a/src/users/users.service.ts",
            "apps/b/src/users/users.service.ts",
            "src/posts/index.ts",
            "src/users/helpers.ts",
            "src/users/users.controller.ts",
            "src/users/users.service.ts",
        ]
        .iter()
        .map(|r| file(r, None))
        .collect();
        let by_rel: HashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (f.rel.as_str(), i)).collect();
        let at = |spec: &str| -> Vec<&str> {
            module_files(&files, &by_rel, "src/users/users.controller.ts", spec)
                .into_iter()
                .map(|i| files[i].rel.as_str())
                .collect()
        };
        assert_eq!(at("./users.service"), vec!["src/users/users.service.ts"]);
        assert_eq!(at("./helpers.js"), vec!["src/users/helpers.ts"]);
        assert_eq!(at("../posts"), vec!["src/posts/index.ts"]);
        assert_eq!(at("../../../outside"), Vec::<&str>::new());
        // `baseUrl` paths: only when exactly one file matches.
        assert_eq!(at("posts/index"), vec!["src/posts/index.ts"]);
        assert_eq!(at("src/users/users.service"), Vec::<&str>::new());
        assert_eq!(at("a/src/users/users.service"), vec!["apps/a/src/users/users.service.ts"]);
        // Packages.
        assert_eq!(at("@nestjs/common"), Vec::<&str>::new());
        assert_eq!(at("lodash"), Vec::<&str>::new());
    }

    #[test]
    fn reach_and_request_data_propagate_from_controllers_through_services() {
        let controller = NestFacts {
            imports: vec![import("UsersService", "./users.service"), import("Billing", "@acme/billing")],
            calls: vec![
                InjectedCall {
                    type_name: "UsersService".into(),
                    method: "search".into(),
                    from_handler: true,
                    tainted_args: vec![0],
                    ..Default::default()
                },
                InjectedCall {
                    type_name: "Billing".into(),
                    method: "charge".into(),
                    from_handler: true,
                    tainted_args: vec![0],
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let users = NestFacts {
            imports: vec![import("PostsService", "../posts")],
            injectables: vec![("UsersService".into(), false)],
            calls: vec![
                // search(q) → this.posts.find(limit, q)
                InjectedCall {
                    type_name: "PostsService".into(),
                    method: "find".into(),
                    callers: vec![("UsersService".into(), "search".into())],
                    arg_params: vec![("UsersService".into(), "search".into(), 0, 1)],
                    ..Default::default()
                },
                // Only a cron job calls this one.
                InjectedCall {
                    type_name: "PostsService".into(),
                    method: "reindex".into(),
                    callers: vec![("UsersService".into(), "nightly".into())],
                    ..Default::default()
                },
            ],
            conditional: vec![
                Conditional {
                    when: vec![cond("UsersService", "search", None)],
                    finding: finding("u", 1),
                    suppressed_by: None,
                },
                Conditional {
                    when: vec![cond("UsersService", "nightly", None)],
                    finding: finding("u", 2),
                    suppressed_by: None,
                },
                Conditional {
                    when: vec![cond("UsersService", "search", Some(1))],
                    finding: finding("u", 3),
                    suppressed_by: None,
                },
            ],
            ..Default::default()
        };
        let posts_index =
            NestFacts { reexports: vec![("*".into(), "./posts.service".into(), "*".into())], ..Default::default() };
        let posts = NestFacts {
            injectables: vec![("PostsService".into(), false)],
            conditional: vec![
                Conditional {
                    when: vec![cond("PostsService", "find", Some(1))],
                    finding: finding("p", 1),
                    suppressed_by: None,
                },
                Conditional {
                    when: vec![cond("PostsService", "find", Some(0))],
                    finding: finding("p", 2),
                    suppressed_by: None,
                },
                Conditional {
                    when: vec![cond("PostsService", "reindex", None)],
                    finding: finding("p", 3),
                    suppressed_by: None,
                },
                Conditional {
                    when: vec![cond("PostsService", "find", None)],
                    finding: finding("p", 4),
                    suppressed_by: Some(0),
                },
            ],
            ..Default::default()
        };
        // A package's class of the same name as a project class.
        let billing = NestFacts {
            injectables: vec![("Billing".into(), false)],
            conditional: vec![Conditional {
                when: vec![cond("Billing", "charge", None)],
                finding: finding("b", 1),
                suppressed_by: None,
            }],
            ..Default::default()
        };
        let files = vec![
            file("src/billing/billing.ts", Some(billing)),
            file("src/posts/index.ts", Some(posts_index)),
            file("src/posts/posts.service.ts", Some(posts)),
            file("src/users/users.controller.ts", Some(controller)),
            file("src/users/users.service.ts", Some(users)),
        ];
        let got: Vec<(String, u32, Option<usize>)> = resolve(&files)
            .into_iter()
            .map(|e| (e.finding.path.clone(), e.finding.span.start_line, e.suppressed_by))
            .collect();
        assert_eq!(got, vec![("p".into(), 1, None), ("p".into(), 4, Some(0)), ("u".into(), 1, None)]);
    }

    #[test]
    fn merged_findings_replace_the_file_alone_version_and_keep_its_fingerprint() {
        let mut findings = vec![Finding { fingerprint: "fp".into(), severity: Severity::Warning, ..finding("a", 3) }];
        let upgraded = Finding { severity: Severity::Error, fingerprint: "other".into(), ..finding("a", 3) };
        let mut used = Vec::new();
        merge(
            vec![
                Emitted { finding: upgraded, suppressed_by: None },
                Emitted { finding: finding("a", 5), suppressed_by: None },
                Emitted { finding: finding("a", 7), suppressed_by: Some(2) },
            ],
            &mut findings,
            |p, d| used.push((p.to_string(), d)),
        );
        assert_eq!(findings.len(), 2);
        assert_eq!((findings[0].severity, findings[0].fingerprint.as_str()), (Severity::Error, "fp"));
        assert_eq!(findings[1].span.start_line, 5);
        assert_eq!(used, vec![("a".to_string(), 2)]);
    }
}
