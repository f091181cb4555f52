//! Workload signals of a JavaScript/TypeScript file: routes, websockets and
//! event streams, polling clients, ORM models, job definitions, ML library
//! use, outbound HTTP, and CPU-heavy or synchronous work inside request
//! handlers (`ctx.handlers()`).

use super::catalog::{self, LibKind};
use super::signals::{handler_line, head_span, is_poll_name, mentions_auth, FitFacts, SignalKind as K};
use crate::engine::context::FileCtx;
use crate::parse::Syntax;
use crate::semantics::{descendants, js, text, Context};
use std::collections::{HashMap, HashSet};
use tree_sitter::Node;

const ROUTE_VERBS: &[&str] = &["get", "post", "put", "patch", "delete", "del", "all", "options", "head"];
const NEST_ROUTES: &[&str] = &["Get", "Post", "Put", "Patch", "Delete", "All", "Options", "Head"];
const HTTP_EXPORTS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/// Objects whose `.get('/x', ...)` is an HTTP client call, not a route.
const CLIENT_OBJECTS: &[&str] = &[
    "axios",
    "http",
    "https",
    "$http",
    "$",
    "jQuery",
    "api",
    "client",
    "request",
    "superagent",
    "got",
    "ky",
    "fetcher",
    "httpClient",
    "this.http",
    "this.httpClient",
    "this.httpService",
    "this.api",
    "this.client",
    "cy",
    "page",
    "browser",
    "agent",
];
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
    "request",
    "uncaughtException",
    "unhandledRejection",
    "SIGINT",
    "SIGTERM",
    "warning",
    "beforeExit",
    // net/tls/http client sockets.
    "lookup",
    "timeout",
    "connect",
    "secureConnect",
    "response",
    "free",
];
/// Model methods that run inference.
const ML_METHODS: &[&str] =
    &["predict", "predictOnBatch", "classify", "detect", "embed", "executeAsync", "execute", "fit", "train"];
const SECURITY_HEADERS: &[&str] = &["X-Frame-Options", "Content-Security-Policy", "Strict-Transport-Security"];
/// Packages that serve a GraphQL schema or build one.
const GRAPHQL_PACKAGES: &[&str] = &[
    "graphql",
    "@apollo/server",
    "apollo-server",
    "apollo-server-express",
    "apollo-server-koa",
    "apollo-server-fastify",
    "graphql-yoga",
    "@graphql-yoga/node",
    "@graphql-tools/schema",
    "graphql-tools",
    "mercurius",
    "express-graphql",
    "graphql-http",
    "graphql-compose",
    "nexus",
    "@pothos/core",
    "type-graphql",
    "@nestjs/graphql",
];
/// The root types of a GraphQL schema whose fields are operations.
const GRAPHQL_ROOTS: &[&str] = &["Query", "Mutation", "Subscription"];
const SESSION_PACKAGES: &[&str] =
    &["express-session", "cookie-session", "koa-session", "@fastify/session", "@fastify/secure-session"];

struct Js<'a, 'c> {
    ctx: &'c FileCtx<'a>,
    src: &'a str,
    /// npm packages and builtins imported by the file.
    packages: HashSet<String>,
    /// Named functions of the file, for callbacks passed by name.
    functions: HashMap<String, Node<'a>>,
}

impl<'a> Js<'a, '_> {
    fn imports(&self, pkg: &str) -> bool {
        self.packages.contains(pkg)
    }
    fn imports_kind(&self, kind: LibKind) -> bool {
        self.packages.iter().any(|p| catalog::node_lib(p) == Some(kind))
    }
    fn t(&self, n: Node) -> &'a str {
        text(n, self.src)
    }
    /// The npm package a qualified name starts from (`axios.get` → axios).
    fn package_of(&self, q: &str) -> Option<String> {
        // `@scope/pkg.member` → `@scope/pkg`; `pkg.member` → `pkg`.
        let p = catalog::npm_package_of(q)?;
        let p = match p.split_once('/') {
            Some((scope, rest)) => &p[..scope.len() + 1 + rest.split('.').next().unwrap_or(rest).len()],
            None => p.split('.').next().unwrap_or(p),
        };
        self.packages.contains(p).then(|| p.to_string())
    }
}

fn string_value(n: Node, src: &str) -> Option<String> {
    string_text(n, src).map(str::to_string)
}

/// The text of a string or template literal inside its quotes.
fn string_text<'s>(n: Node, src: &'s str) -> Option<&'s str> {
    match n.ty() {
        "string" => Some(text(n, src).trim_matches(|c| c == '"' || c == '\'')),
        "template_string" => Some(text(n, src).trim_matches('`')),
        _ => None,
    }
}

fn args_of(call: Node) -> Vec<Node> {
    let Some(args) = call.field("arguments") else { return Vec::new() };
    let mut c = args.walk();
    let v = args.named_children(&mut c).filter(|a| a.ty() != "comment").collect();
    v
}

fn is_route_path(p: &str) -> bool {
    p.starts_with('/') || p == "*"
}

pub fn extract(ctx: &FileCtx, facts: &mut FitFacts) {
    let src = ctx.src.text.as_str();
    let root = ctx.tree.root_node();
    let mut js = Js { ctx, src, packages: HashSet::new(), functions: HashMap::new() };
    // Imports and named functions first: later checks depend on them. The
    // same traversal lists the nodes those checks look at, in document
    // order.
    let mut todo: Vec<(Node, &str)> = Vec::new();
    // End of the last import statement: nothing inside one is a require
    // or a function.
    let mut import_end = 0;
    let file = ctx.rel.rsplit('/').next().unwrap_or(ctx.rel);
    let is_app_route = file.starts_with("route.");
    let is_pages_api = ctx.rel.contains("pages/api/") || ctx.rel.starts_with("api/");
    // Resolver maps name a root type: a file that names none has none.
    let graphql_roots = GRAPHQL_ROOTS.iter().any(|r| src.contains(r));
    descendants(root, |n| {
        let ty = n.ty();
        if matches!(
            ty,
            "call_expression"
                | "new_expression"
                | "decorator"
                | "string"
                | "template_string"
                | "for_statement"
                | "for_in_statement"
                | "while_statement"
                | "do_statement"
                | "class_declaration"
                | "class"
                | "export_statement"
        ) {
            todo.push((n, ty));
        }
        // Compiled route modules: `exports.GET = GET;`.
        if ty == "assignment_expression" && is_app_route {
            todo.push((n, ty));
        }
        // `Query: { users() {...} }` in a resolver map: the key is checked
        // here so that ordinary pairs are not listed.
        if ty == "pair"
            && graphql_roots
            && n.field("key")
                .is_some_and(|k| GRAPHQL_ROOTS.contains(&text(k, src).trim_matches(|c| c == '"' || c == '\'')))
        {
            todo.push((n, ty));
        }
        if n.start_byte() < import_end {
            return true;
        }
        match ty {
            "import_statement" => {
                import_end = n.end_byte();
                if let Some(s) = n.field("source") {
                    let m = js::module_name(s, src);
                    record_import(&mut js, facts, &m, n);
                }
            }
            "call_expression" => {
                let callee = n.field("function");
                let target = js::require_target(n, src).or_else(|| {
                    callee.filter(|f| f.ty() == "import").and_then(|_| {
                        args_of(n).first().filter(|a| a.ty() == "string").map(|a| js::module_name(*a, src))
                    })
                });
                if let Some(m) = target {
                    record_import(&mut js, facts, &m, n);
                }
            }
            "function_declaration" | "generator_function_declaration" => {
                if let Some(name) = n.field("name") {
                    js.functions.insert(text(name, src).to_string(), n);
                }
            }
            "variable_declarator" => {
                if let (Some(name), Some(v)) = (n.field("name"), n.field("value")) {
                    if js::is_function_kind(v.ty()) {
                        js.functions.insert(text(name, src).to_string(), v);
                    }
                }
            }
            _ => {}
        }
        true
    });

    for (n, ty) in todo {
        match ty {
            "call_expression" => call(&js, facts, n),
            "new_expression" => new_expr(&js, facts, n),
            "decorator" => decorator(&js, facts, n),
            "string" | "template_string" => {
                let value = string_text(n, src).unwrap_or_default().trim();
                if value == "text/event-stream" {
                    facts.add(K::Sse, head_span(ctx, n), "text/event-stream response", handler_line(ctx, n));
                } else if SECURITY_HEADERS.iter().any(|h| value.eq_ignore_ascii_case(h)) {
                    facts.add(K::SecurityHeaders, head_span(ctx, n), value, 0);
                }
            }
            "for_statement" | "for_in_statement" | "while_statement" | "do_statement" => loop_stmt(&js, facts, n),
            "pair" => resolver_map(&js, facts, n),
            "assignment_expression" => {
                let Some(left) = n.field("left") else { continue };
                let lt = js.t(left);
                let name = lt.strip_prefix("exports.").or_else(|| lt.strip_prefix("module.exports."));
                let value = n.field("right");
                let stub = value.is_none_or(|v| {
                    v.ty() == "assignment_expression" || (v.ty() == "unary_expression" && js.t(v).starts_with("void"))
                });
                if let Some(name) = name.filter(|x| HTTP_EXPORTS.contains(x)).filter(|_| !stub) {
                    let dir = ctx.rel.rsplit_once('/').map(|x| x.0).unwrap_or("");
                    facts.add(K::Route, head_span(ctx, n), format!("{name} {dir}"), 0);
                    if mentions_auth(dir) {
                        facts.add(K::AuthRoute, head_span(ctx, n), dir, 0);
                    }
                }
            }
            "class_declaration" | "class" => {
                let heritage = {
                    let mut c = n.walk();
                    let h = n.named_children(&mut c).find(|c| c.ty() == "class_heritage");
                    h
                };
                if let Some(h) = heritage {
                    let ht = js.t(h);
                    let orm = ["sequelize", "@sequelize/core", "objection"].iter().any(|p| js.imports(p));
                    if orm && (ht.contains("extends Model") || ht.ends_with(".Model")) {
                        let name = n.field("name").map(|x| js.t(x)).unwrap_or("model");
                        facts.add(K::Model, head_span(ctx, n), name, 0);
                    }
                }
            }
            "export_statement" if is_pages_api || is_app_route => {
                let is_default = {
                    let mut c = n.walk();
                    let r = n.children(&mut c).any(|x| x.ty() == "default");
                    r
                };
                let Some(decl) = n.field("declaration").or(n.field("value")) else {
                    continue;
                };
                if is_pages_api && is_default {
                    facts.add(K::Route, head_span(ctx, n), format!("API route {}", ctx.rel), 0);
                    if mentions_auth(ctx.rel) {
                        facts.add(K::AuthRoute, head_span(ctx, n), ctx.rel, 0);
                    }
                } else if is_app_route {
                    let mut names = Vec::new();
                    if decl.ty() == "function_declaration" {
                        names.extend(decl.field("name").map(|x| js.t(x)));
                    } else if decl.ty() == "lexical_declaration" {
                        let mut c = decl.walk();
                        for d in decl.named_children(&mut c) {
                            names.extend(d.field("name").map(|x| js.t(x)));
                        }
                    }
                    for name in names.into_iter().filter(|x| HTTP_EXPORTS.contains(x)) {
                        let dir = ctx.rel.rsplit_once('/').map(|x| x.0).unwrap_or("");
                        facts.add(K::Route, head_span(ctx, n), format!("{name} {dir}"), 0);
                        if mentions_auth(dir) {
                            facts.add(K::AuthRoute, head_span(ctx, n), dir, 0);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    recursion(&js, facts);
}

fn record_import(js: &mut Js, facts: &mut FitFacts, module: &str, at: Node) {
    let pkg = match catalog::npm_package_of(module) {
        Some(p) => p.to_string(),
        None if !module.starts_with('.') && !module.starts_with('/') && !module.is_empty() => module.to_string(),
        None => return,
    };
    let builtin = !module.contains('/') && BUILTINS.contains(&module);
    js.packages.insert(pkg.clone());
    if !builtin {
        facts.import(pkg.clone(), head_span(js.ctx, at));
    }
    if catalog::is_node_ml_package(&pkg) {
        facts.add(K::MlImport, head_span(js.ctx, at), pkg, 0);
    }
}

const BUILTINS: &[&str] = &[
    "fs",
    "path",
    "os",
    "crypto",
    "zlib",
    "child_process",
    "http",
    "https",
    "url",
    "util",
    "events",
    "stream",
    "net",
    "tls",
    "worker_threads",
    "cluster",
    "buffer",
    "assert",
    "querystring",
    "readline",
    "vm",
    "dns",
    "timers",
    "process",
    "module",
    "perf_hooks",
    "async_hooks",
];

fn call(js: &Js, facts: &mut FitFacts, n: Node) {
    let ctx = js.ctx;
    let Some(callee) = n.field("function") else { return };
    // The arguments, listed only for the calls a check looks at.
    let args_cell = std::cell::OnceCell::new();
    let args = || args_cell.get_or_init(|| args_of(n));
    let method =
        if callee.ty() == "member_expression" { callee.field("property").map(|p| js.t(p)).unwrap_or("") } else { "" };
    let object = callee.field("object");
    let object_text = object.map(|o| js.t(o)).unwrap_or("");
    let q = ctx.qualified_name(callee).unwrap_or_default();

    // Routes: `app.get('/x', handler)`, `router.route('/x').get(handler)`.
    if ROUTE_VERBS.contains(&method) && !CLIENT_OBJECTS.contains(&object_text) && js.package_of(&q).is_none() {
        let path = args().first().and_then(|a| string_value(*a, js.src));
        let on_chain = object.filter(|o| o.ty() == "call_expression").and_then(|o| {
            let f = o.field("function")?;
            if !js.t(f).ends_with(".route") {
                return None;
            }
            args_of(o).first().and_then(|a| string_value(*a, js.src))
        });
        let has_handler = args()
            .iter()
            .skip(1)
            .any(|a| js::is_function_kind(a.ty()) || matches!(a.ty(), "identifier" | "member_expression" | "array"));
        let path = match (path, on_chain) {
            (Some(p), _) if is_route_path(&p) && has_handler => Some(p),
            (_, Some(p)) if !args().is_empty() => Some(p),
            _ => None,
        };
        if let Some(p) = path {
            let detail = format!("{} {p}", method.to_ascii_uppercase());
            facts.add(K::Route, head_span(ctx, n), &detail, 0);
            if is_poll_name(&p) {
                facts.add(K::PollView, head_span(ctx, n), &detail, 0);
            }
            if mentions_auth(&p) {
                facts.add(K::AuthRoute, head_span(ctx, n), detail, 0);
            }
        }
    }
    // Custom routers: `this.route('GET', '/classes/:name', handler)`.
    if method == "route" && args().len() >= 3 {
        let verb = string_value(args()[0], js.src).unwrap_or_default();
        let path = string_value(args()[1], js.src).unwrap_or_default();
        if ROUTE_VERBS.contains(&verb.to_ascii_lowercase().as_str()) && is_route_path(&path) {
            let detail = format!("{} {path}", verb.to_ascii_uppercase());
            facts.add(K::Route, head_span(ctx, n), &detail, 0);
            if mentions_auth(&path) {
                facts.add(K::AuthRoute, head_span(ctx, n), detail, 0);
            }
        }
    }
    // Fastify `route({ method, url, handler, websocket })`, hapi
    // `server.route({ method, path, handler })`, express-ws `app.ws()`.
    if method == "route" {
        if let Some(obj) = args().first().filter(|a| a.ty() == "object") {
            let t = js.t(*obj);
            if t.contains("handler") && (t.contains("url") || t.contains("path")) {
                let pairs = object_pairs(*obj, js.src);
                let url = pairs.get("url").or(pairs.get("path")).cloned().unwrap_or_default();
                if t.contains("websocket: true") {
                    facts.add(K::WebsocketHandler, head_span(ctx, n), format!("websocket route {url}"), 0);
                } else {
                    facts.add(K::Route, head_span(ctx, n), format!("route {url}"), 0);
                    if mentions_auth(&url) {
                        facts.add(K::AuthRoute, head_span(ctx, n), url, 0);
                    }
                }
            }
        }
    }
    if method == "ws" && args().first().and_then(|a| string_value(*a, js.src)).is_some_and(|p| is_route_path(&p)) {
        facts.add(K::WebsocketHandler, head_span(ctx, n), format!("ws {}", js.t(args()[0])), 0);
    }
    // Websocket servers created by a call: `require('socket.io')(server)`, `socketio(server)`.
    let callee_is_sio = q == "socket.io"
        || (callee.ty() == "call_expression" && js::require_target(callee, js.src).as_deref() == Some("socket.io"));
    if callee_is_sio {
        facts.add(K::WebsocketServer, head_span(ctx, n), "socket.io server", 0);
    }
    if q == "socket.io-client" || q == "socket.io-client.io" || (q == "io" && !js.imports("socket.io")) {
        facts.add(K::PushClient, head_span(ctx, n), "socket.io client", 0);
    }
    // Socket listeners: `io.on('connection')`, `socket.on('chat message')`.
    if method == "on" {
        if let Some(ev) = args().first().filter(|a| a.ty() == "string").map(|a| js::module_name(*a, js.src)) {
            let o = object_text.to_ascii_lowercase();
            let socketish = o.contains("socket")
                || o == "io"
                || o.ends_with("ws")
                || o.ends_with("wss")
                || (js.imports_kind(LibKind::Realtime) && (o.contains("server") || o.contains("client")));
            let fn_arg = args().get(1).is_some_and(|a| js::is_function_kind(a.ty()) || a.ty() == "identifier");
            if socketish && fn_arg && !NON_CLIENT_EVENTS.contains(&ev.as_str()) {
                facts.add(K::WebsocketHandler, head_span(ctx, n), format!("on '{ev}'"), 0);
            }
        }
    }
    // Polling clients: `setInterval(() => fetch(...), 2000)`, or a function
    // that fetches and schedules itself again with setTimeout.
    let bare = js.t(callee);
    if matches!(bare, "setInterval" | "window.setInterval") {
        if let Some(cb) = args().first() {
            let body = if cb.ty() == "identifier" { js.functions.get(js.t(*cb)).copied() } else { Some(*cb) };
            if body.is_some_and(|b| fetches(js, b)) {
                let every = args().get(1).map(|a| js.t(*a)).unwrap_or("?");
                facts.add(K::PollClient, head_span(ctx, n), format!("setInterval every {every} ms"), 0);
            }
        }
    }
    if matches!(bare, "setTimeout" | "window.setTimeout") {
        if let (Some(cb), Some(func)) = (args().first(), ctx.enclosing_function(n)) {
            let name = function_name(func, js.src);
            if name.is_some_and(|nm| cb.ty() == "identifier" && js.t(*cb) == nm) && fetches(js, func) {
                let every = args().get(1).map(|a| js.t(*a)).unwrap_or("?");
                facts.add(K::PollClient, head_span(ctx, n), format!("re-scheduled fetch every {every} ms"), 0);
            }
        }
    }
    // ORM models and job definitions.
    if q == "mongoose.model" || (method == "model" && object_text == "mongoose") {
        let name = args().first().and_then(|a| string_value(*a, js.src)).unwrap_or_default();
        if !name.is_empty() && args().len() >= 2 {
            facts.add(K::Model, head_span(ctx, n), format!("mongoose model {name}"), 0);
        }
    }
    // Bookshelf: `ghostBookshelf.Model.extend({ tableName: 'posts' })`.
    if method == "extend"
        && object_text.ends_with(".Model")
        && args().first().is_some_and(|a| a.ty() == "object" && js.t(*a).contains("tableName"))
    {
        let table = object_pairs(args()[0], js.src).get("tableName").cloned().unwrap_or_default();
        facts.add(K::Model, head_span(ctx, n), format!("model of table {table}"), 0);
    }
    if method == "define" && args().first().is_some_and(|a| a.ty() == "string") {
        if js.imports("sequelize") || js.imports("@sequelize/core") {
            facts.add(K::Model, head_span(ctx, n), format!("sequelize model {}", js.t(args()[0])), 0);
        } else if js.imports("agenda") {
            facts.add(K::JobDef, head_span(ctx, n), format!("agenda job {}", js.t(args()[0])), 0);
        }
    }
    if method == "process" && js.imports("bull") && !object_text.starts_with("process") {
        facts.add(K::JobDef, head_span(ctx, n), "bull processor", 0);
    }
    if q == "node-cron.schedule" || q == "node-schedule.scheduleJob" || q == "cron.CronJob.from" {
        facts.add(K::ScheduledJob, head_span(ctx, n), q.clone(), 0);
    }
    // graphql-compose: `schemaComposer.Query.addFields({ ... })`.
    if method == "addFields" {
        let root = object.and_then(|o| o.field("property")).map(|p| js.t(p)).filter(|r| GRAPHQL_ROOTS.contains(r));
        if let Some(root) = root {
            match args().first().filter(|a| a.ty() == "object") {
                Some(fields) => graphql_fields(js, facts, root, *fields),
                None => graphql_field(js, facts, root, n, "generated fields"),
            }
        }
    }
    // Cookie sessions.
    if SESSION_PACKAGES.iter().any(|p| q.strip_prefix(p).is_some_and(|r| r.is_empty() || r.starts_with('.')))
        || q == "passport.session"
    {
        facts.add(K::Session, head_span(ctx, n), q.clone(), 0);
    }

    let hl = handler_line(ctx, n);
    if hl == 0 {
        return;
    }
    // Outbound HTTP from a handler: the I/O-bound work Node is built for.
    let pkg = js.package_of(&q);
    let outbound = q == "fetch"
        || q == "globalThis.fetch"
        || pkg.as_deref().is_some_and(|p| catalog::node_lib(p) == Some(LibKind::HttpClient))
        || matches!(q.as_str(), "http.request" | "https.request" | "http.get" | "https.get")
        || object_text.ends_with("httpService");
    if outbound {
        facts.add(K::OutboundHttp, head_span(ctx, n), q.clone(), hl);
    }
    // CPU-heavy and blocking calls on the event loop.
    let member = q.rsplit('.').next().unwrap_or("");
    let cpu = if q.starts_with("crypto.") && member.ends_with("Sync") && member != "randomFillSync" {
        Some((K::CpuHeavy, format!("{q} (synchronous crypto)")))
    } else if q.starts_with("zlib.") && member.ends_with("Sync") {
        Some((K::CpuHeavy, format!("{q} (synchronous compression)")))
    } else if (q.starts_with("bcrypt.") || q.starts_with("bcryptjs.")) && member.ends_with("Sync") {
        Some((K::CpuHeavy, format!("{q} (synchronous hashing)")))
    } else if pkg.as_deref().is_some_and(|p| catalog::node_lib(p) == Some(LibKind::CpuLib)) {
        Some((K::CpuHeavy, format!("{q} (image/document work on the main thread)")))
    } else if (q == "JSON.parse" || q == "JSON.stringify")
        && crate::semantics::inside(ctx.functions(), ctx.lang, n, Context::Loop, None)
        && args().first().is_some_and(|a| ctx.is_request_data(*a))
    {
        Some((K::CpuHeavy, format!("{q} of request data in a loop")))
    } else if (q.starts_with("fs.") && member.ends_with("Sync"))
        || matches!(q.as_str(), "child_process.execSync" | "child_process.execFileSync" | "child_process.spawnSync")
        || q == "Atomics.wait"
    {
        Some((K::BlockingSync, q.clone()))
    } else {
        None
    };
    if let Some((kind, detail)) = cpu {
        facts.add(kind, head_span(ctx, n), detail, hl);
    }
    // ML work in the request path.
    let ml_pkg = pkg.as_deref().is_some_and(catalog::is_node_ml_package);
    let file_has_ml = js.packages.iter().any(|p| catalog::is_node_ml_package(p));
    if ml_pkg || (file_has_ml && ML_METHODS.contains(&method)) {
        facts.add(K::MlInHandler, head_span(ctx, n), if q.is_empty() { js.t(callee).to_string() } else { q }, hl);
    }
}

fn new_expr(js: &Js, facts: &mut FitFacts, n: Node) {
    let ctx = js.ctx;
    let Some(ctor) = n.field("constructor") else { return };
    let q = ctx.qualified_name(ctor).unwrap_or_default();
    let at = head_span(ctx, n);
    match q.as_str() {
        "socket.io" | "socket.io.Server" => facts.add(K::WebsocketServer, at, "socket.io server", 0),
        "ws.Server" | "ws.WebSocketServer" | "ws.WebSocket.Server" => facts.add(K::WebsocketServer, at, "ws server", 0),
        "bullmq.Worker" => facts.add(K::JobDef, at, "bullmq worker", 0),
        "bee-queue" if js.t(n).contains("process") => facts.add(K::JobDef, at, "bee-queue", 0),
        "cron.CronJob" => facts.add(K::ScheduledJob, at, "cron job", 0),
        "graphql.GraphQLObjectType" | "GraphQLObjectType" => graphql_object_type(js, facts, n),
        "WebSocket" | "window.WebSocket" | "EventSource" | "window.EventSource" => {
            facts.add(K::PushClient, at, format!("browser {q}"), 0)
        }
        _ => {}
    }
}

fn decorator(js: &Js, facts: &mut FitFacts, n: Node) {
    let ctx = js.ctx;
    let t = js.t(n).trim_start_matches('@');
    let name = t.split('(').next().unwrap_or("").trim();
    let arg = t.split_once('(').map(|x| x.1.trim_end_matches(')').trim().trim_matches(|c| c == '\'' || c == '"'));
    let at = head_span(ctx, n);
    if NEST_ROUTES.contains(&name) {
        let path = arg.unwrap_or("");
        let detail = format!("{} /{}", name.to_ascii_uppercase(), path.trim_start_matches('/'));
        facts.add(K::Route, at, &detail, 0);
        if mentions_auth(path) {
            facts.add(K::AuthRoute, at, detail, 0);
        }
        return;
    }
    let nest_jobs = ["@nestjs/bull", "@nestjs/bullmq", "@nestjs/schedule"].iter().any(|p| js.imports(p));
    match name {
        "Sse" => facts.add(K::Sse, at, format!("@Sse({})", arg.unwrap_or("")), 0),
        "WebSocketGateway" => facts.add(K::WebsocketServer, at, "Nest websocket gateway", 0),
        "SubscribeMessage" => {
            facts.add(K::WebsocketHandler, at, format!("@SubscribeMessage({})", arg.unwrap_or("")), 0)
        }
        "Entity" if js.imports("typeorm") || js.imports("@mikro-orm/core") => {
            facts.add(K::Model, at, "entity", 0);
        }
        "Process" if nest_jobs => facts.add(K::JobDef, at, "@Process", 0),
        "Cron" | "Interval" | "Timeout" if nest_jobs => facts.add(K::ScheduledJob, at, format!("@{name}"), 0),
        // Nest and type-graphql resolvers: `@Query(() => [User])` on a
        // method (a parameter's `@Query()` is Nest's query-string pipe).
        "Query" | "Mutation" | "Subscription"
            if (js.imports("@nestjs/graphql") || js.imports("type-graphql"))
                && !n.up().is_some_and(|p| p.ty().ends_with("parameter")) =>
        {
            let method = method_after_decorator(n).and_then(|m| m.field("name")).map(|x| js.t(x)).unwrap_or("?");
            let kind = if name == "Subscription" { K::GraphqlSubscription } else { K::GraphqlOperation };
            facts.add(kind, at, format!("@{name} {method}"), 0);
        }
        "Processor" if js.imports("@nestjs/bullmq") => facts.add(K::JobDef, at, "@Processor", 0),
        _ => {}
    }
}

/// Loops in a handler that keep the event loop busy: `while (true)`
/// without awaiting, loops with huge literal bounds, nested loops over
/// request data.
fn loop_stmt(js: &Js, facts: &mut FitFacts, n: Node) {
    let ctx = js.ctx;
    let hl = handler_line(ctx, n);
    if hl == 0 || awaits(n) {
        return;
    }
    let cond = n.field("condition");
    let cond_text = cond.map(|c| js.t(c).trim_matches(|c| c == '(' || c == ')' || c == ';').trim()).unwrap_or("");
    let at = head_span(ctx, n);
    let busy = match n.ty() {
        "while_statement" | "do_statement" => matches!(cond_text, "true" | "1" | "!0"),
        "for_statement" => cond.is_none() || cond_text.is_empty(),
        _ => false,
    };
    if busy {
        facts.add(K::CpuHeavy, at, "loop without exit condition that never yields", hl);
        return;
    }
    if let Some(bound) = cond.and_then(|c| big_literal_bound(js, c)) {
        facts.add(K::CpuHeavy, at, format!("loop of {bound} iterations"), hl);
        return;
    }
    // Nested loops whose outer loop runs over request data.
    let over = match n.ty() {
        "for_in_statement" => n.field("right"),
        _ => cond,
    };
    if over.is_some_and(|o| ctx.is_request_data(o)) {
        let mut nested = false;
        if let Some(body) = n.field("body") {
            descendants(body, |c| {
                if js::is_function_kind(c.ty()) {
                    return false;
                }
                if crate::semantics::is_loop(ctx.lang, c) {
                    nested = true;
                }
                !nested
            });
        }
        if nested {
            facts.add(K::CpuHeavy, at, "nested loops over request data", hl);
        }
    }
}

fn awaits(n: Node) -> bool {
    let mut found = false;
    descendants(n, |c| {
        if js::is_function_kind(c.ty()) {
            return false;
        }
        if matches!(c.ty(), "await_expression" | "yield_expression") {
            found = true;
        }
        !found
    });
    found
}

/// `i < 10000000`, `i <= 1e7`: a literal bound of at least 100 000.
fn big_literal_bound(js: &Js, cond: Node) -> Option<u64> {
    let mut best = None;
    descendants(cond, |c| {
        if c.ty() == "number" {
            let t = js.t(c).replace('_', "");
            if let Ok(v) = t.parse::<f64>() {
                if v >= 100_000.0 && v.fract() == 0.0 {
                    best = Some(v as u64);
                }
            }
        }
        true
    });
    best
}

/// Does `func` (a callback or function) call fetch/axios/jQuery ajax/XHR?
fn fetches(js: &Js, func: Node) -> bool {
    let mut found = false;
    descendants(func, |c| {
        if c.ty() == "call_expression" || c.ty() == "new_expression" {
            let f = c.field("function").or(c.field("constructor"));
            let t = f.map(|f| js.t(f)).unwrap_or("");
            if matches!(t, "fetch" | "window.fetch" | "XMLHttpRequest" | "$.ajax" | "$.get" | "$.getJSON" | "$.post")
                || t.starts_with("axios")
                || t == "htmx.ajax"
            {
                found = true;
            }
        }
        !found
    });
    found
}

fn function_name<'a>(func: Node, src: &'a str) -> Option<&'a str> {
    if let Some(n) = func.field("name") {
        return Some(text(n, src));
    }
    let parent = func.up()?;
    (parent.ty() == "variable_declarator").then(|| parent.field("name").map(|n| text(n, src)))?
}

/// The method a decorator stands on: in TypeScript the decorators of a
/// method are its preceding siblings in the class body.
fn method_after_decorator(dec: Node) -> Option<Node> {
    if let Some(p) = dec.up().filter(|p| p.ty() == "method_definition") {
        return Some(p);
    }
    let mut next = dec.next_named_sibling();
    while let Some(x) = next {
        if x.ty() != "decorator" {
            return (x.ty() == "method_definition").then_some(x);
        }
        next = x.next_named_sibling();
    }
    None
}

/// Is this object where a GraphQL schema's resolvers are written? The file
/// imports a GraphQL package, or the object is named for resolvers
/// (`export const resolvers = { Query: {...} }`).
fn in_resolver_object(js: &Js, obj: Node) -> bool {
    if GRAPHQL_PACKAGES.iter().any(|p| js.imports(p)) {
        return true;
    }
    let mut cur = obj.up();
    for _ in 0..3 {
        let Some(p) = cur else { return false };
        let name = match p.ty() {
            "variable_declarator" => p.field("name"),
            "pair" => p.field("key"),
            "assignment_expression" => p.field("left"),
            _ => None,
        };
        if let Some(name) = name {
            return js.t(name).to_ascii_lowercase().contains("resolvers");
        }
        cur = p.up();
    }
    false
}

/// `Query: { users() {...}, user: (_, args) => ... }` in a resolver map.
fn resolver_map(js: &Js, facts: &mut FitFacts, pair: Node) {
    let (Some(key), Some(value)) = (pair.field("key"), pair.field("value")) else { return };
    let root = js.t(key).trim_matches(|c| c == '"' || c == '\'');
    if value.ty() != "object" || !pair.up().is_some_and(|o| in_resolver_object(js, o)) {
        return;
    }
    graphql_fields(js, facts, root, value);
}

/// `new GraphQLObjectType({ name: 'Query', fields: { ... } })`, the fields
/// written as an object or as a function returning one.
fn graphql_object_type(js: &Js, facts: &mut FitFacts, n: Node) {
    let Some(config) = n.field("arguments").and_then(|a| a.named_child(0)).filter(|a| a.ty() == "object") else {
        return;
    };
    let pairs = object_pairs(config, js.src);
    let Some(root) = pairs.get("name").map(String::as_str).filter(|r| GRAPHQL_ROOTS.contains(r)) else { return };
    let mut c = config.walk();
    let mut fields = config
        .named_children(&mut c)
        .find(|p| p.ty() == "pair" && p.field("key").is_some_and(|k| js.t(k) == "fields"))
        .and_then(|p| p.field("value"));
    // `fields: () => ({ ... })`
    while let Some(f) = fields.filter(|f| matches!(f.ty(), "arrow_function" | "parenthesized_expression")) {
        fields = if f.ty() == "arrow_function" { f.field("body") } else { f.named_child(0) };
    }
    match fields.filter(|f| f.ty() == "object") {
        Some(obj) => graphql_fields(js, facts, root, obj),
        None => graphql_field(js, facts, root, n, "generated fields"),
    }
}

/// One operation per field of a root type's field object.
fn graphql_fields(js: &Js, facts: &mut FitFacts, root: &str, obj: Node) {
    let mut c = obj.walk();
    for f in obj.named_children(&mut c) {
        // A literal is a setting (`Query: { ttl: 5 }`), not a field.
        let literal = f.field("value").is_some_and(|v| {
            matches!(v.ty(), "number" | "string" | "template_string" | "true" | "false" | "null" | "array")
        });
        let name = match f.ty() {
            _ if literal => None,
            "pair" | "method_definition" => f.field("key").or(f.field("name")).map(|k| js.t(k)),
            "shorthand_property_identifier" => Some(js.t(f)),
            "spread_element" => Some("spread fields"),
            _ => None,
        };
        if let Some(name) = name {
            graphql_field(js, facts, root, f, name);
        }
    }
}

fn graphql_field(js: &Js, facts: &mut FitFacts, root: &str, at: Node, name: &str) {
    facts.graphql_field(head_span(js.ctx, at), root, name.trim_matches(|c| c == '"' || c == '\''));
}

/// `{ url: '/x', method: 'GET' }` → url → /x (string values only).
fn object_pairs(obj: Node, src: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut c = obj.walk();
    for p in obj.named_children(&mut c) {
        if p.ty() == "pair" {
            if let (Some(k), Some(v)) = (p.field("key"), p.field("value")) {
                if let Some(s) = string_value(v, src) {
                    out.insert(text(k, src).trim_matches(|c| c == '"' || c == '\'').to_string(), s);
                }
            }
        }
    }
    out
}

/// Functions on a request path that call themselves twice or more
/// (exponential recursion such as a naive Fibonacci).
fn recursion(js: &Js, facts: &mut FitFacts) {
    let ctx = js.ctx;
    let handlers = ctx.handlers();
    let mut named: Vec<(&String, &Node)> = js.functions.iter().collect();
    named.sort_by_key(|(_, f)| f.start_byte());
    for (name, func) in named {
        if !handlers.is_handler(*func) {
            continue;
        }
        let mut calls = 0;
        descendants(*func, |c| {
            if c.ty() == "call_expression"
                && c.field("function").is_some_and(|f| f.ty() == "identifier" && js.t(f) == name)
            {
                calls += 1;
            }
            true
        });
        if calls >= 2 {
            let line = func.start_position().row as u32 + 1;
            facts.add(
                K::CpuHeavy,
                head_span(ctx, *func),
                format!("{name}() calls itself {calls} times per call (exponential)"),
                line,
            );
        }
    }
}
