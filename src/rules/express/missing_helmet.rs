//! `express/missing-helmet`: an app that sets no security headers.

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::finding::Location;
use crate::model::node::apps::{self, Feature};

const DOC: &str = r#####"
id = "express/missing-helmet"
languages = ["js"]
severity = "warning"
category = "security"
confidence = "medium"
tags = ["deployment"]
summary = "Node.js app without helmet or equivalent security headers"

[docs]
what = """
Flags an Express, Fastify or Koa app, or a NestJS app, on which no security-headers middleware is
registered: `helmet()` (Express, NestJS), `@fastify/helmet`, `koa-helmet`, `lusca`, or
`Content-Security-Policy` / `X-Frame-Options` / `Strict-Transport-Security` /
`X-Content-Type-Options` headers set by hand. The app is followed across the project: middleware
registered in a setup module that receives the app (`configureSecurity(app)`), in a router or
Fastify plugin mounted on it, or in a module that imports the app counts. The finding points at the
line that creates the app and lists where its other middleware is registered. When the app's wiring
cannot be followed (modules loaded by a computed name, the app handed to an unknown function or
package, a factory whose callers are outside the project), or when a security-headers package is
imported by a file of the same package that no app reaches, the rule stays silent. So it does when
a web-server or reverse-proxy config the repository ships (nginx `add_header`, Apache `Header set`,
Caddy `header`, HAProxy `http-response set-header`) sets Content-Security-Policy, X-Frame-Options or
Strict-Transport-Security: the headers come from there. Tests, examples and apps mounted into
another app are not checked. `koa-lusca` counts like `lusca`.
"""
why = """
Node frameworks send no security headers by default. Without a Content-Security-Policy an injected
script runs with the page's privileges; without X-Frame-Options/frame-ancestors the pages can be
framed for clickjacking; without HSTS the first request can be downgraded to plain HTTP; without
`nosniff` browsers may execute uploaded files as scripts. Django sets most of these through
SecurityMiddleware and XFrameOptionsMiddleware; in Node you have to add them.
"""
example = '''
const express = require("express");
const app = express();          // no helmet() anywhere
app.use(express.json());
app.use("/api", api);
'''
fix = '''
Register helmet before the routes: `app.use(helmet())` (Express, NestJS `main.ts`),
`await app.register(require("@fastify/helmet"))` (Fastify), `app.use(helmet())` from
`koa-helmet` (Koa). Tune the Content-Security-Policy for your front end rather than turning it off.
'''
references = [
  "https://helmetjs.github.io/",
  "https://expressjs.com/en/advanced/best-practice-security.html#use-helmet",
  "https://github.com/fastify/fastify-helmet",
  "https://docs.nestjs.com/security/helmet",
  "https://owasp.org/www-project-secure-headers/",
]
guidance = ["G10"]

[[examples]]
path = "src/app.js"
invalid = '''
const express = require("express");
const app = express();
app.use(express.json());
app.get("/health", (req, res) => res.send("ok"));
app.listen(3000);
'''

[[examples]]
path = "src/app.js"
valid = '''
const express = require("express");
const configureSecurity = require("./security");
const app = express();
configureSecurity(app);
app.listen(3000);
'''
files = { "src/security.js" = "const helmet = require('helmet');\nmodule.exports = function configureSecurity(app) {\n  app.use(helmet());\n};\n" }

[[examples]]
path = "src/server.js"
valid = '''
const express = require("express");
const app = express();
require(process.env.SETUP_MODULE)(app);
app.listen(3000);
'''
invalid = '''
import Fastify from "fastify";
const app = Fastify();
await app.register(import("@fastify/cors"));
app.get("/", async () => "ok");
'''

[[examples]]
path = "lib/create-app.js"
valid = '''
// A library: the app is returned to callers outside the project, who may add helmet.
const express = require("express");
module.exports = function createApp() {
  const app = express();
  app.use(express.json());
  return app;
};
'''

[[examples]]
path = "src/live.js"
valid = '''
// Created only to host a WebSocket server: no routes, no middleware.
const express = require("express");
const http = require("http");
const app = express();
http.createServer(app).listen(8080);
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    apps::with_model(ctx, |m| {
        for app in m.reportable() {
            // The headers may come from the proxy in front of the app.
            let proxied = ["content-security-policy", "x-frame-options", "strict-transport-security"]
                .iter()
                .any(|h| ctx.proxy_sets(h, &app.created.path).is_some());
            if proxied {
                continue;
            }
            if m.has(app, Feature::Headers) || m.orphan(app, Feature::Headers).is_some() {
                continue;
            }
            let pkg = apps::suggestion(Feature::Headers, app.kind);
            let installed = match m.installed(app, pkg) {
                Some(true) => format!("{pkg} is installed but not registered on it"),
                Some(false) => format!("{pkg} is not among its dependencies"),
                None => format!("{pkg} is not registered on it"),
            };
            let how = match app.kind {
                crate::model::node::facts::ObjKind::Fastify => "await app.register(require(\"@fastify/helmet\"))",
                crate::model::node::facts::ObjKind::Koa => "app.use(helmet()) from koa-helmet",
                _ => "app.use(helmet())",
            };
            let message = format!(
                "{} sends no security headers (CSP, X-Frame-Options, HSTS, nosniff): {installed} and no such headers are set in the {} files it is made of; add {how}",
                app.kind.name(),
                app.scope.len()
            );
            let at = Location { message: None, ..app.created.clone() };
            let f = out.report(at, message);
            for r in apps::related(app, 10) {
                f.related(r);
            }
        }
    });
}
