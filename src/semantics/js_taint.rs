//! Function-local taint for JavaScript/TypeScript: which expressions carry
//! request data (Express/Koa/Fastify/Next.js request objects, NestJS
//! `@Body/@Query/@Param/@Headers` parameters, app-router `params`), through
//! assignments, destructuring, template literals and concatenation, and which
//! calls sanitise it.

use super::functions::FnIndex;
use super::js::{add_pattern_names, is_function_kind};
use super::{descendants, text, Handlers, Taint};
use crate::parse::Syntax;
use std::collections::HashSet;
use tree_sitter::Node;

/// Request data: `req.query`, `req.body`, `ctx.request.body`,
/// `request.nextUrl.searchParams`, `await request.json()`, ...
fn is_request_source(node: Node, src: &str) -> bool {
    match node.ty() {
        "subscript_expression" => {
            // `req["body"]` is `req.body`.
            let (Some(obj), Some(idx)) = (node.field("object"), node.field("index")) else {
                return false;
            };
            let key = text(idx, src).trim_matches(|c| c == '"' || c == '\'' || c == '`');
            matches!(text(obj, src), "req" | "request")
                && matches!(key, "query" | "params" | "body" | "headers" | "cookies" | "signedCookies")
        }
        "member_expression" => {
            let (Some(obj), Some(prop)) = (node.field("object"), node.field("property")) else {
                return false;
            };
            let obj_t = text(obj, src);
            let prop_t = text(prop, src);
            match obj_t {
                "req" | "request" => {
                    matches!(prop_t, "query" | "params" | "body" | "headers" | "cookies" | "signedCookies")
                        || (obj_t == "request" && prop_t == "nextUrl")
                }
                "ctx" | "context" => matches!(prop_t, "query" | "params" | "headers" | "cookies" | "querystring"),
                "ctx.request" | "context.request" => matches!(prop_t, "body" | "query" | "headers" | "files"),
                _ => false,
            }
        }
        "call_expression" => node.field("function").is_some_and(|f| {
            matches!(
                text(f, src),
                "request.json"
                    | "request.formData"
                    | "request.text"
                    | "req.json"
                    | "req.formData"
                    // Express header and parameter accessors.
                    | "req.get"
                    | "req.header"
                    | "req.param"
                    | "ctx.get"
                    | "ctx.request.get"
            )
        }),
        _ => false,
    }
}

const SANITIZERS: &[&str] = &[
    "parseInt",
    "parseFloat",
    "Number",
    "Boolean",
    "Number.parseInt",
    "Number.parseFloat",
    "Math.floor",
    "Math.round",
    "encodeURIComponent",
    "encodeURI",
    "escape",
    "escapeHtml",
    "escapeHTML",
    "htmlEscape",
    "path.basename",
    "basename",
    "validator.escape",
    "validator.isInt",
    "xss",
    "filterXSS",
    "DOMPurify.sanitize",
    "sanitize",
    "sanitizeHtml",
    "sanitizeFilename",
    "he.encode",
    "he.escape",
    "_.escape",
    "mongoose.Types.ObjectId",
    "Types.ObjectId",
    "ObjectId",
    "isValidObjectId",
    "mongoSanitize.sanitize",
];
/// Validation libraries (zod, joi, yup, class-validator wrappers): their
/// results are checked data.
const VALIDATING_METHODS: &[&str] = &["parse", "parseAsync", "safeParse", "validate", "validateSync", "validateAsync"];
/// Escaping methods of SQL drivers and HTML libraries (`mysql.escape(x)`,
/// `connection.escapeId(x)`, `client.escapeLiteral(x)`).
const ESCAPING_METHODS: &[&str] = &["escape", "escapeId", "escapeLiteral", "escapeIdentifier", "sanitize", "encode"];
/// Modules whose default export (or namespace) sanitises what it is given:
/// `const esc = require("escape-html")` makes `esc(x)` a sanitiser.
const SANITIZER_MODULES: &[&str] = &[
    "escape-html",
    "xss",
    "sanitize-html",
    "sanitize-filename",
    "html-escaper",
    "lodash.escape",
    "pg-format",
    "sqlstring",
];
/// Marker prefix for local names bound to sanitiser modules in `Taint::names`
/// (not an identifier character, so it never collides with a variable).
const SANITIZER_MARK: &str = "\u{1}sanitizer:";
/// Functions whose result carries the request data of their arguments.
const PROPAGATORS: &[&str] = &[
    "String",
    "decodeURIComponent",
    "decodeURI",
    "unescape",
    "atob",
    "JSON.parse",
    "JSON.stringify",
    "Buffer.from",
    "path.join",
    "path.resolve",
    "path.normalize",
    "path.posix.join",
    "path.posix.resolve",
    "path.win32.join",
    "join",
    "resolve",
    "normalize",
    "url.parse",
    "url.resolve",
    "util.format",
    "format",
    "Object.assign",
    "Object.values",
    "Object.keys",
    "Object.entries",
    "Array.from",
    "querystring.parse",
    "qs.parse",
    "Promise.resolve",
];

fn sanitizer_call(node: Node, src: &str, taint: &Taint) -> bool {
    if node.ty() != "call_expression" {
        return false;
    }
    let Some(f) = node.field("function") else { return false };
    let t = text(f, src);
    if SANITIZERS.contains(&t) {
        return true;
    }
    if f.ty() == "identifier" && taint.names.contains(&format!("{SANITIZER_MARK}{t}")) {
        return true;
    }
    if f.ty() == "member_expression" {
        let prop = f.field("property").map(|p| text(p, src)).unwrap_or("");
        let obj = f.field("object").map(|o| text(o, src)).unwrap_or("");
        if VALIDATING_METHODS.contains(&prop) && obj != "JSON" {
            return true;
        }
        if ESCAPING_METHODS.contains(&prop) {
            return true;
        }
        if taint.names.contains(&format!("{SANITIZER_MARK}{obj}")) {
            return true;
        }
    }
    false
}

/// Does `expr` carry request data, given the tainted names of its function?
/// Request data flows through member access, string building (template
/// literals, `+`), `||`/`??` defaults, conditionals, object and array
/// literals (spreads included), `await`, methods called on tainted values
/// (`name.trim()`) and a few propagating functions (`String`, `path.join`,
/// `JSON.parse`, ...). It does not flow through other calls: a value read
/// back from a database with a tainted key (`User.findById(id)`) is not
/// request data. Sanitisers (`parseInt`, `Number`, `path.basename`,
/// `escape-html`, `encodeURIComponent`, validator/zod/joi `parse`) end it.
pub fn expr_tainted(expr: Node, src: &str, taint: &Taint) -> bool {
    let mut found = false;
    descendants(expr, |n| {
        if found || sanitizer_call(n, src, taint) || is_function_kind(n.ty()) {
            return false;
        }
        if is_request_source(n, src) {
            found = true;
            return false;
        }
        let sub = |field: &str| n.field(field).is_some_and(|c| expr_tainted(c, src, taint));
        match n.ty() {
            "identifier" | "shorthand_property_identifier" if taint.names.contains(text(n, src)) => {
                found = true;
                false
            }
            // In `a.b` and `a[b]` only the object carries data through.
            "member_expression" | "subscript_expression" => {
                found = sub("object");
                false
            }
            "pair" => {
                found = sub("value");
                false
            }
            "call_expression" => {
                let Some(f) = n.field("function") else { return false };
                let args_tainted = || n.field("arguments").is_some_and(|a| expr_tainted(a, src, taint));
                found = match f.ty() {
                    "member_expression" => {
                        let prop = f.field("property").map(|p| text(p, src)).unwrap_or("");
                        f.field("object").is_some_and(|o| expr_tainted(o, src, taint))
                            || ((prop == "concat" || PROPAGATORS.contains(&text(f, src))) && args_tainted())
                    }
                    "identifier" => PROPAGATORS.contains(&text(f, src)) && args_tainted(),
                    _ => false,
                };
                false
            }
            "new_expression" => {
                found = n.field("arguments").is_some_and(|a| expr_tainted(a, src, taint));
                false
            }
            "binary_expression" => {
                let op = n.field("operator").map(|o| text(o, src)).unwrap_or("");
                found = matches!(op, "+" | "||" | "??" | "&&") && (sub("left") || sub("right"));
                false
            }
            "ternary_expression" => {
                found = sub("consequence") || sub("alternative");
                false
            }
            "unary_expression" | "update_expression" => false,
            _ => true,
        }
    });
    found
}

/// A function taking the request itself (`(req, res, next)`, `(ctx)`):
/// the scope request data lives in, even when not recognised as a handler
/// (wrapped in `asyncHandler(...)`, a middleware factory's inner function).
fn request_shaped(func: Node, src: &str) -> bool {
    let Some(params) = function_params(func) else { return false };
    let mut names = HashSet::new();
    add_pattern_names(params, src, &mut names);
    ["req", "request", "ctx", "context"].iter().any(|n| names.contains(*n))
}

const ITERATION_METHODS: &[&str] = &["forEach", "map", "flatMap", "filter", "find", "some", "every"];

fn function_params(func: Node) -> Option<Node> {
    func.field("parameters").or(func.field("parameter"))
}

/// The parameters of a function in order (comments left out), as indexed by
/// `Handlers::tainted_params`.
pub fn param_nodes(func: Node) -> Vec<Node> {
    let Some(params) = function_params(func) else { return Vec::new() };
    if params.ty() == "identifier" {
        return vec![params];
    }
    let mut c = params.walk();
    let v = params.named_children(&mut c).filter(|p| p.ty() != "comment").collect();
    v
}

/// Local names bound to sanitiser modules at the top of the file.
fn sanitizer_aliases(func: Node, src: &str, out: &mut HashSet<String>) {
    let mut root = func;
    while let Some(p) = root.up() {
        root = p;
    }
    let mut c = root.walk();
    for stmt in root.named_children(&mut c) {
        match stmt.ty() {
            "import_statement" => {
                let Some(source) = stmt.field("source") else { continue };
                if !SANITIZER_MODULES.contains(&super::js::module_name(source, src).as_str()) {
                    continue;
                }
                descendants(stmt, |n| {
                    if n.ty() == "import_clause" {
                        if let Some(id) = n.named_child(0).filter(|x| x.ty() == "identifier") {
                            out.insert(format!("{SANITIZER_MARK}{}", text(id, src)));
                        }
                    }
                    if n.ty() == "namespace_import" {
                        if let Some(id) = n.named_child(0) {
                            out.insert(format!("{SANITIZER_MARK}{}", text(id, src)));
                        }
                    }
                    true
                });
            }
            "lexical_declaration" | "variable_declaration" => {
                let mut c2 = stmt.walk();
                for d in stmt.named_children(&mut c2) {
                    let (Some(name), Some(v)) = (d.field("name"), d.field("value")) else {
                        continue;
                    };
                    if name.ty() == "identifier"
                        && super::js::require_target(v, src).is_some_and(|m| SANITIZER_MODULES.contains(&m.as_str()))
                    {
                        out.insert(format!("{SANITIZER_MARK}{}", text(name, src)));
                    }
                }
            }
            _ => {}
        }
    }
}

/// NestJS pipes that convert a parameter to a non-string type.
const CONVERSION_PIPES: &[&str] =
    &["ParseIntPipe", "ParseFloatPipe", "ParseBoolPipe", "ParseUUIDPipe", "ParseEnumPipe", "ParseDatePipe"];

/// The function whose body the taint of `func` is computed over: closures see
/// the variables of the functions around them, so the analysis runs from the
/// nearest enclosing request handler (or request-shaped function, or the
/// outermost function). Every function inside it shares one result.
pub fn scope_of<'t>(fns: &FnIndex<'t>, func: Node<'t>, src: &str, handlers: &Handlers) -> Node<'t> {
    let mut top = func;
    while !handlers.is_handler(top) && !request_shaped(top, src) {
        match fns.enclosing(top) {
            Some(f) => top = f,
            None => break,
        }
    }
    top
}

/// Taint of the scope `scope_of(func)`; callers cache it per scope.
pub fn taint<'t>(fns: &FnIndex<'t>, func: Node<'t>, src: &str, handlers: &Handlers) -> Taint {
    let func = scope_of(fns, func, src, handlers);
    let mut t = Taint::default();
    let sanitizers = handlers.sanitizers.get_or_init(|| {
        let mut names = HashSet::new();
        sanitizer_aliases(func, src, &mut names);
        names
    });
    t.names.extend(sanitizers.iter().cloned());
    // NestJS: parameters decorated @Body/@Query/@Param/@Headers.
    // Next.js app router: the `params` of an exported GET/POST handler.
    let mut scope = Some(func);
    while let Some(f) = scope {
        if let Some(params) = function_params(f) {
            if !handlers.tainted_params.is_empty() {
                for (i, p) in param_nodes(f).into_iter().enumerate() {
                    if handlers.param_tainted(f, i) {
                        add_pattern_names(p, src, &mut t.names);
                    }
                }
            }
            let mut c = params.walk();
            for p in params.named_children(&mut c) {
                let mut c2 = p.walk();
                // A conversion pipe (`@Param('id', ParseIntPipe)`) hands the
                // handler a number, UUID or boolean: no longer free text.
                let decorated = p.children(&mut c2).any(|d| {
                    d.ty() == "decorator" && {
                        let full = text(d, src).trim_start_matches('@');
                        let name = full.split('(').next().unwrap_or("");
                        matches!(name, "Body" | "Query" | "Param" | "Headers" | "Req" | "Request")
                            && !CONVERSION_PIPES.iter().any(|pipe| full.contains(pipe))
                    }
                });
                if decorated {
                    if let Some(pat) = p.field("pattern") {
                        add_pattern_names(pat, src, &mut t.names);
                    }
                }
            }
            if handlers.is_handler(f) {
                let second = params.named_child(1);
                if let Some(second) = second {
                    let mut names = HashSet::new();
                    add_pattern_names(second, src, &mut names);
                    if names.contains("params") && !names.contains("res") {
                        t.names.insert("params".into());
                    }
                }
            }
        }
        scope = fns.enclosing(f);
    }
    let Some(body) = func.field("body") else { return t };
    for _ in 0..2 {
        descendants(body, |n| {
            match n.ty() {
                "variable_declarator" => {
                    if let (Some(name), Some(v)) = (n.field("name"), n.field("value")) {
                        if expr_tainted(v, src, &t) {
                            add_pattern_names(name, src, &mut t.names);
                        }
                    }
                }
                "assignment_expression" | "augmented_assignment_expression" => {
                    if let (Some(l), Some(r)) = (n.field("left"), n.field("right")) {
                        if expr_tainted(r, src, &t) {
                            if l.ty() == "identifier" {
                                t.names.insert(text(l, src).to_string());
                            } else {
                                add_pattern_names(l, src, &mut t.names);
                            }
                        } else if n.ty() == "assignment_expression" && l.ty() == "identifier" {
                            // `next = validateRedirect(next)`: the value is replaced
                            // (source order approximates flow).
                            t.names.remove(text(l, src));
                        }
                    }
                }
                "for_in_statement" => {
                    if let (Some(l), Some(r)) = (n.field("left"), n.field("right")) {
                        if expr_tainted(r, src, &t) {
                            add_pattern_names(l, src, &mut t.names);
                        }
                    }
                }
                // `req.body.items.forEach(item => ...)`: the callback's first
                // parameter is an element of request data.
                "call_expression" => {
                    let Some(f) = n.field("function").filter(|f| f.ty() == "member_expression") else {
                        return true;
                    };
                    let prop = f.field("property").map(|p| text(p, src)).unwrap_or("");
                    if !ITERATION_METHODS.contains(&prop)
                        || !f.field("object").is_some_and(|o| expr_tainted(o, src, &t))
                    {
                        return true;
                    }
                    if let Some(args) = n.field("arguments") {
                        let mut c = args.walk();
                        for a in args.named_children(&mut c).filter(|a| is_function_kind(a.ty())) {
                            if let Some(p) = function_params(a) {
                                let first = if p.ty() == "identifier" { Some(p) } else { p.named_child(0) };
                                if let Some(first) = first {
                                    add_pattern_names(first, src, &mut t.names);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
            true
        });
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse, Lang};
    use crate::semantics::js::handlers;
    use std::time::Duration;

    #[test]
    fn taint_through_destructuring_and_templates() {
        let src = "app.get('/', (req, res) => { const { id } = req.params; const q = `x ${id}`; const n = parseInt(req.query.n); let s; s = q; });";
        let tree = parse(Lang::JavaScript, src, Duration::from_secs(1)).unwrap();
        let h = handlers(tree.root_node(), src, "a.js");
        let (s, e) = h.ranges[0];
        let f = tree.root_node().descendant_for_byte_range(s, e).unwrap();
        let fns = FnIndex::build(Lang::JavaScript, tree.root_node());
        let t = taint(&fns, f, src, &h);
        assert!(t.names.contains("id") && t.names.contains("q") && t.names.contains("s"), "{:?}", t.names);
        assert!(!t.names.contains("n"));
    }

    fn tainted_in(src: &str, lang: Lang, func_index: usize) -> Taint {
        let tree = parse(lang, src, Duration::from_secs(1)).unwrap();
        let h = handlers(tree.root_node(), src, "a.js");
        let mut funcs = Vec::new();
        descendants(tree.root_node(), |n| {
            if is_function_kind(n.ty()) {
                funcs.push(n);
            }
            true
        });
        let fns = FnIndex::build(lang, tree.root_node());
        taint(&fns, funcs[func_index], src, &h)
    }

    #[test]
    fn database_reads_are_not_request_data_but_string_methods_are() {
        let src = "app.get('/', async (req, res) => { const user = await User.findById(req.params.id); const name = req.query.name.trim(); const p = path.join(base, req.query.f); const n = Number(req.query.n); });";
        let t = tainted_in(src, Lang::JavaScript, 0);
        assert!(t.names.contains("name") && t.names.contains("p"), "{:?}", t.names);
        assert!(!t.names.contains("user") && !t.names.contains("n"), "{:?}", t.names);
    }

    #[test]
    fn reassignment_with_a_checked_value_ends_the_taint() {
        let src = "router.get('/go', (req, res) => { let next = req.query.next; next = safeRedirect(next); res.redirect(next); });";
        let t = tainted_in(src, Lang::JavaScript, 0);
        assert!(!t.names.contains("next"), "{:?}", t.names);
    }

    #[test]
    fn closures_and_iteration_callbacks_see_request_data() {
        // The inner callback (function 1) sees `ids` of its handler, and its
        // parameter is an element of request data.
        let src =
            "app.post('/', (req, res) => { const ids = req.body.ids; ids.forEach((id) => db.query('x' + id)); });";
        let t = tainted_in(src, Lang::JavaScript, 1);
        assert!(t.names.contains("ids") && t.names.contains("id"), "{:?}", t.names);
    }

    #[test]
    fn sanitiser_modules_are_recognised_under_any_name() {
        let src = "const esc = require('escape-html');\napp.get('/', (req, res) => { const safe = esc(req.query.q); const raw = `${req.query.q}`; });";
        let t = tainted_in(src, Lang::JavaScript, 0);
        assert!(!t.names.contains("safe") && t.names.contains("raw"), "{:?}", t.names);
    }

    #[test]
    fn every_scope_of_a_file_sees_its_sanitisers() {
        // The sanitiser names are found once per file (kept in the file's
        // handlers) and given to every scope computed with them.
        let src = "const esc = require('escape-html');\napp.get('/a', (req, res) => { const a = esc(req.query.q); });\napp.get('/b', (req, res) => { const b = esc(req.query.q); const c = req.query.q; });";
        let tree = parse(Lang::JavaScript, src, Duration::from_secs(1)).unwrap();
        let h = handlers(tree.root_node(), src, "a.js");
        let fns = FnIndex::build(Lang::JavaScript, tree.root_node());
        let mut funcs = Vec::new();
        descendants(tree.root_node(), |n| {
            if is_function_kind(n.ty()) {
                funcs.push(n);
            }
            true
        });
        let first = taint(&fns, funcs[0], src, &h);
        let second = taint(&fns, funcs[1], src, &h);
        assert!(h.sanitizers.get().is_some_and(|s| s.len() == 1), "{:?}", h.sanitizers);
        assert!(!first.names.contains("a"), "{:?}", first.names);
        assert!(!second.names.contains("b") && second.names.contains("c"), "{:?}", second.names);
    }

    #[test]
    fn wrapped_handlers_are_their_own_scope() {
        // `asyncHandler(async (req, res) => ...)` is not a recognised handler,
        // but takes `req`: names of the sibling handler do not leak into it.
        let src = "router.get('/a', (req, res) => { let redirect = req.query.r; });\nrouter.get('/b', asyncHandler(async (req, res) => { let redirect = tokenData.redirect; res.redirect(redirect); }));";
        let t = tainted_in(src, Lang::JavaScript, 1);
        assert!(!t.names.contains("redirect"), "{:?}", t.names);
    }
}
