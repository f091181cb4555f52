//! JavaScript/TypeScript semantics: ES module and CommonJS imports with
//! qualified names, request-handler detection (Express, Koa, Fastify,
//! NestJS, Next.js, socket listeners), literals and function-local taint.

use super::{descendants, text, Bindings, Handlers};
use std::collections::HashSet;
use tree_sitter::Node;

pub fn is_function_kind(kind: &str) -> bool {
    matches!(
        kind,
        "function_declaration"
            | "function_expression"
            | "function"
            | "arrow_function"
            | "method_definition"
            | "generator_function_declaration"
            | "generator_function"
    )
}

/// The module name of a string literal node, without quotes and `node:`.
pub fn module_name(string: Node, src: &str) -> String {
    let t = text(string, src).trim_matches(|c| c == '"' || c == '\'' || c == '`');
    t.strip_prefix("node:").unwrap_or(t).to_string()
}

/// `require("x")` → `x`.
pub fn require_target(node: Node, src: &str) -> Option<String> {
    if node.kind() != "call_expression" {
        return None;
    }
    let f = node.child_by_field_name("function")?;
    if text(f, src) != "require" {
        return None;
    }
    let args = node.child_by_field_name("arguments")?;
    let first = args.named_child(0)?;
    (first.kind() == "string").then(|| module_name(first, src))
}

/// The qualified name of a `require(...)` expression or a member of one:
/// `require('fs').promises` → `fs.promises`.
fn required_path(node: Node, src: &str) -> Option<String> {
    match node.kind() {
        "call_expression" => require_target(node, src),
        "member_expression" => {
            let base = required_path(node.child_by_field_name("object")?, src)?;
            Some(format!("{base}.{}", text(node.child_by_field_name("property")?, src)))
        }
        "await_expression" | "parenthesized_expression" => required_path(node.named_child(0)?, src),
        _ => None,
    }
}

pub fn bindings(root: Node, src: &str) -> Bindings {
    let mut b = Bindings::default();
    descendants(root, |n| {
        match n.kind() {
            "import_statement" => {
                let Some(source) = n.child_by_field_name("source") else { return false };
                let module = module_name(source, src);
                descendants(n, |c| {
                    match c.kind() {
                        "import_clause" => {
                            if let Some(id) = c.named_child(0).filter(|x| x.kind() == "identifier") {
                                b.imports.insert(text(id, src).to_string(), module.clone());
                            }
                        }
                        "namespace_import" => {
                            if let Some(id) = c.named_child(0) {
                                b.imports.insert(text(id, src).to_string(), module.clone());
                            }
                        }
                        "import_specifier" => {
                            if let Some(name) = c.child_by_field_name("name") {
                                let local = c.child_by_field_name("alias").unwrap_or(name);
                                let exported = text(name, src).trim_matches(|x| x == '"' || x == '\'');
                                let q =
                                    if exported == "default" { module.clone() } else { format!("{module}.{exported}") };
                                b.imports.insert(text(local, src).to_string(), q);
                            }
                            return false;
                        }
                        _ => {}
                    }
                    true
                });
                return false;
            }
            "variable_declarator" => {
                let (Some(name), value) = (n.child_by_field_name("name"), n.child_by_field_name("value")) else {
                    return true;
                };
                if let Some(module) = value.and_then(|v| required_path(v, src)) {
                    match name.kind() {
                        "identifier" => {
                            b.imports.insert(text(name, src).to_string(), module);
                        }
                        "object_pattern" => {
                            let mut c = name.walk();
                            for p in name.named_children(&mut c) {
                                match p.kind() {
                                    "shorthand_property_identifier_pattern" => {
                                        let t = text(p, src);
                                        b.imports.insert(t.to_string(), format!("{module}.{t}"));
                                    }
                                    "pair_pattern" => {
                                        if let (Some(k), Some(v)) =
                                            (p.child_by_field_name("key"), p.child_by_field_name("value"))
                                        {
                                            if v.kind() == "identifier" {
                                                b.imports.insert(
                                                    text(v, src).to_string(),
                                                    format!("{module}.{}", text(k, src)),
                                                );
                                            }
                                        }
                                    }
                                    _ => add_pattern_names(p, src, &mut b.locals),
                                }
                            }
                        }
                        _ => add_pattern_names(name, src, &mut b.locals),
                    }
                } else {
                    add_pattern_names(name, src, &mut b.locals);
                }
            }
            "function_declaration" | "generator_function_declaration" | "class_declaration" | "class" => {
                if let Some(name) = n.child_by_field_name("name") {
                    b.locals.insert(text(name, src).to_string());
                }
                if let Some(p) = n.child_by_field_name("parameters") {
                    add_pattern_names(p, src, &mut b.locals);
                }
            }
            "function_expression" | "function" | "generator_function" | "method_definition" => {
                if let Some(p) = n.child_by_field_name("parameters") {
                    add_pattern_names(p, src, &mut b.locals);
                }
            }
            "arrow_function" => {
                if let Some(p) = n.child_by_field_name("parameter").or(n.child_by_field_name("parameters")) {
                    add_pattern_names(p, src, &mut b.locals);
                }
            }
            "catch_clause" => {
                if let Some(p) = n.child_by_field_name("parameter") {
                    add_pattern_names(p, src, &mut b.locals);
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

/// Identifiers bound by a parameter list or destructuring pattern.
pub fn add_pattern_names(node: Node, src: &str, out: &mut HashSet<String>) {
    descendants(node, |n| match n.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => {
            out.insert(text(n, src).to_string());
            false
        }
        "pair_pattern" => {
            if let Some(v) = n.child_by_field_name("value") {
                add_pattern_names(v, src, out);
            }
            false
        }
        "assignment_pattern" | "object_assignment_pattern" => {
            if let Some(l) = n.child_by_field_name("left") {
                add_pattern_names(l, src, out);
            }
            false
        }
        "required_parameter" | "optional_parameter" => {
            if let Some(p) = n.child_by_field_name("pattern") {
                add_pattern_names(p, src, out);
            }
            false
        }
        "type_annotation" | "decorator" | "member_expression" | "subscript_expression" => false,
        _ => true,
    });
}

pub fn qualified_name(expr: Node, src: &str, b: &Bindings) -> Option<String> {
    match expr.kind() {
        "identifier" => {
            let name = text(expr, src);
            if let Some(q) = b.imports.get(name) {
                Some(q.clone())
            } else if b.locals.contains(name) {
                None
            } else {
                Some(name.to_string())
            }
        }
        "member_expression" => {
            let obj = expr.child_by_field_name("object")?;
            let prop = expr.child_by_field_name("property")?;
            let base = match obj.kind() {
                "call_expression" => require_target(obj, src)?,
                _ => qualified_name(obj, src, b)?,
            };
            Some(format!("{base}.{}", text(prop, src)))
        }
        "parenthesized_expression" | "non_null_expression" => qualified_name(expr.named_child(0)?, src, b),
        "call_expression" => require_target(expr, src),
        _ => None,
    }
}

pub fn is_literal(node: Node) -> bool {
    match node.kind() {
        "string" | "number" | "true" | "false" | "null" | "undefined" | "regex" => true,
        "template_string" => {
            let mut c = node.walk();
            let r = !node.named_children(&mut c).any(|ch| ch.kind() == "template_substitution");
            r
        }
        "binary_expression" => {
            node.child_by_field_name("left").is_some_and(is_literal)
                && node.child_by_field_name("right").is_some_and(is_literal)
        }
        "parenthesized_expression" => node.named_child(0).is_some_and(is_literal),
        _ => false,
    }
}

const ROUTE_METHODS: &[&str] =
    &["get", "post", "put", "patch", "delete", "del", "all", "use", "options", "head", "route"];
const NEST_ROUTE_DECORATORS: &[&str] = &["Get", "Post", "Put", "Patch", "Delete", "All", "Options", "Head", "Sse"];
const HTTP_EXPORTS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/// Events of streams and processes, not of client connections.
const NON_CLIENT_EVENTS: &[&str] = &[
    "data",
    "end",
    "error",
    "close",
    "exit",
    "finish",
    "drain",
    "readable",
    "open",
    "listening",
    "uncaughtException",
    "unhandledRejection",
    "SIGINT",
    "SIGTERM",
    "warning",
    "beforeExit",
];

fn is_path_like(node: Node) -> bool {
    matches!(node.kind(), "string" | "template_string" | "regex" | "array")
}

pub fn handlers(root: Node, src: &str, rel: &str) -> Handlers {
    let mut h = Handlers::default();
    // Named functions of the file, by name, for `app.get('/x', listUsers)`
    // and for following calls.
    let mut named: Vec<(String, Node)> = Vec::new();
    let mut handler_names: Vec<String> = Vec::new();
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    let is_app_route = file_name.starts_with("route.");
    let is_pages_api = rel.contains("pages/api/") || rel.starts_with("api/");

    descendants(root, |n| {
        match n.kind() {
            "function_declaration" | "generator_function_declaration" => {
                if let Some(name) = n.child_by_field_name("name") {
                    named.push((text(name, src).to_string(), n));
                }
            }
            "variable_declarator" => {
                if let (Some(name), Some(v)) = (n.child_by_field_name("name"), n.child_by_field_name("value")) {
                    if is_function_kind(v.kind()) {
                        named.push((text(name, src).to_string(), v));
                    }
                }
            }
            "call_expression" => {
                let Some(callee) = n.child_by_field_name("function") else { return true };
                let Some(args) = n.child_by_field_name("arguments") else { return true };
                if callee.kind() != "member_expression" {
                    return true;
                }
                let method = callee.child_by_field_name("property").map(|p| text(p, src)).unwrap_or("");
                let obj = callee.child_by_field_name("object");
                let mut c = args.walk();
                let list: Vec<Node> = args.named_children(&mut c).collect();
                let first_is_path = list.first().is_some_and(|a| is_path_like(*a));
                let on_route_chain = obj.is_some_and(|o| {
                    o.kind() == "call_expression"
                        && o.child_by_field_name("function").is_some_and(|f| text(f, src).ends_with(".route"))
                });
                let is_route = ROUTE_METHODS.contains(&method) && (first_is_path || method == "use" || on_route_chain);
                let is_listener = method == "on"
                    && list.first().is_some_and(|a| {
                        a.kind() == "string" && !NON_CLIENT_EVENTS.contains(&module_name(*a, src).as_str())
                    })
                    && obj.is_some_and(|o| {
                        let t = text(o, src).to_ascii_lowercase();
                        t.contains("socket")
                            || t == "io"
                            || t.ends_with("ws")
                            || t.ends_with("wss")
                            || t.contains("server")
                    });
                if is_route || is_listener {
                    for a in &list {
                        if is_function_kind(a.kind()) {
                            h.add(*a);
                        } else if a.kind() == "identifier" {
                            handler_names.push(text(*a, src).to_string());
                        } else if a.kind() == "array" {
                            let mut c2 = a.walk();
                            for el in a.named_children(&mut c2) {
                                if is_function_kind(el.kind()) {
                                    h.add(el);
                                } else if el.kind() == "identifier" {
                                    handler_names.push(text(el, src).to_string());
                                }
                            }
                        }
                    }
                }
                // Fastify `route({ handler })`, and options objects with a handler.
                if is_route || method == "route" {
                    for a in &list {
                        if a.kind() == "object" {
                            let mut c2 = a.walk();
                            for p in a.named_children(&mut c2) {
                                if p.kind() == "pair"
                                    && p.child_by_field_name("key").is_some_and(|k| text(k, src) == "handler")
                                {
                                    if let Some(v) = p.child_by_field_name("value") {
                                        if is_function_kind(v.kind()) {
                                            h.add(v);
                                        } else if v.kind() == "identifier" {
                                            handler_names.push(text(v, src).to_string());
                                        }
                                    }
                                } else if p.kind() == "method_definition"
                                    && p.child_by_field_name("name").is_some_and(|k| text(k, src) == "handler")
                                {
                                    h.add(p);
                                }
                            }
                        }
                    }
                }
            }
            "method_definition" => {
                let mut c = n.walk();
                let decorated = n.children(&mut c).any(|d| {
                    d.kind() == "decorator" && {
                        let t = text(d, src).trim_start_matches('@');
                        let name = t.split('(').next().unwrap_or("");
                        NEST_ROUTE_DECORATORS.contains(&name) || name == "MessagePattern" || name == "SubscribeMessage"
                    }
                });
                // Decorators may also precede the method as siblings in the class body.
                let prev_decorated = {
                    let mut prev = n.prev_named_sibling();
                    let mut any = false;
                    while let Some(p) = prev {
                        if p.kind() != "decorator" {
                            break;
                        }
                        let t = text(p, src).trim_start_matches('@');
                        let name = t.split('(').next().unwrap_or("");
                        any |= NEST_ROUTE_DECORATORS.contains(&name) || name == "SubscribeMessage";
                        prev = p.prev_named_sibling();
                    }
                    any
                };
                if decorated || prev_decorated {
                    h.add(n);
                }
            }
            "export_statement" => {
                let is_default = {
                    let mut c = n.walk();
                    let r = n.children(&mut c).any(|x| x.kind() == "default");
                    r
                };
                if let Some(decl) = n.child_by_field_name("declaration").or(n.child_by_field_name("value")) {
                    if is_default && is_pages_api && is_function_kind(decl.kind()) {
                        h.add(decl);
                    }
                    if is_default && is_pages_api && decl.kind() == "identifier" {
                        handler_names.push(text(decl, src).to_string());
                    }
                    if is_app_route {
                        if decl.kind() == "function_declaration" {
                            if decl.child_by_field_name("name").is_some_and(|nm| HTTP_EXPORTS.contains(&text(nm, src)))
                            {
                                h.add(decl);
                            }
                        } else if decl.kind() == "lexical_declaration" {
                            let mut c = decl.walk();
                            for d in decl.named_children(&mut c) {
                                if let (Some(nm), Some(v)) =
                                    (d.child_by_field_name("name"), d.child_by_field_name("value"))
                                {
                                    if HTTP_EXPORTS.contains(&text(nm, src)) && is_function_kind(v.kind()) {
                                        h.add(v);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        true
    });
    for name in &handler_names {
        for (n, f) in &named {
            if n == name {
                h.add(*f);
            }
        }
    }
    // Functions of this file called from a handler serve requests too.
    let mut frontier: Vec<(usize, usize)> = h.ranges.clone();
    let mut rounds = 0;
    while !frontier.is_empty() && rounds < 8 {
        rounds += 1;
        let mut next = Vec::new();
        for (start, end) in frontier {
            let Some(func) = root.descendant_for_byte_range(start, end) else { continue };
            let mut callees = Vec::new();
            descendants(func, |n| {
                if n.kind() == "call_expression" {
                    if let Some(f) = n.child_by_field_name("function") {
                        if f.kind() == "identifier" {
                            callees.push(text(f, src).to_string());
                        } else if f.kind() == "member_expression"
                            && f.child_by_field_name("object").is_some_and(|o| o.kind() == "this")
                        {
                            if let Some(p) = f.child_by_field_name("property") {
                                callees.push(text(p, src).to_string());
                            }
                        }
                    }
                }
                true
            });
            for c in callees {
                for (n, f) in &named {
                    if *n == c && !h.is_handler(*f) {
                        h.add(*f);
                        next.push((f.start_byte(), f.end_byte()));
                    }
                }
            }
        }
        frontier = next;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse, Lang};
    use std::time::Duration;

    #[test]
    fn resolves_require_and_import_aliases() {
        let src = "const { execSync: run } = require('child_process');\nimport * as vm from 'node:vm';\nimport { readFileSync as rfs } from 'fs';\nconst fs = { readFileSync() {} };\nrun(a); vm.runInNewContext(b); rfs(c); fs.readFileSync(d); eval(e);\n";
        let tree = parse(Lang::JavaScript, src, Duration::from_secs(1)).unwrap();
        let b = bindings(tree.root_node(), src);
        let mut names = Vec::new();
        descendants(tree.root_node(), |n| {
            if n.kind() == "call_expression" {
                let f = n.child_by_field_name("function").unwrap();
                if text(f, src) != "require" {
                    names.push(qualified_name(f, src, &b));
                }
            }
            true
        });
        assert_eq!(
            names,
            vec![
                Some("child_process.execSync".to_string()),
                Some("vm.runInNewContext".to_string()),
                Some("fs.readFileSync".to_string()),
                None,
                Some("eval".to_string())
            ]
        );
    }

    #[test]
    fn finds_express_handlers_and_their_callees() {
        let src = "function helper(x) { return x }\nfunction list(req, res) { helper(1) }\nfunction unused() {}\napp.get('/a', list);\nrouter.post('/b', auth, async (req, res) => {});\n";
        let tree = parse(Lang::JavaScript, src, Duration::from_secs(1)).unwrap();
        let h = handlers(tree.root_node(), src, "app.js");
        assert_eq!(h.ranges.len(), 3, "{:?}", h.ranges);
    }
}
