//! Django settings modules: the facts phase 1 extracts from each candidate
//! settings file, and their resolution into settings chains in phase 2.
//!
//! Phase 1 ([`extract`]) records, per Python file that may hold settings,
//! its module-level statements that shape settings, in source order:
//! UPPERCASE assignments with a classified [`Value`], edits of lists and
//! dicts (`MIDDLEWARE += [...]`, `.append`, `.insert`, `REST_FRAMEWORK["X"] =`),
//! star imports and the `DJANGO_SETTINGS_MODULE` values the file sets.
//!
//! Phase 2 ([`SettingsIndex`]) finds the settings modules of the project,
//! tells development modules from production ones, picks the production
//! roots and computes the [`EffectiveSettings`] of a root: what Django would
//! see after executing the root module and everything it star-imports.
//! A value read from the environment, assigned under a condition or built by
//! code is never treated as a literal.

use crate::config::Config;
use crate::engine::context::FileCtx;
use crate::engine::project::ProjectFile;
use crate::finding::{Location, Span};
use crate::parse::Lang;
use crate::parse::Syntax;
use crate::semantics::descendants;
use crate::semantics::python;
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use tree_sitter::Node;

// ---------------------------------------------------------------------------
// Facts (phase 1)
// ---------------------------------------------------------------------------

/// What a Python file contributes to Django settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsFacts {
    /// Dotted module name derived from the path (`proj/settings/base.py` →
    /// `proj.settings.base`, `proj/settings/__init__.py` → `proj.settings`).
    pub module: String,
    /// The file is a package's `__init__.py` (relative imports start there).
    #[serde(default)]
    pub package: bool,
    /// The module's first statement after its docstring: where findings
    /// about an absent setting point when nothing better exists.
    #[serde(default)]
    pub first_statement: Option<Span>,
    /// Module-level statements that shape settings, in source order.
    #[serde(default)]
    pub statements: Vec<Stmt>,
    /// `DJANGO_SETTINGS_MODULE` values set anywhere in the file
    /// (`os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")`).
    #[serde(default)]
    pub settings_module_refs: Vec<ModuleRef>,
}

impl crate::engine::facts::Fact for SettingsFacts {
    const KEY: &'static str = "django-settings";
}

impl SettingsFacts {
    /// Does the module assign `name` at top level (conditionally or not)?
    pub fn assigns(&self, name: &str) -> bool {
        self.statements.iter().any(|s| matches!(&s.kind, StmtKind::Assign { name: n, .. } if n == name))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleRef {
    pub name: String,
    pub span: Span,
}

/// One module-level statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stmt {
    pub span: Span,
    /// Inside an `if`/`try`/`for`/`while`/`with`/`match` at module level:
    /// it may or may not run.
    #[serde(default)]
    pub conditional: bool,
    pub kind: StmtKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StmtKind {
    /// `NAME = value` (also `A = B = value`, `A, B = 1, 2`, `NAME: T = value`).
    Assign { name: String, value: Value },
    /// `NAME += [...]`, `NAME.append(x)`, `NAME["key"] = v`, ...
    Edit { name: String, edit: Edit },
    /// `from <level dots><module> import *`; level 0 is an absolute import.
    StarImport { level: u32, module: String },
    /// `from <module> import NAME [as ALIAS]` of UPPERCASE names:
    /// (imported name, bound name).
    FromImport { level: u32, module: String, names: Vec<(String, String)> },
    /// Code that can define any setting and cannot be followed
    /// (`include(...)` of django-split-settings, `globals().update(...)`, `exec`).
    Opaque { what: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Edit {
    /// `+=` or `.extend(...)`.
    Extend(Value),
    Append(Value),
    /// `.insert(i, x)`; `index` is `None` when it is not a literal
    /// (`MIDDLEWARE.index("...") + 1`).
    Insert {
        index: Option<i64>,
        value: Value,
    },
    Remove(Value),
    /// `NAME["key"] = value`.
    SetItem {
        key: String,
        value: Value,
    },
    /// `NAME.update({...})`.
    Update(Value),
    /// Any other in-place change (`NAME["a"]["b"] = 1`, `NAME *= 2`).
    Unknown,
}

/// A classified expression. `Name` and `Concat` only occur in facts; phase 2
/// evaluates them against the settings defined before the statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Value {
    Bool(bool),
    None,
    Int(i64),
    Float(f64),
    Str(String),
    /// A list, tuple or set display.
    List(Vec<Value>),
    /// A dict display with string keys.
    Dict(BTreeMap<String, Value>),
    /// Read from the environment (`os.environ[...]`, `os.environ.get`,
    /// `os.getenv`, `env(...)`, `env.bool(...)`, `config(...)`), possibly
    /// transformed (`== "1"`, `.lower()`): never a literal. `default` is the
    /// literal fallback when the expression is the read itself.
    Env {
        var: Option<String>,
        default: Option<Box<Value>>,
    },
    /// A reference to another module-level name (`DEBUG = LOCAL_DEBUG`).
    Name(String),
    /// `a + b + ...` over lists, strings or names.
    Concat(Vec<Value>),
    /// Anything else: computed at run time, not statically known.
    Other,
}

impl Value {
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
    /// The strings of a list of string literals; `None` if any item is not one.
    pub fn as_str_list(&self) -> Option<Vec<&str>> {
        self.as_list()?.iter().map(Value::as_str).collect()
    }
    pub fn as_dict(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }
    pub fn is_env(&self) -> bool {
        matches!(self, Value::Env { .. })
    }
    /// Fully known at analysis time: no environment read, name or code inside.
    pub fn is_literal(&self) -> bool {
        match self {
            Value::Bool(_) | Value::None | Value::Int(_) | Value::Float(_) | Value::Str(_) => true,
            Value::List(l) => l.iter().all(Value::is_literal),
            Value::Dict(d) => d.values().all(Value::is_literal),
            Value::Env { .. } | Value::Name(_) | Value::Concat(_) | Value::Other => false,
        }
    }
}

/// Words in the content of a file that make it worth a look; files under a
/// directory or named like `settings` are always looked at.
const GATE_WORDS: &[&str] = &[
    "INSTALLED_APPS",
    "MIDDLEWARE",
    "DEBUG",
    "SECRET",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "import *",
    "SECURE_",
    "_COOKIE_",
    "REST_FRAMEWORK",
];

fn gate(rel: &str, text: &str) -> bool {
    rel.rsplit('/').any(|c| c.contains("settings")) || GATE_WORDS.iter().any(|w| text.contains(w))
}

/// `proj/settings/base.py` → (`proj.settings.base`, false);
/// `proj/settings/__init__.py` → (`proj.settings`, true).
pub fn module_name(rel: &str) -> (String, bool) {
    let no_ext = rel.strip_suffix(".py").unwrap_or(rel);
    let mut parts: Vec<&str> = no_ext.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").collect();
    let package = parts.last() == Some(&"__init__");
    if package {
        parts.pop();
    }
    (parts.join("."), package)
}

/// Is `name` a Django setting name (UPPERCASE)?
pub fn is_setting_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Phase 1: records the settings facts of a Python file (see the module docs).
pub fn extract(ctx: &mut FileCtx) {
    if ctx.lang != Lang::Python || !gate(ctx.rel, &ctx.src.text) {
        return;
    }
    let (module, package) = module_name(ctx.rel);
    let root = ctx.tree.root_node();
    let mut facts = SettingsFacts { module, package, ..Default::default() };
    let mut c = root.walk();
    let stmts: Vec<Node> = root.named_children(&mut c).filter(|n| n.ty() != "comment").collect();
    let first = stmts.iter().find(|n| !is_docstring(**n)).or(stmts.first());
    facts.first_statement = first.map(|n| ctx.src.span(n.start_byte(), n.end_byte()));
    for s in stmts {
        collect_statement(ctx, s, false, &mut facts.statements);
    }
    facts.settings_module_refs = settings_module_refs(ctx, root);
    if facts.statements.is_empty() && facts.settings_module_refs.is_empty() {
        return;
    }
    ctx.facts.set(facts);
}

fn is_docstring(n: Node) -> bool {
    n.ty() == "expression_statement"
        && n.named_child_count() == 1
        && n.named_child(0).is_some_and(|c| matches!(c.ty(), "string" | "concatenated_string"))
}

fn span_of(ctx: &FileCtx, n: Node) -> Span {
    ctx.src.span(n.start_byte(), n.end_byte())
}

fn collect_statement(ctx: &FileCtx, stmt: Node, conditional: bool, out: &mut Vec<Stmt>) {
    match stmt.ty() {
        "expression_statement" => {
            let mut c = stmt.walk();
            for e in stmt.named_children(&mut c) {
                match e.ty() {
                    "assignment" => collect_assignment(ctx, e, conditional, out),
                    "augmented_assignment" => collect_augmented(ctx, e, conditional, out),
                    "call" => collect_call(ctx, e, conditional, out),
                    _ => {}
                }
            }
        }
        "import_from_statement" => collect_import(ctx, stmt, conditional, out),
        "if_statement" | "try_statement" | "for_statement" | "while_statement" | "with_statement"
        | "match_statement" => {
            for block in blocks_of(stmt) {
                let mut c = block.walk();
                for s in block.named_children(&mut c) {
                    collect_statement(ctx, s, true, out);
                }
            }
        }
        _ => {}
    }
}

/// The statement blocks of a compound statement, including those of its
/// `elif`/`else`/`except`/`finally`/`case` clauses, but not nested ones.
fn blocks_of(stmt: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![stmt];
    while let Some(n) = stack.pop() {
        let mut c = n.walk();
        for child in n.named_children(&mut c) {
            match child.ty() {
                "block" => out.push(child),
                "elif_clause"
                | "else_clause"
                | "except_clause"
                | "except_group_clause"
                | "finally_clause"
                | "case_clause" => stack.push(child),
                _ => {}
            }
        }
    }
    out.sort_by_key(|b| b.start_byte());
    out
}

fn collect_assignment(ctx: &FileCtx, assign: Node, conditional: bool, out: &mut Vec<Stmt>) {
    // `A = B = value`: the right side nests assignments; the value is last.
    let mut targets = Vec::new();
    let mut cur = assign;
    let value = loop {
        if let Some(l) = cur.field("left") {
            targets.push(l);
        }
        match cur.field("right") {
            Some(r) if r.ty() == "assignment" => cur = r,
            other => break other,
        }
    };
    let Some(value) = value else { return }; // `NAME: int` declares nothing
    let span = span_of(ctx, assign);
    let push = |out: &mut Vec<Stmt>, kind: StmtKind| out.push(Stmt { span, conditional, kind });
    for target in targets {
        match target.ty() {
            "identifier" => {
                let name = ctx.text(target);
                if is_setting_name(name) {
                    push(out, StmtKind::Assign { name: name.to_string(), value: classify(ctx, value) });
                }
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" => {
                let mut c = target.walk();
                let names: Vec<Node> = target.named_children(&mut c).collect();
                let values: Option<Vec<Node>> = match value.ty() {
                    "expression_list" | "tuple" | "list" => {
                        let mut c = value.walk();
                        let v: Vec<Node> = value.named_children(&mut c).filter(|n| n.ty() != "comment").collect();
                        (v.len() == names.len()).then_some(v)
                    }
                    _ => None,
                };
                for (i, n) in names.iter().enumerate() {
                    if n.ty() != "identifier" || !is_setting_name(ctx.text(*n)) {
                        continue;
                    }
                    let v = values.as_ref().map(|vs| classify(ctx, vs[i])).unwrap_or(Value::Other);
                    push(out, StmtKind::Assign { name: ctx.text(*n).to_string(), value: v });
                }
            }
            "subscript" => {
                let Some(obj) = target.field("value") else {
                    continue;
                };
                if obj.ty() == "identifier" && is_setting_name(ctx.text(obj)) {
                    let key = target.field("subscript").and_then(|k| python::string_value(&ctx.src.text, k));
                    let edit = match key {
                        Some(key) => Edit::SetItem { key, value: classify(ctx, value) },
                        None => Edit::Unknown,
                    };
                    push(out, StmtKind::Edit { name: ctx.text(obj).to_string(), edit });
                } else if let Some(base) = subscript_base(obj) {
                    // `NAME["a"]["b"] = v`
                    if is_setting_name(ctx.text(base)) {
                        push(out, StmtKind::Edit { name: ctx.text(base).to_string(), edit: Edit::Unknown });
                    }
                }
            }
            _ => {}
        }
    }
}

/// The identifier at the bottom of `a["x"]["y"]`.
fn subscript_base(mut n: Node) -> Option<Node> {
    while n.ty() == "subscript" {
        n = n.field("value")?;
    }
    (n.ty() == "identifier").then_some(n)
}

fn collect_augmented(ctx: &FileCtx, aug: Node, conditional: bool, out: &mut Vec<Stmt>) {
    let (Some(left), Some(right)) = (aug.field("left"), aug.field("right")) else {
        return;
    };
    let name_node = if left.ty() == "identifier" { Some(left) } else { subscript_base(left) };
    let Some(name_node) = name_node else { return };
    let name = ctx.text(name_node);
    if !is_setting_name(name) {
        return;
    }
    let op = aug.field("operator").map(|o| ctx.text(o)).unwrap_or("");
    let edit = if left.ty() == "identifier" && op == "+=" { Edit::Extend(classify(ctx, right)) } else { Edit::Unknown };
    out.push(Stmt { span: span_of(ctx, aug), conditional, kind: StmtKind::Edit { name: name.to_string(), edit } });
}

fn collect_call(ctx: &FileCtx, call: Node, conditional: bool, out: &mut Vec<Stmt>) {
    let Some(func) = call.field("function") else {
        return;
    };
    let span = span_of(ctx, call);
    let pos = python::positional_args(call);
    if func.ty() == "attribute" {
        let (Some(obj), Some(attr)) = (func.field("object"), func.field("attribute")) else {
            return;
        };
        let method = ctx.text(attr);
        if obj.ty() == "identifier" && is_setting_name(ctx.text(obj)) {
            let arg = |i: usize| pos.get(i).map(|a| classify(ctx, *a)).unwrap_or(Value::Other);
            let edit = match method {
                "append" => Edit::Append(arg(0)),
                "extend" => Edit::Extend(arg(0)),
                "remove" => Edit::Remove(arg(0)),
                "insert" => Edit::Insert { index: pos.first().and_then(|i| classify(ctx, *i).as_int()), value: arg(1) },
                "update" => Edit::Update(arg(0)),
                "pop" | "clear" | "setdefault" | "discard" | "add" | "sort" | "reverse" => Edit::Unknown,
                _ => return,
            };
            out.push(Stmt { span, conditional, kind: StmtKind::Edit { name: ctx.text(obj).to_string(), edit } });
            return;
        }
        // `globals().update(...)`, `locals().update(...)`, `vars().update(...)`
        if method == "update" && obj.ty() == "call" {
            let inner = obj.field("function").map(|f| ctx.text(f)).unwrap_or("");
            if matches!(inner, "globals" | "locals" | "vars") {
                out.push(Stmt { span, conditional, kind: StmtKind::Opaque { what: format!("{inner}().update") } });
            }
        }
        return;
    }
    if func.ty() == "identifier" {
        let q = ctx.qualified_name(func).unwrap_or_default();
        let opaque = match q.as_str() {
            "split_settings.tools.include" => Some("include"),
            "builtins.exec" => Some("exec"),
            _ => None,
        };
        if let Some(what) = opaque {
            out.push(Stmt { span, conditional, kind: StmtKind::Opaque { what: what.to_string() } });
        }
    }
}

fn collect_import(ctx: &FileCtx, stmt: Node, conditional: bool, out: &mut Vec<Stmt>) {
    let Some(m) = stmt.field("module_name") else {
        return;
    };
    let (level, module) = match m.ty() {
        "relative_import" => {
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
        _ => (0, ctx.text(m).to_string()),
    };
    let span = span_of(ctx, stmt);
    let mut c = stmt.walk();
    if stmt.named_children(&mut c).any(|n| n.ty() == "wildcard_import") {
        out.push(Stmt { span, conditional, kind: StmtKind::StarImport { level, module } });
        return;
    }
    let mut names = Vec::new();
    let mut c = stmt.walk();
    for n in stmt.children_by_field_name("name", &mut c) {
        let (name, alias) = match n.ty() {
            "dotted_name" => (ctx.text(n), ctx.text(n)),
            "aliased_import" => match (n.field("name"), n.field("alias")) {
                (Some(a), Some(b)) => (ctx.text(a), ctx.text(b)),
                _ => continue,
            },
            _ => continue,
        };
        if is_setting_name(alias) {
            names.push((name.to_string(), alias.to_string()));
        }
    }
    if !names.is_empty() {
        out.push(Stmt { span, conditional, kind: StmtKind::FromImport { level, module, names } });
    }
}

fn parse_int(text: &str) -> Option<i64> {
    let t = text.replace('_', "");
    let lower = t.to_ascii_lowercase();
    if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else {
        lower.parse().ok()
    }
}

/// Classifies an expression (see [`Value`]).
pub fn classify(ctx: &FileCtx, n: Node) -> Value {
    match n.ty() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "none" => Value::None,
        "integer" => parse_int(ctx.text(n)).map(Value::Int).unwrap_or(Value::Other),
        // Finite only: facts must survive a JSON round trip.
        "float" => match ctx.text(n).replace('_', "").parse::<f64>() {
            Ok(f) if f.is_finite() => Value::Float(f),
            _ => Value::Other,
        },
        "string" | "concatenated_string" => match python::string_value(&ctx.src.text, n) {
            Some(s) => Value::Str(s),
            None => env_or_other(ctx, n),
        },
        "parenthesized_expression" => n.named_child(0).map(|i| classify(ctx, i)).unwrap_or(Value::Other),
        "identifier" => Value::Name(ctx.text(n).to_string()),
        "list" | "tuple" | "set" | "expression_list" => {
            // `[*BASE, "x"]` becomes BASE + ["x"].
            let mut parts = Vec::new();
            let mut items = Vec::new();
            let mut c = n.walk();
            for item in n.named_children(&mut c) {
                match item.ty() {
                    "comment" => {}
                    "list_splat" => {
                        if !items.is_empty() {
                            parts.push(Value::List(std::mem::take(&mut items)));
                        }
                        parts.push(item.named_child(0).map(|i| classify(ctx, i)).unwrap_or(Value::Other));
                    }
                    _ => items.push(classify(ctx, item)),
                }
            }
            if parts.is_empty() {
                Value::List(items)
            } else {
                if !items.is_empty() {
                    parts.push(Value::List(items));
                }
                Value::Concat(parts)
            }
        }
        "dictionary" => {
            let mut d = BTreeMap::new();
            let mut c = n.walk();
            for pair in n.named_children(&mut c) {
                match pair.ty() {
                    "comment" => {}
                    "pair" => {
                        let (Some(k), Some(v)) = (pair.field("key"), pair.field("value")) else {
                            return Value::Other;
                        };
                        let Some(k) = python::string_value(&ctx.src.text, k) else {
                            return Value::Other;
                        };
                        d.insert(k, classify(ctx, v));
                    }
                    _ => return env_or_other(ctx, n),
                }
            }
            Value::Dict(d)
        }
        "unary_operator" => {
            let op = n.field("operator").map(|o| ctx.text(o)).unwrap_or("");
            match (op, n.field("argument").map(|a| classify(ctx, a))) {
                ("-", Some(Value::Int(i))) => Value::Int(-i),
                ("-", Some(Value::Float(f))) => Value::Float(-f),
                ("+", Some(v @ (Value::Int(_) | Value::Float(_)))) => v,
                _ => env_or_other(ctx, n),
            }
        }
        "binary_operator" => {
            let (Some(l), Some(r)) = (n.field("left"), n.field("right")) else {
                return Value::Other;
            };
            let op = n.field("operator").map(|o| ctx.text(o)).unwrap_or("");
            let (lv, rv) = (classify(ctx, l), classify(ctx, r));
            if lv.is_env() || rv.is_env() {
                return env_or_other(ctx, n);
            }
            if let (Some(a), Some(b)) = (int_only(&lv), int_only(&rv)) {
                let folded = match op {
                    "+" => a.checked_add(b),
                    "-" => a.checked_sub(b),
                    "*" => a.checked_mul(b),
                    "//" if b != 0 => Some(a.div_euclid(b)),
                    "**" if (0..63).contains(&b) => a.checked_pow(b as u32),
                    _ => None,
                };
                return folded.map(Value::Int).unwrap_or(Value::Other);
            }
            if op == "+" && concatenable(&lv) && concatenable(&rv) {
                let mut parts = Vec::new();
                for v in [lv, rv] {
                    match v {
                        Value::Concat(p) => parts.extend(p),
                        other => parts.push(other),
                    }
                }
                return Value::Concat(parts);
            }
            Value::Other
        }
        _ => env_or_other(ctx, n),
    }
}

fn int_only(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

fn concatenable(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::Str(_) | Value::Name(_) | Value::Concat(_))
}

fn env_or_other(ctx: &FileCtx, n: Node) -> Value {
    match env_read(ctx, n) {
        Some((read, var)) => {
            // A default only when the expression is the read itself.
            let default = if read == n { env_default(ctx, read) } else { None };
            Value::Env { var, default: default.map(Box::new) }
        }
        None => Value::Other,
    }
}

/// Object names that conventionally hold an environment reader
/// (django-environ's `env = environ.Env()`, environs' `env = Env()`,
/// python-decouple's `config`).
const ENV_OBJECTS: &[&str] = &["env", "config", "getenv", "get_env", "env_var"];

/// The first environment read inside `n`, with the variable it reads.
fn env_read<'t>(ctx: &FileCtx, n: Node<'t>) -> Option<(Node<'t>, Option<String>)> {
    let mut found = None;
    descendants(n, |d| {
        if found.is_some() {
            return false;
        }
        if matches!(d.ty(), "lambda" | "function_definition") {
            return false;
        }
        if is_env_read(ctx, d) {
            let var = match d.ty() {
                "call" => python::positional_args(d).first().and_then(|a| python::string_value(&ctx.src.text, *a)),
                "subscript" => d.field("subscript").and_then(|s| python::string_value(&ctx.src.text, s)),
                _ => None,
            };
            found = Some((d, var));
            return false;
        }
        true
    });
    found
}

fn is_env_read(ctx: &FileCtx, d: Node) -> bool {
    match d.ty() {
        "call" => {
            let Some(f) = d.field("function") else {
                return false;
            };
            if let Some(q) = ctx.qualified_name(f) {
                if q == "os.getenv" || q.starts_with("os.environ.") || q.starts_with("decouple.") {
                    return true;
                }
            }
            match f.ty() {
                "identifier" => ENV_OBJECTS.contains(&ctx.text(f)),
                // env.bool(...), env.str(...), config.get(...)
                "attribute" => {
                    f.field("object").is_some_and(|o| o.ty() == "identifier" && ENV_OBJECTS.contains(&ctx.text(o)))
                }
                _ => false,
            }
        }
        // os.environ["X"], environ["X"]
        "subscript" => d.field("value").is_some_and(|v| {
            matches!(v.ty(), "attribute" | "identifier") && ctx.qualified_name(v).is_some_and(|q| q == "os.environ")
        }),
        // `"X" in os.environ`, `dict(os.environ)`
        "attribute" => ctx.qualified_name(d).is_some_and(|q| q == "os.environ"),
        "identifier" => {
            // `from os import environ` → `environ["X"]`
            d.up().is_none_or(|p| p.ty() != "attribute" || p.field("object") == Some(d))
                && ctx.qualified_name(d).is_some_and(|q| q == "os.environ")
        }
        _ => false,
    }
}

fn env_default(ctx: &FileCtx, read: Node) -> Option<Value> {
    if read.ty() != "call" {
        return None;
    }
    if let Some((_, v)) = python::keyword_args(&ctx.src.text, read).into_iter().find(|(k, _)| k == "default") {
        return Some(classify(ctx, v));
    }
    let f = read.field("function")?;
    let q = ctx.qualified_name(f).unwrap_or_default();
    if q == "os.getenv" || q == "os.environ.get" {
        return python::positional_args(read).get(1).map(|a| classify(ctx, *a));
    }
    None
}

/// `DJANGO_SETTINGS_MODULE` values the file sets: the argument after the
/// key in a call (`os.environ.setdefault(KEY, "x")`), or the right side of
/// `os.environ[KEY] = "x"`; a variable there is followed to its string
/// assignments in the same file.
fn settings_module_refs(ctx: &FileCtx, root: Node) -> Vec<ModuleRef> {
    if !ctx.src.text.contains("DJANGO_SETTINGS_MODULE") {
        return Vec::new();
    }
    let mut values = Vec::new();
    descendants(root, |n| {
        if n.ty() != "string" || python::string_value(&ctx.src.text, n).as_deref() != Some("DJANGO_SETTINGS_MODULE") {
            return true;
        }
        let Some(parent) = n.up() else {
            return false;
        };
        match parent.ty() {
            "argument_list" => {
                let mut c = parent.walk();
                let args: Vec<Node> = parent.named_children(&mut c).filter(|a| a.ty() != "comment").collect();
                if let Some(i) = args.iter().position(|a| *a == n) {
                    if let Some(v) = args.get(i + 1) {
                        values.push(*v);
                    }
                }
            }
            "subscript" => {
                if let Some(a) = parent.up().filter(|a| a.ty() == "assignment") {
                    if a.field("left") == Some(parent) {
                        if let Some(r) = a.field("right") {
                            values.push(r);
                        }
                    }
                }
            }
            _ => {}
        }
        false
    });
    let mut out = Vec::new();
    for v in values {
        for s in module_strings(ctx, root, v, 0) {
            if !out.iter().any(|r: &ModuleRef| r.name == s.0 && r.span == s.1) {
                out.push(ModuleRef { name: s.0, span: s.1 });
            }
        }
    }
    out
}

fn module_strings(ctx: &FileCtx, root: Node, v: Node, depth: u32) -> Vec<(String, Span)> {
    if depth > 3 {
        return Vec::new();
    }
    match v.ty() {
        "string" | "concatenated_string" => python::string_value(&ctx.src.text, v)
            .filter(|s| !s.is_empty() && s.split('.').all(|p| !p.is_empty() && !p.contains(char::is_whitespace)))
            .map(|s| vec![(s, span_of(ctx, v))])
            .unwrap_or_default(),
        "conditional_expression" | "parenthesized_expression" | "boolean_operator" => {
            let mut c = v.walk();
            let kids: Vec<Node> = v.named_children(&mut c).collect();
            let mut out = Vec::new();
            for (i, k) in kids.iter().enumerate() {
                // The middle operand of `a if cond else b` is the condition.
                if v.ty() == "conditional_expression" && i == 1 {
                    continue;
                }
                out.extend(module_strings(ctx, root, *k, depth + 1));
            }
            out
        }
        "identifier" => {
            let name = ctx.text(v);
            let mut out = Vec::new();
            descendants(root, |n| {
                if n.ty() == "assignment"
                    && n.field("left").is_some_and(|l| l.ty() == "identifier" && ctx.text(l) == name)
                {
                    if let Some(r) = n.field("right") {
                        out.extend(module_strings(ctx, root, r, depth + 1));
                    }
                }
                true
            });
            out
        }
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// Resolution (phase 2)
// ---------------------------------------------------------------------------

/// Parts of a file or module name that mark a development settings module.
/// Examples and templates (`settings_example.py`, `settings.sample.py`) are
/// copied and edited before they are deployed: treated the same way.
pub const DEVELOPMENT_WORDS: &[&str] = &[
    "dev",
    "devel",
    "develop",
    "development",
    "local",
    "test",
    "tests",
    "testing",
    "ci",
    "example",
    "examples",
    "sample",
    "template",
    "build",
    "docs",
    "testutils",
    "testsettings",
    "demo",
    "sandbox",
];

/// Module names that mark a configuration meant to be deployed.
const DEPLOYMENT_WORDS: &[&str] = &["prod", "production", "staging", "stage", "live", "deploy", "deployment"];

/// Module names that mark a base meant to be extended, not deployed alone.
const BASE_WORDS: &[&str] = &["base", "common", "default", "defaults", "shared", "global", "components"];

/// A Python module of the project.
pub struct Module<'a> {
    pub file: &'a ProjectFile,
    /// Index of `file` in `ProjectCtx::files`.
    pub file_index: usize,
    /// Dotted name from the path relative to the scanned root, used to
    /// resolve imports (`backend.proj.settings`).
    pub name: Rc<str>,
    /// The name Python knows it by: relative to the directory holding
    /// `manage.py` (`proj.settings`), for messages.
    pub display: Rc<str>,
    pub package: bool,
    pub facts: Option<&'a SettingsFacts>,
}

/// Where a setting got its value: a statement of `module`, reached from
/// the root through `via` (the star-import chain, root first, ending with
/// `module`); `imports[i]` is the import statement in `via[i]` that brings
/// in `via[i + 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub module: usize,
    pub span: Span,
    pub via: Vec<usize>,
    pub imports: Vec<Span>,
}

impl Site {
    /// Prepends the import of `importer` that brought this site in.
    fn reroot(&mut self, importer: usize, import: Span) {
        self.via.insert(0, importer);
        self.imports.insert(0, import);
    }

    /// The import in the root module that brings the value in, if the
    /// value comes from another module.
    pub fn root_import(&self) -> Option<(usize, Span)> {
        Some((*self.via.first()?, *self.imports.first()?))
    }
}

/// The value a setting ends up with for one root settings module.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The evaluated value (`Name`s and `Concat`s resolved where possible).
    pub value: Value,
    /// The value may differ: assigned, edited or imported under a
    /// condition, or possibly overridden by code we cannot follow (a star
    /// import of a module missing from the project, `include(...)`).
    pub uncertain: bool,
    /// A list that may hold items we cannot see (extended by code).
    pub open: bool,
    /// List items added or removed under a condition.
    pub maybe: Vec<String>,
    /// The assignment that gave the setting its value.
    pub site: Site,
    /// Later in-place edits (`+=`, `.append`, `["key"] =`), in order.
    pub edits: Vec<Site>,
}

impl Setting {
    fn new(value: Value, uncertain: bool, site: Site) -> Setting {
        Setting { value, uncertain, open: false, maybe: Vec::new(), site, edits: Vec::new() }
    }

    /// The value, unless a condition or an edit we cannot see makes it
    /// uncertain. Parts of it may still be unknown (`Value::Env`,
    /// `Value::Other`), e.g. one key of a dict read from the environment.
    pub fn certain(&self) -> Option<&Value> {
        if self.uncertain || self.open || !self.maybe.is_empty() {
            return None;
        }
        Some(&self.value)
    }

    /// The value when it is certain and wholly literal.
    pub fn literal(&self) -> Option<&Value> {
        self.certain().filter(|v| v.is_literal())
    }

    /// Is the value certainly the literal `true`/`false`?
    pub fn is_literal_bool(&self, b: bool) -> bool {
        self.literal().and_then(Value::as_bool) == Some(b)
    }

    /// Does the list certainly contain `item` (`Some(true)`), certainly not
    /// (`Some(false)`), or cannot we tell (`None`)?
    pub fn list_contains(&self, item: &str) -> Option<bool> {
        if self.uncertain || self.maybe.iter().any(|m| m == item) {
            return None;
        }
        let items = self.value.as_list()?;
        if items.iter().any(|v| v.as_str() == Some(item)) {
            return Some(true);
        }
        if self.open || items.iter().any(|v| v.as_str().is_none()) {
            return None;
        }
        Some(false)
    }
}

/// The settings of one root module after executing it.
#[derive(Debug, Clone)]
pub struct EffectiveSettings {
    pub root: usize,
    pub values: BTreeMap<String, Setting>,
    /// Star imports that could not be followed (module not in the project):
    /// they may define anything.
    pub unresolved: Vec<Site>,
    /// Code that may define anything (`include(...)`, `globals().update`).
    pub opaque: Vec<Site>,
    /// The modules executed, root first, in the order they ran.
    pub modules: Vec<usize>,
}

impl EffectiveSettings {
    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.values.get(name)
    }

    /// The value of `name` when it is certain (see [`Setting::certain`]).
    pub fn certain(&self, name: &str) -> Option<&Value> {
        self.values.get(name).and_then(Setting::certain)
    }

    /// The value of `name` when it is certain and wholly literal.
    pub fn literal(&self, name: &str) -> Option<&Value> {
        self.values.get(name).and_then(Setting::literal)
    }

    /// Is `name` certainly not set (not assigned anywhere in the chain and
    /// nothing we could not follow might set it)?
    pub fn is_absent(&self, name: &str) -> bool {
        !self.values.contains_key(name) && self.unresolved.is_empty() && self.opaque.is_empty()
    }
}

/// Django's middleware the settings rules look for.
pub const SECURITY_MIDDLEWARE: &str = "django.middleware.security.SecurityMiddleware";
pub const CSRF_MIDDLEWARE: &str = "django.middleware.csrf.CsrfViewMiddleware";
pub const CLICKJACKING_MIDDLEWARE: &str = "django.middleware.clickjacking.XFrameOptionsMiddleware";
pub const SESSION_MIDDLEWARE: &str = "django.contrib.sessions.middleware.SessionMiddleware";
pub const CSP_MIDDLEWARE: &str = "django.middleware.csp.ContentSecurityPolicyMiddleware";

/// What a settings rule knows about one setting of a root.
pub enum State<'s> {
    /// Not set anywhere in the chain, and nothing we could not follow
    /// might set it: Django's default applies.
    Absent,
    /// Certainly this wholly literal value.
    Literal(&'s Value, &'s Setting),
    /// Read from the environment, computed, conditional, or possibly
    /// overridden by code we cannot follow: never judged.
    Unknown,
}

impl EffectiveSettings {
    pub fn state(&self, name: &str) -> State<'_> {
        match self.values.get(name) {
            None if self.is_absent(name) => State::Absent,
            None => State::Unknown,
            Some(s) => match s.literal() {
                Some(v) => State::Literal(v, s),
                None => State::Unknown,
            },
        }
    }

    /// Is the middleware `path` installed? `Some(true)` when `MIDDLEWARE`
    /// certainly lists it, or a class named like it (a project's subclass,
    /// `myproj.middleware.StrictSecurityMiddleware`); `Some(false)` when the
    /// list is fully known and holds neither; `None` when we cannot tell,
    /// including when `MIDDLEWARE` is not set in the chain at all.
    pub fn has_middleware(&self, path: &str) -> Option<bool> {
        let s = self.get("MIDDLEWARE")?;
        let class = path.rsplit('.').next().unwrap_or(path);
        let matches = |item: &str| item == path || item.rsplit('.').next().is_some_and(|c| c.ends_with(class));
        contains_where(s, matches)
    }

    /// Is Django's own middleware `path` installed, by its exact path? The
    /// rules that depend on what a Django middleware does with a setting
    /// (`SECURE_HSTS_SECONDS` for SecurityMiddleware, `CSRF_COOKIE_SECURE`
    /// for CsrfViewMiddleware) apply only then, like Django's own checks: a
    /// project class with a similar name may do something else entirely.
    pub fn has_exact_middleware(&self, path: &str) -> Option<bool> {
        let s = self.get("MIDDLEWARE")?;
        contains_where(s, |item| item == path)
    }

    /// Is the app installed (`"django.contrib.sessions"` or one of its
    /// AppConfig paths)? Same answers as [`Self::has_middleware`].
    pub fn has_app(&self, app: &str) -> Option<bool> {
        let s = self.get("INSTALLED_APPS")?;
        let prefix = format!("{app}.");
        contains_where(s, |item| item == app || item.starts_with(&prefix))
    }

    /// Where a finding about something absent points: the `MIDDLEWARE`
    /// assignment the chain resolves to, else the root's first statement.
    pub fn absent_site(&self, index: &SettingsIndex) -> Site {
        match self.get("MIDDLEWARE") {
            Some(mw) => mw.site.clone(),
            None => {
                let span = index.first_statement(self.root, None).span;
                Site { module: self.root, span, via: vec![self.root], imports: Vec::new() }
            }
        }
    }
}

fn contains_where(s: &Setting, matches: impl Fn(&str) -> bool) -> Option<bool> {
    let items = s.value.as_list()?;
    if s.uncertain || s.maybe.iter().any(|m| matches(m)) {
        return None;
    }
    if items.iter().any(|v| v.as_str().is_some_and(&matches)) {
        return Some(true);
    }
    if s.open || items.iter().any(|v| v.as_str().is_none()) {
        return None;
    }
    Some(false)
}

/// Is the literal false in Python's eyes (`False`, `0`, `None`, `""`, `[]`)?
pub fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::Float(f) => *f == 0.0,
        Value::None => true,
        Value::Str(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Dict(d) => d.is_empty(),
        _ => false,
    }
}

/// A short rendering of a literal for messages (`False`, `0`, `["*"]`).
pub fn show(v: &Value) -> String {
    match v {
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::None => "None".into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => format!("{s:?}"),
        Value::List(l) => format!("[{}]", l.iter().map(show).collect::<Vec<_>>().join(", ")),
        Value::Dict(_) => "{...}".into(),
        _ => "...".into(),
    }
}

/// A finding of a settings rule for one root, before deduplication.
pub struct Issue {
    pub site: Site,
    pub message: String,
    pub severity: Option<crate::finding::Severity>,
    /// `None`: the rule's own confidence.
    pub confidence: Option<crate::finding::Confidence>,
}

/// Collects a settings rule's issues over every root it evaluates and
/// reports one finding per location; every production root reaching the
/// location through an import adds a related location.
pub struct Reporter<'i, 'a> {
    pub index: &'i SettingsIndex<'a>,
    hits: BTreeMap<(usize, u32, u32), (Issue, Vec<Site>)>,
    extra: BTreeMap<(usize, u32, u32), Vec<Location>>,
}

impl<'i, 'a> Reporter<'i, 'a> {
    pub fn new(index: &'i SettingsIndex<'a>) -> Self {
        Reporter { index, hits: BTreeMap::new(), extra: BTreeMap::new() }
    }

    /// Has an issue been recorded at this site already (by an earlier root)?
    pub fn has(&self, site: &Site) -> bool {
        self.hits.contains_key(&(site.module, site.span.start_line, site.span.start_column))
    }

    pub fn add(&mut self, issue: Issue) {
        let key = (issue.site.module, issue.site.span.start_line, issue.site.span.start_column);
        let site = issue.site.clone();
        self.hits.entry(key).or_insert_with(|| (issue, Vec::new())).1.push(site);
    }

    /// A setting that must be on: reports it when absent (at the settings'
    /// MIDDLEWARE site, naming the chain) or set to a falsy literal (at the
    /// assignment). `consequence` says what goes wrong, `fix` how to set it.
    /// Returns true when it reported.
    pub fn require_on(&mut self, eff: &EffectiveSettings, name: &str, consequence: &str, fix: &str) -> bool {
        let index = self.index;
        let issue = match eff.state(name) {
            State::Absent => Issue {
                site: eff.absent_site(index),
                message: format!(
                    "{name} is not set (production settings {}): {consequence}; {fix}",
                    index.root_chain(eff)
                ),
                severity: None,
                confidence: None,
            },
            State::Literal(v, s) if is_falsy(v) => Issue {
                site: s.site.clone(),
                message: format!("{name} = {} (production settings {}): {consequence}", show(v), index.chain(&s.site)),
                severity: None,
                confidence: None,
            },
            _ => return false,
        };
        self.add(issue);
        true
    }

    /// Adds a related location to the finding at `site` (once).
    pub fn add_related(&mut self, site: &Site, loc: Location) {
        let v = self.extra.entry((site.module, site.span.start_line, site.span.start_column)).or_default();
        if !v.contains(&loc) {
            v.push(loc);
        }
    }

    pub fn finish(mut self, out: &mut crate::engine::project::ProjectOut) {
        for (key, (issue, sites)) in std::mem::take(&mut self.hits) {
            let f = out.report(self.index.site_location(&issue.site, None), issue.message);
            f.severity = issue.severity;
            if issue.confidence.is_some() {
                f.confidence = issue.confidence;
            }
            for loc in self.extra.remove(&key).unwrap_or_default() {
                f.related(loc);
            }
            let mut seen = Vec::new();
            for s in &sites {
                if let Some((root, import)) = s.root_import() {
                    if seen.contains(&(root, import.start_line)) {
                        continue;
                    }
                    seen.push((root, import.start_line));
                    let why = format!("settings module {} imports it here", self.index.name(root));
                    f.related(self.index.location(root, import, Some(why)));
                }
            }
        }
    }
}

/// The shared check of the `missing-*-middleware` rules: every production
/// root whose `MIDDLEWARE` certainly lacks `path` (and for which the rule
/// does not find the middleware `irrelevant`), reported at the
/// `MIDDLEWARE` assignment.
pub fn missing_middleware(
    ctx: &crate::engine::project::ProjectCtx,
    out: &mut crate::engine::project::ProjectOut,
    path: &str,
    consequence: &str,
    irrelevant: impl Fn(&SettingsIndex, &EffectiveSettings) -> bool,
) {
    let index = SettingsIndex::shared(ctx);
    let mut r = Reporter::new(&index);
    let class = path.rsplit('.').next().unwrap_or(path);
    for eff in index.production_settings() {
        if eff.has_middleware(path) != Some(false) || irrelevant(&index, &eff) {
            continue;
        }
        let message = format!(
            "{class} is not in MIDDLEWARE (production settings {}): {consequence}; add \"{path}\"",
            index.root_chain(&eff)
        );
        // `MIDDLEWARE.remove("...")` is where the reader must look.
        let removal = eff.get("MIDDLEWARE").and_then(|mw| {
            mw.edits.iter().rev().find(|e| {
                matches!(index.statement(e).map(|st| &st.kind),
                    Some(StmtKind::Edit { edit: Edit::Remove(Value::Str(v)), .. }) if v == path)
            })
        });
        let site = removal.cloned().unwrap_or_else(|| eff.absent_site(&index));
        r.add(Issue { site, message, severity: None, confidence: None });
    }
    r.finish(out);
}

/// The settings modules of a project and how they relate.
pub struct SettingsIndex<'a> {
    pub modules: Vec<Module<'a>>,
    config: &'a Config,
    shared: Rc<Shared>,
}

/// What the index knows without borrowing the facts, and what the rules
/// derive alike from it (star imports, settings modules, roots): built
/// once per phase 2 and shared by the settings rules through
/// `ProjectCtx::memo` (see [`SettingsIndex::shared`]), the derived parts
/// on first use.
struct Shared {
    /// Per module: (file index, name, display name, package).
    modules: Vec<(usize, Rc<str>, Rc<str>, bool)>,
    by_name: HashMap<Rc<str>, Vec<usize>>,
    /// Modules by the last component of their name, in module order: a
    /// module `resolve_dotted` accepts for `a.b` ends with `b`.
    by_last: HashMap<Rc<str>, Vec<usize>>,
    /// The config's `production-settings` globs with their directories.
    production_globs: Vec<(std::path::PathBuf, globset::GlobMatcher)>,
    /// Per module: the modules its star imports resolve to, in statement
    /// order, each with whether the import is conditional.
    star: OnceCell<Vec<Vec<(usize, bool)>>>,
    targeted: OnceCell<BTreeSet<usize>>,
    settings: OnceCell<BTreeSet<usize>>,
    /// Production roots, development roots.
    roots: [OnceCell<Vec<usize>>; 2],
}

impl Shared {
    fn build(files: &[ProjectFile], config: &Config) -> Shared {
        let mut modules = Vec::new();
        let mut by_name: HashMap<Rc<str>, Vec<usize>> = HashMap::new();
        let mut by_last: HashMap<Rc<str>, Vec<usize>> = HashMap::new();
        let manage_dirs: BTreeSet<&str> = files
            .iter()
            .filter_map(|f| match f.rel.rsplit_once('/') {
                Some((dir, "manage.py")) => Some(dir),
                None if f.rel == "manage.py" => Some(""),
                _ => None,
            })
            .collect();
        for (i, f) in files.iter().enumerate() {
            if f.lang != Lang::Python {
                continue;
            }
            let (name, package) = module_name(&f.rel);
            let display: Rc<str> = display_name(&f.rel, &name, &manage_dirs).into();
            let name: Rc<str> = name.into();
            by_name.entry(name.clone()).or_default().push(modules.len());
            by_last.entry(last_component(&name).into()).or_default().push(modules.len());
            modules.push((i, name, display, package));
        }
        // Globs were validated when the config was loaded.
        let production_globs = config
            .production_settings
            .iter()
            .filter_map(|(dir, g)| Some((dir.clone(), globset::Glob::new(g).ok()?.compile_matcher())))
            .collect();
        Shared {
            modules,
            by_name,
            by_last,
            production_globs,
            star: OnceCell::new(),
            targeted: OnceCell::new(),
            settings: OnceCell::new(),
            roots: [OnceCell::new(), OnceCell::new()],
        }
    }
}

/// How deep star-import chains are followed.
const MAX_DEPTH: usize = 32;

fn last_component(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

impl<'a> SettingsIndex<'a> {
    /// Indexes every Python file of the project as a module.
    pub fn new(files: &'a [ProjectFile], config: &'a Config) -> SettingsIndex<'a> {
        Self::with(files, config, Rc::new(Shared::build(files, config)))
    }

    /// The index of the project phase `ctx`, sharing its module table and
    /// derived sets with the other rules of the phase.
    pub fn shared(ctx: &crate::engine::project::ProjectCtx<'a>) -> SettingsIndex<'a> {
        let shared = ctx.memo.get_or_insert(|| Shared::build(ctx.files, ctx.config));
        Self::with(ctx.files, ctx.config, shared)
    }

    fn with(files: &'a [ProjectFile], config: &'a Config, shared: Rc<Shared>) -> SettingsIndex<'a> {
        let modules = shared
            .modules
            .iter()
            .map(|(i, name, display, package)| {
                let f = &files[*i];
                Module {
                    file: f,
                    file_index: *i,
                    name: name.clone(),
                    display: display.clone(),
                    package: *package,
                    facts: f.facts.get::<crate::model::django::settings::SettingsFacts>(),
                }
            })
            .collect();
        SettingsIndex { modules, config, shared }
    }

    /// The module's name as Python knows it (see [`Module::display`]).
    pub fn name(&self, m: usize) -> &str {
        &self.modules[m].display
    }

    /// A location in module `m`.
    pub fn location(&self, m: usize, span: Span, message: Option<String>) -> Location {
        Location { path: self.modules[m].file.rel.clone(), span, message }
    }

    pub fn site_location(&self, site: &Site, message: Option<String>) -> Location {
        self.location(site.module, site.span, message)
    }

    /// Every module a root executes: `proj.settings.production →
    /// proj.settings.base`.
    pub fn root_chain(&self, eff: &EffectiveSettings) -> String {
        eff.modules.iter().map(|m| self.name(*m)).collect::<Vec<_>>().join(" → ")
    }

    /// The fact statement a site points at.
    pub fn statement(&self, site: &Site) -> Option<&'a Stmt> {
        self.modules[site.module].facts?.statements.iter().find(|s| s.span == site.span)
    }

    /// `proj.settings.production → proj.settings.base`
    pub fn chain(&self, site: &Site) -> String {
        site.via.iter().map(|m| self.name(*m)).collect::<Vec<_>>().join(" → ")
    }

    /// The first statement of module `m` (the top of the file if unknown).
    pub fn first_statement(&self, m: usize, message: Option<String>) -> Location {
        let span = self.modules[m].facts.and_then(|f| f.first_statement).unwrap_or(Span {
            start_line: 1,
            start_column: 1,
            end_line: 1,
            end_column: 1,
            start_byte: 0,
            end_byte: 0,
        });
        self.location(m, span, message)
    }

    /// Resolves an absolute dotted module name. When several files match
    /// (`proj.settings` in two projects of a monorepo), the one sharing the
    /// longest source root with `near` wins, then the shortest path.
    pub fn resolve_dotted(&self, name: &str, near: Option<usize>) -> Option<usize> {
        if name.is_empty() {
            return None;
        }
        let suffix = format!(".{name}");
        let near_name = near.map(|n| &*self.modules[n].name);
        // (shares a source root with `near`, root length preference, shorter name, index)
        let mut best: Option<(bool, usize, usize, usize)> = None;
        // Only modules whose name ends like `name` can match.
        let candidates = self.shared.by_last.get(last_component(name)).map(Vec::as_slice).unwrap_or_default();
        for &i in candidates {
            let m = &self.modules[i];
            let root = if *m.name == *name {
                ""
            } else if m.name.ends_with(&suffix) {
                &m.name[..m.name.len() - suffix.len()]
            } else {
                continue;
            };
            let shares = near_name.is_some_and(|n| root.is_empty() || n == root || n.starts_with(&format!("{root}.")));
            let key = (shares, if shares { root.len() } else { usize::MAX - root.len() }, usize::MAX - m.name.len(), i);
            let better = match best {
                None => true,
                Some(b) => (key.0, key.1, key.2) > (b.0, b.1, b.2),
            };
            if better {
                best = Some(key);
            }
        }
        best.map(|b| b.3)
    }

    /// Resolves `from <level dots><module> import ...` written in module `from`.
    pub fn resolve_import(&self, from: usize, level: u32, module: &str) -> Option<usize> {
        if level == 0 {
            return self.resolve_dotted(module, Some(from));
        }
        let m = &self.modules[from];
        let mut parts: Vec<&str> = if m.name.is_empty() { Vec::new() } else { m.name.split('.').collect() };
        if !m.package {
            parts.pop();
        }
        for _ in 1..level {
            parts.pop()?;
        }
        if !module.is_empty() {
            parts.extend(module.split('.'));
        }
        let target = parts.join(".");
        self.shared.by_name.get(target.as_str()).and_then(|v| v.first().copied())
    }

    /// The modules the star imports of module `m` resolve to, in statement
    /// order, each with whether the import is conditional.
    fn star_imports(&self, m: usize) -> impl Iterator<Item = (usize, bool)> + '_ {
        let star = self.shared.star.get_or_init(|| {
            (0..self.modules.len())
                .map(|m| {
                    let statements = self.modules[m].facts.map(|f| f.statements.as_slice()).unwrap_or_default();
                    statements
                        .iter()
                        .filter_map(|s| match &s.kind {
                            StmtKind::StarImport { level, module } => {
                                self.resolve_import(m, *level, module).map(|t| (t, s.conditional))
                            }
                            _ => None,
                        })
                        .collect()
                })
                .collect()
        });
        star[m].iter().copied()
    }

    /// Modules named by `DJANGO_SETTINGS_MODULE` anywhere, or listed in the
    /// config's `settings-modules`.
    pub fn targeted(&self) -> BTreeSet<usize> {
        self.shared.targeted.get_or_init(|| self.find_targeted()).clone()
    }

    fn find_targeted(&self) -> BTreeSet<usize> {
        let mut set = BTreeSet::new();
        for (i, m) in self.modules.iter().enumerate() {
            for r in m.facts.map(|f| f.settings_module_refs.as_slice()).unwrap_or_default() {
                if let Some(t) = self.resolve_dotted(&r.name, Some(i)) {
                    set.insert(t);
                }
            }
            if self.config.settings_modules.iter().any(|p| same_path(p, &m.file.path)) {
                set.insert(i);
            }
        }
        set
    }

    /// Every settings module: the targeted ones, modules assigning
    /// `INSTALLED_APPS` or `MIDDLEWARE`, modules star-importing one of those
    /// (`production.py` doing `from .base import *`), and the modules they
    /// star-import in turn.
    pub fn settings_modules(&self) -> BTreeSet<usize> {
        self.shared.settings.get_or_init(|| self.find_settings_modules()).clone()
    }

    fn find_settings_modules(&self) -> BTreeSet<usize> {
        let mut set = self.targeted();
        for (i, m) in self.modules.iter().enumerate() {
            if m.facts.is_some_and(|f| f.assigns("INSTALLED_APPS") || f.assigns("MIDDLEWARE")) {
                set.insert(i);
            }
        }
        loop {
            let before = set.len();
            for i in 0..self.modules.len() {
                if !set.contains(&i) && self.star_imports(i).any(|(t, _)| set.contains(&t)) {
                    set.insert(i);
                }
            }
            if set.len() == before {
                break;
            }
        }
        let mut stack: Vec<usize> = set.iter().copied().collect();
        while let Some(m) = stack.pop() {
            for (t, _) in self.star_imports(m) {
                if set.insert(t) {
                    stack.push(t);
                }
            }
        }
        set
    }

    /// Is module `m` a development settings module? The config's
    /// `production-settings` globs decide when present; otherwise a part of
    /// the path named like `dev`, `local`, `test`, `ci` (`settings/dev.py`,
    /// `settings_local.py`, `test_settings.py`) makes it one.
    pub fn is_development(&self, m: usize) -> bool {
        let file = self.modules[m].file;
        if !self.config.production_settings.is_empty() {
            return !self.shared.production_globs.iter().any(|(dir, glob)| {
                let rel = file.path.strip_prefix(dir).map(|p| p.to_string_lossy().replace('\\', "/"));
                rel.is_ok_and(|r| glob.is_match(r)) || glob.is_match(&file.rel)
            });
        }
        is_development_path(&file.rel)
    }

    /// The production settings modules rules evaluate: settings modules
    /// that are not development modules and are deployed as such — named
    /// by `DJANGO_SETTINGS_MODULE` or the config, or not a base that another
    /// production module star-imports unconditionally (a leaf of the chain).
    pub fn production_roots(&self) -> Vec<usize> {
        self.roots(false)
    }

    /// The development settings modules that are leaves of their chains
    /// (`settings/dev.py`, `test_settings.py`), chosen like production roots.
    pub fn development_roots(&self) -> Vec<usize> {
        self.roots(true)
    }

    fn roots(&self, development: bool) -> Vec<usize> {
        self.shared.roots[development as usize].get_or_init(|| self.find_roots(development)).clone()
    }

    fn find_roots(&self, development: bool) -> Vec<usize> {
        let settings = self.settings_modules();
        let targeted = self.targeted();
        let mut imported_by_same = BTreeSet::new();
        let mut imported_by_any = BTreeSet::new();
        let mut conditionally_by_same = BTreeSet::new();
        for &m in &settings {
            let same = self.is_development(m) == development;
            for (t, conditional) in self.star_imports(m) {
                if t == m {
                    continue;
                }
                imported_by_any.insert(t);
                // What DJANGO_SETTINGS_MODULE names is what runs: a module it
                // extends is its base, whatever kind it is.
                if !conditional && targeted.contains(&m) {
                    imported_by_same.insert(t);
                }
                if same && !conditional {
                    imported_by_same.insert(t);
                }
                if same && conditional {
                    conditionally_by_same.insert(t);
                }
            }
        }
        settings
            .into_iter()
            .filter(|&m| self.is_development(m) == development)
            .filter(|&m| {
                if targeted.contains(&m) {
                    return true;
                }
                // A module others extend is a base, not a deployment, when
                // one of its own kind extends it unconditionally or it is
                // named like one (`base.py`, `common.py`).
                let last = self.modules[m].name.rsplit('.').next().unwrap_or("");
                let base_named = name_parts(last).iter().any(|p| BASE_WORDS.contains(p));
                let is_base = imported_by_same.contains(&m) || (imported_by_any.contains(&m) && base_named);
                // A fragment another settings module of its kind pulls in
                // under a condition (`if not LOADED: from .app_settings
                // import *`) is not deployed alone, unless it is a complete
                // configuration itself (it extends a base) or is named like
                // a deployment (`if ENV == "prod": from .prod import *`).
                let fragment = conditionally_by_same.contains(&m)
                    && self.star_imports(m).next().is_none()
                    && !name_parts(last).iter().any(|p| DEPLOYMENT_WORDS.contains(&p.to_ascii_lowercase().as_str()));
                !is_base && !fragment
            })
            .collect()
    }

    /// The settings of every production root, in module order.
    pub fn production_settings(&self) -> Vec<EffectiveSettings> {
        self.production_roots().into_iter().map(|r| self.effective(r)).collect()
    }

    /// What Django sees when `root` is the settings module: its statements
    /// executed in order, star imports bringing the imported module's
    /// values at the import's position.
    pub fn effective(&self, root: usize) -> EffectiveSettings {
        let mut stack = Vec::new();
        let mut eff = self.execute(root, &mut stack);
        eff.root = root;
        eff
    }

    fn execute(&self, m: usize, stack: &mut Vec<usize>) -> EffectiveSettings {
        let mut ns = EffectiveSettings {
            root: m,
            values: BTreeMap::new(),
            unresolved: Vec::new(),
            opaque: Vec::new(),
            modules: vec![m],
        };
        let Some(facts) = self.modules[m].facts else {
            return ns;
        };
        stack.push(m);
        for stmt in &facts.statements {
            let site = Site { module: m, span: stmt.span, via: vec![m], imports: Vec::new() };
            match &stmt.kind {
                StmtKind::Assign { name, value } => {
                    let value = evaluate(value, &ns.values);
                    ns.values.insert(name.clone(), Setting::new(value, stmt.conditional, site));
                }
                StmtKind::Edit { name, edit } => {
                    let edit = evaluate_edit(edit, &ns.values);
                    // Editing a name not defined before: it comes from
                    // something we could not follow.
                    let entry = ns
                        .values
                        .entry(name.clone())
                        .or_insert_with(|| Setting::new(Value::Other, false, site.clone()));
                    apply_edit(entry, &edit, stmt.conditional);
                    entry.edits.push(site);
                }
                StmtKind::StarImport { level, module } => {
                    match self.resolve_import(m, *level, module) {
                        Some(t) if stack.contains(&t) || stack.len() >= MAX_DEPTH => {}
                        Some(t) => {
                            let sub = self.execute(t, stack);
                            merge(&mut ns, sub, &site, stmt.conditional, None);
                        }
                        None => {
                            // The missing module may set anything.
                            mark_uncertain(&mut ns);
                            ns.unresolved.push(site);
                        }
                    }
                }
                StmtKind::FromImport { level, module, names } => match self.resolve_import(m, *level, module) {
                    Some(t) if stack.contains(&t) || stack.len() >= MAX_DEPTH => {}
                    Some(t) => {
                        let sub = self.execute(t, stack);
                        merge(&mut ns, sub, &site, stmt.conditional, Some(names));
                    }
                    None => {
                        for (_, alias) in names {
                            let s = Setting::new(Value::Other, stmt.conditional, site.clone());
                            ns.values.insert(alias.clone(), s);
                        }
                    }
                },
                StmtKind::Opaque { .. } => {
                    mark_uncertain(&mut ns);
                    ns.opaque.push(site);
                }
            }
        }
        stack.pop();
        ns
    }
}

/// Brings `sub` (the namespace of an imported module) into `ns`, all names
/// for a star import or the listed `(name, alias)` pairs.
fn merge(
    ns: &mut EffectiveSettings,
    sub: EffectiveSettings,
    import: &Site,
    conditional: bool,
    names: Option<&Vec<(String, String)>>,
) {
    let (importer, span) = (import.module, import.span);
    for m in &sub.modules {
        if !ns.modules.contains(m) {
            ns.modules.push(*m);
        }
    }
    let reroot = |mut s: Setting| {
        s.site.reroot(importer, span);
        for e in &mut s.edits {
            e.reroot(importer, span);
        }
        s.uncertain |= conditional;
        s
    };
    match names {
        None => {
            if !sub.unresolved.is_empty() || !sub.opaque.is_empty() {
                // What the imported module could not see may override
                // the importer's earlier values too.
                mark_uncertain(ns);
            }
            for (name, s) in sub.values {
                ns.values.insert(name, reroot(s));
            }
            for mut u in sub.unresolved {
                u.reroot(importer, span);
                ns.unresolved.push(u);
            }
            for mut o in sub.opaque {
                o.reroot(importer, span);
                ns.opaque.push(o);
            }
        }
        Some(names) => {
            let mut values = sub.values;
            for (name, alias) in names {
                if let Some(s) = values.remove(name) {
                    ns.values.insert(alias.clone(), reroot(s));
                }
            }
        }
    }
}

/// Every setting defined so far may have been overridden.
fn mark_uncertain(ns: &mut EffectiveSettings) {
    for s in ns.values.values_mut() {
        s.uncertain = true;
    }
}

/// Evaluates a fact value against the settings defined so far.
pub fn evaluate(v: &Value, values: &BTreeMap<String, Setting>) -> Value {
    match v {
        Value::Name(n) => match values.get(n) {
            Some(s) if !s.uncertain && !s.open && s.maybe.is_empty() => s.value.clone(),
            _ => Value::Other,
        },
        Value::List(items) => Value::List(items.iter().map(|i| evaluate(i, values)).collect()),
        Value::Dict(d) => Value::Dict(d.iter().map(|(k, v)| (k.clone(), evaluate(v, values))).collect()),
        Value::Concat(parts) => {
            let parts: Vec<Value> = parts.iter().map(|p| evaluate(p, values)).collect();
            if parts.iter().any(Value::is_env) {
                return Value::Env { var: None, default: None };
            }
            if parts.iter().all(|p| matches!(p, Value::List(_))) {
                Value::List(
                    parts.into_iter().flat_map(|p| if let Value::List(l) = p { l } else { Vec::new() }).collect(),
                )
            } else if parts.iter().all(|p| matches!(p, Value::Str(_))) {
                Value::Str(parts.iter().filter_map(Value::as_str).collect())
            } else {
                Value::Other
            }
        }
        other => other.clone(),
    }
}

fn evaluate_edit(e: &Edit, values: &BTreeMap<String, Setting>) -> Edit {
    match e {
        Edit::Extend(v) => Edit::Extend(evaluate(v, values)),
        Edit::Append(v) => Edit::Append(evaluate(v, values)),
        Edit::Insert { index, value } => Edit::Insert { index: *index, value: evaluate(value, values) },
        Edit::Remove(v) => Edit::Remove(evaluate(v, values)),
        Edit::SetItem { key, value } => Edit::SetItem { key: key.clone(), value: evaluate(value, values) },
        Edit::Update(v) => Edit::Update(evaluate(v, values)),
        Edit::Unknown => Edit::Unknown,
    }
}

fn apply_edit(s: &mut Setting, edit: &Edit, conditional: bool) {
    let items_of = |v: &Value| -> Option<Vec<Value>> {
        match v {
            Value::List(l) => Some(l.clone()),
            _ => None,
        }
    };
    match (&mut s.value, edit) {
        (Value::List(list), Edit::Extend(_) | Edit::Append(_) | Edit::Insert { .. }) => {
            let (added, index) = match edit {
                Edit::Extend(v) => (items_of(v), None),
                Edit::Append(v) => (Some(vec![v.clone()]), None),
                Edit::Insert { index, value } => (Some(vec![value.clone()]), *index),
                _ => unreachable!(),
            };
            match added {
                Some(items) if conditional => {
                    s.maybe.extend(items.iter().filter_map(|i| i.as_str().map(str::to_string)));
                    if items.iter().any(|i| i.as_str().is_none()) {
                        s.open = true;
                    }
                }
                Some(items) => {
                    let at = match index {
                        Some(i) if i >= 0 => (i as usize).min(list.len()),
                        Some(i) => list.len().saturating_sub(i.unsigned_abs() as usize),
                        None => list.len(),
                    };
                    list.splice(at..at, items);
                }
                None => s.open = true,
            }
        }
        (Value::List(list), Edit::Remove(v)) => {
            if conditional {
                if let Some(item) = v.as_str() {
                    s.maybe.push(item.to_string());
                } else {
                    s.value = Value::Other;
                }
            } else if let Some(pos) = list.iter().position(|i| i == v) {
                list.remove(pos);
            } else if !v.is_literal() {
                s.value = Value::Other;
            }
        }
        (Value::Dict(d), Edit::SetItem { key, value }) => {
            if conditional {
                d.insert(key.clone(), Value::Other);
            } else {
                d.insert(key.clone(), value.clone());
            }
        }
        (Value::Dict(d), Edit::Update(Value::Dict(new))) => {
            for (k, v) in new {
                d.insert(k.clone(), if conditional { Value::Other } else { v.clone() });
            }
        }
        _ => {
            s.value = Value::Other;
        }
    }
}

fn same_path(a: &std::path::Path, b: &std::path::Path) -> bool {
    let norm = |p: &std::path::Path| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in p.components() {
            match c {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    out.pop();
                }
                other => out.push(other.as_os_str().to_string_lossy().into_owned()),
            }
        }
        out
    };
    norm(a) == norm(b)
}

/// `name` relative to the nearest directory above `rel` holding `manage.py`,
/// else its longest suffix made of Python identifiers
/// (`django-shop.shop.settings` → `shop.settings`).
fn display_name(rel: &str, name: &str, manage_dirs: &BTreeSet<&str>) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    let mut dir = rel.rsplit_once('/').map(|(d, _)| d);
    while let Some(d) = dir {
        if manage_dirs.contains(d) {
            let skip = d.split('/').filter(|p| !p.is_empty()).count();
            if skip < parts.len() {
                return parts[skip..].join(".");
            }
        }
        dir = d.rsplit_once('/').map(|(p, _)| p);
    }
    if manage_dirs.contains("") {
        return name.to_string();
    }
    let is_ident = |p: &&&str| {
        p.starts_with(|c: char| c.is_alphabetic() || c == '_') && p.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    let keep = parts.iter().rev().take_while(is_ident).count().max(1);
    parts[parts.len() - keep..].join(".")
}

/// Splits a path or name part into words: `test_settings` → [test, settings].
fn name_parts(s: &str) -> Vec<&str> {
    s.split(['_', '-', '.']).filter(|p| !p.is_empty()).collect()
}

/// Does the path look like a development settings file?
pub fn is_development_path(rel: &str) -> bool {
    let no_ext = rel.strip_suffix(".py").unwrap_or(rel);
    no_ext.split('/').flat_map(name_parts).any(|p| {
        let p = p.to_ascii_lowercase();
        // `devproject/`, `testproject/`, `demosite/`: the project a library
        // ships to develop or demonstrate itself.
        let stem = ["project", "proj", "site"].iter().find_map(|s| p.strip_suffix(s)).unwrap_or(&p);
        DEVELOPMENT_WORDS.contains(&p.as_str()) || DEVELOPMENT_WORDS.contains(&stem)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::facts::FileFacts;
    use crate::parse::{parse, Source};
    use std::path::PathBuf;
    use std::time::Duration;

    fn facts_of(rel: &str, code: &str) -> FileFacts {
        let src = Source::new(code.to_string());
        let tree = parse(Lang::Python, &src.text, Duration::from_secs(5)).unwrap();
        let mut ctx = FileCtx::new(rel, Lang::Python, &src, &tree);
        extract(&mut ctx);
        ctx.facts
    }

    fn project(files: &[(&str, &str)]) -> Vec<ProjectFile> {
        let mut v: Vec<ProjectFile> = files
            .iter()
            .map(|(rel, code)| ProjectFile {
                rel: rel.to_string(),
                path: PathBuf::from("/p").join(rel),
                lang: Lang::Python,
                role: Default::default(),
                facts: facts_of(rel, code).into(),
            })
            .collect();
        v.sort_by(|a, b| a.rel.cmp(&b.rel));
        v
    }

    fn config() -> Config {
        Config::empty(std::path::Path::new("/p"))
    }

    fn root_names(idx: &SettingsIndex) -> Vec<String> {
        idx.production_roots().into_iter().map(|r| idx.name(r).to_string()).collect()
    }

    fn module(idx: &SettingsIndex, name: &str) -> usize {
        idx.modules.iter().position(|m| *m.name == *name).unwrap()
    }

    fn settings_of(code: &str) -> SettingsFacts {
        facts_of("proj/settings.py", code).get::<SettingsFacts>().cloned().expect("facts")
    }

    #[test]
    fn module_names_follow_paths_and_packages() {
        assert_eq!(module_name("proj/settings/base.py"), ("proj.settings.base".into(), false));
        assert_eq!(module_name("proj/settings/__init__.py"), ("proj.settings".into(), true));
        assert_eq!(module_name("settings.py"), ("settings".into(), false));
    }

    #[test]
    fn display_names_are_relative_to_manage_py_or_identifiers() {
        let dirs: BTreeSet<&str> = ["backend"].into_iter().collect();
        assert_eq!(display_name("backend/proj/settings.py", "backend.proj.settings", &dirs), "proj.settings");
        let none = BTreeSet::new();
        assert_eq!(display_name("django-shop/shop/settings.py", "django-shop.shop.settings", &none), "shop.settings");
    }

    #[test]
    fn classifies_values() {
        let f = settings_of(
            "import os\nimport environ\nenv = environ.Env()\nDEBUG = True\nNAME = 'x' 'y'\nN = 60 * 60 * 24\nHOSTS = ('a', 'b')\n\
             E1 = os.environ.get('DEBUG') == '1'\nE2 = env.bool('DEBUG', default=False)\nE3 = os.getenv('K', 'dflt')\n\
             E4 = os.environ['SECRET']\nRF = {'A': ['x'], 'B': 1}\nC = BASE + ['z']\nO = Path(__file__)\nF = f'{N}'\n",
        );
        let get = |n: &str| {
            f.statements
                .iter()
                .find_map(|s| match &s.kind {
                    StmtKind::Assign { name, value } if name == n => Some(value.clone()),
                    _ => None,
                })
                .unwrap()
        };
        assert_eq!(get("DEBUG"), Value::Bool(true));
        assert_eq!(get("NAME"), Value::Str("xy".into()));
        assert_eq!(get("N"), Value::Int(86400));
        assert_eq!(get("HOSTS").as_str_list(), Some(vec!["a", "b"]));
        assert_eq!(get("E1"), Value::Env { var: Some("DEBUG".into()), default: None });
        assert_eq!(get("E2"), Value::Env { var: Some("DEBUG".into()), default: Some(Box::new(Value::Bool(false))) });
        assert_eq!(get("E3"), Value::Env { var: Some("K".into()), default: Some(Box::new(Value::Str("dflt".into()))) });
        assert_eq!(get("E4"), Value::Env { var: Some("SECRET".into()), default: None });
        assert_eq!(get("RF").as_dict().unwrap()["B"], Value::Int(1));
        assert_eq!(
            get("C"),
            Value::Concat(vec![Value::Name("BASE".into()), Value::List(vec![Value::Str("z".into())])])
        );
        assert_eq!(get("O"), Value::Other);
        assert_eq!(get("F"), Value::Other);
    }

    #[test]
    fn records_conditionals_imports_edits_and_settings_module_refs() {
        let f = settings_of(
            "\"\"\"Settings.\"\"\"\nfrom .base import *\nfrom ..common import X as Y\ntry:\n    from .local import *\nexcept ImportError:\n    pass\n\
             if DEBUG:\n    MIDDLEWARE += ['debug']\nMIDDLEWARE.insert(0, 'first')\nINSTALLED_APPS.append('app')\nRF['K'] = 1\n\
             import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.dev')\n\
             def f():\n    DEBUG = False\n",
        );
        assert_eq!(f.first_statement.unwrap().start_line, 2);
        let kinds: Vec<(String, bool)> = f
            .statements
            .iter()
            .map(|s| {
                let k = match &s.kind {
                    StmtKind::StarImport { level, module } => format!("star {level} {module}"),
                    StmtKind::FromImport { level, module, names } => format!("from {level} {module} {names:?}"),
                    StmtKind::Edit { name, edit } => format!("edit {name} {edit:?}"),
                    StmtKind::Assign { name, .. } => format!("assign {name}"),
                    StmtKind::Opaque { what } => format!("opaque {what}"),
                };
                (k, s.conditional)
            })
            .collect();
        let expected: Vec<(String, bool)> = vec![
            ("star 1 base".into(), false),
            ("from 2 common [(\"X\", \"Y\")]".into(), false),
            ("star 1 local".into(), true),
            ("edit MIDDLEWARE Extend(List([Str(\"debug\")]))".into(), true),
            ("edit MIDDLEWARE Insert { index: Some(0), value: Str(\"first\") }".into(), false),
            ("edit INSTALLED_APPS Append(Str(\"app\"))".into(), false),
            ("edit RF SetItem { key: \"K\", value: Int(1) }".into(), false),
        ];
        assert_eq!(kinds, expected);
        assert_eq!(f.settings_module_refs.len(), 1);
        assert_eq!(f.settings_module_refs[0].name, "proj.settings.dev");
    }

    #[test]
    fn facts_survive_a_json_round_trip() {
        let f = settings_of(
            "import os\nDEBUG = os.getenv('D', '0') == '1'\nRF = {'A': [1.5, None]}\nfrom .base import *\nMW += ['x']\n",
        );
        let json = serde_json::to_string(&f).unwrap();
        let back: SettingsFacts = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert_eq!(back.statements.len(), f.statements.len());
    }

    #[test]
    fn files_without_settings_have_no_facts() {
        assert!(facts_of("app/views.py", "def view(request):\n    return 1\n").get::<SettingsFacts>().is_none());
        assert!(facts_of("app/views.py", "if settings.DEBUG:\n    pass\n").get::<SettingsFacts>().is_none());
    }

    #[test]
    fn development_files_are_recognised_by_name() {
        for p in [
            "proj/settings/dev.py",
            "proj/settings_local.py",
            "test_settings.py",
            "proj/settings/ci.py",
            "tests/settings.py",
            "pretix/testutils/settings.py",
            "pretix/_build_settings.py",
            "weblate/settings_example.py",
            "docs/settings.py",
            "devproject/settings.py",
            "testproject/settings.py",
            "demosite/settings.py",
        ] {
            assert!(is_development_path(p), "{p}");
        }
        for p in [
            "proj/settings/production.py",
            "proj/settings.py",
            "sitesettings/settings.py",
            "proj/settings/base.py",
            "devices/settings.py",
        ] {
            assert!(!is_development_path(p), "{p}");
        }
    }

    #[test]
    fn star_import_chains_resolve_and_later_values_win() {
        let files = project(&[
            ("manage.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.dev')\n"),
            ("proj/settings/__init__.py", ""),
            ("proj/settings/base.py", "DEBUG = True\nINSTALLED_APPS = ['a']\nMIDDLEWARE = ['m1', 'm2']\n"),
            ("proj/settings/dev.py", "from .base import *\nDEBUG = True\n"),
            (
                "proj/settings/production.py",
                "from proj.settings.base import *\nMIDDLEWARE.append('m3')\nSECRET_KEY = 'x'\n",
            ),
            ("proj/settings/staging.py", "from .production import *\nDEBUG = False\n"),
        ]);
        let cfg = config();
        let idx = SettingsIndex::new(&files, &cfg);
        assert_eq!(root_names(&idx), vec!["proj.settings.staging"]);
        let dev: Vec<&str> = idx.development_roots().into_iter().map(|r| idx.name(r)).collect();
        assert_eq!(dev, vec!["proj.settings.dev"]);
        let prod = idx.effective(module(&idx, "proj.settings.production"));
        let debug = prod.get("DEBUG").unwrap();
        assert!(debug.is_literal_bool(true));
        assert_eq!(idx.chain(&debug.site), "proj.settings.production → proj.settings.base");
        assert_eq!(prod.literal("MIDDLEWARE").unwrap().as_str_list(), Some(vec!["m1", "m2", "m3"]));
        assert_eq!(prod.get("MIDDLEWARE").unwrap().list_contains("m3"), Some(true));
        assert_eq!(prod.get("MIDDLEWARE").unwrap().list_contains("m4"), Some(false));
        assert!(prod.is_absent("SESSION_COOKIE_SECURE"));
        let staging = idx.effective(module(&idx, "proj.settings.staging"));
        assert!(staging.get("DEBUG").unwrap().is_literal_bool(false));
        let secret = &staging.get("SECRET_KEY").unwrap().site;
        assert_eq!(secret.via.len(), 2);
        assert_eq!(secret.root_import().unwrap().1.start_line, 1);
    }

    #[test]
    fn conditionals_and_environment_make_values_unknown() {
        let files = project(&[
            (
                "proj/settings.py",
                "import os\nDEBUG = False\nif os.environ.get('DEV'):\n    DEBUG = True\nINSTALLED_APPS = ['a']\n\
                 MIDDLEWARE = ['m1']\nif DEBUG:\n    MIDDLEWARE += ['dbg']\nSECRET_KEY = os.environ['SECRET_KEY']\n\
                 try:\n    from .local_settings import *\nexcept ImportError:\n    pass\n",
            ),
            ("proj/local_settings.py", "ALLOWED_HOSTS = ['*']\n"),
        ]);
        let cfg = config();
        let idx = SettingsIndex::new(&files, &cfg);
        assert_eq!(root_names(&idx), vec!["proj.settings"]);
        let eff = idx.effective(module(&idx, "proj.settings"));
        assert!(eff.literal("DEBUG").is_none());
        assert!(!eff.get("DEBUG").unwrap().is_literal_bool(true));
        let mw = eff.get("MIDDLEWARE").unwrap();
        assert_eq!(mw.list_contains("m1"), Some(true));
        assert_eq!(mw.list_contains("dbg"), None);
        assert!(eff.get("SECRET_KEY").unwrap().value.is_env());
        assert!(eff.certain("ALLOWED_HOSTS").is_none(), "conditional star import");
    }

    #[test]
    fn cycles_and_missing_modules_are_guarded() {
        let files = project(&[
            ("proj/settings/a.py", "from .b import *\nINSTALLED_APPS = []\nDEBUG = True\n"),
            ("proj/settings/b.py", "from .a import *\nfrom .missing import *\n"),
        ]);
        let cfg = config();
        let idx = SettingsIndex::new(&files, &cfg);
        let a = idx.effective(module(&idx, "proj.settings.a"));
        assert!(a.get("DEBUG").unwrap().is_literal_bool(true), "assigned after the imports");
        assert_eq!(a.unresolved.len(), 1);
        assert!(!a.is_absent("X"));
    }

    #[test]
    fn a_missing_local_settings_module_may_override_earlier_values() {
        let files = project(&[(
            "proj/settings.py",
            "INSTALLED_APPS = []\nDEBUG = True\ntry:\n    from .local_settings import *\nexcept ImportError:\n    pass\nLATE = 1\n",
        )]);
        let cfg = config();
        let idx = SettingsIndex::new(&files, &cfg);
        let eff = idx.effective(0);
        assert!(eff.get("DEBUG").unwrap().uncertain);
        assert!(!eff.get("DEBUG").unwrap().is_literal_bool(true));
        assert_eq!(eff.literal("LATE"), Some(&Value::Int(1)));
        assert!(!eff.is_absent("SECURE_SSL_REDIRECT"));
    }

    #[test]
    fn names_and_concatenations_are_evaluated_in_order() {
        let files = project(&[(
            "config/settings.py",
            "DJANGO_APPS = ['django.contrib.admin']\nLOCAL_APPS = ['shop']\nINSTALLED_APPS = DJANGO_APPS + LOCAL_APPS\n\
             MIDDLEWARE = [*BASE_MW, 'x']\nFLAG = True\nDEBUG = FLAG\n",
        )]);
        let cfg = config();
        let idx = SettingsIndex::new(&files, &cfg);
        let eff = idx.effective(0);
        assert_eq!(eff.literal("INSTALLED_APPS").unwrap().as_str_list(), Some(vec!["django.contrib.admin", "shop"]));
        assert_eq!(eff.certain("MIDDLEWARE"), Some(&Value::Other));
        assert!(eff.get("DEBUG").unwrap().is_literal_bool(true));
    }

    #[test]
    fn base_modules_imported_only_by_development_are_not_roots() {
        let files = project(&[
            ("proj/settings/base.py", "INSTALLED_APPS = []\nDEBUG = True\n"),
            ("proj/settings/local.py", "from .base import *\n"),
            ("site/settings.py", "INSTALLED_APPS = []\n"),
            ("site/test_settings.py", "from .settings import *\n"),
        ]);
        let cfg = config();
        let idx = SettingsIndex::new(&files, &cfg);
        assert_eq!(root_names(&idx), vec!["site.settings"]);
    }

    #[test]
    fn production_settings_globs_override_the_guess() {
        let files = project(&[
            ("proj/settings/base.py", "INSTALLED_APPS = []\n"),
            ("proj/settings/local.py", "from .base import *\n"),
            ("proj/settings/prod.py", "from .base import *\n"),
        ]);
        let mut cfg = config();
        cfg.production_settings.push((PathBuf::from("/p"), "proj/settings/local.py".into()));
        let idx = SettingsIndex::new(&files, &cfg);
        assert_eq!(root_names(&idx), vec!["proj.settings.local"]);
    }

    #[test]
    fn settings_module_targets_resolve_near_the_referencing_file() {
        let files = project(&[
            ("a/manage.py", "import os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'proj.settings'\n"),
            ("a/proj/settings.py", "X_A = 1\n"),
            ("b/proj/settings.py", "X_B = 1\n"),
        ]);
        let cfg = config();
        let idx = SettingsIndex::new(&files, &cfg);
        let targeted: Vec<&str> = idx.targeted().into_iter().map(|t| &*idx.modules[t].name).collect();
        assert_eq!(targeted, vec!["a.proj.settings"]);
        let t = idx.targeted().into_iter().next().unwrap();
        assert_eq!(idx.name(t), "proj.settings", "named relative to manage.py");
    }

    #[test]
    fn fragments_pulled_in_under_a_condition_are_not_roots() {
        let files = project(&[
            ("wsgi.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'graphite.settings')\n"),
            (
                "graphite/settings.py",
                "INSTALLED_APPS = []\nMIDDLEWARE = ()\nLOADED = False\nif not LOADED:\n    from graphite.app_settings import *\n",
            ),
            ("graphite/app_settings.py", "INSTALLED_APPS = ['a']\nMIDDLEWARE = ('m',)\n"),
            ("proj/settings/__init__.py", "import os\nif os.environ.get('ENV') == 'prod':\n    from .prod import *\nelse:\n    from .dev import *\n"),
            ("proj/settings/prod.py", "INSTALLED_APPS = []\nDEBUG = True\n"),
            ("proj/settings/dev.py", "INSTALLED_APPS = []\n"),
        ]);
        let cfg = config();
        let idx = SettingsIndex::new(&files, &cfg);
        assert_eq!(root_names(&idx), vec!["graphite.settings", "proj.settings", "proj.settings.prod"]);
    }
}
