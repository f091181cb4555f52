//! `node/path-traversal`: file paths taken from the request.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::model::node::facts::{object_prop, resolve_object};
use crate::parse::Syntax;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/path-traversal"
languages = ["js"]
severity = "warning"
category = "security"
tags = ["injection", "request-data"]
confidence = "medium"
prefilter = ["sendFile", "download", "fs", "createReadStream", "readFile"]
summary = "res.sendFile/res.download/fs calls on paths built from request data"

[docs]
what = """
Flags `res.sendFile`, `res.download` and `fs` calls (`readFile`, `createReadStream`, `writeFile`,
`unlink`, ... in `fs`, `fs/promises` and `fs.promises`) whose path carries request data — also
through `path.join`/`path.resolve` and string building — unless `sendFile`/`download` get a `root`
option (Express then refuses paths that leave it) or the function checks the resolved path with
`startsWith` after `path.resolve`/`path.normalize`/`realpath`. `path.basename(...)` of the input
ends the flow.
"""
why = """
`../` sequences (also URL-encoded) in a file name walk out of the intended directory:
`GET /files?name=../../.env` returns the environment file, `../../../etc/passwd` the system's. For
writes and deletes it is worse: overwriting application code or configuration.
"""
example = '''
app.get("/files/:name", (req, res) => {
  res.sendFile(path.join(__dirname, "uploads", req.params.name));
});
'''
fix = '''
Let Express confine the path: `res.sendFile(req.params.name, { root: path.join(__dirname, "uploads") })`.
For `fs`, resolve and check: `const p = path.resolve(base, name); if (!p.startsWith(base + path.sep)) return res.sendStatus(400);`,
or keep only the file name with `path.basename(name)`.
'''
references = [
  "https://owasp.org/www-community/attacks/Path_Traversal",
  "https://expressjs.com/en/api.html#res.sendFile",
  "https://cwe.mitre.org/data/definitions/22.html",
]
guidance = ["G12"]

[[examples]]
invalid = '''
const path = require("path");
app.get("/files/:name", (req, res) => {
  res.sendFile(path.join(__dirname, "uploads", req.params.name));
});
'''
valid = '''
const path = require("path");
app.get("/files/:name", (req, res) => {
  res.sendFile(req.params.name, { root: path.join(__dirname, "uploads") });
});
'''

[[examples]]
invalid = '''
const fs = require("fs/promises");
router.get("/logs", async (req, res) => {
  res.send(await fs.readFile(`/var/log/app/${req.query.file}`, "utf8"));
});
'''
valid = '''
const fs = require("fs/promises");
const path = require("path");
router.get("/logs", async (req, res) => {
  res.send(await fs.readFile(path.join("/var/log/app", path.basename(req.query.file)), "utf8"));
});
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call_expression"], node: Some(check), ..CodeRule::EMPTY };

const FS_METHODS: &[&str] = &[
    "readFile",
    "readFileSync",
    "createReadStream",
    "writeFile",
    "writeFileSync",
    "appendFile",
    "appendFileSync",
    "createWriteStream",
    "unlink",
    "unlinkSync",
    "rm",
    "rmSync",
    "readdir",
    "readdirSync",
    "open",
    "openSync",
    "copyFile",
    "copyFileSync",
    "rename",
    "renameSync",
];

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    let Some(args) = call.field("arguments") else { return };
    let Some(path) = args.named_child(0) else { return };
    let sink = match f.ty() {
        "member_expression" => {
            let method = f.field("property").map(|p| ctx.text(p)).unwrap_or("");
            let obj = f.field("object").map(|o| ctx.text(o)).unwrap_or("");
            if matches!(method, "sendFile" | "download") && matches!(obj, "res" | "response" | "ctx.res") {
                // `{ root }` makes Express reject paths that leave it.
                let opts = args.named_child(1).and_then(|o| resolve_object(ctx, o));
                if opts.and_then(|o| object_prop(o, "root", &ctx.src.text)).is_some() {
                    return;
                }
                format!("res.{method}()")
            } else {
                let Some(q) = ctx.qualified_name(f) else { return };
                let (module, m) = q.rsplit_once('.').unwrap_or(("", ""));
                if !matches!(module, "fs" | "fs/promises" | "fs.promises" | "node:fs") || !FS_METHODS.contains(&m) {
                    return;
                }
                format!("fs.{m}()")
            }
        }
        "identifier" => {
            let Some(q) = ctx.qualified_name(f) else { return };
            let (module, m) = q.rsplit_once('.').unwrap_or(("", ""));
            if !matches!(module, "fs" | "fs/promises" | "fs.promises") || !FS_METHODS.contains(&m) {
                return;
            }
            format!("fs.{m}()")
        }
        _ => return,
    };
    if !ctx.is_request_data(path) {
        return;
    }
    // A resolved path checked against its base directory.
    if let Some(func) = ctx.enclosing_function(call) {
        let body = ctx.text(func);
        if body.contains(".startsWith(")
            && (body.contains("resolve(") || body.contains("normalize(") || body.contains("realpath"))
        {
            return;
        }
    }
    ctx.report(call, format!("{sink} opens a path built from request data: `../` in it reaches files outside the intended directory; confine it with a root or a resolved-prefix check"));
}
