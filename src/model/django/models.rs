//! The Django model index behind the ORM rules (`django/n-plus-one-*`,
//! `django/query-in-loop`, `django/save-in-loop`, `drf/n-plus-one-serializer`).
//!
//! Phase 1 ([`extract`]) records, per Python file, the classes that may be
//! models (their bases as written, relation fields, managers, `Meta.abstract`)
//! and the Manager/QuerySet classes with what their methods add to a
//! queryset. It knows nothing about other files: names are recorded with the
//! module they were imported from ([`ClassRef`]).
//!
//! Phase 2 ([`ModelIndex`]) resolves those names across the project: which
//! classes are models (a base chain reaching `models.Model` or a third-party
//! model base, through abstract bases and multi-table inheritance), the
//! targets of relations (`ForeignKey(Author)`, `"app.Model"` strings,
//! `"self"`, `settings.AUTH_USER_MODEL`), and the reverse accessors each
//! relation adds to its target (`related_name`, `%(class)s` placeholders,
//! default `<model>_set`). Attribute lookups on a model then say whether
//! `obj.<name>` loads a single related object, returns a related manager, or
//! is not a relation at all.

use super::settings::{module_name, StmtKind, Value};
use crate::engine::context::FileCtx;
use crate::engine::project::ProjectCtx;
use crate::finding::{Location, Span};
use crate::parse::Syntax;
use crate::semantics::{descendants, python};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use tree_sitter::Node;

// ---------------------------------------------------------------------------
// Facts (phase 1)
// ---------------------------------------------------------------------------

/// Everything the ORM rules learn about one Python file in phase 1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DjangoFacts {
    /// Dotted module name from the path (`books/models/book.py` → `books.models.book`).
    pub module: String,
    /// Classes that may be models.
    #[serde(default)]
    pub models: Vec<ModelClass>,
    /// Manager and QuerySet classes.
    #[serde(default)]
    pub managers: Vec<ManagerClass>,
    /// Functions with loops that may run queries.
    #[serde(default)]
    pub functions: Vec<super::querysets::FunctionFacts>,
    /// Classes naming a queryset, a model or a serializer (views, viewsets).
    #[serde(default)]
    pub views: Vec<super::querysets::ViewClass>,
    /// DRF serializer classes.
    #[serde(default)]
    pub serializers: Vec<super::drf::SerializerClass>,
    /// How fixes that need `Count` reach it in this file.
    #[serde(default)]
    pub count: Option<CountImport>,
    /// Per-row behaviour that bulk writes skip: classes (models or
    /// mixins) defining `save`/`delete`, and model signal receivers.
    #[serde(default)]
    pub side_effects: SideEffects,
}

impl crate::engine::facts::Fact for DjangoFacts {
    const KEY: &'static str = "django-models";
}

/// What `bulk_create`, `bulk_update` and queryset `delete`/`update` do not
/// run: overridden `save()`/`delete()` methods and `pre_save`/`post_save`/
/// `pre_delete`/`post_delete` receivers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SideEffects {
    /// (class name, the methods among `save`/`delete` it defines), for every
    /// top-level class of the file, models and mixins alike.
    #[serde(default)]
    pub classes: Vec<(String, Vec<String>)>,
    /// (signal, the sender's class name; `None`: every model).
    #[serde(default)]
    pub receivers: Vec<(String, Option<String>)>,
    /// (class name, its methods other than `save`/`delete` whose bodies run
    /// queries), for every top-level class of the file: a loop calling one
    /// per row (`category.synchronize()`) costs those queries, which batching
    /// the row's write beside it does not remove.
    #[serde(default)]
    pub querying: Vec<(String, Vec<String>)>,
}

/// Signals whose receivers bulk writes skip.
pub const WRITE_SIGNALS: &[&str] = &["pre_save", "post_save", "pre_delete", "post_delete"];

/// How `django.db.models.Count` is reachable in a file, for fixes that
/// annotate a count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountImport {
    /// The expression naming `Count` (`Count`, `models.Count`), if imported.
    #[serde(default)]
    pub name: Option<String>,
    /// Where an import line can be inserted (start of the line after the
    /// last top-level import).
    pub insert_at: Span,
}

/// A class as written in a file: its name and the absolute module it comes
/// from (the import's module, or the file's own module for a class defined
/// there); `None` when the name comes from a star import or cannot be told.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClassRef {
    pub name: String,
    #[serde(default)]
    pub module: Option<String>,
}

/// A relation target or a queryset's model as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelRef {
    Class(ClassRef),
    /// `"app_label.Model"` or `"Model"`.
    Label(String),
    /// `"self"`: the model declaring the field (its concrete subclass for an abstract base).
    SelfRef,
    /// `settings.AUTH_USER_MODEL` or `get_user_model()`.
    AuthUser,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelClass {
    pub name: String,
    /// The class name.
    pub span: Span,
    #[serde(default)]
    pub bases: Vec<ClassRef>,
    #[serde(default)]
    pub is_abstract: bool,
    #[serde(default)]
    pub fields: Vec<RelField>,
    #[serde(default)]
    pub managers: Vec<ManagerDecl>,
    /// Methods and properties, with what they read on `self`.
    #[serde(default)]
    pub methods: Vec<super::summaries::MethodSummary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelKind {
    ForeignKey,
    OneToOne,
    ManyToMany,
    GenericForeignKey,
    GenericRelation,
}

/// A relation field of a model class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelField {
    pub name: String,
    pub kind: RelKind,
    #[serde(default)]
    pub target: Option<ModelRef>,
    #[serde(default)]
    pub related_name: Option<String>,
    #[serde(default)]
    pub related_query_name: Option<String>,
    pub span: Span,
}

/// `objects = BookManager()`, `objects = BookQuerySet.as_manager()`,
/// `objects = BookManager.from_queryset(BookQuerySet)()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagerDecl {
    pub name: String,
    /// The manager and queryset classes behind it, as written.
    #[serde(default)]
    pub classes: Vec<ClassRef>,
}

/// What calling a queryset method adds to the queryset, as far as the N+1
/// rules care.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QsEffect {
    #[serde(default)]
    pub select: Vec<String>,
    /// `select_related()` without arguments: every forward relation.
    #[serde(default)]
    pub select_all: bool,
    #[serde(default)]
    pub prefetch: Vec<String>,
    /// `values()`/`values_list()`: rows are no longer model instances.
    #[serde(default)]
    pub values: bool,
    /// Something we cannot read (non-literal lookups, unknown methods): the
    /// queryset may load anything; no N+1 finding is derived from it.
    #[serde(default)]
    pub opaque: bool,
    /// `.none()`: the queryset has no rows (a guard branch of
    /// `get_queryset`), so nothing is loaded per row.
    #[serde(default)]
    pub empty: bool,
}

impl QsEffect {
    pub fn merge(&mut self, o: &QsEffect) {
        self.select.extend(o.select.iter().cloned());
        self.select_all |= o.select_all;
        self.prefetch.extend(o.prefetch.iter().cloned());
        self.values |= o.values;
        self.opaque |= o.opaque;
        self.empty |= o.empty;
    }
}

/// A Manager or QuerySet class of the project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagerClass {
    pub name: String,
    #[serde(default)]
    pub bases: Vec<ClassRef>,
    /// Methods and what they add (`get_queryset` included).
    #[serde(default)]
    pub methods: Vec<(String, QsEffect)>,
}

// ---------------------------------------------------------------------------
// Names: imports and local classes of a file (phase 1 only)
// ---------------------------------------------------------------------------

/// Import bindings of a file resolved to absolute module names, its
/// top-level classes, and the names bound to `get_user_model()`.
pub struct Names {
    pub module: String,
    package: bool,
    map: HashMap<String, String>,
    classes: HashSet<String>,
    auth_user: HashSet<String>,
}

impl Names {
    /// The names of the file `ctx` analyses, built by the first extractor
    /// that asks and shared with the others through `FileCtx::memo`.
    pub fn shared(ctx: &FileCtx) -> std::rc::Rc<Names> {
        ctx.memo.get_or_insert(|| Names::new(ctx))
    }

    pub fn new(ctx: &FileCtx) -> Names {
        let (module, package) = module_name(ctx.rel);
        let mut n = Names { module, package, map: HashMap::new(), classes: HashSet::new(), auth_user: HashSet::new() };
        let root = ctx.tree.root_node();
        for class in top_level_classes(root) {
            if let Some(name) = class.field("name") {
                n.classes.insert(ctx.text(name).to_string());
            }
        }
        let mut c = root.walk();
        for stmt in root.named_children(&mut c) {
            // `User = get_user_model()`
            if stmt.ty() == "expression_statement" {
                if let Some(a) = stmt.named_child(0).filter(|a| a.ty() == "assignment") {
                    if let (Some(l), Some(r)) = (a.field("left"), a.field("right")) {
                        if l.ty() == "identifier" && r.ty() == "call" && call_name(ctx, r) == Some("get_user_model") {
                            n.auth_user.insert(ctx.text(l).to_string());
                        }
                    }
                }
            }
        }
        descendants(root, |node| match node.ty() {
            "import_statement" => {
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    match child.ty() {
                        "dotted_name" => {
                            let full = ctx.text(child);
                            let first = full.split('.').next().unwrap_or(full);
                            n.map.insert(first.to_string(), first.to_string());
                        }
                        "aliased_import" => {
                            if let (Some(name), Some(alias)) = (child.field("name"), child.field("alias")) {
                                n.map.insert(ctx.text(alias).to_string(), ctx.text(name).to_string());
                            }
                        }
                        _ => {}
                    }
                }
                false
            }
            "import_from_statement" => {
                let Some(m) = node.field("module_name") else { return false };
                let (level, module) = import_module(ctx, m);
                let base = n.absolute(level, &module);
                let mut c = node.walk();
                for child in node.children_by_field_name("name", &mut c) {
                    let (name, alias) = match child.ty() {
                        "dotted_name" => (ctx.text(child), ctx.text(child)),
                        "aliased_import" => match (child.field("name"), child.field("alias")) {
                            (Some(a), Some(b)) => (ctx.text(a), ctx.text(b)),
                            _ => continue,
                        },
                        _ => continue,
                    };
                    let q = if base.is_empty() { name.to_string() } else { format!("{base}.{name}") };
                    if q == "django.contrib.auth.get_user_model" {
                        continue;
                    }
                    n.map.insert(alias.to_string(), q);
                }
                false
            }
            // Only imports are of interest: a definition whose text has no
            // `import` holds none.
            "function_definition" | "class_definition" => ctx.text(node).contains("import"),
            "block"
            | "module"
            | "if_statement"
            | "try_statement"
            | "else_clause"
            | "elif_clause"
            | "except_clause"
            | "finally_clause"
            | "with_statement"
            | "decorated_definition" => true,
            _ => false,
        });
        n
    }

    /// The absolute module of `from <level dots><module> import ...`.
    pub fn absolute(&self, level: u32, module: &str) -> String {
        if level == 0 {
            return module.to_string();
        }
        let mut parts: Vec<&str> = if self.module.is_empty() { Vec::new() } else { self.module.split('.').collect() };
        if !self.package {
            parts.pop();
        }
        for _ in 1..level {
            parts.pop();
        }
        if !module.is_empty() {
            parts.extend(module.split('.'));
        }
        parts.join(".")
    }

    /// Is `name` bound by an import or a top-level class of the file?
    pub fn is_bound(&self, name: &str) -> bool {
        self.map.contains_key(name) || self.classes.contains(name) || self.auth_user.contains(name)
    }

    /// The absolute dotted name of an identifier or attribute chain, if it
    /// starts with an imported name or a class of this file.
    pub fn qualify(&self, ctx: &FileCtx, expr: Node) -> Option<String> {
        match expr.ty() {
            "identifier" => {
                let name = ctx.text(expr);
                if let Some(q) = self.map.get(name) {
                    Some(q.clone())
                } else if self.classes.contains(name) {
                    Some(format!("{}.{name}", self.module))
                } else {
                    None
                }
            }
            "attribute" => {
                let obj = expr.field("object")?;
                let attr = expr.field("attribute")?;
                Some(format!("{}.{}", self.qualify(ctx, obj)?, ctx.text(attr)))
            }
            _ => None,
        }
    }

    /// The class an identifier or attribute names, as written.
    pub fn class_ref(&self, ctx: &FileCtx, expr: Node) -> Option<ClassRef> {
        match expr.ty() {
            "identifier" => {
                let name = ctx.text(expr);
                match self.qualify(ctx, expr) {
                    Some(q) => Some(split_ref(&q)),
                    None => Some(ClassRef { name: name.to_string(), module: None }),
                }
            }
            "attribute" => self.qualify(ctx, expr).map(|q| split_ref(&q)),
            _ => None,
        }
    }

    /// The model an expression names: a class, `get_user_model()`, or a
    /// name bound to it.
    pub fn model_ref(&self, ctx: &FileCtx, expr: Node) -> Option<ModelRef> {
        if expr.ty() == "identifier" && self.auth_user.contains(ctx.text(expr)) {
            return Some(ModelRef::AuthUser);
        }
        if expr.ty() == "call" && call_name(ctx, expr) == Some("get_user_model") {
            return Some(ModelRef::AuthUser);
        }
        let r = self.class_ref(ctx, expr)?;
        if !r.name.starts_with(|c: char| c.is_ascii_uppercase()) {
            return None;
        }
        Some(ModelRef::Class(r))
    }
}

fn split_ref(q: &str) -> ClassRef {
    match q.rsplit_once('.') {
        Some((m, n)) => ClassRef { name: n.to_string(), module: Some(m.to_string()) },
        None => ClassRef { name: q.to_string(), module: None },
    }
}

/// (level, module) of an import's `module_name` node.
fn import_module(ctx: &FileCtx, m: Node) -> (u32, String) {
    if m.ty() != "relative_import" {
        return (0, ctx.text(m).to_string());
    }
    let mut level = 0;
    let mut module = String::new();
    let mut c = m.walk();
    for ch in m.named_children(&mut c) {
        match ch.ty() {
            "import_prefix" => level = ctx.text(ch).chars().filter(|c| *c == '.').count() as u32,
            "dotted_name" => module = ctx.text(ch).to_string(),
            _ => {}
        }
    }
    (level, module)
}

/// The last segment of a call's callee: `models.ForeignKey(...)` → `ForeignKey`.
pub fn call_name<'a>(ctx: &FileCtx<'a>, call: Node) -> Option<&'a str> {
    let f = call.field("function")?;
    match f.ty() {
        "identifier" => Some(ctx.text(f)),
        "attribute" => f.field("attribute").map(|a| ctx.text(a)),
        _ => None,
    }
}

/// The value of keyword argument `name` of a call.
pub fn kwarg<'t>(ctx: &FileCtx, call: Node<'t>, name: &str) -> Option<Node<'t>> {
    python::keyword_args(&ctx.src.text, call).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

pub fn span_of(ctx: &FileCtx, n: Node) -> Span {
    ctx.src.span(n.start_byte(), n.end_byte())
}

/// The class definitions at the top level of a file (decorated ones too,
/// and those defined under a module-level `if`/`try`, such as
/// `if not is_model_registered(...): class Product(AbstractProduct): ...`).
pub fn top_level_classes<'t>(root: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    descendants(root, |n| match n.ty() {
        "module"
        | "block"
        | "if_statement"
        | "elif_clause"
        | "else_clause"
        | "try_statement"
        | "except_clause"
        | "finally_clause"
        | "decorated_definition" => true,
        "class_definition" => {
            out.push(n);
            false
        }
        _ => false,
    });
    out
}

/// The statements of a class body, decorated definitions unwrapped.
pub fn body_statements<'t>(class: Node<'t>) -> Vec<Node<'t>> {
    let Some(body) = class.field("body") else { return Vec::new() };
    let mut c = body.walk();
    body.named_children(&mut c)
        .filter_map(|s| if s.ty() == "decorated_definition" { s.field("definition") } else { Some(s) })
        .collect()
}

/// `name = value` at the top of a class body: (name, value, statement).
pub fn class_assignments<'t>(ctx: &FileCtx, class: Node<'t>) -> Vec<(String, Node<'t>, Node<'t>)> {
    let mut out = Vec::new();
    for s in body_statements(class) {
        if s.ty() != "expression_statement" {
            continue;
        }
        let Some(a) = s.named_child(0).filter(|a| a.ty() == "assignment") else { continue };
        if let (Some(l), Some(r)) = (a.field("left"), a.field("right")) {
            if l.ty() == "identifier" {
                out.push((ctx.text(l).to_string(), r, a));
            }
        }
    }
    out
}

pub fn bases_of<'t>(class: Node<'t>) -> Vec<Node<'t>> {
    let Some(args) = class.field("superclasses") else { return Vec::new() };
    let mut c = args.walk();
    args.named_children(&mut c).filter(|n| matches!(n.ty(), "identifier" | "attribute")).collect()
}

/// The nested `class Meta:` of a class.
pub fn meta_class<'t>(ctx: &FileCtx, class: Node<'t>) -> Option<Node<'t>> {
    body_statements(class)
        .into_iter()
        .find(|s| s.ty() == "class_definition" && s.field("name").is_some_and(|n| ctx.text(n) == "Meta"))
}

fn is_models_module(rel: &str) -> bool {
    let mut parts = rel.split('/');
    let last = parts.next_back().unwrap_or("");
    last == "models.py" || rel.split('/').rev().skip(1).any(|d| d == "models")
}

const RELATION_CALLS: &[(&str, RelKind)] = &[
    ("ForeignKey", RelKind::ForeignKey),
    ("TreeForeignKey", RelKind::ForeignKey),
    ("ParentalKey", RelKind::ForeignKey),
    ("OneToOneField", RelKind::OneToOne),
    ("TreeOneToOneField", RelKind::OneToOne),
    ("ManyToManyField", RelKind::ManyToMany),
    ("ParentalManyToManyField", RelKind::ManyToMany),
    ("TreeManyToManyField", RelKind::ManyToMany),
    ("GenericForeignKey", RelKind::GenericForeignKey),
    ("GenericRelation", RelKind::GenericRelation),
];

/// Does a method body run queries? Queryset calls written in it: a manager
/// (`.objects.`), a related manager (`_set.`), or a queryset method that
/// only querysets have. A reading aid for per-row cost, not a proof.
fn runs_queries(body: &str) -> bool {
    [".objects.", "_set.", ".aggregate(", ".filter(", ".exclude(", ".annotate(", ".count()", ".exists()"]
        .iter()
        .any(|m| body.contains(m))
}

/// Phase 1: model classes and Manager/QuerySet classes of a file.
pub fn extract(ctx: &mut FileCtx) {
    let names = Names::shared(ctx);
    let models_module = is_models_module(ctx.rel);
    let mut models = Vec::new();
    let mut managers = Vec::new();
    let mut side_effects = SideEffects::default();
    for class in top_level_classes(ctx.tree.root_node()) {
        let Some(name_node) = class.field("name") else { continue };
        let name = ctx.text(name_node).to_string();
        // save()/delete() overrides, and the other methods that run queries.
        let mut defined = Vec::new();
        let mut querying = Vec::new();
        for f in body_statements(class).into_iter().filter(|s| s.ty() == "function_definition") {
            let Some(method) = f.field("name").map(|n| ctx.text(n)) else { continue };
            if matches!(method, "save" | "delete") {
                defined.push(method.to_string());
            } else if !method.starts_with("__") && f.field("body").is_some_and(|b| runs_queries(ctx.text(b))) {
                querying.push(method.to_string());
            }
        }
        if !defined.is_empty() {
            side_effects.classes.push((name.clone(), defined));
        }
        if !querying.is_empty() {
            side_effects.querying.push((name.clone(), querying));
        }
        let base_nodes = bases_of(class);
        if base_nodes.is_empty() {
            continue;
        }
        let bases: Vec<ClassRef> = base_nodes.iter().filter_map(|b| names.class_ref(ctx, *b)).collect();
        let manager_like = |s: &str| s.ends_with("Manager") || s.ends_with("QuerySet") || s.ends_with("Queryset");
        if manager_like(&name) || bases.iter().any(|b| manager_like(&b.name)) {
            managers.push(manager_class(ctx, class, name, bases));
            continue;
        }
        let model_like = models_module || base_nodes.iter().any(|b| ctx.text(*b).contains("Model"));
        let m = model_class(ctx, &names, class, name, bases);
        if model_like || !m.fields.is_empty() {
            models.push(m);
        }
    }
    side_effects.receivers = signal_receivers(ctx);
    if models.is_empty() && managers.is_empty() && side_effects == SideEffects::default() {
        return;
    }
    let facts = facts_mut(ctx);
    facts.models = models;
    facts.managers = managers;
    facts.side_effects = side_effects;
}

/// `@receiver(post_save, sender=Book)` and `post_save.connect(f,
/// sender=Book)`: (signal, sender class name, `None` without a sender).
fn signal_receivers(ctx: &FileCtx) -> Vec<(String, Option<String>)> {
    let src = &ctx.src.text;
    if !WRITE_SIGNALS.iter().any(|s| src.contains(s)) {
        return Vec::new();
    }
    let mut out = Vec::new();
    descendants(ctx.tree.root_node(), |n| {
        if n.ty() != "call" {
            return true;
        }
        let Some(f) = n.field("function") else { return true };
        let callee = ctx.text(f);
        let signals: Vec<&str> = if callee == "receiver" || callee.ends_with(".receiver") {
            // The first argument: one signal or a list of them.
            python::positional_args(n)
                .first()
                .map(|a| {
                    let t = ctx.text(*a);
                    WRITE_SIGNALS.iter().copied().filter(|s| t.contains(s)).collect()
                })
                .unwrap_or_default()
        } else if let Some(sig) = callee.strip_suffix(".connect") {
            let last = sig.rsplit('.').next().unwrap_or(sig);
            WRITE_SIGNALS.iter().copied().filter(|s| *s == last).collect()
        } else {
            Vec::new()
        };
        if signals.is_empty() {
            return true;
        }
        let sender = python::keyword_args(src, n).into_iter().find(|(k, _)| k == "sender").map(|(_, v)| {
            let t = ctx.text(v);
            t.rsplit('.').next().unwrap_or(t).trim_matches(|c| c == '"' || c == '\'').to_string()
        });
        for s in signals {
            out.push((s.to_string(), sender.clone()));
        }
        true
    });
    out
}

/// The file's Django facts, created on first use.
pub fn facts_mut<'c>(ctx: &'c mut FileCtx) -> &'c mut DjangoFacts {
    let module = module_name(ctx.rel).0;
    ctx.facts.get_or_insert_with(|| DjangoFacts { module, ..Default::default() })
}

fn model_class(ctx: &FileCtx, names: &Names, class: Node, name: String, bases: Vec<ClassRef>) -> ModelClass {
    let span = class.field("name").map(|n| span_of(ctx, n)).unwrap_or_default();
    let methods = super::summaries::methods(ctx, class);
    let mut m = ModelClass { name, span, bases, is_abstract: false, fields: Vec::new(), managers: Vec::new(), methods };
    if let Some(meta) = meta_class(ctx, class) {
        m.is_abstract = class_assignments(ctx, meta).iter().any(|(k, v, _)| k == "abstract" && v.ty() == "true");
    }
    for (field, value, stmt) in class_assignments(ctx, class) {
        if value.ty() != "call" {
            continue;
        }
        let Some(callee) = call_name(ctx, value) else { continue };
        if let Some((_, kind)) = RELATION_CALLS.iter().find(|(n, _)| *n == callee) {
            m.fields.push(rel_field(ctx, names, value, field, *kind, span_of(ctx, stmt)));
            continue;
        }
        if let Some(classes) = manager_decl(ctx, names, value) {
            m.managers.push(ManagerDecl { name: field, classes });
        }
    }
    m
}

fn rel_field(ctx: &FileCtx, names: &Names, call: Node, name: String, kind: RelKind, span: Span) -> RelField {
    let target_node = kwarg(ctx, call, "to").or_else(|| python::positional_args(call).first().copied());
    let target = match kind {
        RelKind::GenericForeignKey => None,
        _ => target_node.and_then(|t| model_target(ctx, names, t)),
    };
    let str_kw = |k: &str| kwarg(ctx, call, k).and_then(|v| python::string_value(&ctx.src.text, v));
    RelField {
        name,
        kind,
        target,
        related_name: str_kw("related_name"),
        related_query_name: str_kw("related_query_name"),
        span,
    }
}

fn model_target(ctx: &FileCtx, names: &Names, t: Node) -> Option<ModelRef> {
    if let Some(s) = python::string_value(&ctx.src.text, t) {
        return Some(if s == "self" { ModelRef::SelfRef } else { ModelRef::Label(s) });
    }
    let text = ctx.text(t);
    if text == "settings.AUTH_USER_MODEL" || text.ends_with(".AUTH_USER_MODEL") {
        return Some(ModelRef::AuthUser);
    }
    names.model_ref(ctx, t)
}

/// `X()`, `X.as_manager()`, `X.from_queryset(Y)()`: the classes behind a
/// manager assignment, or `None` when the value is not a manager.
fn manager_decl(ctx: &FileCtx, names: &Names, call: Node) -> Option<Vec<ClassRef>> {
    let f = call.field("function")?;
    match f.ty() {
        "identifier" | "attribute" => {
            let last = call_name(ctx, call)?;
            if last == "as_manager" {
                let obj = f.field("object")?;
                return Some(names.class_ref(ctx, obj).into_iter().collect());
            }
            if last.ends_with("Manager") {
                return Some(names.class_ref(ctx, f).into_iter().collect());
            }
            None
        }
        // `BookManager.from_queryset(BookQuerySet)()`
        "call" if call_name(ctx, f) == Some("from_queryset") => {
            let inner = f.field("function")?;
            let mut out = Vec::new();
            out.extend(inner.field("object").and_then(|o| names.class_ref(ctx, o)));
            out.extend(python::positional_args(f).first().and_then(|a| names.class_ref(ctx, *a)));
            Some(out)
        }
        _ => None,
    }
}

fn manager_class(ctx: &FileCtx, class: Node, name: String, bases: Vec<ClassRef>) -> ManagerClass {
    let mut methods = Vec::new();
    for s in body_statements(class) {
        if s.ty() != "function_definition" {
            continue;
        }
        let Some(n) = s.field("name") else { continue };
        let Some(body) = s.field("body") else { continue };
        methods.push((ctx.text(n).to_string(), body_effect(ctx, body)));
    }
    ManagerClass { name, bases, methods }
}

/// What the queryset calls anywhere in `body` add (a method of a custom
/// manager or queryset): the union of their lookups.
pub fn body_effect(ctx: &FileCtx, body: Node) -> QsEffect {
    let mut e = QsEffect::default();
    descendants(body, |n| {
        if n.ty() == "call" {
            if let Some(name) = call_name(ctx, n) {
                if n.field("function").is_some_and(|f| f.ty() == "attribute") {
                    call_effect(ctx, n, name, &mut e);
                }
            }
        }
        !matches!(n.ty(), "function_definition" | "class_definition" | "lambda")
    });
    e
}

/// The effect of one queryset method call on lookups.
pub fn call_effect(ctx: &FileCtx, call: Node, name: &str, e: &mut QsEffect) {
    match name {
        "select_related" => {
            let args = all_args(call);
            if args.is_empty() {
                e.select_all = true;
            }
            for a in args {
                match python::string_value(&ctx.src.text, a) {
                    Some(s) => e.select.push(s),
                    None if a.ty() == "none" => {}
                    None => e.opaque = true,
                }
            }
        }
        "prefetch_related" => {
            for a in all_args(call) {
                match prefetch_lookup(ctx, a) {
                    Some(s) => e.prefetch.extend(s),
                    None if a.ty() == "none" => {}
                    None => e.opaque = true,
                }
            }
        }
        "values" | "values_list" => e.values = true,
        "none" => e.empty = true,
        _ => {}
    }
}

/// Every argument node of a call (positional, keyword values, splats).
pub fn all_args(call: Node) -> Vec<Node> {
    let Some(args) = call.field("arguments") else { return Vec::new() };
    let mut c = args.walk();
    args.named_children(&mut c).filter(|a| a.ty() != "comment").collect()
}

/// The lookups a `prefetch_related` argument covers: a string, or a
/// `Prefetch("lookup", queryset=...)` whose queryset's own
/// `select_related`/`prefetch_related` lookups extend it.
pub fn prefetch_lookup(ctx: &FileCtx, a: Node) -> Option<Vec<String>> {
    if let Some(s) = python::string_value(&ctx.src.text, a) {
        return Some(vec![s]);
    }
    if a.ty() != "call" || !matches!(call_name(ctx, a), Some("Prefetch" | "GenericPrefetch")) {
        return None;
    }
    let lookup_node = kwarg(ctx, a, "lookup").or_else(|| python::positional_args(a).first().copied())?;
    let lookup = python::string_value(&ctx.src.text, lookup_node)?;
    if let Some(to_attr) = kwarg(ctx, a, "to_attr").and_then(|v| python::string_value(&ctx.src.text, v)) {
        // The objects land in a list attribute, not in the manager's cache.
        return Some(vec![to_attr_lookup(&lookup, &to_attr)]);
    }
    let mut out = vec![lookup.clone()];
    let qs = kwarg(ctx, a, "queryset").or_else(|| python::positional_args(a).get(1).copied());
    if let Some(qs) = qs {
        let mut e = QsEffect::default();
        let mut cur = qs;
        while cur.ty() == "call" {
            if let Some(name) = call_name(ctx, cur) {
                call_effect(ctx, cur, name, &mut e);
            }
            match cur.field("function").and_then(|f| f.field("object")) {
                Some(o) => cur = o,
                None => break,
            }
        }
        out.extend(e.select.iter().chain(e.prefetch.iter()).map(|s| format!("{lookup}__{s}")));
    }
    Some(out)
}

/// A `Prefetch(..., to_attr=...)` lookup: the last segment is renamed, so
/// the relation itself stays uncached; recorded under the new name.
fn to_attr_lookup(lookup: &str, to_attr: &str) -> String {
    match lookup.rsplit_once("__") {
        Some((head, _)) => format!("{head}__{to_attr}"),
        None => to_attr.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Index (phase 2)
// ---------------------------------------------------------------------------

/// How an attribute of a model instance behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    /// Forward ForeignKey / OneToOneField: one object, `select_related`.
    Forward,
    /// Reverse side of a OneToOneField: one object, `select_related`.
    ReverseOne,
    /// GenericForeignKey: one object, only `prefetch_related`.
    Generic,
    /// ManyToManyField.
    ManyToMany,
    /// Reverse side of a ForeignKey (`author.book_set`).
    ReverseFk,
    /// Reverse side of a ManyToManyField.
    ReverseM2M,
    /// GenericRelation.
    GenericRelation,
}

impl AttrKind {
    /// Loads one related object (as opposed to returning a manager).
    pub fn single(self) -> bool {
        matches!(self, AttrKind::Forward | AttrKind::ReverseOne | AttrKind::Generic)
    }
    /// Can `select_related` follow it?
    pub fn selectable(self) -> bool {
        matches!(self, AttrKind::Forward | AttrKind::ReverseOne)
    }
    pub fn describe(self) -> &'static str {
        match self {
            AttrKind::Forward => "foreign key",
            AttrKind::ReverseOne => "reverse one-to-one relation",
            AttrKind::Generic => "generic foreign key",
            AttrKind::ManyToMany => "many-to-many relation",
            AttrKind::ReverseFk => "reverse foreign key",
            AttrKind::ReverseM2M => "reverse many-to-many relation",
            AttrKind::GenericRelation => "generic relation",
        }
    }
}

/// A relation accessor of a model.
#[derive(Debug, Clone)]
pub struct Attr {
    pub kind: AttrKind,
    /// The related model, when it could be resolved.
    pub target: Option<usize>,
    /// Where the field is declared (the ForeignKey for a reverse accessor).
    pub origin: Option<Location>,
    /// The name lookups use (`filter(review__rating=5)`, `Count("review")`):
    /// the field's name, or for a reverse accessor `related_query_name`,
    /// else `related_name`, else the model's name in lowercase.
    pub query_name: String,
    /// For a reverse accessor: the foreign key it is the reverse of. Rows
    /// loaded through it have that key already set to the parent object.
    pub reverse_of: Option<String>,
}

/// A class that may be a model, from the facts or built in.
pub struct ModelEntry<'a> {
    pub name: String,
    pub module: String,
    pub app: String,
    /// The file declaring it; `None` for Django's own models.
    pub rel: Option<&'a str>,
    pub class: std::borrow::Cow<'a, ModelClass>,
    pub bases: Vec<usize>,
    /// A base outside the project that is a model base (`models.Model`, `AbstractUser`, `MPTTModel`).
    external_model_base: bool,
    pub is_model: bool,
    /// Reverse accessors other models' relations add.
    reverse: BTreeMap<String, Attr>,
}

impl ModelEntry<'_> {
    pub fn location(&self) -> Option<Location> {
        Some(Location { path: self.rel?.to_string(), span: self.class.span, message: None })
    }
}

/// A Manager/QuerySet class with its module.
pub struct ManagerEntry<'a> {
    pub module: String,
    pub class: &'a ManagerClass,
    pub bases: Vec<usize>,
}

pub struct ModelIndex<'a> {
    pub models: Vec<ModelEntry<'a>>,
    by_name: HashMap<String, Vec<usize>>,
    pub managers: Vec<ManagerEntry<'a>>,
    managers_by_name: HashMap<String, Vec<usize>>,
    auth_user: Option<usize>,
}

/// The app label of a module: the package holding its `models` module or
/// package (`library.books.models.book` → `books`), else its package.
pub fn app_label(module: &str) -> String {
    let parts: Vec<&str> = module.split('.').collect();
    if let Some(i) = parts.iter().position(|p| *p == "models") {
        if i > 0 {
            return parts[i - 1].to_string();
        }
    }
    if parts.len() >= 2 {
        parts[parts.len() - 2].to_string()
    } else {
        parts.first().map(|s| s.to_string()).unwrap_or_default()
    }
}

/// Does module `cand` match module `written` as an import names it? The
/// scanned root may sit above the source root, and a package may re-export
/// its submodules' classes (`books.models` for `books.models.book`).
pub fn module_matches(cand: &str, written: &str) -> bool {
    if written.is_empty() {
        return false;
    }
    // `written` as whole dotted components anywhere in `cand`.
    let bytes = cand.as_bytes();
    let mut start = 0;
    while let Some(pos) = cand[start..].find(written) {
        let i = start + pos;
        let j = i + written.len();
        if (i == 0 || bytes[i - 1] == b'.') && (j == cand.len() || bytes[j] == b'.') {
            return true;
        }
        start = i + 1;
    }
    false
}

/// The package an app's modules live under: the part before a `models`
/// component (`dcim.models.sites` → `dcim`), else the module's package.
fn app_prefix(module: &str) -> &str {
    if let Some(i) = module.find(".models") {
        let rest = &module[i + ".models".len()..];
        if rest.is_empty() || rest.starts_with('.') {
            return &module[..i];
        }
    }
    module.rsplit_once('.').map(|(p, _)| p).unwrap_or(module)
}

/// Do two modules belong to the same app (`books.views` and `books.models.book`)?
fn same_app(cand: &str, from: &str) -> bool {
    let p = app_prefix(cand);
    from == p || (from.starts_with(p) && from.as_bytes().get(p.len()) == Some(&b'.'))
}

/// Picks the class `r` refers to among same-named candidates (module of
/// each given), written in module `from`.
pub fn pick<'x>(cands: &[usize], module_of: impl Fn(usize) -> &'x str, r: &ClassRef, from: &str) -> Option<usize> {
    match &r.module {
        Some(m) => {
            if let Some(&c) = cands.iter().find(|&&c| module_of(c) == m) {
                return Some(c);
            }
            let mut matching = cands.iter().copied().filter(|&c| module_matches(module_of(c), m));
            let first = matching.next();
            if matching.next().is_none() {
                return first;
            }
            None
        }
        None => {
            if let Some(&c) = cands.iter().find(|&&c| module_of(c) == from) {
                return Some(c);
            }
            let mut same = cands.iter().copied().filter(|&c| same_app(module_of(c), from));
            if let Some(first) = same.next() {
                return if same.next().is_none() { Some(first) } else { None };
            }
            if cands.len() == 1 {
                return Some(cands[0]);
            }
            None
        }
    }
}

/// Third-party base classes that make a class a model when the project
/// does not define them.
fn is_external_model_base(r: &ClassRef) -> bool {
    let Some(m) = &r.module else { return false };
    if r.name == "Model" && (m == "models" || m.ends_with(".models")) {
        return true;
    }
    if m.starts_with("django.") {
        return false; // Django's own models are built in (see `builtin_models`).
    }
    r.name.ends_with("Model") || r.name == "AbstractUser" || r.name == "AbstractBaseUser"
}

fn builtin(name: &str, is_abstract: bool, fields: Vec<RelField>) -> ModelClass {
    ModelClass {
        name: name.to_string(),
        span: Span::default(),
        bases: vec![ClassRef { name: "Model".into(), module: Some("django.db.models".into()) }],
        is_abstract,
        fields,
        managers: Vec::new(),
        methods: Vec::new(),
    }
}

fn builtin_field(name: &str, kind: RelKind, target: &str, related_name: Option<&str>) -> RelField {
    RelField {
        name: name.to_string(),
        kind,
        target: Some(ModelRef::Label(target.to_string())),
        related_name: related_name.map(str::to_string),
        related_query_name: None,
        span: Span::default(),
    }
}

/// Django's own models the project's relations point at, with their relations.
fn builtin_models() -> Vec<(&'static str, ModelClass)> {
    let perms = || {
        vec![
            builtin_field("groups", RelKind::ManyToMany, "auth.Group", Some("user_set")),
            builtin_field("user_permissions", RelKind::ManyToMany, "auth.Permission", Some("user_set")),
        ]
    };
    vec![
        ("django.contrib.auth.models", builtin("PermissionsMixin", true, perms())),
        ("django.contrib.auth.models", builtin("AbstractBaseUser", true, Vec::new())),
        ("django.contrib.auth.models", builtin("AbstractUser", true, perms())),
        ("django.contrib.auth.models", builtin("User", false, perms())),
        (
            "django.contrib.auth.models",
            builtin("Group", false, vec![builtin_field("permissions", RelKind::ManyToMany, "auth.Permission", None)]),
        ),
        (
            "django.contrib.auth.models",
            builtin(
                "Permission",
                false,
                vec![builtin_field("content_type", RelKind::ForeignKey, "contenttypes.ContentType", None)],
            ),
        ),
        ("django.contrib.contenttypes.models", builtin("ContentType", false, Vec::new())),
    ]
}

/// `AUTH_USER_MODEL = "accounts.User"` in any settings module of the project.
fn auth_user_label(ctx: &ProjectCtx) -> Option<String> {
    for f in ctx.files {
        let Some(s) = f.facts.get::<crate::model::django::settings::SettingsFacts>() else { continue };
        for st in &s.statements {
            if let StmtKind::Assign { name, value: Value::Str(v) } = &st.kind {
                if name == "AUTH_USER_MODEL" {
                    return Some(v.clone());
                }
            }
        }
    }
    None
}

/// What [`ModelIndex::new`] derives from the classes of the project
/// (bases, which classes are models, the user model, reverse accessors):
/// the same for every rule of a project phase, so computed once per phase
/// and shared through `ProjectCtx::memo` (see [`ModelIndex::shared`]).
struct Derived {
    models: Vec<DerivedModel>,
    manager_bases: Vec<Vec<usize>>,
    auth_user: Option<usize>,
}

/// Per model: bases, external model base, is a model, reverse accessors.
type DerivedModel = (Vec<usize>, bool, bool, BTreeMap<String, Attr>);

impl<'a> ModelIndex<'a> {
    pub fn new(ctx: &ProjectCtx<'a>) -> ModelIndex<'a> {
        let mut index = Self::classes(ctx);
        Self::derive(&mut index, ctx);
        index
    }

    /// The index of the project phase `ctx`, what it derives computed on
    /// the phase's first call and reused by the next ones.
    pub fn shared(ctx: &ProjectCtx<'a>) -> ModelIndex<'a> {
        if let Some(d) = ctx.memo.get::<Derived>() {
            let mut index = Self::classes(ctx);
            for (m, (bases, external, is_model, reverse)) in index.models.iter_mut().zip(&d.models) {
                m.bases = bases.clone();
                m.external_model_base = *external;
                m.is_model = *is_model;
                m.reverse = reverse.clone();
            }
            for (m, bases) in index.managers.iter_mut().zip(&d.manager_bases) {
                m.bases = bases.clone();
            }
            index.auth_user = d.auth_user;
            return index;
        }
        let index = Self::new(ctx);
        let models = index
            .models
            .iter()
            .map(|m| (m.bases.clone(), m.external_model_base, m.is_model, m.reverse.clone()))
            .collect();
        let manager_bases = index.managers.iter().map(|m| m.bases.clone()).collect();
        ctx.memo.put(std::rc::Rc::new(Derived { models, manager_bases, auth_user: index.auth_user }));
        index
    }

    /// The model and manager classes of the project and Django's own
    /// models, by name, before anything is derived from them.
    fn classes(ctx: &ProjectCtx<'a>) -> ModelIndex<'a> {
        let mut models: Vec<ModelEntry<'a>> = Vec::new();
        let mut managers: Vec<ManagerEntry<'a>> = Vec::new();
        for (module, class) in builtin_models() {
            models.push(ModelEntry {
                name: class.name.clone(),
                module: module.to_string(),
                app: if module.contains("contenttypes") { "contenttypes".into() } else { "auth".into() },
                rel: None,
                class: std::borrow::Cow::Owned(class),
                bases: Vec::new(),
                external_model_base: true,
                is_model: true,
                reverse: BTreeMap::new(),
            });
        }
        for f in ctx.files {
            let Some(d) = f.facts.get::<crate::model::django::models::DjangoFacts>() else { continue };
            for m in &d.models {
                models.push(ModelEntry {
                    name: m.name.clone(),
                    module: d.module.clone(),
                    app: app_label(&d.module),
                    rel: Some(f.rel.as_str()),
                    class: std::borrow::Cow::Borrowed(m),
                    bases: Vec::new(),
                    external_model_base: false,
                    is_model: false,
                    reverse: BTreeMap::new(),
                });
            }
            for m in &d.managers {
                managers.push(ManagerEntry { module: d.module.clone(), class: m, bases: Vec::new() });
            }
        }
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in models.iter().enumerate() {
            by_name.entry(m.name.clone()).or_default().push(i);
        }
        let mut managers_by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in managers.iter().enumerate() {
            managers_by_name.entry(m.class.name.clone()).or_default().push(i);
        }
        ModelIndex { models, by_name, managers, managers_by_name, auth_user: None }
    }

    fn derive(index: &mut ModelIndex<'a>, ctx: &ProjectCtx<'a>) {
        // Bases.
        for i in 0..index.models.len() {
            if index.models[i].rel.is_none() {
                continue;
            }
            let mut bases = Vec::new();
            let mut external = false;
            for b in index.models[i].class.bases.clone() {
                match index.resolve_class(&b, &index.models[i].module.clone()) {
                    Some(t) if t != i => bases.push(t),
                    Some(_) => {}
                    None => external |= is_external_model_base(&b),
                }
            }
            index.models[i].bases = bases;
            index.models[i].external_model_base = external;
        }
        for i in 0..index.managers.len() {
            let module = index.managers[i].module.clone();
            let bases = index.managers[i]
                .class
                .bases
                .iter()
                .filter_map(|b| index.resolve_manager(b, &module))
                .filter(|&t| t != i)
                .collect();
            index.managers[i].bases = bases;
        }
        // Which classes are models: a fixpoint over the base graph.
        loop {
            let mut changed = false;
            for i in 0..index.models.len() {
                if index.models[i].is_model {
                    continue;
                }
                let m = &index.models[i];
                if m.external_model_base || m.bases.iter().any(|&b| index.models[b].is_model) {
                    index.models[i].is_model = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        index.auth_user = match auth_user_label(ctx) {
            Some(label) => index.resolve_label(&label, None),
            None => index.builtin("User"),
        };
        // Reverse accessors.
        let mut reverse: Vec<(usize, String, Attr)> = Vec::new();
        for i in 0..index.models.len() {
            let m = &index.models[i];
            if !m.is_model || m.class.is_abstract {
                continue;
            }
            for (decl, f) in index.declared_fields(i) {
                let Some(target) = f.target.as_ref().and_then(|t| index.resolve_target(t, decl, i)) else { continue };
                let lower = m.name.to_lowercase();
                let fill = |r: &str| {
                    r.replace("%(class)s", &lower)
                        .replace("%(model_name)s", &lower)
                        .replace("%(app_label)s", &m.app.to_lowercase())
                };
                let query_name = f
                    .related_query_name
                    .as_deref()
                    .or(f.related_name.as_deref())
                    .map(fill)
                    .unwrap_or_else(|| lower.clone());
                let name = match &f.related_name {
                    Some(r) if r.ends_with('+') => continue,
                    Some(r) => fill(r),
                    None => match f.kind {
                        RelKind::OneToOne => lower.clone(),
                        RelKind::GenericRelation | RelKind::GenericForeignKey => continue,
                        _ => format!("{lower}_set"),
                    },
                };
                let kind = match f.kind {
                    RelKind::ForeignKey => AttrKind::ReverseFk,
                    RelKind::OneToOne => AttrKind::ReverseOne,
                    RelKind::ManyToMany => AttrKind::ReverseM2M,
                    _ => continue,
                };
                let origin = index.field_location(decl, f);
                let reverse_of = Some(f.name.clone());
                reverse.push((target, name, Attr { kind, target: Some(i), origin, query_name, reverse_of }));
            }
        }
        for (t, name, attr) in reverse {
            index.models[t].reverse.entry(name).or_insert(attr);
        }
    }

    fn builtin(&self, name: &str) -> Option<usize> {
        self.by_name.get(name)?.iter().copied().find(|&i| self.models[i].rel.is_none())
    }

    /// The model class a reference names (a model or an abstract base).
    pub fn resolve_class(&self, r: &ClassRef, from: &str) -> Option<usize> {
        let cands = self.by_name.get(&r.name)?;
        pick(cands, |c| self.models[c].module.as_str(), r, from)
    }

    fn resolve_manager(&self, r: &ClassRef, from: &str) -> Option<usize> {
        let cands = self.managers_by_name.get(&r.name)?;
        pick(cands, |c| self.managers[c].module.as_str(), r, from)
    }

    /// `"app.Model"` or `"Model"` (relative to the app of model `near`).
    pub fn resolve_label(&self, label: &str, near: Option<usize>) -> Option<usize> {
        let (app, name) = match label.rsplit_once('.') {
            Some((a, n)) => (Some(a), n),
            None => (None, label),
        };
        let cands: Vec<usize> = self.by_name.get(name)?.iter().copied().filter(|&c| self.models[c].is_model).collect();
        let app = app.map(str::to_string).or_else(|| near.map(|n| self.models[n].app.clone()));
        if let Some(app) = app {
            let same: Vec<usize> =
                cands.iter().copied().filter(|&c| self.models[c].app.eq_ignore_ascii_case(&app)).collect();
            if same.len() == 1 {
                return Some(same[0]);
            }
            if !same.is_empty() {
                return None;
            }
        }
        (cands.len() == 1).then(|| cands[0])
    }

    /// The model a `ModelRef` written in module `from` names (a model, not an abstract base).
    pub fn resolve_model_ref(&self, r: &ModelRef, from: &str) -> Option<usize> {
        let i = match r {
            ModelRef::Class(c) => self.resolve_class(c, from)?,
            ModelRef::Label(l) => self.resolve_label(l, None)?,
            ModelRef::AuthUser => self.auth_user?,
            ModelRef::SelfRef => return None,
        };
        self.models[i].is_model.then_some(i)
    }

    /// The target of relation field `f`, declared in class `decl`, as seen from concrete model `model`.
    fn resolve_target(&self, t: &ModelRef, decl: usize, model: usize) -> Option<usize> {
        let from = &self.models[decl].module;
        match t {
            ModelRef::SelfRef => Some(model),
            ModelRef::Label(l) => {
                if l.contains('.') {
                    self.resolve_label(l, None)
                } else {
                    self.resolve_label(l, Some(model)).or_else(|| self.resolve_label(l, Some(decl)))
                }
            }
            ModelRef::Class(c) => self.resolve_class(c, from).filter(|&i| self.models[i].is_model),
            ModelRef::AuthUser => self.auth_user,
        }
    }

    /// Fields a concrete model declares itself or through abstract bases
    /// (not those of concrete parents), with the declaring class.
    fn declared_fields(&self, i: usize) -> Vec<(usize, &RelField)> {
        let mut out: Vec<(usize, &RelField)> = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![i];
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            for f in &self.models[c].class.fields {
                if !out.iter().any(|(_, g)| g.name == f.name) {
                    out.push((c, f));
                }
            }
            for &b in self.models[c].bases.iter().rev() {
                if self.models[b].class.is_abstract || !self.models[b].is_model {
                    stack.push(b);
                }
            }
        }
        out
    }

    fn field_location(&self, decl: usize, f: &RelField) -> Option<Location> {
        let rel = self.models[decl].rel?;
        Some(Location { path: rel.to_string(), span: f.span, message: None })
    }

    /// How `obj.<name>` behaves on an instance of model `model`: `None` when
    /// it is not a relation accessor we know of.
    pub fn attr(&self, model: usize, name: &str) -> Option<Attr> {
        let mut seen = HashSet::new();
        self.attr_in(model, model, name, &mut seen)
    }

    fn attr_in(&self, c: usize, model: usize, name: &str, seen: &mut HashSet<usize>) -> Option<Attr> {
        if !seen.insert(c) {
            return None;
        }
        let m = &self.models[c];
        if let Some(f) = m.class.fields.iter().find(|f| f.name == name) {
            let kind = match f.kind {
                RelKind::ForeignKey | RelKind::OneToOne => AttrKind::Forward,
                RelKind::ManyToMany => AttrKind::ManyToMany,
                RelKind::GenericForeignKey => AttrKind::Generic,
                RelKind::GenericRelation => AttrKind::GenericRelation,
            };
            let target = f.target.as_ref().and_then(|t| self.resolve_target(t, c, model));
            let origin = self.field_location(c, f);
            return Some(Attr { kind, target, origin, query_name: f.name.clone(), reverse_of: None });
        }
        if let Some(a) = m.reverse.get(name) {
            return Some(a.clone());
        }
        for &b in &m.bases {
            if let Some(a) = self.attr_in(b, model, name, seen) {
                return Some(a);
            }
        }
        None
    }

    /// Is `name` a manager of model `model` (`objects` always is)?
    pub fn has_manager(&self, model: usize, name: &str) -> bool {
        name == "objects"
            || name == "_default_manager"
            || name == "_base_manager"
            || self.manager_decl(model, name).is_some()
    }

    fn manager_decl(&self, model: usize, name: &str) -> Option<(usize, &ManagerDecl)> {
        let mut seen = HashSet::new();
        let mut stack = vec![model];
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            if let Some(d) = self.models[c].class.managers.iter().find(|d| d.name == name) {
                return Some((c, d));
            }
            stack.extend(self.models[c].bases.iter().rev());
        }
        None
    }

    /// The manager classes behind `Model.<manager>` (resolved ones only) and
    /// whether every class could be resolved.
    fn manager_classes(&self, model: usize, manager: &str) -> (Vec<usize>, bool) {
        let decl = match manager {
            "_default_manager" | "_base_manager" => self.manager_decl(model, "objects"),
            m => self.manager_decl(model, m),
        };
        let Some((c, d)) = decl else { return (Vec::new(), true) };
        let from = self.models[c].module.clone();
        let mut out = Vec::new();
        let mut all = true;
        for r in &d.classes {
            match self.resolve_manager(r, &from) {
                Some(m) => out.push(m),
                None => all &= r.module.as_deref().is_some_and(|m| m.starts_with("django.")),
            }
        }
        (out, all)
    }

    fn manager_method(&self, classes: &[usize], method: &str) -> Option<&QsEffect> {
        let mut seen = HashSet::new();
        let mut stack: Vec<usize> = classes.to_vec();
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            if let Some((_, e)) = self.managers[c].class.methods.iter().find(|(n, _)| n == method) {
                return Some(e);
            }
            stack.extend(self.managers[c].bases.iter().rev());
        }
        None
    }

    /// What `Model.<manager>` starts a queryset with (its `get_queryset`).
    pub fn manager_effect(&self, model: usize, manager: &str) -> QsEffect {
        let (classes, _) = self.manager_classes(model, manager);
        self.manager_method(&classes, "get_queryset").cloned().unwrap_or_default()
    }

    /// What a non-standard method of the model's managers/querysets adds;
    /// `None` when no manager of the model defines it.
    pub fn custom_method(&self, model: usize, manager: &str, method: &str) -> Option<QsEffect> {
        let (mut classes, _) = self.manager_classes(model, manager);
        // A chain may continue on any queryset class of the model.
        for m in self.all_manager_names(model) {
            classes.extend(self.manager_classes(model, &m).0);
        }
        self.manager_method(&classes, method).cloned()
    }

    fn all_manager_names(&self, model: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![model];
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            out.extend(self.models[c].class.managers.iter().map(|d| d.name.clone()));
            stack.extend(self.models[c].bases.iter());
        }
        out
    }

    /// The relation fields of a model (its own, abstract bases', concrete
    /// parents'), not reverse accessors.
    pub fn fields(&self, model: usize) -> Vec<(String, Attr)> {
        let mut names: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![model];
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            for f in &self.models[c].class.fields {
                if !names.contains(&f.name) {
                    names.push(f.name.clone());
                }
            }
            stack.extend(self.models[c].bases.iter().rev());
        }
        names.into_iter().filter_map(|n| self.attr(model, &n).map(|a| (n, a))).collect()
    }

    pub fn name(&self, model: usize) -> &str {
        &self.models[model].name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_labels_and_module_matching() {
        assert_eq!(app_label("books.models"), "books");
        assert_eq!(app_label("library.books.models.book"), "books");
        assert_eq!(app_label("books.views"), "books");
        assert!(module_matches("netbox.dcim.models.sites", "dcim.models"));
        assert!(module_matches("books.models.book", "books.models"));
        assert!(!module_matches("ebooks.models", "books.models"));
        assert!(module_matches("proj.books.models", "books.models"));
        assert!(same_app("dcim.models.sites", "dcim.api.views"));
        assert!(same_app("books.models", "books.views"));
        assert!(!same_app("books.models", "bookshop.views"));
    }
}
