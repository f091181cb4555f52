//! `express/missing-csrf`: cookie sessions and state-changing routes with
//! no CSRF protection.

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::finding::Location;
use crate::model::node::apps::{self, Feature};

const DOC: &str = r#####"
id = "express/missing-csrf"
languages = ["js"]
severity = "warning"
category = "security"
confidence = "medium"
summary = "Cookie sessions and POST/PUT/PATCH/DELETE routes without CSRF protection"

[docs]
what = """
Flags a Node.js app that keeps users logged in with a cookie session (express-session,
cookie-session, passport sessions, koa-session, @fastify/session, @fastify/secure-session), serves
state-changing routes (POST, PUT, PATCH, DELETE), has no CSRF protection (csrf-csrf, csrf-sync,
lusca.csrf, csurf, @fastify/csrf-protection, koa-csrf, or a check written in the project:
a module of the app that reads a CSRF token from the request, as `req.get("X-CSRF-Token")`,
`req.headers["x-xsrf-token"]` or `req.body._csrf`, or that reads the `Origin` header where it
looks at the request method) and does not set the session cookie's
`sameSite` to `"strict"` or `"lax"`. Session options that cannot be read (built elsewhere, spread
from another object) leave the rule silent. The finding points at the line that creates the app;
the session middleware and the state-changing routes are related locations.
"""
why = """
Browsers attach cookies to cross-site requests. With a cookie session and no CSRF token or
SameSite restriction, any page the user visits can post a form to your app and act as the user:
change the email address, transfer money, delete data. Django has CsrfViewMiddleware on by default;
Express, Fastify and Koa have nothing.
"""
example = '''
app.use(session({ secret: process.env.SESSION_SECRET, cookie: { secure: true } }));
app.post("/account/email", requireLogin, changeEmail);
'''
fix = '''
Set `cookie: { sameSite: "lax" }` (or `"strict"`) on the session, which stops cross-site POSTs
from carrying the cookie, and for full protection add a CSRF token middleware such as `csrf-csrf`
(`doubleCsrf(...)`) or `csrf-sync` and send the token with every form and fetch.
'''
references = [
  "https://owasp.org/www-community/attacks/csrf",
  "https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html",
  "https://github.com/Psifi-Solutions/csrf-csrf",
  "https://github.com/expressjs/session#cookiesamesite",
]
guidance = ["G10"]

[[examples]]
path = "app.js"
invalid = '''
const express = require("express");
const session = require("express-session");
const app = express();
app.use(session({ secret: process.env.SECRET, cookie: { secure: true } }));
app.post("/profile", (req, res) => res.json(update(req.session.user, req.body)));
'''
valid = '''
const express = require("express");
const session = require("express-session");
const app = express();
app.use(session({ secret: process.env.SECRET, cookie: { secure: true, sameSite: "lax" } }));
app.post("/profile", (req, res) => res.json(update(req.session.user, req.body)));
'''

[[examples]]
path = "app.js"
valid = '''
const express = require("express");
const session = require("express-session");
const { doubleCsrf } = require("csrf-csrf");
const { doubleCsrfProtection } = doubleCsrf({ getSecret: () => process.env.CSRF_SECRET });
const app = express();
app.use(session({ secret: process.env.SECRET, cookie: { secure: true } }));
app.use(doubleCsrfProtection);
app.post("/profile", (req, res) => res.json(update(req.session.user, req.body)));
'''

# CSRF enforced by the project's own module, registered in the API layer.
[[examples]]
path = "app.js"
valid = '''
const express = require("express");
const session = require("express-session");
const api = require("./api");
const app = express();
app.use(session({ secret: process.env.SECRET, cookie: { secure: true } }));
app.use("/api", api);
'''
files = { "api/index.js" = "const express = require('express');\nconst { requireCsrfToken } = require('./csrf');\nconst router = express.Router();\nrouter.use(requireCsrfToken);\nrouter.post('/profile', (req, res) => res.json(update(req.session.user, req.body)));\nmodule.exports = router;\n", "api/csrf.js" = "const crypto = require('crypto');\nconst SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);\nfunction requireCsrfToken(req, res, next) {\n  if (SAFE.has(req.method)) return next();\n  const sent = req.get('X-CSRF-Token') || '';\n  const want = req.session.csrfSecret || '';\n  if (sent.length !== want.length || !crypto.timingSafeEqual(Buffer.from(sent), Buffer.from(want))) {\n    return res.status(403).end();\n  }\n  next();\n}\nmodule.exports = { requireCsrfToken };\n" }

# Sending a token and logging the Origin are not checks.
[[examples]]
path = "app.js"
invalid = '''
const express = require("express");
const session = require("express-session");
const app = express();
app.use(session({ secret: process.env.SECRET, cookie: { secure: true } }));
app.use((req, res, next) => {
  res.set("X-CSRF-Token", req.session.id);
  console.log("from", req.headers.origin);
  next();
});
app.post("/profile", (req, res) => res.json(update(req.session.user, req.body)));
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    apps::with_model(ctx, |m| {
        for app in m.reportable() {
            let mut sessions = m.sessions(app);
            if sessions.is_empty() {
                continue;
            }
            // passport.session() rides on another session's cookie.
            if sessions.iter().any(|(_, s)| s.package != "passport") {
                sessions.retain(|(_, s)| s.package != "passport");
            }
            let changing: Vec<&apps::Route> = app.routes.iter().filter(|r| r.changes_state()).collect();
            if changing.is_empty() {
                continue;
            }
            if m.has(app, Feature::Csrf) || m.orphan(app, Feature::Csrf).is_some() {
                continue;
            }
            let Some(unprotected) = apps::unprotected_sessions(&sessions) else { continue };
            if unprotected.is_empty() {
                continue;
            }
            let message = format!(
                "{} uses cookie sessions and serves {} state-changing route{} ({} {}, ...) with no CSRF protection and no sameSite: \"lax\"/\"strict\" session cookie: other sites can submit requests as the logged-in user",
                app.kind.name(),
                changing.len(),
                if changing.len() == 1 { "" } else { "s" },
                changing[0].method.to_uppercase(),
                changing[0].path,
            );
            let at = Location { message: None, ..app.created.clone() };
            let f = out.report(at, message);
            for s in unprotected.iter().take(3) {
                f.related(s.clone());
            }
            for r in changing.iter().take(3) {
                f.related(r.at.clone());
            }
            for r in apps::related(app, 5) {
                f.related(r);
            }
        }
    });
}
