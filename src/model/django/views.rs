//! Django views: which HTTP methods a view accepts, read from its
//! decorators (`require_POST`, `require_http_methods`), from a guard at the
//! top of its body, from the handlers a class-based view defines or
//! inherits (`post()`, `CreateView`), and whether it is a DRF view.

use crate::engine::context::FileCtx;
use crate::parse::Syntax;
use crate::semantics::python;
use tree_sitter::Node;

pub const SAFE_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS", "TRACE"];
pub const UNSAFE_HANDLERS: &[&str] = &["post", "put", "patch", "delete"];

/// Django class-based views that handle POST (or DELETE) themselves.
pub const EDITING_VIEWS: &[(&str, &str)] = &[
    ("CreateView", "post"),
    ("UpdateView", "post"),
    ("DeleteView", "post"),
    ("FormView", "post"),
    ("BaseCreateView", "post"),
    ("BaseUpdateView", "post"),
    ("BaseDeleteView", "post"),
    ("BaseFormView", "post"),
    ("ProcessFormView", "post"),
    ("DeletionMixin", "delete"),
    ("LoginView", "post"),
    ("LogoutView", "post"),
    ("PasswordChangeView", "post"),
    ("PasswordResetView", "post"),
    ("PasswordResetConfirmView", "post"),
];

/// The last segment of a decorator's qualified name, when the decorator is
/// imported (not a local look-alike), with the decorator's call node if any.
pub fn decorator_name<'t>(expr: Node<'t>, ctx: &FileCtx) -> Option<(String, String, Option<Node<'t>>)> {
    let (target, call) = if expr.ty() == "call" { (expr.field("function")?, Some(expr)) } else { (expr, None) };
    let q = ctx.qualified_name(target)?;
    if q.starts_with("builtins.") {
        return None;
    }
    let last = q.rsplit('.').next().unwrap_or("").to_string();
    Some((q, last, call))
}

/// Methods a view is restricted to by its decorators: `Some(methods)`,
/// `Some(["*"])` when no restriction, `None` when a restriction we cannot read.
pub fn allowed_methods(decorated: Node, ctx: &FileCtx) -> Option<Vec<String>> {
    let mut allowed: Option<Vec<String>> = Some(vec!["*".into()]);
    let mut c = decorated.walk();
    for d in decorated.named_children(&mut c).filter(|d| d.ty() == "decorator") {
        let Some(expr) = d.named_children(&mut d.walk()).find(|n| n.ty() != "comment") else {
            continue;
        };
        let Some((_, last, call)) = decorator_name(expr, ctx) else {
            continue;
        };
        let methods: Option<Vec<String>> = match (last.as_str(), call) {
            ("require_GET", None) => Some(vec!["GET".into()]),
            ("require_safe", None) => Some(vec!["GET".into(), "HEAD".into()]),
            ("require_POST", None) => Some(vec!["POST".into()]),
            ("require_http_methods", Some(call)) => {
                let list =
                    call.field("arguments").and_then(|a| a.named_children(&mut a.walk()).find(|n| n.ty() != "comment"));
                match list {
                    Some(l) if matches!(l.ty(), "list" | "tuple" | "set") => {
                        let items: Option<Vec<String>> = l
                            .named_children(&mut l.walk())
                            .filter(|n| n.ty() != "comment")
                            .map(|n| python::string_value(&ctx.src.text, n).map(|s| s.to_ascii_uppercase()))
                            .collect();
                        Some(items?)
                    }
                    _ => return None,
                }
            }
            _ => continue,
        };
        allowed = methods;
    }
    allowed
}

/// Is `decorated` a DRF function view (`@api_view`)?
pub fn is_drf_function(decorated: Node, ctx: &FileCtx) -> bool {
    let mut c = decorated.walk();
    let r = decorated.named_children(&mut c).filter(|d| d.ty() == "decorator").any(|d| {
        d.named_children(&mut d.walk())
            .find(|n| n.ty() != "comment")
            .and_then(|e| decorator_name(e, ctx))
            .is_some_and(|(q, _, _)| q.starts_with("rest_framework."))
    });
    r
}

/// `if request.method != "GET": return ...` (or `not in ("GET", "HEAD")`,
/// raising instead of returning) at the top of the body: the view rejects
/// every unsafe method before doing anything.
pub fn rejects_unsafe_methods(def: Node, ctx: &FileCtx) -> bool {
    let Some(body) = def.field("body") else {
        return false;
    };
    let mut c = body.walk();
    let r = body.named_children(&mut c).take(3).any(|stmt| {
        if stmt.ty() != "if_statement" {
            return false;
        }
        let Some(cond) = stmt.field("condition") else {
            return false;
        };
        let guard = stmt.field("consequence").is_some_and(|b| {
            b.named_children(&mut b.walk())
                .last()
                .is_some_and(|s| matches!(s.ty(), "return_statement" | "raise_statement"))
        });
        guard && rejects_unsafe(cond, ctx)
    });
    r
}

fn rejects_unsafe(cond: Node, ctx: &FileCtx) -> bool {
    if cond.ty() != "comparison_operator" {
        return false;
    }
    let mut c = cond.walk();
    let kids: Vec<Node> = cond.children(&mut c).collect();
    if kids.len() != 3 && kids.len() != 4 {
        return false;
    }
    let left = kids[0];
    let right = kids[kids.len() - 1];
    let op: String = kids[1..kids.len() - 1].iter().map(|k| ctx.text(*k)).collect::<Vec<_>>().join(" ");
    if !matches!(ctx.text(left), "request.method" | "self.request.method") {
        return false;
    }
    let safe = |n: Node| {
        python::string_value(&ctx.src.text, n).is_some_and(|s| SAFE_METHODS.contains(&s.to_ascii_uppercase().as_str()))
    };
    match op.as_str() {
        "!=" => safe(right),
        "not in" => {
            matches!(right.ty(), "tuple" | "list" | "set")
                && right.named_children(&mut right.walk()).filter(|n| n.ty() != "comment").all(safe)
        }
        _ => false,
    }
}

/// Why the class accepts unsafe methods, if it does: "defines post()",
/// "inherits post() from CreateView".
pub fn unsafe_handler(class: Node, ctx: &FileCtx) -> Option<String> {
    handler_in(class, ctx, 0)
}

fn handler_in(class: Node, ctx: &FileCtx, depth: u32) -> Option<String> {
    if depth > 5 {
        return None;
    }
    let body = class.field("body")?;
    let mut c = body.walk();
    let mut safe_only = false;
    let mut defined = Vec::new();
    for stmt in body.named_children(&mut c) {
        let def = if stmt.ty() == "decorated_definition" { stmt.field("definition") } else { Some(stmt) };
        let Some(def) = def else { continue };
        match def.ty() {
            "function_definition" => {
                let n = def.field("name").map(|n| ctx.text(n)).unwrap_or("");
                if UNSAFE_HANDLERS.contains(&n) {
                    defined.push(n);
                }
            }
            "expression_statement" => {
                // http_method_names = ["get", "head"]
                let Some(a) = def.named_child(0).filter(|a| a.ty() == "assignment") else {
                    continue;
                };
                let is_names = a.field("left").is_some_and(|l| ctx.text(l) == "http_method_names");
                if let (true, Some(r)) = (is_names, a.field("right")) {
                    if matches!(r.ty(), "list" | "tuple") {
                        let names: Option<Vec<String>> = r
                            .named_children(&mut r.walk())
                            .filter(|n| n.ty() != "comment")
                            .map(|n| python::string_value(&ctx.src.text, n))
                            .collect();
                        safe_only = names.is_some_and(|ns| {
                            ns.iter().all(|m| SAFE_METHODS.contains(&m.to_ascii_uppercase().as_str()))
                        });
                    }
                }
            }
            _ => {}
        }
    }
    if safe_only {
        return None;
    }
    if !defined.is_empty() {
        let list: Vec<String> = defined.iter().map(|d| format!("{d}()")).collect();
        return Some(format!("defines {}", list.join(", ")));
    }
    for base in bases(class) {
        let last = match base.ty() {
            "identifier" => ctx.text(base),
            "attribute" => base.field("attribute").map(|a| ctx.text(a)).unwrap_or(""),
            _ => continue,
        };
        if let Some((_, method)) = EDITING_VIEWS.iter().find(|(n, _)| *n == last) {
            return Some(format!("inherits {method}() from {last}"));
        }
        if base.ty() == "identifier" {
            if let Some(local) = local_class(class, last, ctx).filter(|l| *l != class) {
                if let Some(why) = handler_in(local, ctx, depth + 1) {
                    return Some(if why.starts_with("inherits") {
                        why
                    } else {
                        format!("inherits from {last}, which {why}")
                    });
                }
            }
        }
    }
    None
}

pub fn bases(class: Node) -> Vec<Node> {
    let Some(args) = class.field("superclasses") else {
        return Vec::new();
    };
    let mut c = args.walk();
    let out = args.named_children(&mut c).filter(|n| matches!(n.ty(), "identifier" | "attribute")).collect();
    out
}

/// A class named `name` defined at the top level of the file holding `near`.
pub fn local_class<'t>(near: Node<'t>, name: &str, ctx: &FileCtx) -> Option<Node<'t>> {
    let mut root = near;
    while let Some(p) = root.up() {
        root = p;
    }
    let mut c = root.walk();
    let found = root
        .named_children(&mut c)
        .filter_map(|stmt| if stmt.ty() == "decorated_definition" { stmt.field("definition") } else { Some(stmt) })
        .find(|d| d.ty() == "class_definition" && d.field("name").is_some_and(|n| ctx.text(n) == name));
    found
}

/// Is the class a DRF view (already CSRF-exempt; SessionAuthentication
/// enforces CSRF itself)?
pub fn is_drf_class(class: Node, ctx: &FileCtx) -> bool {
    bases(class).into_iter().any(|b| {
        ctx.qualified_name(b).is_some_and(|q| q.starts_with("rest_framework."))
            || ctx.text(b).ends_with("APIView")
            || ctx.text(b).ends_with("ViewSet")
    })
}
