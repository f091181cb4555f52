//! Python semantics: imports and qualified names, Django views as request
//! handlers, literals, and function-local taint from request data.

use super::{descendants, text, Bindings, Handlers, Taint};
use crate::parse::Syntax;
use tree_sitter::Node;

/// Request attributes that carry client-controlled data.
pub const REQUEST_ATTRS: &[&str] =
    &["GET", "POST", "body", "data", "query_params", "FILES", "COOKIES", "META", "headers", "content_params"];

/// Calls whose result no longer carries request data.
pub const SANITIZERS: &[&str] = &[
    "int",
    "float",
    "bool",
    "len",
    "abs",
    "round",
    "escape",
    "conditional_escape",
    "shlex.quote",
    "quote",
    "urllib.parse.quote",
    "slugify",
    "uuid.UUID",
    "url_has_allowed_host_and_scheme",
    "is_safe_url",
    "bleach.clean",
    "html.escape",
    "get_valid_filename",
    "os.path.basename",
    "shlex.join",
    "pipes.quote",
    "quote_name",
    "connection.ops.quote_name",
];

pub fn bindings(root: Node, src: &str) -> Bindings {
    let mut b = Bindings::default();
    descendants(root, |n| {
        match n.ty() {
            "import_statement" => {
                let mut c = n.walk();
                for child in n.named_children(&mut c) {
                    match child.ty() {
                        "dotted_name" => {
                            let full = text(child, src);
                            let first = full.split('.').next().unwrap_or(full);
                            b.imports.insert(first.to_string(), first.to_string());
                        }
                        "aliased_import" => {
                            if let (Some(name), Some(alias)) = (child.field("name"), child.field("alias")) {
                                b.imports.insert(text(alias, src).to_string(), text(name, src).to_string());
                            }
                        }
                        _ => {}
                    }
                }
                return false;
            }
            "import_from_statement" => {
                let module = n.field("module_name").map(|m| text(m, src)).unwrap_or("");
                let mut c = n.walk();
                for child in n.children_by_field_name("name", &mut c) {
                    match child.ty() {
                        "dotted_name" => {
                            let name = text(child, src);
                            b.imports.insert(name.to_string(), format!("{module}.{name}"));
                        }
                        "aliased_import" => {
                            if let (Some(name), Some(alias)) = (child.field("name"), child.field("alias")) {
                                b.imports.insert(text(alias, src).to_string(), format!("{module}.{}", text(name, src)));
                            }
                        }
                        _ => {}
                    }
                }
                return false;
            }
            "function_definition" | "class_definition" => {
                if let Some(name) = n.field("name") {
                    b.locals.insert(text(name, src).to_string());
                }
                if let Some(params) = n.field("parameters") {
                    add_pattern_names(params, src, &mut b.locals);
                }
            }
            "lambda" => {
                if let Some(params) = n.field("parameters") {
                    add_pattern_names(params, src, &mut b.locals);
                }
            }
            "assignment" | "augmented_assignment" => {
                if let Some(left) = n.field("left") {
                    add_pattern_names(left, src, &mut b.locals);
                }
            }
            "for_statement" | "for_in_clause" => {
                if let Some(left) = n.field("left") {
                    add_pattern_names(left, src, &mut b.locals);
                }
            }
            "as_pattern_target" | "named_expression" | "global_statement" => {
                if let Some(name) = n.field("name").or(Some(n)) {
                    if name.ty() == "identifier" {
                        b.locals.insert(text(name, src).to_string());
                    } else if n.ty() == "as_pattern_target" {
                        add_pattern_names(n, src, &mut b.locals);
                    }
                }
            }
            _ => {}
        }
        true
    });
    for k in b.imports.keys() {
        b.locals.remove(k);
    }
    b
}

/// Adds every identifier bound by a target or parameter list.
fn add_pattern_names(node: Node, src: &str, out: &mut std::collections::HashSet<String>) {
    descendants(node, |n| {
        match n.ty() {
            "identifier" => {
                out.insert(text(n, src).to_string());
                false
            }
            // `a.b = 1` and `a[0] = 1` bind nothing new.
            "attribute" | "subscript" => false,
            "default_parameter" | "typed_default_parameter" => {
                if let Some(name) = n.field("name") {
                    out.insert(text(name, src).to_string());
                }
                false
            }
            "type" => false,
            _ => true,
        }
    });
}

pub fn qualified_name(expr: Node, src: &str, b: &Bindings) -> Option<String> {
    match expr.ty() {
        "identifier" => {
            let name = text(expr, src);
            if let Some(q) = b.imports.get(name) {
                Some(q.clone())
            } else if b.locals.contains(name) {
                None
            } else {
                Some(format!("builtins.{name}"))
            }
        }
        "attribute" => {
            let obj = expr.field("object")?;
            let attr = expr.field("attribute")?;
            let base = qualified_name(obj, src, b)?;
            if base.starts_with("builtins.") {
                return None;
            }
            Some(format!("{base}.{}", text(attr, src)))
        }
        _ => None,
    }
}

/// A constant: a string without interpolation, a number, a boolean, None,
/// or a concatenation / collection of those.
pub fn is_literal(node: Node) -> bool {
    match node.ty() {
        "string" => {
            let mut c = node.walk();
            let r = !node.children(&mut c).any(|ch| ch.ty() == "interpolation");
            r
        }
        "concatenated_string" | "tuple" | "list" | "parenthesized_expression" => {
            let mut c = node.walk();
            let r = node.named_children(&mut c).filter(|n| n.ty() != "comment").all(is_literal);
            r
        }
        "integer" | "float" | "true" | "false" | "none" => true,
        "unary_operator" => node.field("argument").is_some_and(is_literal),
        "binary_operator" => node.field("left").is_some_and(is_literal) && node.field("right").is_some_and(is_literal),
        _ => false,
    }
}

/// The value of a plain string literal (no interpolation), or of a
/// concatenation of them. Escape sequences are kept as written.
pub fn string_value(src: &str, n: Node) -> Option<String> {
    match n.ty() {
        "string" => {
            let mut c = n.walk();
            let mut start = None;
            let mut end = None;
            for ch in n.children(&mut c) {
                match ch.ty() {
                    "interpolation" => return None,
                    "string_start" => start = Some(ch.end_byte()),
                    "string_end" => end = Some(ch.start_byte()),
                    _ => {}
                }
            }
            let (s, e) = (start?, end?);
            Some(src.get(s..e.max(s))?.to_string())
        }
        "concatenated_string" => {
            let mut c = n.walk();
            let parts: Option<Vec<String>> = n.named_children(&mut c).map(|p| string_value(src, p)).collect();
            Some(parts?.concat())
        }
        "parenthesized_expression" => n.named_child(0).and_then(|i| string_value(src, i)),
        _ => None,
    }
}

/// The positional arguments of a call.
pub fn positional_args(call: Node) -> Vec<Node> {
    let Some(args) = call.field("arguments") else {
        return Vec::new();
    };
    let mut c = args.walk();
    let out = args
        .named_children(&mut c)
        .filter(|a| !matches!(a.ty(), "comment" | "keyword_argument" | "dictionary_splat"))
        .collect();
    out
}

/// Keyword arguments of a call, with their names as text.
pub fn keyword_args<'t>(src: &str, call: Node<'t>) -> Vec<(String, Node<'t>)> {
    let Some(args) = call.field("arguments") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut c = args.walk();
    for a in args.named_children(&mut c) {
        if a.ty() == "keyword_argument" {
            if let (Some(n), Some(v)) = (a.field("name"), a.field("value")) {
                out.push((text(n, src).to_string(), v));
            }
        }
    }
    out
}

fn params_of<'t>(func: Node<'t>, src: &str) -> Vec<(String, Node<'t>)> {
    let mut out = Vec::new();
    let Some(params) = func.field("parameters") else { return out };
    let mut c = params.walk();
    for p in params.named_children(&mut c) {
        let name_node = match p.ty() {
            "identifier" => Some(p),
            "default_parameter" | "typed_default_parameter" => p.field("name"),
            "typed_parameter" => p.named_child(0),
            _ => None,
        };
        if let Some(n) = name_node {
            out.push((text(n, src).to_string(), n));
        }
    }
    out
}

/// Functions of the file that wrap a guard: their body calls one of
/// `checks` (by name) with an argument that mentions one of their own
/// parameters (`def safe_url(u): return url_has_allowed_host_and_scheme(u,
/// ...)`). One level: a wrapper of a wrapper is not followed.
pub fn guard_wrappers(root: Node, src: &str, checks: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    descendants(root, |f| {
        if f.ty() != "function_definition" {
            return true;
        }
        let params: Vec<String> =
            params_of(f, src).into_iter().map(|(n, _)| n).filter(|n| n != "self" && n != "cls").collect();
        let Some(body) = f.field("body") else { return true };
        let mut wraps = false;
        descendants(body, |d| {
            if d.ty() == "call" {
                let name = d.field("function").map(|c| text(c, src)).unwrap_or("");
                let last = name.rsplit('.').next().unwrap_or(name);
                if checks.contains(&last) {
                    let args = d.field("arguments").map(|a| text(a, src)).unwrap_or("");
                    wraps =
                        args.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| params.iter().any(|p| p == w));
                }
            }
            !wraps
        });
        if wraps {
            if let Some(n) = f.field("name") {
                out.push(text(n, src).to_string());
            }
        }
        true
    });
    out.sort();
    out.dedup();
    out
}

/// A Django view: a function or method whose first parameter (after `self`)
/// is `request`.
pub fn is_view(func: Node, src: &str) -> bool {
    if func.ty() != "function_definition" {
        return false;
    }
    let params = params_of(func, src);
    let first = match params.first() {
        Some((n, _)) if n == "self" || n == "cls" => params.get(1),
        other => other,
    };
    first.is_some_and(|(n, _)| n == "request")
}

pub fn handlers(root: Node, src: &str) -> Handlers {
    let mut h = Handlers::default();
    descendants(root, |n| {
        if n.ty() == "function_definition" && is_view(n, src) {
            h.add(n);
        }
        true
    });
    h
}

/// Is `node` a read of request data such as `request.GET` or
/// `self.request.POST`?
fn is_request_source(node: Node, src: &str) -> bool {
    if node.ty() != "attribute" {
        return false;
    }
    let (Some(obj), Some(attr)) = (node.field("object"), node.field("attribute")) else {
        return false;
    };
    if !REQUEST_ATTRS.contains(&text(attr, src)) {
        return is_url_kwargs(node, src);
    }
    let obj_text = text(obj, src);
    obj_text == "request" || obj_text == "self.request" || obj_text == "req"
}

/// `self.kwargs` in a class-based view: the URL kwargs.
fn is_url_kwargs(node: Node, src: &str) -> bool {
    node.ty() == "attribute" && text(node, src) == "self.kwargs"
}

fn sanitizer_call(node: Node, src: &str) -> bool {
    node.ty() == "call" && node.field("function").is_some_and(|f| SANITIZERS.contains(&text(f, src)))
}

/// Functions whose result carries the data of their arguments (conversions,
/// decoding, path and URL helpers). Any other call's result is taken to be
/// new data: a database lookup keyed by request data (`get_object_or_404(
/// Order, pk=pk)`) does not return request data.
const PROPAGATING_FUNCS: &[&str] = &[
    "str",
    "bytes",
    "bytearray",
    "repr",
    "list",
    "tuple",
    "dict",
    "set",
    "frozenset",
    "sorted",
    "reversed",
    "iter",
    "next",
    "format",
    "unquote",
    "unquote_plus",
    "b64decode",
    "urlsafe_b64decode",
    "b64encode",
    "decodebytes",
    "loads",
    "join",
    "normpath",
    "abspath",
    "split",
    "literal_eval",
    "smart_str",
    "force_str",
    "force_bytes",
    "iri_to_uri",
    "urljoin",
    "urlparse",
    "urlunparse",
    "strip_tags",
    "dedent",
];

/// Methods that carry the data of their arguments into the result even on a
/// constant receiver (`"ls {}".format(x)`, `", ".join(xs)`).
const PROPAGATING_METHODS: &[&str] = &["format", "format_map", "join", "replace", "encode", "decode"];

pub fn expr_tainted(expr: Node, src: &str, taint: &Taint) -> bool {
    tainted_at(expr, src, taint, 0)
}

fn tainted_at(n: Node, src: &str, taint: &Taint, depth: u32) -> bool {
    if depth > 200 {
        return false;
    }
    let any_arg = |call: Node| {
        call.field("arguments").is_some_and(|args| {
            let mut c = args.walk();
            let r = args.named_children(&mut c).any(|a| tainted_at(a, src, taint, depth + 1));
            r
        })
    };
    match n.ty() {
        // A comparison or a negation yields a boolean, not the data.
        "lambda" | "function_definition" | "comment" | "comparison_operator" | "not_operator" => false,
        // `a if cond else b`: the condition does not flow into the value.
        "conditional_expression" => {
            let mut c = n.walk();
            let kids: Vec<Node> = n.named_children(&mut c).collect();
            kids.iter().enumerate().any(|(i, k)| i != 1 && tainted_at(*k, src, taint, depth + 1))
        }
        "identifier" => taint.names.contains(text(n, src)),
        "attribute" => {
            // `request.GET`; `x.attr` where x carries request data.
            is_request_source(n, src) || n.field("object").is_some_and(|o| tainted_at(o, src, taint, depth + 1))
        }
        "keyword_argument" => n.field("value").is_some_and(|v| tainted_at(v, src, taint, depth + 1)),
        "call" => {
            if sanitizer_call(n, src) {
                return false;
            }
            let Some(f) = n.field("function") else { return false };
            match f.ty() {
                "attribute" => {
                    let method = f.field("attribute").map(|a| text(a, src)).unwrap_or("");
                    // A method of request data: `request.GET.get("q")`, `q.strip()`.
                    if f.field("object").is_some_and(|o| tainted_at(o, src, taint, depth + 1)) {
                        return true;
                    }
                    (PROPAGATING_METHODS.contains(&method) || PROPAGATING_FUNCS.contains(&method)) && any_arg(n)
                }
                "identifier" => PROPAGATING_FUNCS.contains(&text(f, src)) && any_arg(n),
                _ => false,
            }
        }
        _ => {
            let mut c = n.walk();
            let r = n.named_children(&mut c).any(|ch| tainted_at(ch, src, taint, depth + 1));
            r
        }
    }
}

/// Methods of class-based views and viewsets whose extra parameters are the
/// URL kwargs (other methods taking `request` are helpers).
const VIEW_METHODS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "dispatch",
    "list",
    "retrieve",
    "create",
    "update",
    "partial_update",
    "destroy",
];

/// Are the parameters after `request` URL kwargs? For a module-level view
/// function, a view method named after an HTTP method or DRF action, or a
/// method decorated with `@action`.
fn takes_url_kwargs(func: Node, src: &str) -> bool {
    let mut outer = func.up();
    let decorated = outer.filter(|p| p.ty() == "decorated_definition");
    if let Some(d) = decorated {
        let mut c = d.walk();
        if d.named_children(&mut c).any(|x| x.ty() == "decorator" && text(x, src).contains("action")) {
            return true;
        }
        outer = d.up();
    }
    if outer.is_some_and(|o| o.ty() == "module") {
        return true;
    }
    let name = func.field("name").map(|n| text(n, src)).unwrap_or("");
    // A method (in a class body) named like an HTTP handler.
    outer.is_some_and(|o| o.ty() == "block" && o.up().is_some_and(|c| c.ty() == "class_definition"))
        && VIEW_METHODS.contains(&name)
}

pub fn taint(func: Node, src: &str) -> Taint {
    taint_with(func, src, true)
}

/// Like [`taint`]; `url_kwargs: false` leaves the URL kwargs out (only
/// `request.GET`/`POST`/... count), for sinks where a path segment matched
/// by a URL pattern cannot do harm (a redirect to it stays on the site).
pub fn taint_with(func: Node, src: &str, url_kwargs: bool) -> Taint {
    let mut t = Taint::default();
    if url_kwargs && is_view(func, src) && takes_url_kwargs(func, src) {
        // URL kwargs of a view are request data.
        let params = params_of(func, src);
        let skip = if params.first().is_some_and(|(n, _)| n == "self" || n == "cls") { 2 } else { 1 };
        for (name, _) in params.into_iter().skip(skip) {
            t.names.insert(name);
        }
        if let Some(params) = func.field("parameters") {
            let mut c = params.walk();
            for p in params.named_children(&mut c) {
                if p.ty() == "dictionary_splat_pattern" {
                    if let Some(n) = p.named_child(0) {
                        t.names.insert(text(n, src).to_string());
                    }
                }
            }
        }
    }
    let Some(body) = func.field("body") else { return t };
    // Two passes so that flow through loops settles.
    for _ in 0..2 {
        descendants(body, |n| {
            match n.ty() {
                "function_definition" | "lambda" | "class_definition" => return false,
                "assignment" | "augmented_assignment" => {
                    if let (Some(left), Some(right)) = (n.field("left"), n.field("right")) {
                        if expr_tainted(right, src, &t) {
                            add_pattern_names(left, src, &mut t.names);
                        }
                    }
                }
                "for_statement" | "for_in_clause" => {
                    if let (Some(left), Some(right)) = (n.field("left"), n.field("right")) {
                        if expr_tainted(right, src, &t) {
                            add_pattern_names(left, src, &mut t.names);
                        }
                    }
                }
                "named_expression" => {
                    if let (Some(name), Some(value)) = (n.field("name"), n.field("value")) {
                        if expr_tainted(value, src, &t) {
                            t.names.insert(text(name, src).to_string());
                        }
                    }
                }
                "with_item" => {
                    if let Some(v) = n.field("value") {
                        if v.ty() == "as_pattern" {
                            if let (Some(e), Some(alias)) = (v.named_child(0), v.field("alias")) {
                                if expr_tainted(e, src, &t) {
                                    add_pattern_names(alias, src, &mut t.names);
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

/// How a string value is put together, for the injection rules: the pieces
/// that are not constant, and whether it was built at all (f-string, `%`,
/// `.format`, `+`, `+=`, `.join`) rather than passed through as one value.
#[derive(Debug, Default)]
pub struct Built<'t> {
    pub parts: Vec<Node<'t>>,
    pub built: bool,
}

impl Built<'_> {
    /// Built from something that is not constant.
    pub fn is_dynamic(&self) -> bool {
        self.built && !self.parts.is_empty()
    }
}

/// Calls whose result is a number or a boolean: harmless in any string.
const NUMERIC_CALLS: &[&str] = &["int", "float", "len", "bool", "abs", "round", "min", "max", "sum", "ord"];

/// Values that cannot carry attacker-controlled text whatever the sink:
/// literals, numeric conversions, Django settings, model metadata.
pub fn is_benign(n: Node, src: &str) -> bool {
    if is_literal(n) || operator_value(n, src) {
        return true;
    }
    match n.ty() {
        "call" => n.field("function").is_some_and(|f| NUMERIC_CALLS.contains(&text(f, src))),
        "attribute" => {
            let t = text(n, src);
            t.starts_with("settings.") || t.contains("._meta.") || t.starts_with("_meta.")
        }
        "parenthesized_expression" => n.named_child(0).is_some_and(|i| is_benign(i, src)),
        _ => false,
    }
}

/// Values the operator of the deployment controls, not a user: command-line
/// arguments, environment variables, Django settings. Whoever sets them
/// already runs the code (TRIAGE: operator input is no injection).
pub fn operator_value(n: Node, src: &str) -> bool {
    let t = text(n, src);
    match n.ty() {
        "subscript" | "attribute" => ["sys.argv", "os.environ", "settings."].iter().any(|p| t.starts_with(p)),
        "call" => n.field("function").is_some_and(|f| {
            matches!(text(f, src), "os.getenv" | "os.environ.get" | "getenv" | "env" | "env.str" | "config")
        }),
        _ => false,
    }
}

/// The non-constant pieces of the string `expr` evaluates to (see [`Built`]).
/// Names are followed to their assignments in the enclosing function, then
/// at module level; a name bound nowhere we can see (a parameter, a loop
/// variable) is itself a piece. `safe` marks pieces a sink accepts as is
/// (`shlex.quote(x)` for a shell, `escape(x)` for HTML); benign values
/// ([`is_benign`]) are always accepted.
pub fn string_parts<'t>(expr: Node<'t>, src: &str, safe: &dyn Fn(Node<'t>) -> bool) -> Built<'t> {
    let mut out = Built::default();
    let mut seen = Vec::new();
    collect_parts(expr, src, safe, &mut out, &mut seen, 0);
    out
}

fn collect_parts<'t>(
    n: Node<'t>,
    src: &str,
    safe: &dyn Fn(Node<'t>) -> bool,
    out: &mut Built<'t>,
    seen: &mut Vec<String>,
    depth: u32,
) {
    if depth > 8 || is_benign(n, src) || safe(n) {
        return;
    }
    match n.ty() {
        "string" => {
            // An f-string: every interpolated expression is a piece.
            let mut c = n.walk();
            for ch in n.children(&mut c) {
                if ch.ty() == "interpolation" {
                    out.built = true;
                    if let Some(e) = ch.named_child(0) {
                        collect_parts(e, src, safe, out, seen, depth + 1);
                    }
                }
            }
        }
        "concatenated_string" | "parenthesized_expression" => {
            let mut c = n.walk();
            for ch in n.named_children(&mut c) {
                collect_parts(ch, src, safe, out, seen, depth + 1);
            }
        }
        "binary_operator" => {
            let op = n.field("operator").map(|o| text(o, src)).unwrap_or("");
            let (Some(l), Some(r)) = (n.field("left"), n.field("right")) else {
                return;
            };
            match op {
                "+" => {
                    out.built = true;
                    collect_parts(l, src, safe, out, seen, depth + 1);
                    collect_parts(r, src, safe, out, seen, depth + 1);
                }
                "%" => {
                    out.built = true;
                    collect_parts(l, src, safe, out, seen, depth + 1);
                    match r.ty() {
                        "tuple" | "parenthesized_expression" | "list" => {
                            let mut c = r.walk();
                            for ch in r.named_children(&mut c) {
                                collect_parts(ch, src, safe, out, seen, depth + 1);
                            }
                        }
                        "dictionary" => {
                            let mut c = r.walk();
                            for pair in r.named_children(&mut c) {
                                if let Some(v) = pair.field("value") {
                                    collect_parts(v, src, safe, out, seen, depth + 1);
                                }
                            }
                        }
                        _ => collect_parts(r, src, safe, out, seen, depth + 1),
                    }
                }
                // `"(%s, %s)," * len(rows)`: a literal repeated a number of times.
                "*" if r.ty() == "string" && is_literal(r) => {}
                "*" if l.ty() == "string" && is_literal(l) => {}
                // Arithmetic yields a number.
                "-" | "/" | "//" | "**" => {}
                _ => out.parts.push(n),
            }
        }
        // `"DESC" if desc else "ASC"`: whichever branch is taken.
        "conditional_expression" => {
            for i in [0, 2] {
                if let Some(b) = n.named_child(i) {
                    collect_parts(b, src, safe, out, seen, depth + 1);
                }
            }
        }
        // `self.TABLE` / `cls.TABLE`: a class attribute assigned in the class
        // body and never on instances.
        "attribute" if class_attribute_values(n, src).is_some() => {
            for v in class_attribute_values(n, src).unwrap_or_default() {
                collect_parts(v, src, safe, out, seen, depth + 1);
            }
        }
        // `sql[:-1]`: a slice of the string keeps its pieces.
        "subscript" if n.field("subscript").is_some_and(|i| i.ty() == "slice") => {
            if let Some(v) = n.field("value") {
                collect_parts(v, src, safe, out, seen, depth + 1);
            }
        }
        "call" => {
            let Some(f) = n.field("function") else { return };
            let method = f.field("attribute").map(|a| text(a, src)).unwrap_or("");
            let receiver = f.field("object");
            match (f.ty(), method, receiver) {
                ("attribute", "format", Some(recv)) => {
                    out.built = true;
                    collect_parts(recv, src, safe, out, seen, depth + 1);
                    if let Some(args) = n.field("arguments") {
                        let mut c = args.walk();
                        for a in args.named_children(&mut c) {
                            let v = match a.ty() {
                                "keyword_argument" => a.field("value"),
                                "comment" => None,
                                _ => Some(a),
                            };
                            if let Some(v) = v {
                                collect_parts(v, src, safe, out, seen, depth + 1);
                            }
                        }
                    }
                }
                ("attribute", "join", Some(recv)) => {
                    out.built = true;
                    collect_parts(recv, src, safe, out, seen, depth + 1);
                    if let Some(arg) = positional_args(n).first() {
                        collect_items(*arg, src, safe, out, seen, depth + 1);
                    }
                }
                // `"...".strip()`, `sql.lower()`: the receiver's pieces.
                ("attribute", "strip" | "lstrip" | "rstrip" | "lower" | "upper" | "replace", Some(recv))
                    if matches!(recv.ty(), "string" | "identifier" | "binary_operator" | "call") =>
                {
                    collect_parts(recv, src, safe, out, seen, depth + 1)
                }
                ("identifier", "", _) if text(f, src) == "str" => {
                    if let Some(a) = positional_args(n).first() {
                        collect_parts(*a, src, safe, out, seen, depth + 1);
                    }
                }
                _ => out.parts.push(n),
            }
        }
        "identifier" => {
            let name = text(n, src);
            if seen.iter().any(|s| s == name) {
                return;
            }
            seen.push(name.to_string());
            match assignments_of(n, name, src) {
                Some(values) => {
                    for (value, augmented) in values {
                        if augmented {
                            out.built = true;
                        }
                        collect_parts(value, src, safe, out, seen, depth + 1);
                    }
                }
                None => out.parts.push(n),
            }
            seen.pop();
        }
        _ => out.parts.push(n),
    }
}

/// The pieces of the items of an iterable joined into a string: list and
/// tuple displays item by item, a comprehension by its element expression,
/// `["%s"] * len(ids)` by the repeated list; a name is followed to its
/// assignments; anything else is one piece.
fn collect_items<'t>(
    n: Node<'t>,
    src: &str,
    safe: &dyn Fn(Node<'t>) -> bool,
    out: &mut Built<'t>,
    seen: &mut Vec<String>,
    depth: u32,
) {
    if depth > 8 {
        return;
    }
    match n.ty() {
        "list" | "tuple" | "set" | "parenthesized_expression" => {
            let mut c = n.walk();
            for item in n.named_children(&mut c) {
                if item.ty() != "comment" {
                    collect_parts(item, src, safe, out, seen, depth + 1);
                }
            }
        }
        "list_comprehension" | "generator_expression" | "set_comprehension" => {
            if let Some(body) = n.field("body").or_else(|| n.named_child(0)) {
                collect_parts(body, src, safe, out, seen, depth + 1);
            }
        }
        "binary_operator" => {
            let op = n.field("operator").map(|o| text(o, src)).unwrap_or("");
            let (Some(l), Some(r)) = (n.field("left"), n.field("right")) else {
                return;
            };
            match op {
                // `["%s"] * len(ids)`: the list is repeated, the count is a number.
                "*" if is_benign(r, src) => collect_items(l, src, safe, out, seen, depth + 1),
                "*" if is_benign(l, src) => collect_items(r, src, safe, out, seen, depth + 1),
                "+" => {
                    collect_items(l, src, safe, out, seen, depth + 1);
                    collect_items(r, src, safe, out, seen, depth + 1);
                }
                _ => out.parts.push(n),
            }
        }
        "identifier" => {
            let name = text(n, src);
            if seen.iter().any(|s| s == name) {
                return;
            }
            seen.push(name.to_string());
            match assignments_of(n, name, src) {
                Some(values) => {
                    for (value, _) in values {
                        collect_items(value, src, safe, out, seen, depth + 1);
                    }
                }
                None => out.parts.push(n),
            }
            seen.pop();
        }
        _ => {
            if !is_benign(n, src) && !safe(n) {
                out.parts.push(n)
            }
        }
    }
}

/// The values an identifier was assigned before `use_site` (see
/// [`assignments_of`]); `None` for parameters and other bindings.
pub fn assigned_values<'t>(ident: Node<'t>, src: &str) -> Option<Vec<Node<'t>>> {
    assignments_of(ident, text(ident, src), src).map(|v| v.into_iter().map(|(n, _)| n).collect())
}

/// The values an identifier was assigned before its use, each with whether
/// it was an augmented assignment (`x += ...`), in source order.
pub fn assignments<'t>(ident: Node<'t>, src: &str) -> Option<Vec<(Node<'t>, bool)>> {
    assignments_of(ident, text(ident, src), src)
}

/// The values assigned to `name` before `use_site`: in the enclosing
/// function when it binds the name there (`(value, is_augmented)`), else at
/// module level. `None` when no assignment is visible (a parameter, a loop
/// variable, an import) or one of them is not a plain assignment.
fn assignments_of<'t>(use_site: Node<'t>, name: &str, src: &str) -> Option<Vec<(Node<'t>, bool)>> {
    let func = super::enclosing_function(crate::parse::Lang::Python, use_site);
    let scope = match func {
        Some(f) => f.field("body")?,
        None => {
            let mut root = use_site;
            while let Some(p) = root.up() {
                root = p;
            }
            root
        }
    };
    let mut values = Vec::new();
    let mut other_binding = false;
    descendants(scope, |d| {
        if d != scope && matches!(d.ty(), "function_definition" | "class_definition" | "lambda") {
            return false;
        }
        match d.ty() {
            "assignment" | "augmented_assignment" => {
                let left = d.field("left");
                if left.is_some_and(|l| l.ty() == "identifier" && text(l, src) == name) {
                    // `x = f(x)`: the `x` inside is the value before.
                    if d.end_byte() <= use_site.start_byte() {
                        if let Some(r) = d.field("right") {
                            values.push((r, d.ty() == "augmented_assignment"));
                        }
                    }
                } else if left.is_some_and(|l| {
                    matches!(l.ty(), "pattern_list" | "tuple_pattern" | "list_pattern")
                        && text(l, src).split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == name)
                }) {
                    other_binding = true;
                }
            }
            "for_statement" | "for_in_clause" | "with_item" | "named_expression" => {
                let t = d.field("left").or_else(|| d.field("name")).unwrap_or(d);
                if t.ty() != "with_item"
                    && text(t, src).split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == name)
                {
                    // `for t in ("a", "b"):` binds t to each item of a
                    // literal collection; any other loop to unknown values.
                    let items = (t.ty() == "identifier")
                        .then(|| d.field("right"))
                        .flatten()
                        .filter(|r| matches!(r.ty(), "list" | "tuple" | "set"));
                    match items {
                        Some(r) => {
                            let mut c = r.walk();
                            values.extend(r.named_children(&mut c).filter(|i| i.ty() != "comment").map(|i| (i, false)));
                        }
                        None => other_binding = true,
                    }
                }
            }
            _ => {}
        }
        true
    });
    if other_binding {
        return None;
    }
    // Straight-line code: the last assignment in a block that also holds the
    // use decides the value (`html = markdown(v)` then `html = clean(html)`).
    // Earlier ones still count when the last is conditional or `+=`.
    let mut kept = Vec::new();
    for (value, augmented) in values.iter().rev() {
        kept.push((*value, *augmented));
        let stmt = value.up().and_then(|a| a.up());
        let block = stmt.and_then(|s| s.up());
        // The items of a loop's literal collection all count.
        let loop_item = stmt.is_some_and(|s| matches!(s.ty(), "for_statement" | "for_in_clause"));
        let dominates = !loop_item
            && block.is_some_and(|b| b.start_byte() <= use_site.start_byte() && use_site.end_byte() <= b.end_byte());
        if !augmented && dominates {
            break;
        }
    }
    kept.reverse();
    let values = kept;
    if values.is_empty() {
        // Not bound in the function: a parameter unless the module binds it.
        if let Some(f) = func {
            if params_of(f, src).iter().any(|(p, _)| p == name) {
                return None;
            }
            let mut root = f;
            while let Some(p) = root.up() {
                root = p;
            }
            return module_constant(root, name, src);
        }
        return None;
    }
    Some(values)
}

/// `self.X` or `cls.X` inside a class whose body assigns `X = value` and
/// whose methods never assign `self.X`: the class-level values.
fn class_attribute_values<'t>(n: Node<'t>, src: &str) -> Option<Vec<Node<'t>>> {
    let obj = n.field("object")?;
    if !matches!(text(obj, src), "self" | "cls") {
        return None;
    }
    let attr = text(n.field("attribute")?, src);
    let mut class = n.up();
    while let Some(c) = class {
        if c.ty() == "class_definition" {
            break;
        }
        class = c.up();
    }
    let body = class?.field("body")?;
    let mut values = Vec::new();
    let mut c = body.walk();
    for stmt in body.named_children(&mut c) {
        let Some(a) = (stmt.ty() == "expression_statement").then(|| stmt.named_child(0)).flatten() else { continue };
        if a.ty() == "assignment" && a.field("left").is_some_and(|l| l.ty() == "identifier" && text(l, src) == attr) {
            values.push(a.field("right")?);
        }
    }
    if values.is_empty() {
        return None;
    }
    let target = format!("{}.{attr}", text(obj, src));
    let mut reassigned = false;
    descendants(body, |d| {
        if matches!(d.ty(), "assignment" | "augmented_assignment")
            && d.field("left").is_some_and(|l| text(l, src) == target)
        {
            reassigned = true;
        }
        !reassigned
    });
    (!reassigned).then_some(values)
}

/// The values a module-level name is assigned at the top of the module.
fn module_constant<'t>(root: Node<'t>, name: &str, src: &str) -> Option<Vec<(Node<'t>, bool)>> {
    let mut values = Vec::new();
    let mut c = root.walk();
    for stmt in root.named_children(&mut c) {
        if stmt.ty() != "expression_statement" {
            continue;
        }
        let Some(a) = stmt.named_child(0).filter(|a| a.ty() == "assignment") else { continue };
        if a.field("left").is_some_and(|l| l.ty() == "identifier" && text(l, src) == name) {
            // Followed like any value: a constant built from constants stays one.
            values.push((a.field("right")?, false));
        }
    }
    (!values.is_empty()).then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse, Lang};
    use std::time::Duration;

    fn first<'t>(root: Node<'t>, kind: &str) -> Node<'t> {
        let mut found = None;
        descendants(root, |n| {
            if found.is_none() && n.ty() == kind {
                found = Some(n);
            }
            found.is_none()
        });
        found.unwrap()
    }

    #[test]
    fn qualified_names_follow_aliases_and_shadowing() {
        let src = "import subprocess as sp\nfrom os import system as run_it\nsp.run(x)\nrun_it(y)\neval(z)\n";
        let tree = parse(Lang::Python, src, Duration::from_secs(1)).unwrap();
        let b = bindings(tree.root_node(), src);
        let mut names = Vec::new();
        descendants(tree.root_node(), |n| {
            if n.ty() == "call" {
                names.push(qualified_name(n.field("function").unwrap(), src, &b));
            }
            true
        });
        assert_eq!(names, vec![Some("subprocess.run".into()), Some("os.system".into()), Some("builtins.eval".into())]);
        let src2 = "def eval(x):\n    return x\neval(z)\n";
        let tree = parse(Lang::Python, src2, Duration::from_secs(1)).unwrap();
        let b = bindings(tree.root_node(), src2);
        let call = first(tree.root_node(), "call");
        assert_eq!(qualified_name(call.field("function").unwrap(), src2, &b), None);
    }

    #[test]
    fn taint_flows_through_assignments_and_stops_at_sanitizers() {
        let src = "def view(request, slug):\n    q = request.GET.get('q')\n    s = f'select {q}'\n    n = int(request.GET['n'])\n    a = s\n    b = slug\n";
        let tree = parse(Lang::Python, src, Duration::from_secs(1)).unwrap();
        let f = first(tree.root_node(), "function_definition");
        let t = taint(f, src);
        for n in ["q", "s", "a", "b", "slug"] {
            assert!(t.names.contains(n), "{n} should be tainted: {:?}", t.names);
        }
        assert!(!t.names.contains("n"));
    }

    fn all<'t>(root: Node<'t>, kind: &str) -> Vec<Node<'t>> {
        let mut found = Vec::new();
        descendants(root, |n| {
            if n.ty() == kind {
                found.push(n);
            }
            true
        });
        found
    }

    #[test]
    fn database_lookups_and_helper_parameters_are_not_request_data() {
        let src = "class V(View):\n    def get(self, request, pk):\n        order = get_object_or_404(Order, pk=pk)\n        q = request.GET.get('q', '').strip()\n        raw = base64.b64decode(request.POST['b'])\n        url = self.get_return_url(request, order)\n    def _helper(self, request, return_url):\n        return return_url\n";
        let tree = parse(Lang::Python, src, Duration::from_secs(1)).unwrap();
        let funcs = all(tree.root_node(), "function_definition");
        let t = taint(funcs[0], src);
        for n in ["pk", "q", "raw"] {
            assert!(t.names.contains(n), "{n}: {:?}", t.names);
        }
        for n in ["order", "url"] {
            assert!(!t.names.contains(n), "{n}: {:?}", t.names);
        }
        assert!(!taint(funcs[1], src).names.contains("return_url"), "a helper's parameters are not URL kwargs");
    }

    #[test]
    fn string_parts_follow_names_placeholders_and_the_last_assignment() {
        let src = "TABLE = 'shop'\ndef f(request, ids, col):\n    ph = ', '.join(['%s'] * len(ids))\n    a = f'SELECT * FROM {TABLE} WHERE id IN ({ph})'\n    html = markdown(col)\n    html = clean_html(html)\n    b = 'SELECT ' + col\n    c = '<br>'.join([f'<i>{v}</i>' for v in ids])\n    use(a, html, b, c)\n";
        let tree = parse(Lang::Python, src, Duration::from_secs(1)).unwrap();
        let call = all(tree.root_node(), "call").into_iter().find(|c| text(*c, src).starts_with("use(")).unwrap();
        let args = positional_args(call);
        let parts = |i: usize| {
            let b = string_parts(args[i], src, &|n: Node| text(n, src).starts_with("clean_html"));
            (b.built, b.parts.iter().map(|p| text(*p, src).to_string()).collect::<Vec<_>>())
        };
        assert_eq!(parts(0), (true, vec![]));
        assert_eq!(parts(1), (false, vec![]));
        assert_eq!(parts(2), (true, vec!["col".to_string()]));
        assert_eq!(parts(3), (true, vec!["v".to_string()]));
    }
}
