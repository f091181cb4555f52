//! `node/sync-api-in-handler`: synchronous fs / child_process / crypto /
//! zlib / bcrypt calls and `Atomics.wait` inside a request handler.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::{Edit, Fix, Severity};
use crate::parse::Syntax;
use crate::semantics::{self, Context};
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/sync-api-in-handler"
languages = ["js"]
severity = "warning"
category = "concurrency"
confidence = "high"
prefilter = ["Sync", "Atomics", "randomBytes"]
summary = "A synchronous fs/child_process/crypto/zlib/bcrypt call inside a request handler"

[docs]
what = """
Flags synchronous Node APIs called while serving a request: `fs.*Sync` (also `fs-extra`),
`child_process.execSync/execFileSync/spawnSync`, `crypto.pbkdf2Sync/scryptSync/generateKeyPairSync`,
`crypto.randomBytes(n)` without a callback (unless `n` is a literal of at most 1024 bytes: a token
or nonce costs microseconds), `zlib.*Sync`, `bcrypt`/`bcryptjs` `hashSync/compareSync/
genSaltSync` and `Atomics.wait`. Imports are resolved: `import { readFileSync as rfs } from 'node:fs'`
and `const { execSync } = require('child_process')` are recognised; `fs/promises` and `fs.promises`
are the fix, not a finding; a local object that happens to be called `fs` is not the module.
A request handler is a function given to Express/Router/Koa/Fastify route methods, a NestJS route
method, a Next.js API route, a socket listener, or a function of the same file they call; also a
method of a NestJS `@Injectable()` service in any file that a controller calls through constructor
injection (`this.usersService.findAll()`), directly or through other injected services. A service
method called only from `@Cron` jobs, `onModuleInit` or services no controller injects is not one,
and neither is a class of the same name imported from a package. At module
top level (startup) these calls are fine. Child processes and crypto key derivation (pbkdf2, scrypt,
key pairs) are errors: they block for tens to hundreds of milliseconds each; the rest are warnings.
"""
why = """
Node serves every connection from one thread. While a synchronous call runs, no other request makes
progress: a 100 ms `pbkdf2Sync` caps the whole process at ten logins a second, and one slow disk
read stalls every open socket. The async forms run on the libuv thread pool and keep the event loop
free.
"""
example = '''
app.get("/report", (req, res) => {
  const tpl = fs.readFileSync(path.join(__dirname, "report.html"), "utf8");
  res.send(render(tpl, req.query));
});
'''
fix = '''
Use the promise or callback API (`await fs.promises.readFile(p)`, `import { readFile } from
'node:fs/promises'`, `util.promisify(crypto.pbkdf2)`, `await bcrypt.hash(pw, 12)`,
`util.promisify(execFile)`), or read fixed files once at startup and keep them in memory. Move heavy
CPU work to `worker_threads` or a job queue.
'''
references = [
  "https://nodejs.org/en/learn/asynchronous-work/dont-block-the-event-loop",
  "https://nodejs.org/api/fs.html#promises-api",
  "https://nodejs.org/api/crypto.html#cryptopbkdf2password-salt-iterations-keylen-digest-callback",
]
guidance = ["G1", "G2"]

[[examples]]
invalid = '''
const fs = require("fs");
app.get("/config", (req, res) => {
  res.json(JSON.parse(fs.readFileSync("config.json", "utf8")));
});
'''
valid = '''
const fs = require("fs");
const config = JSON.parse(fs.readFileSync("config.json", "utf8"));
app.get("/config", (req, res) => res.json(config));
'''

[[examples]]
path = "auth.ts"
invalid = '''
import { pbkdf2Sync as derive } from "node:crypto";
router.post("/login", async (req, res) => {
  const hash = derive(req.body.password, salt, 310000, 32, "sha256");
  res.json({ ok: hash.equals(stored) });
});
'''
valid = '''
import { readFile } from "node:fs/promises";
router.get("/terms", async (req, res) => {
  res.type("html").send(await readFile("terms.html", "utf8"));
});
'''

[[examples]]
path = "src/users/users.service.ts"
invalid = '''
import { Injectable } from "@nestjs/common";
import * as fs from "fs";
@Injectable()
export class UsersService {
  findAll() {
    return JSON.parse(fs.readFileSync("users.json", "utf8"));
  }
}
'''
valid = '''
import { Injectable } from "@nestjs/common";
import * as fs from "fs";
@Injectable()
export class UsersService {
  rebuildIndex() {
    fs.writeFileSync("index.json", "{}");
  }
}
'''
[examples.files]
"src/users/users.controller.ts" = '''
import { Controller, Get } from "@nestjs/common";
import { Cron } from "@nestjs/schedule";
import { UsersService } from "./users.service";
@Controller("users")
export class UsersController {
  constructor(private readonly usersService: UsersService) {}
  @Get()
  findAll() {
    return this.usersService.findAll();
  }
  @Cron("0 3 * * *")
  nightly() {
    return this.usersService.rebuildIndex();
  }
}
'''

[[examples]]
invalid = '''
const { execSync } = require("child_process");
fastify.get("/version", async () => execSync("git rev-parse HEAD").toString());
'''
valid = '''
const fs = { readFileSync: (p) => cache.get(p) };
app.get("/page", (req, res) => res.send(fs.readFileSync(req.path)));
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call_expression"], node: Some(check), ..CodeRule::EMPTY };

/// Modules whose `*Sync` functions block.
const SYNC_MODULES: &[&str] = &["fs", "fs-extra", "graceful-fs", "zlib"];
const BCRYPT: &[&str] = &["bcrypt", "bcryptjs"];

struct Blocking {
    severity: Severity,
    what: &'static str,
    instead: String,
}

fn classify(q: &str, call: Node, ctx: &FileCtx) -> Option<Blocking> {
    let (module, func) = q.rsplit_once('.')?;
    let warn = |what, instead: String| Some(Blocking { severity: Severity::Warning, what, instead });
    let err = |what, instead: String| Some(Blocking { severity: Severity::Error, what, instead });
    match (module, func) {
        ("child_process", "execSync" | "execFileSync" | "spawnSync") => err(
            "starts a child process and waits for it to exit",
            format!("`util.promisify(child_process.{})`", func.trim_end_matches("Sync")),
        ),
        ("crypto", "pbkdf2Sync" | "scryptSync") => err(
            "derives a key synchronously (deliberately slow)",
            format!("`util.promisify(crypto.{})`", func.trim_end_matches("Sync")),
        ),
        ("crypto", "generateKeyPairSync" | "generateKeySync" | "generatePrimeSync") => err(
            "generates key material synchronously",
            format!("`util.promisify(crypto.{})`", func.trim_end_matches("Sync")),
        ),
        ("crypto", "randomBytes") => {
            let args = call.field("arguments")?;
            let has_callback = args.named_child(1).is_some_and(|a| {
                semantics::js::is_function_kind(a.ty()) || a.ty() == "identifier" || a.ty() == "member_expression"
            });
            if has_callback {
                return None;
            }
            // A token or nonce (`randomBytes(16)`) takes microseconds: the
            // pool round trip of the async form costs more. Only a large or
            // unknown size is worth a finding.
            let small = args
                .named_child(0)
                .is_some_and(|n| n.ty() == "number" && ctx.text(n).parse::<f64>().is_ok_and(|v| v <= 1024.0));
            if small {
                return None;
            }
            warn(
                "draws random bytes synchronously",
                "`await util.promisify(crypto.randomBytes)(n)` (or `crypto.randomBytes(n, callback)`)".into(),
            )
        }
        ("crypto", "randomFillSync") => {
            warn("fills a buffer with random bytes synchronously", "`crypto.randomFill`".into())
        }
        ("Atomics", "wait") => warn("blocks the thread until notified", "`Atomics.waitAsync`".into()),
        (m, f) if BCRYPT.contains(&m) && matches!(f, "hashSync" | "compareSync" | "genSaltSync") => warn(
            "hashes a password synchronously (deliberately slow)",
            format!(
                "`await {}.{}(...)`",
                ctx.text(call.field("function")?).rsplit_once('.').map(|x| x.0).unwrap_or(m),
                f.trim_end_matches("Sync")
            ),
        ),
        (m, f) if SYNC_MODULES.contains(&m) && f.ends_with("Sync") && f.len() > 4 => {
            let base = f.trim_end_matches("Sync");
            let instead = match (m, base) {
                ("zlib", _) => format!("`util.promisify(zlib.{base})` or a stream"),
                (_, "exists") => "`await fs.promises.access(path)` (or keep the check out of the request path)".into(),
                _ => format!("`await fs.promises.{base}(...)`"),
            };
            warn(
                if m == "zlib" { "compresses or decompresses synchronously" } else { "does file I/O synchronously" },
                instead,
            )
        }
        _ => None,
    }
}

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    let last = match f.ty() {
        "identifier" => ctx.text(f),
        "member_expression" => f.field("property").map(|p| ctx.text(p)).unwrap_or(""),
        _ => return,
    };
    // Aliased imports (`import { pbkdf2Sync as derive }`) resolve through the bindings.
    if f.ty() == "member_expression" && !(last.ends_with("Sync") || last == "wait" || last == "randomBytes") {
        return;
    }
    let Some(q) = ctx.qualified_name(f) else { return };
    let Some(b) = classify(&q, call, ctx) else { return };
    if !semantics::inside(ctx.functions(), ctx.lang, call, Context::RequestHandler, Some(ctx.handlers())) {
        return;
    }
    let code = crate::finding::shorten(ctx.text(f));
    let msg = format!(
        "`{code}` ({q}) {} inside a request handler, blocking the event loop for every other request; use {}",
        b.what, b.instead
    );
    let fix = fs_promise_fix(call, f, &q, ctx);
    let r = ctx.report(call, msg);
    r.severity(b.severity);
    if let Some(fix) = fix {
        r.fix(fix);
    }
}

/// `fs.readFileSync(p)` in an async function, its value used as is:
/// `await fs.promises.readFile(p)`.
fn fs_promise_fix(call: Node, f: Node, q: &str, ctx: &FileCtx) -> Option<Fix> {
    let (module, func) = q.rsplit_once('.')?;
    if module != "fs" || f.ty() != "member_expression" || func == "existsSync" {
        return None;
    }
    let obj = f.field("object").filter(|o| o.ty() == "identifier")?;
    let func_node = ctx.enclosing_function(call)?;
    if !semantics::is_async(func_node) || call.up().is_some_and(|p| p.ty() == "member_expression") {
        return None;
    }
    let base = func.trim_end_matches("Sync");
    let replacement = format!("await {}.promises.{base}", ctx.text(obj));
    Some(Fix {
        description: format!("use fs.promises.{base}"),
        edits: vec![Edit { path: ctx.rel.to_string(), span: ctx.src.span(f.start_byte(), f.end_byte()), replacement }],
    })
}
