//! `express/permissive-cors`: CORS that lets any site make credentialed
//! requests, or a bare `cors()` on an app with cookie sessions.

use crate::engine::context::FileCtx;
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::finding::Severity;
use crate::model::node::apps;
use crate::model::node::facts::{object_prop, package_name, resolve_object, strip};
use crate::parse::Syntax;
use crate::semantics::js::is_function_kind;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "express/permissive-cors"
languages = ["js"]
severity = "warning"
category = "security"
confidence = "high"
prefilter = ["cors", "Cors"]
summary = "CORS that reflects any origin with credentials, or bare cors() beside cookie sessions"

[docs]
what = """
Flags CORS configuration that lets any website read authenticated responses: `cors()` (also
`@koa/cors`, `@fastify/cors`, NestJS `app.enableCors()` and `NestFactory.create(..., { cors })`)
whose `origin` is `true`, `"*"` or a function that accepts every origin, together with
`credentials: true` (error, at the call). It also flags a bare `cors()` — every origin allowed —
on an app that uses cookie sessions (warning, at the call; only for apps whose wiring stackfit
follows to the end, since the session and the CORS call must belong to the same app), since the API then answers every
site and one later `credentials: true` away from leaking sessions.
"""
why = """
`origin: true` and origin callbacks that always say yes make the server echo whatever Origin the
browser sends. With `credentials: true` the browser then sends the user's cookies on requests from
any website and lets that website read the responses: any page the user visits can read their
account data and act through the API. (`"*"` with credentials is refused by browsers, so that
configuration is broken as well as careless.)
"""
example = '''
app.use(cors({ origin: true, credentials: true }));
'''
fix = '''
List the origins that may call the API with credentials:
`cors({ origin: ["https://app.example.com"], credentials: true })`, or check the origin in the
callback against such a list. Leave `credentials` off for public, cookie-less APIs.
'''
references = [
  "https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS#requests_with_credentials",
  "https://github.com/expressjs/cors#configuration-options",
  "https://portswigger.net/web-security/cors",
  "https://cwe.mitre.org/data/definitions/942.html",
]
guidance = ["G10"]

[[examples]]
invalid = '''
const cors = require("cors");
app.use(cors({ origin: true, credentials: true }));
'''
valid = '''
const cors = require("cors");
app.use(cors({ origin: ["https://shop.example.com"], credentials: true }));
'''

[[examples]]
invalid = '''
const cors = require("cors");
const corsOptions = {
  origin: (origin, callback) => callback(null, true),
  credentials: true,
};
app.use(cors(corsOptions));
'''
valid = '''
const cors = require("cors");
const allowed = new Set(["https://shop.example.com"]);
app.use(cors({ origin: (origin, cb) => cb(null, allowed.has(origin)), credentials: true }));
'''

[[examples]]
path = "app.js"
invalid = '''
const express = require("express");
const session = require("express-session");
const cors = require("cors");
const app = express();
app.use(session({ secret: process.env.SECRET, cookie: { secure: true, sameSite: "lax" } }));
app.use(cors());
'''
valid = '''
const express = require("express");
const cors = require("cors");
const app = express();
app.use(cors());
'''
"#####;

pub const RULE: CodeRule = CodeRule {
    doc: DOC,
    kinds: &["call_expression"],
    node: Some(check_call),
    project: Some(check_project),
    ..CodeRule::EMPTY
};

const CORS_PACKAGES: &[&str] = &["cors", "@koa/cors", "kcors", "koa2-cors"];

/// The options object of a CORS configuration call, if `call` is one.
fn cors_options<'t>(call: Node<'t>, ctx: &FileCtx<'t>) -> Option<Node<'t>> {
    let f = call.field("function")?;
    let args = call.field("arguments")?;
    let arg = |i| args.named_child(i);
    let q = ctx.qualified_name(f);
    if let Some(q) = q.as_deref() {
        if CORS_PACKAGES.contains(&q) && package_name(q) == q && ctx.bindings().imports.contains_key(ctx.text(f)) {
            return arg(0);
        }
        if q == "@nestjs/core.NestFactory.create" {
            return arg(1).and_then(|o| resolve_object(ctx, o)).and_then(|o| object_prop(o, "cors", &ctx.src.text));
        }
    }
    if f.ty() != "member_expression" {
        return None;
    }
    let prop = f.field("property").map(|p| ctx.text(p))?;
    match prop {
        "enableCors" => arg(0),
        "register" => {
            let plugin = arg(0)?;
            let pq = ctx.qualified_name(strip(plugin)).or_else(|| {
                // `register(import("@fastify/cors"), opts)`
                let p = strip(plugin);
                (p.ty() == "call_expression" && p.field("function").is_some_and(|x| x.ty() == "import"))
                    .then(|| p.field("arguments").and_then(|a| a.named_child(0)))
                    .flatten()
                    .map(|s| crate::semantics::js::module_name(s, &ctx.src.text))
            })?;
            matches!(package_name(&pq), "@fastify/cors" | "fastify-cors").then(|| arg(1)).flatten()
        }
        _ => None,
    }
}

/// `origin` that accepts every site: `true`, `"*"`, or a callback that
/// says yes without looking.
fn permissive_origin(v: Node, ctx: &FileCtx) -> Option<&'static str> {
    let v = strip(v);
    match v.ty() {
        "true" => Some("origin: true reflects every origin"),
        "string" if ctx.text(v).trim_matches(|c| c == '"' || c == '\'') == "*" => {
            Some("origin: \"*\" allows every origin")
        }
        k if is_function_kind(k) => {
            let body = v.field("body").map(|b| ctx.text(b)).unwrap_or("");
            let checks = [
                "if",
                "?",
                "includes",
                "indexOf",
                "test(",
                "match",
                "==",
                "some(",
                "has(",
                "endsWith",
                "startsWith",
                "find",
            ];
            let decides = checks.iter().any(|c| body.contains(c));
            let says_yes = body.contains("true") || {
                let first = v
                    .field("parameters")
                    .and_then(|p| p.named_child(0))
                    .or(v.field("parameter"))
                    .map(|p| ctx.text(p))
                    .unwrap_or("");
                !first.is_empty() && body.contains(&format!(", {first})"))
            };
            (!decides && says_yes).then_some("the origin callback accepts every origin")
        }
        _ => None,
    }
}

fn check_call(call: Node, ctx: &mut FileCtx) {
    let Some(opts) = cors_options(call, ctx) else { return };
    let Some(obj) = resolve_object(ctx, opts) else { return };
    let src = &ctx.src.text;
    let Some(origin) = object_prop(obj, "origin", src) else { return };
    let credentials = object_prop(obj, "credentials", src).is_some_and(|c| strip(c).ty() == "true");
    if !credentials {
        return;
    }
    let Some(why) = permissive_origin(origin, ctx) else { return };
    let message = format!(
        "CORS allows credentials for any website ({why}, credentials: true): any page a logged-in user visits can call this API with their cookies and read the answers; list the allowed origins"
    );
    // `NestFactory.create(M, { cors: {...} })`: the option, not the whole call.
    let at = if call.start_position().row == opts.start_position().row { call } else { opts };
    ctx.report(at, message).severity(Severity::Error);
}

fn check_project(ctx: &ProjectCtx, out: &mut ProjectOut) {
    apps::with_model(ctx, |m| {
        for app in m.reportable() {
            let sessions = m.sessions(app);
            let Some((session, _)) = sessions.first() else { continue };
            for (at, bare) in m.cors(app) {
                if !bare {
                    continue;
                }
                let message = format!(
                    "bare cors() allows every origin on a {} that uses cookie sessions: list the origins that may call it (and keep credentials off unless they need cookies)",
                    app.kind.name()
                );
                let at = crate::finding::Location { message: None, ..at };
                out.report(at, message).related(session.clone());
            }
        }
    });
}
