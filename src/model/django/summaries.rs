//! Query summaries of model methods and properties.
//!
//! A loop (or a template) that calls `project.open_ticket_count()` or reads
//! `entry.author_name` runs whatever that method runs on `self`, once per
//! row. Phase 1 ([`methods`]) records, for every method and property of a
//! model class, the attribute chains it reads on `self` ([`SelfRead`]):
//! relations or not, which phase 2 tells from the model index. Phase 2
//! ([`expand`]) turns `row.<method>` into the relation reads it stands
//! for, through the class's bases and through the other methods of `self`
//! it calls or reads, to a fixed point, and names the chain.

use super::models::{body_statements, span_of, ModelIndex};
use super::querysets::collect_accesses;
use crate::engine::context::FileCtx;
use crate::finding::{Location, Span};
use crate::parse::Syntax;
use crate::semantics::descendants;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use tree_sitter::Node;

/// A method or property of a model class and what it reads on `self`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodSummary {
    pub name: String,
    /// Read as an attribute (`@property`, `@cached_property`), not called.
    #[serde(default)]
    pub property: bool,
    /// The attribute chains read on `self`, in source order.
    #[serde(default)]
    pub reads: Vec<SelfRead>,
    /// The body writes, runs queries of its own (`Model.objects...`) or
    /// hands work on (`.delay()`, mail): calling it per row costs more than
    /// the relations it reads, which loading them up front does not remove.
    #[serde(default)]
    pub effects: bool,
    /// The method's name in its `def`.
    pub span: Span,
}

/// `self.tickets.filter(closed=False)`: a chain read on `self`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfRead {
    pub segs: Vec<String>,
    /// The last attribute is called.
    #[serde(default)]
    pub called: bool,
    #[serde(default)]
    pub call_args: bool,
    /// The call's arguments use `self`, a parameter or a local: they may
    /// differ from row to row (`filter(created__gt=self.last_seen)`).
    #[serde(default)]
    pub varying: bool,
}

/// Methods whose reads are not what a loop calling them costs: writes
/// (their own rule), and the hooks Django calls itself.
const SKIPPED: &[&str] = &["save", "delete", "clean", "full_clean", "refresh_from_db", "get_deferred_fields"];

/// What in a method's body is work of its own: writes, explicit queries,
/// tasks and mail.
const EFFECTS: &[&str] = &[
    ".save(",
    ".delete(",
    ".update(",
    ".create(",
    "_or_create(",
    "bulk_create(",
    "bulk_update(",
    ".objects.",
    ".delay(",
    ".apply_async(",
    "send_mail(",
    ".send(",
];

/// Decorators that make a method an attribute read.
const PROPERTY_DECORATORS: &[&str] = &["property", "cached_property"];

/// Phase 1: the summaries of the methods of `class` that read `self`.
pub fn methods(ctx: &FileCtx, class: Node) -> Vec<MethodSummary> {
    let mut out = Vec::new();
    for def in body_statements(class) {
        if def.ty() != "function_definition" {
            continue;
        }
        let Some(name_node) = def.field("name") else { continue };
        let name = ctx.text(name_node);
        if (name.starts_with("__") && name != "__str__") || SKIPPED.contains(&name) {
            continue;
        }
        let Some(body) = def.field("body") else { continue };
        let property = is_property(ctx, def);
        let locals = local_names(ctx, def);
        let reads: Vec<SelfRead> = collect_accesses(ctx, &[body], "self", &HashMap::new())
            .into_iter()
            .map(|a| {
                let varying = a.call_args
                    && body
                        .descendant_for_byte_range(a.span.start_byte as usize, a.span.end_byte as usize)
                        .filter(|n| n.ty() == "call")
                        .and_then(|n| n.field("arguments"))
                        .is_some_and(|args| uses_any(ctx, args, &locals));
                SelfRead { segs: a.segs, called: a.called, call_args: a.call_args, varying }
            })
            .collect();
        if reads.is_empty() {
            continue;
        }
        let text = ctx.text(body);
        let effects = EFFECTS.iter().any(|e| text.contains(e)) || sets_state(ctx, body);
        out.push(MethodSummary { name: name.to_string(), property, reads, effects, span: span_of(ctx, name_node) });
    }
    out
}

/// Does the body assign a public attribute of `self` (`self.threads =
/// ...`)? Such a method updates the row (a recount, a sync) rather than
/// reading it; a private one (`self._cache = ...`) is memoisation.
fn sets_state(ctx: &FileCtx, body: Node) -> bool {
    let mut found = false;
    descendants(body, |n| {
        if found || matches!(n.ty(), "function_definition" | "lambda" | "class_definition") {
            return false;
        }
        if matches!(n.ty(), "assignment" | "augmented_assignment") {
            let left = n.field("left");
            found = left.is_some_and(|l| {
                l.ty() == "attribute"
                    && l.field("object").is_some_and(|o| ctx.text(o) == "self")
                    && l.field("attribute").is_some_and(|a| !ctx.text(a).starts_with('_'))
            });
        }
        true
    });
    found
}

/// `self`, the parameters and the names a function assigns.
fn local_names(ctx: &FileCtx, def: Node) -> HashSet<String> {
    let mut out = HashSet::from(["self".to_string()]);
    descendants(def, |n| {
        match n.ty() {
            "identifier" => {
                let p = n.up();
                let binds = p.is_some_and(|p| {
                    matches!(p.ty(), "parameters" | "typed_parameter" | "default_parameter" | "typed_default_parameter")
                        && p.field("value").is_none_or(|v| v.id() != n.id())
                        || (matches!(p.ty(), "assignment" | "for_statement" | "pattern_list" | "tuple_pattern")
                            && p.field("right").is_none_or(|v| v.id() != n.id()))
                });
                if binds {
                    out.insert(ctx.text(n).to_string());
                }
            }
            "lambda" | "class_definition" => return false,
            _ => {}
        }
        true
    });
    out
}

/// Does `n` use one of `names` (keyword names aside)?
fn uses_any(ctx: &FileCtx, n: Node, names: &HashSet<String>) -> bool {
    let mut found = false;
    descendants(n, |x| {
        if found {
            return false;
        }
        if x.ty() == "identifier"
            && names.contains(ctx.text(x))
            && !x
                .up()
                .is_some_and(|p| p.ty() == "keyword_argument" && p.field("name").is_some_and(|k| k.id() == x.id()))
            && !x.up().is_some_and(|p| p.ty() == "attribute" && p.field("attribute").is_some_and(|a| a.id() == x.id()))
        {
            found = true;
        }
        true
    });
    found
}

fn is_property(ctx: &FileCtx, def: Node) -> bool {
    let Some(decorated) = def.up().filter(|p| p.ty() == "decorated_definition") else {
        return false;
    };
    let mut c = decorated.walk();
    let r = decorated.named_children(&mut c).filter(|d| d.ty() == "decorator").any(|d| {
        let t = ctx.text(d).trim_start_matches('@').trim();
        let last = t.rsplit('.').next().unwrap_or(t);
        PROPERTY_DECORATORS.contains(&last)
    });
    r
}

/// The method or property `name` of `model`, from its class or the nearest
/// base that defines it: (the model defining it, its summary).
pub fn method<'i>(index: &'i ModelIndex, model: usize, name: &str) -> Option<(usize, &'i MethodSummary)> {
    let mut seen = Vec::new();
    let mut queue = std::collections::VecDeque::from([model]);
    while let Some(m) = queue.pop_front() {
        if seen.contains(&m) || seen.len() > 32 {
            continue;
        }
        seen.push(m);
        let entry = &index.models[m];
        if let Some(s) = entry.class.methods.iter().find(|s| s.name == name) {
            return Some((m, s));
        }
        // A field of that name shadows a base's method.
        if entry.class.fields.iter().any(|f| f.name == name) {
            return None;
        }
        queue.extend(entry.bases.iter().copied());
    }
    None
}

/// A read a method call stands for: `segs` are the chain on the row (the
/// access's prefix, then what the method reads on `self`), `via` the
/// methods passed through (`Project.open_ticket_count`).
#[derive(Debug, Clone, PartialEq)]
pub struct Expanded {
    pub segs: Vec<String>,
    pub called: bool,
    pub call_args: bool,
    /// The method's call arguments may differ from row to row.
    pub varying: bool,
    pub via: Vec<String>,
    /// How many of `segs` lead to the method (the rest it reads on `self`).
    pub prefix: usize,
    /// How many of `segs` lead to the method the access calls.
    pub start: usize,
    /// Where the method the access calls is defined.
    pub def: Option<Location>,
    /// A method of the chain (or one it calls on `self`) has effects of its own.
    pub effects: bool,
}

impl Expanded {
    /// `Project.open_ticket_count → self.tickets.filter()`.
    pub fn chain(&self) -> String {
        let read = self.segs[self.prefix.min(self.segs.len())..].join(".");
        let call = if self.called { "()" } else { "" };
        format!("{} → self.{read}{call}", self.via.join(" → "))
    }
}

/// How deep a chain of methods calling methods is followed.
const MAX_DEPTH: usize = 4;

/// What the access `row.<segs>` on an instance of `model` reads when the
/// chain reaches a method or property (`row.open_ticket_count()`,
/// `row.author.display_name`): the method's reads on `self`, with the
/// methods they reach in turn expanded, each prefixed by the relations
/// that led to the method. Empty when the chain reaches no method of a
/// model the index knows: the access stands for itself.
pub fn expand(index: &ModelIndex, model: usize, segs: &[String]) -> Vec<Expanded> {
    let mut out = Vec::new();
    walk(index, model, segs, &mut Vec::new(), &mut (0, None), &mut out);
    out
}

/// Expands `segs` into `out`; false when the chain reaches no method.
fn walk(
    index: &ModelIndex,
    model: usize,
    segs: &[String],
    via: &mut Vec<String>,
    def: &mut (usize, Option<Location>),
    out: &mut Vec<Expanded>,
) -> bool {
    let mut cur = model;
    for (k, seg) in segs.iter().enumerate() {
        match index.attr(cur, seg) {
            Some(a) if a.kind.single() => match a.target {
                Some(t) => cur = t,
                None => return false,
            },
            // A manager or a plain field: the access itself.
            Some(_) => return false,
            None => {
                let Some((owner, summary)) = method(index, cur, seg) else { return false };
                let label = format!("{}.{}", index.name(owner), summary.name);
                if via.len() >= MAX_DEPTH || via.contains(&label) {
                    return true;
                }
                if via.is_empty() {
                    *def = (
                        k,
                        index.models[owner].rel.map(|rel| Location {
                            path: rel.to_string(),
                            span: summary.span,
                            message: Some(format!("{label} runs the query")),
                        }),
                    );
                }
                via.push(label);
                let before = out.len();
                for r in &summary.reads {
                    let mut s = segs[..k].to_vec();
                    s.extend(r.segs.iter().cloned());
                    if !walk(index, model, &s, via, def, out) {
                        out.push(Expanded {
                            segs: s,
                            called: r.called,
                            call_args: r.call_args,
                            varying: r.varying,
                            via: via.clone(),
                            prefix: k,
                            start: def.0,
                            def: def.1.clone(),
                            effects: false,
                        });
                    }
                }
                via.pop();
                if has_effects(index, cur, seg, &mut Vec::new()) {
                    for e in &mut out[before..] {
                        e.effects = true;
                    }
                }
                return true;
            }
        }
    }
    false
}

/// Does method `name` of `model`, or a method it calls on `self`, have
/// effects of its own?
fn has_effects(index: &ModelIndex, model: usize, name: &str, seen: &mut Vec<String>) -> bool {
    if seen.len() > 16 || seen.iter().any(|n| n == name) {
        return false;
    }
    seen.push(name.to_string());
    let Some((_, summary)) = method(index, model, name) else { return false };
    summary.effects
        || summary.reads.iter().any(|r| {
            let first = r.segs[0].as_str();
            (r.called && r.segs.len() == 1 && SKIPPED.contains(&first))
                || (index.attr(model, first).is_none() && has_effects(index, model, first, seen))
        })
}
