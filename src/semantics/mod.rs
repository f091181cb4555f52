//! Shared code understanding that rules build on, per language: import
//! bindings and qualified names (so aliases match and look-alikes do not),
//! request handlers, literals, enclosing contexts and function-local taint
//! from request data.

pub mod constant;
pub mod functions;
pub mod js;
pub mod js_taint;
pub mod python;
pub mod regex;

use crate::parse::Lang;
use crate::parse::Syntax;
use std::collections::{HashMap, HashSet};
use tree_sitter::Node;

/// Where a declarative rule's match may (or may not) sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    RequestHandler,
    AsyncFunction,
    Loop,
    Function,
    Module,
}

impl Context {
    pub fn parse(s: &str) -> Option<Context> {
        Some(match s {
            "request-handler" => Context::RequestHandler,
            "async-function" => Context::AsyncFunction,
            "loop" => Context::Loop,
            "function" => Context::Function,
            "module" => Context::Module,
            _ => return None,
        })
    }
}

/// Names bound in a file: imports (local name → qualified name) and every
/// other locally defined name (scope-insensitive, which errs on the side of
/// "not the builtin").
#[derive(Debug, Default)]
pub struct Bindings {
    pub imports: HashMap<String, String>,
    pub locals: HashSet<String>,
}

/// Functions that serve requests, as byte ranges of their nodes.
#[derive(Debug, Default, Clone)]
pub struct Handlers {
    pub ranges: Vec<(usize, usize)>,
    /// Parameters (function range, index) that carry request data although
    /// nothing in the file says so: a NestJS service method called from a
    /// controller of another file with request data in that argument (the
    /// engine's conditional passes set these).
    pub tainted_params: Vec<((usize, usize), usize)>,
    /// Names bound to sanitiser modules at the top of the file (JavaScript
    /// taint), found once per file: every taint scope needs them, and a
    /// bundle has thousands of scopes and top-level statements.
    pub sanitizers: std::sync::OnceLock<HashSet<String>>,
}

impl Handlers {
    pub fn param_tainted(&self, func: Node, index: usize) -> bool {
        self.tainted_params.contains(&((func.start_byte(), func.end_byte()), index))
    }
    pub fn is_handler(&self, func: Node) -> bool {
        self.ranges.contains(&(func.start_byte(), func.end_byte()))
    }
    pub fn add(&mut self, func: Node) {
        self.add_range((func.start_byte(), func.end_byte()));
    }
    /// Adds a function by its byte range; false if it was one already.
    pub fn add_range(&mut self, r: (usize, usize)) -> bool {
        if self.ranges.contains(&r) {
            return false;
        }
        self.ranges.push(r);
        true
    }
}

/// Variables holding request data inside one function.
#[derive(Debug, Default)]
pub struct Taint {
    pub names: HashSet<String>,
}

/// The source text of `node`. The source is a `str` already and a node
/// starts and ends on character boundaries (the lexer reads code points),
/// so slicing checks two boundaries where `Node::utf8_text` would validate
/// every byte again (a percent of a Node scan's instructions).
#[inline]
pub fn text<'a>(node: Node, src: &'a str) -> &'a str {
    src.get(node.start_byte()..node.end_byte()).unwrap_or("")
}

pub fn bindings(lang: Lang, root: Node, src: &str) -> Bindings {
    match lang {
        Lang::Python => python::bindings(root, src),
        _ => js::bindings(root, src),
    }
}

pub fn handlers(lang: Lang, root: Node, src: &str, rel: &str) -> Handlers {
    match lang {
        Lang::Python => python::handlers(root, src),
        _ => js::handlers(root, src, rel),
    }
}

pub fn qualified_name(lang: Lang, expr: Node, src: &str, b: &Bindings) -> Option<String> {
    match lang {
        Lang::Python => python::qualified_name(expr, src, b),
        _ => js::qualified_name(expr, src, b),
    }
}

pub fn is_literal(lang: Lang, node: Node) -> bool {
    match lang {
        Lang::Python => python::is_literal(node),
        _ => js::is_literal(node),
    }
}

pub fn is_function(lang: Lang, node: Node) -> bool {
    match lang {
        Lang::Python => matches!(node.ty(), "function_definition" | "lambda"),
        _ => js::is_function_kind(node.ty()),
    }
}

pub fn is_loop(lang: Lang, node: Node) -> bool {
    match lang {
        Lang::Python => matches!(
            node.ty(),
            "for_statement"
                | "while_statement"
                | "list_comprehension"
                | "set_comprehension"
                | "dictionary_comprehension"
                | "generator_expression"
        ),
        _ => matches!(node.ty(), "for_statement" | "for_in_statement" | "while_statement" | "do_statement"),
    }
}

/// True if `func` is declared `async`.
pub fn is_async(func: Node) -> bool {
    let mut c = func.walk();
    let r = func.children(&mut c).take_while(|n| !n.is_named() || n.ty() == "decorator").any(|n| n.ty() == "async");
    r
}

pub fn enclosing_function(lang: Lang, node: Node) -> Option<Node> {
    let mut cur = node.up();
    while let Some(n) = cur {
        if is_function(lang, n) {
            return Some(n);
        }
        cur = n.up();
    }
    None
}

/// Whether `node` sits in the context `ctx`; `fns` is the function index of
/// its file.
pub fn inside<'t>(
    fns: &functions::FnIndex<'t>,
    lang: Lang,
    node: Node<'t>,
    ctx: Context,
    handlers: Option<&Handlers>,
) -> bool {
    match ctx {
        Context::Function => fns.enclosing(node).is_some(),
        Context::Module => fns.enclosing(node).is_none(),
        Context::AsyncFunction => fns.enclosing(node).is_some_and(is_async),
        Context::Loop => {
            let mut cur = node.up();
            while let Some(n) = cur {
                if is_function(lang, n) {
                    return false;
                }
                if is_loop(lang, n) {
                    return true;
                }
                cur = n.up();
            }
            false
        }
        Context::RequestHandler => {
            let Some(h) = handlers else { return false };
            fns.chain(node).any(|f| h.is_handler(f))
        }
    }
}

/// The function a taint result is computed (and cached) for: JavaScript
/// closures share the analysis of their enclosing handler.
pub fn taint_scope<'t>(
    fns: &functions::FnIndex<'t>,
    lang: Lang,
    func: Node<'t>,
    src: &str,
    handlers: &Handlers,
) -> Node<'t> {
    match lang {
        Lang::Python => func,
        _ => js_taint::scope_of(fns, func, src, handlers),
    }
}

pub fn taint<'t>(fns: &functions::FnIndex<'t>, lang: Lang, func: Node<'t>, src: &str, handlers: &Handlers) -> Taint {
    match lang {
        Lang::Python => python::taint(func, src),
        _ => js_taint::taint(fns, func, src, handlers),
    }
}

pub fn expr_tainted(lang: Lang, expr: Node, src: &str, taint: &Taint) -> bool {
    match lang {
        Lang::Python => python::expr_tainted(expr, src, taint),
        _ => js_taint::expr_tainted(expr, src, taint),
    }
}

/// Reads of stores that others can write (SPEC "Constants, unknown values
/// and sanitizers"): a cache, a message queue, an HTTP response, an object
/// store, a socket. Code or pickles taken from one run whatever its writer
/// put there. Matched on the expression's text, and on the values a name
/// was assigned in its function.
const EXTERNAL_READS: &[&str] = &[
    "cache.get",
    "caches[",
    "get_cache(",
    "redis",
    "memcache",
    ".recv(",
    "urlopen(",
    "requests.get(",
    "requests.post(",
    "requests.request(",
    "httpx.",
    "aiohttp",
    ".get_object(",
    "message.body",
    "msg.body",
    "fetch(",
    "axios",
    "got(",
    "msg.content",
    "message.content",
    "job.data",
];

/// Does `expr` (or what the name it is was assigned) read an external
/// store (see [`EXTERNAL_READS`])?
pub fn external_store(lang: Lang, expr: Node, src: &str) -> bool {
    let reads = |t: &str| EXTERNAL_READS.iter().any(|r| t.contains(r));
    if reads(text(expr, src)) {
        return true;
    }
    if expr.ty() != "identifier" {
        return false;
    }
    let values: Vec<Node> = match lang {
        Lang::Python => python::assigned_values(expr, src).unwrap_or_default(),
        _ => {
            let name = text(expr, src);
            let scope = enclosing_function(lang, expr).unwrap_or_else(|| {
                let mut root = expr;
                while let Some(p) = root.up() {
                    root = p;
                }
                root
            });
            let mut out = Vec::new();
            descendants(scope, |d| {
                if d.start_byte() >= expr.start_byte() {
                    return false;
                }
                let (target, value) = match d.ty() {
                    "variable_declarator" => (d.field("name"), d.field("value")),
                    "assignment_expression" => (d.field("left"), d.field("right")),
                    _ => (None, None),
                };
                if let (Some(t), Some(v)) = (target, value) {
                    if text(t, src) == name {
                        out.push(v);
                    }
                }
                true
            });
            out
        }
    };
    values.iter().any(|v| reads(text(*v, src)))
}

pub use crate::parse::descendants;

#[cfg(test)]
mod tests {
    use super::*;

    /// Node text is sliced from the source: multi-byte characters in and
    /// around a node come out whole, in every grammar.
    #[test]
    fn node_text_keeps_multibyte_characters_whole() {
        let samples = [
            (Lang::Python, "s = 'héllo → wörld 🎉'\nnamé = s\n"),
            (Lang::JavaScript, "const é = `ça 🎉 ${x}`; f(é, 'ß');"),
        ];
        for (lang, code) in samples {
            let tree = crate::parse::parse(lang, code, std::time::Duration::from_secs(5)).unwrap();
            let mut seen = 0;
            descendants(tree.root_node(), |n| {
                assert_eq!(text(n, code), n.utf8_text(code.as_bytes()).unwrap(), "{lang:?} {}", n.kind());
                seen += usize::from(!text(n, code).is_ascii());
                true
            });
            assert!(seen > 3, "{lang:?}");
        }
    }
}
