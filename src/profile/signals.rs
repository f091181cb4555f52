//! Phase 1 of the profile: the workload signals of one source file, with
//! their locations, recorded as facts (`FileFacts::fit`) by the fact
//! extractor the `fit/` rules consume. JavaScript/TypeScript in
//! `signals_js.rs`, Python in `signals_py.rs`.

use crate::engine::context::FileCtx;
use crate::finding::Span;
use crate::parse::Lang;
use serde::{Deserialize, Serialize};
use tree_sitter::Node;

/// What a signal says about the code at its location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalKind {
    /// An HTTP route: an Express/Koa/Fastify/Nest/Next route, a Django URL
    /// pattern or DRF router registration.
    Route,
    /// A Django view: a function taking `request`, or a view class.
    View,
    /// A websocket server (socket.io, ws, a Nest gateway).
    WebsocketServer,
    /// A websocket message handler: a socket listener, a Channels consumer.
    WebsocketHandler,
    /// Client code opening a websocket or event stream (browser JS shipped
    /// by the application).
    PushClient,
    /// A server-sent events stream (`text/event-stream`).
    Sse,
    /// A view that waits in a loop for news before answering (long polling).
    LongPoll,
    /// A route or view named for polling.
    PollView,
    /// Client code polling the server on a timer (`setInterval` + fetch).
    PollClient,
    /// An ORM model (Django, Mongoose, Sequelize, TypeORM, Objection).
    Model,
    /// A Django admin registration.
    Admin,
    /// A background job definition (Celery, Django tasks, RQ, Dramatiq,
    /// Huey, BullMQ, Agenda).
    JobDef,
    /// Work run on a timer (node-cron, node-schedule, `cron`, Nest
    /// `@Cron`/`@Interval`): periodic maintenance, weaker evidence of a
    /// job-heavy workload than a queue worker.
    ScheduledJob,
    /// A GraphQL query or mutation field at the root of a schema (resolver
    /// maps, Nest/type-graphql `@Query`/`@Mutation`, graphene and strawberry
    /// root types): one request handler, as a route is.
    GraphqlOperation,
    /// A GraphQL subscription field: a push stream to the client.
    GraphqlSubscription,
    /// A job being enqueued (`.delay()`, `.apply_async()`, `enqueue()`).
    JobEnqueue,
    /// A job feature beyond fire-and-forget: retries, canvas (chain, group,
    /// chord), periodic schedules, waiting for results.
    JobComplex,
    /// An ML/data-science library imported.
    MlImport,
    /// An ML/data-science library used inside a request handler.
    MlInHandler,
    /// An outbound HTTP call inside a request handler.
    OutboundHttp,
    /// CPU-heavy work on the event loop inside a Node request handler.
    CpuHeavy,
    /// A synchronous fs/child_process call inside a Node request handler.
    BlockingSync,
    /// An `async def` Django view.
    AsyncView,
    /// Cookie-based sessions (express-session, cookie-session, ...).
    Session,
    /// A route whose path names authentication or payment.
    AuthRoute,
    /// Security headers set by hand (`X-Frame-Options`, CSP, HSTS).
    SecurityHeaders,
    /// `DJANGO_SETTINGS_MODULE` set to a module (detail).
    SettingsRef,
    /// A module assigning `INSTALLED_APPS` (a Django settings module).
    SettingsModule,
    /// An entry of `INSTALLED_APPS` (detail).
    InstalledApp,
    /// A setting that decides the serving model or the job system (detail:
    /// `ASGI_APPLICATION`, `CHANNEL_LAYERS`, `TASKS`, `worker_class=...`).
    Setting,
    /// `get_wsgi_application()`.
    WsgiEntry,
    /// `get_asgi_application()` or a Channels `ProtocolTypeRouter`.
    AsgiEntry,
}

impl SignalKind {
    /// How the profile names the signal.
    pub fn label(self) -> &'static str {
        match self {
            SignalKind::Route => "routes",
            SignalKind::View => "views",
            SignalKind::WebsocketServer => "websocket servers",
            SignalKind::WebsocketHandler => "websocket handlers",
            SignalKind::PushClient => "websocket/event-stream clients",
            SignalKind::Sse => "server-sent event streams",
            SignalKind::LongPoll => "long-polling views",
            SignalKind::PollView => "polling endpoints",
            SignalKind::PollClient => "polling clients",
            SignalKind::Model => "ORM models",
            SignalKind::Admin => "admin registrations",
            SignalKind::JobDef => "background job definitions",
            SignalKind::ScheduledJob => "scheduled jobs",
            SignalKind::GraphqlOperation => "GraphQL queries and mutations",
            SignalKind::GraphqlSubscription => "GraphQL subscriptions",
            SignalKind::JobEnqueue => "jobs enqueued",
            SignalKind::JobComplex => "advanced job features",
            SignalKind::MlImport => "ML/data imports",
            SignalKind::MlInHandler => "ML/data calls in request handlers",
            SignalKind::OutboundHttp => "outbound HTTP calls in handlers",
            SignalKind::CpuHeavy => "CPU-heavy sites in handlers",
            SignalKind::BlockingSync => "synchronous I/O in handlers",
            SignalKind::AsyncView => "async views",
            SignalKind::Session => "cookie sessions",
            SignalKind::AuthRoute => "auth/payment routes",
            SignalKind::SecurityHeaders => "security headers set by hand",
            SignalKind::SettingsRef => "settings references",
            SignalKind::SettingsModule => "settings modules",
            SignalKind::InstalledApp => "installed apps",
            SignalKind::Setting => "serving/job settings",
            SignalKind::WsgiEntry => "WSGI entry points",
            SignalKind::AsgiEntry => "ASGI entry points",
        }
    }

    /// How much one signal of the kind tells about the application's work
    /// (the same weights as the workload mix): orders the top signals.
    pub fn weight(self) -> usize {
        match self {
            SignalKind::WebsocketServer
            | SignalKind::WebsocketHandler
            | SignalKind::Sse
            | SignalKind::LongPoll
            | SignalKind::GraphqlSubscription
            | SignalKind::CpuHeavy
            | SignalKind::MlInHandler => 3,
            SignalKind::PollView
            | SignalKind::PollClient
            | SignalKind::PushClient
            | SignalKind::Model
            | SignalKind::JobDef
            | SignalKind::MlImport => 2,
            _ => 1,
        }
    }

    /// Wiring facts, not workload: kept out of the profile's signal list.
    pub fn is_wiring(self) -> bool {
        matches!(
            self,
            SignalKind::SettingsRef
                | SignalKind::SettingsModule
                | SignalKind::InstalledApp
                | SignalKind::Setting
                | SignalKind::WsgiEntry
                | SignalKind::AsgiEntry
                | SignalKind::SecurityHeaders
                | SignalKind::Session
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub span: Span,
    /// What exactly: `GET /users/:id`, `crypto.pbkdf2Sync`, `celery`, ...
    pub detail: String,
    /// First line of the request handler the signal sits in (0: none), so
    /// that rules can count distinct handlers.
    #[serde(default)]
    pub handler: u32,
}

/// An external module imported by the file (first import of each).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Import {
    /// npm package or top-level Python module.
    pub module: String,
    pub span: Span,
}

/// The profile facts of one file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FitFacts {
    pub signals: Vec<Signal>,
    pub imports: Vec<Import>,
}

impl crate::engine::facts::Fact for FitFacts {
    const KEY: &'static str = "fit";
}

impl FitFacts {
    pub fn add(&mut self, kind: SignalKind, span: Span, detail: impl Into<String>, handler: u32) {
        self.signals.push(Signal { kind, span, detail: detail.into(), handler });
    }

    pub fn import(&mut self, module: String, span: Span) {
        if !self.imports.iter().any(|i| i.module == module) {
            self.imports.push(Import { module, span });
        }
    }

    /// A field `name` of GraphQL root type `root` (`Query`, `Mutation`,
    /// `Subscription`): an operation, a subscription, and a mutation named
    /// for authentication or payment is an auth route too.
    pub fn graphql_field(&mut self, span: Span, root: &str, name: &str) {
        let kind = if root == "Subscription" { SignalKind::GraphqlSubscription } else { SignalKind::GraphqlOperation };
        let detail = format!("{} {name}", root.to_ascii_lowercase());
        if root == "Mutation" && mentions_auth(name) {
            self.add(SignalKind::AuthRoute, span, &detail, 0);
        }
        self.add(kind, span, detail, 0);
    }

    pub fn count(&self, kind: SignalKind) -> usize {
        self.signals.iter().filter(|s| s.kind == kind).count()
    }
}

/// Needles of the fact extractor: a file mentioning none of them has no
/// signal worth parsing for.
pub const NEEDLES: &[&str] =
    &["import", "require(", "def ", "class ", "app.", "router.", "export ", "setInterval", "WebSocket", "EventSource"];

/// Tests, fixtures and migrations say nothing about the workload the
/// application serves.
pub fn is_test_or_generated(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let dirs: Vec<&str> = rel.split('/').collect();
    let dirs = &dirs[..dirs.len().saturating_sub(1)];
    dirs.iter().any(|d| {
        matches!(
            *d,
            "test"
                | "tests"
                | "__tests__"
                | "spec"
                | "specs"
                | "e2e"
                | "fixtures"
                | "__fixtures__"
                | "__mocks__"
                | "migrations"
                | "testing"
                | "cypress"
                | "playwright"
                | "built"
                | "vendor"
        )
    }) || name.starts_with("test_")
        || name == "tests.py"
        || name == "conftest.py"
        || name.ends_with("_test.py")
        || name.ends_with("_tests.py")
        || [".test.", ".spec.", ".e2e.", ".stories."].iter().any(|m| name.contains(m))
}

/// The fact extractor of the `fit/` rules.
pub fn extract(ctx: &mut FileCtx) {
    use crate::finding::Role;
    if matches!(ctx.role, Role::Test | Role::Migration | Role::Vendored) || is_test_or_generated(ctx.rel) {
        return;
    }
    let mut facts = FitFacts::default();
    match ctx.lang {
        Lang::Python => super::signals_py::extract(ctx, &mut facts),
        _ => super::signals_js::extract(ctx, &mut facts),
    }
    // Browser code serves no request: only what it asks of the server
    // (polling, websocket and event-stream clients) says anything about
    // the workload. A browser `socket.on` is not a server endpoint.
    if ctx.role == Role::Browser {
        facts.signals.retain(|s| matches!(s.kind, SignalKind::PollClient | SignalKind::PushClient));
        facts.imports.clear();
    }
    if facts.signals.is_empty() && facts.imports.is_empty() {
        return;
    }
    facts.signals.sort();
    facts.signals.dedup_by(|a, b| a.kind == b.kind && a.span.start_line == b.span.start_line && a.detail == b.detail);
    facts.imports.sort_by(|a, b| a.span.cmp(&b.span).then(a.module.cmp(&b.module)));
    ctx.facts.set(facts);
}

/// First line of the request handler `node` sits in (0: none): the
/// innermost enclosing function that is a handler.
pub fn handler_line(ctx: &FileCtx, node: Node) -> u32 {
    let handlers = ctx.handlers();
    let mut cur = ctx.enclosing_function(node);
    while let Some(f) = cur {
        if handlers.is_handler(f) {
            return f.start_position().row as u32 + 1;
        }
        cur = ctx.enclosing_function(f);
    }
    0
}

pub fn span(ctx: &FileCtx, n: Node) -> Span {
    ctx.src.span(n.start_byte(), n.end_byte())
}

/// The span of the first line of `n` only (multi-line calls and loops are
/// reported where they start).
pub fn head_span(ctx: &FileCtx, n: Node) -> Span {
    let text = &ctx.src.text[n.start_byte()..n.end_byte()];
    let end = n.start_byte() + text.find('\n').unwrap_or(text.len());
    ctx.src.span(n.start_byte(), end)
}

/// Words in a route path or view name that mean authentication or payment.
pub const AUTH_WORDS: &[&str] = &[
    "login", "logout", "signin", "sign-in", "signup", "sign-up", "register", "password", "token", "otp", "2fa", "auth",
    "checkout", "payment", "billing", "charge",
];

pub fn mentions_auth(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    AUTH_WORDS.iter().any(|w| p.contains(w))
}

/// Does a route path or view name speak of polling (`/api/poll`,
/// `poll_messages`, `LongPollView`)? `polls` (the voting app of Django's
/// tutorial) does not.
pub fn is_poll_name(s: &str) -> bool {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if !c.is_ascii_alphanumeric() {
            words.push(std::mem::take(&mut cur));
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    words.push(cur);
    words.iter().any(|w| matches!(w.as_str(), "poll" | "polling" | "longpoll" | "longpolling"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_names() {
        assert!(is_poll_name("/api/poll/"));
        assert!(is_poll_name("poll_messages"));
        assert!(is_poll_name("LongPollView"));
        assert!(!is_poll_name("polls/<int:pk>/"));
        assert!(!is_poll_name("PollsIndexView"));
        assert!(!is_poll_name("payroll"));
    }

    #[test]
    fn test_paths() {
        assert!(is_test_or_generated("app/tests/test_views.py"));
        assert!(is_test_or_generated("src/user.spec.ts"));
        assert!(is_test_or_generated("shop/migrations/0001_initial.py"));
        assert!(!is_test_or_generated("src/routes/contest.js"));
    }
}

#[cfg(test)]
mod extract_tests {
    use super::*;
    use crate::parse::{parse, Source};
    use std::time::Duration;

    fn signals(rel: &str, code: &str) -> Vec<(SignalKind, u32, String)> {
        let lang = Lang::from_path(std::path::Path::new(rel)).unwrap();
        let src = Source::new(code.to_string());
        let tree = parse(lang, &src.text, Duration::from_secs(5)).unwrap();
        let mut ctx = FileCtx::new(rel, lang, &src, &tree);
        extract(&mut ctx);
        ctx.facts
            .get::<FitFacts>()
            .map(|f| f.signals.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.kind, s.span.start_line, s.detail))
            .collect()
    }

    fn kinds(v: &[(SignalKind, u32, String)]) -> Vec<(SignalKind, u32)> {
        v.iter().map(|(k, l, _)| (*k, *l)).collect()
    }

    #[test]
    fn javascript_routes_clients_and_event_loop_work() {
        let code = "const express = require('express');\nconst axios = require('axios');\nconst crypto = require('crypto');\nconst app = express();\n\
                    app.get('/users', async (req, res) => {\n  const r = await axios.get('/api/x', config);\n  while (true) { const c = await next(); if (!c) break; }\n  res.json(r.data);\n});\n\
                    app.set('title', 'x');\napp.get('title');\n\
                    app.post('/login', (req, res) => {\n  res.send(crypto.pbkdf2Sync(req.body.p, 's', 1e6, 64, 'sha512'));\n});\n";
        let k = kinds(&signals("src/app.js", code));
        assert!(k.contains(&(SignalKind::Route, 5)), "{k:?}");
        assert!(k.contains(&(SignalKind::OutboundHttp, 6)), "{k:?}");
        assert!(!k.iter().any(|(kind, line)| *kind == SignalKind::Route && (*line == 6 || *line == 11)), "{k:?}");
        assert!(!k.contains(&(SignalKind::CpuHeavy, 7)), "an awaiting loop yields: {k:?}");
        assert!(k.contains(&(SignalKind::AuthRoute, 12)), "{k:?}");
        assert!(k.contains(&(SignalKind::CpuHeavy, 13)), "{k:?}");
    }

    #[test]
    fn browser_polling_and_sockets() {
        let code = "setInterval(() => fetch('/api/poll').then(render), 2000);\nconst ws = new WebSocket('wss://x');\nfunction tick() {\n  fetch('/n');\n  setTimeout(tick, 5000);\n}\n";
        let mut s = signals("static/app.js", code);
        s.sort_by_key(|x| x.1);
        assert_eq!(
            kinds(&s),
            vec![(SignalKind::PollClient, 1), (SignalKind::PushClient, 2), (SignalKind::PollClient, 5)]
        );
        assert_eq!(s[0].2, "setInterval every 2000 ms");
    }

    #[test]
    fn python_views_tasks_and_outbound_calls() {
        let code = "import requests\nfrom celery import shared_task\nfrom django.urls import path\n\n\
                    def quote(request):\n    return requests.get(URL, timeout=5)\n\n\
                    @shared_task(bind=True, max_retries=3)\ndef sync(self):\n    pass\n\n\
                    urlpatterns = [path('polls/', quote), path('api/poll/', quote)]\n";
        let s = signals("app/views.py", code);
        let k = kinds(&s);
        assert!(k.contains(&(SignalKind::View, 5)), "{k:?}");
        let out = s.iter().find(|x| x.0 == SignalKind::OutboundHttp).unwrap();
        assert_eq!(out.2, "requests.get");
        assert!(k.contains(&(SignalKind::JobDef, 8)) && k.contains(&(SignalKind::JobComplex, 8)), "{k:?}");
        let polls: Vec<&String> = s.iter().filter(|x| x.0 == SignalKind::PollView).map(|x| &x.2).collect();
        assert_eq!(polls, vec!["/api/poll/"]);
    }

    fn details(v: &[(SignalKind, u32, String)], kind: SignalKind) -> Vec<String> {
        v.iter().filter(|x| x.0 == kind).map(|x| x.2.clone()).collect()
    }

    #[test]
    fn graphql_resolver_maps_count_as_operations() {
        let code = "const { ApolloServer } = require('@apollo/server');\n\
                    const resolvers = {\n  Query: {\n    users: () => db.users(),\n    user(_, { id }) { return db.user(id); },\n  },\n\
                    \x20 Mutation: {\n    login: async (_, a) => auth(a),\n  },\n  Subscription: { postAdded: { subscribe: () => pubsub.asyncIterator('P') } },\n\
                    \x20 User: { posts: (u) => db.posts(u.id) },\n};\n\
                    const config = { Query: { ttl: 5 } };\n";
        let s = signals("src/schema.js", code);
        assert_eq!(details(&s, SignalKind::GraphqlOperation), ["query users", "query user", "mutation login"], "{s:?}");
        assert_eq!(details(&s, SignalKind::GraphqlSubscription), ["subscription postAdded"]);
        assert_eq!(details(&s, SignalKind::AuthRoute), ["mutation login"]);
        // Without a GraphQL import, only an object named for resolvers is a resolver map.
        let plain = "export const settings = { Query: { limit: 10 } };\nexport const userResolvers = { Query: { me: () => 1 } };\n";
        assert_eq!(details(&signals("src/x.js", plain), SignalKind::GraphqlOperation), ["query me"]);
    }

    #[test]
    fn graphql_object_types_and_compose_fields() {
        let code = "import { GraphQLObjectType, GraphQLString } from 'graphql';\n\
                    const Query = new GraphQLObjectType({ name: 'Query', fields: () => ({ hello: { type: GraphQLString }, me: { type: User } }) });\n\
                    const User = new GraphQLObjectType({ name: 'User', fields: { id: { type: GraphQLString } } });\n\
                    schemaComposer.Mutation.addFields({ createItem: { type: 'Item' } });\n\
                    schemaComposer.Query.addFields(collections.reduce(build, {}));\n";
        let s = signals("src/schema.ts", code);
        assert_eq!(
            details(&s, SignalKind::GraphqlOperation),
            ["query hello", "query me", "mutation createItem", "query generated fields"],
            "{s:?}"
        );
    }

    #[test]
    fn nest_graphql_resolvers_but_not_query_string_params() {
        let code = "import { Resolver, Query, Mutation, Args } from '@nestjs/graphql';\n\
                    @Resolver(() => User)\nexport class UsersResolver {\n  @Query(() => [User])\n  users() { return []; }\n\n\
                    \x20 @Mutation(() => User)\n  createUser(@Args('input') input: Input) { return input; }\n}\n";
        let s = signals("src/users.resolver.ts", code);
        assert_eq!(details(&s, SignalKind::GraphqlOperation), ["@Query users", "@Mutation createUser"], "{s:?}");
        let rest = "import { Controller, Get, Query } from '@nestjs/common';\n\
                    @Controller('users')\nexport class UsersController {\n  @Get()\n  list(@Query() q: Filter) { return q; }\n}\n";
        let s = signals("src/users.controller.ts", rest);
        assert!(details(&s, SignalKind::GraphqlOperation).is_empty(), "{s:?}");
        assert_eq!(details(&s, SignalKind::Route).len(), 1, "{s:?}");
    }

    #[test]
    fn schedules_are_not_queue_workers() {
        let code = "const schedule = require('node-schedule');\nconst { Worker } = require('bullmq');\n\
                    schedule.scheduleJob('0 3 * * *', cleanup);\nnew Worker('mail', send);\n";
        let k = kinds(&signals("src/jobs.js", code));
        assert!(k.contains(&(SignalKind::ScheduledJob, 3)) && k.contains(&(SignalKind::JobDef, 4)), "{k:?}");
        assert!(!k.contains(&(SignalKind::JobDef, 3)), "{k:?}");
    }

    #[test]
    fn compiled_route_modules_export_their_handlers() {
        let code = "\"use strict\";\nObject.defineProperty(exports, \"__esModule\", { value: true });\n\
                    exports.POST = exports.GET = void 0;\nconst GET = async (req, res) => { res.json([]); };\nexports.GET = GET;\n\
                    const POST = async (req, res) => { res.json({}); };\nexports.POST = POST;\nexports.helper = helper;\n";
        let s = signals("dist/api/admin/products/route.js", code);
        assert_eq!(
            kinds(&s).iter().filter(|k| k.0 == SignalKind::Route).map(|k| k.1).collect::<Vec<_>>(),
            [5, 7],
            "{s:?}"
        );
    }

    #[test]
    fn python_graphql_root_types() {
        let code = "import graphene\nfrom graphene import ObjectType\n\n\
                    class UserType(graphene.ObjectType):\n    name = graphene.String()\n\n\
                    class Query(ObjectType):\n    users = graphene.List(UserType)\n    user = graphene.Field(UserType, id=graphene.ID())\n\n    def resolve_users(root, info):\n        return []\n\n\
                    class Mutation(graphene.ObjectType):\n    create_user = CreateUser.Field()\n    login = Login.Field()\n";
        let s = signals("app/schema.py", code);
        assert_eq!(
            details(&s, SignalKind::GraphqlOperation),
            ["query users", "query user", "mutation create_user", "mutation login"],
            "{s:?}"
        );
        let straw = "import strawberry\n\n@strawberry.type\nclass Query:\n    books: list[Book] = strawberry.field(resolver=get_books)\n\n    @strawberry.field\n    def author(self, id: int) -> Author:\n        return load(id)\n\n\
                     @strawberry.type\nclass Book:\n    title: str\n";
        let s = signals("app/schema.py", straw);
        assert_eq!(details(&s, SignalKind::GraphqlOperation), ["query books", "query author"], "{s:?}");
        let ari = "from ariadne import QueryType, MutationType\nquery = QueryType()\nmutation = MutationType()\n\n\
                   @query.field(\"hello\")\ndef resolve_hello(*_):\n    return 'hi'\n\n@mutation.field(\"logout\")\ndef resolve_logout(*_):\n    return True\n";
        let s = signals("app/schema.py", ari);
        assert_eq!(details(&s, SignalKind::GraphqlOperation), ["query hello", "mutation logout"], "{s:?}");
    }
}
