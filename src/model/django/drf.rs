//! Django REST framework serializers and the relations they traverse, for
//! `drf/n-plus-one-serializer`.
//!
//! Phase 1 ([`extract`]) records every serializer class: its `Meta` (model,
//! fields, exclude, depth), its declared fields (nested serializers with
//! `many=True`, dotted `source=`, `SerializerMethodField` and the attribute
//! chains its method reads on `obj`, `StringRelatedField`,
//! `SlugRelatedField`, `HyperlinkedRelatedField`, `PrimaryKeyRelatedField`).
//!
//! Phase 2 ([`Serializers::requirements`]) walks a serializer over the model
//! index: which relation paths rendering one row loads, and whether each
//! needs `select_related` (a chain of forward relations) or
//! `prefetch_related` (a manager, or anything under one).

use super::models::{
    body_statements, call_name, class_assignments, facts_mut, kwarg, meta_class, span_of, top_level_classes, AttrKind,
    ClassRef, ModelIndex, ModelRef, Names,
};
use super::querysets::{collect_accesses, steps, Access, FileRef};
use crate::engine::context::FileCtx;
use crate::engine::project::ProjectFile;
use crate::finding::{Location, Span};
use crate::parse::Syntax;
use crate::semantics::python;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use tree_sitter::Node;

// ---------------------------------------------------------------------------
// Facts (phase 1)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SerializerClass {
    pub name: String,
    pub span: Span,
    #[serde(default)]
    pub bases: Vec<ClassRef>,
    /// The class has its own `class Meta`.
    #[serde(default)]
    pub has_meta: bool,
    #[serde(default)]
    pub model: Option<ModelRef>,
    #[serde(default)]
    pub fields: Option<MetaFields>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub depth: u32,
    #[serde(default)]
    pub declared: Vec<SerField>,
    /// `get_<field>(self, obj)` methods and the chains they read on `obj`.
    #[serde(default)]
    pub methods: Vec<(String, Vec<Access>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetaFields {
    All,
    List(Vec<String>),
    /// Computed (`fields = BASE_FIELDS + (...)`): not followed.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SerFieldKind {
    Nested,
    Method,
    StringRelated,
    SlugRelated,
    HyperlinkedRelated,
    PrimaryKeyRelated,
    /// Any other field; only its `source` matters.
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SerField {
    pub name: String,
    pub span: Span,
    pub kind: SerFieldKind,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub many: bool,
    #[serde(default)]
    pub write_only: bool,
    /// The nested serializer class.
    #[serde(default)]
    pub serializer: Option<ClassRef>,
    /// `SerializerMethodField(method_name=...)`.
    #[serde(default)]
    pub method: Option<String>,
    /// `HyperlinkedRelatedField` looks objects up by something else than the pk.
    #[serde(default)]
    pub lookup_not_pk: bool,
}

fn is_serializer_name(s: &str) -> bool {
    s.ends_with("Serializer")
}

/// Phase 1: the serializer classes of a file.
pub fn extract(ctx: &mut FileCtx) {
    let names = Names::shared(ctx);
    let mut out = Vec::new();
    for class in top_level_classes(ctx.tree.root_node()) {
        let Some(name_node) = class.field("name") else { continue };
        let name = ctx.text(name_node).to_string();
        let bases: Vec<ClassRef> =
            super::models::bases_of(class).iter().filter_map(|b| names.class_ref(ctx, *b)).collect();
        if !bases.iter().any(|b| is_serializer_name(&b.name)) {
            continue;
        }
        out.push(serializer_class(ctx, &names, class, name, bases));
    }
    if out.is_empty() {
        return;
    }
    facts_mut(ctx).serializers = out;
}

fn serializer_class(ctx: &FileCtx, names: &Names, class: Node, name: String, bases: Vec<ClassRef>) -> SerializerClass {
    let mut s = SerializerClass {
        name,
        span: class.field("name").map(|n| span_of(ctx, n)).unwrap_or_default(),
        bases,
        has_meta: false,
        model: None,
        fields: None,
        exclude: Vec::new(),
        depth: 0,
        declared: Vec::new(),
        methods: Vec::new(),
    };
    if let Some(meta) = meta_class(ctx, class) {
        s.has_meta = true;
        for (k, v, _) in class_assignments(ctx, meta) {
            match k.as_str() {
                "model" => s.model = names.model_ref(ctx, v),
                "fields" => s.fields = Some(meta_fields(ctx, v)),
                "exclude" => s.exclude = string_list(ctx, v).unwrap_or_default(),
                "depth" => s.depth = ctx.text(v).parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    for (fname, value, stmt) in class_assignments(ctx, class) {
        if value.ty() != "call" {
            continue;
        }
        if let Some(f) = ser_field(ctx, names, value, fname, span_of(ctx, stmt)) {
            s.declared.push(f);
        }
    }
    // Methods serving SerializerMethodFields.
    let wanted: HashSet<String> = s
        .declared
        .iter()
        .filter(|f| f.kind == SerFieldKind::Method)
        .map(|f| f.method.clone().unwrap_or_else(|| format!("get_{}", f.name)))
        .collect();
    for m in body_statements(class) {
        if m.ty() != "function_definition" {
            continue;
        }
        let Some(mname) = m.field("name").map(|n| ctx.text(n).to_string()) else { continue };
        if !wanted.contains(&mname) {
            continue;
        }
        let Some(params) = m.field("parameters") else { continue };
        let mut c = params.walk();
        let ps: Vec<Node> = params.named_children(&mut c).collect();
        let Some(obj) = ps.get(1).filter(|p| p.ty() == "identifier").map(|p| ctx.text(*p).to_string()) else {
            continue;
        };
        let Some(body) = m.field("body") else { continue };
        s.methods.push((mname, collect_accesses(ctx, &[body], &obj, &HashMap::new())));
    }
    s
}

fn string_list(ctx: &FileCtx, v: Node) -> Option<Vec<String>> {
    if !matches!(v.ty(), "list" | "tuple") {
        return None;
    }
    let mut c = v.walk();
    v.named_children(&mut c).filter(|n| n.ty() != "comment").map(|n| python::string_value(&ctx.src.text, n)).collect()
}

fn meta_fields(ctx: &FileCtx, v: Node) -> MetaFields {
    if python::string_value(&ctx.src.text, v).as_deref() == Some("__all__") {
        return MetaFields::All;
    }
    match string_list(ctx, v) {
        Some(l) => MetaFields::List(l),
        None => MetaFields::Unknown,
    }
}

fn ser_field(ctx: &FileCtx, names: &Names, call: Node, name: String, span: Span) -> Option<SerField> {
    let callee = call_name(ctx, call)?;
    let kind = match callee {
        "SerializerMethodField" => SerFieldKind::Method,
        "StringRelatedField" => SerFieldKind::StringRelated,
        "SlugRelatedField" => SerFieldKind::SlugRelated,
        "HyperlinkedRelatedField" => SerFieldKind::HyperlinkedRelated,
        "PrimaryKeyRelatedField" => SerFieldKind::PrimaryKeyRelated,
        "HiddenField" => return None,
        c if is_serializer_name(c) => SerFieldKind::Nested,
        c if c.ends_with("Field") => SerFieldKind::Other,
        _ => return None,
    };
    let s = |k: &str| kwarg(ctx, call, k).and_then(|v| python::string_value(&ctx.src.text, v));
    let flag = |k: &str| kwarg(ctx, call, k).is_some_and(|v| v.ty() == "true");
    let method = if kind == SerFieldKind::Method {
        s("method_name")
            .or_else(|| python::positional_args(call).first().and_then(|a| python::string_value(&ctx.src.text, *a)))
    } else {
        None
    };
    let serializer =
        if kind == SerFieldKind::Nested { call.field("function").and_then(|f| names.class_ref(ctx, f)) } else { None };
    Some(SerField {
        name,
        span,
        kind,
        source: s("source"),
        many: flag("many"),
        write_only: flag("write_only"),
        serializer,
        method,
        lookup_not_pk: s("lookup_field").is_some_and(|l| l != "pk"),
    })
}

// ---------------------------------------------------------------------------
// Traversal (phase 2)
// ---------------------------------------------------------------------------

/// A relation a serializer loads per row: `path` from the row's model;
/// `prefetch` when it goes through a manager (or a generic foreign key).
#[derive(Debug, Clone)]
pub struct Requirement {
    pub path: Vec<String>,
    pub prefetch: bool,
    /// The serializer field that needs it.
    pub field: Location,
    /// `BookSerializer.author`.
    pub label: String,
}

pub struct Serializers<'a> {
    pub all: Vec<(FileRef<'a>, &'a SerializerClass)>,
    by_name: HashMap<&'a str, Vec<usize>>,
    mros: Vec<Vec<usize>>,
}

impl<'a> Serializers<'a> {
    pub fn new(files: &'a [ProjectFile]) -> Serializers<'a> {
        let mut all = Vec::new();
        for f in files {
            let Some(d) = f.facts.get::<crate::model::django::models::DjangoFacts>() else { continue };
            for s in &d.serializers {
                all.push((FileRef { rel: &f.rel, facts: d }, s));
            }
        }
        let mut by_name: HashMap<&'a str, Vec<usize>> = HashMap::new();
        for (i, (_, s)) in all.iter().enumerate() {
            by_name.entry(s.name.as_str()).or_default().push(i);
        }
        let mut sers = Serializers { all, by_name, mros: Vec::new() };
        sers.mros = (0..sers.all.len()).map(|s| sers.compute_mro(s)).collect();
        sers
    }

    pub fn resolve(&self, r: &ClassRef, from: &str) -> Option<usize> {
        let cands = self.by_name.get(r.name.as_str())?;
        super::models::pick(cands, |c| self.all[c].0.facts.module.as_str(), r, from)
    }

    /// The serializer and its project bases, nearest first.
    fn mro(&self, s: usize) -> &[usize] {
        &self.mros[s]
    }

    fn compute_mro(&self, s: usize) -> Vec<usize> {
        let mut out = vec![s];
        let mut i = 0;
        while i < out.len() && out.len() < 32 {
            let (f, c) = self.all[out[i]];
            for b in &c.bases {
                if let Some(t) = self.resolve(b, &f.facts.module) {
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// The model a serializer's Meta names (its own or an inherited Meta).
    pub fn model(&self, index: &ModelIndex, s: usize) -> Option<usize> {
        let c = self.meta_class(s)?;
        let (f, ser) = self.all[c];
        index.resolve_model_ref(ser.model.as_ref()?, &f.facts.module)
    }

    fn meta_class(&self, s: usize) -> Option<usize> {
        self.mro(s).iter().copied().find(|&c| self.all[c].1.has_meta)
    }

    /// The relations rendering one row of `model` with serializer `s` loads.
    pub fn requirements(&self, index: &ModelIndex, s: usize, model: usize) -> Vec<Requirement> {
        let mut out = Vec::new();
        let here = Here { prefix: Vec::new(), under_manager: false, back: None, depth: 0 };
        self.walk(index, s, model, &here, &mut out);
        out
    }

    fn walk(&self, index: &ModelIndex, s: usize, model: usize, here: &Here, out: &mut Vec<Requirement>) {
        if here.depth > 6 {
            return;
        }
        let mro = self.mro(s);
        let sclass = self.all[s].1;
        let mut seen: HashSet<&str> = HashSet::new();
        let loc = |rel: &str, span: Span| Location { path: rel.to_string(), span, message: None };
        for &c in mro {
            let (f, class) = self.all[c];
            for field in &class.declared {
                if !seen.insert(field.name.as_str()) || field.write_only {
                    continue;
                }
                let label = format!("{}.{}", sclass.name, field.name);
                let floc = loc(f.rel, field.span);
                if field.kind == SerFieldKind::Method {
                    let mname = field.method.clone().unwrap_or_else(|| format!("get_{}", field.name));
                    let Some((_, accesses)) =
                        mro.iter().find_map(|&m| self.all[m].1.methods.iter().find(|(n, _)| *n == mname))
                    else {
                        continue;
                    };
                    for a in accesses {
                        if here.back.is_some() && a.segs.first() == here.back.as_ref() {
                            continue;
                        }
                        access_requirements(index, model, a, here, &floc, &label, out);
                    }
                    continue;
                }
                let source = field.source.clone().unwrap_or_else(|| field.name.clone());
                if source == "*" {
                    if let Some(n) = nested(self, field, f) {
                        self.walk(index, n, model, &here.deeper(&[], false, here.back.clone()), out);
                    }
                    continue;
                }
                let segs: Vec<String> = source.split('.').map(str::to_string).collect();
                if here.back.as_ref() == segs.first() {
                    continue; // the parent object, set by the related manager
                }
                let steps = steps(index, model, &segs);
                let Some(last) = steps.last() else { continue };
                // Only a full walk to a relation counts for relation fields.
                let reaches = last.path.len() == segs.len();
                let mut req = |path: &[String], prefetch: bool| {
                    out.push(Requirement {
                        path: here.path(path),
                        prefetch: prefetch || here.under_manager,
                        field: floc.clone(),
                        label: label.clone(),
                    });
                };
                // Forward relations on the way are loaded whatever the field.
                for st in &steps {
                    if st.kind.single() && (st.path.len() < segs.len() || loads_object(field)) {
                        req(&st.path, !st.kind.selectable());
                    }
                }
                if !last.kind.single() {
                    // A manager: a relation field or nested serializer iterates
                    // it; a plain field reads `source="tags.count"`.
                    let loads = if reaches {
                        field.kind != SerFieldKind::Other
                    } else {
                        segs.get(last.path.len()).is_some_and(|m| matches!(m.as_str(), "all" | "count" | "exists"))
                    };
                    if loads {
                        req(&last.path, true);
                    }
                }
                if field.kind == SerFieldKind::Nested && reaches {
                    if let (Some(n), Some(t)) = (nested(self, field, f), last.target) {
                        let next = here.deeper(&last.path, !last.kind.selectable(), last.reverse_of.clone());
                        self.walk(index, n, t, &next, out);
                    }
                }
            }
        }
        // Implicit fields from Meta.fields.
        let Some(mc) = self.meta_class(s) else { return };
        let (mf, meta) = self.all[mc];
        let names: Vec<String> = match &meta.fields {
            Some(MetaFields::List(l)) => l.clone(),
            Some(MetaFields::All) => index.fields(model).into_iter().map(|(n, _)| n).collect(),
            Some(MetaFields::Unknown) => return,
            None if !meta.exclude.is_empty() => index.fields(model).into_iter().map(|(n, _)| n).collect(),
            None => return,
        };
        let names: Vec<String> =
            names.into_iter().filter(|n| !seen.contains(n.as_str()) && !meta.exclude.contains(n)).collect();
        let meta_loc = Location { path: mf.rel.to_string(), span: meta.span, message: None };
        self.implicit(index, model, &names, here, meta.depth, &meta.name, &meta_loc, out);
    }

    /// Fields `ModelSerializer` builds for `names`: many relations become
    /// `PrimaryKeyRelatedField(many=True)`; with `Meta.depth`, relations
    /// become nested serializers of all fields.
    #[allow(clippy::too_many_arguments)]
    fn implicit(
        &self,
        index: &ModelIndex,
        model: usize,
        names: &[String],
        here: &Here,
        depth: u32,
        sname: &str,
        loc: &Location,
        out: &mut Vec<Requirement>,
    ) {
        for n in names {
            if here.back.as_ref() == Some(n) {
                continue;
            }
            let Some(a) = index.attr(model, n) else { continue };
            let label = format!("{sname}.{n}");
            let path = here.path(std::slice::from_ref(n));
            let many = matches!(a.kind, AttrKind::ManyToMany | AttrKind::ReverseFk | AttrKind::ReverseM2M);
            if !(many || (a.kind == AttrKind::Forward && depth > 0)) {
                continue;
            }
            out.push(Requirement { path, prefetch: many || here.under_manager, field: loc.clone(), label });
            if depth > 0 {
                if let Some(t) = a.target {
                    let all: Vec<String> = index.fields(t).into_iter().map(|(n, _)| n).collect();
                    let next = here.deeper(std::slice::from_ref(n), many, a.reverse_of.clone());
                    self.implicit(index, t, &all, &next, depth - 1, sname, loc, out);
                }
            }
        }
    }
}

/// Where a serializer walk is.
struct Here {
    /// The relation path from the view's rows.
    prefix: Vec<String>,
    /// The path went through a manager: everything below is prefetched.
    under_manager: bool,
    /// The foreign key back to the parent row, which Django sets without a
    /// query on rows loaded through a reverse relation.
    back: Option<String>,
    depth: u32,
}

impl Here {
    fn path(&self, rel: &[String]) -> Vec<String> {
        self.prefix.iter().chain(rel.iter()).cloned().collect()
    }

    fn deeper(&self, rel: &[String], manager: bool, back: Option<String>) -> Here {
        Here { prefix: self.path(rel), under_manager: self.under_manager || manager, back, depth: self.depth + 1 }
    }
}

fn nested(sers: &Serializers, field: &SerField, f: FileRef) -> Option<usize> {
    sers.resolve(field.serializer.as_ref()?, &f.facts.module)
}

/// Does rendering this field load the related object itself (not just its pk)?
fn loads_object(field: &SerField) -> bool {
    match field.kind {
        SerFieldKind::PrimaryKeyRelated => false,
        SerFieldKind::HyperlinkedRelated => field.lookup_not_pk,
        _ => true,
    }
}

fn access_requirements(
    index: &ModelIndex,
    model: usize,
    a: &Access,
    here: &Here,
    floc: &Location,
    label: &str,
    out: &mut Vec<Requirement>,
) {
    let steps = steps(index, model, &a.segs);
    for st in &steps {
        let p = here.path(&st.path);
        if st.kind.single() {
            // `obj.author` read as a whole or through it.
            out.push(Requirement {
                path: p,
                prefetch: here.under_manager || !st.kind.selectable(),
                field: floc.clone(),
                label: label.to_string(),
            });
        } else if a.called
            && a.segs.len() == st.path.len() + 1
            && st.method.as_deref().is_some_and(|m| matches!(m, "all" | "count" | "exists"))
        {
            out.push(Requirement { path: p, prefetch: true, field: floc.clone(), label: label.to_string() });
        }
    }
}
