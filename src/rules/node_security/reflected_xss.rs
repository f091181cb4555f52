//! `node/reflected-xss`: HTML built from request data sent as the response.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::model::node::facts::strip;
use crate::parse::Syntax;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/reflected-xss"
languages = ["js"]
severity = "warning"
category = "security"
tags = ["injection", "request-data"]
confidence = "medium"
prefilter = ["send", "write", "end(", "body"]
summary = "HTML built from request data sent with res.send/res.write or ctx.body"

[docs]
what = """
Flags responses whose HTML is assembled with template literals or `+` from request data:
`res.send(...)`, `res.write(...)`, `res.end(...)` in Express/Node and `ctx.body = ...` in Koa, when
the string contains markup and request data (query, body, params, headers, cookies) reaches it
unescaped. `escape-html`, `he.encode`, `encodeURIComponent` and similar sanitisers end the flow.
"""
why = """
Express serves strings from `res.send` as `text/html`. A value reflected into that HTML can close
the tag it sits in and add a `<script>`: whoever clicks a crafted link runs the attacker's code in
your origin, with access to the page, its cookies without httpOnly and the user's session.
"""
example = '''
app.get("/search", (req, res) => {
  res.send(`<h1>Results for ${req.query.q}</h1>`);
});
'''
fix = '''
Render with a template engine that escapes by default (EJS `<%= %>`, Pug, Handlebars `{{ }}`),
or escape every interpolated value: `const escapeHtml = require("escape-html");
res.send(`<h1>Results for ${escapeHtml(req.query.q)}</h1>`)`. Send data as JSON (`res.json`) when
the client renders it.
'''
references = [
  "https://owasp.org/www-community/attacks/xss/",
  "https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html",
  "https://cwe.mitre.org/data/definitions/79.html",
]
guidance = ["G12"]

[[examples]]
invalid = '''
app.get("/search", (req, res) => {
  res.send(`<h1>Results for ${req.query.q}</h1>`);
});
'''
valid = '''
const escapeHtml = require("escape-html");
app.get("/search", (req, res) => {
  res.send(`<h1>Results for ${escapeHtml(req.query.q)}</h1>`);
});
'''

[[examples]]
invalid = '''
router.get("/hello", async (ctx) => {
  ctx.body = "<p>Hello " + ctx.query.name + "</p>";
});
'''
valid = '''
router.get("/hello", async (ctx) => {
  ctx.body = { hello: ctx.query.name };
});
'''
"#####;

pub const RULE: CodeRule =
    CodeRule { doc: DOC, kinds: &["call_expression", "assignment_expression"], node: Some(check), ..CodeRule::EMPTY };

/// Does the literal text of a template or concatenation hold markup?
fn builds_html(n: Node, src: &str) -> bool {
    if !matches!(n.ty(), "template_string" | "binary_expression") {
        return false;
    }
    let mut html = false;
    crate::semantics::descendants(n, |d| {
        if matches!(d.ty(), "string_fragment" | "string") {
            let t = crate::semantics::text(d, src).as_bytes();
            html |= t.windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'));
        }
        !html
    });
    html
}

fn check(node: Node, ctx: &mut FileCtx) {
    let body = match node.ty() {
        "call_expression" => {
            let Some(f) = node.field("function").filter(|f| f.ty() == "member_expression") else {
                return;
            };
            let method = f.field("property").map(|p| ctx.text(p)).unwrap_or("");
            let obj = f.field("object").map(|o| ctx.text(o)).unwrap_or("");
            if !matches!(method, "send" | "write" | "end") || !matches!(obj, "res" | "response") {
                return;
            }
            node.field("arguments").and_then(|a| a.named_child(0))
        }
        _ => {
            let Some(l) = node.field("left").filter(|l| l.ty() == "member_expression") else { return };
            let obj = l.field("object").map(|o| ctx.text(o)).unwrap_or("");
            let prop = l.field("property").map(|p| ctx.text(p)).unwrap_or("");
            if !matches!(obj, "ctx" | "context") || prop != "body" {
                return;
            }
            node.field("right")
        }
    };
    let Some(body) = body.map(strip) else { return };
    if !builds_html(body, &ctx.src.text) || !ctx.is_request_data(body) {
        return;
    }
    let arg = crate::finding::shorten(ctx.text(body));
    ctx.report(node, format!("HTML built from request data is sent as the response (`{arg}`): a crafted link runs script in your users' browsers; escape the values or use a template engine"));
}
