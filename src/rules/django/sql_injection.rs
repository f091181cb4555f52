//! `django/sql-injection`: SQL text built from non-literals (f-strings, `%`,
//! `.format`, `+`, `.join`) passed to `.raw()`, `.extra()`, `RawSQL` or a
//! cursor's `execute`/`executemany`. Error when request data flows into it.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::shorten;
use crate::finding::{Confidence, Severity};
use crate::parse::Syntax;
use crate::semantics::{descendants, python};
use tree_sitter::Node;

const DOC: &str = r#####"
id = "django/sql-injection"
languages = ["python"]
severity = "warning"
category = "security"
tags = ["injection"]
confidence = "low"
prefilter = ["execute", ".raw(", ".extra(", "RawSQL"]
summary = "SQL built from strings passed to raw(), extra(), RawSQL or cursor.execute()"

[docs]
what = """
Flags SQL text assembled with f-strings, `%`, `.format()`, `+`/`+=` or `.join()` from values that
are not constants, when it reaches `Manager.raw()`/`QuerySet.raw()`, `QuerySet.extra(where=...,
select=..., tables=..., order_by=...)`, `RawSQL(...)` or `execute()`/`executemany()` on a database
cursor (`connection.cursor()`, `with connection.cursor() as cursor`). Variables are followed to
their assignments in the function. It is an error when request data (`request.GET`, `request.POST`,
`request.data`, URL kwargs, ...) flows into the text, a warning for other non-constant values.
Parameterised calls (`cursor.execute("... WHERE id = %s", [pk])`) are fine, and so are pieces that
cannot carry text: numbers (`int(x)`, `len(x)`), placeholder lists (`", ".join(["%s"] * len(ids))`),
`connection.ops.quote_name(...)`/`schema_editor.quote_name(...)`, model metadata (`Model._meta.db_table`) and module-level string
constants.
"""
why = """
Django's ORM and the database drivers escape values only when they are passed separately from the
SQL. Text formatted into the query is executed as SQL: a value such as `' OR '1'='1` or
`1; DROP TABLE auth_user` changes what the statement does, and read access to one table becomes
access to every table the database user can reach.
"""
example = '''
def search(request):
    q = request.GET["q"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, name FROM shop_product WHERE name LIKE '%{q}%'")
'''
fix = '''
Pass values as parameters and let the driver quote them:

    cursor.execute("SELECT id, name FROM shop_product WHERE name LIKE %s", [f"%{q}%"])
    Product.objects.raw("SELECT * FROM shop_product WHERE sku = %s", [sku])

Identifiers (table or column names) cannot be parameters: choose them from a fixed mapping
(`ORDERINGS = {"name": "name", "price": "price"}`) or quote them with
`connection.ops.quote_name()`. Usually the ORM expresses the query without raw SQL at all.
'''
references = [
  "https://docs.djangoproject.com/en/stable/topics/security/#sql-injection-protection",
  "https://docs.djangoproject.com/en/stable/topics/db/sql/",
  "https://docs.djangoproject.com/en/stable/ref/models/querysets/#extra",
  "https://cwe.mitre.org/data/definitions/89.html",
]
guidance = ["G12"]

[[examples]]
invalid = '''
from django.db import connection

def search(request):
    q = request.GET["q"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM shop_product WHERE name = '{q}'")
        return cursor.fetchall()
'''
valid = '''
from django.db import connection

def search(request):
    q = request.GET["q"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM shop_product WHERE name = %s", [q])
        return cursor.fetchall()
'''

[[examples]]
invalid = '''
def by_status(status):
    return Order.objects.raw("SELECT * FROM shop_order WHERE status = '%s'" % status)
'''
valid = '''
def by_ids(ids):
    placeholders = ", ".join(["%s"] * len(ids))
    return Order.objects.raw(f"SELECT * FROM shop_order WHERE id IN ({placeholders})", ids)
'''

[[examples]]
invalid = '''
from django.db.models.expressions import RawSQL

def annotate(qs, column):
    return qs.annotate(v=RawSQL("SELECT " + column + " FROM shop_stats", []))
'''
valid = '''
TABLE = "shop_stats"

def totals(cursor):
    cursor.execute("SELECT SUM(total) FROM " + TABLE)
'''

[[examples]]
invalid = '''
def visible(request):
    return Product.objects.extra(where=["category_id = %s" % request.GET["c"]])
'''
valid = '''
def visible(request):
    return Product.objects.extra(where=["category_id = %s"], params=[request.GET["c"]])
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call"], node: Some(check), ..CodeRule::EMPTY };

const RAW_SQL: &[&str] = &["django.db.models.expressions.RawSQL", "django.db.models.RawSQL"];

/// Does the file name `RawSQL` at all? A name bound to it (`RawSQL`, or an
/// alias made by an import or an assignment) needs the word; without it no
/// call's qualified name is worth building.
fn mentions_raw_sql(ctx: &FileCtx) -> bool {
    struct MentionsRawSql(bool);
    ctx.memo.get_or_insert(|| MentionsRawSql(ctx.src.text.contains("RawSQL"))).0
}

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    let mut sql_args: Vec<Node> = Vec::new();
    let sink: String;
    if f.ty() == "attribute" {
        let method = f.field("attribute").map(|a| ctx.text(a)).unwrap_or("");
        let Some(recv) = f.field("object") else { return };
        match method {
            "execute" | "executemany" if is_cursor(recv, ctx) => {
                sql_args.extend(first_arg(call, ctx, "sql"));
                sink = format!("cursor.{method}()");
            }
            "raw" if is_manager_like(recv, ctx) => {
                sql_args.extend(first_arg(call, ctx, "raw_query"));
                sink = ".raw()".into();
            }
            "extra" => {
                for (k, v) in python::keyword_args(&ctx.src.text, call) {
                    if !matches!(k.as_str(), "where" | "select" | "tables" | "order_by") {
                        continue;
                    }
                    match v.ty() {
                        "list" | "tuple" => {
                            let mut c = v.walk();
                            sql_args.extend(v.named_children(&mut c).filter(|n| n.ty() != "comment"));
                        }
                        "dictionary" => {
                            let mut c = v.walk();
                            sql_args.extend(v.named_children(&mut c).filter_map(|p| p.field("value")));
                        }
                        _ => sql_args.push(v),
                    }
                }
                sink = ".extra()".into();
            }
            // `models.RawSQL(...)`: a qualified name ends with the attribute.
            "RawSQL" if ctx.qualified_name(f).is_some_and(|q| RAW_SQL.contains(&q.as_str())) => {
                sql_args.extend(first_arg(call, ctx, "sql"));
                sink = "RawSQL()".into();
            }
            _ => return,
        }
    } else if f.ty() == "identifier"
        && mentions_raw_sql(ctx)
        && ctx.qualified_name(f).is_some_and(|q| RAW_SQL.contains(&q.as_str()))
    {
        sql_args.extend(first_arg(call, ctx, "sql"));
        sink = "RawSQL()".into();
    } else {
        return;
    }
    for arg in sql_args {
        let built = python::string_parts(arg, &ctx.src.text, &|n| quoted_identifier(n, ctx));
        if built.parts.is_empty() {
            continue;
        }
        let tainted: Vec<Node> = built.parts.iter().copied().filter(|p| ctx.is_request_data(*p)).collect();
        if tainted.is_empty() && !built.is_dynamic() {
            continue;
        }
        let (part, severity, whose) = match tainted.first() {
            Some(p) => (*p, Some(Severity::Error), "request data "),
            None => (built.parts[0], None, ""),
        };
        // Request data: high confidence. Any other value we cannot prove
        // constant: low (the rule's own), shown with --min-confidence low.
        let confidence = (!tainted.is_empty()).then_some(Confidence::High);
        let message = format!(
            "SQL passed to {sink} is built from {whose}`{}`: a crafted value changes the query; pass values as \
             parameters (\"... WHERE x = %s\", [value]) instead of formatting them into the SQL",
            shorten(ctx.text(part))
        );
        let related = ctx.location(part, Some("the value formatted into the SQL".into()));
        let r = ctx.report(call, message);
        r.severity = severity;
        r.confidence = confidence;
        if part.start_byte() < call.start_byte() || part.end_byte() > call.end_byte() {
            r.related(related);
        }
        return;
    }
}

/// The first positional argument, or the keyword argument `name`.
fn first_arg<'t>(call: Node<'t>, ctx: &FileCtx, name: &str) -> Option<Node<'t>> {
    python::positional_args(call)
        .first()
        .copied()
        .or_else(|| python::keyword_args(&ctx.src.text, call).into_iter().find(|(k, _)| k == name).map(|(_, v)| v))
}

/// `Model.objects`, `self.model._default_manager`, `Book.published` (a
/// manager named anything, as long as the chain says objects/manager).
fn is_manager_like(recv: Node, ctx: &FileCtx) -> bool {
    let t = ctx.text(recv).to_ascii_lowercase();
    t.contains("objects") || t.contains("manager") || t.ends_with("_set")
}

/// A DB-API cursor: `connection.cursor()` itself, a name bound from a
/// `.cursor()` call in the function (`with connection.cursor() as c`), or a
/// variable named like one (`cursor`, `cur`).
fn is_cursor(recv: Node, ctx: &FileCtx) -> bool {
    match recv.ty() {
        "call" => recv.field("function").and_then(|f| f.field("attribute")).is_some_and(|a| ctx.text(a) == "cursor"),
        "identifier" | "attribute" => {
            let name = ctx.text(recv);
            let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
            if last.contains("cursor") || last == "cur" {
                return true;
            }
            if recv.ty() != "identifier" {
                return false;
            }
            let Some(func) = ctx.enclosing_function(recv) else { return false };
            let mut bound = false;
            descendants(func, |d| {
                let (target, value) = match d.ty() {
                    "assignment" => (d.field("left"), d.field("right")),
                    "as_pattern" => (d.field("alias"), d.named_child(0)),
                    _ => (None, None),
                };
                if let (Some(t), Some(v)) = (target, value) {
                    let t_text = ctx.text(t);
                    if t_text == name && ctx.text(v).ends_with(".cursor()") {
                        bound = true;
                    }
                }
                !bound
            });
            bound
        }
        _ => false,
    }
}

/// `connection.ops.quote_name(name)`, `schema_editor.quote_name(name)`:
/// an identifier quoted for the database.
fn quoted_identifier(n: Node, ctx: &FileCtx) -> bool {
    n.ty() == "call"
        && n.field("function").is_some_and(|f| {
            let t = ctx.text(f);
            t == "quote_name" || t.ends_with(".quote_name")
        })
}
