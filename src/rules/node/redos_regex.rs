//! `node/redos-regex`: regular expressions with catastrophic backtracking
//! applied in request handlers or to request data, and `new RegExp(...)`
//! built from request data.
//!
//! The ambiguity check itself is `semantics::regex::analyse`.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::Severity;
use crate::parse::Syntax;
use crate::semantics::regex::{analyse, Verdict};
use crate::semantics::{self, descendants, js, text, Context};
use std::collections::HashMap;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "node/redos-regex"
languages = ["js"]
severity = "warning"
category = "security"
tags = ["injection", "request-data"]
confidence = "medium"
prefilter = ["/", "RegExp"]
summary = "A regex with catastrophic backtracking used on request data, or a RegExp built from request data"

[docs]
what = """
Flags regex literals and `new RegExp("literal")` whose structure lets a backtracking engine try
exponentially many ways to match: nested quantifiers (`(a+)+`, `([a-z]+\\s?)*`), quantified groups
whose alternatives overlap (`(a|a)*`, `(\\w|\\d)+`), and the classic e-mail and URL patterns built that
way, when the regex sits in a request handler or is applied there (`EMAIL.test(req.body.email)`).
The analysis is exact for the regular part of the pattern: it builds the pattern's position
automaton and looks for a state that two different paths over the same text lead back to. Loops
after which the pattern can simply end are not flagged (the engine succeeds there), so `^\\d+$` and
`/(a+)+/` are fine and `^(a+)+$` is not. `new RegExp(x)` with `x` from the request is regex
injection (error) unless `x` goes through an escape function (`escapeRegExp`, `_.escapeRegExp`).
"""
why = """
V8 matches regular expressions by backtracking. For an ambiguous pattern and a crafted input of a
few dozen characters that almost matches, the number of paths doubles with every character: one
request pins the event loop for seconds or minutes and the whole service stops answering (ReDoS).
Attacker-chosen patterns in `new RegExp` can do the same on purpose.
"""
example = '''
const EMAIL = /^([a-zA-Z0-9_\\.\\-])+\\@(([a-zA-Z0-9\\-])+\\.)+([a-zA-Z0-9]{2,4})+$/;
app.post("/signup", (req, res) => {
  if (!EMAIL.test(req.body.email)) return res.status(400).end();
});
'''
fix = '''
Make every part of the pattern match in only one way: drop the outer quantifier when the inner one
already repeats (`(a+)+` → `a+`), make alternatives disjoint, and make separators mandatory
(`(\\w+\\s?)*` → `\\w+(\\s\\w+)*`). Bound input length before matching. For e-mail, use a validator
library (`validator.isEmail`) or a simple `^[^@\\s]+@[^@\\s]+$`. Escape user input passed to
`new RegExp` (`_.escapeRegExp`), or use `String.prototype.includes`. The `re2` package offers a
linear-time engine.
'''
references = [
  "https://owasp.org/www-community/attacks/Regular_expression_Denial_of_Service_-_ReDoS",
  "https://nodejs.org/en/learn/asynchronous-work/dont-block-the-event-loop#blocking-the-event-loop-redos",
  "https://docs.rs/regex-syntax/latest/regex_syntax/",
  "https://cwe.mitre.org/data/definitions/1333.html",
]
guidance = ["G2", "G12"]

[[examples]]
invalid = '''
app.get("/tags", (req, res) => {
  const ok = /^(\w+\s?)*$/.test(req.query.tags);
  res.json({ ok });
});
'''
valid = '''
app.get("/items/:id", (req, res) => {
  const ok = /^\d+$/.test(req.params.id);
  res.json({ ok });
});
'''

[[examples]]
invalid = '''
const EMAIL = /^([a-zA-Z0-9_\.\-])+\@(([a-zA-Z0-9\-])+\.)+([a-zA-Z0-9]{2,4})+$/;
router.post("/signup", (req, res) => {
  if (!EMAIL.test(req.body.email)) return res.sendStatus(400);
  res.sendStatus(201);
});
'''
valid = '''
const EMAIL = /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i;
router.post("/signup", (req, res) => {
  if (!EMAIL.test(req.body.email)) return res.sendStatus(400);
  res.sendStatus(201);
});
'''

[[examples]]
invalid = '''
app.get("/search", (req, res) => {
  const re = new RegExp(req.query.q, "i");
  res.json(items.filter((i) => re.test(i.name)));
});
'''
valid = '''
const escapeRegExp = require("lodash/escapeRegExp");
app.get("/search", (req, res) => {
  const re = new RegExp(escapeRegExp(req.query.q), "i");
  res.json(items.filter((i) => re.test(i.name)));
});
'''

[[examples]]
invalid = '''
app.post("/parse", (req, res) => {
  const m = new RegExp("^(a|a)*$").exec(req.body.s);
  res.json({ m });
});
'''
valid = '''
// Startup only: a slow regex that never sees a request.
const HEADER = /^(\w+\s?)*$/;
console.log(HEADER.test(process.argv[2]));
'''
"#####;

pub const RULE: CodeRule =
    CodeRule { doc: DOC, kinds: &["regex", "new_expression", "call_expression"], node: Some(check), ..CodeRule::EMPTY };

/// Methods that run a regex over a subject: `re.test(s)`, `s.match(re)`.
const REGEX_METHODS: &[&str] = &["test", "exec"];
const STRING_METHODS: &[&str] = &["match", "matchAll", "replace", "replaceAll", "split", "search"];

fn check(node: Node, ctx: &mut FileCtx) {
    match node.ty() {
        "regex" => {
            let pattern = node.field("pattern").map(|p| ctx.text(p)).unwrap_or("");
            let flags = node.field("flags").map(|p| ctx.text(p)).unwrap_or("");
            if let Some(v) = analyse(pattern, flags) {
                report_if_applied(node, &v, ctx);
            }
        }
        "new_expression" | "call_expression" => {
            let callee = node.field(if node.ty() == "new_expression" { "constructor" } else { "function" });
            if callee.is_none_or(|c| ctx.text(c) != "RegExp") {
                return;
            }
            let Some(args) = node.field("arguments") else { return };
            let Some(first) = args.named_child(0) else { return };
            let flags = args.named_child(1).and_then(|f| string_value(f, ctx)).unwrap_or_default();
            if let Some(pattern) = string_value(first, ctx) {
                if let Some(v) = analyse(&pattern, &flags) {
                    report_if_applied(node, &v, ctx);
                }
            } else if first.ty() != "regex" && ctx.is_request_data(first) && !escaped(first, ctx) {
                let msg = format!(
                    "`{}` compiles a regular expression from request data: a client can send a pattern that \
                     backtracks for minutes (regex injection); escape it (`_.escapeRegExp`) or match with `includes`",
                    crate::finding::shorten(ctx.text(node))
                );
                ctx.report(node, msg).severity(Severity::Error);
            }
        }
        _ => {}
    }
}

/// Does `arg` go through an escape function (`escapeRegExp(q)`, or a
/// variable assigned from one)?
fn escaped(arg: Node, ctx: &FileCtx) -> bool {
    let is_escape_call = |n: Node| {
        n.ty() == "call_expression"
            && n.field("function").is_some_and(|f| ctx.text(f).to_ascii_lowercase().contains("escape"))
    };
    if is_escape_call(arg) {
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
            && n.field("value").is_some_and(is_escape_call)
        {
            found = true;
        }
        !found
    });
    found
}

/// The value of a string literal or a template without substitutions.
fn string_value(n: Node, ctx: &FileCtx) -> Option<String> {
    let raw = ctx.text(n);
    match n.ty() {
        "string" | "template_string" => {
            if n.ty() == "template_string" && !js::is_literal(n) {
                return None;
            }
            let inner = &raw[1..raw.len().saturating_sub(1)];
            Some(unescape_js(inner))
        }
        _ => None,
    }
}

fn unescape_js(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('x') => {
                let h: String = it.by_ref().take(2).collect();
                if let Some(c) = u32::from_str_radix(&h, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                }
            }
            Some('u') => {
                let h: String = if it.peek() == Some(&'{') {
                    it.next();
                    it.by_ref().take_while(|c| *c != '}').collect()
                } else {
                    it.by_ref().take(4).collect()
                };
                if let Some(c) = u32::from_str_radix(&h, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Reports the vulnerable regex at `re` if it is in a request handler or
/// bound to a name that a handler (or request data) is matched against.
fn report_if_applied(re: Node, v: &Verdict, ctx: &mut FileCtx) {
    let in_handler = semantics::inside(ctx.functions(), ctx.lang, re, Context::RequestHandler, Some(ctx.handlers()));
    let mut use_site = None;
    if !in_handler {
        // `const EMAIL = /.../` used elsewhere in the file.
        let Some(decl) = re.up().filter(|p| {
            matches!(p.ty(), "variable_declarator" | "pair" | "public_field_definition" | "field_definition")
        }) else {
            return;
        };
        let name_node = decl.field("name").or(decl.field("key")).or(decl.field("property"));
        let Some(name_node) = name_node else { return };
        let name = ctx.text(name_node).to_string();
        use_site = applied_use(&name, ctx);
        if use_site.is_none() {
            return;
        }
    }
    let code = crate::finding::shorten(ctx.text(re));
    let msg = format!(
        "`{code}` can backtrack catastrophically: {} can match the same text in exponentially many ways, so one \
         crafted string blocks the event loop (ReDoS); make the repetition unambiguous or bound the input",
        v.culprit
    );
    let related = use_site.map(|u| ctx.location(u, Some("applied here".into())));
    let f = ctx.report(re, msg);
    if let Some(r) = related {
        f.related(r);
    }
}

/// Calls that apply a regex held in a variable, by the variable's (last)
/// name: byte range of the call and whether the subject is the call's
/// receiver (`s.match(RE)`) or its first argument (`RE.test(s)`). Built
/// once per file: bundles declare hundreds of regexes.
#[derive(Default)]
struct Applications(HashMap<String, Vec<(usize, usize, bool)>>);

fn applications(ctx: &FileCtx) -> std::rc::Rc<Applications> {
    ctx.memo.get_or_insert(|| {
        let src: &str = &ctx.src.text;
        let mut out = Applications::default();
        let last = |x: Node| text(x, src).rsplit('.').next().unwrap_or("").to_string();
        descendants(ctx.tree.root_node(), |n| {
            if n.ty() != "call_expression" {
                return true;
            }
            let Some(f) = n.field("function").filter(|f| f.ty() == "member_expression") else {
                return true;
            };
            let method = f.field("property").map(|p| text(p, src)).unwrap_or("");
            let arg0 = n.field("arguments").and_then(|a| a.named_child(0));
            if REGEX_METHODS.contains(&method) {
                if let Some(obj) = f.field("object") {
                    out.0.entry(last(obj)).or_default().push((n.start_byte(), n.end_byte(), false));
                }
            }
            if STRING_METHODS.contains(&method) {
                if let Some(a) = arg0 {
                    out.0.entry(last(a)).or_default().push((n.start_byte(), n.end_byte(), true));
                }
            }
            true
        });
        out
    })
}

/// A place where the regex bound to `name` is applied inside a request
/// handler or to request data.
fn applied_use<'t>(name: &str, ctx: &FileCtx<'t>) -> Option<Node<'t>> {
    let apps = applications(ctx);
    let root = ctx.tree.root_node();
    let handlers = ctx.handlers();
    for &(start, end, subject_is_receiver) in apps.0.get(name)? {
        // The smallest node spanning a call's range is the call (none of
        // its children spans all of it).
        let Some(n) = root.descendant_for_byte_range(start, end).filter(|n| n.ty() == "call_expression") else {
            continue;
        };
        let subject = if subject_is_receiver {
            n.field("function").and_then(|f| f.field("object"))
        } else {
            n.field("arguments").and_then(|a| a.named_child(0))
        };
        if semantics::inside(ctx.functions(), ctx.lang, n, Context::RequestHandler, Some(handlers))
            || subject.is_some_and(|s| ctx.is_request_data(s))
        {
            return Some(n);
        }
    }
    None
}
