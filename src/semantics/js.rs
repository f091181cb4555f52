//! JavaScript/TypeScript semantics: ES module and CommonJS imports with
//! qualified names, request-handler detection (Express, Koa, Fastify,
//! NestJS, Next.js, socket listeners), literals and function-local taint.

use super::{descendants, text, Bindings, Handlers};
use crate::parse::Syntax;
use std::collections::HashSet;
use tree_sitter::Node;

pub fn is_function_kind(kind: &str) -> bool {
    matches!(
        kind,
        "function_declaration"
            | "function_expression"
            | "function"
            | "arrow_function"
            | "method_definition"
            | "generator_function_declaration"
            | "generator_function"
    )
}

/// The module name of a string literal node, without quotes and `node:`.
pub fn module_name(string: Node, src: &str) -> String {
    let t = text(string, src).trim_matches(|c| c == '"' || c == '\'' || c == '`');
    t.strip_prefix("node:").unwrap_or(t).to_string()
}

/// `require("x")` → `x`.
pub fn require_target(node: Node, src: &str) -> Option<String> {
    if node.ty() != "call_expression" {
        return None;
    }
    let f = node.field("function")?;
    if text(f, src) != "require" {
        return None;
    }
    let args = node.field("arguments")?;
    let first = args.named_child(0)?;
    (first.ty() == "string").then(|| module_name(first, src))
}

/// The qualified name of a `require(...)` expression or a member of one:
/// `require('fs').promises` → `fs.promises`.
fn required_path(node: Node, src: &str) -> Option<String> {
    match node.ty() {
        "call_expression" => require_target(node, src),
        "member_expression" => {
            let base = required_path(node.field("object")?, src)?;
            Some(format!("{base}.{}", text(node.field("property")?, src)))
        }
        "await_expression" | "parenthesized_expression" => required_path(node.named_child(0)?, src),
        _ => None,
    }
}

pub fn bindings(root: Node, src: &str) -> Bindings {
    let mut b = Bindings::default();
    descendants(root, |n| {
        match n.ty() {
            "import_statement" => {
                // TypeScript `import fs = require("fs")`.
                let mut c = n.walk();
                if let Some(req) = n.named_children(&mut c).find(|c| c.ty() == "import_require_clause") {
                    let id = req.named_child(0).filter(|x| x.ty() == "identifier");
                    if let (Some(id), Some(source)) = (id, req.field("source")) {
                        b.imports.insert(text(id, src).to_string(), module_name(source, src));
                    }
                    return false;
                }
                let Some(source) = n.field("source") else { return false };
                let module = module_name(source, src);
                descendants(n, |c| {
                    match c.ty() {
                        "import_clause" => {
                            if let Some(id) = c.named_child(0).filter(|x| x.ty() == "identifier") {
                                b.imports.insert(text(id, src).to_string(), module.clone());
                            }
                        }
                        "namespace_import" => {
                            if let Some(id) = c.named_child(0) {
                                b.imports.insert(text(id, src).to_string(), module.clone());
                            }
                        }
                        "import_specifier" => {
                            if let Some(name) = c.field("name") {
                                let local = c.field("alias").unwrap_or(name);
                                let exported = text(name, src).trim_matches(|x| x == '"' || x == '\'');
                                let q =
                                    if exported == "default" { module.clone() } else { format!("{module}.{exported}") };
                                b.imports.insert(text(local, src).to_string(), q);
                            }
                            return false;
                        }
                        _ => {}
                    }
                    true
                });
                return false;
            }
            "variable_declarator" => {
                let (Some(name), value) = (n.field("name"), n.field("value")) else {
                    return true;
                };
                if let Some(module) = value.and_then(|v| required_path(v, src)) {
                    match name.ty() {
                        "identifier" => {
                            b.imports.insert(text(name, src).to_string(), module);
                        }
                        "object_pattern" => {
                            let mut c = name.walk();
                            for p in name.named_children(&mut c) {
                                match p.ty() {
                                    "shorthand_property_identifier_pattern" => {
                                        let t = text(p, src);
                                        b.imports.insert(t.to_string(), format!("{module}.{t}"));
                                    }
                                    "pair_pattern" => {
                                        if let (Some(k), Some(v)) = (p.field("key"), p.field("value")) {
                                            if v.ty() == "identifier" {
                                                b.imports.insert(
                                                    text(v, src).to_string(),
                                                    format!("{module}.{}", text(k, src)),
                                                );
                                            }
                                        }
                                    }
                                    _ => add_pattern_names(p, src, &mut b.locals),
                                }
                            }
                        }
                        _ => add_pattern_names(name, src, &mut b.locals),
                    }
                } else {
                    add_pattern_names(name, src, &mut b.locals);
                }
            }
            "function_declaration" | "generator_function_declaration" | "class_declaration" | "class" => {
                if let Some(name) = n.field("name") {
                    b.locals.insert(text(name, src).to_string());
                }
                if let Some(p) = n.field("parameters") {
                    add_pattern_names(p, src, &mut b.locals);
                }
            }
            "function_expression" | "function" | "generator_function" | "method_definition" => {
                if let Some(p) = n.field("parameters") {
                    add_pattern_names(p, src, &mut b.locals);
                }
            }
            "arrow_function" => {
                if let Some(p) = n.field("parameter").or(n.field("parameters")) {
                    add_pattern_names(p, src, &mut b.locals);
                }
            }
            "catch_clause" => {
                if let Some(p) = n.field("parameter") {
                    add_pattern_names(p, src, &mut b.locals);
                }
            }
            _ => {}
        }
        true
    });
    for k in b.imports.keys() {
        b.locals.remove(k);
    }
    b
}

/// Identifiers bound by a parameter list or destructuring pattern.
pub fn add_pattern_names(node: Node, src: &str, out: &mut HashSet<String>) {
    descendants(node, |n| match n.ty() {
        "identifier" | "shorthand_property_identifier_pattern" => {
            out.insert(text(n, src).to_string());
            false
        }
        "pair_pattern" => {
            if let Some(v) = n.field("value") {
                add_pattern_names(v, src, out);
            }
            false
        }
        "assignment_pattern" | "object_assignment_pattern" => {
            if let Some(l) = n.field("left") {
                add_pattern_names(l, src, out);
            }
            false
        }
        "required_parameter" | "optional_parameter" => {
            if let Some(p) = n.field("pattern") {
                add_pattern_names(p, src, out);
            }
            false
        }
        "type_annotation" | "decorator" | "member_expression" | "subscript_expression" => false,
        _ => true,
    });
}

pub fn qualified_name(expr: Node, src: &str, b: &Bindings) -> Option<String> {
    let mut out = String::new();
    write_qualified_name(expr, src, b, &mut out).then_some(out)
}

/// Appends the qualified name of `expr` to `out` (one buffer for all the
/// parts of a member chain); false when it has none (`out` is then
/// partly written).
fn write_qualified_name(expr: Node, src: &str, b: &Bindings, out: &mut String) -> bool {
    match expr.ty() {
        "identifier" => {
            let name = text(expr, src);
            if let Some(q) = b.imports.get(name) {
                out.push_str(q);
            } else if b.locals.contains(name) {
                return false;
            } else {
                out.push_str(name);
            }
            true
        }
        "member_expression" => {
            let (Some(obj), Some(prop)) = (expr.field("object"), expr.field("property")) else { return false };
            let base = match obj.ty() {
                "call_expression" => match require_target(obj, src) {
                    Some(t) => {
                        out.push_str(&t);
                        true
                    }
                    None => false,
                },
                _ => write_qualified_name(obj, src, b, out),
            };
            if base {
                out.push('.');
                out.push_str(text(prop, src));
            }
            base
        }
        "parenthesized_expression" | "non_null_expression" => {
            expr.named_child(0).is_some_and(|inner| write_qualified_name(inner, src, b, out))
        }
        "call_expression" => match require_target(expr, src) {
            Some(t) => {
                out.push_str(&t);
                true
            }
            None => false,
        },
        _ => false,
    }
}

pub fn is_literal(node: Node) -> bool {
    match node.ty() {
        "string" | "number" | "true" | "false" | "null" | "undefined" | "regex" => true,
        "template_string" => {
            let mut c = node.walk();
            let r = !node.named_children(&mut c).any(|ch| ch.ty() == "template_substitution");
            r
        }
        "binary_expression" => {
            node.field("left").is_some_and(is_literal) && node.field("right").is_some_and(is_literal)
        }
        "parenthesized_expression" => node.named_child(0).is_some_and(is_literal),
        _ => false,
    }
}

const ROUTE_METHODS: &[&str] =
    &["get", "post", "put", "patch", "delete", "del", "all", "use", "options", "head", "route"];
const NEST_ROUTE_DECORATORS: &[&str] = &["Get", "Post", "Put", "Patch", "Delete", "All", "Options", "Head", "Sse"];
const HTTP_EXPORTS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/// Fastify hooks that run once per request.
const FASTIFY_HOOKS: &[&str] = &[
    "onRequest",
    "preParsing",
    "preValidation",
    "preHandler",
    "preSerialization",
    "onSend",
    "onResponse",
    "onError",
    "onTimeout",
];
/// Keys of Fastify route options whose values run per request.
const HANDLER_KEYS: &[&str] = &["handler", "preHandler", "onRequest", "preValidation", "preSerialization", "onSend"];
/// Events of streams and processes, not of client connections.
const NON_CLIENT_EVENTS: &[&str] = &[
    "data",
    "end",
    "error",
    "close",
    "exit",
    "finish",
    "drain",
    "readable",
    "open",
    "listening",
    "uncaughtException",
    "unhandledRejection",
    "SIGINT",
    "SIGTERM",
    "warning",
    "beforeExit",
];
/// Constructors and factories of apps and routers.
const APP_FACTORIES: &[&str] =
    &["express", "Router", "Koa", "KoaRouter", "fastify", "Fastify", "Hono", "polka", "createServer", "Application"];

/// A route path: `'/users/:id'`, `` `/x` ``, a regex or an array of them.
fn is_path_like(node: Node, src: &str) -> bool {
    match node.ty() {
        "string" => {
            let t = module_name(node, src);
            t.starts_with('/') || t.starts_with('*')
        }
        "template_string" | "regex" => true,
        "array" => node.named_child(0).is_some_and(|c| is_path_like(c, src)),
        _ => false,
    }
}

/// The last name of a receiver: `app` for `app`, `router` for `this.router`.
fn receiver_name<'s>(node: Node, src: &'s str) -> &'s str {
    match node.ty() {
        "member_expression" => node.field("property").map(|p| text(p, src)).unwrap_or(""),
        _ => text(node, src),
    }
}

/// Does `obj` look like an app or router (`app`, `adminRouter`, `this.server`,
/// or a name bound to `express()` / `new Koa()` / `Router()` in this file)?
fn looks_like_app(obj: Node, src: &str, apps: &HashSet<String>) -> bool {
    let name = receiver_name(obj, src);
    if apps.contains(name) {
        return true;
    }
    let l = name.to_ascii_lowercase();
    matches!(l.as_str(), "app" | "router" | "server" | "api" | "fastify" | "instance" | "koa" | "routes" | "route")
        || l.ends_with("router")
        || l.ends_with("app")
        || l.ends_with("server")
        || l.ends_with("routes")
}

/// Names bound to `express()`, `express.Router()`, `new Koa()`, `fastify()`...
fn app_names(root: Node, src: &str) -> HashSet<String> {
    let mut apps = HashSet::new();
    descendants(root, |n| {
        if n.ty() == "variable_declarator" {
            if let (Some(name), Some(mut v)) = (n.field("name"), n.field("value")) {
                if v.ty() == "await_expression" {
                    if let Some(inner) = v.named_child(0) {
                        v = inner;
                    }
                }
                let callee = match v.ty() {
                    "call_expression" => v.field("function"),
                    "new_expression" => v.field("constructor"),
                    _ => None,
                };
                if let Some(c) = callee {
                    let last = text(c, src).rsplit('.').next().unwrap_or("");
                    if APP_FACTORIES.contains(&last) || text(c, src) == "require('express')" {
                        apps.insert(text(name, src).to_string());
                    }
                }
            }
        }
        true
    });
    apps
}

/// The first parameter names of a function (at most `n`).
pub fn param_names(func: Node, src: &str, n: usize) -> Vec<String> {
    if let Some(p) = func.field("parameter") {
        return vec![text(p, src).to_string()];
    }
    let Some(params) = func.field("parameters") else { return Vec::new() };
    let mut c = params.walk();
    let out = params
        .named_children(&mut c)
        .filter(|p| p.ty() != "comment")
        .take(n)
        .map(|p| param_name(p, src).to_string())
        .collect();
    out
}

/// The name a parameter binds, or "" for a pattern.
fn param_name<'s>(p: Node, src: &'s str) -> &'s str {
    let p = match p.ty() {
        "required_parameter" | "optional_parameter" => p.field("pattern").unwrap_or(p),
        "assignment_pattern" => p.field("left").unwrap_or(p),
        _ => p,
    };
    if p.ty() == "identifier" {
        text(p, src)
    } else {
        ""
    }
}

/// `(req, res)`, `(request, reply)`, `(ctx, next)`: the signature of an
/// Express/Fastify handler or a Koa middleware, wherever it is defined
/// (controllers often live in another file than their routes).
fn has_handler_signature(func: Node, src: &str) -> bool {
    // The first two of `param_names`, without copies: a single
    // `parameter` (`req => ...`) is one name.
    if func.field("parameter").is_some() {
        return false;
    }
    let Some(params) = func.field("parameters") else { return false };
    let mut c = params.walk();
    let mut names = params.named_children(&mut c).filter(|p| p.ty() != "comment").map(|p| param_name(p, src));
    let (Some(first), Some(second)) = (names.next(), names.next()) else { return false };
    matches!((first, second), ("req" | "request", "res" | "response" | "reply") | ("ctx", "next"))
}

/// Adds what a route registration passes as its handler: functions,
/// names of functions, arrays of middleware, wrapped handlers
/// (`asyncHandler(async (req, res) => ...)`) and Fastify option objects.
fn collect_handler(a: Node, src: &str, h: &mut Handlers, names: &mut Vec<String>, depth: u32) {
    match a.ty() {
        k if is_function_kind(k) => h.add(a),
        "identifier" => names.push(text(a, src).to_string()),
        "member_expression" => {
            if let Some(p) = a.field("property") {
                names.push(text(p, src).to_string());
            }
        }
        "parenthesized_expression" => {
            if let Some(inner) = a.named_child(0) {
                collect_handler(inner, src, h, names, depth);
            }
        }
        "array" => {
            let mut c = a.walk();
            for el in a.named_children(&mut c) {
                collect_handler(el, src, h, names, depth);
            }
        }
        "call_expression" if depth < 2 => {
            if let Some(args) = a.field("arguments") {
                let mut c = args.walk();
                for arg in args.named_children(&mut c) {
                    collect_handler(arg, src, h, names, depth + 1);
                }
            }
        }
        "object" => {
            let mut c = a.walk();
            for p in a.named_children(&mut c) {
                let key = p.field(if p.ty() == "pair" { "key" } else { "name" }).map(|k| text(k, src));
                if !key.is_some_and(|k| HANDLER_KEYS.contains(&k)) {
                    continue;
                }
                if p.ty() == "pair" {
                    if let Some(v) = p.field("value") {
                        collect_handler(v, src, h, names, depth);
                    }
                } else if p.ty() == "method_definition" {
                    h.add(p);
                }
            }
        }
        _ => {}
    }
}

/// The function a name is bound to, looking through wrappers:
/// `const list = asyncHandler(async (req, res) => ...)`.
fn bound_function(v: Node) -> Option<Node> {
    if is_function_kind(v.ty()) {
        return Some(v);
    }
    if v.ty() == "call_expression" {
        let args = v.field("arguments")?;
        let mut c = args.walk();
        let f = args.named_children(&mut c).find(|a| is_function_kind(a.ty()));
        return f;
    }
    None
}

fn is_nest_route_decorator(d: Node, src: &str) -> bool {
    let t = text(d, src).trim_start_matches('@');
    let name = t.split('(').next().unwrap_or("");
    NEST_ROUTE_DECORATORS.contains(&name)
        || matches!(name, "MessagePattern" | "EventPattern" | "SubscribeMessage" | "Query" | "Mutation")
}

pub fn handlers(root: Node, src: &str, rel: &str) -> Handlers {
    handlers_and_calls(root, src, rel).0
}

/// [`handlers`], and the [`CallIndex`] of the file that it builds on the way.
pub fn handlers_and_calls(root: Node, src: &str, rel: &str) -> (Handlers, CallIndex) {
    let mut h = Handlers::default();
    let mut calls = CallIndex::default();
    let mut handler_names: Vec<String> = Vec::new();
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    let is_app_route = file_name.starts_with("route.");
    let is_pages_api = rel.contains("pages/api/") || rel.starts_with("api/");
    // Names bound to apps, found when a call needs them.
    let mut apps: Option<HashSet<String>> = None;

    descendants(root, |n| {
        let ty = n.ty();
        if is_function_kind(ty) && has_handler_signature(n, src) {
            h.add(n);
        }
        calls.collect(n, ty, src);
        if ty == "call_expression" {
            let Some(callee) = n.field("function") else { return true };
            let Some(args) = n.field("arguments") else { return true };
            let list = || -> Vec<Node> {
                let mut c = args.walk();
                args.named_children(&mut c).filter(|a| a.ty() != "comment").collect()
            };
            // http.createServer((req, res) => ...)
            if text(callee, src).rsplit('.').next() == Some("createServer") {
                for a in &list() {
                    collect_handler(*a, src, &mut h, &mut handler_names, 1);
                }
                return true;
            }
            if callee.ty() != "member_expression" {
                return true;
            }
            let method = callee.field("property").map(|p| text(p, src)).unwrap_or("");
            // Only routes, hooks, listeners and `route()` register handlers:
            // other calls are passed over before their arguments are listed.
            if !ROUTE_METHODS.contains(&method) && !matches!(method, "addHook" | "on" | "route") {
                return true;
            }
            let list = list();
            let Some(obj) = callee.field("object") else { return true };
            let first_is_path = list.first().is_some_and(|a| is_path_like(*a, src));
            let on_route_chain = is_route_chain(obj, src);
            let has_function = list.iter().any(|a| is_function_kind(a.ty()));
            let is_route = ROUTE_METHODS.contains(&method)
                && (first_is_path
                    || on_route_chain
                    || ((method == "use" || has_function)
                        && looks_like_app(obj, src, apps.get_or_insert_with(|| app_names(root, src)))));
            let is_hook = method == "addHook"
                && list
                    .first()
                    .is_some_and(|a| a.ty() == "string" && FASTIFY_HOOKS.contains(&module_name(*a, src).as_str()));
            let is_listener = method == "on"
                && list
                    .first()
                    .is_some_and(|a| a.ty() == "string" && !NON_CLIENT_EVENTS.contains(&module_name(*a, src).as_str()))
                && {
                    let t = text(obj, src).to_ascii_lowercase();
                    t.contains("socket")
                        || t == "io"
                        || t.ends_with("ws")
                        || t.ends_with("wss")
                        || t.contains("server")
                        || t == "client"
                };
            if is_route || is_hook || is_listener {
                for a in list.iter().skip(usize::from(first_is_path || is_hook || is_listener)) {
                    collect_handler(*a, src, &mut h, &mut handler_names, 0);
                }
            } else if method == "route" {
                // Fastify `route({ method, url, handler })`.
                for a in &list {
                    if a.ty() == "object" {
                        collect_handler(*a, src, &mut h, &mut handler_names, 0);
                    }
                }
            }
        }
        if ty == "method_definition" {
            let mut c = n.walk();
            let decorated = n.children(&mut c).any(|d| d.ty() == "decorator" && is_nest_route_decorator(d, src));
            // Decorators may also precede the method as siblings in the class body.
            let prev_decorated = {
                let mut prev = n.prev_named_sibling();
                let mut any = false;
                while let Some(p) = prev {
                    if p.ty() != "decorator" {
                        break;
                    }
                    any |= is_nest_route_decorator(p, src);
                    prev = p.prev_named_sibling();
                }
                any
            };
            if decorated || prev_decorated {
                h.add(n);
            }
        }
        if ty == "export_statement" {
            let is_default = {
                let mut c = n.walk();
                let r = n.children(&mut c).any(|x| x.ty() == "default");
                r
            };
            if let Some(decl) = n.field("declaration").or(n.field("value")) {
                if is_default && is_pages_api {
                    collect_handler(decl, src, &mut h, &mut handler_names, 0);
                    if decl.ty() == "function_declaration" {
                        h.add(decl);
                    }
                }
                if is_app_route {
                    if decl.ty() == "function_declaration" {
                        if decl.field("name").is_some_and(|nm| HTTP_EXPORTS.contains(&text(nm, src))) {
                            h.add(decl);
                        }
                    } else if decl.ty() == "lexical_declaration" {
                        let mut c = decl.walk();
                        for d in decl.named_children(&mut c) {
                            if let (Some(nm), Some(v)) = (d.field("name"), d.field("value")) {
                                if HTTP_EXPORTS.contains(&text(nm, src)) {
                                    collect_handler(v, src, &mut h, &mut handler_names, 0);
                                }
                            }
                        }
                    }
                }
            }
        }
        true
    });
    for name in &handler_names {
        for r in calls.named(name) {
            h.add_range(*r);
        }
    }
    // Functions of this file called from a handler serve requests too.
    let frontier = h.ranges.clone();
    calls.follow(root, src, &mut h, frontier);
    (h, calls)
}

/// The functions of a file that calls can be followed to: named functions
/// by name (object-literal and class methods included), and the names of
/// in-file objects and classes whose methods may be called.
#[derive(Default)]
pub struct CallIndex {
    /// Byte ranges of the functions of each name, in document order.
    named: foldhash::HashMap<String, Vec<(usize, usize)>>,
    objects: HashSet<String>,
}

impl CallIndex {
    pub fn new(root: Node, src: &str) -> CallIndex {
        let mut idx = CallIndex::default();
        descendants(root, |n| {
            idx.collect(n, n.ty(), src);
            true
        });
        idx
    }

    /// The functions named `name`, in document order.
    fn named(&self, name: &str) -> &[(usize, usize)] {
        self.named.get(name).map_or(&[], |v| v.as_slice())
    }

    fn add(&mut self, name: &str, f: Node) {
        let r = (f.start_byte(), f.end_byte());
        match self.named.get_mut(name) {
            Some(v) => v.push(r),
            None => {
                self.named.insert(name.to_string(), vec![r]);
            }
        }
    }

    fn collect(&mut self, n: Node, ty: &str, src: &str) {
        match ty {
            "function_declaration" | "generator_function_declaration" | "method_definition" => {
                if let Some(name) = n.field("name") {
                    self.add(text(name, src), n);
                }
            }
            "variable_declarator" => {
                if let (Some(name), Some(v)) = (n.field("name"), n.field("value")) {
                    if let Some(f) = bound_function(v) {
                        self.add(text(name, src), f);
                    } else if matches!(v.ty(), "object" | "new_expression" | "class") {
                        self.objects.insert(text(name, src).to_string());
                    }
                }
            }
            "class_declaration" => {
                if let Some(name) = n.field("name") {
                    self.objects.insert(text(name, src).to_string());
                }
            }
            "pair" => {
                if let (Some(k), Some(v)) = (n.field("key"), n.field("value")) {
                    if is_function_kind(v.ty()) {
                        self.add(text(k, src).trim_matches(|c| c == '"' || c == '\''), v);
                    }
                }
            }
            // `exports.list = async (req, res) => ...`, `Ctrl.prototype.list = function ...`
            "assignment_expression" => {
                if let (Some(l), Some(r)) = (n.field("left"), n.field("right")) {
                    if let (Some(p), Some(f)) = (l.field("property"), bound_function(r)) {
                        self.add(text(p, src), f);
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds to `h` the functions of this file called (transitively) from
    /// the functions in `frontier`: plain calls, `this.method()`,
    /// `this.x.method()` and methods of objects and classes defined in this
    /// file (`service.list()`).
    pub fn follow(&self, root: Node, src: &str, h: &mut Handlers, mut frontier: Vec<(usize, usize)>) {
        let mut rounds = 0;
        while !frontier.is_empty() && rounds < 8 {
            rounds += 1;
            let mut next = Vec::new();
            for (start, end) in frontier {
                let Some(func) = function_at(root, start, end) else { continue };
                let mut callees = Vec::new();
                descendants(func, |n| {
                    if n.ty() == "call_expression" {
                        if let Some(f) = n.field("function") {
                            if f.ty() == "identifier" {
                                callees.push(text(f, src));
                            } else if f.ty() == "member_expression" {
                                let local = f.field("object").is_some_and(|o| {
                                    o.ty() == "this"
                                        || (o.ty() == "identifier" && self.objects.contains(text(o, src)))
                                        || (o.ty() == "member_expression"
                                            && o.field("object").is_some_and(|t| t.ty() == "this"))
                                });
                                if local {
                                    if let Some(p) = f.field("property") {
                                        callees.push(text(p, src));
                                    }
                                }
                            }
                        }
                    }
                    true
                });
                for c in callees {
                    for r in self.named(c) {
                        if h.add_range(*r) {
                            next.push(*r);
                        }
                    }
                }
            }
            frontier = next;
        }
    }

    /// `func` and the functions of this file it calls, transitively.
    pub fn closure(&self, root: Node, src: &str, func: Node) -> Handlers {
        let mut h = Handlers::default();
        h.add(func);
        self.follow(root, src, &mut h, vec![(func.start_byte(), func.end_byte())]);
        h
    }
}

/// The function node spanning exactly `start..end`.
pub fn function_at(root: Node, start: usize, end: usize) -> Option<Node> {
    let mut n = root.descendant_for_byte_range(start, end)?;
    loop {
        if n.start_byte() == start && n.end_byte() == end && is_function_kind(n.ty()) {
            return Some(n);
        }
        n = n.up()?;
        if n.start_byte() != start || n.end_byte() != end {
            return None;
        }
    }
}

/// `router.route('/x').get(a).post(b)`: is `obj` (the receiver of a method
/// call) a chain that starts at `.route(...)`?
fn is_route_chain(obj: Node, src: &str) -> bool {
    let mut cur = obj;
    for _ in 0..16 {
        if cur.ty() != "call_expression" {
            return false;
        }
        let Some(f) = cur.field("function").filter(|f| f.ty() == "member_expression") else {
            return false;
        };
        if f.field("property").is_some_and(|p| text(p, src) == "route") {
            return true;
        }
        let Some(o) = f.field("object") else { return false };
        cur = o;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse, Lang};
    use std::time::Duration;

    #[test]
    fn resolves_require_and_import_aliases() {
        let src = "const { execSync: run } = require('child_process');\nimport * as vm from 'node:vm';\nimport { readFileSync as rfs } from 'fs';\nconst fs = { readFileSync() {} };\nrun(a); vm.runInNewContext(b); rfs(c); fs.readFileSync(d); eval(e);\n";
        let tree = parse(Lang::JavaScript, src, Duration::from_secs(1)).unwrap();
        let b = bindings(tree.root_node(), src);
        let mut names = Vec::new();
        descendants(tree.root_node(), |n| {
            if n.ty() == "call_expression" {
                let f = n.field("function").unwrap();
                if text(f, src) != "require" {
                    names.push(qualified_name(f, src, &b));
                }
            }
            true
        });
        assert_eq!(
            names,
            vec![
                Some("child_process.execSync".to_string()),
                Some("vm.runInNewContext".to_string()),
                Some("fs.readFileSync".to_string()),
                None,
                Some("eval".to_string())
            ]
        );
    }

    #[test]
    fn finds_express_handlers_and_their_callees() {
        let src = "function helper(x) { return x }\nfunction list(req, res) { helper(1) }\nfunction unused() {}\napp.get('/a', list);\nrouter.post('/b', auth, async (req, res) => {});\n";
        let tree = parse(Lang::JavaScript, src, Duration::from_secs(1)).unwrap();
        let h = handlers(tree.root_node(), src, "app.js");
        assert_eq!(h.ranges.len(), 3, "{:?}", h.ranges);
    }
}
