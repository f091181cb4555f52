//! `fit/node-cpu-bound`: CPU-heavy work in the request handlers of a Node
//! application, counted from the profile's CPU signals (synchronous
//! crypto/compression/hashing, main-thread image work, busy and huge
//! loops, exponential recursion) and from the findings of
//! `node/sync-api-in-handler` and `node/cpu-loop-in-handler`.

use super::{applications, count, relate};
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::profile::signals::SignalKind;
use crate::profile::{Application, Stack};

const DOC: &str = r#####"
id = "fit/node-cpu-bound"
languages = ["js"]
severity = "warning"
category = "fit"
confidence = "medium"
summary = "CPU-heavy work runs on the event loop of a Node application's request handlers"

[docs]
what = """
Flags a Node application whose request handlers do CPU-heavy work on the event loop in two or more
places: synchronous key derivation, key generation and hashing (`crypto.pbkdf2Sync`,
`crypto.scryptSync`, `crypto.generateKeyPairSync`, `bcrypt.hashSync`), synchronous compression
(`zlib.gzipSync`, ...), image and document work done in JavaScript (`jimp`, `pngjs`, `canvas`,
`pdfkit`), loops without an exit condition that never await, loops with literal bounds of 100 000
iterations or more, nested loops over request data, `JSON.parse`/`JSON.stringify` of request data
inside loops, and functions that call themselves two ways per call (exponential recursion). The
findings of `node/sync-api-in-handler` and `node/cpu-loop-in-handler` count too, when those rules
run. Synchronous fs and child_process calls in handlers are reported beside the count (they block
the loop but are I/O, not CPU). `sharp` is not counted: it works on libuv's thread pool.

The finding points at the framework's line in package.json; the CPU-heavy sites are its related
locations. A request handler is a function registered as an Express/Koa/Fastify/Nest/Next route or
a socket listener, or a function of the same file called from one.
"""
why = """
Node runs every request of a process on one thread. While one handler derives a key or resizes an
image, every other connection of the process waits: latency for all users grows with the slowest
request, and throughput stops scaling with connections (G2). Node suits I/O-bound,
high-concurrency work (G1); CPU-bound work belongs off the event loop, in `worker_threads` or a
worker pool, or in a separate service, e.g. in Python where that work is at home (G4).
"""
example = '''
app.post("/signup", (req, res) => {
  const hash = crypto.pbkdf2Sync(req.body.password, salt, 600000, 64, "sha512"); // blocks everyone
  ...
});
app.get("/thumb", async (req, res) => {
  const img = await Jimp.read(req.query.url); // decodes and resizes in JavaScript, on the main thread
  ...
});
'''
fix = '''
Use the asynchronous APIs, which run on libuv's thread pool (`crypto.pbkdf2`, `crypto.scrypt`,
`zlib.gzip`, `bcrypt.hash`), move pure-JavaScript computation to `worker_threads` (a pool such as
piscina), or hand the work to a job queue or a separate service:

    const { promisify } = require("node:util");
    const pbkdf2 = promisify(crypto.pbkdf2);
    app.post("/signup", async (req, res) => {
      const hash = await pbkdf2(req.body.password, salt, 600000, 64, "sha512");
      ...
    });
'''
references = [
  "https://nodejs.org/en/learn/asynchronous-work/dont-block-the-event-loop",
  "https://nodejs.org/api/worker_threads.html",
]
guidance = ["G2", "G1", "G4"]

[[examples]]
path = "package.json"
invalid = '''
{ "name": "api", "dependencies": { "express": "^4.21.2" } }
'''
files = { "server.js" = "const express = require('express');\nconst crypto = require('crypto');\nconst zlib = require('zlib');\nconst app = express();\napp.post('/signup', (req, res) => {\n  const key = crypto.pbkdf2Sync(req.body.password, 'salt', 600000, 64, 'sha512');\n  res.json({ key: key.toString('hex') });\n});\napp.get('/export', (req, res) => {\n  res.send(zlib.gzipSync(JSON.stringify(req.query)));\n});\napp.listen(3000);\n" }

[[examples]]
path = "package.json"
valid = '''
{ "name": "api", "dependencies": { "express": "^4.21.2" } }
'''
files = { "server.js" = "const express = require('express');\nconst crypto = require('crypto');\nconst { promisify } = require('util');\nconst pbkdf2 = promisify(crypto.pbkdf2);\nconst app = express();\nconst secret = crypto.scryptSync(process.env.SECRET, 'salt', 32);\napp.post('/signup', async (req, res) => {\n  const key = await pbkdf2(req.body.password, 'salt', 600000, 64, 'sha512');\n  res.json({ key: key.toString('hex') });\n});\napp.get('/stream', async (req, res) => {\n  while (true) {\n    const chunk = await next();\n    if (!chunk) break;\n    res.write(chunk);\n  }\n  res.end();\n});\napp.listen(3000);\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

/// CPU-heavy sites needed before the application counts as CPU-bound: one
/// site is a risk finding to fix, two or more are a pattern.
const THRESHOLD: usize = 2;

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    for app in applications(ctx).iter().filter(|a| a.stack == Stack::Node) {
        let cpu = app.sites(SignalKind::CpuHeavy);
        if cpu.len() < THRESHOLD {
            continue;
        }
        let blocking = app.sites(SignalKind::BlockingSync);
        let also = if blocking.is_empty() {
            String::new()
        } else {
            format!(
                " (plus {} on the same path)",
                count(
                    blocking.len(),
                    "synchronous fs/child_process/Atomics call",
                    "synchronous fs/child_process/Atomics calls"
                )
            )
        };
        let message = format!(
            "{}: CPU-heavy work runs on the event loop at {} in request handlers ({}){also}; while it runs every \
             other connection of the process waits: consider worker_threads or a worker pool, the async APIs, or a \
             separate service for this work (G2)",
            app.name,
            count(cpu.len(), "site", "sites"),
            Application::breakdown(cpu),
        );
        let f = out.report(app.anchor.clone(), message);
        relate(f, &[cpu, blocking], 5);
    }
}
