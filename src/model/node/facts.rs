//! Phase 1 of app discovery: what one JavaScript/TypeScript file says about
//! Node.js apps. Values are described symbolically ([`Val`]) so that phase 2
//! can follow them across modules: an app created here, a function
//! parameter that receives it, a value imported from another module, the
//! result of calling something. Everything is plain serialisable data.

use crate::engine::context::FileCtx;
use crate::finding::Span;
use crate::parse::Syntax;
use crate::semantics::js::{is_function_kind, module_name, require_target};
use crate::semantics::{descendants, text};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
/// Maps keyed by node ids, byte ranges and names, looked up for most
/// nodes of a file: foldhash rather than SipHash.
type HashMap<K, V> = foldhash::HashMap<K, V>;
use tree_sitter::Node;

/// What a file contributes to the apps of a project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeFacts {
    /// Static imports and requires: module specifiers, in source order.
    #[serde(default)]
    pub imports: Vec<ImportFact>,
    /// Apps and routers created in this file.
    #[serde(default)]
    pub objects: Vec<ObjFact>,
    /// Method calls on values that may be apps or routers
    /// (`app.use(...)`, `router.post("/login", ...)`, `fastify.register(...)`).
    #[serde(default)]
    pub uses: Vec<UseFact>,
    /// Calls that hand such a value to a function (`configureSecurity(app)`).
    #[serde(default)]
    pub passes: Vec<PassFact>,
    /// `return <value>` per function (function id = start byte).
    #[serde(default)]
    pub returns: Vec<(u32, Val)>,
    /// What the module exports, by name (`default` for `module.exports =`).
    #[serde(default)]
    pub exports: Vec<(String, Val)>,
    /// Security headers set by hand (`res.setHeader("Content-Security-Policy", ...)`).
    #[serde(default)]
    pub headers: Vec<Span>,
    /// CSRF checks written in the project: a CSRF token read from the
    /// request (`req.get("x-csrf-token")`, `req.body._csrf`), or the
    /// `Origin` header read where the request method is looked at.
    #[serde(default)]
    pub csrf_checks: Vec<Span>,
    /// Cookie session middleware created here.
    #[serde(default)]
    pub sessions: Vec<SessionFact>,
    /// CORS middleware created here.
    #[serde(default)]
    pub cors: Vec<CorsFact>,
    /// Global pipes: `app.useGlobalPipes(...)`, `{ provide: APP_PIPE, ... }`.
    #[serde(default)]
    pub global_pipes: Vec<Span>,
    /// NestJS controller routes (`@Post("login")` in `@Controller("auth")`).
    #[serde(default)]
    pub nest_routes: Vec<RouteFact>,
    /// NestJS `@Body() dto: SomeDto` parameters.
    #[serde(default)]
    pub nest_bodies: Vec<BodyFact>,
    /// Classes declared in this file (DTO types resolve to them).
    #[serde(default)]
    pub classes: Vec<String>,
    /// `@Module({ imports: [...] })` classes.
    #[serde(default)]
    pub nest_modules: Vec<NestModuleFact>,
}

impl crate::engine::facts::Fact for NodeFacts {
    const KEY: &'static str = "node-app";
}

/// A value, described by where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Val {
    /// `objects[i]` of this file.
    Obj(u32),
    /// The function starting at this byte.
    Func(u32),
    /// Parameter `.1` of the function starting at byte `.0`.
    Param(u32, u32),
    /// `this.<name>` inside the class starting at byte `.0`.
    Field(u32, String),
    /// A class declared in this file.
    Class(String),
    /// Export `.1` (`default`, `*` or a name) of module specifier `.0`.
    Import(String, String),
    /// The result of calling the value.
    Call(Box<Val>),
    /// `require(variable)`, `import(variable)`: cannot be followed.
    Dynamic,
    Unknown,
}

impl Val {
    fn known(&self) -> bool {
        !matches!(self, Val::Unknown)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportFact {
    pub spec: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjKind {
    Express,
    ExpressRouter,
    Fastify,
    Koa,
    KoaRouter,
    Nest,
}

impl ObjKind {
    pub fn is_app(self) -> bool {
        !matches!(self, ObjKind::ExpressRouter | ObjKind::KoaRouter)
    }
    pub fn name(self) -> &'static str {
        match self {
            ObjKind::Express => "Express app",
            ObjKind::ExpressRouter => "Express router",
            ObjKind::Fastify => "Fastify app",
            ObjKind::Koa => "Koa app",
            ObjKind::KoaRouter => "Koa router",
            ObjKind::Nest => "NestJS app",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjFact {
    pub kind: ObjKind,
    /// The creating call (`express()`, `NestFactory.create(AppModule)`).
    pub span: Span,
    /// Other names of the object (`this.app = express()`).
    #[serde(default)]
    pub also: Vec<Val>,
    /// NestJS: the root module passed to `NestFactory.create`.
    #[serde(default)]
    pub nest_root: Option<Val>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UseFact {
    pub on: Val,
    pub method: String,
    /// The route path when it is a literal (`"/login"`).
    #[serde(default)]
    pub path: Option<String>,
    /// Arguments that may be followed: routers, plugins, imported middleware.
    #[serde(default)]
    pub items: Vec<Val>,
    pub span: Span,
    /// `passport.authenticate(...)` among the arguments.
    #[serde(default)]
    pub authenticates: bool,
    /// `@fastify/autoload` with a literal directory, relative to this file.
    #[serde(default)]
    pub autoload: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassFact {
    pub callee: Val,
    /// The callee as written (`http.createServer`), for messages and for
    /// telling harmless callees from unknown ones.
    pub callee_text: String,
    /// (argument index, value); index `u32::MAX` for a value inside an
    /// object literal argument (`{ app }`).
    pub args: Vec<(u32, Val)>,
    pub span: Span,
}

/// `sameSite` of a session cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SameSite {
    /// `"strict"`, `"lax"` or `true`: cross-site requests carry no cookie.
    Protects,
    /// `"none"`, `false` or not set at all.
    Absent,
    /// Computed, or the options cannot be read.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionFact {
    pub package: String,
    pub span: Span,
    pub same_site: SameSite,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorsFact {
    pub span: Span,
    /// `cors()` with no options: every origin, no credentials.
    pub bare: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteFact {
    pub method: String,
    pub path: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BodyFact {
    pub ty: String,
    /// The DTO type as a value (resolves to a class declaration).
    pub ty_val: Val,
    pub span: Span,
    /// A pipe on the parameter, method or controller validates it already.
    #[serde(default)]
    pub validated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NestModuleFact {
    pub class: String,
    pub span: Span,
    pub imports: Vec<Val>,
}

// ---------------------------------------------------------------------------
// Package knowledge
// ---------------------------------------------------------------------------

const SESSION_PACKAGES: &[&str] = &[
    "express-session",
    "cookie-session",
    "koa-session",
    "koa-generic-session",
    "client-sessions",
    "@fastify/session",
    "@fastify/secure-session",
    "fastify-session",
    "fastify-secure-session",
];
const CORS_PACKAGES: &[&str] = &["cors", "@koa/cors", "kcors", "koa2-cors", "@fastify/cors", "fastify-cors"];
/// Request headers and form fields that carry a CSRF token.
const CSRF_TOKEN_NAMES: &[&str] = &[
    "x-csrf-token",
    "x-xsrf-token",
    "csrf-token",
    "xsrf-token",
    "x-csrftoken",
    "_csrf",
    "csrf_token",
    "csrftoken",
    "csrftokenheader",
    "x-csrf",
];
/// Response headers only a security policy sets.
const SECURITY_HEADERS: &[&str] =
    &["content-security-policy", "x-frame-options", "strict-transport-security", "x-content-type-options"];
/// Methods whose receiver may be an app or router.
const USE_METHODS: &[&str] = &[
    "use",
    "register",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "del",
    "all",
    "options",
    "head",
    "route",
    "listen",
    "useGlobalPipes",
    "useGlobalGuards",
    "useGlobalInterceptors",
    "useGlobalFilters",
    "enableCors",
];
const NEST_ROUTES: &[(&str, &str)] =
    &[("Get", "get"), ("Post", "post"), ("Put", "put"), ("Patch", "patch"), ("Delete", "delete"), ("All", "all")];

/// The package a module specifier names (`@fastify/helmet/x` → `@fastify/helmet`).
pub fn package_name(spec: &str) -> &str {
    let spec = spec.strip_prefix("node:").unwrap_or(spec);
    let mut parts = spec.splitn(3, '/');
    let first = parts.next().unwrap_or("");
    if first.starts_with('@') {
        match parts.next() {
            Some(second) => &spec[..first.len() + 1 + second.len()],
            None => spec,
        }
    } else {
        first
    }
}

pub fn is_relative(spec: &str) -> bool {
    spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == ".."
}

// ---------------------------------------------------------------------------
// Extraction
// ---------------------------------------------------------------------------

/// A name's declaration in a scope.
#[derive(Clone, Copy)]
enum Decl<'t> {
    Value(Node<'t>),
    Func(Node<'t>),
    Class(Node<'t>),
    /// `const { key } = init` / `const { key: name } = init`.
    Member(Node<'t>, Node<'t>),
    ImportDefault(Node<'t>),
    ImportNamespace(Node<'t>),
    ImportNamed(Node<'t>, Node<'t>),
    Declared,
}

pub fn extract(ctx: &mut FileCtx) {
    if !ctx.lang.is_js_family() {
        return;
    }
    let facts = Extractor::new(ctx).run();
    ctx.facts.set(facts);
}

/// A resolved binding and the depth it was resolved at.
type ResolvedAt = (Val, u32);

struct Extractor<'c, 'a> {
    ctx: &'c FileCtx<'a>,
    /// Per scope (function node id, or the root's): name → declarations.
    scopes: HashMap<usize, HashMap<&'a str, Vec<Decl<'a>>>>,
    /// Start and end byte of creating calls → index in `facts.objects`.
    objects: HashMap<(usize, usize), u32>,
    /// Resolved bindings: (scope, name) → value and the depth it was
    /// resolved at (reused by calls with no more depth budget left). Names
    /// declared many times in one scope (minified code) made resolution
    /// exponential without it.
    resolved: RefCell<HashMap<(usize, &'a str), ResolvedAt>>,
    /// Where a name used inside a function (node id, or `usize::MAX` at
    /// the top level) is bound: the same for every use of the name there.
    lookups: RefCell<HashMap<(usize, &'a str), Binding>>,
    /// Words a qualified name must contain for the checks that compare
    /// with it; absent from the file, the (allocating) name is not built.
    words: Words,
    facts: NodeFacts,
}

/// Where a name resolves from a function: a parameter of an enclosing
/// function, a declaration in a scope, or nowhere in the file.
#[derive(Clone, Copy)]
enum Binding {
    Param(u32, u32),
    Scope(usize),
    Unbound,
}

/// Which words the file's text contains. A qualified name joins source
/// substrings (identifiers, properties, module names) with dots, so a
/// dot-free word in a qualified name occurs in the source text.
struct Words {
    /// `express`, `fastify`, `NestFactory`: apps created by a call.
    app_call: bool,
    /// `koa`: apps and routers created by `new`.
    koa: bool,
    /// `session` or `cors`: session and CORS middleware.
    session_or_cors: bool,
    passport: bool,
    fastify_plugin: bool,
    /// `csrf`, `xsrf` or `origin` (any case): a CSRF check may be written here.
    csrf: bool,
}

impl Words {
    fn of(src: &str) -> Words {
        Words {
            app_call: src.contains("express") || src.contains("fastify") || src.contains("NestFactory"),
            koa: src.contains("koa"),
            session_or_cors: src.contains("session") || src.contains("cors"),
            passport: src.contains("passport"),
            fastify_plugin: src.contains("fastify-plugin"),
            csrf: ["csrf", "xsrf", "CSRF", "XSRF", "Csrf", "Xsrf", "origin", "Origin"].iter().any(|w| src.contains(w)),
        }
    }
}

/// The node kinds the main pass of [`Extractor::run`] handles.
#[derive(Clone, Copy)]
enum Todo {
    Call,
    New,
    Return,
    Arrow,
    Assignment,
    Export,
    Class,
    Pair,
}

impl<'c, 'a> Extractor<'c, 'a> {
    fn new(ctx: &'c FileCtx<'a>) -> Self {
        Extractor {
            ctx,
            scopes: HashMap::default(),
            objects: HashMap::default(),
            resolved: RefCell::new(HashMap::default()),
            lookups: RefCell::new(HashMap::default()),
            words: Words::of(&ctx.src.text),
            facts: NodeFacts::default(),
        }
    }

    fn t(&self, n: Node) -> &'a str {
        text(n, &self.ctx.src.text)
    }

    fn span(&self, n: Node) -> Span {
        self.ctx.src.span(n.start_byte(), n.end_byte())
    }

    fn scope_of(&self, n: Node<'a>) -> usize {
        self.ctx.enclosing_function(n).unwrap_or_else(|| self.ctx.tree.root_node()).id()
    }

    fn declare(&mut self, scope: usize, name: Node<'a>, d: Decl<'a>) {
        let n = self.t(name);
        self.scopes.entry(scope).or_default().entry(n).or_default().push(d);
    }

    fn run(mut self) -> NodeFacts {
        let root = self.ctx.tree.root_node();
        let todo = self.collect(root);
        self.nest_roots(root);
        for (n, what) in todo {
            match what {
                Todo::Call => self.call(n),
                Todo::New => self.pass(n),
                Todo::Return => self.ret(n),
                Todo::Arrow => {
                    if let Some(body) = n.field("body").filter(|b| b.ty() != "statement_block") {
                        let v = self.classify(body, 0);
                        if trackable(&v) {
                            self.facts.returns.push((n.start_byte() as u32, v));
                        }
                    }
                }
                Todo::Assignment => self.assignment(n),
                Todo::Export => self.export(n),
                Todo::Class => self.class(n),
                Todo::Pair => self.app_pipe_provider(n),
            }
        }
        self.facts
    }

    /// One traversal of the file: the declarations of every scope, imports
    /// and classes, the apps and routers created here, and (returned, in
    /// document order) the nodes the main pass of [`Self::run`] handles.
    fn collect(&mut self, root: Node<'a>) -> Vec<(Node<'a>, Todo)> {
        let mut assigns = Vec::new();
        let mut todo = Vec::new();
        // End of the last import statement: the names it binds are declared
        // from the statement, not from the nodes inside it.
        let mut import_end = 0;
        descendants(root, |n| {
            let ty = n.ty();
            if n.start_byte() >= import_end {
                self.declaration(n, ty, &mut assigns, &mut import_end);
            }
            self.object(n, ty);
            if self.words.csrf && matches!(ty, "string" | "property_identifier") {
                self.csrf_check(n);
            }
            let what = match ty {
                "call_expression" => Todo::Call,
                "new_expression" => Todo::New,
                "return_statement" => Todo::Return,
                "arrow_function" => Todo::Arrow,
                "assignment_expression" => Todo::Assignment,
                "export_statement" => Todo::Export,
                "class_declaration" | "abstract_class_declaration" | "class" => Todo::Class,
                "pair" => Todo::Pair,
                _ => return true,
            };
            todo.push((n, what));
            true
        });
        // `let app; ... app = express()`: the value belongs to the scope that
        // declares the name.
        let root_id = root.id();
        for (l, r) in assigns {
            let name = self.t(l);
            let scope = self
                .ctx
                .enclosing_functions(l)
                .find(|p| self.scopes.get(&p.id()).is_some_and(|s| s.contains_key(name)))
                .map_or(root_id, |p| p.id());
            self.declare(scope, l, Decl::Value(r));
        }
        todo
    }

    /// A CSRF token or the Origin header read from the request at `n` (a
    /// string or property name): `req.get("X-CSRF-Token")`,
    /// `req.headers["x-xsrf-token"]`, `req.body._csrf`,
    /// `ctx.request.headers.origin` in a function that checks the method.
    fn csrf_check(&mut self, n: Node<'a>) {
        let src = self.ctx.src.text.as_str();
        let name = if n.ty() == "string" { module_name(n, src) } else { self.t(n).to_string() };
        let lower = name.to_ascii_lowercase();
        let token = CSRF_TOKEN_NAMES.contains(&lower.as_str());
        let origin = lower == "origin";
        if !token && !origin {
            return;
        }
        let Some(parent) = n.up() else { return };
        // What the name is read from: `X.get("name")`, `X["name"]`, `X.name`.
        let from = match (n.ty(), parent.ty()) {
            ("string", "arguments") => parent.up().filter(|c| c.ty() == "call_expression").and_then(|c| {
                let f = c.field("function").filter(|f| f.ty() == "member_expression")?;
                let prop = f.field("property").map(|p| self.t(p))?;
                matches!(prop, "get" | "header" | "getHeader").then(|| f.field("object")).flatten()
            }),
            ("string", "subscript_expression") => parent.field("object"),
            ("property_identifier", "member_expression") => parent.field("object"),
            _ => None,
        };
        let Some(from) = from else { return };
        let from_text = self.t(from);
        let last = from_text.rsplit('.').next().unwrap_or(from_text);
        let request_like = matches!(last, "headers" | "body" | "query" | "req" | "request" | "ctx")
            || from_text.ends_with("request.headers");
        if !request_like {
            return;
        }
        if origin {
            // Reading Origin is a CSRF check where the method decides
            // whether to enforce it; elsewhere it is CORS or logging.
            let Some(func) = self.ctx.enclosing_function(n) else { return };
            if !self.t(func).contains(".method") {
                return;
            }
        }
        self.facts.csrf_checks.push(self.span(n));
    }

    /// Declarations, imports and classes at node `n` (of kind `ty`).
    fn declaration(&mut self, n: Node<'a>, ty: &str, assigns: &mut Vec<(Node<'a>, Node<'a>)>, import_end: &mut usize) {
        match ty {
            "variable_declarator" => {
                let Some(name) = n.field("name") else { return };
                let scope = self.scope_of(n);
                let value = n.field("value");
                match name.ty() {
                    "identifier" => {
                        self.declare(scope, name, value.map(Decl::Value).unwrap_or(Decl::Declared));
                    }
                    "object_pattern" => {
                        let Some(value) = value else { return };
                        let mut c = name.walk();
                        for p in name.named_children(&mut c) {
                            match p.ty() {
                                "shorthand_property_identifier_pattern" => {
                                    self.declare(scope, p, Decl::Member(value, p));
                                }
                                "pair_pattern" => {
                                    if let (Some(k), Some(v)) = (p.field("key"), p.field("value")) {
                                        if v.ty() == "identifier" {
                                            self.declare(scope, v, Decl::Member(value, k));
                                        }
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            "function_declaration" | "generator_function_declaration" => {
                if let Some(name) = n.field("name") {
                    let scope = self.scope_of(n);
                    self.declare(scope, name, Decl::Func(n));
                }
            }
            "class_declaration" | "abstract_class_declaration" => {
                if let Some(name) = n.field("name") {
                    let scope = self.scope_of(n);
                    self.declare(scope, name, Decl::Class(n));
                    self.facts.classes.push(self.t(name).to_string());
                }
            }
            "import_statement" => {
                *import_end = n.end_byte();
                let Some(source) = n.field("source") else { return };
                let scope = self.ctx.tree.root_node().id();
                self.facts
                    .imports
                    .push(ImportFact { spec: module_name(source, &self.ctx.src.text), span: self.span(n) });
                descendants(n, |c| {
                    match c.ty() {
                        "import_clause" => {
                            if let Some(id) = c.named_child(0).filter(|x| x.ty() == "identifier") {
                                self.declare(scope, id, Decl::ImportDefault(source));
                            }
                        }
                        "namespace_import" => {
                            if let Some(id) = c.named_child(0) {
                                self.declare(scope, id, Decl::ImportNamespace(source));
                            }
                        }
                        "import_specifier" => {
                            if let Some(name) = c.field("name") {
                                let local = c.field("alias").unwrap_or(name);
                                self.declare(scope, local, Decl::ImportNamed(source, name));
                            }
                            return false;
                        }
                        _ => {}
                    }
                    true
                });
            }
            "call_expression" => {
                if let Some(spec) = require_target(n, &self.ctx.src.text) {
                    self.facts.imports.push(ImportFact { spec, span: self.span(n) });
                } else if n.field("function").is_some_and(|f| f.ty() == "import") {
                    let arg = n.field("arguments").and_then(|a| a.named_child(0));
                    if let Some(a) = arg.filter(|a| a.ty() == "string") {
                        let spec = module_name(a, &self.ctx.src.text);
                        self.facts.imports.push(ImportFact { spec, span: self.span(n) });
                    }
                }
            }
            "assignment_expression" => {
                if let (Some(l), Some(r)) = (n.field("left"), n.field("right")) {
                    if l.ty() == "identifier" {
                        assigns.push((l, r));
                    }
                }
            }
            _ => {}
        }
    }

    /// An app or router created at node `n` (of kind `ty`).
    fn object(&mut self, n: Node<'a>, ty: &str) {
        let kind = match ty {
            "call_expression" if self.words.app_call => {
                let Some(f) = n.field("function") else { return };
                match self.ctx.qualified_name(f).as_deref() {
                    Some("express") if self.imported_root(f) => Some(ObjKind::Express),
                    Some("express.Router") if self.imported_root(f) => Some(ObjKind::ExpressRouter),
                    Some("fastify" | "fastify.default" | "fastify.fastify" | "fastify.Fastify")
                        if self.imported_root(f) =>
                    {
                        Some(ObjKind::Fastify)
                    }
                    Some("@nestjs/core.NestFactory.create") => Some(ObjKind::Nest),
                    _ => None,
                }
            }
            "new_expression" if self.words.koa => {
                let Some(f) = n.field("constructor") else { return };
                match self.ctx.qualified_name(f).as_deref() {
                    Some("koa" | "koa.default" | "koa.Koa") if self.imported_root(f) => Some(ObjKind::Koa),
                    Some("koa-router" | "@koa/router" | "koa-router.default" | "@koa/router.default")
                        if self.imported_root(f) =>
                    {
                        Some(ObjKind::KoaRouter)
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(kind) = kind {
            let i = self.facts.objects.len() as u32;
            self.objects.insert((n.start_byte(), n.end_byte()), i);
            let mut obj = ObjFact { kind, span: self.span(n), also: Vec::new(), nest_root: None };
            // `this.app = express()`
            let mut up = n.up();
            while let Some(p) = up.filter(|p| matches!(p.ty(), "await_expression" | "parenthesized_expression")) {
                up = p.up();
            }
            if let Some(p) = up.filter(|p| p.ty() == "assignment_expression") {
                if let Some(l) = p.field("left") {
                    if let Some(v) = self.this_field(l) {
                        obj.also.push(v);
                    }
                }
            }
            self.facts.objects.push(obj);
        }
    }

    /// Root modules of NestJS apps, once every object is known.
    fn nest_roots(&mut self, root: Node<'a>) {
        for i in 0..self.facts.objects.len() {
            if self.facts.objects[i].kind != ObjKind::Nest {
                continue;
            }
            let key = self.objects.iter().find(|(_, v)| **v == i as u32).map(|(k, _)| *k);
            let Some((s, e)) = key else { continue };
            let Some(call) = root.descendant_for_byte_range(s, e) else { continue };
            let Some(call) = ancestor_or_self(call, "call_expression", s, e) else { continue };
            let args = call.field("arguments");
            if let Some(first) = args.and_then(|a| a.named_child(0)) {
                self.facts.objects[i].nest_root = Some(self.classify(first, 0));
            }
            // `NestFactory.create(AppModule, { cors: ... })`
            if let Some(opts) = args.and_then(|a| a.named_child(1)).filter(|o| o.ty() == "object") {
                if let Some(c) = object_prop(opts, "cors", &self.ctx.src.text) {
                    if c.ty() != "false" {
                        self.facts.cors.push(CorsFact { span: self.span(c), bare: c.ty() == "true" });
                    }
                }
            }
        }
    }

    /// Is the root identifier of `f` an import (not a local look-alike)?
    fn imported_root(&self, f: Node) -> bool {
        let mut cur = f;
        loop {
            match cur.ty() {
                "member_expression" => cur = cur.field("object").unwrap_or(cur),
                "call_expression" => return require_target(cur, &self.ctx.src.text).is_some(),
                "identifier" => return self.ctx.bindings().imports.contains_key(self.t(cur)),
                _ => return false,
            }
            if cur.ty() == "this" {
                return false;
            }
        }
    }

    fn this_field(&self, n: Node<'a>) -> Option<Val> {
        if n.ty() != "member_expression" {
            return None;
        }
        let obj = n.field("object")?;
        if obj.ty() != "this" {
            return None;
        }
        let prop = n.field("property")?;
        let class = enclosing_class(n)?;
        Some(Val::Field(class.start_byte() as u32, self.t(prop).to_string()))
    }

    /// What `n` evaluates to, symbolically.
    fn classify(&self, n: Node<'a>, depth: u32) -> Val {
        if depth > 8 {
            return Val::Unknown;
        }
        let n = strip(n);
        if !self.objects.is_empty() {
            if let Some(&i) = self.objects.get(&(n.start_byte(), n.end_byte())) {
                return Val::Obj(i);
            }
        }
        match n.ty() {
            "identifier" => self.resolve(n, depth),
            "member_expression" => {
                if let Some(v) = self.this_field(n) {
                    return v;
                }
                let (Some(obj), Some(prop)) = (n.field("object"), n.field("property")) else {
                    return Val::Unknown;
                };
                match self.classify(obj, depth + 1) {
                    Val::Import(spec, name) if name == "default" || name == "*" => {
                        Val::Import(spec, self.t(prop).to_string())
                    }
                    _ => Val::Unknown,
                }
            }
            "call_expression" => {
                let Some(f) = n.field("function") else { return Val::Unknown };
                let first = n.field("arguments").and_then(|a| a.named_child(0));
                if self.t(f) == "require" || f.ty() == "import" {
                    return match first {
                        Some(a) if a.ty() == "string" => {
                            Val::Import(module_name(a, &self.ctx.src.text), "default".into())
                        }
                        _ => Val::Dynamic,
                    };
                }
                if f.ty() == "member_expression" {
                    let prop = f.field("property").map(|p| self.t(p)).unwrap_or("");
                    // Koa routers are mounted as `app.use(router.routes())`.
                    if matches!(prop, "routes" | "allowedMethods" | "middleware") {
                        if let Some(o) = f.field("object") {
                            let v = self.classify(o, depth + 1);
                            if matches!(v, Val::Obj(_)) {
                                return v;
                            }
                        }
                    }
                }
                // Chainable methods return their receiver: `express().set("x", 1)`.
                if f.ty() == "member_expression" {
                    let prop = f.field("property").map(|p| self.t(p)).unwrap_or("");
                    let args = n.field("arguments").map(|a| a.named_child_count()).unwrap_or(0);
                    let chainable =
                        matches!(prop, "use" | "enable" | "disable" | "engine" | "register" | "decorate" | "addHook")
                            || (prop == "set" && args >= 2);
                    if chainable {
                        if let Some(o) = f.field("object") {
                            let v = self.classify(o, depth + 1);
                            if matches!(v, Val::Obj(_) | Val::Param(..) | Val::Field(..)) {
                                return v;
                            }
                        }
                    }
                }
                // fastify-plugin wraps a plugin function: `fp(async (app) => ...)`.
                if self.words.fastify_plugin
                    && self
                        .ctx
                        .qualified_name(f)
                        .is_some_and(|q| q == "fastify-plugin" || q == "fastify-plugin.default")
                {
                    if let Some(a) = first {
                        return self.classify(a, depth + 1);
                    }
                }
                match self.classify(f, depth + 1) {
                    Val::Dynamic => Val::Dynamic,
                    v @ (Val::Func(_) | Val::Import(..) | Val::Call(_) | Val::Param(..)) => Val::Call(Box::new(v)),
                    _ => Val::Unknown,
                }
            }
            k if is_function_kind(k) => Val::Func(n.start_byte() as u32),
            _ => Val::Unknown,
        }
    }

    fn resolve(&self, id: Node<'a>, depth: u32) -> Val {
        let name = self.t(id);
        match self.binding(id, name) {
            Binding::Param(func, i) => Val::Param(func, i),
            Binding::Scope(scope) => match self.scopes.get(&scope).and_then(|s| s.get(name)) {
                Some(decls) => self.resolve_in(scope, name, decls, depth),
                None => Val::Unknown,
            },
            Binding::Unbound => Val::Unknown,
        }
    }

    /// Where `name`, used at `id`, is bound: the innermost enclosing function
    /// with a parameter or a declaration of that name, or the top level.
    fn binding(&self, id: Node<'a>, name: &'a str) -> Binding {
        let inner = self.ctx.enclosing_function(id);
        let key = (inner.map_or(usize::MAX, |f| f.id()), name);
        if let Some(b) = self.lookups.borrow().get(&key) {
            return *b;
        }
        let found = self
            .ctx
            .enclosing_functions(id)
            .find_map(|p| {
                if let Some(i) = param_index(p, name, &self.ctx.src.text) {
                    Some(Binding::Param(p.start_byte() as u32, i))
                } else if self.scopes.get(&p.id()).is_some_and(|s| s.contains_key(name)) {
                    Some(Binding::Scope(p.id()))
                } else {
                    None
                }
            })
            .unwrap_or_else(|| {
                let root = self.ctx.tree.root_node().id();
                if self.scopes.get(&root).is_some_and(|s| s.contains_key(name)) {
                    Binding::Scope(root)
                } else {
                    Binding::Unbound
                }
            });
        self.lookups.borrow_mut().insert(key, found);
        found
    }

    fn resolve_in(&self, scope: usize, name: &'a str, decls: &[Decl<'a>], depth: u32) -> Val {
        if let Some((v, d)) = self.resolved.borrow().get(&(scope, name)) {
            if *d <= depth {
                return v.clone();
            }
        }
        let v = self.resolve_decls(decls, depth);
        self.resolved.borrow_mut().insert((scope, name), (v.clone(), depth));
        v
    }

    fn resolve_decls(&self, decls: &[Decl<'a>], depth: u32) -> Val {
        let src = &self.ctx.src.text;
        let mut best = Val::Unknown;
        for d in decls {
            let v = match *d {
                Decl::Value(v) => self.classify(v, depth + 1),
                Decl::Func(f) => Val::Func(f.start_byte() as u32),
                Decl::Class(c) => c.field("name").map(|n| Val::Class(self.t(n).to_string())).unwrap_or(Val::Unknown),
                Decl::ImportDefault(s) => Val::Import(module_name(s, src), "default".into()),
                Decl::ImportNamespace(s) => Val::Import(module_name(s, src), "*".into()),
                Decl::ImportNamed(s, name) => {
                    let n = self.t(name).trim_matches(|c| c == '"' || c == '\'');
                    Val::Import(module_name(s, src), n.to_string())
                }
                Decl::Member(init, key) => {
                    let key = self.t(key).to_string();
                    match self.classify(init, depth + 1) {
                        Val::Import(spec, n) if n == "default" || n == "*" => Val::Import(spec, key),
                        _ => Val::Unknown,
                    }
                }
                Decl::Declared => Val::Unknown,
            };
            if matches!(v, Val::Obj(_)) {
                return v;
            }
            if !best.known() {
                best = v;
            }
        }
        best
    }

    fn call(&mut self, n: Node<'a>) {
        let Some(f) = n.field("function") else { return };
        let Some(args) = n.field("arguments") else { return };
        let src = &self.ctx.src.text;
        let qn = if self.words.session_or_cors { self.ctx.qualified_name(f) } else { None };
        // The arguments, listed only for the calls that look at them.
        let arg_nodes = || -> Vec<Node<'a>> {
            let mut c = args.walk();
            args.named_children(&mut c).filter(|a| a.ty() != "comment").collect()
        };
        // Session and CORS middleware, wherever they are created.
        if let Some(q) = qn.as_deref() {
            let arg_list = arg_nodes();
            let pkg = package_name(q);
            if (SESSION_PACKAGES.contains(&pkg) && self.imported_root(f)) || q == "passport.session" {
                let same_site =
                    if q == "passport.session" { SameSite::Unknown } else { self.same_site(arg_list.first().copied()) };
                let package = if q == "passport.session" { "passport" } else { pkg };
                self.facts.sessions.push(SessionFact { package: package.into(), span: self.span(n), same_site });
            }
            if CORS_PACKAGES.contains(&pkg) && q == pkg && self.imported_root(f) {
                self.facts.cors.push(CorsFact { span: self.span(n), bare: arg_list.is_empty() });
            }
        }
        if f.ty() != "member_expression" {
            self.pass(n);
            return;
        }
        let prop = f.field("property").map(|p| self.t(p)).unwrap_or("");
        // Security headers set by hand.
        if matches!(prop, "setHeader" | "set" | "header" | "writeHead") {
            let named = |a: Node| {
                a.ty() == "string" && SECURITY_HEADERS.contains(&module_name(a, src).to_ascii_lowercase().as_str())
            };
            let in_object = |a: Node| {
                a.ty() == "object" && {
                    let mut c = a.walk();
                    let r = a.named_children(&mut c).any(|p| {
                        p.field("key").is_some_and(|k| {
                            let k = self.t(k).trim_matches(|c| c == '"' || c == '\'').to_ascii_lowercase();
                            SECURITY_HEADERS.contains(&k.as_str())
                        })
                    });
                    r
                }
            };
            if arg_nodes().iter().any(|a| named(*a) || in_object(*a)) {
                self.facts.headers.push(self.span(n));
            }
        }
        if prop == "useGlobalPipes" {
            self.facts.global_pipes.push(self.span(n));
        }
        if !USE_METHODS.contains(&prop) {
            self.pass(n);
            return;
        }
        let Some(mut obj) = f.field("object") else { return };
        let mut path = None;
        // `app.route("/login").post(handler)`
        if obj.ty() == "call_expression" {
            if let Some(inner) = obj.field("function").filter(|x| x.ty() == "member_expression") {
                if inner.field("property").is_some_and(|p| self.t(p) == "route") {
                    path = obj.field("arguments").and_then(|a| a.named_child(0)).and_then(|a| literal_string(a, src));
                    if let Some(o) = inner.field("object") {
                        obj = o;
                    }
                }
            }
        }
        let on = self.classify(obj, 0);
        if !on.known() || matches!(on, Val::Dynamic) {
            self.pass(n);
            return;
        }
        let arg_list = arg_nodes();
        let mut fact = UseFact {
            on,
            method: prop.to_string(),
            path,
            items: Vec::new(),
            span: self.span(n),
            authenticates: false,
            autoload: None,
        };
        for (i, a) in arg_list.iter().enumerate() {
            if i == 0 && fact.path.is_none() {
                if let Some(p) = literal_string(*a, src) {
                    fact.path = Some(p);
                    continue;
                }
            }
            // Fastify `app.route({ method: "POST", url: "/login", handler })`.
            if a.ty() == "object" && prop == "route" {
                if let Some(u) = object_prop(*a, "url", src).or(object_prop(*a, "path", src)) {
                    fact.path = literal_string(u, src);
                }
                if let Some(m) = object_prop(*a, "method", src).and_then(|m| literal_string(m, src)) {
                    fact.method = m.to_ascii_lowercase();
                }
                continue;
            }
            let elems: Vec<Node> = if a.ty() == "array" {
                let mut c = a.walk();
                a.named_children(&mut c).collect()
            } else {
                vec![*a]
            };
            for e in elems {
                if self.words.passport
                    && e.ty() == "call_expression"
                    && e.field("function")
                        .and_then(|x| self.ctx.qualified_name(x))
                        .is_some_and(|q| q == "passport.authenticate")
                {
                    fact.authenticates = true;
                }
                let v = self.classify(e, 0);
                match v {
                    // Inline handlers of `use`/`get` receive requests, not the
                    // app; an inline Fastify plugin receives the app.
                    Val::Func(_) if prop != "register" => {}
                    Val::Unknown => {}
                    v => fact.items.push(v),
                }
            }
        }
        if prop == "register" {
            let plugin = fact.items.first().cloned();
            let opts = arg_list.get(1).copied();
            if let Some(Val::Import(spec, _)) = &plugin {
                let pkg = package_name(spec);
                if pkg == "@fastify/autoload" || pkg == "fastify-autoload" {
                    fact.autoload = Some(
                        opts.and_then(|o| object_prop(o, "dir", src))
                            .and_then(|d| dir_literal(d, src))
                            .unwrap_or_default(),
                    );
                }
                if SESSION_PACKAGES.contains(&pkg) {
                    let same_site = self.same_site(opts);
                    self.facts.sessions.push(SessionFact { package: pkg.into(), span: self.span(n), same_site });
                }
                if CORS_PACKAGES.contains(&pkg) {
                    self.facts.cors.push(CorsFact { span: self.span(n), bare: opts.is_none() });
                }
            }
        }
        if prop == "enableCors" {
            self.facts.cors.push(CorsFact { span: self.span(n), bare: arg_list.is_empty() });
        }
        self.facts.uses.push(fact);
    }

    /// A call handing trackable values to a function.
    fn pass(&mut self, n: Node<'a>) {
        let callee = n.field("function").or(n.field("constructor"));
        let Some(callee) = callee else { return };
        let Some(args) = n.field("arguments").filter(|a| a.ty() == "arguments") else { return };
        if self.t(callee) == "require" || callee.ty() == "import" {
            return;
        }
        let mut found = Vec::new();
        let mut c = args.walk();
        for (i, a) in args.named_children(&mut c).enumerate() {
            if a.ty() == "object" {
                let mut c2 = a.walk();
                for p in a.named_children(&mut c2) {
                    let v = match p.ty() {
                        "shorthand_property_identifier" => self.resolve(p, 0),
                        "pair" => p.field("value").map(|v| self.classify(v, 0)).unwrap_or(Val::Unknown),
                        _ => Val::Unknown,
                    };
                    if trackable(&v) {
                        found.push((u32::MAX, v));
                    }
                }
                continue;
            }
            if is_function_kind(a.ty()) {
                continue;
            }
            let v = self.classify(a, 0);
            if trackable(&v) {
                found.push((i as u32, v));
            }
        }
        if found.is_empty() {
            return;
        }
        let callee_val = match callee.ty() {
            // `this.setupMiddleware(this.app)`: a method of the same class.
            "member_expression" if callee.field("object").is_some_and(|o| o.ty() == "this") => {
                let name = callee.field("property").map(|p| self.t(p)).unwrap_or("");
                enclosing_class(callee)
                    .and_then(|c| class_method(c, name, &self.ctx.src.text))
                    .map(|m| Val::Func(m.start_byte() as u32))
                    .unwrap_or(Val::Unknown)
            }
            _ => self.classify(callee, 0),
        };
        self.facts.passes.push(PassFact {
            callee: callee_val,
            callee_text: self.t(callee).chars().take(80).collect(),
            args: found,
            span: self.span(n),
        });
    }

    fn ret(&mut self, n: Node<'a>) {
        let Some(v) = n.named_child(0) else { return };
        let Some(func) = self.ctx.enclosing_function(n) else { return };
        let val = self.classify(v, 0);
        if trackable(&val) {
            self.facts.returns.push((func.start_byte() as u32, val));
        }
    }

    fn assignment(&mut self, n: Node<'a>) {
        let (Some(l), Some(r)) = (n.field("left"), n.field("right")) else { return };
        let lt = self.t(l);
        if lt == "module.exports" {
            if r.ty() == "object" {
                self.object_exports(r);
            }
            let v = self.classify(r, 0);
            self.facts.exports.push(("default".into(), v));
        } else if l.ty() == "member_expression" {
            let obj = l.field("object").map(|o| self.t(o)).unwrap_or("");
            if obj == "module.exports" || obj == "exports" {
                let name = l.field("property").map(|p| self.t(p)).unwrap_or("").to_string();
                let v = self.classify(r, 0);
                self.facts.exports.push((name, v));
            }
        }
    }

    fn object_exports(&mut self, obj: Node<'a>) {
        let mut c = obj.walk();
        for p in obj.named_children(&mut c) {
            match p.ty() {
                "shorthand_property_identifier" => {
                    let v = self.resolve(p, 0);
                    self.facts.exports.push((self.t(p).to_string(), v));
                }
                "pair" => {
                    if let (Some(k), Some(v)) = (p.field("key"), p.field("value")) {
                        let name = self.t(k).trim_matches(|c| c == '"' || c == '\'').to_string();
                        let v = self.classify(v, 0);
                        self.facts.exports.push((name, v));
                    }
                }
                "method_definition" => {
                    if let Some(k) = p.field("name") {
                        self.facts.exports.push((self.t(k).to_string(), Val::Func(p.start_byte() as u32)));
                    }
                }
                _ => {}
            }
        }
    }

    fn export(&mut self, n: Node<'a>) {
        let src = &self.ctx.src.text;
        let is_default = {
            let mut c = n.walk();
            let r = n.children(&mut c).any(|x| x.ty() == "default");
            r
        };
        let source = n.field("source").map(|s| module_name(s, src));
        if let Some(decl) = n.field("declaration") {
            match decl.ty() {
                "lexical_declaration" | "variable_declaration" => {
                    let mut c = decl.walk();
                    for d in decl.named_children(&mut c) {
                        if let (Some(name), Some(v)) = (d.field("name"), d.field("value")) {
                            let v = self.classify(v, 0);
                            self.facts.exports.push((self.t(name).to_string(), v));
                        }
                    }
                }
                "function_declaration" | "generator_function_declaration" => {
                    let v = Val::Func(decl.start_byte() as u32);
                    if let Some(name) = decl.field("name") {
                        self.facts.exports.push((self.t(name).to_string(), v.clone()));
                    }
                    if is_default {
                        self.facts.exports.push(("default".into(), v));
                    }
                }
                "class_declaration" | "abstract_class_declaration" => {
                    if let Some(name) = decl.field("name") {
                        let v = Val::Class(self.t(name).to_string());
                        self.facts.exports.push((self.t(name).to_string(), v.clone()));
                        if is_default {
                            self.facts.exports.push(("default".into(), v));
                        }
                    }
                }
                _ if is_default => {
                    let v = self.classify(decl, 0);
                    self.facts.exports.push(("default".into(), v));
                }
                _ => {}
            }
            return;
        }
        if let Some(v) = n.field("value") {
            let v = self.classify(v, 0);
            self.facts.exports.push(("default".into(), v));
            return;
        }
        let mut c = n.walk();
        let clause = n.named_children(&mut c).find(|x| x.ty() == "export_clause");
        match (clause, source) {
            (Some(clause), source) => {
                let mut c2 = clause.walk();
                for s in clause.named_children(&mut c2).filter(|s| s.ty() == "export_specifier") {
                    let Some(name) = s.field("name") else { continue };
                    let exported = s.field("alias").unwrap_or(name);
                    let v = match &source {
                        Some(spec) => Val::Import(spec.clone(), self.t(name).to_string()),
                        None => self.resolve(name, 0),
                    };
                    self.facts.exports.push((self.t(exported).to_string(), v));
                }
            }
            (None, Some(spec)) => self.facts.exports.push(("*".into(), Val::Import(spec, "*".into()))),
            _ => {}
        }
    }

    /// NestJS classes: modules, controllers and their `@Body()` parameters.
    fn class(&mut self, n: Node<'a>) {
        let src = &self.ctx.src.text;
        let decorators = class_decorators(n);
        let Some(name) = n.field("name") else { return };
        let class_name = self.t(name).to_string();
        let mut prefix: Option<String> = None;
        let mut class_pipes = false;
        for d in &decorators {
            let (dname, args) = decorator_call(*d, src);
            match dname {
                "Module" => {
                    let mut imports = Vec::new();
                    if let Some(obj) = args.and_then(|a| a.named_child(0)).filter(|o| o.ty() == "object") {
                        if let Some(arr) = object_prop(obj, "imports", src).filter(|a| a.ty() == "array") {
                            let mut c = arr.walk();
                            for e in arr.named_children(&mut c) {
                                imports.push(self.nest_import(e));
                            }
                        }
                    }
                    self.facts.nest_modules.push(NestModuleFact {
                        class: class_name.clone(),
                        span: self.span(name),
                        imports,
                    });
                }
                "Controller" => {
                    let first = args.and_then(|a| a.named_child(0));
                    prefix = Some(match first {
                        Some(a) if a.ty() == "object" => {
                            object_prop(a, "path", src).and_then(|p| literal_string(p, src)).unwrap_or_default()
                        }
                        Some(a) => literal_string(a, src).unwrap_or_default(),
                        None => String::new(),
                    });
                }
                "UsePipes" => class_pipes = true,
                _ => {}
            }
        }
        let Some(body) = n.field("body") else { return };
        let mut c = body.walk();
        let members: Vec<Node> = body.named_children(&mut c).collect();
        for (i, m) in members.iter().enumerate() {
            if m.ty() != "method_definition" {
                continue;
            }
            // Decorators are children of the method or its preceding siblings.
            let mut decos: Vec<Node> = {
                let mut c2 = m.walk();
                m.children(&mut c2).filter(|d| d.ty() == "decorator").collect()
            };
            let mut j = i;
            while j > 0 && members[j - 1].ty() == "decorator" {
                decos.push(members[j - 1]);
                j -= 1;
            }
            let mut method_pipes = class_pipes;
            for d in &decos {
                let (dname, args) = decorator_call(*d, src);
                if dname == "UsePipes" {
                    method_pipes = true;
                }
                if let (Some(prefix), Some((_, verb))) = (&prefix, NEST_ROUTES.iter().find(|(k, _)| *k == dname)) {
                    let sub =
                        args.and_then(|a| a.named_child(0)).and_then(|a| literal_string(a, src)).unwrap_or_default();
                    let path = format!("/{}/{}", prefix.trim_matches('/'), sub.trim_matches('/'));
                    let span = m.field("name").map(|x| self.span(x)).unwrap_or(self.span(*m));
                    self.facts.nest_routes.push(RouteFact { method: verb.to_string(), path, span });
                }
            }
            let Some(params) = m.field("parameters") else { continue };
            let mut c3 = params.walk();
            for p in params.named_children(&mut c3) {
                let mut c4 = p.walk();
                let body_deco =
                    p.children(&mut c4).find(|d| d.ty() == "decorator" && decorator_call(*d, src).0 == "Body");
                let Some(deco) = body_deco else { continue };
                let (_, dargs) = decorator_call(deco, src);
                let param_pipe = dargs.is_some_and(|a| {
                    let mut c5 = a.walk();
                    let r = a.named_children(&mut c5).any(|x| x.ty() != "string");
                    r
                });
                let Some(ty) = p.field("type").and_then(|t| t.named_child(0)) else { continue };
                if ty.ty() != "type_identifier" {
                    continue;
                }
                let ty_name = self.t(ty).to_string();
                let ty_val = self.resolve(ty, 0);
                self.facts.nest_bodies.push(BodyFact {
                    ty: ty_name,
                    ty_val,
                    span: self.span(p),
                    validated: method_pipes || param_pipe,
                });
            }
        }
    }

    fn nest_import(&self, e: Node<'a>) -> Val {
        match e.ty() {
            // `ThrottlerModule.forRoot(...)`, `forwardRef(() => UsersModule)`
            "call_expression" => {
                let Some(f) = e.field("function") else { return Val::Unknown };
                if f.ty() == "member_expression" {
                    return f.field("object").map(|o| self.classify(o, 0)).unwrap_or(Val::Unknown);
                }
                if self.t(f) == "forwardRef" {
                    let inner = e.field("arguments").and_then(|a| a.named_child(0));
                    if let Some(body) = inner.and_then(|a| a.field("body")) {
                        return self.classify(body, 0);
                    }
                }
                Val::Dynamic
            }
            "spread_element" => Val::Dynamic,
            _ => self.classify(e, 0),
        }
    }

    /// `{ provide: APP_PIPE, useClass: ValidationPipe }`
    fn app_pipe_provider(&mut self, n: Node<'a>) {
        let (Some(k), Some(v)) = (n.field("key"), n.field("value")) else { return };
        if self.t(k) == "provide" && self.t(v) == "APP_PIPE" {
            if let Some(obj) = n.up() {
                self.facts.global_pipes.push(self.span(obj));
            }
        }
    }

    /// The `sameSite` a session's options give its cookie.
    fn same_site(&self, opts: Option<Node<'a>>) -> SameSite {
        let src = &self.ctx.src.text;
        let Some(opts) = opts else { return SameSite::Absent };
        let Some(obj) = resolve_object(self.ctx, opts) else { return SameSite::Unknown };
        if has_spread(obj) {
            return SameSite::Unknown;
        }
        let cookie = object_prop(obj, "cookie", src);
        let holder = match cookie {
            Some(c) if c.ty() == "object" => c,
            Some(_) => return SameSite::Unknown,
            None => obj,
        };
        if has_spread(holder) {
            return SameSite::Unknown;
        }
        match object_prop(holder, "sameSite", src) {
            None => {
                // `sess.cookie.sameSite = "lax"` later in the file.
                if self.ctx.src.text.contains("sameSite") {
                    SameSite::Unknown
                } else {
                    SameSite::Absent
                }
            }
            Some(v) => match v.ty() {
                "true" => SameSite::Protects,
                "false" => SameSite::Absent,
                _ => match literal_string(v, src).map(|s| s.to_ascii_lowercase()).as_deref() {
                    Some("strict" | "lax") => SameSite::Protects,
                    Some("none") => SameSite::Absent,
                    _ => SameSite::Unknown,
                },
            },
        }
    }
}

fn trackable(v: &Val) -> bool {
    matches!(v, Val::Obj(_) | Val::Param(..) | Val::Field(..) | Val::Import(..) | Val::Call(_))
}

/// Unwraps `await x`, `(x)`, `x as T`, `x!`, `<T>x`.
pub fn strip(mut n: Node) -> Node {
    while matches!(
        n.ty(),
        "await_expression"
            | "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "type_assertion"
    ) {
        match n.named_child(0) {
            Some(c) => n = c,
            None => break,
        }
    }
    n
}

fn ancestor_or_self<'t>(n: Node<'t>, kind: &str, s: usize, e: usize) -> Option<Node<'t>> {
    let mut cur = Some(n);
    while let Some(c) = cur {
        if c.ty() == kind && c.start_byte() == s && c.end_byte() == e {
            return Some(c);
        }
        cur = c.up();
    }
    None
}

fn enclosing_class(n: Node) -> Option<Node> {
    let mut cur = n.up();
    while let Some(p) = cur {
        if matches!(p.ty(), "class_declaration" | "abstract_class_declaration" | "class") {
            return Some(p);
        }
        cur = p.up();
    }
    None
}

fn class_method<'t>(class: Node<'t>, name: &str, src: &str) -> Option<Node<'t>> {
    let body = class.field("body")?;
    let mut c = body.walk();
    let r = body
        .named_children(&mut c)
        .find(|m| m.ty() == "method_definition" && m.field("name").is_some_and(|n| text(n, src) == name));
    r
}

/// The index of the parameter of `func` named `name`.
fn param_index(func: Node, name: &str, src: &str) -> Option<u32> {
    if let Some(p) = func.field("parameter") {
        return (text(p, src) == name).then_some(0);
    }
    let params = func.field("parameters")?;
    let mut c = params.walk();
    for (i, p) in params.named_children(&mut c).filter(|p| p.ty() != "comment").enumerate() {
        let pat = match p.ty() {
            "required_parameter" | "optional_parameter" => p.field("pattern"),
            "assignment_pattern" => p.field("left"),
            _ => Some(p),
        };
        if pat.is_some_and(|x| x.ty() == "identifier" && text(x, src) == name) {
            return Some(i as u32);
        }
    }
    None
}

fn class_decorators(n: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut c = n.walk();
    out.extend(n.children(&mut c).filter(|d| d.ty() == "decorator"));
    if let Some(p) = n.up().filter(|p| p.ty() == "export_statement") {
        let mut c2 = p.walk();
        out.extend(p.children(&mut c2).filter(|d| d.ty() == "decorator"));
    }
    out
}

/// `@Name(args)` → ("Name", args); `@Name` → ("Name", None).
fn decorator_call<'t>(d: Node<'t>, src: &'t str) -> (&'t str, Option<Node<'t>>) {
    let Some(e) = d.named_child(0) else { return ("", None) };
    match e.ty() {
        "call_expression" => {
            let f = e.field("function").map(|f| text(f, src)).unwrap_or("");
            (f.rsplit('.').next().unwrap_or(f), e.field("arguments"))
        }
        _ => (text(e, src).rsplit('.').next().unwrap_or(""), None),
    }
}

/// The text of a string literal or a template without substitutions.
pub fn literal_string(n: Node, src: &str) -> Option<String> {
    match n.ty() {
        "string" => Some(module_name_raw(n, src)),
        "template_string" => {
            let mut c = n.walk();
            let plain = !n.named_children(&mut c).any(|x| x.ty() == "template_substitution");
            plain.then(|| module_name_raw(n, src))
        }
        _ => None,
    }
}

fn module_name_raw(n: Node, src: &str) -> String {
    text(n, src).trim_matches(|c| c == '"' || c == '\'' || c == '`').to_string()
}

/// The value of property `key` of an object literal.
pub fn object_prop<'t>(obj: Node<'t>, key: &str, src: &str) -> Option<Node<'t>> {
    if obj.ty() != "object" {
        return None;
    }
    let mut c = obj.walk();
    let mut found = None;
    for p in obj.named_children(&mut c) {
        match p.ty() {
            "pair" => {
                let k = p.field("key").map(|k| text(k, src).trim_matches(|c| c == '"' || c == '\''));
                if k == Some(key) {
                    found = p.field("value");
                }
            }
            "shorthand_property_identifier" if text(p, src) == key => found = Some(p),
            _ => {}
        }
    }
    found
}

pub fn has_spread(obj: Node) -> bool {
    let mut c = obj.walk();
    let r = obj.named_children(&mut c).any(|p| p.ty() == "spread_element");
    r
}

/// `opts` as an object literal: itself, or the object a local `const`
/// holds (`const sess = {...}; session(sess)`).
pub fn resolve_object<'t>(ctx: &FileCtx<'t>, opts: Node<'t>) -> Option<Node<'t>> {
    let opts = strip(opts);
    match opts.ty() {
        "object" => Some(opts),
        "identifier" => {
            let name = ctx.text(opts);
            let mut found = None;
            descendants(ctx.tree.root_node(), |n| {
                if found.is_some() {
                    return false;
                }
                if n.ty() == "variable_declarator"
                    && n.field("name").is_some_and(|x| ctx.text(x) == name)
                    && n.start_byte() < opts.start_byte()
                {
                    found = n.field("value").map(strip).filter(|v| v.ty() == "object");
                    return false;
                }
                true
            });
            found
        }
        _ => None,
    }
}

/// `path.join(__dirname, "plugins")` → `plugins`; `"./plugins"` → `plugins`.
fn dir_literal(n: Node, src: &str) -> Option<String> {
    if let Some(s) = literal_string(n, src) {
        return Some(s.trim_start_matches("./").to_string());
    }
    if n.ty() != "call_expression" {
        return None;
    }
    let f = n.field("function")?;
    if !matches!(text(f, src), "path.join" | "join" | "path.resolve" | "resolve") {
        return None;
    }
    let args = n.field("arguments")?;
    let mut c = args.walk();
    let mut parts = Vec::new();
    for (i, a) in args.named_children(&mut c).enumerate() {
        if i == 0 && matches!(text(a, src), "__dirname" | "import.meta.dirname") {
            continue;
        }
        parts.push(literal_string(a, src)?);
    }
    Some(parts.join("/").trim_start_matches("./").to_string())
}
