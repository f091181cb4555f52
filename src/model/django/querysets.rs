//! Queryset tracking inside functions, for the Django N+1 rules.
//!
//! Phase 1 ([`extract`]) records, per function, the loops (`for`,
//! comprehensions, generator expressions) and what they iterate when it may
//! be a queryset ([`QsSource`]): a `Model.<manager>...` chain, a variable
//! assigned from one and narrowed through `.filter()`/`.select_related()`/
//! slices (in any branch before the loop), `self.get_queryset()` in a
//! class-based view, or a related manager of an enclosing loop's variable
//! (`for r in book.reviews.all()`). Each loop keeps the attribute chains read
//! on its variable ([`Access`], also through `author = book.author`
//! aliases), the explicit queries whose arguments depend on a loop variable
//! ([`QueryCall`]) and the writes made per iteration ([`WriteCall`]). Classes
//! that name a queryset (`queryset =`, `get_queryset`, `model =`,
//! `serializer_class =`) become [`ViewClass`] facts.
//!
//! Phase 2 ([`Analysis`]) resolves the models through the [`ModelIndex`],
//! folds every call of the chain into the lookups it covers, and turns the
//! accesses into findings with fixes that insert or extend
//! `select_related`/`prefetch_related` (or `annotate(Count(...))`).

use super::models::{
    all_args, body_statements, call_effect, call_name, class_assignments, facts_mut, kwarg, span_of, top_level_classes,
    AttrKind, ClassRef, CountImport, ModelIndex, ModelRef, Names, QsEffect,
};
use super::summaries::Expanded;
use crate::engine::context::FileCtx;
use crate::engine::project::{ProjectCtx, ProjectFile};
use crate::finding::{Edit, Fix, Location, Span};
use crate::parse::Syntax;
use crate::semantics::{descendants, python};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use tree_sitter::Node;

// ---------------------------------------------------------------------------
// Facts (phase 1)
// ---------------------------------------------------------------------------

/// A function with loops worth a look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionFacts {
    pub name: String,
    /// The top-level class the function is a method of.
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default)]
    pub loops: Vec<LoopFact>,
    #[serde(default)]
    pub queries: Vec<QueryCall>,
    #[serde(default)]
    pub writes: Vec<WriteCall>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopFact {
    /// `for book in books` (a statement's header, a comprehension's clause).
    pub header: Span,
    /// The loop variable, when it is one name (`for i, b in enumerate(qs)` gives `b`).
    #[serde(default)]
    pub var: Option<String>,
    /// The enclosing loop of the same function.
    #[serde(default)]
    pub parent: Option<u32>,
    /// What the loop iterates, when it may be a queryset.
    #[serde(default)]
    pub source: Option<QsSource>,
    #[serde(default)]
    pub accesses: Vec<Access>,
    /// Where the iterated values come from.
    #[serde(default)]
    pub iterates: Iterates,
    /// Each iteration hands work to a task queue or sends a mail
    /// (`task.delay(...)`, `apply_async`, `send_mail`): that per-row work,
    /// not a query or a save beside it, is what the loop costs.
    #[serde(default)]
    pub dispatches: bool,
}

/// Where a loop's values come from, which decides whether a query per
/// iteration grows with the data (SPEC "Where real N+1s live": loops over
/// values from the database; not N+1: loops over a constant collection).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Iterates {
    /// A collection written in the code: literal items, a module constant
    /// (`UPPER_CASE`), a model's `choices`, settings, `range(10)`.
    Constant,
    /// A parameter, a computed list, request data: the size is not known.
    #[default]
    Unknown,
    /// A queryset, or values taken from one (`values_list`, ids collected
    /// from its rows, a dict built from it).
    Database,
}

impl FunctionFacts {
    /// Where the values of loop `l` and the loops around it come from: a
    /// query in an inner loop over three constants still runs per row of an
    /// outer loop over a queryset. The most data-dependent of the chain.
    pub fn iterates(&self, l: u32) -> Iterates {
        let mut out = Iterates::Constant;
        let mut cur = Some(l);
        let mut guard = 0;
        while let Some(i) = cur {
            let Some(lp) = self.loops.get(i as usize) else { break };
            out = out.max(lp.iterates);
            cur = lp.parent;
            guard += 1;
            if guard > 64 {
                break;
            }
        }
        out
    }
}

/// A queryset expression: one part per way it can be built (branches
/// assigning the variable differently).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QsSource {
    pub parts: Vec<QsPart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QsPart {
    pub root: QsRoot,
    /// The method calls applied to the root, in order, across reassignments.
    #[serde(default)]
    pub calls: Vec<QsCall>,
    /// The expression that builds it (the assignment's value or the loop's iterable).
    pub span: Span,
    /// An empty span where `.select_related(...)` can be appended: the end
    /// of the chain, before a slice or `.iterator()`.
    #[serde(default)]
    pub insert_at: Option<Span>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QsRoot {
    /// `Model.<manager>`.
    Manager { model: ModelRef, manager: String },
    /// `self.get_queryset()`, `self.queryset`, `self.object_list` in a
    /// method of `class`; `super().get_queryset()` when `via_super`.
    ClassQs { class: String, via_super: bool },
    /// `self.queryset` in a method of `class`: the class attribute, whatever
    /// `get_queryset` does.
    ClassAttr { class: String },
    /// `self.model.<manager>` in a method of `class`.
    ClassModel { class: String, manager: String },
    /// `outer.<path>` where `outer` is the variable of loop `loop_`.
    Related { loop_: u32, path: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QsCall {
    /// Method name; `[]` for a subscript.
    pub name: String,
    #[serde(default)]
    pub effect: QsEffect,
    /// String arguments (for `only()`/`defer()`).
    #[serde(default)]
    pub strings: Vec<String>,
    /// An empty span after the last argument, where more lookups can be added.
    #[serde(default)]
    pub merge_at: Option<Span>,
}

/// `book.author.publisher.name`, `book.tags.all()`: an attribute chain read
/// on a loop variable (or on an alias of part of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Access {
    /// The name the chain starts from in the code.
    pub base: String,
    /// Attribute names after the loop variable (an alias's own chain first).
    pub segs: Vec<String>,
    /// How many of `segs` come from an alias (`author = book.author`).
    #[serde(default)]
    pub alias_len: u32,
    /// The last attribute is called (`.all()`, `.count()`).
    #[serde(default)]
    pub called: bool,
    /// The call has arguments.
    #[serde(default)]
    pub call_args: bool,
    /// The chain, with the call when there is one.
    pub span: Span,
}

/// An explicit query run per iteration whose arguments depend on a loop variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryCall {
    pub loop_: u32,
    /// The queryset it runs (`None` for `get_object_or_404(Model, ...)`).
    #[serde(default)]
    pub source: Option<QsSource>,
    #[serde(default)]
    pub model: Option<ModelRef>,
    /// What runs it: `get`, `count`, `first`, `iterate`, `get_object_or_404`, ...
    pub method: String,
    /// The loop-dependent names its arguments use.
    pub deps: Vec<String>,
    /// The called expression as written, shortened (`Book.objects.filter(author=a).count`).
    pub text: String,
    pub span: Span,
}

/// `.save()`, `.create()`, `.delete()` called once per iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteCall {
    pub loop_: u32,
    pub method: String,
    pub target: WriteTarget,
    /// The called expression as written, shortened (`book.save`).
    pub text: String,
    pub span: Span,
    /// The loop body does other per-row work besides this write (calls,
    /// logging, other writes): batching the write alone saves little.
    #[serde(default)]
    pub busy: bool,
    /// The write is the loop body's only statement.
    #[serde(default)]
    pub only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WriteTarget {
    /// The variable of loop `n`, which iterates a queryset.
    LoopVar(u32),
    /// A variable assigned `Model(...)`.
    Instance(ModelRef),
    /// A queryset (`Model.objects.create`, `Model.objects.filter(...).delete()`).
    Queryset(QsSource),
}

/// Where a class defines its queryset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QsDef {
    /// The `queryset = ...` assignment or the `return` of `get_queryset`.
    pub span: Span,
    /// `None` when the expression is not a queryset we can follow.
    #[serde(default)]
    pub source: Option<QsSource>,
}

/// A top-level class that names a queryset, a model or a serializer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewClass {
    pub name: String,
    pub span: Span,
    #[serde(default)]
    pub bases: Vec<ClassRef>,
    #[serde(default)]
    pub queryset: Option<QsDef>,
    /// The returns of `get_queryset`, when the class defines it.
    #[serde(default)]
    pub get_queryset: Option<Vec<QsDef>>,
    #[serde(default)]
    pub model: Option<ModelRef>,
    /// `serializer_class = X`, or what `get_serializer_class` returns
    /// (`None` items: a return that is not a class name).
    #[serde(default)]
    pub serializers: Option<Vec<Option<ClassRef>>>,
    /// Defines `list()` itself.
    #[serde(default)]
    pub list: bool,
}

// ---------------------------------------------------------------------------
// Queryset API knowledge
// ---------------------------------------------------------------------------

/// QuerySet methods that return a queryset (chainable).
const CHAIN_METHODS: &[&str] = &[
    "all",
    "filter",
    "exclude",
    "order_by",
    "reverse",
    "distinct",
    "annotate",
    "alias",
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "using",
    "select_for_update",
    "values",
    "values_list",
    "none",
    "union",
    "intersection",
    "difference",
    "extra",
    "complex_filter",
    "iterator",
    "fetch_mode",
    "dates",
    "datetimes",
    "[]",
];

/// Methods that run a query and return a value.
const TERMINAL_METHODS: &[&str] =
    &["get", "first", "last", "latest", "earliest", "count", "exists", "aggregate", "in_bulk", "contains"];

/// Manager methods that write.
const WRITE_METHODS: &[&str] = &["create", "get_or_create", "update_or_create", "delete"];

/// Related-manager calls answered from the `prefetch_related` cache.
const CACHED_MANAGER_CALLS: &[&str] = &["all", "count", "exists"];

/// Related-manager calls that need a cache hit on an ordered queryset:
/// answered from the cache only sometimes; never flagged when prefetched.
const MAYBE_CACHED_MANAGER_CALLS: &[&str] = &["first", "last"];

/// Related-manager calls that always run a new query, prefetched or not.
const QUERY_MANAGER_CALLS: &[&str] = &[
    "filter",
    "exclude",
    "order_by",
    "get",
    "values",
    "values_list",
    "annotate",
    "aggregate",
    "latest",
    "earliest",
    "distinct",
    "select_related",
    "only",
    "defer",
    "in_bulk",
    "iterator",
];

pub fn is_standard_method(name: &str) -> bool {
    CHAIN_METHODS.contains(&name) || TERMINAL_METHODS.contains(&name)
}

// ---------------------------------------------------------------------------
// Extraction
// ---------------------------------------------------------------------------

/// A loop of the function being analysed.
struct LoopNode<'t> {
    node: Node<'t>,
    header: Span,
    var: Option<String>,
    /// The iterable, `enumerate(...)` unwrapped.
    iter: Option<Node<'t>>,
    /// Regions that run once per iteration.
    scopes: Vec<Node<'t>>,
    parent: Option<usize>,
    /// Names whose value changes per iteration: the targets, and names
    /// assigned from them in the loop.
    deps: HashSet<String>,
}

/// One function: its assignments and loops.
struct Scope<'t> {
    class: Option<String>,
    /// `name = value` assignments: (name, assignment node, value).
    assigns: Vec<(String, Node<'t>, Node<'t>)>,
    loops: Vec<LoopNode<'t>>,
    /// Byte ranges that run once per iteration, with their loop, in loop order.
    ranges: Vec<(usize, usize, usize)>,
    /// The calls of the function (not of nested functions), in pre-order.
    calls: Vec<Node<'t>>,
    /// Per assignment (as in `assigns`): the loops it runs once per
    /// iteration of.
    assign_loops: Vec<Vec<usize>>,
}

fn is_comprehension(kind: &str) -> bool {
    matches!(kind, "list_comprehension" | "set_comprehension" | "dictionary_comprehension" | "generator_expression")
}

fn pattern_names(ctx: &FileCtx, n: Node, out: &mut Vec<String>) {
    descendants(n, |c| {
        if c.ty() == "identifier" {
            out.push(ctx.text(c).to_string());
        }
        !matches!(c.ty(), "attribute" | "subscript")
    });
}

/// (loop variable, iterable) of `for <left> in <right>`.
fn loop_target<'t>(ctx: &FileCtx, left: Node<'t>, right: Option<Node<'t>>) -> (Option<String>, Option<Node<'t>>) {
    if left.ty() == "identifier" {
        return (Some(ctx.text(left).to_string()), right);
    }
    // `for i, obj in enumerate(qs)`
    if matches!(left.ty(), "pattern_list" | "tuple_pattern") {
        let mut c = left.walk();
        let names: Vec<Node> = left.named_children(&mut c).collect();
        if let Some(r) = right.filter(|r| r.ty() == "call" && call_name(ctx, *r) == Some("enumerate")) {
            if names.len() == 2 && names[1].ty() == "identifier" {
                let inner = python::positional_args(r).first().copied();
                return (Some(ctx.text(names[1]).to_string()), inner);
            }
        }
    }
    (None, None)
}

impl<'t> Scope<'t> {
    fn new(ctx: &FileCtx, func: Node<'t>, class: Option<String>) -> Scope<'t> {
        let mut s = Scope {
            class,
            assigns: Vec::new(),
            loops: Vec::new(),
            ranges: Vec::new(),
            calls: Vec::new(),
            assign_loops: Vec::new(),
        };
        let Some(body) = func.field("body") else { return s };
        descendants(body, |n| {
            match n.ty() {
                "function_definition" | "class_definition" | "lambda" => return false,
                "call" => s.calls.push(n),
                "assignment" => {
                    if let (Some(l), Some(r)) = (n.field("left"), n.field("right")) {
                        if l.ty() == "identifier" {
                            s.assigns.push((ctx.text(l).to_string(), n, r));
                        }
                    }
                }
                "for_statement" => {
                    let left = n.field("left");
                    let right = n.field("right");
                    let (var, iter) = left.map(|l| loop_target(ctx, l, right)).unwrap_or((None, None));
                    let header_end = right.map(|r| r.end_byte()).unwrap_or(n.start_byte());
                    let mut names = Vec::new();
                    if let Some(l) = left {
                        pattern_names(ctx, l, &mut names);
                    }
                    s.loops.push(LoopNode {
                        node: n,
                        header: ctx.src.span(n.start_byte(), header_end),
                        var,
                        iter,
                        scopes: n.field("body").into_iter().collect(),
                        parent: None,
                        deps: names.into_iter().collect(),
                    });
                }
                "while_statement" => {
                    let header_end = n.field("condition").map(|c| c.end_byte()).unwrap_or(n.start_byte());
                    s.loops.push(LoopNode {
                        node: n,
                        header: ctx.src.span(n.start_byte(), header_end),
                        var: None,
                        iter: None,
                        scopes: n.field("body").into_iter().collect(),
                        parent: None,
                        deps: HashSet::new(),
                    });
                }
                k if is_comprehension(k) => {
                    let mut c = n.walk();
                    let clauses: Vec<Node> =
                        n.named_children(&mut c).filter(|x| matches!(x.ty(), "for_in_clause" | "if_clause")).collect();
                    let body = n.field("body");
                    for (i, clause) in clauses.iter().enumerate() {
                        if clause.ty() != "for_in_clause" {
                            continue;
                        }
                        let left = clause.field("left");
                        let right = clause.field("right");
                        let (var, iter) = left.map(|l| loop_target(ctx, l, right)).unwrap_or((None, None));
                        let mut names = Vec::new();
                        if let Some(l) = left {
                            pattern_names(ctx, l, &mut names);
                        }
                        let mut scopes: Vec<Node> = body.into_iter().collect();
                        scopes.extend(clauses[i + 1..].iter().copied());
                        s.loops.push(LoopNode {
                            node: *clause,
                            header: span_of(ctx, *clause),
                            var,
                            iter,
                            scopes,
                            parent: None,
                            deps: names.into_iter().collect(),
                        });
                    }
                }
                _ => {}
            }
            true
        });
        for (i, l) in s.loops.iter().enumerate() {
            for sc in &l.scopes {
                s.ranges.push((sc.start_byte(), sc.end_byte(), i));
            }
        }
        for i in 0..s.loops.len() {
            s.loops[i].parent = s.enclosing_loops(s.loops[i].node).first().copied();
        }
        s.assign_loops = s.assigns.iter().map(|(_, a, _)| s.enclosing_loops(*a)).collect();
        // Names assigned in a loop from its changing names change too.
        for i in 0..s.loops.len() {
            for _ in 0..2 {
                let mut add = Vec::new();
                for ((name, _, r), loops) in s.assigns.iter().zip(&s.assign_loops) {
                    if loops.contains(&i) && mentions(ctx, *r, &s.loops[i].deps).is_some() {
                        add.push(name.clone());
                    }
                }
                s.loops[i].deps.extend(add);
            }
        }
        s
    }

    /// Loops `n` runs once per iteration of, innermost first. (Byte ranges:
    /// walking up `parent()` costs a descent from the root per step.)
    fn enclosing_loops(&self, n: Node) -> Vec<usize> {
        let (start, end) = (n.start_byte(), n.end_byte());
        let mut out: Vec<usize> =
            self.ranges.iter().filter(|(s, e, _)| *s <= start && end <= *e).map(|(_, _, l)| *l).collect();
        // A loop nested in another comes later in `loops`.
        out.sort_by(|a, b| b.cmp(a));
        out.dedup();
        out
    }

    /// The enclosing loop whose variable is `name`, as seen from `at`.
    fn loop_of_var(&self, at: Node, name: &str) -> Option<usize> {
        self.enclosing_loops(at).into_iter().find(|&l| self.loops[l].var.as_deref() == Some(name))
    }
}

/// `STATUS_CHOICES`, `TABLES`: a constant by convention.
fn is_constant_name(name: &str) -> bool {
    name.len() > 1
        && name.chars().any(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The first identifier of `names` that `n` reads (not attribute names or keywords).
fn mentions(ctx: &FileCtx, n: Node, names: &HashSet<String>) -> Option<String> {
    let mut stack = vec![n];
    while let Some(c) = stack.pop() {
        match c.ty() {
            "identifier" => {
                if names.contains(ctx.text(c)) {
                    return Some(ctx.text(c).to_string());
                }
            }
            "lambda" | "function_definition" => {}
            // Only the object of `a.b` and the value of `k=v` are read.
            "attribute" => stack.extend(c.field("object")),
            "keyword_argument" => stack.extend(c.field("value")),
            _ => {
                let mut cur = c.walk();
                let first = stack.len();
                stack.extend(c.named_children(&mut cur));
                stack[first..].reverse();
            }
        }
    }
    None
}

/// One link of a chain: a method call or a subscript.
struct Link<'t> {
    node: Node<'t>,
    name: String,
}

/// Splits `root.a(...).b(...)[...]` into the root and its links, root first.
fn split_chain<'t>(ctx: &FileCtx, expr: Node<'t>) -> (Node<'t>, Vec<Link<'t>>) {
    let mut links = Vec::new();
    let mut cur = expr;
    loop {
        match cur.ty() {
            "call" => {
                let Some(f) = cur.field("function").filter(|f| f.ty() == "attribute") else { break };
                let (Some(obj), Some(attr)) = (f.field("object"), f.field("attribute")) else {
                    break;
                };
                let name = ctx.text(attr);
                // `self.get_queryset()` / `super().get_queryset()` are roots.
                if name == "get_queryset" && (ctx.text(obj) == "self" || is_super_call(ctx, obj)) {
                    break;
                }
                links.push(Link { node: cur, name: name.to_string() });
                cur = obj;
            }
            "subscript" => {
                let Some(v) = cur.field("value") else { break };
                links.push(Link { node: cur, name: "[]".into() });
                cur = v;
            }
            "parenthesized_expression" => match cur.named_child(0) {
                Some(i) => cur = i,
                None => break,
            },
            _ => break,
        }
    }
    links.reverse();
    (cur, links)
}

fn is_super_call(ctx: &FileCtx, n: Node) -> bool {
    n.ty() == "call" && n.field("function").is_some_and(|f| ctx.text(f) == "super")
}

/// `list(qs)`, `sorted(qs, key=...)`, `tuple(qs)`, `reversed(qs)`: the queryset inside.
fn unwrap_iterable<'t>(ctx: &FileCtx, mut n: Node<'t>) -> Node<'t> {
    loop {
        match n.ty() {
            "parenthesized_expression" => match n.named_child(0) {
                Some(i) => n = i,
                None => return n,
            },
            "call" => {
                let f = n.field("function");
                if f.is_some_and(|f| {
                    f.ty() == "identifier" && matches!(ctx.text(f), "list" | "sorted" | "tuple" | "reversed" | "set")
                }) {
                    match python::positional_args(n).first() {
                        Some(a) => n = *a,
                        None => return n,
                    }
                } else {
                    return n;
                }
            }
            _ => return n,
        }
    }
}

fn qs_call(ctx: &FileCtx, link: &Link) -> QsCall {
    let mut call = QsCall { name: link.name.clone(), effect: QsEffect::default(), strings: Vec::new(), merge_at: None };
    if link.node.ty() != "call" {
        return call;
    }
    call_effect(ctx, link.node, &link.name, &mut call.effect);
    // What these return is not a sequence of model instances.
    if matches!(
        link.name.as_str(),
        "in_bulk"
            | "aggregate"
            | "count"
            | "exists"
            | "contains"
            | "dates"
            | "datetimes"
            | "get"
            | "first"
            | "last"
            | "latest"
            | "earliest"
    ) {
        call.effect.values = true;
    }
    let args = all_args(link.node);
    if matches!(link.name.as_str(), "only" | "defer") {
        call.strings = args.iter().filter_map(|a| python::string_value(&ctx.src.text, *a)).collect();
    }
    if let Some(last) = args.last() {
        call.merge_at = Some(ctx.src.span(last.end_byte(), last.end_byte()));
    }
    call
}

/// Where `.select_related(...)` can be appended to `expr`: after its last
/// call, before trailing slices and `.iterator()`.
fn insert_point(ctx: &FileCtx, expr: Node) -> Option<Span> {
    let mut cur = unwrap_iterable(ctx, expr);
    loop {
        match cur.ty() {
            "subscript" => cur = cur.field("value")?,
            "call" if call_name(ctx, cur) == Some("iterator") => cur = cur.field("function")?.field("object")?,
            _ => break,
        }
    }
    Some(ctx.src.span(cur.end_byte(), cur.end_byte()))
}

/// Is `n` a name that looks like a class (`Book`, `models.Book`)?
fn class_like(ctx: &FileCtx, n: Node) -> bool {
    let last = match n.ty() {
        "identifier" => ctx.text(n),
        "attribute" => n.field("attribute").map(|a| ctx.text(a)).unwrap_or(""),
        _ => return false,
    };
    last.starts_with(|c: char| c.is_ascii_uppercase()) && last.chars().any(|c| c.is_ascii_lowercase())
}

struct Extractor<'c, 'a> {
    ctx: &'c FileCtx<'a>,
    names: Rc<Names>,
}

impl<'a> Extractor<'_, 'a> {
    /// The queryset `expr` evaluates to, as seen at byte `before` of the
    /// function `scope` (`None` outside functions).
    fn source<'t>(&self, scope: Option<&Scope<'t>>, expr: Node<'t>, depth: u32) -> Option<QsSource> {
        if depth > 8 {
            return None;
        }
        let ctx = self.ctx;
        let expr = unwrap_iterable(ctx, expr);
        let (root, links) = split_chain(ctx, expr);
        let calls: Vec<QsCall> = links.iter().map(|l| qs_call(ctx, l)).collect();
        let span = span_of(ctx, expr);
        let insert_at = insert_point(ctx, expr);
        let part = |root: QsRoot| QsSource { parts: vec![QsPart { root, calls: calls.clone(), span, insert_at }] };
        let class = scope.and_then(|s| s.class.clone());
        match root.ty() {
            "call" => {
                // self.get_queryset() / super().get_queryset()
                let f = root.field("function")?;
                let obj = f.field("object")?;
                let class = class?;
                if ctx.text(obj) == "self" {
                    return Some(part(QsRoot::ClassQs { class, via_super: false }));
                }
                if is_super_call(ctx, obj) {
                    return Some(part(QsRoot::ClassQs { class, via_super: true }));
                }
                None
            }
            "attribute" => {
                let obj = root.field("object")?;
                let attr = ctx.text(root.field("attribute")?);
                if ctx.text(obj) == "self" {
                    if attr == "queryset" {
                        return Some(part(QsRoot::ClassAttr { class: class? }));
                    }
                    if attr == "object_list" {
                        return Some(part(QsRoot::ClassQs { class: class?, via_super: false }));
                    }
                    return None;
                }
                if ctx.text(obj) == "self.model" {
                    return Some(part(QsRoot::ClassModel { class: class?, manager: attr.to_string() }));
                }
                // outer.rel[.rel...] on an enclosing loop's variable
                let mut path = vec![attr.to_string()];
                let mut base = obj;
                while base.ty() == "attribute" {
                    let a = base.field("attribute")?;
                    path.insert(0, ctx.text(a).to_string());
                    base = base.field("object")?;
                }
                if base.ty() == "identifier" {
                    if let Some(s) = scope {
                        if let Some(l) = s.loop_of_var(root, ctx.text(base)) {
                            return Some(part(QsRoot::Related { loop_: l as u32, path }));
                        }
                    }
                }
                if !class_like(ctx, obj) || attr.starts_with(|c: char| c.is_ascii_uppercase()) {
                    return None;
                }
                if scope.is_some_and(|s| self.local_name(s, obj)) {
                    return None;
                }
                let model = self.names.model_ref(ctx, obj)?;
                Some(part(QsRoot::Manager { model, manager: attr.to_string() }))
            }
            "identifier" => {
                let s = scope?;
                let name = ctx.text(root);
                if s.loop_of_var(root, name).is_some() {
                    return None;
                }
                let before = root.start_byte();
                // Assignments before the use, except those in another branch of an `if` holding it.
                let assigns: Vec<&(String, Node, Node)> = s
                    .assigns
                    .iter()
                    .filter(|(n, a, _)| n == name && a.end_byte() <= before && !exclusive(*a, root))
                    .collect();
                if assigns.is_empty() {
                    return None;
                }
                // (parts, the assignment that made each)
                let mut parts: Vec<(QsPart, Node)> = Vec::new();
                for (_, a, value) in assigns {
                    let (vroot, vlinks) = split_chain(ctx, unwrap_iterable(ctx, *value));
                    if vroot.ty() == "identifier" && ctx.text(vroot) == name {
                        if parts.is_empty() {
                            return None;
                        }
                        let mut more: Vec<QsCall> = vlinks.iter().map(|l| qs_call(ctx, l)).collect();
                        let some_paths = conditional(*a, root);
                        // `if expand: qs = qs.select_related(*fields)`: lookups we
                        // cannot read on some paths; the path without them decides.
                        if some_paths {
                            more.retain(|c| !c.effect.opaque);
                        }
                        // `qs = qs.none()` in a guard branch: the rows of the
                        // other paths still reach the use.
                        if some_paths && more.iter().any(|c| c.effect.empty) {
                            let forked: Vec<(QsPart, Node)> = parts
                                .iter()
                                .map(|(p, _)| {
                                    let mut p = p.clone();
                                    p.calls.extend(more.iter().cloned());
                                    (p, *a)
                                })
                                .collect();
                            parts.extend(forked);
                            continue;
                        }
                        for (p, _) in &mut parts {
                            p.calls.extend(more.iter().cloned());
                        }
                        continue;
                    }
                    let src = self.source(scope, *value, depth + 1)?;
                    // An assignment in a block holding the earlier ones replaces them.
                    let block = a.up().and_then(|p| p.up());
                    let replaces = block.is_some_and(|b| parts.iter().all(|(_, pa)| contains(b, *pa)));
                    if replaces {
                        parts.clear();
                    }
                    for p in src.parts {
                        parts.push((p, *a));
                    }
                }
                let mut out: Vec<QsPart> = parts.into_iter().map(|(p, _)| p).collect();
                for p in &mut out {
                    p.calls.extend(calls.iter().cloned());
                }
                Some(QsSource { parts: out })
            }
            _ => None,
        }
    }

    /// Where the values of the iterable `it` come from (see [`Iterates`]).
    fn iterates<'t>(&self, scope: &Scope<'t>, it: Node<'t>, depth: u32) -> Iterates {
        let ctx = self.ctx;
        if depth > 6 {
            return Iterates::Unknown;
        }
        if self.source(Some(scope), it, 0).is_some() {
            return Iterates::Database;
        }
        let constant_item = |n: Node| {
            python::is_literal(n)
                || (n.ty() == "identifier" && is_constant_name(ctx.text(n)))
                || (matches!(n.ty(), "tuple" | "parenthesized_expression" | "list") && {
                    let mut c = n.walk();
                    let r = n.named_children(&mut c).all(|i| python::is_literal(i) || i.ty() == "identifier");
                    r
                })
        };
        match it.ty() {
            "parenthesized_expression" => {
                it.named_child(0).map_or(Iterates::Unknown, |i| self.iterates(scope, i, depth + 1))
            }
            "list" | "tuple" | "set" => {
                let mut c = it.walk();
                let all = it.named_children(&mut c).filter(|i| i.ty() != "comment").all(constant_item);
                if all {
                    Iterates::Constant
                } else {
                    Iterates::Unknown
                }
            }
            "dictionary" => {
                let mut c = it.walk();
                let all = it.named_children(&mut c).all(|p| p.field("key").is_some_and(constant_item));
                if all {
                    Iterates::Constant
                } else {
                    Iterates::Unknown
                }
            }
            "list_comprehension" | "set_comprehension" | "dictionary_comprehension" | "generator_expression" => {
                let mut c = it.walk();
                let clause = it.named_children(&mut c).find(|ch| ch.ty() == "for_in_clause");
                clause
                    .and_then(|cl| cl.field("right"))
                    .map_or(Iterates::Unknown, |r| self.iterates(scope, r, depth + 1))
            }
            "call" => {
                let Some(f) = it.field("function") else { return Iterates::Unknown };
                let args = python::positional_args(it);
                match f.ty() {
                    "identifier" => match ctx.text(f) {
                        "range" if args.iter().all(|a| python::is_literal(*a)) => Iterates::Constant,
                        "list" | "set" | "sorted" | "tuple" | "reversed" | "dict" | "enumerate" | "zip"
                        | "frozenset" => {
                            args.iter().map(|a| self.iterates(scope, *a, depth + 1)).max().unwrap_or(Iterates::Constant)
                        }
                        _ => Iterates::Unknown,
                    },
                    "attribute" => {
                        let method = f.field("attribute").map(|a| ctx.text(a)).unwrap_or("");
                        match (method, f.field("object")) {
                            ("items" | "keys" | "values", Some(recv)) => self.iterates(scope, recv, depth + 1),
                            _ if ["values_list(", ".in_bulk(", ".objects."]
                                .iter()
                                .any(|m| ctx.text(it).contains(m)) =>
                            {
                                Iterates::Database
                            }
                            _ => Iterates::Unknown,
                        }
                    }
                    _ => Iterates::Unknown,
                }
            }
            "identifier" => {
                let name = ctx.text(it);
                if is_constant_name(name) {
                    return Iterates::Constant;
                }
                let before = it.start_byte();
                let values: Vec<Node> = scope
                    .assigns
                    .iter()
                    .filter(|(n, a, _)| n == name && a.end_byte() <= before)
                    .map(|(_, _, v)| *v)
                    .collect();
                if values.is_empty() {
                    // A module-level constant collection.
                    return match python::assigned_values(it, &ctx.src.text) {
                        Some(vs) if !vs.is_empty() => {
                            vs.iter().map(|v| self.iterates(scope, *v, depth + 1)).max().unwrap_or(Iterates::Unknown)
                        }
                        _ => Iterates::Unknown,
                    };
                }
                values.iter().map(|v| self.iterates(scope, *v, depth + 1)).max().unwrap_or(Iterates::Unknown)
            }
            "attribute" => {
                let t = ctx.text(it);
                let last = t.rsplit('.').next().unwrap_or("");
                if t.starts_with("settings.") || last == "choices" || is_constant_name(last) {
                    Iterates::Constant
                } else {
                    Iterates::Unknown
                }
            }
            _ => Iterates::Unknown,
        }
    }

    fn accesses(&self, scope: &Scope, l: usize) -> Vec<Access> {
        let ctx = self.ctx;
        let lp = &scope.loops[l];
        let Some(var) = lp.var.as_deref() else { return Vec::new() };
        // Aliases: `author = book.author` inside the loop.
        let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
        for ((name, _, value), loops) in scope.assigns.iter().zip(&scope.assign_loops) {
            if !loops.contains(&l) || value.ty() != "attribute" {
                continue;
            }
            if let Some((base, segs)) = attr_chain(ctx, *value) {
                if base == var && name != var {
                    aliases.insert(name.clone(), segs);
                }
            }
        }
        collect_accesses(ctx, &lp.scopes, var, &aliases)
    }

    fn function(&self, func: Node, class: Option<String>) -> Option<FunctionFacts> {
        let ctx = self.ctx;
        // Most functions have no loop at all: a byte test spares the walk.
        let body = func.field("body")?;
        let text = ctx.text(body);
        if !text.contains("for ") && !text.contains("while") {
            return None;
        }
        let scope = Scope::new(ctx, func, class.clone());
        if scope.loops.is_empty() {
            return None;
        }
        let mut loops = Vec::new();
        for (i, l) in scope.loops.iter().enumerate() {
            let source = l.iter.and_then(|it| self.source(Some(&scope), it, 0));
            let accesses = if source.is_some() { self.accesses(&scope, i) } else { Vec::new() };
            let iterates = match (&source, l.iter) {
                (Some(_), _) => Iterates::Database,
                (None, Some(it)) => self.iterates(&scope, it, 0),
                (None, None) => Iterates::Unknown,
            };
            loops.push(LoopFact {
                header: l.header,
                var: l.var.clone(),
                parent: l.parent.map(|p| p as u32),
                source,
                accesses,
                iterates,
                dispatches: dispatches(ctx, l.node),
            });
        }
        let mut queries = Vec::new();
        let mut writes = Vec::new();
        for &call in &scope.calls {
            self.call_in_loop(&scope, &loops, call, &mut queries, &mut writes);
        }
        let interesting = loops.iter().any(|l| l.source.is_some()) || !queries.is_empty() || !writes.is_empty();
        if !interesting {
            return None;
        }
        let name = func.field("name").map(|n| ctx.text(n).to_string()).unwrap_or_default();
        Some(FunctionFacts { name, class, loops, queries, writes })
    }

    fn call_in_loop<'t>(
        &self,
        scope: &Scope<'t>,
        loops: &[LoopFact],
        call: Node<'t>,
        queries: &mut Vec<QueryCall>,
        writes: &mut Vec<WriteCall>,
    ) {
        let ctx = self.ctx;
        let (start, end) = (call.start_byte(), call.end_byte());
        if !scope.ranges.iter().any(|(s, e, _)| *s <= start && end <= *e) {
            return;
        }
        let enclosing = scope.enclosing_loops(call);
        let Some(&innermost) = enclosing.first() else { return };
        // Only the outermost call of a method chain.
        if call.up().is_some_and(|p| {
            p.ty() == "attribute"
                && p.field("object").map(|o| o.id()) == Some(call.id())
                && p.up().is_some_and(|g| g.ty() == "call")
        }) {
            return;
        }
        if runs_once(call) || on_error_path(call, scope.loops[innermost].node) || locks_rows(ctx, call) {
            return;
        }
        let span = span_of(ctx, call);
        let f = match call.field("function") {
            Some(f) => f,
            None => return,
        };
        let text = short_text(ctx, f);
        // get_object_or_404(Model, ...)
        if f.ty() == "identifier" && matches!(ctx.text(f), "get_object_or_404" | "get_list_or_404") {
            let Some(first) = python::positional_args(call).first().copied() else { return };
            let Some((l, deps)) = dependent_loop(ctx, scope, &enclosing, call) else { return };
            if self.local_name(scope, first) {
                return;
            }
            let (model, source) = if class_like(ctx, first) {
                (self.names.model_ref(ctx, first), None)
            } else {
                (None, self.source(Some(scope), first, 0))
            };
            if model.is_none() && source.is_none() {
                return;
            }
            queries.push(QueryCall {
                loop_: l as u32,
                source,
                model,
                method: ctx.text(f).to_string(),
                deps,
                text,
                span,
            });
            return;
        }
        if f.ty() != "attribute" {
            // `list(qs)`, `len(qs)` over a dependent queryset built in the loop.
            if f.ty() == "identifier" && matches!(ctx.text(f), "list" | "len" | "bool" | "sum" | "set" | "tuple") {
                if let Some(a) = python::positional_args(call).first().copied() {
                    if a.ty() == "call" {
                        self.query_chain(scope, a, "iterate", &enclosing, queries);
                    }
                }
            }
            return;
        }
        let method = f.field("attribute").map(|a| ctx.text(a)).unwrap_or("");
        let obj = f.field("object");
        let inner = scope.loops[innermost].node;
        let write = |method: &str, target: WriteTarget| WriteCall {
            loop_: innermost as u32,
            method: method.into(),
            target,
            text: text.clone(),
            span,
            busy: busy(ctx, inner, call),
            only: only_statement(inner, call),
        };
        if matches!(method, "save" | "delete") {
            if let Some(o) = obj.filter(|o| o.ty() == "identifier") {
                let name = ctx.text(o);
                if let Some(l) = scope.loop_of_var(o, name) {
                    if loops[l].source.is_some() {
                        // `row.pk = None; row.save()` copies the row: an insert.
                        let copy = method == "save" && inserts_copy(ctx, call, scope.loops[l].node, name);
                        writes.push(write(if copy { "insert" } else { method }, WriteTarget::LoopVar(l as u32)));
                    }
                    return;
                }
                if let Some(m) = self.instance_model(scope, name) {
                    writes.push(write(method, WriteTarget::Instance(m)));
                    return;
                }
            }
        }
        if WRITE_METHODS.contains(&method) {
            if batched(ctx, call) {
                return;
            }
            if let Some(src) = self.source(Some(scope), call, 0) {
                // A related manager's create on a loop variable counts too.
                writes.push(write(method, WriteTarget::Queryset(src)));
            }
            return;
        }
        if TERMINAL_METHODS.contains(&method) {
            self.query_chain(scope, call, method, &enclosing, queries);
            return;
        }
        // `Model.objects.filter(...)[0]`
        if let Some(sub) = call.up().filter(|p| {
            p.ty() == "subscript"
                && p.field("value").map(|v| v.id()) == Some(call.id())
                && p.field("subscript").is_some_and(|i| i.ty() != "slice")
        }) {
            if CHAIN_METHODS.contains(&method) {
                self.query_chain(scope, sub, "[]", &enclosing, queries);
            }
            return;
        }
        // A dependent queryset iterated by a nested loop.
        let iterated = call.up().is_some_and(|p| {
            matches!(p.ty(), "for_statement" | "for_in_clause") && p.field("right").map(|r| r.id()) == Some(call.id())
        });
        if iterated && CHAIN_METHODS.contains(&method) {
            // The loop iterating it runs inside the dependent loops.
            self.query_chain(scope, call, "iterate", &enclosing, queries);
        }
    }

    fn query_chain<'t>(
        &self,
        scope: &Scope<'t>,
        call: Node<'t>,
        method: &str,
        enclosing: &[usize],
        queries: &mut Vec<QueryCall>,
    ) {
        let ctx = self.ctx;
        if batched(ctx, call) {
            return;
        }
        let Some(src) = self.source(Some(scope), call, 0) else { return };
        if src.parts.iter().any(|p| matches!(p.root, QsRoot::Related { .. })) {
            return; // a related manager: n-plus-one-related's business
        }
        let Some((l, deps)) = dependent_loop(ctx, scope, enclosing, call) else { return };
        let text = match call.ty() {
            "call" => call.field("function").map(|f| short_text(ctx, f)).unwrap_or_default(),
            _ => short_text(ctx, call),
        };
        queries.push(QueryCall {
            loop_: l as u32,
            source: Some(src),
            model: None,
            method: method.to_string(),
            deps,
            text,
            span: span_of(ctx, call),
        });
    }

    /// Is `n` a name assigned in the function (`Model = apps.get_model(...)`)
    /// rather than an imported class?
    fn local_name(&self, scope: &Scope, n: Node) -> bool {
        n.ty() == "identifier" && {
            let name = self.ctx.text(n);
            !self.names.is_bound(name) && scope.assigns.iter().any(|(a, _, _)| a == name)
        }
    }

    /// `obj = Model(...)` somewhere in the function: the model of `obj`.
    fn instance_model(&self, scope: &Scope, name: &str) -> Option<ModelRef> {
        let ctx = self.ctx;
        let mut found = None;
        for (n, _, value) in &scope.assigns {
            if n != name {
                continue;
            }
            if value.ty() != "call" {
                return None;
            }
            let f = value.field("function")?;
            if !class_like(ctx, f) || self.local_name(scope, f) {
                return None;
            }
            let m = self.names.model_ref(ctx, f)?;
            if found.as_ref().is_some_and(|x| *x != m) {
                return None;
            }
            found = Some(m);
        }
        found
    }
}

/// The attribute chains read on `var` (or on one of its `aliases`) in
/// `scopes`, not inside nested functions, in source order. Walked top down
/// so that a chain is seen whole at its outermost node.
pub fn collect_accesses(
    ctx: &FileCtx,
    scopes: &[Node],
    var: &str,
    aliases: &HashMap<String, Vec<String>>,
) -> Vec<Access> {
    let mut out = Vec::new();
    // The root name and attribute names of a pure chain on `var` or an alias.
    let chain = |n: Node| -> Option<(String, Vec<String>, u32)> {
        let (base, segs) = attr_chain(ctx, n)?;
        if base == var {
            return Some((base, segs, 0));
        }
        let prefix = aliases.get(&base)?;
        let mut all = prefix.clone();
        all.extend(segs);
        Some((base, all, prefix.len() as u32))
    };
    let access = |base: String,
                  segs: Vec<String>,
                  alias_len: u32,
                  called: bool,
                  call_args: bool,
                  from: Node,
                  to: Node| {
        Access { base, segs, alias_len, called, call_args, span: ctx.src.span(from.start_byte(), to.end_byte()) }
    };
    // Attributes the loop body assigns (`thread.starting_email = email`):
    // reading them afterwards reads the assigned object, not the database.
    let mut assigned: Vec<(String, Vec<String>, usize)> = Vec::new();
    let mut stack: Vec<Node> = scopes.iter().rev().copied().collect();
    while let Some(n) = stack.pop() {
        match n.ty() {
            "function_definition" | "lambda" | "class_definition" => continue,
            // An `except` block is the rare path: its reads are not per row.
            "except_clause" | "except_group_clause" => continue,
            // `if last != row.group_id: ...; last = row.group_id`: the block
            // runs once per group of rows, not per row.
            "if_statement" if runs_per_change(ctx, n) => {
                let mut c = n.walk();
                for child in n.named_children(&mut c) {
                    if Some(child.id()) != n.field("consequence").map(|b| b.id()) {
                        stack.push(child);
                    }
                }
                continue;
            }
            "call" => {
                if let Some(f) = n.field("function").filter(|f| f.ty() == "attribute") {
                    if let Some((base, segs, alias_len)) = chain(f) {
                        let args = n.field("arguments");
                        let call_args = args.is_some_and(|a| a.named_child_count() > 0);
                        out.push(access(base, segs, alias_len, true, call_args, n, n));
                        stack.extend(args);
                        continue;
                    }
                }
            }
            "attribute" => {
                if let Some((base, segs, alias_len)) = chain(n) {
                    if segs.len() as u32 > alias_len {
                        out.push(access(base, segs, alias_len, false, false, n, n));
                    }
                    continue;
                }
            }
            "assignment" | "augmented_assignment" => {
                // `obj.site = x` writes the attribute: only what leads to it is read.
                if let Some(left) = n.field("left").filter(|l| l.ty() == "attribute") {
                    if let Some((base, mut segs, alias_len)) = chain(left) {
                        assigned.push((base.clone(), segs.clone(), n.end_byte()));
                        segs.pop();
                        if segs.len() as u32 > alias_len {
                            let obj = left.field("object").unwrap_or(left);
                            out.push(access(base, segs, alias_len, false, false, obj, obj));
                        }
                        stack.extend(n.field("right"));
                        continue;
                    }
                }
            }
            _ => {}
        }
        let mut cur = n.walk();
        let kids: Vec<Node> = n.named_children(&mut cur).collect();
        stack.extend(kids.into_iter().rev());
    }
    // `o = Order.objects.select_related(...).get(pk=o.pk)` in the body: what
    // follows reads the new object, not the loop's row.
    let rebound = rebinds(ctx, scopes, var);
    out.retain(|a| {
        let at = a.span.start_byte as usize;
        rebound.is_none_or(|end| at < end)
            && !assigned.iter().any(|(b, s, end)| *b == a.base && a.segs.starts_with(s) && at > *end)
    });
    out
}

/// An expression's text with whitespace folded, cut to a readable length.
fn short_text(ctx: &FileCtx, n: Node) -> String {
    let folded = ctx.text(n).split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= 60 {
        return folded;
    }
    let cut: String = folded.chars().take(57).collect();
    format!("{cut}...")
}

/// Are `a` and `b` in different branches of one `if` statement?
fn exclusive(a: Node, b: Node) -> bool {
    let mut ids = HashSet::new();
    let mut cur = Some(a);
    while let Some(n) = cur {
        ids.insert(n.id());
        cur = n.up();
    }
    let mut cur = b.up();
    while let Some(n) = cur {
        if ids.contains(&n.id()) {
            return n.ty() == "if_statement";
        }
        cur = n.up();
    }
    false
}

/// Where the first plain assignment to `var` inside `scopes` ends, if any.
fn rebinds(ctx: &FileCtx, scopes: &[Node], var: &str) -> Option<usize> {
    let mut first: Option<usize> = None;
    for &scope in scopes {
        descendants(scope, |n| {
            if n.ty() == "assignment" && n.field("left").is_some_and(|l| l.ty() == "identifier" && ctx.text(l) == var) {
                first = Some(first.map_or(n.end_byte(), |f| f.min(n.end_byte())));
            }
            !matches!(n.ty(), "function_definition" | "lambda" | "class_definition")
        });
    }
    first
}

/// Is `if_` a change detector: its condition compares a name with `!=`
/// (`if event_id != o.event_id:`) and its block assigns that name?
fn runs_per_change(ctx: &FileCtx, if_: Node) -> bool {
    let (Some(cond), Some(block)) = (if_.field("condition"), if_.field("consequence")) else { return false };
    let mut names: Vec<&str> = Vec::new();
    let mut stack = vec![cond];
    while let Some(n) = stack.pop() {
        if n.ty() == "comparison_operator" && ctx.text(n).contains("!=") {
            let mut c = n.walk();
            names.extend(n.named_children(&mut c).filter(|o| o.ty() == "identifier").map(|o| ctx.text(o)));
        }
        if n.ty() == "boolean_operator" || n.ty() == "parenthesized_expression" {
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    if names.is_empty() {
        return false;
    }
    let mut assigns = false;
    descendants(block, |n| {
        if let Some(l) = n.field("left").filter(|_| n.ty() == "assignment") {
            let mut c = l.walk();
            let targets: Vec<Node> = if matches!(l.ty(), "pattern_list" | "tuple_pattern") {
                l.named_children(&mut c).collect()
            } else {
                vec![l]
            };
            assigns |= targets.iter().any(|t| t.ty() == "identifier" && names.contains(&ctx.text(*t)));
        }
        !assigns && !matches!(n.ty(), "function_definition" | "class_definition")
    });
    assigns
}

/// Does the body of `loop_` enqueue a task or send a mail per iteration?
fn dispatches(ctx: &FileCtx, loop_: Node) -> bool {
    const DISPATCH: &[&str] =
        &["delay", "apply_async", "send_task", "enqueue", "send_mail", "send_mass_mail", "mail_admins", "enqueue_job"];
    let Some(body) = loop_.field("body") else { return false };
    let text = ctx.text(body);
    if !DISPATCH.iter().any(|d| text.contains(d)) {
        return false;
    }
    let mut found = false;
    descendants(body, |n| {
        found |= n.ty() == "call" && call_name(ctx, n).is_some_and(|c| DISPATCH.contains(&c));
        !found && !matches!(n.ty(), "function_definition" | "lambda" | "class_definition")
    });
    found
}

/// Is `call` the whole body of `loop_` (`for row in qs: row.delete()`)?
fn only_statement(loop_: Node, call: Node) -> bool {
    let Some(body) = loop_.field("body") else { return false };
    if body.named_child_count() != 1 {
        return false;
    }
    let stmt = body.named_child(0);
    stmt.is_some_and(|s| s.ty() == "expression_statement" && s.named_child(0).map(|c| c.id()) == Some(call.id()))
}

/// Does the body of `loop_` make calls besides `call` (and what `call`
/// holds)? Conversions, formatting and translation do not count.
fn busy(ctx: &FileCtx, loop_: Node, call: Node) -> bool {
    const CHEAP: &[&str] = &[
        "str",
        "int",
        "float",
        "bool",
        "len",
        "list",
        "dict",
        "set",
        "tuple",
        "isinstance",
        "getattr",
        "hasattr",
        "setattr",
        "format",
        "_",
        "gettext",
        "gettext_lazy",
        "pgettext",
        "ngettext",
        "now",
        "min",
        "max",
        "sorted",
        "enumerate",
        "zip",
        "range",
        "append",
        "add",
        "get",
        "items",
        "keys",
        "values",
        "update",
        "join",
        "strip",
        "lower",
        "upper",
        "replace",
        "split",
        "startswith",
        "endswith",
    ];
    let Some(body) = loop_.field("body") else { return false };
    let mut found = false;
    descendants(body, |n| {
        if n.id() == call.id() {
            return false;
        }
        found |= n.ty() == "call" && !call_name(ctx, n).is_some_and(|c| CHEAP.contains(&c));
        !found
    });
    found
}

/// Does `name.save(...)` (the call `call`, in `loop_` over `name`) insert
/// a new row: is it `save(force_insert=True)`, or does the loop body clear
/// `name.pk` / `name.id` before it (the copy idiom)?
fn inserts_copy(ctx: &FileCtx, call: Node, loop_: Node, name: &str) -> bool {
    if kwarg(ctx, call, "force_insert").is_some_and(|v| ctx.text(v) == "True") {
        return true;
    }
    let Some(body) = loop_.field("body") else { return false };
    let (pk, id) = (format!("{name}.pk"), format!("{name}.id"));
    let mut found = false;
    descendants(body, |n| {
        if n.start_byte() >= call.start_byte() {
            return false;
        }
        if n.ty() == "assignment" && n.field("right").is_some_and(|r| ctx.text(r) == "None") {
            found |= n.field("left").is_some_and(|l| ctx.text(l) == pk || ctx.text(l) == id);
        }
        !found
    });
    found
}

/// Does statement `a` run only on some paths to `use_`: is it inside an
/// `if`, loop or `try` that does not also hold `use_`?
fn conditional(a: Node, use_: Node) -> bool {
    let mut cur = a.up();
    while let Some(n) = cur {
        if contains(n, use_) {
            return false;
        }
        if matches!(n.ty(), "if_statement" | "for_statement" | "while_statement" | "try_statement" | "match_statement")
        {
            return true;
        }
        cur = n.up();
    }
    false
}

/// Does `outer` contain `inner`?
fn contains(outer: Node, inner: Node) -> bool {
    outer.start_byte() <= inner.start_byte() && inner.end_byte() <= outer.end_byte()
}

/// `name.a.b` → ("name", ["a", "b"]) for a pure attribute chain.
fn attr_chain(ctx: &FileCtx, n: Node) -> Option<(String, Vec<String>)> {
    let mut segs = Vec::new();
    let mut cur = n;
    while cur.ty() == "attribute" {
        segs.push(ctx.text(cur.field("attribute")?).to_string());
        cur = cur.field("object")?;
    }
    if cur.ty() != "identifier" || segs.is_empty() {
        return None;
    }
    segs.reverse();
    Some((ctx.text(cur).to_string(), segs))
}

/// The argument lists of a call chain (`a.filter(x).exclude(y)[z]`).
fn chain_args<'t>(call: Node<'t>) -> Vec<Node<'t>> {
    let mut arg_nodes = Vec::new();
    let mut cur = call;
    loop {
        if cur.ty() == "call" {
            if let Some(a) = cur.field("arguments") {
                arg_nodes.push(a);
            }
            match cur.field("function") {
                Some(f) if f.ty() == "attribute" => match f.field("object") {
                    Some(o) => cur = o,
                    None => break,
                },
                _ => break,
            }
        } else if cur.ty() == "subscript" {
            if let Some(s) = cur.field("subscript") {
                arg_nodes.push(s);
            }
            match cur.field("value") {
                Some(v) => cur = v,
                None => break,
            }
        } else {
            break;
        }
    }
    arg_nodes
}

/// Does the chain already work on a batch (`filter(pk__in=batch)`)?
fn batched(ctx: &FileCtx, call: Node) -> bool {
    chain_args(call).into_iter().any(|args| {
        let mut c = args.walk();
        let r = args
            .named_children(&mut c)
            .any(|a| a.ty() == "keyword_argument" && a.field("name").is_some_and(|n| ctx.text(n).ends_with("__in")));
        r
    })
}

/// The innermost enclosing loop whose changing names the call's arguments
/// read, with those names.
fn dependent_loop(ctx: &FileCtx, scope: &Scope, enclosing: &[usize], call: Node) -> Option<(usize, Vec<String>)> {
    let arg_nodes = chain_args(call);
    for &l in enclosing {
        let deps = &scope.loops[l].deps;
        let mut used: Vec<String> = arg_nodes.iter().filter_map(|a| mentions(ctx, *a, deps)).collect();
        if !used.is_empty() {
            used.sort();
            used.dedup();
            return Some((l, used));
        }
    }
    None
}

/// Is `call` in an `except` handler inside `lp`: the fallback of a failed
/// step, not work done per iteration?
fn on_error_path(call: Node, lp: Node) -> bool {
    let mut cur = call.up();
    while let Some(n) = cur {
        if n.id() == lp.id() {
            return false;
        }
        if n.ty() == "except_clause" {
            return true;
        }
        cur = n.up();
    }
    false
}

/// `Model.objects.select_for_update().get(pk=row.pk)`: a row locked and
/// read again on purpose (each in its own transaction, often with
/// `nowait`/`skip_locked`); fetching them all first would defeat the lock.
fn locks_rows(ctx: &FileCtx, call: Node) -> bool {
    ctx.text(call).contains("select_for_update(")
}

/// The call's statement is followed by `break` or `return` in its block,
/// or is itself a `return`: it runs at most once.
fn runs_once(call: Node) -> bool {
    let mut stmt = call;
    while let Some(p) = stmt.up() {
        if p.ty() == "block" {
            break;
        }
        if is_comprehension(p.ty()) {
            return false; // the loop is inside the statement
        }
        stmt = p;
    }
    if stmt.ty() == "return_statement" {
        return true;
    }
    let mut next = stmt.next_named_sibling();
    while let Some(n) = next {
        if n.ty() == "comment" {
            next = n.next_named_sibling();
            continue;
        }
        return matches!(n.ty(), "break_statement" | "return_statement");
    }
    false
}

/// Phase 1: loops, querysets, queries and writes of every function, and
/// the classes that define querysets.
pub fn extract(ctx: &mut FileCtx) {
    let ex = Extractor { ctx, names: Names::shared(ctx) };
    let root = ctx.tree.root_node();
    let mut functions = Vec::new();
    let mut views = Vec::new();
    // Methods of top-level classes know their class.
    let mut method_ids = HashMap::new();
    for class in top_level_classes(root) {
        let cname = class.field("name").map(|n| ctx.text(n).to_string()).unwrap_or_default();
        for s in body_statements(class) {
            if s.ty() == "function_definition" {
                method_ids.insert(s.id(), cname.clone());
            }
        }
        if let Some(v) = ex.view_class(class, cname) {
            views.push(v);
        }
    }
    // Functions are statements: only statement containers need a visit.
    descendants(root, |n| match n.ty() {
        "function_definition" => {
            let class = method_ids.get(&n.id()).cloned();
            if let Some(f) = ex.function(n, class) {
                functions.push(f);
            }
            true
        }
        "module"
        | "block"
        | "class_definition"
        | "decorated_definition"
        | "if_statement"
        | "elif_clause"
        | "else_clause"
        | "for_statement"
        | "while_statement"
        | "try_statement"
        | "except_clause"
        | "except_group_clause"
        | "finally_clause"
        | "with_statement"
        | "match_statement"
        | "case_clause" => true,
        _ => false,
    });
    if functions.is_empty() && views.is_empty() {
        return;
    }
    let count = count_import(ctx);
    let facts = facts_mut(ctx);
    facts.functions = functions;
    facts.views = views;
    if facts.functions.iter().any(|f| !f.loops.is_empty()) {
        facts.count = Some(count);
    }
}

fn count_import(ctx: &FileCtx) -> CountImport {
    let root = ctx.tree.root_node();
    let mut name = None;
    let mut last_import_end = None;
    let mut c = root.walk();
    for stmt in root.named_children(&mut c) {
        match stmt.ty() {
            "import_statement" | "import_from_statement" | "future_import_statement" => {
                last_import_end = Some(stmt.end_byte());
                let text = ctx.text(stmt);
                if stmt.ty() == "import_from_statement" && text.starts_with("from django.db.models import") {
                    let mut c2 = stmt.walk();
                    for n in stmt.children_by_field_name("name", &mut c2) {
                        match n.ty() {
                            "dotted_name" if ctx.text(n) == "Count" => name = Some("Count".to_string()),
                            "aliased_import" if n.field("name").is_some_and(|x| ctx.text(x) == "Count") => {
                                name = n.field("alias").map(|a| ctx.text(a).to_string())
                            }
                            _ => {}
                        }
                    }
                } else if name.is_none() && text == "from django.db import models" {
                    name = Some("models.Count".to_string());
                }
            }
            _ => {}
        }
    }
    let at = match last_import_end {
        Some(e) => {
            let line = ctx.src.line_of(e);
            ctx.src.line_start(line + 1).min(ctx.src.text.len())
        }
        None => 0,
    };
    CountImport { name, insert_at: ctx.src.span(at, at) }
}

impl Extractor<'_, '_> {
    fn view_class(&self, class: Node, name: String) -> Option<ViewClass> {
        let ctx = self.ctx;
        let mut v = ViewClass {
            name,
            span: class.field("name").map(|n| span_of(ctx, n)).unwrap_or_default(),
            bases: super::models::bases_of(class).iter().filter_map(|b| self.names.class_ref(ctx, *b)).collect(),
            queryset: None,
            get_queryset: None,
            model: None,
            serializers: None,
            list: false,
        };
        for (k, value, stmt) in class_assignments(ctx, class) {
            match k.as_str() {
                "queryset" => {
                    v.queryset = Some(QsDef { span: span_of(ctx, stmt), source: self.source(None, value, 0) })
                }
                "model" => v.model = self.names.model_ref(ctx, value),
                "serializer_class" => v.serializers = Some(vec![self.names.class_ref(ctx, value)]),
                _ => {}
            }
        }
        for s in body_statements(class) {
            if s.ty() != "function_definition" {
                continue;
            }
            let mname = s.field("name").map(|n| ctx.text(n)).unwrap_or("");
            match mname {
                "get_queryset" => {
                    let scope = Scope::new(ctx, s, Some(v.name.clone()));
                    let defs = returns(s)
                        .into_iter()
                        .map(|(r, e)| QsDef {
                            span: span_of(ctx, r),
                            source: e.and_then(|e| self.source(Some(&scope), e, 0)),
                        })
                        .collect();
                    v.get_queryset = Some(defs);
                }
                "get_serializer_class" => {
                    let rs = returns(s)
                        .into_iter()
                        .map(|(_, e)| {
                            e.filter(|e| matches!(e.ty(), "identifier" | "attribute"))
                                .and_then(|e| self.names.class_ref(ctx, e))
                        })
                        .collect();
                    v.serializers = Some(rs);
                }
                "list" => v.list = true,
                _ => {}
            }
        }
        // A class with bases is kept even when it names nothing itself: a
        // view's method resolution order runs through it (`ProjectViewSet(
        // OptimisingMixin, ModelViewSet)`), and a base whose
        // `get_queryset` we would not see could load what the view needs.
        let interesting = v.queryset.is_some()
            || v.get_queryset.is_some()
            || v.model.is_some()
            || v.serializers.is_some()
            || !v.bases.is_empty();
        interesting.then_some(v)
    }
}

/// The `return` statements of a function (not of nested ones) and their values.
fn returns(func: Node) -> Vec<(Node, Option<Node>)> {
    let mut out = Vec::new();
    let Some(body) = func.field("body") else { return out };
    descendants(body, |n| {
        if matches!(n.ty(), "function_definition" | "lambda" | "class_definition") {
            return false;
        }
        if n.ty() == "return_statement" {
            out.push((n, n.named_child(0)));
            return false;
        }
        true
    });
    out
}

// ---------------------------------------------------------------------------
// Analysis (phase 2)
// ---------------------------------------------------------------------------

/// Where a fix can change a queryset: the point to append a call at, and
/// every call of the chain (an existing `select_related(...)` is extended).
#[derive(Debug, Clone)]
pub struct FixTarget<'a> {
    pub rel: &'a str,
    pub insert_at: Option<Span>,
    pub calls: Vec<(&'a str, &'a QsCall)>,
}

impl<'a> FixTarget<'a> {
    fn of(rel: &'a str, part: &'a QsPart) -> FixTarget<'a> {
        FixTarget { rel, insert_at: part.insert_at, calls: part.calls.iter().map(|c| (rel, c)).collect() }
    }
}

/// A queryset resolved to its model and the lookups it covers.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    pub model: usize,
    /// Lookups covered, from the fix target's root.
    pub effect: QsEffect,
    /// The relation path from the fix target's rows to this queryset's rows
    /// (`["reviews"]` for `for r in book.reviews.all()`).
    pub prefix: Vec<String>,
    /// Where fixes go (one per branch).
    pub targets: Vec<FixTarget<'a>>,
    /// The queryset's definition, for related locations.
    pub defined_at: Location,
    /// For rows of a reverse relation (`author.books.all()`): the foreign
    /// key back to the parent, which Django fills in without a query.
    pub back_ref: Option<String>,
}

/// Which part of a view's queryset definition to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QsFrom {
    /// `self.get_queryset()`: the nearest `get_queryset`, else the attribute.
    Full,
    /// `super().get_queryset()` in class `n`: classes after it in the MRO.
    After(usize),
    /// `self.queryset`: the attribute only.
    Attribute,
}

/// Where a view's queryset comes from.
pub enum QsOrigin<'a> {
    GetQueryset(FileRef<'a>, &'a [QsDef]),
    Attribute(FileRef<'a>, &'a QsDef),
    Model(FileRef<'a>, &'a ModelRef),
}

/// One file's Django facts with its path.
#[derive(Clone, Copy)]
pub struct FileRef<'a> {
    pub rel: &'a str,
    pub facts: &'a super::models::DjangoFacts,
}

/// The project's views by name, for `self.get_queryset()` and DRF.
pub struct Views<'a> {
    pub all: Vec<(FileRef<'a>, &'a super::querysets::ViewClass)>,
    by_name: HashMap<&'a str, Vec<usize>>,
    /// Per view: itself and its bases in method resolution order (depth
    /// first), `None` for a base that may define anything.
    mros: Rc<Mros>,
}

/// The method resolution orders of [`Views`], shared by the rules of a
/// project phase through `ProjectCtx::memo`.
struct Mros(Vec<Vec<Option<usize>>>);

impl<'a> Views<'a> {
    pub fn new(files: &'a [ProjectFile]) -> Views<'a> {
        let mut views = Self::index(files);
        views.mros = Rc::new(views.compute_mros(files));
        views
    }

    /// The views of the project phase `ctx`, their resolution orders
    /// computed once per phase.
    pub fn shared(ctx: &ProjectCtx<'a>) -> Views<'a> {
        let mut views = Self::index(ctx.files);
        views.mros = ctx.memo.get_or_insert(|| views.compute_mros(ctx.files));
        views
    }

    /// The views by name, without their resolution orders.
    fn index(files: &'a [ProjectFile]) -> Views<'a> {
        let mut all = Vec::new();
        for f in files {
            let Some(d) = f.facts.get::<crate::model::django::models::DjangoFacts>() else { continue };
            for v in &d.views {
                all.push((FileRef { rel: &f.rel, facts: d }, v));
            }
        }
        let mut by_name: HashMap<&'a str, Vec<usize>> = HashMap::new();
        for (i, (_, v)) in all.iter().enumerate() {
            by_name.entry(v.name.as_str()).or_default().push(i);
        }
        Views { all, by_name, mros: Rc::new(Mros(Vec::new())) }
    }

    fn compute_mros(&self, files: &[ProjectFile]) -> Mros {
        let modules = ProjectModules::new(files);
        let mut plain: HashMap<&ClassRef, bool> = HashMap::new();
        let mut mros = Vec::with_capacity(self.all.len());
        for v in 0..self.all.len() {
            let mut out = vec![Some(v)];
            let mut seen = HashSet::from([v]);
            self.mro_into(v, &mut out, &mut seen, 0, &modules, &mut plain);
            mros.push(out);
        }
        Mros(mros)
    }

    pub fn resolve(&self, r: &ClassRef, from: &str) -> Option<usize> {
        let cands = self.by_name.get(r.name.as_str())?;
        super::models::pick(cands, |c| self.all[c].0.facts.module.as_str(), r, from)
    }

    /// The view class named `name` in module `module`.
    pub fn local(&self, module: &str, name: &str) -> Option<usize> {
        self.by_name.get(name)?.iter().copied().find(|&c| self.all[c].0.facts.module == module)
    }

    /// View `v` and its bases in method resolution order (depth first),
    /// with `None` for a base we cannot see into.
    pub fn mro(&self, v: usize) -> &[Option<usize>] {
        &self.mros.0[v]
    }

    fn mro_into<'r>(
        &'r self,
        v: usize,
        out: &mut Vec<Option<usize>>,
        seen: &mut HashSet<usize>,
        depth: u32,
        modules: &ProjectModules,
        plain: &mut HashMap<&'r ClassRef, bool>,
    ) {
        if depth > 16 {
            return;
        }
        let (file, view) = self.all[v];
        for b in &view.bases {
            match self.resolve(b, &file.facts.module) {
                Some(t) if seen.insert(t) => {
                    out.push(Some(t));
                    self.mro_into(t, out, seen, depth + 1, modules, plain);
                }
                Some(_) => {}
                None => {
                    let is_plain = *plain.entry(b).or_insert_with(|| is_plain_base(b, modules));
                    if !is_plain {
                        out.push(None);
                    }
                }
            }
        }
    }
}

/// The modules of the project's Python files, to tell whether a module
/// an import names is one of them as [`super::models::module_matches`]
/// would, in either direction, without comparing it with every module.
struct ProjectModules {
    names: HashSet<String>,
    /// Every run of whole dotted components of a module name
    /// (`a.b.c` → `a`, `a.b`, `a.b.c`, `b`, `b.c`, `c`).
    runs: HashSet<String>,
}

impl ProjectModules {
    fn new(files: &[ProjectFile]) -> ProjectModules {
        let names: HashSet<String> = files
            .iter()
            .filter(|f| f.lang == crate::parse::Lang::Python)
            .map(|f| super::settings::module_name(&f.rel).0)
            .collect();
        let mut runs = HashSet::new();
        for n in &names {
            for r in component_runs(n) {
                if !runs.contains(r) {
                    runs.insert(r.to_string());
                }
            }
        }
        ProjectModules { names, runs }
    }

    /// Does some project module `x` satisfy `module_matches(x, m)` or
    /// `module_matches(m, x)`?
    fn matches(&self, m: &str) -> bool {
        self.runs.contains(m) || component_runs(m).any(|r| self.names.contains(r))
    }
}

/// The non-empty runs of whole dotted components of `name`: the strings
/// `module_matches(name, _)` accepts.
fn component_runs(name: &str) -> impl Iterator<Item = &str> {
    let dots = || name.match_indices('.').map(|(i, _)| i);
    let starts = std::iter::once(0).chain(dots().map(|i| i + 1));
    starts
        .flat_map(move |i| dots().chain(std::iter::once(name.len())).filter(move |&j| j > i).map(move |j| &name[i..j]))
}

/// Is `r` a class that defines no queryset, model or serializer we did not
/// record: Django's and DRF's own classes, and classes of the project (we
/// would have recorded them)? Other third-party bases may define anything.
fn is_plain_base(r: &ClassRef, modules: &ProjectModules) -> bool {
    match &r.module {
        Some(m) => m.starts_with("django.") || m.starts_with("rest_framework") || modules.matches(m),
        None => false,
    }
}

pub struct Analysis<'a> {
    pub index: ModelIndex<'a>,
    pub views: Views<'a>,
    pub files: Vec<FileRef<'a>>,
}

/// A relation step of an access: `book.author` is a forward step,
/// `book.tags.all()` a manager step with method `all`.
#[derive(Debug, Clone)]
pub struct Step {
    pub path: Vec<String>,
    pub kind: AttrKind,
    pub target: Option<usize>,
    /// For a manager: the method called on it (`None`: not called / unknown).
    pub method: Option<String>,
    /// For a reverse relation: the foreign key it is the reverse of.
    pub reverse_of: Option<String>,
}

/// The relation steps of `segs` read on an instance of `model`: forward
/// relations, then at most one manager.
pub fn steps(index: &ModelIndex, model: usize, segs: &[String]) -> Vec<Step> {
    let mut out = Vec::new();
    let mut cur = Some(model);
    let mut path = Vec::new();
    for (i, seg) in segs.iter().enumerate() {
        let Some(m) = cur else { break };
        let Some(a) = index.attr(m, seg) else { break };
        path.push(seg.clone());
        let single = a.kind.single();
        out.push(Step {
            path: path.clone(),
            kind: a.kind,
            target: a.target,
            method: if single { None } else { segs.get(i + 1).cloned() },
            reverse_of: a.reverse_of,
        });
        if !single {
            break;
        }
        cur = a.target;
    }
    out
}

impl<'a> Analysis<'a> {
    pub fn new(ctx: &ProjectCtx<'a>) -> Analysis<'a> {
        let files = ctx
            .files
            .iter()
            .filter_map(|f| {
                f.facts
                    .get::<crate::model::django::models::DjangoFacts>()
                    .map(|d| FileRef { rel: f.rel.as_str(), facts: d })
            })
            .collect();
        Analysis { index: ModelIndex::shared(ctx), views: Views::shared(ctx), files }
    }

    /// Resolves every part of a source; all must name the same model.
    /// `concrete` is the view class `self` is an instance of, when known.
    pub fn resolve(
        &self,
        file: FileRef<'a>,
        func: Option<&'a FunctionFacts>,
        src: &'a QsSource,
        concrete: Option<usize>,
        depth: u32,
    ) -> Option<Resolved<'a>> {
        let mut out: Option<Resolved<'a>> = None;
        for part in &src.parts {
            let r = self.resolve_part(file, func, part, concrete, depth)?;
            out = Some(match out {
                None => r,
                // A branch that is `.none()` loads no rows: the others decide.
                Some(acc) if r.effect.empty => acc,
                Some(acc) if acc.effect.empty => r,
                Some(mut acc) => {
                    if acc.model != r.model || acc.prefix != r.prefix {
                        return None;
                    }
                    acc.effect.merge(&r.effect);
                    acc.targets.extend(r.targets);
                    acc
                }
            });
        }
        out
    }

    /// The view class a method of `class` (in `file`) runs on.
    fn concrete_view(&self, file: FileRef<'a>, class: &str, concrete: Option<usize>) -> Option<(usize, usize)> {
        let c = self.views.local(&file.facts.module, class)?;
        let v = concrete.filter(|&v| self.views.mro(v).contains(&Some(c))).unwrap_or(c);
        Some((c, v))
    }

    fn resolve_part(
        &self,
        file: FileRef<'a>,
        func: Option<&'a FunctionFacts>,
        part: &'a QsPart,
        concrete: Option<usize>,
        depth: u32,
    ) -> Option<Resolved<'a>> {
        if depth > 8 {
            return None;
        }
        let defined_at = Location { path: file.rel.to_string(), span: part.span, message: None };
        let own_target = FixTarget::of(file.rel, part);
        let manager_root = |m: usize, manager: &str, defined_at: Location, target: FixTarget<'a>| {
            if !self.index.has_manager(m, manager) {
                return None;
            }
            let effect = self.index.manager_effect(m, manager);
            Some(Resolved { model: m, effect, prefix: Vec::new(), targets: vec![target], defined_at, back_ref: None })
        };
        let (manager, mut base) = match &part.root {
            QsRoot::Manager { model, manager } => {
                let m = self.index.resolve_model_ref(model, &file.facts.module)?;
                (manager.clone(), manager_root(m, manager, defined_at, own_target)?)
            }
            QsRoot::ClassModel { class, manager } => {
                let (_, v) = self.concrete_view(file, class, concrete)?;
                let (vf, view_model) = self.class_model(v)?;
                let m = self.index.resolve_model_ref(view_model, &vf.facts.module)?;
                (manager.clone(), manager_root(m, manager, defined_at, own_target)?)
            }
            QsRoot::ClassQs { .. } | QsRoot::ClassAttr { .. } => {
                let r = match &part.root {
                    QsRoot::ClassQs { class, via_super } => {
                        let (c, v) = self.concrete_view(file, class, concrete)?;
                        let from = if *via_super { QsFrom::After(c) } else { QsFrom::Full };
                        self.class_queryset(v, from, depth + 1)?
                    }
                    QsRoot::ClassAttr { class } => {
                        let (_, v) = self.concrete_view(file, class, concrete)?;
                        self.class_queryset(v, QsFrom::Attribute, depth + 1)?
                    }
                    _ => return None,
                };
                // Fixes go where the class defines its queryset, when it does;
                // the local chain's calls can be extended too.
                let local: Vec<(&'a str, &'a QsCall)> = part.calls.iter().map(|c| (file.rel, c)).collect();
                let mut targets: Vec<FixTarget<'a>> = r
                    .targets
                    .iter()
                    .filter(|t| t.insert_at.is_some())
                    .map(|t| FixTarget {
                        rel: t.rel,
                        insert_at: t.insert_at,
                        calls: t.calls.iter().copied().chain(local.iter().copied()).collect(),
                    })
                    .collect();
                if targets.is_empty() {
                    targets.push(own_target);
                }
                let resolved = Resolved {
                    model: r.model,
                    effect: r.effect,
                    prefix: Vec::new(),
                    targets,
                    defined_at: r.defined_at,
                    back_ref: None,
                };
                ("objects".to_string(), resolved)
            }
            QsRoot::Related { loop_, path } => {
                let func = func?;
                let outer_src = func.loops.get(*loop_ as usize)?.source.as_ref()?;
                let outer = self.resolve(file, Some(func), outer_src, concrete, depth + 1)?;
                if !outer.instances() {
                    return None;
                }
                // Single relations, then one manager.
                let mut cur = outer.model;
                let mut abs = outer.prefix.clone();
                let mut back_ref = None;
                for (i, seg) in path.iter().enumerate() {
                    let a = self.index.attr(cur, seg)?;
                    abs.push(seg.clone());
                    cur = a.target?;
                    back_ref = a.reverse_of.clone();
                    if a.kind.single() == (i + 1 == path.len()) {
                        return None;
                    }
                }
                // A filtered related manager runs its own query: the outer
                // prefetch does not reach its rows.
                let cached = part.calls.iter().all(|c| c.name == "all" || c.name == "[]");
                if cached {
                    return Some(Resolved {
                        model: cur,
                        effect: outer.effect,
                        prefix: abs,
                        targets: outer.targets,
                        defined_at: outer.defined_at,
                        back_ref,
                    });
                }
                let resolved = Resolved {
                    model: cur,
                    effect: QsEffect::default(),
                    prefix: Vec::new(),
                    targets: vec![own_target],
                    defined_at,
                    back_ref,
                };
                ("objects".to_string(), resolved)
            }
        };
        for c in &part.calls {
            if is_standard_method(&c.name) {
                base.effect.merge(&c.effect);
                continue;
            }
            match self.index.custom_method(base.model, &manager, &c.name) {
                Some(e) => base.effect.merge(&e),
                None => base.effect.opaque = true,
            }
        }
        Some(base)
    }

    /// `model = X` of a view or its bases.
    fn class_model(&self, v: usize) -> Option<(FileRef<'a>, &'a ModelRef)> {
        for c in self.views.mro(v) {
            let (f, view) = self.views.all[(*c)?];
            if let Some(m) = &view.model {
                return Some((f, m));
            }
        }
        None
    }

    /// Where view `v` gets its queryset: the `get_queryset` returns of the
    /// nearest class defining it (after class `after` in the MRO, for
    /// `super().get_queryset()`), else its `queryset` attribute (nearest
    /// first), else `model` (`None` inside: a `QsDef` we cannot follow).
    /// `None` when a base we cannot see may define it.
    pub fn queryset_defs(&self, v: usize, from: QsFrom) -> Option<QsOrigin<'a>> {
        let mro = self.views.mro(v);
        let start = match from {
            QsFrom::After(a) => mro.iter().position(|c| *c == Some(a))? + 1,
            QsFrom::Full => 0,
            QsFrom::Attribute => mro.len(),
        };
        for c in &mro[start..] {
            let (f, view) = self.views.all[(*c)?];
            if let Some(defs) = &view.get_queryset {
                return Some(QsOrigin::GetQueryset(f, defs));
            }
        }
        for c in mro {
            let (f, view) = self.views.all[(*c)?];
            if let Some(d) = &view.queryset {
                return Some(QsOrigin::Attribute(f, d));
            }
        }
        let (f, m) = self.class_model(v)?;
        Some(QsOrigin::Model(f, m))
    }

    /// The queryset of view `v` (see [`Analysis::queryset_defs`]), all
    /// `get_queryset` returns merged.
    pub fn class_queryset(&self, v: usize, from: QsFrom, depth: u32) -> Option<Resolved<'a>> {
        match self.queryset_defs(v, from)? {
            QsOrigin::GetQueryset(f, defs) => {
                let mut acc: Option<Resolved<'a>> = None;
                for d in defs {
                    let r = self.resolve(f, None, d.source.as_ref()?, Some(v), depth + 1)?;
                    acc = Some(match acc {
                        None => r,
                        // A `return qs.none()` guard loads no rows.
                        Some(a) if r.effect.empty => a,
                        Some(a) if a.effect.empty => r,
                        Some(mut a) => {
                            if a.model != r.model || !r.prefix.is_empty() {
                                return None;
                            }
                            a.effect.merge(&r.effect);
                            a.targets.extend(r.targets);
                            a
                        }
                    });
                }
                acc
            }
            QsOrigin::Attribute(f, d) => self.resolve(f, None, d.source.as_ref()?, Some(v), depth + 1),
            QsOrigin::Model(f, m) => {
                let model = self.index.resolve_model_ref(m, &f.facts.module)?;
                let effect = self.index.manager_effect(model, "objects");
                let (vf, view) = self.views.all[v];
                let defined_at = Location { path: vf.rel.to_string(), span: view.span, message: None };
                Some(Resolved { model, effect, prefix: Vec::new(), targets: Vec::new(), defined_at, back_ref: None })
            }
        }
    }

    /// The relation steps of an access on an instance of `model`.
    pub fn steps(&self, model: usize, segs: &[String]) -> Vec<Step> {
        steps(&self.index, model, segs)
    }
}

/// Is `path` (relation names) covered by a lookup (`a__b__c` covers `a`, `a__b`)?
fn lookup_covers(lookup: &str, path: &[String]) -> bool {
    let parts: Vec<&str> = lookup.split("__").collect();
    parts.len() >= path.len() && path.iter().zip(parts.iter()).all(|(a, b)| a == b)
}

impl Resolved<'_> {
    /// Is the relation at `path` (relative to this queryset's rows, all
    /// forward relations when `forward_only`) loaded with the rows?
    pub fn covers(&self, path: &[String], forward_only: bool) -> bool {
        if self.effect.opaque {
            return true;
        }
        let mut abs = self.prefix.clone();
        abs.extend(path.iter().cloned());
        if self.effect.select.iter().chain(self.effect.prefetch.iter()).any(|l| lookup_covers(l, &abs)) {
            return true;
        }
        self.effect.select_all && self.prefix.is_empty() && forward_only
    }

    /// Is `path` loaded by `prefetch_related` and not by `select_related`?
    pub fn prefetched_only(&self, path: &[String]) -> bool {
        if path.is_empty() {
            return false;
        }
        let abs: Vec<String> = self.prefix.iter().chain(path.iter()).cloned().collect();
        self.effect.prefetch.iter().any(|l| lookup_covers(l, &abs))
            && !self.effect.select.iter().any(|l| lookup_covers(l, &abs))
    }

    /// Rows are model instances (not `values()` dicts, not opaque, not `.none()`).
    pub fn instances(&self) -> bool {
        !self.effect.values && !self.effect.opaque && !self.effect.empty
    }

    /// The line of the queryset definition, for messages.
    pub fn line(&self) -> u32 {
        self.defined_at.span.start_line
    }
}

/// Which call a fix adds a lookup to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupCall {
    SelectRelated,
    PrefetchRelated,
}

impl LookupCall {
    pub fn name(self) -> &'static str {
        match self {
            LookupCall::SelectRelated => "select_related",
            LookupCall::PrefetchRelated => "prefetch_related",
        }
    }
}

fn quote_list(paths: &[String]) -> String {
    paths.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ")
}

/// Edits adding `paths` (absolute lookups) to `call` on every fix target of
/// `r`: merged into an existing call when there is one, else appended.
/// `only()` calls get the first relation of each select path too, since a
/// deferred relation cannot be selected.
pub fn lookup_edits(r: &Resolved, call: LookupCall, paths: &[String]) -> Vec<Edit> {
    let mut edits = Vec::new();
    for t in &r.targets {
        let calls = &t.calls;
        let existing =
            calls.iter().rev().find(|(_, c)| c.name == call.name() && c.merge_at.is_some() && !c.effect.opaque);
        match existing {
            Some((rel, c)) => edits.push(Edit {
                path: rel.to_string(),
                span: c.merge_at.unwrap(),
                replacement: format!(", {}", quote_list(paths)),
            }),
            None => {
                let Some(at) = t.insert_at else { continue };
                edits.push(Edit {
                    path: t.rel.to_string(),
                    span: at,
                    replacement: format!(".{}({})", call.name(), quote_list(paths)),
                });
            }
        }
        if call == LookupCall::SelectRelated {
            for (rel, c) in calls.iter().filter(|(_, c)| c.name == "only" && c.merge_at.is_some()) {
                let missing: Vec<String> = paths
                    .iter()
                    .map(|p| p.split("__").next().unwrap_or("").to_string())
                    .filter(|first| !c.strings.iter().any(|s| s == first || s.starts_with(&format!("{first}__"))))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if !missing.is_empty() {
                    edits.push(Edit {
                        path: rel.to_string(),
                        span: c.merge_at.unwrap(),
                        replacement: format!(", {}", quote_list(&missing)),
                    });
                }
            }
        }
    }
    edits.sort();
    edits.dedup();
    edits
}

/// A queryset evaluation (file, position of its definition, number of
/// calls on it), a rule and a relation path: reported once.
type SeenKey<'a> = (&'a str, (u32, u32), usize, NPlusOneRule, Vec<String>);

/// An N+1 finding before it is reported.
pub struct NPlusOne {
    pub rule: NPlusOneRule,
    /// The relation path the finding is about.
    pub key: Vec<String>,
    pub at: Location,
    pub message: String,
    pub related: Vec<Location>,
    pub fix: Option<Fix>,
    /// Lower than the rule's own when no fix we know removes the queries.
    pub confidence: Option<crate::finding::Confidence>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NPlusOneRule {
    Fk,
    Related,
}

/// Forward-relation reads of a loop that one fix covers: the first access,
/// the deepest paths read, and whether a generic foreign key is among them.
struct FkGroup {
    first: usize,
    paths: Vec<Vec<String>>,
    generic: bool,
    /// How `first` reads the relation ([`via_rank`]): the group's best.
    rank: u8,
}

/// Said of a finding reached only through methods with work of their own.
const EFFECTS_NOTE: &str =
    "the method also writes or queries on its own for every row, which loading the relation up front does not remove";

/// How directly an access reads its relations: 0 in the loop itself, 1
/// through a method that only reads, 2 through one with effects of its own.
fn via_rank(via: &Option<(String, Expanded)>) -> u8 {
    match via {
        None => 0,
        Some((_, e)) if !e.effects => 1,
        Some(_) => 2,
    }
}

/// Removes paths that are prefixes of other paths in the list.
fn maximal(paths: &mut Vec<Vec<String>>) {
    paths.sort();
    paths.dedup();
    let all = paths.clone();
    paths.retain(|p| !all.iter().any(|q| q.len() > p.len() && q[..p.len()] == p[..]));
}

fn dotted(base: &str, segs: &[String]) -> String {
    let mut s = base.to_string();
    for g in segs {
        s.push('.');
        s.push_str(g);
    }
    s
}

impl<'a> Analysis<'a> {
    /// Every loop of the project that iterates a resolved queryset.
    pub fn loops(&self) -> Vec<(FileRef<'a>, &'a FunctionFacts, usize, Resolved<'a>)> {
        let mut out = Vec::new();
        for &file in &self.files {
            for func in &file.facts.functions {
                for (i, l) in func.loops.iter().enumerate() {
                    let Some(src) = &l.source else { continue };
                    let r = self.resolve(file, Some(func), src, None, 0);
                    if let Some(r) = r {
                        out.push((file, func, i, r));
                    }
                }
            }
        }
        out
    }

    /// The N+1 findings of every loop.
    pub fn n_plus_one(&self) -> Vec<NPlusOne> {
        let mut out = Vec::new();
        // A queryset variable iterated twice is evaluated once: the second
        // loop sees the same instances, with the relations the first loaded.
        let mut seen: HashSet<SeenKey> = HashSet::new();
        for (file, func, li, r) in self.loops() {
            if !r.instances() {
                continue;
            }
            let mut found = Vec::new();
            self.loop_findings(file, func, li, &r, &mut found);
            let part = func.loops[li].source.as_ref().and_then(|s| s.parts.first());
            for f in found {
                if let Some(p) = part {
                    let at = (p.span.start_line, p.span.start_column);
                    if !seen.insert((file.rel, at, p.calls.len(), f.rule, f.key.clone())) {
                        continue;
                    }
                }
                out.push(f);
            }
        }
        out
    }

    fn loop_findings(
        &self,
        file: FileRef<'a>,
        func: &'a FunctionFacts,
        li: usize,
        r: &Resolved<'a>,
        out: &mut Vec<NPlusOne>,
    ) {
        let before = out.len();
        self.loop_findings_of(file, func, li, r, out);
        // A one-off clone is bounded by what it copies: low confidence.
        if self.copies_rows(file, func, li, r.model) {
            for f in &mut out[before..] {
                f.confidence = Some(crate::finding::Confidence::Low);
            }
        }
    }

    /// The first class of `model`'s hierarchy for which some file's side
    /// effects say `has(effects, class name)`: the model's own class, the
    /// bases it names (models or mixins), then its base models', in turn.
    /// Gives (model index, class name).
    pub fn find_class(
        &self,
        model: usize,
        has: impl Fn(&super::models::SideEffects, &str) -> bool,
    ) -> Option<(usize, &str)> {
        let mut seen = Vec::new();
        let mut stack = vec![model];
        while let Some(m) = stack.pop() {
            if seen.contains(&m) || seen.len() > 32 {
                continue;
            }
            seen.push(m);
            let entry = &self.index.models[m];
            let names =
                std::iter::once(entry.class.name.as_str()).chain(entry.class.bases.iter().map(|b| b.name.as_str()));
            for class in names {
                if self.files.iter().any(|f| has(&f.facts.side_effects, class)) {
                    return Some((m, class));
                }
            }
            stack.extend(entry.bases.iter().copied());
        }
        None
    }

    /// Does the class of `model` (or a base, by name) define `method` with a
    /// body that runs queries (`category.synchronize()`, `rack.get_available_units()`)?
    pub fn method_queries(&self, model: usize, method: &str) -> bool {
        self.find_class(model, |e, class| e.querying.iter().any(|(c, ms)| c == class && ms.iter().any(|x| x == method)))
            .is_some()
    }

    /// Does loop `li` of `func`, over rows of `model`, copy them: clear a
    /// row's key and save it (`row.pk = None; row.save()`,
    /// `save(force_insert=True)`), or create a row of `model` per row?
    pub fn copies_rows(&self, file: FileRef<'a>, func: &'a FunctionFacts, li: usize, model: usize) -> bool {
        func.writes.iter().any(|w| {
            w.loop_ as usize == li
                && (w.method == "insert"
                    || (w.method == "create"
                        && matches!(&w.target, WriteTarget::Queryset(src)
                            if self.resolve(file, Some(func), src, None, 0).is_some_and(|c| c.model == model))))
        })
    }

    /// The accesses of a loop with the methods and properties they reach
    /// replaced by what those read on `self` (`p.open_ticket_count()` by
    /// `p.tickets.filter()`), each with the original access as written and
    /// the chain it went through.
    fn expanded_accesses(&self, model: usize, accesses: &[Access]) -> (Vec<Access>, Vec<Option<(String, Expanded)>>) {
        let mut out = Vec::new();
        let mut via = Vec::new();
        for acc in accesses {
            // The access itself reads the relations before the method.
            out.push(acc.clone());
            via.push(None);
            let exp = super::summaries::expand(&self.index, model, &acc.segs);
            let written = format!(
                "{}{}",
                dotted(&acc.base, &acc.segs[acc.alias_len as usize..]),
                if acc.called { "()" } else { "" }
            );
            for e in exp {
                let alias_len = if (acc.alias_len as usize) <= e.prefix { acc.alias_len } else { 0 };
                out.push(Access {
                    base: acc.base.clone(),
                    segs: e.segs.clone(),
                    alias_len,
                    called: e.called,
                    call_args: e.call_args,
                    span: acc.span,
                });
                via.push(Some((written.clone(), e)));
            }
        }
        (out, via)
    }

    fn loop_findings_of(
        &self,
        file: FileRef<'a>,
        func: &'a FunctionFacts,
        li: usize,
        r: &Resolved<'a>,
        out: &mut Vec<NPlusOne>,
    ) {
        let lp = &func.loops[li];
        let (accesses, via) = self.expanded_accesses(r.model, &lp.accesses);
        let model_name = self.index.name(r.model).to_string();
        let var = lp.var.clone().unwrap_or_default();
        let header = Location {
            path: file.rel.to_string(),
            span: lp.header,
            message: Some(format!("the loop over {model_name} rows")),
        };
        let mut qs_loc = r.defined_at.clone();
        qs_loc.message = Some("the queryset".into());
        let related = if qs_loc.span.start_line == header.span.start_line && qs_loc.path == header.path {
            vec![header.clone()]
        } else {
            vec![qs_loc.clone(), header.clone()]
        };
        // Forward relations: grouped by the first uncovered path.
        let mut fk_groups: BTreeMap<Vec<String>, FkGroup> = BTreeMap::new();
        // Managers: grouped by path.
        let mut mgr_groups: BTreeMap<Vec<String>, Vec<(usize, Option<String>)>> = BTreeMap::new();
        for (ai, acc) in accesses.iter().enumerate() {
            if r.back_ref.is_some() && acc.segs.first() == r.back_ref.as_ref() {
                continue; // the parent object, already set by the related manager
            }
            let steps = self.steps(r.model, &acc.segs);
            let mut forward: Vec<&Step> = Vec::new();
            for st in &steps {
                if st.kind.single() {
                    forward.push(st);
                    continue;
                }
                let called = acc.called && acc.segs.len() == st.path.len() + 1;
                mgr_groups
                    .entry(st.path.clone())
                    .or_default()
                    .push((ai, if called { st.method.clone() } else { None }));
            }
            // Steps reached only through an alias were already counted at the alias.
            let first_uncovered = forward.iter().find(|s| !r.covers(&s.path, forward_only(&steps, &s.path)));
            let Some(first) = first_uncovered else { continue };
            if (first.path.len() as u32) <= acc.alias_len
                && forward.iter().all(|s| s.path.len() as u32 <= acc.alias_len)
            {
                // Entirely inside the alias's own chain: counted at the alias.
                continue;
            }
            let deepest = forward.last().unwrap();
            let generic = forward.iter().any(|s| !s.kind.selectable());
            let rank = via_rank(&via[ai]);
            let e = fk_groups.entry(first.path.clone()).or_insert(FkGroup {
                first: ai,
                paths: Vec::new(),
                generic: false,
                rank,
            });
            if rank < e.rank {
                (e.first, e.rank) = (ai, rank);
            }
            e.paths.push(deepest.path.clone());
            e.generic |= generic;
        }
        // Forward findings.
        let mut sorted: Vec<_> = fk_groups.into_iter().collect();
        sorted.sort_by_key(|(_, g)| g.first);
        for (first, FkGroup { first: ai, mut paths, generic, rank }) in sorted {
            let acc = &accesses[ai];
            maximal(&mut paths);
            // Extend what already loads the parent: a prefetched relation's
            // own relations are prefetched too.
            let parent = &first[..first.len() - 1];
            let call = if generic || !r.prefix.is_empty() || r.prefetched_only(parent) {
                LookupCall::PrefetchRelated
            } else {
                LookupCall::SelectRelated
            };
            let abs: Vec<String> =
                paths.iter().map(|p| r.prefix.iter().chain(p.iter()).cloned().collect::<Vec<_>>().join("__")).collect();
            let edits = lookup_edits(r, call, &abs);
            let steps = self.steps(r.model, &first);
            let last = steps.last();
            let what = last.map(|s| s.kind.describe()).unwrap_or("relation");
            let owner = if steps.len() >= 2 {
                steps[steps.len() - 2].target.map(|t| self.index.name(t).to_string()).unwrap_or_default()
            } else {
                model_name.clone()
            };
            let (shown, chain) = match &via[ai] {
                Some((written, e)) => (
                    written.clone(),
                    format!("{} reads self.{}; ", e.via[0], first[e.start.min(first.len())..].join(".")),
                ),
                None => (dotted(&var, &first), String::new()),
            };
            let suggestion = format!(".{}({})", call.name(), quote_list(&abs));
            let message = format!(
                "'{shown}' ({chain}{owner}.{} is a {what}) is loaded with one query per {model_name} row of the loop: add {suggestion} to the queryset on line {}",
                first.last().cloned().unwrap_or_default(),
                r.line()
            );
            let mut related = related.clone();
            related.extend(via[ai].as_ref().and_then(|(_, e)| e.def.clone()));
            if let Some(o) = last.and_then(|_| {
                self.index
                    .attr(
                        if steps.len() >= 2 { steps[steps.len() - 2].target.unwrap_or(r.model) } else { r.model },
                        first.last().unwrap(),
                    )
                    .and_then(|a| a.origin)
            }) {
                related.push(Location { message: Some("the relation".into()), ..o });
            }
            let fix = (!edits.is_empty()).then(|| Fix { description: format!("add {suggestion}"), edits });
            // `d.rack.get_available_units()`: the related row's own method
            // runs queries per row; loading the row with the others removes
            // one query of several.
            let target = last.and_then(|s| s.target);
            let dominated = target.and_then(|t| {
                lp.accesses.iter().find(|x| {
                    x.called
                        && x.segs.len() == first.len() + 1
                        && x.segs.starts_with(&first)
                        && self.method_queries(t, &x.segs[first.len()])
                })
            });
            let message = match dominated {
                Some(x) => format!("{message}; '{}()' still runs its own queries for every row", dotted(&var, &x.segs)),
                None => message,
            };
            let dominated = dominated.is_some();
            let message = if rank == 2 { format!("{message}; {EFFECTS_NOTE}") } else { message };
            out.push(NPlusOne {
                rule: NPlusOneRule::Fk,
                key: first.clone(),
                at: Location { path: file.rel.to_string(), span: acc.span, message: None },
                message,
                related,
                fix,
                confidence: (dominated || rank == 2).then_some(crate::finding::Confidence::Low),
            });
        }
        // Manager findings.
        let mut mgr: Vec<_> = mgr_groups.into_iter().collect();
        mgr.sort_by_key(|(_, v)| v[0].0);
        for (path, uses) in mgr {
            let prefetched = r.covers(&path, false);
            let mut flagged: Vec<(usize, &str)> = Vec::new();
            for (ai, m) in &uses {
                let Some(m) = m.as_deref() else { continue };
                let cacheable = CACHED_MANAGER_CALLS.contains(&m) || MAYBE_CACHED_MANAGER_CALLS.contains(&m);
                if QUERY_MANAGER_CALLS.contains(&m) || (cacheable && !prefetched) {
                    flagged.push((*ai, m));
                }
            }
            // Prefetching serves the unfiltered calls only: when there are
            // some, they are the finding (a filtered call queries anyway).
            if flagged.iter().any(|(_, m)| !QUERY_MANAGER_CALLS.contains(m)) {
                flagged.retain(|(_, m)| !QUERY_MANAGER_CALLS.contains(m));
            }
            flagged.sort_by_key(|(ai, _)| via_rank(&via[*ai]));
            let effects_only = flagged.iter().all(|(ai, _)| via_rank(&via[*ai]) == 2);
            let Some(&(first_ai, first_m)) = flagged.first() else { continue };
            let acc = &accesses[first_ai];
            let steps = self.steps(r.model, &path);
            let Some(st) = steps.last() else { continue };
            let owner = if steps.len() >= 2 {
                steps[steps.len() - 2].target.map(|t| self.index.name(t).to_string()).unwrap_or_default()
            } else {
                model_name.clone()
            };
            let rel_name = path.last().cloned().unwrap_or_default();
            let abs = r.prefix.iter().chain(path.iter()).cloned().collect::<Vec<_>>().join("__");
            let (shown, chain) = match &via[first_ai] {
                Some((written, e)) => (written.clone(), format!("{}; ", e.chain())),
                None => (format!("{}.{first_m}()", dotted(&var, &path)), String::new()),
            };
            let all_filtering = flagged.iter().all(|(_, m)| QUERY_MANAGER_CALLS.contains(m));
            let all_counts = flagged.iter().all(|(ai, m)| {
                let a = &accesses[*ai];
                *m == "count"
                    && a.called
                    && !a.call_args
                    && a.segs.len() == path.len() + 1
                    && a.alias_len == 0
                    && via[*ai].is_none()
            });
            let through_method = via[first_ai].as_ref().map(|(_, e)| e.via[0].clone());
            let (fix, advice) = if let (true, Some(m)) = (all_filtering, &through_method) {
                (
                    None,
                    format!(
                        "{m} filters the relation itself, which runs a query even when it is prefetched: prefetch the filtered rows once with .prefetch_related(Prefetch(\"{abs}\", queryset=..., to_attr=\"...\")) on the queryset on line {} (or annotate what it computes) and have the method read them",
                        r.line()
                    ),
                )
            } else if all_filtering {
                (
                    None,
                    format!(
                        "filtering a related manager runs a new query even when it is prefetched: prefetch the filtered rows once with .prefetch_related(Prefetch(\"{abs}\", queryset=..., to_attr=\"...\")) on the queryset on line {}",
                        r.line()
                    ),
                )
            } else if all_counts && path.len() == 1 && r.prefix.is_empty() {
                self.count_fix(file, r, &path, &flagged, &accesses)
            } else {
                let suggestion = format!(".prefetch_related(\"{abs}\")");
                let edits = lookup_edits(r, LookupCall::PrefetchRelated, std::slice::from_ref(&abs));
                let fix = (!edits.is_empty()).then(|| Fix { description: format!("add {suggestion}"), edits });
                (fix, format!("add {suggestion} to the queryset on line {}", r.line()))
            };
            let message = format!(
                "'{shown}' ({chain}{owner}.{rel_name} is a {}) runs one query per {model_name} row of the loop: {advice}",
                st.kind.describe()
            );
            let mut related = related.clone();
            related.extend(via[first_ai].as_ref().and_then(|(_, e)| e.def.clone()));
            if let Some(o) = self
                .index
                .attr(
                    if steps.len() >= 2 { steps[steps.len() - 2].target.unwrap_or(r.model) } else { r.model },
                    &rel_name,
                )
                .and_then(|a| a.origin)
            {
                related.push(Location { message: Some("the relation".into()), ..o });
            }
            // A filtered manager call (`.filter(x=row.y)`, `.get(...)`) or
            // `.first()`/`.last()` runs its query whatever is prefetched; a
            // `Prefetch` only helps when the filter is the same for every
            // row, which the facts do not tell: low confidence.
            // A method's filter with constant arguments (`self.tickets.filter(
            // closed=False)`) is the same for every row: one `Prefetch` or
            // annotation serves them all.
            let uncertain = flagged.iter().all(|(ai, m)| {
                (QUERY_MANAGER_CALLS.contains(m) || MAYBE_CACHED_MANAGER_CALLS.contains(m))
                    && via[*ai].as_ref().is_none_or(|(_, e)| e.varying)
            });
            let uncertain = uncertain || effects_only;
            let message = if effects_only { format!("{message}; {EFFECTS_NOTE}") } else { message };
            out.push(NPlusOne {
                rule: NPlusOneRule::Related,
                key: path.clone(),
                at: Location { path: file.rel.to_string(), span: acc.span, message: None },
                message,
                related,
                fix,
                confidence: uncertain.then_some(crate::finding::Confidence::Low),
            });
        }
    }

    /// `.annotate(<rel>_count=Count("<rel>"))` on the queryset and
    /// `obj.<rel>_count` for every `obj.<rel>.count()` of the loop.
    fn count_fix(
        &self,
        file: FileRef<'a>,
        r: &Resolved<'a>,
        path: &[String],
        flagged: &[(usize, &str)],
        accesses: &[Access],
    ) -> (Option<Fix>, String) {
        let rel_name = &path[0];
        let query_name = self.index.attr(r.model, rel_name).map(|a| a.query_name).unwrap_or_else(|| rel_name.clone());
        let alias = format!("{query_name}_count");
        let suggestion = format!(".annotate({alias}=Count(\"{query_name}\"))");
        let advice = format!(
            "annotate the count once with {suggestion} on the queryset on line {} and read obj.{alias}",
            r.line()
        );
        let mut edits = Vec::new();
        if r.targets.is_empty() {
            return (None, advice);
        }
        for t in &r.targets {
            let Some(at) = t.insert_at else { return (None, advice) };
            let tf = self.files.iter().find(|f| f.rel == t.rel);
            let count = tf.and_then(|f| f.facts.count.as_ref());
            let (name, import) = match count.and_then(|c| c.name.clone()) {
                Some(n) => (n, None),
                None => match count {
                    Some(c) => ("Count".to_string(), Some(c.insert_at)),
                    None => return (None, advice),
                },
            };
            edits.push(Edit {
                path: t.rel.to_string(),
                span: at,
                replacement: format!(".annotate({alias}={name}(\"{query_name}\"))"),
            });
            if let Some(at) = import {
                edits.push(Edit {
                    path: t.rel.to_string(),
                    span: at,
                    replacement: "from django.db.models import Count\n".into(),
                });
            }
        }
        for (ai, _) in flagged {
            let a = &accesses[*ai];
            edits.push(Edit { path: file.rel.to_string(), span: a.span, replacement: format!("{}.{alias}", a.base) });
        }
        edits.sort();
        edits.dedup();
        if edits.is_empty() {
            return (None, advice);
        }
        (Some(Fix { description: format!("annotate the count with {suggestion}"), edits }), advice)
    }
}

/// Are all steps up to `path` forward relations (no manager before it)?
fn forward_only(steps: &[Step], path: &[String]) -> bool {
    steps.iter().filter(|s| s.path.len() <= path.len()).all(|s| s.kind.selectable())
}

/// Reports an N+1 finding.
pub fn report_n_plus_one(out: &mut crate::engine::project::ProjectOut, f: NPlusOne) {
    let p = out.report(f.at, f.message);
    p.confidence = f.confidence;
    for r in f.related {
        p.related(r);
    }
    if let Some(fix) = f.fix {
        p.fix(fix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split("__").map(str::to_string).collect()
    }

    /// `ProjectModules::matches` answers as comparing with every module.
    #[test]
    fn project_modules_match_like_module_matches() {
        use super::super::models::module_matches;
        let names = ["", "a", "a.b", "x.a.b.c", "ab.cd", "p..q", ".lead", "trail.", "books.models.book"];
        let pm = ProjectModules {
            names: names.iter().map(|n| n.to_string()).collect(),
            runs: names.iter().flat_map(|n| component_runs(n)).map(str::to_string).collect(),
        };
        let written = [
            "",
            "a",
            "b",
            "a.b",
            "b.c",
            "x.a",
            "a.b.c.d",
            "z.x.a.b.c",
            "ab",
            "cd",
            "b.cd",
            "p.",
            ".q",
            "p..q",
            "q",
            "lead",
            ".lead",
            "trail",
            "trail.",
            "books",
            "books.models",
            "models.book",
            "other.books.models.book",
            "a.b.",
            ".",
        ];
        for m in written {
            let brute = names.iter().any(|x| module_matches(x, m) || module_matches(m, x));
            assert_eq!(pm.matches(m), brute, "{m:?}");
        }
    }

    #[test]
    fn lookups_cover_their_prefixes_only() {
        assert!(lookup_covers("author__publisher", &path("author")));
        assert!(lookup_covers("author__publisher", &path("author__publisher")));
        assert!(!lookup_covers("author", &path("author__publisher")));
        assert!(!lookup_covers("authors", &path("author")));
        // A relation named with a leading underscore splits as Django splits it.
        assert!(lookup_covers("cluster___site", &path("cluster___site")));
    }

    #[test]
    fn maximal_keeps_the_longest_paths() {
        let mut v = vec![path("author"), path("author__publisher"), path("genre")];
        maximal(&mut v);
        assert_eq!(v, vec![path("author__publisher"), path("genre")]);
    }
}
