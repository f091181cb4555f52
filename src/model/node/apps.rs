//! Phase 2 of app discovery: every Express, Fastify, Koa and NestJS app of
//! the project, with the files that make it up and what is registered on it.
//!
//! An app is followed from its creation through the symbolic values of
//! [`super::facts`]: `app.use(...)`/`register(...)` calls on it, routers and
//! plugins mounted on it (into other modules), functions it is passed to
//! (`configureSecurity(app)` in another module: the function's parameter is
//! the app there), modules that import it, factories that return it. The
//! files it touches, and the modules they import, are the app's *scope*:
//! security middleware imported anywhere in the scope counts as present.
//!
//! When the wiring cannot be followed (a module loaded by a computed name,
//! the app handed to an unknown function, an unresolvable import used as
//! middleware, a factory whose callers are outside the project) the app is
//! *open*: rules that report something missing stay silent on it. They also
//! stay silent when the middleware they look for is imported by a file of
//! the same package that no app reaches (an *orphan*): it is probably
//! registered in a way stackfit does not follow.
//!
//! Phase 1 extracts the facts of every JavaScript/TypeScript file it
//! analyses (they are cached with the file), so this phase parses nothing.

use super::facts::{is_relative, package_name, NodeFacts, ObjKind, SameSite, SessionFact, Val};
use crate::engine::project::ProjectCtx;
use crate::finding::{Location, Span};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;

/// The model's maps and sets. Building the model hashes small keys (file
/// indexes, [`Val`]s, specifiers) hundreds of thousands of times, so they
/// use foldhash (already built for serde_json's and toml's maps) rather than
/// SipHash; its seeds are still random per process.
type FastMap<K, V> = foldhash::HashMap<K, V>;
type FastSet<K> = foldhash::HashSet<K>;

/// One map per file of the project (indexed like `ctx.files`): lookups by
/// `(file, &key)` need no owned key.
type PerFile<K, V> = Vec<FastMap<K, V>>;

fn per_file<K, V>(n: usize) -> RefCell<PerFile<K, V>> {
    RefCell::new((0..n).map(|_| FastMap::default()).collect())
}

/// A security feature that middleware provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    Headers,
    RateLimit,
    Csrf,
    ValidationPipe,
}

/// Packages that provide each feature.
pub fn package_features(pkg: &str) -> &'static [Feature] {
    use Feature::*;
    match pkg {
        "helmet"
        | "koa-helmet"
        | "@fastify/helmet"
        | "fastify-helmet"
        | "helmet-csp"
        | "hsts"
        | "frameguard"
        | "x-frame-options"
        | "dont-sniff-mimetype"
        | "@nestjs/helmet" => &[Headers],
        "lusca" | "koa-lusca" => &[Headers, Csrf],
        "express-rate-limit"
        | "rate-limiter-flexible"
        | "express-slow-down"
        | "@fastify/rate-limit"
        | "fastify-rate-limit"
        | "@nestjs/throttler"
        | "koa-ratelimit"
        | "koa2-ratelimit"
        | "express-brute"
        | "express-limiter"
        | "@upstash/ratelimit"
        | "rate-limit-redis"
        | "brute-knex"
        | "limiter"
        | "@nest-lab/throttler-storage-redis"
        | "nestjs-throttler-storage-redis"
        | "express-rate-limiter" => &[RateLimit],
        "csurf"
        | "csrf-csrf"
        | "csrf-sync"
        | "@fastify/csrf-protection"
        | "fastify-csrf"
        | "koa-csrf"
        | "tiny-csrf"
        | "@dr.pogodin/csurf"
        | "csrf"
        | "@koa/csrf"
        | "csrf-protection" => &[Csrf],
        _ => &[],
    }
}

/// What users install for each feature, per framework (for messages).
pub fn suggestion(feature: Feature, kind: ObjKind) -> &'static str {
    match (feature, kind) {
        (Feature::Headers, ObjKind::Fastify) => "@fastify/helmet",
        (Feature::Headers, ObjKind::Koa) => "koa-helmet",
        (Feature::Headers, _) => "helmet",
        (Feature::RateLimit, ObjKind::Fastify) => "@fastify/rate-limit",
        (Feature::RateLimit, ObjKind::Koa) => "koa-ratelimit",
        (Feature::RateLimit, ObjKind::Nest) => "@nestjs/throttler",
        (Feature::RateLimit, _) => "express-rate-limit",
        (Feature::Csrf, ObjKind::Fastify) => "@fastify/csrf-protection",
        (Feature::Csrf, ObjKind::Koa) => "koa-csrf",
        (Feature::Csrf, _) => "csrf-csrf",
        (Feature::ValidationPipe, _) => "ValidationPipe",
    }
}

/// Node built-in modules: never an alias.
const BUILTINS: &[&str] = &[
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "sys",
    "timers",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
    "test",
    "sqlite",
];

/// Packages an app may be handed to without them registering middleware:
/// servers, serverless adapters, test clients, API docs, error reporting.
const HARMLESS_PACKAGES: &[&str] = &[
    "http",
    "https",
    "http2",
    "spdy",
    "supertest",
    "serverless-http",
    "aws-serverless-express",
    "@vendia/serverless-express",
    "@codegenie/serverless-express",
    "@fastify/aws-lambda",
    "firebase-functions",
    "express-list-endpoints",
    "@nestjs/swagger",
    "class-validator",
    "express-ws",
    "ws",
    "socket.io",
    "events",
    "util",
    "assert",
    "http-terminator",
    "stoppable",
    "@godaddy/terminus",
    "greenlock-express",
    "vite",
    "@apollo/server",
    "apollo-server-express",
    "@nestjs/core",
    "@nestjs/common",
    "@nestjs/microservices",
    // Session stores read the app's keys (`session(opts, app)` in Koa).
    "koa-session",
    "koa-generic-session",
];

/// Unknown callees (globals, methods of unknown objects) the app may be
/// passed to without registering middleware on it.
const HARMLESS_CALLS: &[&str] = &[
    "listen",
    "log",
    "info",
    "warn",
    "error",
    "debug",
    "trace",
    "applyMiddleware",
    "createServer",
    "Server",
    "close",
    "emit",
    "resolve",
    "push",
    "set",
    "add",
    "bind",
    "call",
    "apply",
    "assign",
    "freeze",
    "expect",
    "equal",
    "strictEqual",
    "ok",
    "on",
    "once",
    "then",
];
const GLOBAL_OBJECTS: &[&str] =
    &["console", "Object", "Promise", "JSON", "Reflect", "process", "Array", "Math", "String", "Number", "Boolean"];

pub const ROUTE_METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "del", "all", "options", "head", "route"];

/// Is the file a test, example, demo or benchmark (whose apps are not
/// deployed)?
pub fn is_test_or_example(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    let mut segs: Vec<&str> = lower.split('/').collect();
    let file = segs.pop().unwrap_or("");
    segs.iter().any(|s| {
        matches!(
            *s,
            "test"
                | "tests"
                | "__tests__"
                | "spec"
                | "specs"
                | "e2e"
                | "__mocks__"
                | "mocks"
                | "mock"
                | "example"
                | "examples"
                | "demo"
                | "demos"
                | "benchmark"
                | "benchmarks"
                | "bench"
                | "fixtures"
                | "__fixtures__"
                | "cypress"
                | "playwright"
        )
    }) || [".test.", ".spec.", ".e2e.", ".stories.", ".bench."].iter().any(|m| file.contains(m))
}

/// A route of an app.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub at: Location,
    pub authenticates: bool,
}

impl Route {
    /// Login, sign-in, registration, password, token, OTP and 2FA routes
    /// (or any route that runs `passport.authenticate`).
    pub fn is_auth(&self) -> bool {
        if self.authenticates {
            return true;
        }
        let lower = self.path.to_ascii_lowercase();
        let tokens: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| !t.is_empty()).collect();
        tokens.windows(2).any(|w| matches!((w[0], w[1]), ("sign" | "log", "in" | "on" | "up")))
            || tokens.iter().any(|t| {
                ["login", "logon", "signin", "signup", "register", "registration", "password", "passwd", "token"]
                    .iter()
                    .any(|k| t.contains(k))
                    || matches!(*t, "otp" | "totp" | "2fa" | "mfa")
            })
    }

    pub fn changes_state(&self) -> bool {
        matches!(self.method.as_str(), "post" | "put" | "patch" | "delete" | "del" | "all")
    }
}

/// One app of the project.
#[derive(Debug, Clone)]
pub struct App {
    pub kind: ObjKind,
    pub file: usize,
    pub obj: u32,
    /// The creating call.
    pub created: Location,
    /// Files that make up the app.
    pub scope: BTreeSet<usize>,
    /// Why the app's wiring cannot be followed to the end.
    pub open: Option<String>,
    /// Middleware registrations on the app and its routers.
    pub registrations: Vec<Location>,
    pub routes: Vec<Route>,
    /// Mounted into another app (`app.use("/admin", admin)`): not reported on its own.
    pub mounted: bool,
    /// The directory of the nearest package.json ("" for the root).
    pub package_dir: Option<String>,
}

impl App {
    /// Not a test or example, not mounted into another app, and followed to
    /// the end: rules about missing middleware may report on it.
    /// An app with no middleware and no routes serves nothing but 404s
    /// (e.g. one created only to host a WebSocket server): not reported either.
    pub fn reportable(&self, model: &Model) -> bool {
        self.open.is_none()
            && !self.mounted
            && (!self.registrations.is_empty() || !self.routes.is_empty())
            && !is_test_or_example(&model.ctx.files[self.file].rel)
    }
}

/// Evidence of a feature.
#[derive(Debug, Clone)]
pub struct Found {
    pub feature: Feature,
    pub at: Location,
    pub what: String,
}

#[derive(Debug, Default)]
struct Package {
    deps: BTreeSet<String>,
}

/// What a relative module specifier resolves to.
#[derive(Clone, Copy)]
enum Module {
    File(usize),
    /// Not JavaScript/TypeScript (`./config.json`).
    NotSource,
    /// A file on disk that is not among the analysed files (minified,
    /// ignored, excluded).
    NotAnalysed,
    Absent,
    /// Above the scanned directory.
    Outside,
}

#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// A canonical value in a file; `true` when reached through a call.
    Val(usize, Val, bool),
    /// Somewhere in this module.
    Module(usize),
    /// An npm package (by name).
    Package(String),
    Unresolved(String),
}

/// A use of a value: (file, use index, reached through a call).
type UseEntry = (usize, usize, bool);
/// A value passed to a function: (file, pass index, argument index, reached through a call).
type PassEntry = (usize, usize, u32, bool);
/// A memoised `canon` result and the depth it was computed at.
type CanonMemo = (Rc<Vec<Target>>, u32);

/// What [`Model::canon`] returns. A value local to its file (an object,
/// function, parameter, field or class) stands for itself, with no list
/// allocated; imports and calls share their memoised list.
enum Targets {
    None,
    Local(Target),
    Shared(Rc<Vec<Target>>),
}

impl std::ops::Deref for Targets {
    type Target = [self::Target];
    fn deref(&self) -> &[self::Target] {
        match self {
            Targets::None => &[],
            Targets::Local(t) => std::slice::from_ref(t),
            Targets::Shared(v) => v,
        }
    }
}

/// The apps of a project and what they are made of. Built once per phase 2
/// and shared by the app-level rules (see [`with_model`]).
pub struct Model<'p> {
    pub ctx: &'p ProjectCtx<'p>,
    st: Rc<State>,
}

/// What a [`Model`] knows, free of borrows so that it can be kept in the
/// phase's memo.
pub struct State {
    /// Per directory: the directory of the nearest package.json.
    package_dirs: RefCell<FastMap<String, Option<Rc<str>>>>,
    packages: RefCell<FastMap<String, Rc<Package>>>,
    pub apps: Vec<App>,
    /// The index in `ctx.files` of each path.
    file_indexes: FastMap<String, usize>,
    /// Per canonical value (file, value): the uses (file, index, via a call)
    /// whose receiver it is.
    uses_index: RefCell<PerFile<Val, Vec<UseEntry>>>,
    /// Per canonical value (file, value): (file, pass index, argument index,
    /// via a call).
    pass_index: RefCell<PerFile<Val, Vec<PassEntry>>>,
    indexed: RefCell<Vec<bool>>,
    /// Per (importing file, relative specifier).
    modules: RefCell<PerFile<String, Module>>,
    /// Per normalised path (see [`Model::resolve_path`]).
    resolved: RefCell<FastMap<String, Module>>,
    /// Per (importing file, bare specifier).
    aliases: RefCell<PerFile<String, bool>>,
    /// `canon` results per (file, value), with the depth they were computed
    /// at (reused by calls with no more depth budget left).
    canon_memo: RefCell<PerFile<Val, CanonMemo>>,
}

impl std::ops::Deref for Model<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.st
    }
}

impl<'p> Model<'p> {
    pub fn build(ctx: &'p ProjectCtx<'p>) -> Model<'p> {
        let n = ctx.files.len();
        let st = State {
            package_dirs: RefCell::default(),
            packages: RefCell::default(),
            apps: Vec::new(),
            file_indexes: ctx.files.iter().enumerate().map(|(i, f)| (f.rel.clone(), i)).collect(),
            uses_index: per_file(n),
            pass_index: per_file(n),
            indexed: RefCell::new(vec![false; n]),
            modules: per_file(n),
            resolved: RefCell::default(),
            aliases: per_file(n),
            canon_memo: per_file(n),
        };
        let mut m = Model { ctx, st: Rc::new(st) };
        for (i, f) in ctx.files.iter().enumerate() {
            if f.facts.get::<crate::model::node::facts::NodeFacts>().is_some() {
                m.index_file(i);
            }
        }
        let mut apps = Vec::new();
        let mut mounted = HashSet::new();
        for (i, f) in ctx.files.iter().enumerate() {
            let Some(facts) = f.facts.get::<crate::model::node::facts::NodeFacts>() else { continue };
            for (o, obj) in facts.objects.iter().enumerate() {
                if obj.kind.is_app() {
                    apps.push(m.follow(i, o as u32, &mut mounted));
                }
            }
        }
        for a in &mut apps {
            a.mounted = mounted.contains(&(a.file, a.obj));
            a.package_dir = m.package_dir(&ctx.files[a.file].rel);
        }
        Rc::get_mut(&mut m.st).expect("the model is not shared while it is built").apps = apps;
        m
    }

    fn file_index(&self, rel: &str) -> Option<usize> {
        self.file_indexes.get(rel).copied()
    }

    /// The facts phase 1 extracted from a file (every JavaScript and
    /// TypeScript file it analysed).
    pub fn facts(&self, file: usize) -> Option<&'p NodeFacts> {
        self.ctx.files[file].facts.get::<crate::model::node::facts::NodeFacts>()
    }

    pub fn loc(&self, file: usize, span: Span, message: impl Into<String>) -> Location {
        Location { path: self.ctx.files[file].rel.clone(), span, message: Some(message.into()) }
    }

    fn index_file(&self, file: usize) {
        if std::mem::replace(&mut self.indexed.borrow_mut()[file], true) {
            return;
        }
        let Some(facts) = self.facts(file) else { return };
        for (ui, u) in facts.uses.iter().enumerate() {
            for t in self.canon(file, &u.on, 0).iter() {
                if let Target::Val(g, v, via) = t {
                    push_entry(&mut self.uses_index.borrow_mut()[*g], v, (file, ui, *via));
                }
            }
        }
        for (pi, p) in facts.passes.iter().enumerate() {
            for (ai, a) in &p.args {
                for t in self.canon(file, a, 0).iter() {
                    if let Target::Val(g, v, via) = t {
                        push_entry(&mut self.pass_index.borrow_mut()[*g], v, (file, pi, *ai, *via));
                    }
                }
            }
        }
    }

    /// The uses whose receiver is the canonical value `(file, v)`.
    fn uses_of(&self, file: usize, v: &Val) -> Vec<UseEntry> {
        self.uses_index.borrow()[file].get(v).cloned().unwrap_or_default()
    }

    /// The passes of the canonical value `(file, v)` to functions.
    fn passes_of(&self, file: usize, v: &Val) -> Vec<PassEntry> {
        self.pass_index.borrow()[file].get(v).cloned().unwrap_or_default()
    }

    /// What `v` (as seen in `file`) denotes, following imports, exports and
    /// calls to the values they stand for.
    fn canon(&self, file: usize, v: &Val, depth: u32) -> Targets {
        if depth > 12 {
            return Targets::None;
        }
        match v {
            // What `canon_uncached` would answer, without allocating.
            Val::Obj(_) | Val::Func(_) | Val::Param(..) | Val::Field(..) | Val::Class(_) => {
                return Targets::Local(Target::Val(file, v.clone(), false))
            }
            Val::Unknown => return Targets::None,
            Val::Dynamic => return Targets::Shared(Rc::new(self.canon_uncached(file, v, depth))),
            Val::Import(..) | Val::Call(_) => {}
        }
        if let Some((t, d)) = self.canon_memo.borrow()[file].get(v) {
            if *d <= depth {
                return Targets::Shared(t.clone());
            }
        }
        let t = Rc::new(self.canon_uncached(file, v, depth));
        self.canon_memo.borrow_mut()[file].insert(v.clone(), (t.clone(), depth));
        Targets::Shared(t)
    }

    fn canon_uncached(&self, file: usize, v: &Val, depth: u32) -> Vec<Target> {
        match v {
            Val::Obj(_) | Val::Func(_) | Val::Param(..) | Val::Field(..) | Val::Class(_) => {
                vec![Target::Val(file, v.clone(), false)]
            }
            Val::Import(spec, name) => self.canon_import(file, spec, name, depth),
            Val::Call(inner) => {
                let mut out = Vec::new();
                for t in self.canon(file, inner, depth + 1).iter() {
                    match t {
                        Target::Val(g, Val::Func(id), _) => {
                            let g = *g;
                            add_target(&mut out, Target::Module(g));
                            let returns = self.facts(g).map(|f| f.returns.as_slice()).unwrap_or_default();
                            for (_, r) in returns.iter().filter(|(fid, _)| fid == id) {
                                for t in self.canon(g, r, depth + 1).iter() {
                                    let t = match t {
                                        Target::Val(h, v, _) => Target::Val(*h, v.clone(), true),
                                        t => t.clone(),
                                    };
                                    add_target(&mut out, t);
                                }
                            }
                        }
                        Target::Val(g, Val::Param(..), _) => {
                            add_target(&mut out, Target::Unresolved("a function received as a parameter".into()));
                            add_target(&mut out, Target::Module(*g));
                        }
                        Target::Val(g, _, _) => add_target(&mut out, Target::Module(*g)),
                        t => add_target(&mut out, t.clone()),
                    }
                }
                out
            }
            Val::Dynamic => vec![Target::Unresolved("a module loaded by a computed name".into())],
            Val::Unknown => Vec::new(),
        }
    }

    fn canon_import(&self, file: usize, spec: &str, name: &str, depth: u32) -> Vec<Target> {
        if !is_relative(spec) {
            if self.is_alias(file, spec) {
                return vec![Target::Unresolved(format!(
                    "'{spec}', a path alias or workspace package stackfit does not resolve"
                ))];
            }
            return vec![Target::Package(package_name(spec).to_string())];
        }
        match self.resolve_module(file, spec) {
            Module::File(g) => {
                let mut out = vec![Target::Module(g)];
                let Some(facts) = self.facts(g) else { return out };
                let mut exact = false;
                for (_, v) in facts.exports.iter().filter(|(n, _)| n == name) {
                    exact = true;
                    for t in self.canon(g, v, depth + 1).iter() {
                        add_target(&mut out, t.clone());
                    }
                }
                if !exact && name != "*" {
                    for (n, v) in &facts.exports {
                        if let (true, Val::Import(s2, _)) = (n == "*", v) {
                            for t in self.canon_import(g, s2, name, depth + 1) {
                                add_target(&mut out, t);
                            }
                        }
                    }
                }
                out
            }
            Module::NotSource => Vec::new(),
            Module::NotAnalysed => vec![Target::Unresolved(format!("'{spec}', which was not analysed"))],
            Module::Absent => vec![Target::Unresolved(format!("'{spec}', which does not exist"))],
            Module::Outside => vec![Target::Unresolved(format!("'{spec}', outside the scanned directory"))],
        }
    }

    fn resolve_module(&self, file: usize, spec: &str) -> Module {
        if let Some(m) = self.modules.borrow()[file].get(spec) {
            return *m;
        }
        let rel = &self.ctx.files[file].rel;
        let dir = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let m = match join_norm(dir, spec) {
            None => Module::Outside,
            Some(base) => self.resolve_path(base),
        };
        self.modules.borrow_mut()[file].insert(spec.to_string(), m);
        m
    }

    /// Resolves a normalised module path (`src/routes/auth`, before
    /// extensions and `index` files are tried). Memoised per path: many
    /// files import the same module, and a miss costs file system lookups.
    fn resolve_path(&self, base: String) -> Module {
        if let Some(m) = self.resolved.borrow().get(&base) {
            return *m;
        }
        let m = self.resolve_path_uncached(&base);
        self.resolved.borrow_mut().insert(base, m);
        m
    }

    fn resolve_path_uncached(&self, base: &str) -> Module {
        const EXTS: &[&str] = &["js", "ts", "mjs", "cjs", "jsx", "tsx", "mts", "cts"];
        // The candidates, in order: the path itself, with each extension,
        // its `index` file with each extension, then (TypeScript sources
        // import each other with the compiled extension) the TypeScript
        // source of a compiled path.
        let mut candidates = vec![base.to_string()];
        for e in EXTS {
            candidates.push(format!("{base}.{e}"));
        }
        for e in EXTS {
            candidates.push(format!("{base}/index.{e}"));
        }
        for (js, ts) in [(".js", ".ts"), (".js", ".tsx"), (".mjs", ".mts"), (".cjs", ".cts"), (".jsx", ".tsx")] {
            if let Some(stem) = base.strip_suffix(js) {
                candidates.push(format!("{stem}{ts}"));
            }
        }
        if let Some(i) = candidates.iter().find_map(|c| self.file_index(c)) {
            return Module::File(i);
        }
        let ext = base.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        if !ext.is_empty() && !ext.contains('/') && !EXTS.contains(&ext) {
            return Module::NotSource;
        }
        if candidates.iter().any(|c| self.ctx.root.join(c).is_file()) {
            Module::NotAnalysed
        } else {
            Module::Absent
        }
    }

    /// A bare specifier that is not a package: `@/lib/x`, `~/x`, `#x`, or a
    /// path resolved from the project's base directory (`routes/auth`).
    fn is_alias(&self, file: usize, spec: &str) -> bool {
        if let Some(a) = self.aliases.borrow()[file].get(spec) {
            return *a;
        }
        let a = self.is_alias_uncached(file, spec);
        self.aliases.borrow_mut()[file].insert(spec.to_string(), a);
        a
    }

    fn is_alias_uncached(&self, file: usize, spec: &str) -> bool {
        if spec.starts_with("@/") || spec.starts_with("~/") || spec.starts_with('#') || spec.starts_with('/') {
            return true;
        }
        let pkg = package_name(spec);
        if BUILTINS.contains(&pkg.strip_prefix("node:").unwrap_or(pkg)) || spec.starts_with("node:") {
            return false;
        }
        let Some(dir) = self.package_dir_of(&self.ctx.files[file].rel) else { return false };
        if self.package(&dir).deps.contains(pkg) || self.package("").deps.contains(pkg) {
            return false;
        }
        let first = spec.split('/').next().unwrap_or(spec);
        let base = if dir.is_empty() { self.ctx.root.to_path_buf() } else { self.ctx.root.join(&*dir) };
        !first.starts_with('@') && (base.join(first).exists() || base.join("src").join(first).exists())
    }

    /// The directory of the package.json nearest to `rel` ("" for the root).
    pub fn package_dir(&self, rel: &str) -> Option<String> {
        self.package_dir_of(rel).map(|d| d.to_string())
    }

    /// [`Self::package_dir`], shared: memoised per directory.
    fn package_dir_of(&self, rel: &str) -> Option<Rc<str>> {
        let dir = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        if let Some(d) = self.package_dirs.borrow().get(dir) {
            return d.clone();
        }
        let found = if self.ctx.root.join(dir).join("package.json").is_file() {
            Some(Rc::from(dir))
        } else if dir.is_empty() {
            None
        } else {
            self.package_dir_of(dir)
        };
        self.package_dirs.borrow_mut().insert(dir.to_string(), found.clone());
        found
    }

    fn package(&self, dir: &str) -> Rc<Package> {
        if let Some(p) = self.packages.borrow().get(dir) {
            return p.clone();
        }
        let path = self.ctx.root.join(dir).join("package.json");
        let mut pkg = Package::default();
        if let Some(json) =
            std::fs::read_to_string(path).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        {
            for key in ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"] {
                if let Some(obj) = json.get(key).and_then(|d| d.as_object()) {
                    pkg.deps.extend(obj.keys().cloned());
                }
            }
        }
        let p = Rc::new(pkg);
        self.packages.borrow_mut().insert(dir.to_string(), p.clone());
        p
    }

    /// Is `pkg` a dependency in the app's package.json (or the root one)?
    /// `None` when there is no package.json.
    pub fn installed(&self, app: &App, pkg: &str) -> Option<bool> {
        let dir = app.package_dir.as_deref()?;
        Some(self.package(dir).deps.contains(pkg) || self.package("").deps.contains(pkg))
    }

    /// Follows one app from its creation.
    fn follow(&self, file: usize, obj: u32, mounted: &mut HashSet<(usize, u32)>) -> App {
        let facts = self.facts(file).expect("phase-1 facts");
        let o = &facts.objects[obj as usize];
        let mut w = Walk {
            model: self,
            app: App {
                kind: o.kind,
                file,
                obj,
                created: self.loc(file, o.span, format!("the {} is created here", o.kind.name())),
                scope: BTreeSet::from([file]),
                open: None,
                registrations: Vec::new(),
                routes: Vec::new(),
                mounted: false,
                package_dir: None,
            },
            seen: FastSet::default(),
            aliases: Vec::new(),
            queue: Vec::new(),
            handled_uses: HashSet::new(),
            handled_passes: HashSet::new(),
            called: false,
            returned: Vec::new(),
            mounted,
        };
        w.alias(file, Val::Obj(obj));
        for v in &o.also {
            w.alias(file, v.clone());
        }
        if let Some(root) = &o.nest_root {
            w.nest_module(file, root.clone());
        }
        w.run();
        if !w.returned.is_empty() && !w.called && w.app.open.is_none() {
            w.app.open = Some("it is returned from a function whose callers are outside the analysed files".into());
        }
        let mut app = w.app;
        if app.open.is_none() {
            let exported = facts.exports.iter().any(|(_, v)| *v == Val::Obj(obj) || o.also.contains(v));
            if exported {
                if let Some(importer) = self.unanalysed_importer(file) {
                    app.open = Some(format!("{importer} imports it but was not analysed"));
                }
            }
        }
        self.close_scope(&mut app);
        // Routes of routers created in the app's files, wherever mounted.
        for &f in &app.scope.clone() {
            let Some(facts) = self.facts(f) else { continue };
            for (j, o) in facts.objects.iter().enumerate() {
                if o.kind.is_app() {
                    continue;
                }
                if let Some(entries) = self.uses_index.borrow()[f].get(&Val::Obj(j as u32)) {
                    for &(g, ui, _) in entries {
                        if let Some(r) = self.route(g, ui) {
                            if !app.routes.iter().any(|x| x.at == r.at) {
                                app.routes.push(r);
                            }
                        }
                    }
                }
            }
            for r in &facts.nest_routes {
                app.routes.push(Route {
                    method: r.method.clone(),
                    path: r.path.clone(),
                    at: self.loc(f, r.span, format!("{} {}", r.method.to_uppercase(), r.path)),
                    authenticates: false,
                });
            }
        }
        app
    }

    fn route(&self, file: usize, ui: usize) -> Option<Route> {
        let facts = self.facts(file)?;
        let u = &facts.uses[ui];
        if !(ROUTE_METHODS.contains(&u.method.as_str()) || u.method == "use" && u.authenticates) {
            return None;
        }
        let path = u.path.clone()?;
        Some(Route {
            method: u.method.clone(),
            path: path.clone(),
            at: self.loc(file, u.span, format!("{} {path}", u.method.to_uppercase())),
            authenticates: u.authenticates,
        })
    }

    /// A JavaScript/TypeScript file beside `file` (same or parent directory)
    /// that imports it but is not among the analysed files — e.g. the server
    /// module when only the app module is passed on the command line. Tests
    /// and examples do not count.
    fn unanalysed_importer(&self, file: usize) -> Option<String> {
        let rel = &self.ctx.files[file].rel;
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let stem = name.split('.').next().unwrap_or(name);
        let mut dirs = vec![dir.to_string()];
        if let Some((parent, _)) = dir.rsplit_once('/') {
            dirs.push(parent.to_string());
        } else if !dir.is_empty() {
            dirs.push(String::new());
        }
        for d in dirs {
            let full = if d.is_empty() { self.ctx.root.to_path_buf() } else { self.ctx.root.join(&d) };
            let Ok(entries) = std::fs::read_dir(&full) else { continue };
            for e in entries.flatten() {
                let p = e.path();
                let Some(fname) = p.file_name().and_then(|f| f.to_str()) else { continue };
                let cand = if d.is_empty() { fname.to_string() } else { format!("{d}/{fname}") };
                if !p.is_file()
                    || crate::parse::Lang::from_path(&p).is_none_or(|l| !l.is_js_family())
                    || self.file_index(cand.as_str()).is_some()
                    || is_test_or_example(&cand)
                {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&p) else { continue };
                let local = if d == dir { format!("./{stem}") } else { format!("/{stem}") };
                let hit = ['"', '\'', '`'].iter().any(|q| {
                    [
                        format!("{local}{q}"),
                        format!("{local}.js{q}"),
                        format!("{local}.ts{q}"),
                        format!("{local}/index{q}"),
                    ]
                    .iter()
                    .any(|needle| text.contains(needle.as_str()))
                });
                if hit {
                    return Some(cand);
                }
            }
        }
        None
    }

    /// Adds every project module the app's files import, transitively.
    fn close_scope(&self, app: &mut App) {
        // Breadth first.
        let mut level: Vec<usize> = app.scope.iter().copied().collect();
        while !level.is_empty() && app.scope.len() <= 5000 {
            let mut next = Vec::new();
            for f in level {
                let Some(facts) = self.facts(f) else { continue };
                for imp in &facts.imports {
                    if !is_relative(&imp.spec) {
                        continue;
                    }
                    if let Module::File(g) = self.resolve_module(f, &imp.spec) {
                        if app.scope.insert(g) {
                            next.push(g);
                        }
                    }
                }
            }
            level = next;
        }
    }

    /// Evidence of security features in the app's files.
    pub fn features(&self, app: &App) -> Vec<Found> {
        self.features_in(app.scope.iter().copied())
    }

    fn features_in(&self, files: impl Iterator<Item = usize>) -> Vec<Found> {
        let mut out = Vec::new();
        for f in files {
            let Some(facts) = self.facts(f) else { continue };
            for imp in &facts.imports {
                let pkg = package_name(&imp.spec);
                for feat in package_features(pkg) {
                    out.push(Found {
                        feature: *feat,
                        at: self.loc(f, imp.span, format!("{pkg} is imported here")),
                        what: pkg.into(),
                    });
                }
            }
            for s in &facts.headers {
                out.push(Found {
                    feature: Feature::Headers,
                    at: self.loc(f, *s, "security headers set here"),
                    what: "security headers set by hand".into(),
                });
            }
            for s in &facts.csrf_checks {
                out.push(Found {
                    feature: Feature::Csrf,
                    at: self.loc(f, *s, "CSRF check written here"),
                    what: "a CSRF check in the project's code".into(),
                });
            }
            for s in &facts.global_pipes {
                out.push(Found {
                    feature: Feature::ValidationPipe,
                    at: self.loc(f, *s, "global pipe registered here"),
                    what: "a global pipe".into(),
                });
            }
        }
        out
    }

    pub fn has(&self, app: &App, feature: Feature) -> bool {
        self.features(app).iter().any(|f| f.feature == feature)
    }

    /// The feature in a non-test file of the app's package that no app
    /// reaches: registered somehow, so a "missing" finding would be a guess.
    pub fn orphan(&self, app: &App, feature: Feature) -> Option<Found> {
        let reached: BTreeSet<usize> = self.apps.iter().flat_map(|a| a.scope.iter().copied()).collect();
        let files = (0..self.ctx.files.len()).filter(|f| {
            let rel = &self.ctx.files[*f].rel;
            !reached.contains(f)
                && self.ctx.files[*f].lang.is_js_family()
                && !is_test_or_example(rel)
                && self.package_dir_of(rel).as_deref() == app.package_dir.as_deref()
        });
        self.features_in(files).into_iter().find(|f| f.feature == feature)
    }

    /// Cookie session middleware in the app's files.
    pub fn sessions(&self, app: &App) -> Vec<(Location, SessionFact)> {
        let mut out = Vec::new();
        for &f in &app.scope {
            let Some(facts) = self.facts(f) else { continue };
            for s in &facts.sessions {
                out.push((self.loc(f, s.span, format!("{} session middleware", s.package)), s.clone()));
            }
        }
        out
    }

    /// CORS middleware in the app's files: (where, bare `cors()`).
    pub fn cors(&self, app: &App) -> Vec<(Location, bool)> {
        let mut out = Vec::new();
        for &f in &app.scope {
            let Some(facts) = self.facts(f) else { continue };
            for c in &facts.cors {
                out.push((self.loc(f, c.span, "CORS configured here"), c.bare));
            }
        }
        out
    }

    /// NestJS `@Body()` parameters typed with a class that no pipe validates.
    pub fn unvalidated_bodies(&self, app: &App) -> Vec<Location> {
        let mut out = Vec::new();
        for &f in &app.scope {
            let Some(facts) = self.facts(f) else { continue };
            for b in facts.nest_bodies.iter().filter(|b| !b.validated) {
                let is_class =
                    self.canon(f, &b.ty_val, 0).iter().any(|t| matches!(t, Target::Val(_, Val::Class(_), _)))
                        || facts.classes.contains(&b.ty);
                if is_class {
                    out.push(self.loc(f, b.span, format!("@Body() typed {} is not validated", b.ty)));
                }
            }
        }
        out
    }

    /// Apps that missing-middleware rules may report on.
    pub fn reportable(&self) -> impl Iterator<Item = &App> {
        self.apps.iter().filter(|a| a.reportable(self))
    }
}

/// The walk over one app's aliases.
struct Walk<'m, 'p> {
    model: &'m Model<'p>,
    app: App,
    seen: FastSet<(usize, Val)>,
    /// The values of `seen`, in the order they were found.
    aliases: Vec<(usize, Val)>,
    queue: Vec<(usize, Val)>,
    handled_uses: HashSet<(usize, usize)>,
    handled_passes: HashSet<(usize, usize, u32)>,
    called: bool,
    returned: Vec<(usize, u32)>,
    mounted: &'m mut HashSet<(usize, u32)>,
}

impl Walk<'_, '_> {
    fn open(&mut self, why: String) {
        if self.app.open.is_none() {
            self.app.open = Some(why);
        }
    }

    fn alias(&mut self, file: usize, v: Val) {
        if self.seen.insert((file, v.clone())) {
            self.aliases.push((file, v.clone()));
            self.queue.push((file, v));
        }
    }

    fn scope(&mut self, file: usize) {
        if self.app.scope.insert(file) {
            self.model.index_file(file);
        }
    }

    fn run(&mut self) {
        loop {
            while let Some((f, v)) = self.queue.pop() {
                let facts = self.model.facts(f);
                if let Some(facts) = &facts {
                    for (fid, r) in &facts.returns {
                        if *r == v {
                            self.returned.push((f, *fid));
                        }
                    }
                }
                for (g, ui, via) in self.model.uses_of(f, &v) {
                    self.called |= via;
                    self.handle_use(g, ui);
                }
                for (g, pi, ai, via) in self.model.passes_of(f, &v) {
                    self.called |= via;
                    self.handle_pass(g, pi, ai);
                }
            }
            // Files indexed during the walk may hold uses of known aliases
            // (those known now: the ones this finds are queued for the next
            // round).
            let mut again = false;
            for k in 0..self.aliases.len() {
                let (f, v) = &self.aliases[k];
                let (uses, passes) = (self.model.uses_of(*f, v), self.model.passes_of(*f, v));
                for (g, ui, via) in uses {
                    if !self.handled_uses.contains(&(g, ui)) {
                        self.called |= via;
                        self.handle_use(g, ui);
                        again = true;
                    }
                }
                for (g, pi, ai, via) in passes {
                    if !self.handled_passes.contains(&(g, pi, ai)) {
                        self.called |= via;
                        self.handle_pass(g, pi, ai);
                        again = true;
                    }
                }
            }
            if !again && self.queue.is_empty() {
                break;
            }
        }
    }

    fn handle_use(&mut self, g: usize, ui: usize) {
        if !self.handled_uses.insert((g, ui)) {
            return;
        }
        let Some(facts) = self.model.facts(g) else { return };
        let u = &facts.uses[ui];
        self.scope(g);
        let m = u.method.as_str();
        if matches!(m, "use" | "register" | "enableCors") || m.starts_with("useGlobal") {
            let what = match m {
                "register" => "plugin registered here",
                "enableCors" => "CORS enabled here",
                m if m.starts_with("useGlobal") => "global pipe/guard registered here",
                _ => "middleware registered here",
            };
            self.app.registrations.push(self.model.loc(g, u.span, what));
        }
        if let Some(r) = self.model.route(g, ui) {
            self.app.routes.push(r);
        }
        for item in &u.items {
            for t in self.model.canon(g, item, 0).iter() {
                match *t {
                    Target::Val(h, Val::Obj(j), _) => {
                        self.scope(h);
                        self.mounted.insert((h, j));
                        self.alias(h, Val::Obj(j));
                    }
                    Target::Val(h, Val::Func(id), _) => {
                        self.scope(h);
                        if m == "register" {
                            self.alias(h, Val::Param(id, 0));
                        }
                    }
                    Target::Val(h, _, _) | Target::Module(h) => self.scope(h),
                    Target::Package(..) => {}
                    Target::Unresolved(ref why) => self.open(format!(
                        "{} line {} registers {why} on it",
                        facts_path(self.model, g),
                        u.span.start_line
                    )),
                }
            }
        }
        if let Some(dir) = &u.autoload {
            if dir.is_empty() {
                self.open(format!(
                    "{} loads plugins with @fastify/autoload from a computed directory",
                    facts_path(self.model, g)
                ));
            } else {
                let base = self.model.ctx.files[g].rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                let Some(full) = join_norm(base, dir) else { return };
                let prefix = format!("{full}/");
                let files: Vec<usize> = (0..self.model.ctx.files.len())
                    .filter(|&i| self.model.ctx.files[i].rel.starts_with(&prefix))
                    .collect();
                for h in files {
                    self.scope(h);
                    let Some(hf) = self.model.facts(h) else { continue };
                    for (n, v) in &hf.exports {
                        if n != "default" {
                            continue;
                        }
                        for t in self.model.canon(h, v, 0).iter() {
                            if let Target::Val(k, Val::Func(id), _) = *t {
                                self.alias(k, Val::Param(id, 0));
                            }
                        }
                    }
                }
            }
        }
    }

    fn handle_pass(&mut self, g: usize, pi: usize, ai: u32) {
        if !self.handled_passes.insert((g, pi, ai)) {
            return;
        }
        let Some(facts) = self.model.facts(g) else { return };
        let p = &facts.passes[pi];
        self.scope(g);
        let line = p.span.start_line;
        let path = facts_path(self.model, g);
        let targets = self.model.canon(g, &p.callee, 0);
        if targets.is_empty() {
            let last = p.callee_text.rsplit(['.', ' ']).next().unwrap_or("");
            let root = p.callee_text.split(['.', '(']).next().unwrap_or("");
            if !HARMLESS_CALLS.contains(&last) && !GLOBAL_OBJECTS.contains(&root) {
                self.open(format!("{path} line {line} passes it to {}(), which stackfit cannot follow", p.callee_text));
            }
            return;
        }
        for t in targets.iter() {
            match *t {
                Target::Val(h, Val::Func(id), _) => {
                    self.scope(h);
                    if ai != u32::MAX {
                        self.alias(h, Val::Param(id, ai));
                    }
                }
                Target::Val(h, Val::Param(..), _) => {
                    self.scope(h);
                    self.open(format!("{path} line {line} passes it to a function received as a parameter"));
                }
                Target::Val(h, _, _) | Target::Module(h) => self.scope(h),
                Target::Package(ref pkg) => {
                    if !HARMLESS_PACKAGES.contains(&pkg.as_str())
                        && !pkg.starts_with("@sentry/")
                        && package_features(pkg).is_empty()
                    {
                        self.open(format!("{path} line {line} passes it to {pkg}, which may register middleware"));
                    }
                }
                Target::Unresolved(ref why) => self.open(format!("{path} line {line} passes it to {why}")),
            }
        }
    }

    /// Follows a NestJS module and its imports.
    fn nest_module(&mut self, file: usize, v: Val) {
        let mut stack = vec![(file, v)];
        let mut seen = HashSet::new();
        while let Some((f, v)) = stack.pop() {
            for t in self.model.canon(f, &v, 0).iter() {
                match *t {
                    Target::Val(h, Val::Class(ref name), _) => {
                        self.scope(h);
                        if !seen.insert((h, name.clone())) {
                            continue;
                        }
                        let Some(facts) = self.model.facts(h) else { continue };
                        for m in facts.nest_modules.iter().filter(|m| m.class == *name) {
                            for i in &m.imports {
                                stack.push((h, i.clone()));
                            }
                        }
                    }
                    Target::Val(h, _, _) | Target::Module(h) => self.scope(h),
                    Target::Package(..) => {}
                    Target::Unresolved(ref why) => {
                        let path = facts_path(self.model, f);
                        self.open(format!("the NestJS module graph in {path} imports {why}"));
                    }
                }
            }
        }
    }
}

fn facts_path(m: &Model, f: usize) -> String {
    m.ctx.files[f].rel.clone()
}

/// Adds `t` to the targets of a value unless it is there already. Every
/// consumer treats targets as a set in the order they are first found, but
/// one can be reached along many paths: in a function that returns a call to
/// itself in three places, the list of targets would triple at every level
/// of the depth limit (265,720 copies of one target in one Ghost migration).
/// The lists are short once free of duplicates, hence the linear search.
fn add_target(out: &mut Vec<Target>, t: Target) {
    if !out.contains(&t) {
        out.push(t);
    }
}

/// Appends `entry` to the list of `v` (cloning `v` only for a new key).
fn push_entry<E>(index: &mut FastMap<Val, Vec<E>>, v: &Val, entry: E) {
    match index.get_mut(v) {
        Some(list) => list.push(entry),
        None => {
            index.insert(v.clone(), vec![entry]);
        }
    }
}

/// `dir` joined with a relative `spec`, normalised; `None` above the root.
fn join_norm(dir: &str, spec: &str) -> Option<String> {
    let mut parts: Vec<&str> = if dir.is_empty() { Vec::new() } else { dir.split('/').collect() };
    for seg in spec.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// Sessions whose cookie is not `sameSite: "strict"/"lax"`; `None` when
/// some session's options cannot be read.
pub fn unprotected_sessions(sessions: &[(Location, SessionFact)]) -> Option<Vec<Location>> {
    let mut out = Vec::new();
    for (loc, s) in sessions {
        match s.same_site {
            SameSite::Protects => {}
            SameSite::Absent => out.push(loc.clone()),
            SameSite::Unknown => return None,
        }
    }
    Some(out)
}

/// Hands the project's model to `f`, building it on the phase's first call
/// (the app-level rules share one).
pub fn with_model<R>(ctx: &ProjectCtx, f: impl FnOnce(&Model) -> R) -> R {
    let st = ctx.memo.get::<State>().unwrap_or_else(|| {
        let m = Model::build(ctx);
        ctx.memo.put(m.st.clone());
        m.st
    });
    f(&Model { ctx, st })
}

/// Related locations for an app-level finding: where the app's middleware
/// is registered (at most `n`).
pub fn related(app: &App, n: usize) -> Vec<Location> {
    let mut out: Vec<Location> = app.registrations.clone();
    out.sort();
    out.dedup();
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: &str, path: &str) -> Route {
        Route {
            method: method.into(),
            path: path.into(),
            at: Location { path: String::new(), span: Span::default(), message: None },
            authenticates: false,
        }
    }

    #[test]
    fn authentication_routes_are_recognised_by_their_path() {
        for p in [
            "/login",
            "/auth/sign-in",
            "/users/register",
            "/registration",
            "/password/reset",
            "/oauth/token",
            "/2fa/verify",
            "/otp",
        ] {
            assert!(route("post", p).is_auth(), "{p}");
        }
        for p in ["/registry", "/posts", "/hotspots", "/design/signature"] {
            assert!(!route("post", p).is_auth(), "{p}");
        }
    }

    #[test]
    fn relative_specifiers_are_normalised_and_cannot_leave_the_root() {
        assert_eq!(join_norm("src/routes", "../security/index").as_deref(), Some("src/security/index"));
        assert_eq!(join_norm("", "./app").as_deref(), Some("app"));
        assert_eq!(join_norm("src", "../../x"), None);
    }

    #[test]
    fn test_and_example_files_are_told_apart() {
        assert!(is_test_or_example("test/app.test.js"));
        assert!(is_test_or_example("examples/auth/index.js"));
        assert!(is_test_or_example("src/app.spec.ts"));
        assert!(!is_test_or_example("src/app.js"));
        assert!(!is_test_or_example("src/contest/app.js"));
    }
}
