//! `node/command-injection`: shell commands assembled at run time.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::{Confidence, Severity};
use crate::model::node::facts::{object_prop, resolve_object, strip};
use crate::parse::Syntax;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/command-injection"
languages = ["js"]
severity = "warning"
category = "security"
tags = ["injection"]
confidence = "low"
prefilter = ["exec", "spawn", "execFile"]
summary = "child_process.exec/execSync or spawn(shell: true) on a command that is not a literal"

[docs]
what = """
Flags `child_process.exec` and `execSync` (also imported under another name, and `shelljs.exec`)
whose command is not a constant (a literal, or built only from variables holding literals), and `spawn`/`spawnSync`/`execFile`/`execFileSync` called with
`{ shell: true }` on a command that is not a literal. The finding is an error when request data reaches the command
(`req.query`, `req.body`, `ctx.params`, NestJS `@Body()` parameters and the service-method
parameters controllers pass them to, ... through assignments,
destructuring, templates and concatenation) and a warning for other computed commands.
"""
why = """
`exec` hands the whole string to `/bin/sh`. A value containing `;`, `&&`, `|`, `$(...)` or
backticks runs extra commands with the privileges of the Node process: one request is enough to
read secrets, install a backdoor or pivot into the network.
"""
example = '''
app.get("/ping", (req, res) => {
  exec(`ping -c 1 ${req.query.host}`, (err, out) => res.send(out));
});
'''
fix = '''
Run the program without a shell and pass arguments as an array:
`execFile("ping", ["-c", "1", host], cb)` or `spawn("ping", ["-c", "1", host])`, after validating
`host` against an allow-list or a strict pattern. Never add `shell: true` to arguments from users.
'''
references = [
  "https://nodejs.org/api/child_process.html#child_processexeccommand-options-callback",
  "https://owasp.org/www-community/attacks/Command_Injection",
  "https://cwe.mitre.org/data/definitions/78.html",
]
guidance = ["G12"]

[[examples]]
invalid = '''
const { exec } = require("child_process");
app.get("/ping", (req, res) => {
  exec(`ping -c 1 ${req.query.host}`, (err, out) => res.send(out));
});
'''
valid = '''
const { execFile } = require("child_process");
app.get("/ping", (req, res) => {
  execFile("ping", ["-c", "1", req.query.host], (err, out) => res.send(out));
});
'''

[[examples]]
invalid = '''
const cp = require("node:child_process");
cp.spawn(userCommand, { shell: true });
'''
valid = '''
const cp = require("node:child_process");
cp.execSync("git rev-parse HEAD");
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call_expression"], node: Some(check), ..CodeRule::EMPTY };

const SHELL: &[&str] = &["child_process.exec", "child_process.execSync", "shelljs.exec"];
const WITH_SHELL_OPTION: &[&str] =
    &["child_process.spawn", "child_process.spawnSync", "child_process.execFile", "child_process.execFileSync"];

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    let Some(q) = ctx.qualified_name(f) else { return };
    let shell = SHELL.contains(&q.as_str());
    if !shell && !WITH_SHELL_OPTION.contains(&q.as_str()) {
        return;
    }
    if !ctx.bindings().imports.values().any(|v| q.starts_with(v.as_str())) {
        return;
    }
    let Some(args) = call.field("arguments") else { return };
    let Some(cmd) = args.named_child(0) else { return };
    if crate::semantics::constant::is_constant(ctx.lang, cmd, &ctx.src.text) {
        return;
    }
    if !shell {
        let mut c = args.walk();
        let with_shell = args.named_children(&mut c).skip(1).any(|a| {
            resolve_object(ctx, a)
                .and_then(|o| object_prop(o, "shell", &ctx.src.text))
                .is_some_and(|s| strip(s).ty() == "true")
        });
        if !with_shell {
            return;
        }
    }
    let fn_text = crate::finding::shorten(ctx.text(f));
    let arg = crate::finding::shorten(ctx.text(cmd));
    if ctx.is_request_data(cmd) {
        ctx.report(call, format!("{fn_text} runs a shell command built from request data (`{arg}`): whoever sends the request runs commands on the server"))
            .severity(Severity::Error)
            .confidence(Confidence::High);
    } else {
        ctx.report(call, format!("{fn_text} runs a shell command assembled at run time (`{arg}`): shell metacharacters in any part of it run extra commands"));
    }
}
