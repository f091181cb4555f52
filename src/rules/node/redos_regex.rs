//! `node/redos-regex`: regular expressions with catastrophic backtracking
//! applied in request handlers or to request data, and `new RegExp(...)`
//! built from request data.
//!
//! The check: the pattern is parsed with `regex-syntax` (after rewriting the
//! JavaScript-only syntax it rejects: lookarounds, backreferences, `[^]`,
//! identity escapes), turned into a Glushkov automaton (one state per
//! character position), and tested for exponential ambiguity: some state
//! can loop back to itself along two different paths that read the same
//! text. Backtracking engines such as V8's then try exponentially many ways
//! to match a long input that finally fails. A loop that the pattern can end
//! right after is not reported: the engine succeeds there instead of
//! backtracking.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::Severity;
use crate::parse::Syntax;
use crate::semantics::{self, descendants, js, text, Context};
use regex_syntax::ast::{self, Ast, RepetitionKind, RepetitionRange};
use regex_syntax::hir::{self, ClassUnicode, ClassUnicodeRange, HirKind};
use std::collections::{BTreeSet, HashMap};
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

// ---------------------------------------------------------------------------
// The ambiguity check.

#[derive(Debug, Clone)]
pub struct Verdict {
    /// The ambiguous repetition, as written: "`(\w+\s?)*`".
    pub culprit: String,
}

/// Rewrites JavaScript regex syntax into what `regex-syntax` parses, keeping
/// a map from output bytes to input bytes. Lookaround groups become
/// non-capturing groups whose output offsets are returned, so that the
/// automaton can skip them.
fn translate(pattern: &str, flags: &str) -> (String, Vec<usize>, Vec<usize>) {
    let mut out = String::new();
    let mut map = Vec::new();
    let mut lookarounds = Vec::new();
    let mut prefix = String::new();
    for (f, inline) in [('i', "i"), ('s', "s"), ('m', "m")] {
        if flags.contains(f) {
            prefix.push_str(inline);
        }
    }
    if !prefix.is_empty() {
        out.push_str(&format!("(?{prefix})"));
        map.resize(out.len(), 0);
    }
    let chars: Vec<(usize, char)> = pattern.char_indices().collect();
    let mut i = 0;
    let mut in_class = false;
    let push = |out: &mut String, map: &mut Vec<usize>, s: &str, at: usize| {
        out.push_str(s);
        map.resize(out.len(), at);
    };
    let hex = |c: char| format!("\\x{{{:X}}}", c as u32);
    while i < chars.len() {
        let (at, c) = chars[i];
        let next = chars.get(i + 1).map(|x| x.1);
        match c {
            '\\' => {
                let Some(e) = next else {
                    push(&mut out, &mut map, "\\\\", at);
                    i += 1;
                    continue;
                };
                i += 2;
                match e {
                    'd' => push(&mut out, &mut map, "[0-9]", at),
                    'D' => push(&mut out, &mut map, "[^0-9]", at),
                    'w' => push(&mut out, &mut map, "[0-9A-Za-z_]", at),
                    'W' => push(&mut out, &mut map, "[^0-9A-Za-z_]", at),
                    's' | 'S' | 'n' | 'r' | 't' | 'v' | 'f' => push(&mut out, &mut map, &format!("\\{e}"), at),
                    'b' if in_class => push(&mut out, &mut map, "\\x{8}", at),
                    'b' | 'B' => push(&mut out, &mut map, &format!("\\{e}"), at),
                    'x' | 'u' | 'p' | 'P' => push(&mut out, &mut map, &format!("\\{e}"), at),
                    '0' => push(&mut out, &mut map, "\\x{0}", at),
                    'c' => {
                        i += 1;
                        push(&mut out, &mut map, "\\x{1}", at)
                    }
                    '1'..='9' => {
                        while chars.get(i).is_some_and(|x| x.1.is_ascii_digit()) {
                            i += 1;
                        }
                        if !in_class {
                            push(&mut out, &mut map, "(?:)", at)
                        }
                    }
                    'k' if chars.get(i).is_some_and(|x| x.1 == '<') => {
                        while chars.get(i).is_some_and(|x| x.1 != '>') {
                            i += 1;
                        }
                        i += 1;
                        push(&mut out, &mut map, "(?:)", at)
                    }
                    e if e.is_ascii_alphanumeric() => push(&mut out, &mut map, &e.to_string(), at),
                    e => push(&mut out, &mut map, &hex(e), at),
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                if next == Some('^') && chars.get(i + 2).map(|x| x.1) == Some(']') {
                    push(&mut out, &mut map, "[\\s\\S]", at);
                    in_class = false;
                    i += 3;
                    continue;
                }
                if next == Some(']') {
                    push(&mut out, &mut map, "[^\\s\\S]", at);
                    in_class = false;
                    i += 2;
                    continue;
                }
                push(&mut out, &mut map, "[", at);
                if next == Some('^') {
                    push(&mut out, &mut map, "^", at);
                    i += 1;
                }
                // A leading `]` is a literal in regex-syntax, an empty class in JS: handled above.
            }
            ']' if in_class => {
                in_class = false;
                push(&mut out, &mut map, "]", at);
            }
            '[' | '&' | '~' if in_class => push(&mut out, &mut map, &hex(c), at),
            '-' if in_class && next == Some('-') => push(&mut out, &mut map, &hex(c), at),
            ']' | '}' if !in_class => push(&mut out, &mut map, &hex(c), at),
            '{' if !in_class => {
                // A quantifier `{n}`, `{n,}`, `{n,m}` after something; otherwise a literal.
                let rest: String = chars[i..].iter().map(|x| x.1).take(24).collect();
                let close = rest.find('}');
                let valid = close.is_some_and(|j| {
                    let body = &rest[1..j];
                    let mut parts = body.splitn(2, ',');
                    let a = parts.next().unwrap_or("");
                    let b = parts.next();
                    !a.is_empty()
                        && a.chars().all(|c| c.is_ascii_digit())
                        && b.is_none_or(|b| b.chars().all(|c| c.is_ascii_digit()))
                }) && !out.is_empty()
                    && !out.ends_with('(')
                    && !out.ends_with('|');
                if valid {
                    let j = close.unwrap();
                    let q: String = rest[..=j].to_string();
                    push(&mut out, &mut map, &q, at);
                    i += q.chars().count();
                    continue;
                }
                push(&mut out, &mut map, &hex(c), at);
            }
            '(' if !in_class && next == Some('?') => {
                let n2 = chars.get(i + 2).map(|x| x.1);
                let n3 = chars.get(i + 3).map(|x| x.1);
                let look = match (n2, n3) {
                    (Some('='), _) | (Some('!'), _) => Some(3),
                    (Some('<'), Some('=')) | (Some('<'), Some('!')) => Some(4),
                    _ => None,
                };
                if let Some(len) = look {
                    lookarounds.push(out.len());
                    push(&mut out, &mut map, "(?:", at);
                    i += len;
                    continue;
                }
                push(&mut out, &mut map, "(", at);
            }
            '#' | ' ' => push(&mut out, &mut map, &hex(c), at),
            _ => {
                let mut b = [0u8; 4];
                push(&mut out, &mut map, c.encode_utf8(&mut b), at);
            }
        }
        i += 1;
    }
    map.push(pattern.len());
    (out, map, lookarounds)
}

/// Position automaton (Glushkov): one state per character position.
struct Glushkov<'p> {
    pattern: &'p str,
    case_insensitive: bool,
    dot_all: bool,
    lookarounds: Vec<usize>,
    /// Per position: the characters it reads (`None`: an end anchor, reads nothing).
    class: Vec<Option<ClassUnicode>>,
    /// Per position: (next position, the construct that made the edge: 0 for
    /// sequence, `k` for the k-th loop). Two loops that lead to the same
    /// position are two ways for a backtracking engine to go there.
    follow: Vec<BTreeSet<(usize, usize)>>,
    /// Repetitions that loop: (span in the translated pattern, positions inside).
    loops: Vec<((usize, usize), BTreeSet<usize>)>,
    cache: HashMap<String, Option<ClassUnicode>>,
    too_big: bool,
}

#[derive(Default, Clone)]
struct Frag {
    nullable: bool,
    first: BTreeSet<usize>,
    last: BTreeSet<usize>,
}

const MAX_POSITIONS: usize = 160;

impl<'p> Glushkov<'p> {
    fn new_pos(&mut self, class: Option<ClassUnicode>) -> Frag {
        let id = self.class.len();
        if id >= MAX_POSITIONS {
            self.too_big = true;
        }
        self.class.push(class);
        self.follow.push(BTreeSet::new());
        Frag { nullable: false, first: [id].into(), last: [id].into() }
    }

    fn class_of(&mut self, code: &str) -> Option<ClassUnicode> {
        if let Some(c) = self.cache.get(code) {
            return c.clone();
        }
        let mut full = String::new();
        if self.case_insensitive {
            full.push_str("(?i)");
        }
        if self.dot_all {
            full.push_str("(?s)");
        }
        full.push_str(code);
        let cls = regex_syntax::ParserBuilder::new().build().parse(&full).ok().and_then(|h| match h.into_kind() {
            HirKind::Class(hir::Class::Unicode(c)) => Some(c),
            HirKind::Literal(hir::Literal(bytes)) => {
                let s = String::from_utf8(bytes.to_vec()).ok()?;
                let c = s.chars().next()?;
                Some(ClassUnicode::new([ClassUnicodeRange::new(c, c)]))
            }
            _ => None,
        });
        self.cache.insert(code.to_string(), cls.clone());
        cls
    }

    fn concat(&mut self, a: Frag, b: Frag) -> Frag {
        for &l in &a.last {
            self.follow[l].extend(b.first.iter().map(|&f| (f, 0)));
        }
        Frag {
            nullable: a.nullable && b.nullable,
            first: if a.nullable { a.first.union(&b.first).copied().collect() } else { a.first },
            last: if b.nullable { a.last.union(&b.last).copied().collect() } else { b.last },
        }
    }

    fn looped(&mut self, f: Frag, span: (usize, usize), start: usize) -> Frag {
        let inside: BTreeSet<usize> = (start..self.class.len()).collect();
        self.loops.push((span, inside));
        let via = self.loops.len();
        for &l in &f.last {
            self.follow[l].extend(f.first.iter().map(|&x| (x, via)));
        }
        f
    }

    fn optional_chain(&mut self, a: &Ast, k: u32) -> Frag {
        if k == 0 || self.too_big {
            return Frag { nullable: true, ..Frag::default() };
        }
        let f = self.build(a);
        let rest = self.optional_chain(a, k - 1);
        let mut chain = self.concat(f, rest);
        chain.nullable = true;
        chain
    }

    fn build(&mut self, a: &Ast) -> Frag {
        if self.too_big {
            return Frag::default();
        }
        match a {
            Ast::Empty(_) | Ast::Flags(_) => Frag { nullable: true, ..Frag::default() },
            Ast::Literal(l) => {
                let code = &self.pattern[l.span.start.offset..l.span.end.offset];
                let c = self.class_of(code).or_else(|| Some(ClassUnicode::new([ClassUnicodeRange::new(l.c, l.c)])));
                self.new_pos(c)
            }
            Ast::Dot(_) => {
                let c = self.class_of(".");
                self.new_pos(c)
            }
            Ast::Assertion(x) => match x.kind {
                ast::AssertionKind::EndLine | ast::AssertionKind::EndText => self.new_pos(None),
                _ => Frag { nullable: true, ..Frag::default() },
            },
            Ast::ClassUnicode(c) => {
                let cls = self.class_of(&self.pattern[c.span.start.offset..c.span.end.offset]);
                self.new_pos(cls)
            }
            Ast::ClassPerl(c) => {
                let cls = self.class_of(&self.pattern[c.span.start.offset..c.span.end.offset]);
                self.new_pos(cls)
            }
            Ast::ClassBracketed(c) => {
                let cls = self.class_of(&self.pattern[c.span.start.offset..c.span.end.offset]);
                self.new_pos(cls)
            }
            Ast::Group(g) => {
                if self.lookarounds.contains(&g.span.start.offset) {
                    return Frag { nullable: true, ..Frag::default() };
                }
                self.build(&g.ast)
            }
            Ast::Alternation(alt) => {
                let mut out = Frag::default();
                for b in &alt.asts {
                    let f = self.build(b);
                    out.nullable |= f.nullable;
                    out.first.extend(f.first);
                    out.last.extend(f.last);
                }
                out
            }
            Ast::Concat(c) => {
                let mut acc = Frag { nullable: true, ..Frag::default() };
                for x in &c.asts {
                    let f = self.build(x);
                    acc = self.concat(acc, f);
                }
                acc
            }
            Ast::Repetition(r) => {
                let span = (r.span.start.offset, r.span.end.offset);
                let (min, max): (u32, Option<u32>) = match &r.op.kind {
                    RepetitionKind::ZeroOrOne => (0, Some(1)),
                    RepetitionKind::ZeroOrMore => (0, None),
                    RepetitionKind::OneOrMore => (1, None),
                    RepetitionKind::Range(RepetitionRange::Exactly(n)) => (*n, Some(*n)),
                    RepetitionKind::Range(RepetitionRange::AtLeast(n)) => (*n, None),
                    RepetitionKind::Range(RepetitionRange::Bounded(a, b)) => (*a, Some(*b)),
                };
                // Large bounds behave like unbounded loops for backtracking.
                let max = max.filter(|m| *m <= 6);
                let copies = min.clamp(1, 3);
                let mut acc = Frag { nullable: true, ..Frag::default() };
                match max {
                    Some(m) => {
                        if m == 0 {
                            return acc;
                        }
                        for _ in 0..min {
                            let f = self.build(&r.ast);
                            acc = self.concat(acc, f);
                        }
                        // `x{1,4}` is `x(x(x)?)?)?`, not `x x? x? x?`: a counted
                        // loop tries one count at a time and is not ambiguous.
                        let tail = self.optional_chain(&r.ast, m - min);
                        self.concat(acc, tail)
                    }
                    None => {
                        for _ in 1..copies {
                            let f = self.build(&r.ast);
                            acc = self.concat(acc, f);
                        }
                        let start = self.class.len();
                        let mut f = self.build(&r.ast);
                        f = self.looped(f, span, start);
                        if min == 0 {
                            f.nullable = true;
                        }
                        self.concat(acc, f)
                    }
                }
            }
        }
    }
}

fn intersects(a: &Option<ClassUnicode>, b: &Option<ClassUnicode>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            let mut x = a.clone();
            x.intersect(b);
            !x.ranges().is_empty()
        }
        _ => false,
    }
}

/// Is the pattern exponentially ambiguous in a place the match can fail
/// after? Returns the ambiguous repetition as written.
pub fn analyse(pattern: &str, flags: &str) -> Option<Verdict> {
    if pattern.len() > 2000 || !(pattern.contains('*') || pattern.contains('+') || pattern.contains('{')) {
        return None;
    }
    let (translated, map, lookarounds) = translate(pattern, flags);
    let ast = ast::parse::ParserBuilder::new().nest_limit(64).build().parse(&translated).ok()?;
    let mut g = Glushkov {
        pattern: &translated,
        case_insensitive: flags.contains('i'),
        dot_all: flags.contains('s'),
        lookarounds,
        class: Vec::new(),
        follow: Vec::new(),
        loops: Vec::new(),
        cache: HashMap::new(),
        too_big: false,
    };
    let root = g.build(&ast);
    if g.too_big || g.loops.is_empty() {
        return None;
    }
    let n = g.class.len();
    let compat: Vec<Vec<bool>> =
        (0..n).map(|i| (0..n).map(|j| intersects(&g.class[i], &g.class[j])).collect()).collect();
    // Exponential ambiguity: from (q, q) two runs reading the same text come
    // back to (q, q) after taking different edges somewhere. States of the
    // product are (i, j, diverged); `div` keeps the loops whose edges split.
    let mut budget: usize = 4_000_000;
    let state = |i: usize, j: usize, d: usize| (i * n + j) * 2 + d;
    for q in 0..n {
        if root.last.contains(&q) || !g.loops.iter().any(|(_, inside)| inside.contains(&q)) {
            continue;
        }
        let mut seen = vec![false; n * n * 2];
        let mut div: Vec<(usize, usize)> = vec![(0, 0); n * n * 2];
        let mut queue = std::collections::VecDeque::new();
        queue.push_back((q, q, 0usize));
        seen[state(q, q, 0)] = true;
        while let Some((i, j, d)) = queue.pop_front() {
            for &(k, va) in &g.follow[i] {
                for &(l, vb) in &g.follow[j] {
                    budget = budget.checked_sub(1)?;
                    if !compat[k][l] {
                        continue;
                    }
                    let split = d == 0 && (k != l || va != vb);
                    let nd = usize::from(d == 1 || split);
                    let s = state(k, l, nd);
                    if seen[s] {
                        continue;
                    }
                    seen[s] = true;
                    div[s] = if split { (va, vb) } else { div[state(i, j, d)] };
                    if k == q && l == q && nd == 1 {
                        return Some(Verdict { culprit: culprit(&g, q, div[s], pattern, &map) });
                    }
                    queue.push_back((k, l, nd));
                }
            }
        }
    }
    None
}

/// The repetition to show: the outer of the loops whose edges split, or the
/// innermost loop around `q`.
fn culprit(g: &Glushkov, q: usize, (va, vb): (usize, usize), pattern: &str, map: &[usize]) -> String {
    let span_of = |v: usize| (v > 0).then(|| g.loops[v - 1].0);
    let chosen = [span_of(va), span_of(vb)].into_iter().flatten().max_by_key(|(s, e)| e - s).or_else(|| {
        g.loops.iter().filter(|(_, inside)| inside.contains(&q)).map(|(sp, _)| *sp).min_by_key(|(s, e)| e - s)
    });
    match chosen {
        Some((s, e)) => {
            let s = map[s.min(map.len() - 1)].min(pattern.len());
            let e = map[e.min(map.len() - 1)].min(pattern.len());
            let e = if e <= s { pattern.len() } else { e };
            format!("`{}`", &pattern[s..e])
        }
        None => "a repetition".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::analyse;

    fn bad(p: &str) -> bool {
        analyse(p, "").is_some()
    }

    #[test]
    fn nested_and_overlapping_quantifiers_are_flagged() {
        for p in [
            r"^(a+)+$",
            r"^(a|a)*$",
            r"^(\w+\s?)*$",
            r"^(\w|\d)+$",
            r"(a+)+b",
            r"^([a-zA-Z0-9_\.\-])+\@(([a-zA-Z0-9\-])+\.)+([a-zA-Z0-9]{2,4})+$",
            r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$",
            r"^(https?:\/\/)?([\da-z\.-]+)\.([a-z\.]{2,6})([\/\w \.-]*)*\/?$",
            r"^(?=x)(.*a){1,}z$",
            r"^(\d+)*\1$",
        ] {
            assert!(bad(p), "{p} should be flagged");
        }
    }

    #[test]
    fn safe_patterns_are_not_flagged() {
        for p in [
            r"^\d+$",
            r"(a+)+",
            r"^(ab+)+$",
            r"^([a-z]+\.)+[a-z]{2,}$",
            r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$",
            r"^\s*(\w+)\s*=\s*(.*)$",
            r"^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@example\.com$",
            r"^[\w.-]+\/[\w.-]+$",
            r"^#?([a-f\d]{2})([a-f\d]{2})([a-f\d]{2})$",
            r"[^]*",
            r"^(?<year>\d{4})-(?<month>\d{2})$",
            r"\{\{(.+?)\}\}",
            r"a{",
            r"^(?:[A-F0-9]{1,4}:){7}[A-F0-9]{1,4}$",
            r"^(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)$",
        ] {
            assert!(!bad(p), "{p} should not be flagged");
        }
    }

    #[test]
    fn culprit_points_at_the_written_repetition() {
        assert_eq!(analyse(r"^(\w+\s?)*$", "").unwrap().culprit, r"`(\w+\s?)*`");
    }
}
