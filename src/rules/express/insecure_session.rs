//! `express/insecure-session`: session middleware with a literal secret,
//! insecure cookie flags or no cookie options at all.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::model::node::facts::{has_spread, object_prop, package_name, resolve_object, strip};
use crate::parse::Syntax;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "express/insecure-session"
languages = ["js"]
severity = "warning"
category = "security"
confidence = "high"
prefilter = ["session", "Session"]
summary = "Session middleware with a literal secret, secure: false, httpOnly: false or no cookie options"

[docs]
what = """
Checks the options of `express-session`, `cookie-session`, `koa-session`, `@fastify/session` and
`@fastify/secure-session` and reports, in one finding at the call: a literal `secret` (or literal
`keys`), `cookie.secure: false` in a file that is not a development or test file, `httpOnly: false`,
and — for express-session and @fastify/session — no `cookie` options at all (the defaults send the
cookie over plain HTTP with no SameSite). Options kept in a local object are followed
(`const sess = {...}; app.use(session(sess))`), including later assignments such as
`sess.cookie.secure = true` in the production branch. Values read from the environment are never
reported.
"""
why = """
The session cookie is the user's identity. A committed secret lets anyone who can read the
repository forge session cookies (cookie-session stores the whole session client-side, signed with
it). Without `secure` the cookie travels over plain HTTP and can be sniffed; without `httpOnly`
any injected script can read it; without SameSite every cross-site request carries it (CSRF).
"""
example = '''
app.use(session({ secret: "keyboard cat", resave: false, saveUninitialized: false }));
'''
fix = '''
Read the secret from the environment and set the cookie flags:

    app.set("trust proxy", 1);
    app.use(session({
      secret: process.env.SESSION_SECRET,
      cookie: { secure: true, httpOnly: true, sameSite: "lax", maxAge: 8 * 3600 * 1000 },
    }));
'''
references = [
  "https://github.com/expressjs/session#options",
  "https://expressjs.com/en/advanced/best-practice-security.html#use-cookies-securely",
  "https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#cookies",
]
guidance = ["G10"]

[[examples]]
invalid = '''
const session = require("express-session");
app.use(session({ secret: "keyboard cat", resave: false, saveUninitialized: false }));
'''
valid = '''
const session = require("express-session");
app.use(session({
  secret: process.env.SESSION_SECRET,
  resave: false,
  saveUninitialized: false,
  cookie: { secure: true, httpOnly: true, sameSite: "lax" },
}));
'''

[[examples]]
invalid = '''
const cookieSession = require("cookie-session");
app.use(cookieSession({ name: "sid", keys: [process.env.KEY], httpOnly: false }));
'''
valid = '''
const session = require("express-session");
const sess = { secret: process.env.SECRET, cookie: {} };
if (app.get("env") === "production") {
  app.set("trust proxy", 1);
  sess.cookie.secure = true;
}
app.use(session(sess));
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call_expression"], node: Some(check), ..CodeRule::EMPTY };

/// Packages whose options nest cookie flags under `cookie`.
const NESTED: &[&str] = &["express-session", "@fastify/session", "fastify-session", "@fastify/secure-session"];
/// Packages whose options hold cookie flags directly.
const FLAT: &[&str] = &["cookie-session", "koa-session", "client-sessions"];

fn is_dev_file(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    lower
        .split(['/', '.', '-', '_'])
        .any(|p| matches!(p, "dev" | "development" | "local" | "test" | "tests" | "testing"))
}

fn literal_secret(v: Node, ctx: &FileCtx) -> bool {
    let v = strip(v);
    match v.ty() {
        "string" => ctx.text(v).len() > 2,
        "template_string" => crate::semantics::js::is_literal(v),
        "array" => {
            let mut c = v.walk();
            let items: Vec<Node> = v.named_children(&mut c).collect();
            !items.is_empty()
                && items
                    .iter()
                    .all(|i| matches!(i.ty(), "string" | "template_string") && crate::semantics::js::is_literal(*i))
        }
        _ => false,
    }
}

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    let Some(args) = call.field("arguments") else { return };
    let (pkg, opts) = match ctx.qualified_name(f) {
        Some(q) if (NESTED.contains(&q.as_str()) || FLAT.contains(&q.as_str())) && f.ty() != "member_expression" => {
            (q, args.named_child(0))
        }
        _ => {
            // `app.register(require("@fastify/session"), opts)`
            if f.ty() != "member_expression" || f.field("property").map(|p| ctx.text(p)) != Some("register") {
                return;
            }
            let Some(plugin) = args.named_child(0) else { return };
            let Some(q) = ctx.qualified_name(strip(plugin)) else { return };
            let q = package_name(&q).to_string();
            if !NESTED.contains(&q.as_str()) {
                return;
            }
            (q, args.named_child(1))
        }
    };
    let Some(opts) = opts else { return };
    let Some(obj) = resolve_object(ctx, opts) else { return };
    let src = &ctx.src.text;
    let var = (strip(opts).ty() == "identifier").then(|| ctx.text(strip(opts)));
    // `sess.cookie.secure = true` / `sess.cookie = {...}` after the object.
    let assigned_later = |key: &str| var.is_some_and(|v| src.contains(&format!("{v}.{key}")));
    let mut problems = Vec::new();
    for key in ["secret", "keys"] {
        if object_prop(obj, key, src).is_some_and(|v| literal_secret(v, ctx)) {
            problems.push(format!("the {key} is a literal in the code"));
        }
    }
    let dev = is_dev_file(ctx.rel);
    let flags = |holder: Node, prefix: &str, problems: &mut Vec<String>| {
        if let Some(s) = object_prop(holder, "secure", src) {
            if strip(s).ty() == "false" && !dev && !assigned_later(&format!("{prefix}secure")) {
                problems.push(format!("{prefix}secure is false (the cookie is sent over plain HTTP)"));
            }
        }
        if let Some(h) = object_prop(holder, "httpOnly", src) {
            if strip(h).ty() == "false" {
                problems.push(format!("{prefix}httpOnly is false (scripts can read the session cookie)"));
            }
        }
    };
    if NESTED.contains(&pkg.as_str()) {
        match object_prop(obj, "cookie", src).map(strip) {
            Some(c) if c.ty() == "object" => flags(c, "cookie.", &mut problems),
            Some(_) => {}
            None => {
                if !has_spread(obj) && !assigned_later("cookie") {
                    problems.push(
                        "there are no cookie options (the defaults send the cookie over plain HTTP, without SameSite)"
                            .into(),
                    );
                }
            }
        }
    } else {
        flags(obj, "", &mut problems);
        let any_flag =
            ["secure", "httpOnly", "sameSite", "maxAge", "domain"].iter().any(|k| object_prop(obj, k, src).is_some());
        if !any_flag && !has_spread(obj) && !assigned_later("secure") && pkg == "cookie-session" {
            problems.push("there are no cookie options (secure and sameSite are off by default)".into());
        }
    }
    if problems.is_empty() {
        return;
    }
    let message = format!("{pkg} is configured insecurely: {}", problems.join("; "));
    ctx.report(call, message);
}
