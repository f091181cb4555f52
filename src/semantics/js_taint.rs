//! Function-local taint for JavaScript/TypeScript: which expressions carry
//! request data (Express/Koa/Fastify/Next.js request objects, NestJS
//! `@Body/@Query/@Param/@Headers` parameters, app-router `params`), through
//! assignments, destructuring, template literals and concatenation, and which
//! calls sanitise it.

use super::js::{add_pattern_names, is_function_kind};
use super::{descendants, text, Handlers, Taint};
use std::collections::HashSet;
use tree_sitter::Node;

/// Request data: `req.query`, `req.body`, `ctx.request.body`,
/// `request.nextUrl.searchParams`, `await request.json()`, ...
fn is_request_source(node: Node, src: &str) -> bool {
    match node.kind() {
        "member_expression" => {
            let (Some(obj), Some(prop)) = (node.child_by_field_name("object"), node.child_by_field_name("property"))
            else {
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
        "call_expression" => node.child_by_field_name("function").is_some_and(|f| {
            matches!(text(f, src), "request.json" | "request.formData" | "request.text" | "req.json" | "req.formData")
        }),
        _ => false,
    }
}

const SANITIZERS: &[&str] = &[
    "parseInt",
    "parseFloat",
    "Number",
    "Boolean",
    "encodeURIComponent",
    "encodeURI",
    "escape",
    "escapeHtml",
    "path.basename",
    "validator.escape",
    "validator.isInt",
    "xss",
    "DOMPurify.sanitize",
    "sanitize",
    "sanitizeHtml",
    "mongoose.Types.ObjectId",
    "Types.ObjectId",
    "ObjectId",
    "isValidObjectId",
];
const VALIDATING_METHODS: &[&str] = &["parse", "parseAsync", "safeParse", "validate", "validateSync", "validateAsync"];

fn sanitizer_call(node: Node, src: &str) -> bool {
    if node.kind() != "call_expression" {
        return false;
    }
    let Some(f) = node.child_by_field_name("function") else { return false };
    let t = text(f, src);
    if SANITIZERS.contains(&t) {
        return true;
    }
    if f.kind() == "member_expression" {
        let prop = f.child_by_field_name("property").map(|p| text(p, src)).unwrap_or("");
        let obj = f.child_by_field_name("object").map(|o| text(o, src)).unwrap_or("");
        if VALIDATING_METHODS.contains(&prop) && obj != "JSON" {
            return true;
        }
    }
    false
}

pub fn expr_tainted(expr: Node, src: &str, taint: &Taint) -> bool {
    let mut found = false;
    descendants(expr, |n| {
        if found || sanitizer_call(n, src) || is_function_kind(n.kind()) {
            return false;
        }
        if is_request_source(n, src) {
            found = true;
            return false;
        }
        match n.kind() {
            "identifier" | "shorthand_property_identifier" if taint.names.contains(text(n, src)) => {
                found = true;
                false
            }
            // In `a.b` only the object can be a variable.
            "member_expression" => {
                if let Some(o) = n.child_by_field_name("object") {
                    if expr_tainted(o, src, taint) {
                        found = true;
                    }
                }
                false
            }
            "pair" => {
                if let Some(v) = n.child_by_field_name("value") {
                    if expr_tainted(v, src, taint) {
                        found = true;
                    }
                }
                false
            }
            _ => true,
        }
    });
    found
}

fn function_params(func: Node) -> Option<Node> {
    func.child_by_field_name("parameters").or(func.child_by_field_name("parameter"))
}

pub fn taint(func: Node, src: &str, handlers: &Handlers) -> Taint {
    let mut t = Taint::default();
    // NestJS: parameters decorated @Body/@Query/@Param/@Headers.
    // Next.js app router: the `params` of an exported GET/POST handler.
    let mut scope = Some(func);
    while let Some(f) = scope {
        if let Some(params) = function_params(f) {
            let mut c = params.walk();
            for p in params.named_children(&mut c) {
                let mut c2 = p.walk();
                let decorated = p.children(&mut c2).any(|d| {
                    d.kind() == "decorator" && {
                        let name = text(d, src).trim_start_matches('@');
                        let name = name.split('(').next().unwrap_or("");
                        matches!(name, "Body" | "Query" | "Param" | "Headers" | "Req" | "Request")
                    }
                });
                if decorated {
                    if let Some(pat) = p.child_by_field_name("pattern") {
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
        scope = super::enclosing_function(crate::parse::Lang::JavaScript, f);
    }
    let Some(body) = func.child_by_field_name("body") else { return t };
    for _ in 0..2 {
        descendants(body, |n| {
            match n.kind() {
                "variable_declarator" => {
                    if let (Some(name), Some(v)) = (n.child_by_field_name("name"), n.child_by_field_name("value")) {
                        if expr_tainted(v, src, &t) {
                            add_pattern_names(name, src, &mut t.names);
                        }
                    }
                }
                "assignment_expression" | "augmented_assignment_expression" => {
                    if let (Some(l), Some(r)) = (n.child_by_field_name("left"), n.child_by_field_name("right")) {
                        if expr_tainted(r, src, &t) {
                            if l.kind() == "identifier" {
                                t.names.insert(text(l, src).to_string());
                            } else {
                                add_pattern_names(l, src, &mut t.names);
                            }
                        }
                    }
                }
                "for_in_statement" => {
                    if let (Some(l), Some(r)) = (n.child_by_field_name("left"), n.child_by_field_name("right")) {
                        if expr_tainted(r, src, &t) {
                            add_pattern_names(l, src, &mut t.names);
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
        let t = taint(f, src, &h);
        assert!(t.names.contains("id") && t.names.contains("q") && t.names.contains("s"), "{:?}", t.names);
        assert!(!t.names.contains("n"));
    }
}
