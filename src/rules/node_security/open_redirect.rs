//! `node/open-redirect`: redirects to URLs taken from the request.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::model::node::facts::strip;
use crate::parse::Syntax;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/open-redirect"
languages = ["js"]
severity = "warning"
category = "security"
tags = ["injection", "request-data"]
confidence = "medium"
prefilter = ["redirect"]
summary = "res.redirect/ctx.redirect/reply.redirect to a URL taken from the request"

[docs]
what = """
Flags `res.redirect(...)` (Express), `ctx.redirect(...)` (Koa) and `reply.redirect(...)`
(Fastify) whose target carries request data — `req.query.next`, `req.body.returnTo`, the
`Referer` header, through assignments and string building. A target that starts with a fixed path
(`"/login?next=" + ...`, `` `/users/${id}` ``) stays on the site and is not reported;
`encodeURIComponent` and other sanitisers end the flow.
"""
why = """
A redirect endpoint that goes wherever a parameter says turns your domain into a trusted-looking
link to a phishing page (`https://shop.example.com/login?next=https://evil.example`), and can leak
OAuth codes and tokens placed in the URL.
"""
example = '''
app.get("/login/done", (req, res) => {
  res.redirect(req.query.next);
});
'''
fix = '''
Redirect only to relative paths you recognise: check that the target starts with a single `/`
(not `//` or `/\\`) or look it up in an allow-list of URLs, and fall back to `/` otherwise.
'''
references = [
  "https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html",
  "https://cwe.mitre.org/data/definitions/601.html",
]
guidance = ["G12"]

[[examples]]
invalid = '''
app.get("/login/done", (req, res) => {
  res.redirect(req.query.next);
});
'''
valid = '''
app.get("/users/:id", (req, res) => {
  res.redirect(301, `/people/${req.params.id}`);
});
'''

[[examples]]
invalid = '''
router.get("/go", async (ctx) => {
  const { url } = ctx.query;
  ctx.redirect(url);
});
'''
valid = '''
router.get("/go", async (ctx) => {
  ctx.redirect("/");
});
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call_expression"], node: Some(check), ..CodeRule::EMPTY };

/// The leftmost piece of a string built with `+` or a template.
fn leading_literal(n: Node, src: &str) -> Option<String> {
    let n = strip(n);
    match n.ty() {
        "binary_expression" => leading_literal(n.field("left")?, src),
        "string" => Some(crate::semantics::text(n, src).trim_matches(|c| c == '"' || c == '\'').to_string()),
        "template_string" => {
            let first = n.named_child(0)?;
            (first.ty() == "string_fragment").then(|| crate::semantics::text(first, src).to_string())
        }
        _ => None,
    }
}

/// A target that starts with a fixed local path (`/users/...`) or a fixed
/// origin (`https://example.com/...`) stays where it is meant to.
fn fixed_destination(prefix: &str) -> bool {
    let local = (prefix.starts_with('/') && !prefix.starts_with("//") && !prefix.starts_with("/\\"))
        || prefix.starts_with("./")
        || prefix.starts_with("../")
        || prefix.starts_with('?');
    let origin = ["https://", "http://"]
        .iter()
        .any(|s| prefix.strip_prefix(s).is_some_and(|rest| rest.find('/').is_some_and(|i| i > 0)));
    local || origin
}

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function").filter(|f| f.ty() == "member_expression") else { return };
    if f.field("property").map(|p| ctx.text(p)) != Some("redirect") {
        return;
    }
    let obj = f.field("object").map(|o| ctx.text(o)).unwrap_or("");
    if !matches!(obj, "res" | "response" | "ctx" | "context" | "reply") {
        return;
    }
    let Some(args) = call.field("arguments") else { return };
    let count = args.named_child_count();
    let Some(target) = (count > 0).then(|| args.named_child((count - 1) as u32)).flatten() else { return };
    if leading_literal(target, &ctx.src.text).is_some_and(|p| fixed_destination(&p)) {
        return;
    }
    if !ctx.is_request_data(target) {
        return;
    }
    let arg = crate::finding::shorten(ctx.text(target));
    ctx.report(call, format!("{obj}.redirect() sends the user to a URL taken from the request (`{arg}`): links on your domain can forward to any site"));
}
