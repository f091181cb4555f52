//! `node/cpu-loop-in-handler`: unbounded CPU work in a request handler —
//! busy waits, nested loops over request data, JSON.parse/JSON.stringify
//! of the whole request body inside a loop.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::model::node::orm::{self, Repeat};
use crate::parse::Syntax;
use crate::semantics::{self, descendants, js, text, Context};
use std::collections::HashSet;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/cpu-loop-in-handler"
languages = ["js"]
severity = "note"
category = "concurrency"
confidence = "medium"
prefilter = ["while", "for", "forEach", "map(", "JSON."]
summary = "Unbounded CPU work in a request handler: busy waits, nested loops over request data"

[docs]
what = """
Inside a request handler (see `node/sync-api-in-handler` for what counts as one), flags:
`while (true)` / `for (;;)` / `do … while (true)` loops that never await, and loops that spin on the
clock (`while (Date.now() < end) {}`): busy waits; a loop over request data nested in another loop
over request data (`for (const a of req.body.points) for (const b of req.body.points)`, also
through `.forEach`/`.map`/`.filter` callbacks), whose cost grows with the square of what the client
sends. An inner loop over the current item's own children (`a.tags`, `req.query[key]`) visits each
part of the input once and is flagged only when each visit also scans an array
(`blocked.includes(tag)`);
and `JSON.parse`/`JSON.stringify` of the whole request body inside a loop. The finding starts at
the loop statement, or at the call when the work is that one call. A loop that awaits inside
yields to the event loop and is not flagged. These sites are also CPU-bound signals for the fit
profile (`fit/node-cpu-bound`).
"""
why = """
Node runs all JavaScript of a process on one thread: while a handler computes, every other request
waits. Work proportional to the square of a client-chosen size, or a loop that spins until a
deadline, lets one request stall the whole service.
"""
example = '''
app.post("/match", (req, res) => {
  const pairs = [];
  for (const a of req.body.left) {
    for (const b of req.body.right) if (a.key === b.key) pairs.push([a, b]);
  }
  res.json(pairs);
});
'''
fix = '''
Index one side in a `Map` and make the work linear; cap the sizes a client may send (body-parser
`limit`, schema `maxItems`); replace busy waits with `await setTimeout(ms)` from
`node:timers/promises`; move real computation to `worker_threads` (e.g. piscina) or a job queue.
'''
references = [
  "https://nodejs.org/en/learn/asynchronous-work/dont-block-the-event-loop",
  "https://nodejs.org/api/worker_threads.html",
]
guidance = ["G1", "G2"]

[[examples]]
invalid = '''
app.post("/match", (req, res) => {
  const pairs = [];
  for (const a of req.body.left) {
    for (const b of req.body.right) if (a.key === b.key) pairs.push([a, b]);
  }
  res.json(pairs);
});
'''
valid = '''
app.post("/match", (req, res) => {
  const right = new Map(req.body.right.map((b) => [b.key, b]));
  res.json(req.body.left.filter((a) => right.has(a.key)));
});
'''

[[examples]]
invalid = '''
router.get("/slow", (req, res) => {
  const end = Date.now() + 200;
  while (Date.now() < end) {}
  res.end();
});
'''
valid = '''
router.get("/events", async (req, res) => {
  while (true) {
    const ev = await queue.next();
    if (!ev) break;
    res.write(JSON.stringify(ev));
  }
  res.end();
});
'''

[[examples]]
invalid = '''
app.post("/batch", (req, res) => {
  const out = [];
  for (const op of ops) out.push(apply(op, JSON.parse(JSON.stringify(req.body))));
  res.json(out);
});
'''
valid = '''
function spin() {
  while (true) {
    tick();
  }
}
'''
"#####;

pub const RULE: CodeRule = CodeRule {
    doc: DOC,
    kinds: &["while_statement", "do_statement", "for_statement", "for_in_statement", "call_expression"],
    node: Some(check),
    ..CodeRule::EMPTY
};

const ITERATING: &[&str] = &["forEach", "map", "flatMap", "filter", "reduce", "some", "every", "find", "findIndex"];

fn in_handler(n: Node, ctx: &FileCtx) -> bool {
    semantics::inside(ctx.functions(), ctx.lang, n, Context::RequestHandler, Some(ctx.handlers()))
}

fn check(node: Node, ctx: &mut FileCtx) {
    if node.ty() == "call_expression" {
        check_call(node, ctx);
        return;
    }
    if !in_handler(node, ctx) {
        return;
    }
    if let Some(why) = busy_loop(node, ctx) {
        ctx.report(node, why);
        return;
    }
    if let Some(it) = iterable(node) {
        if direct_request_data(it, ctx) && !nested_in_request_loop(node, ctx) {
            if let Some(inner) = inner_request_loop(node, ctx) {
                report_nested(node, it, inner, ctx);
            }
        }
    }
}

fn check_call(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    let ft = ctx.text(f);
    if matches!(ft, "JSON.parse" | "JSON.stringify") {
        let Some(arg) = call.field("arguments").and_then(|a| a.named_child(0)) else { return };
        if !whole_body(arg, ctx) || orm::repeat_of(call, &ctx.src.text).is_none() || !in_handler(call, ctx) {
            return;
        }
        let msg = format!(
            "`{ft}` of the whole request body runs once per loop iteration: the work grows with body size times \
             iterations on the event loop; parse or serialise it once before the loop"
        );
        ctx.report(call, msg);
        return;
    }
    // req.body.items.forEach((item) => item.tags.forEach(...))
    if f.ty() != "member_expression" {
        return;
    }
    let method = f.field("property").map(|p| ctx.text(p)).unwrap_or("");
    if !ITERATING.contains(&method) {
        return;
    }
    let Some(obj) = f.field("object") else { return };
    // Handler first: request data is only looked for (a taint analysis of
    // the function) where it can matter.
    if !in_handler(call, ctx) || !direct_request_data(obj, ctx) || nested_in_request_loop(call, ctx) {
        return;
    }
    if let Some(inner) = inner_request_loop(call, ctx) {
        report_nested(call, obj, inner, ctx);
    }
}

fn report_nested(outer: Node, it: Node, inner: Node, ctx: &mut FileCtx) {
    let msg = format!(
        "nested loops over request data: the loop over `{}` runs another loop over client-sized data (line {}) \
         for every item, O(n²) CPU on the event loop; index one side in a Map or cap the input size",
        crate::finding::shorten(ctx.text(it)),
        ctx.src.line_of(inner.start_byte())
    );
    let loc = ctx.location(inner, Some("the inner loop".into()));
    ctx.report(outer, msg).related(loc);
}

/// The identifier an expression is rooted at: `item` for `item.tags[0]`.
fn root_name<'s>(mut n: Node, src: &'s str) -> Option<&'s str> {
    loop {
        match n.ty() {
            "identifier" => return Some(text(n, src)),
            "member_expression" | "subscript_expression" => n = n.field("object")?,
            "parenthesized_expression" | "non_null_expression" => n = n.named_child(0)?,
            _ => return None,
        }
    }
}

/// Request data that the client sized directly: not a value read back
/// through an awaited call (a database lookup keyed by a request
/// parameter returns server-sized data).
fn direct_request_data(it: Node, ctx: &FileCtx) -> bool {
    if !ctx.is_request_data(it) {
        return false;
    }
    let Some(name) = root_name(it, &ctx.src.text) else { return true };
    let Some(func) = ctx.enclosing_function(it) else { return true };
    let mut fetched = false;
    descendants(func, |n| {
        if n.ty() == "variable_declarator"
            && n.field("name").is_some_and(|x| ctx.text(x) == name)
            && n.field("value").is_some_and(|v| v.ty() == "await_expression")
        {
            fetched = true;
        }
        if n.ty() == "assignment_expression"
            && n.field("left").is_some_and(|x| ctx.text(x) == name)
            && n.field("right").is_some_and(|v| v.ty() == "await_expression")
        {
            fetched = true;
        }
        !fetched
    });
    !fetched
}

/// `req.body`, `request.body`, `ctx.request.body`, or a variable holding it.
fn whole_body(arg: Node, ctx: &FileCtx) -> bool {
    let is_body = |t: &str| matches!(t, "req.body" | "request.body" | "ctx.request.body" | "context.request.body");
    if is_body(ctx.text(arg)) {
        return true;
    }
    if arg.ty() != "identifier" {
        return false;
    }
    let name = ctx.text(arg);
    let Some(func) = ctx.enclosing_function(arg) else { return false };
    let mut found = false;
    descendants(func, |n| {
        if n.ty() == "variable_declarator"
            && n.field("name").is_some_and(|x| ctx.text(x) == name)
            && n.field("value").is_some_and(|v| is_body(ctx.text(v)))
        {
            found = true;
        }
        !found
    });
    found
}

/// What a loop statement iterates (for…of/in), or the bound of a counting
/// `for` (`i < req.body.items.length`).
fn iterable(loop_node: Node) -> Option<Node> {
    match loop_node.ty() {
        "for_in_statement" => loop_node.field("right"),
        "for_statement" => loop_node.field("condition"),
        _ => None,
    }
}

/// A busy loop: constant-true condition without any await, or a condition
/// on the clock.
fn busy_loop(n: Node, ctx: &FileCtx) -> Option<String> {
    let cond = match n.ty() {
        "while_statement" | "do_statement" => n.field("condition"),
        "for_statement" => n.field("condition"),
        _ => return None,
    };
    let cond_text = cond
        .map(|c| ctx.text(c).trim_matches(|c: char| c == '(' || c == ')' || c == ';' || c.is_whitespace()).to_string());
    let constant_true = match &cond_text {
        None => n.ty() == "for_statement",
        Some(t) => matches!(t.as_str(), "true" | "1" | "!0" | ""),
    };
    let clock = cond_text.as_deref().is_some_and(|t| {
        t.contains("Date.now()") || t.contains("new Date()") || t.contains("performance.now()") || t.contains("hrtime")
    });
    if !(constant_true || clock) || yields(n) {
        return None;
    }
    Some(if clock {
        "busy wait: this loop spins on the clock without yielding, so no other request runs until it ends; \
         use `await setTimeout(ms)` from node:timers/promises"
            .into()
    } else {
        "unbounded loop without an await: it runs until a `break` inside it while every other request waits; \
         bound it, yield with `await`, or move the work to a worker thread"
            .into()
    })
}

/// Does the loop await or yield (in its own function)?
fn yields(n: Node) -> bool {
    let mut found = false;
    descendants(n, |c| {
        if found || js::is_function_kind(c.ty()) {
            return false;
        }
        if matches!(c.ty(), "await_expression" | "yield_expression") {
            found = true;
        }
        true
    });
    found
}

/// Is `n` itself inside a loop over request data (so that the outermost
/// one carries the finding)?
fn nested_in_request_loop(n: Node, ctx: &FileCtx) -> bool {
    let mut cur = n.up();
    while let Some(p) = cur {
        if matches!(p.ty(), "for_in_statement" | "for_statement") {
            if iterable(p).is_some_and(|it| ctx.is_request_data(it)) {
                return true;
            }
        } else if p.ty() == "call_expression" {
            if let Some(f) = p.field("function").filter(|f| f.ty() == "member_expression") {
                let m = f.field("property").map(|x| ctx.text(x)).unwrap_or("");
                if ITERATING.contains(&m) && f.field("object").is_some_and(|o| ctx.is_request_data(o)) {
                    return true;
                }
            }
        }
        if js::is_function_kind(p.ty()) && ctx.handlers().is_handler(p) {
            return false;
        }
        cur = p.up();
    }
    false
}

/// A loop inside `outer` over request data or over data derived from the
/// outer loop's variable.
fn inner_request_loop<'t>(outer: Node<'t>, ctx: &FileCtx<'t>) -> Option<Node<'t>> {
    let src: &str = &ctx.src.text;
    let rep = match outer.ty() {
        "call_expression" => {
            let args = outer.field("arguments")?;
            let cb = args.named_child(0).filter(|a| js::is_function_kind(a.ty()))?;
            let m = outer.field("function")?.field("property")?;
            Repeat::Callback(outer, cb, semantics::text(m, src))
        }
        _ => Repeat::Loop(outer),
    };
    // Only the loop variables themselves (`item.tags`), not values computed
    // from them (a query keyed by the item is not client-sized).
    let vars: HashSet<String> = match rep {
        Repeat::Loop(l) if l.ty() == "for_in_statement" => {
            let mut v = HashSet::new();
            if let Some(left) = l.field("left") {
                js::add_pattern_names(left, src, &mut v);
            }
            v
        }
        Repeat::Callback(_, cb, _) => js::param_names(cb, src, 1).into_iter().filter(|p| !p.is_empty()).collect(),
        _ => HashSet::new(),
    };
    let body = match rep {
        Repeat::Loop(l) => l.field("body")?,
        Repeat::Callback(_, cb, _) => cb.field("body")?,
    };
    let mut found = None;
    descendants(body, |n| {
        if found.is_some() {
            return false;
        }
        let it = match n.ty() {
            "for_in_statement" | "for_statement" => iterable(n),
            "call_expression" => n
                .field("function")
                .filter(|f| f.ty() == "member_expression")
                .filter(|f| f.field("property").is_some_and(|p| ITERATING.contains(&text(p, src))))
                .and_then(|f| f.field("object")),
            _ => None,
        };
        if let Some(it) = it {
            // The current item's own children (`item.tags`, `req.query[key]`):
            // the two loops together visit each part of the input once,
            // which is quadratic only when each visit scans another
            // client-sized array (`blocked.includes(tag)`).
            let own_children = root_name(it, src).is_some_and(|r| vars.contains(r))
                || (it.ty() == "subscript_expression"
                    && it.field("index").is_some_and(|i| i.ty() == "identifier" && vars.contains(text(i, src))));
            let hit = if own_children { scans(n, src) } else { direct_request_data(it, ctx) };
            if hit {
                found = Some(n);
            }
        }
        true
    });
    found
}

/// Does the body of loop (or iterating call) `n` scan an array per visit
/// (`includes`, `indexOf`, `find`, ...)?
fn scans(n: Node, src: &str) -> bool {
    const SCANS: &[&str] = &["includes", "indexOf", "lastIndexOf", "find", "findIndex", "some", "every", "filter"];
    let body = match n.ty() {
        "for_in_statement" | "for_statement" => n.field("body"),
        _ => n.field("arguments"),
    };
    let Some(body) = body else { return false };
    let mut found = false;
    descendants(body, |d| {
        if d.ty() == "call_expression"
            && d.field("function").and_then(|f| f.field("property")).is_some_and(|p| SCANS.contains(&text(p, src)))
        {
            found = true;
        }
        !found
    });
    found
}
