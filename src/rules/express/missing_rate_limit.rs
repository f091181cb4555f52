//! `express/missing-rate-limit`: authentication routes with no rate limiter.

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::finding::Location;
use crate::model::node::apps::{self, Feature};

const DOC: &str = r#####"
id = "express/missing-rate-limit"
languages = ["js"]
severity = "warning"
category = "security"
confidence = "medium"
summary = "Login, signup, password or token routes without a rate limiter"

[docs]
what = """
Flags a Node.js app (Express, Fastify, Koa, NestJS) that serves authentication routes — paths
naming login, signin, signup, register, password, token, OTP, 2FA/MFA, or routes that run
`passport.authenticate` — when no rate limiter is part of the app: express-rate-limit,
rate-limiter-flexible, express-slow-down, express-brute, @fastify/rate-limit, koa-ratelimit or
@nestjs/throttler (`ThrottlerModule`), registered globally or on a single route. Routes are
collected from the app, the routers and plugins mounted on it and NestJS controllers. The finding
points at the line that creates the app; the authentication routes and the app's middleware are
related locations. As with the other app-level rules, an app whose wiring cannot be followed, or a
package importing a rate limiter somewhere no app reaches, is left alone.
"""
why = """
A login or password-reset endpoint without a limit lets an attacker try passwords, OTP codes or
reset tokens as fast as the server answers: credential stuffing and brute force need nothing more.
Node frameworks have no built-in throttling, so it has to be added explicitly.
"""
example = '''
const app = express();
app.use(helmet());
app.post("/auth/login", login);          // unlimited attempts
app.post("/auth/reset-password", reset);
'''
fix = '''
Limit the authentication routes (or the whole app):

    const rateLimit = require("express-rate-limit");
    const authLimiter = rateLimit({ windowMs: 15 * 60 * 1000, limit: 10 });
    app.post("/auth/login", authLimiter, login);

Fastify: `await app.register(require("@fastify/rate-limit"), { max: 100, timeWindow: "1 minute" })`.
NestJS: import `ThrottlerModule.forRoot([{ ttl: 60000, limit: 10 }])` and register `ThrottlerGuard`
as `APP_GUARD`. Behind a proxy, set `trust proxy` so the client address is the real one.
'''
references = [
  "https://express-rate-limit.mintlify.app/",
  "https://github.com/animir/node-rate-limiter-flexible",
  "https://docs.nestjs.com/security/rate-limiting",
  "https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#protect-against-automated-attacks",
]
guidance = ["G10"]

[[examples]]
path = "app.js"
invalid = '''
const express = require("express");
const helmet = require("helmet");
const app = express();
app.use(helmet());
app.post("/login", (req, res) => res.json(login(req.body)));
'''
valid = '''
const express = require("express");
const helmet = require("helmet");
const rateLimit = require("express-rate-limit");
const app = express();
app.use(helmet());
app.post("/login", rateLimit({ windowMs: 60000, limit: 5 }), (req, res) => res.json(login(req.body)));
'''

[[examples]]
path = "app.js"
invalid = '''
const express = require("express");
const auth = require("./routes/auth");
const app = express();
app.use("/auth", auth);
'''
valid = '''
const express = require("express");
const app = express();
app.post("/orders", (req, res) => res.json(create(req.body)));
'''
files = { "routes/auth.js" = "const { Router } = require('express');\nconst router = Router();\nrouter.post('/signin', (req, res) => res.end());\nmodule.exports = router;\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    apps::with_model(ctx, |m| {
        for app in m.reportable() {
            let auth: Vec<&apps::Route> = app.routes.iter().filter(|r| r.is_auth()).collect();
            if auth.is_empty() {
                continue;
            }
            if m.has(app, Feature::RateLimit) || m.orphan(app, Feature::RateLimit).is_some() {
                continue;
            }
            let mut names: Vec<String> =
                auth.iter().map(|r| format!("{} {}", r.method.to_uppercase(), r.path)).collect();
            names.dedup();
            let shown = if names.len() > 3 {
                format!("{} and {} more", names[..3].join(", "), names.len() - 3)
            } else {
                names.join(", ")
            };
            let pkg = apps::suggestion(Feature::RateLimit, app.kind);
            let message = format!(
                "{} serves authentication routes ({shown}) with no rate limiter: passwords and codes can be guessed at full speed; add {pkg}",
                app.kind.name()
            );
            let at = Location { message: None, ..app.created.clone() };
            let f = out.report(at, message);
            for r in auth.iter().take(5) {
                f.related(r.at.clone());
            }
            for r in apps::related(app, 5) {
                f.related(r);
            }
        }
    });
}
