//! `fit/node-no-permission-model`: a Node ≥ 22 service whose start
//! commands do not use the permission model.

use super::applications;
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::profile::Stack;

const DOC: &str = r#####"
id = "fit/node-no-permission-model"
languages = ["js"]
severity = "note"
category = "fit"
confidence = "medium"
summary = "Node 22+ service started without the permission model"

[docs]
what = """
Notes a Node application that targets Node 22 or later (`engines.node`, `volta.node`, `.nvmrc`,
`.node-version`, or a `node:22` Docker base image; the lowest version the range allows counts) and
whose start commands (the package.json `start`/`serve`/`prod` scripts, Procfile, Dockerfile
`CMD`/`ENTRYPOINT`, compose `command`, with `npm start` followed into its script) start `node`
without the permission model: none of `--permission`, `--allow-fs-read`, `--allow-fs-write`,
`--allow-net`, on the command line or in `NODE_OPTIONS`. Applications without a start command
that stackfit can read, and development commands (nodemon, `next dev`), are left alone. The
finding points at the start script in package.json (or the framework's line), with the start
commands as related locations.
"""
why = """
The Node permission model (stable since Node 22.13 and 23.5) restricts what a process may read,
write, spawn or connect to. A compromised dependency or an injection in a microservice then reaches
only what the service was allowed, which is the least-privilege deployment the guidance recommends
for Node services (G13). It costs one flag per allowed resource.
"""
example = '''
{ "engines": { "node": ">=22" }, "scripts": { "start": "node src/server.js" } }
'''
fix = '''
Start the service with the permission model and allow only what it needs:

    "start": "node --permission --allow-fs-read=./src --allow-fs-read=./config src/server.js"

(`--allow-net` on Node versions that gate network access; `--allow-child-process` and
`--allow-worker` if the service spawns.) Check the service's startup with the flags in a staging
deployment first: denied accesses throw `ERR_ACCESS_DENIED`.
'''
references = [
  "https://nodejs.org/api/permissions.html",
  "https://nodejs.org/api/cli.html#--permission",
]
guidance = ["G13"]

[[examples]]
path = "package.json"
invalid = '''
{
  "name": "gateway",
  "engines": { "node": ">=22" },
  "scripts": { "start": "node server.js" },
  "dependencies": { "express": "^4.21.2" }
}
'''
valid = '''
{
  "name": "gateway",
  "engines": { "node": ">=22" },
  "scripts": { "start": "node --permission --allow-fs-read=./ server.js" },
  "dependencies": { "express": "^4.21.2" }
}
'''
files = { "server.js" = "const express = require('express');\nconst app = express();\napp.get('/health', (req, res) => res.send('ok'));\napp.listen(3000);\n" }

[[examples]]
path = "package.json"
valid = '''
{
  "name": "gateway",
  "engines": { "node": ">=18" },
  "scripts": { "start": "node server.js" },
  "dependencies": { "express": "^4.21.2" }
}
'''
files = { "server.js" = "const express = require('express');\nconst app = express();\napp.listen(3000);\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    for app in applications(ctx).iter().filter(|a| a.stack == Stack::Node) {
        let Some((major, source)) = &app.node_major else { continue };
        if *major < 22 || app.serving.node_permission != Some(false) {
            continue;
        }
        let unguarded: Vec<_> = app.serving.commands.iter().filter(|c| !c.permission).collect();
        let first = unguarded[0];
        let message = format!(
            "{}: targets Node {major}+ ({source}) and {} starts node without the permission model (`{}`): \
             `--permission` with `--allow-fs-read`/`--allow-net` limits what a compromised service can reach (G13)",
            app.name, first.origin, first.command
        );
        let at = app
            .scripts
            .iter()
            .find(|(n, _, loc)| first.origin == format!("package.json scripts.{n}") && loc.path == first.path)
            .map(|(_, _, loc)| loc.clone())
            .unwrap_or_else(|| app.anchor.clone());
        let f = out.report(at.clone(), message);
        for c in unguarded.iter().take(5) {
            if let Some(loc) = &c.loc {
                if loc.path != at.path || loc.span.start_line != at.span.start_line {
                    f.related(loc.clone());
                }
            }
        }
    }
}
