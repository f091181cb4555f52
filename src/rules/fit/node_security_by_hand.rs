//! `fit/node-security-by-hand`: a Node application that handles
//! authentication or payments with two or more of its security middleware
//! missing (security headers, rate limiting, CSRF protection).

use super::{applications, relate};
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::node::apps::{is_test_or_example, with_model, App, Feature, Model};
use crate::profile::apps::under;
use crate::profile::catalog::LibKind;
use crate::profile::signals::SignalKind;
use crate::profile::{Application, Site, Stack};

const DOC: &str = r#####"
id = "fit/node-security-by-hand"
languages = ["js"]
severity = "warning"
category = "fit"
confidence = "medium"
summary = "Node app handling auth or payments lacks two or more of helmet, rate limiting, CSRF protection"

[docs]
what = """
Flags a Node application that handles authentication or payments and lacks two or more of:

- security headers: `helmet`, `@fastify/helmet` or `koa-helmet`, or the headers set by hand
  (`X-Frame-Options`, `Content-Security-Policy`, `Strict-Transport-Security` in the code);
- rate limiting: `express-rate-limit`, `rate-limiter-flexible`, `express-slow-down`, `express-brute`,
  `@fastify/rate-limit`, `@nestjs/throttler`, `koa-ratelimit`;
- CSRF protection: `csrf-csrf`, `csrf-sync`, `lusca`, `csurf`, `@fastify/csrf-protection`,
  `koa-csrf`. Only counted as missing when the application uses cookie sessions
  (express-session, cookie-session, koa-session, @fastify/session, passport sessions): an API
  authenticated by bearer tokens has no CSRF exposure.

Handling auth or payments means an auth, session or payment library among its dependencies or
imports (passport, jsonwebtoken, jose, express-session, next-auth, stripe, braintree, ...; a
password-hashing library alone does not count) or routes whose paths name login, signup,
password, token, OTP, checkout or payment. An Express/Fastify/Koa/Nest application that
creates no app in its own code (file-based route handlers served by a framework package
that builds the server, as Medusa's or Strapi's are), or whose every app is handed to code
stackfit cannot follow, is not reported: its middleware is configured where the server is
built. The
libraries are looked up in package.json and in the code's imports. The finding points at the
framework's line in package.json; the auth evidence is related.
"""
why = """
Django switches its protections on by default (G11); Node's are middleware you must add, and
forgetting one is the typical failure (G10). An application that signs users in or takes payments
without headers and rate limiting is open to clickjacking, credential stuffing and brute force on
exactly the routes that matter. The risk rules `express/missing-helmet`,
`express/missing-rate-limit` and `express/missing-csrf` point at the places to change; this
finding is the fit view: this application relies on hand-added security, and two pieces are
absent.
"""
example = '''
{ "dependencies": { "express": "^4.21.2", "jsonwebtoken": "^9.0.2", "bcrypt": "^5.1.1" } }
app.post("/login", login);     // no helmet(), no rate limiter
'''
fix = '''
Add the middleware where the app is created:

    const helmet = require("helmet");
    const { rateLimit } = require("express-rate-limit");
    app.use(helmet());
    app.use("/auth", rateLimit({ windowMs: 15 * 60 * 1000, limit: 100 }));

and, with cookie sessions, CSRF protection (csrf-csrf or csrf-sync) or `sameSite` cookies.
'''
references = [
  "https://expressjs.com/en/advanced/best-practice-security.html",
  "https://helmetjs.github.io/",
  "https://cheatsheetseries.owasp.org/cheatsheets/Nodejs_Security_Cheat_Sheet.html",
]
guidance = ["G10", "G11"]

[[examples]]
path = "package.json"
invalid = '''
{ "name": "accounts", "dependencies": { "express": "^4.21.2", "jsonwebtoken": "^9.0.2", "bcrypt": "^5.1.1" } }
'''
files = { "app.js" = "const express = require('express');\nconst jwt = require('jsonwebtoken');\nconst app = express();\napp.post('/login', async (req, res) => {\n  res.json({ token: jwt.sign({ sub: req.body.user }, process.env.JWT_SECRET) });\n});\napp.listen(3000);\n" }

[[examples]]
path = "package.json"
valid = '''
{ "name": "accounts", "dependencies": { "express": "^4.21.2", "jsonwebtoken": "^9.0.2", "helmet": "^8.0.0", "express-rate-limit": "^7.5.0" } }
'''
files = { "app.js" = "const express = require('express');\nconst helmet = require('helmet');\nconst { rateLimit } = require('express-rate-limit');\nconst jwt = require('jsonwebtoken');\nconst app = express();\napp.use(helmet());\napp.use(rateLimit({ windowMs: 60000, limit: 20 }));\napp.post('/login', async (req, res) => {\n  res.json({ token: jwt.sign({ sub: req.body.user }, process.env.JWT_SECRET) });\n});\napp.listen(3000);\n" }

# The server is built by a framework package: these route modules are
# mounted by it, and its middleware is not this package's to add.
[[examples]]
path = "package.json"
valid = '''
{ "name": "@shop/api", "dependencies": { "express": "^4.21.2", "jsonwebtoken": "^9.0.2", "@shop/framework": "^2.0.0" } }
'''
files = { "api/auth/token/route.js" = "const jwt = require('jsonwebtoken');\nconst POST = async (req, res) => {\n  res.json({ token: jwt.sign({ sub: req.auth.actor }, process.env.JWT_SECRET) });\n};\nexports.POST = POST;\n" }

[[examples]]
path = "package.json"
valid = '''
{ "name": "catalog", "dependencies": { "express": "^4.21.2" } }
'''
files = { "app.js" = "const express = require('express');\nconst app = express();\napp.get('/products', (req, res) => res.json([]));\napp.listen(3000);\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

const HASHING: &[&str] = &["bcrypt", "bcryptjs", "argon2"];
const HEADERS: &[&str] = &["helmet", "@fastify/helmet", "koa-helmet"];
const RATE_LIMIT: &[&str] = &[
    "express-rate-limit",
    "rate-limiter-flexible",
    "express-slow-down",
    "express-brute",
    "@fastify/rate-limit",
    "@nestjs/throttler",
    "koa-ratelimit",
];
const CSRF: &[&str] = &["csrf-csrf", "csrf-sync", "lusca", "csurf", "@fastify/csrf-protection", "koa-csrf"];
const SESSIONS: &[&str] =
    &["express-session", "cookie-session", "koa-session", "@fastify/session", "@fastify/secure-session"];

fn has_any(app: &Application, names: &[&str]) -> bool {
    names.iter().any(|n| app.has_lib(n) || app.deps.iter().any(|d| d.name == *n) || app.imports.contains_key(*n))
}

/// The Express/Fastify/Koa/Nest apps created under the application's root.
fn own_apps<'m>(m: &'m Model, app: &'m Application) -> impl Iterator<Item = &'m App> + 'm {
    let dir = if app.root == "." { "" } else { app.root.as_str() };
    m.apps.iter().filter(move |a| under(&a.created.path, dir))
}

/// Does the application create an app of its own whose wiring stackfit
/// follows to the end? With no app created in code, only frameworks that
/// are the server themselves (Next.js, Nuxt, hapi's config-style apps, ...)
/// leave that to the project's configuration, which the rule still judges.
fn assembles_its_server(ctx: &ProjectCtx, app: &Application) -> bool {
    with_model(ctx, |m| {
        let mut created = own_apps(m, app).filter(|a| !is_test_or_example(&a.created.path)).peekable();
        if created.peek().is_none() {
            return !matches!(app.framework.as_str(), "express" | "fastify" | "koa" | "nestjs");
        }
        created.any(|a| a.open.is_none())
    })
}

/// A CSRF check written in the project's own code, in the scope of one of
/// the application's apps (see `express/missing-csrf`).
fn checks_csrf_itself(ctx: &ProjectCtx, app: &Application) -> bool {
    with_model(ctx, |m| own_apps(m, app).any(|a| m.has(a, Feature::Csrf)))
}

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    for app in applications(ctx).iter().filter(|a| a.stack == Stack::Node) {
        // Password hashing alone (bcrypt in a CLI) is not request handling.
        let auth_libs: Vec<&String> = app
            .libs(LibKind::Auth)
            .iter()
            .filter(|l| !HASHING.contains(&l.as_str()))
            .chain(app.libs(LibKind::Payments))
            .collect();
        let auth_routes = app.sites(SignalKind::AuthRoute);
        if auth_libs.is_empty() && auth_routes.is_empty() {
            continue;
        }
        // Where the server is assembled decides where its middleware is.
        // An application that creates no app of its own (its server comes
        // from a framework package, as Medusa's or Strapi's does), or whose
        // every app is handed to code stackfit cannot follow, may well get
        // headers and rate limiting there: nothing to say.
        if !assembles_its_server(ctx, app) {
            continue;
        }
        let sessions = app.count(SignalKind::Session) > 0 || has_any(app, SESSIONS);
        let mut missing = Vec::new();
        if !has_any(app, HEADERS) && app.count(SignalKind::SecurityHeaders) == 0 {
            missing.push("security headers (helmet)");
        }
        if !has_any(app, RATE_LIMIT) {
            missing.push("rate limiting");
        }
        if sessions && !has_any(app, CSRF) && !checks_csrf_itself(ctx, app) {
            missing.push("CSRF protection for its cookie sessions");
        }
        if missing.len() < 2 {
            continue;
        }
        let mut handles = Vec::new();
        if !auth_libs.is_empty() {
            handles.push(auth_libs.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "));
        }
        if !auth_routes.is_empty() {
            handles.push(super::count(auth_routes.len(), "auth/payment route", "auth/payment routes"));
        }
        let message = format!(
            "{}: handles authentication or payments ({}) with no {}: in Node these protections are middleware you \
             must add yourself (G10)",
            app.name,
            handles.join("; "),
            match missing.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and no {last}", rest.join(", no ")),
                _ => missing.join(""),
            },
        );
        let f = out.report(app.anchor.clone(), message);
        let lib_sites: Vec<Site> = auth_libs
            .iter()
            .filter_map(|l| app.imports.get(l.as_str()).map(|loc| (l, loc)))
            .map(|(l, loc)| {
                let mut loc = loc.clone();
                loc.message = Some(format!("{l} imported"));
                Site { loc, detail: l.to_string(), handler: 0 }
            })
            .collect();
        relate(f, &[auth_routes, &lib_sites], 5);
    }
}
