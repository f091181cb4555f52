//! Node.js security rules: secrets, JWT use, and injection sinks fed by
//! request data (SQL, MongoDB filters, shell commands, file paths,
//! redirects, HTML). They are code rules rather than declarative ones because
//! they follow values to their assignments and inspect option objects, and
//! because every extra pattern in the combined declarative query costs time
//! on every call expression of every file.

pub mod command_injection;
pub mod hardcoded_secret;
pub mod jwt_insecure;
pub mod nosql_injection;
pub mod open_redirect;
pub mod path_traversal;
pub mod reflected_xss;
pub mod sql_injection;

use crate::engine::rule::CodeRule;
use crate::parse::Syntax;

pub const RULES: &[&CodeRule] = &[
    &hardcoded_secret::RULE,
    &jwt_insecure::RULE,
    &sql_injection::RULE,
    &nosql_injection::RULE,
    &command_injection::RULE,
    &path_traversal::RULE,
    &open_redirect::RULE,
    &reflected_xss::RULE,
];

use crate::engine::context::FileCtx;
use crate::rules::express::facts::strip;
use crate::semantics::descendants;
use tree_sitter::Node;

const NUMERIC_CALLS: &[&str] = &[
    "parseInt",
    "parseFloat",
    "Number",
    "Number.parseInt",
    "Number.parseFloat",
    "Math.floor",
    "Math.round",
    "Math.ceil",
    "Math.trunc",
];

/// A value fixed when the code is written: a literal, a number
/// (`parseInt(...)`), a string built only from such values, or a variable
/// every declaration of which is one (`const INDEX = "posts_idx"`).
pub fn constant(n: Node, ctx: &FileCtx, depth: u32) -> bool {
    if depth > 4 {
        return false;
    }
    let n = strip(n);
    match n.ty() {
        "string" | "number" | "true" | "false" | "null" => true,
        "template_string" => {
            let mut c = n.walk();
            let r = n
                .named_children(&mut c)
                .filter(|s| s.ty() == "template_substitution")
                .all(|s| s.named_child(0).is_some_and(|e| constant(e, ctx, depth + 1)));
            r
        }
        "binary_expression" => {
            n.field("left").is_some_and(|l| constant(l, ctx, depth + 1))
                && n.field("right").is_some_and(|r| constant(r, ctx, depth + 1))
        }
        "call_expression" => n.field("function").is_some_and(|f| NUMERIC_CALLS.contains(&ctx.text(f))),
        "identifier" => {
            let name = ctx.text(n);
            // Declarations in the enclosing functions and at module level.
            let mut values = Vec::new();
            let mut assigned = false;
            let mut scope = ctx.enclosing_function(n);
            loop {
                let root = scope.unwrap_or(ctx.tree.root_node());
                descendants(root, |d| {
                    match d.ty() {
                        "variable_declarator" if d.field("name").is_some_and(|x| ctx.text(x) == name) => {
                            match d.field("value") {
                                Some(v) => values.push(v),
                                None => assigned = true,
                            }
                        }
                        "assignment_expression" | "augmented_assignment_expression"
                            if d.field("left").is_some_and(|x| ctx.text(x) == name) =>
                        {
                            assigned = true
                        }
                        _ => {}
                    }
                    true
                });
                if !values.is_empty() || scope.is_none() {
                    break;
                }
                scope = scope.and_then(|s| ctx.enclosing_function(s));
            }
            !assigned && !values.is_empty() && values.iter().all(|v| constant(*v, ctx, depth + 1))
        }
        _ => false,
    }
}
