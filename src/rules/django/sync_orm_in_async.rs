//! `django/sync-orm-in-async`: synchronous ORM use inside `async def`
//! (views, Channels consumers, async middleware): query methods, queryset
//! iteration, `save()`/`delete()` on instances and related managers, not
//! wrapped in `sync_to_async`/`database_sync_to_async`.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::shorten;
use crate::finding::{Edit, Fix};
use crate::parse::Syntax;
use crate::semantics::{descendants, is_async};
use std::collections::HashSet;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "django/sync-orm-in-async"
languages = ["python"]
severity = "error"
category = "concurrency"
confidence = "high"
prefilter = ["async def"]
summary = "Synchronous ORM call inside async def (SynchronousOnlyOperation)"

[docs]
what = """
Inside an `async def` (async views, `AsyncWebsocketConsumer`/`AsyncJsonWebsocketConsumer` methods,
async middleware), flags ORM work that runs synchronously: query methods on a manager or queryset
(`Book.objects.get(...)`, `.first()`, `.count()`, `.exists()`, `.create()`, `.update()`,
`.delete()`, `.aggregate()`, ...), iterating a queryset (`for b in Book.objects.filter(...)`,
comprehensions, `list(qs)`, `len(qs)`), related managers of an instance obtained in the function
(`order.lines.count()`), and `save()`/`delete()`/`refresh_from_db()` on such instances. Querysets
assigned to variables in the function are followed. Work wrapped for a thread is fine:
`sync_to_async(...)`, `database_sync_to_async`, `asyncio.to_thread`, `loop.run_in_executor`, and
any nested plain `def` or `lambda` (they run wherever they are called). The fix names the async
counterpart (`aget`, `acount`, `afirst`, `asave`, `async for`).
"""
why = """
Django refuses to run the synchronous ORM on an event loop thread and raises
SynchronousOnlyOperation, so the view fails at run time, usually only on the code path that
tests did not cover. Where the check is bypassed (`DJANGO_ALLOW_ASYNC_UNSAFE`), each query blocks
the event loop and every other connection on the worker waits for it.
"""
example = '''
async def book_detail(request, pk):
    book = Book.objects.get(pk=pk)
    return JsonResponse({"title": book.title})
'''
fix = '''
Use the async query API (Django 4.1+) and await it:

    book = await Book.objects.aget(pk=pk)
    count = await Book.objects.filter(author=a).acount()
    async for book in Book.objects.filter(author=a):
        ...
    await book.asave()

Code with no async counterpart (a transaction, a helper full of queries) goes into a plain
function wrapped with `sync_to_async` (`database_sync_to_async` in Channels consumers).
'''
references = [
  "https://docs.djangoproject.com/en/stable/topics/async/#queries-the-orm",
  "https://docs.djangoproject.com/en/stable/topics/db/queries/#asynchronous-queries",
  "https://docs.djangoproject.com/en/stable/topics/async/#async-safety",
  "https://channels.readthedocs.io/en/stable/topics/databases.html",
]
guidance = ["G5"]

[[examples]]
invalid = '''
from django.http import JsonResponse
from .models import Book

async def book_detail(request, pk):
    book = Book.objects.get(pk=pk)
    return JsonResponse({"title": book.title})
'''
valid = '''
from django.http import JsonResponse
from .models import Book

async def book_detail(request, pk):
    book = await Book.objects.aget(pk=pk)
    return JsonResponse({"title": book.title})
'''

[[examples]]
invalid = '''
from .models import Book

async def titles(request):
    books = Book.objects.filter(published=True).order_by("title")
    return [b.title for b in books]
'''
valid = '''
from asgiref.sync import sync_to_async
from .models import Book

async def titles(request):
    books = Book.objects.filter(published=True).order_by("title")
    titles = [b.title async for b in books]
    total = await sync_to_async(Book.objects.count)()
    return titles, total
'''

[[examples]]
invalid = '''
from .models import Order

async def mark_paid(order_id):
    order = await Order.objects.aget(pk=order_id)
    order.status = "paid"
    order.save()
'''
valid = '''
from channels.db import database_sync_to_async
from .models import Order

class Consumer:
    @database_sync_to_async
    def load(self, pk):
        return Order.objects.get(pk=pk)

    async def receive(self, text_data):
        order = await self.load(text_data)
        await order.asave()
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["function_definition"], node: Some(check), ..CodeRule::EMPTY };

/// Queryset methods that return another queryset without a query.
const LAZY: &[&str] = &[
    "all",
    "filter",
    "exclude",
    "order_by",
    "select_related",
    "prefetch_related",
    "annotate",
    "alias",
    "values",
    "values_list",
    "distinct",
    "only",
    "defer",
    "using",
    "select_for_update",
    "reverse",
    "none",
    "union",
    "intersection",
    "difference",
    "extra",
    "complex_filter",
    "dates",
    "datetimes",
];

/// Methods that run a query, with their async counterparts.
const TERMINAL: &[(&str, &str)] = &[
    ("get", "aget"),
    ("first", "afirst"),
    ("last", "alast"),
    ("earliest", "aearliest"),
    ("latest", "alatest"),
    ("count", "acount"),
    ("exists", "aexists"),
    ("contains", "acontains"),
    ("create", "acreate"),
    ("get_or_create", "aget_or_create"),
    ("update_or_create", "aupdate_or_create"),
    ("update", "aupdate"),
    ("delete", "adelete"),
    ("bulk_create", "abulk_create"),
    ("bulk_update", "abulk_update"),
    ("in_bulk", "ain_bulk"),
    ("aggregate", "aaggregate"),
    ("iterator", "aiterator"),
    ("explain", "aexplain"),
];

/// Related-manager methods that query (`order.lines.add(x)`).
const RELATED_ONLY: &[(&str, &str)] = &[("add", "aadd"), ("remove", "aremove"), ("clear", "aclear"), ("set", "aset")];

/// Instance methods that query.
const INSTANCE: &[(&str, &str)] = &[("save", "asave"), ("delete", "adelete"), ("refresh_from_db", "arefresh_from_db")];

/// Async methods returning a model instance.
const INSTANCE_SOURCES: &[&str] =
    &["aget", "afirst", "alast", "aearliest", "alatest", "acreate", "aget_or_create", "aupdate_or_create"];

const MANAGERS: &[&str] = &["objects", "_default_manager", "_base_manager"];

/// Calls that evaluate a queryset passed to them.
const EVALUATING: &[&str] = &["list", "tuple", "set", "len", "bool", "sorted", "sum", "any", "all", "dict"];

struct Scope {
    querysets: HashSet<String>,
    instances: HashSet<String>,
}

fn check(func: Node, ctx: &mut FileCtx) {
    if !is_async(func) || !(ctx.src.text.contains("django") || ctx.src.text.contains("models")) {
        return;
    }
    let Some(body) = func.field("body") else { return };
    let mut scope = Scope { querysets: HashSet::new(), instances: HashSet::new() };
    // Two passes so names assigned from names settle.
    for _ in 0..2 {
        walk_body(body, |n| {
            if n.ty() == "assignment" {
                let (Some(l), Some(r)) = (n.field("left"), n.field("right")) else {
                    return;
                };
                if l.ty() == "identifier" {
                    let name = ctx.text(l).to_string();
                    if is_queryset(r, ctx, &scope) {
                        scope.querysets.insert(name);
                    } else if is_instance_source(r, ctx) {
                        scope.instances.insert(name);
                    }
                } else if matches!(l.ty(), "pattern_list" | "tuple_pattern") && is_instance_source(r, ctx) {
                    // `obj, created = await X.objects.aget_or_create(...)`
                    if let Some(first) = l.named_child(0).filter(|f| f.ty() == "identifier") {
                        scope.instances.insert(ctx.text(first).to_string());
                    }
                }
            }
            if n.ty() == "for_statement" && is_async_for(n) {
                if let (Some(l), Some(r)) = (n.field("left"), n.field("right")) {
                    if l.ty() == "identifier" && is_queryset(r, ctx, &scope) {
                        scope.instances.insert(ctx.text(l).to_string());
                    }
                }
            }
        });
    }
    let mut hits: Vec<(Node, String, Option<Fix>)> = Vec::new();
    walk_body(body, |n| match n.ty() {
        "call" => {
            if let Some(hit) = sync_call(n, ctx, &scope) {
                hits.push(hit);
            }
        }
        "for_statement" if !is_async_for(n) => {
            if let Some(r) = n.field("right").filter(|r| is_queryset(*r, ctx, &scope)) {
                let fix = for_keyword(n).map(|(s, e)| fix(ctx, s, e, "async for", "iterate with async for"));
                let msg = format!(
                    "Iterating the queryset `{}` in async code runs a synchronous query (SynchronousOnlyOperation); \
                     use `async for`",
                    shorten(ctx.text(r))
                );
                hits.push((n, msg, fix));
            }
        }
        "for_in_clause" if !is_async_for(n) => {
            if let Some(r) = n.field("right").filter(|r| is_queryset(*r, ctx, &scope)) {
                let fix = for_keyword(n).map(|(s, e)| fix(ctx, s, e, "async for", "iterate with async for"));
                let msg = format!(
                    "The comprehension iterates the queryset `{}` synchronously in async code \
                     (SynchronousOnlyOperation); use `async for` inside it",
                    shorten(ctx.text(r))
                );
                hits.push((n.up().unwrap_or(n), msg, fix));
            }
        }
        _ => {}
    });
    for (node, msg, fix) in hits {
        let r = ctx.report(node, msg);
        r.fix = fix;
    }
}

/// Visits the statements and expressions of a function body, not entering
/// nested functions, lambdas or classes (they run wherever they are called,
/// typically through `sync_to_async`).
fn walk_body<'t>(body: Node<'t>, mut visit: impl FnMut(Node<'t>)) {
    descendants(body, |n| {
        if matches!(n.ty(), "function_definition" | "lambda" | "class_definition" | "decorated_definition") {
            return false;
        }
        visit(n);
        true
    });
}

fn is_async_for(n: Node) -> bool {
    let mut c = n.walk();
    let r = n.children(&mut c).any(|ch| ch.ty() == "async");
    r
}

/// The byte range of the `for` keyword.
fn for_keyword(n: Node) -> Option<(usize, usize)> {
    let mut c = n.walk();
    let r = n.children(&mut c).find(|ch| ch.ty() == "for").map(|f| (f.start_byte(), f.end_byte()));
    r
}

fn fix(ctx: &FileCtx, start: usize, end: usize, replacement: &str, description: &str) -> Fix {
    Fix {
        description: description.to_string(),
        edits: vec![Edit {
            path: ctx.rel.to_string(),
            span: ctx.src.span(start, end),
            replacement: replacement.into(),
        }],
    }
}

fn method_of<'t>(call: Node<'t>, ctx: &FileCtx<'t>) -> Option<(Node<'t>, &'t str)> {
    let f = call.field("function")?;
    if f.ty() != "attribute" {
        return None;
    }
    Some((f.field("object")?, ctx.text(f.field("attribute")?)))
}

/// A manager (`Book.objects`), a related manager of an instance obtained in
/// the function (`order.lines`), a lazy chain on either, or a name bound to
/// one of those.
fn is_queryset(n: Node, ctx: &FileCtx, scope: &Scope) -> bool {
    match n.ty() {
        "identifier" => scope.querysets.contains(ctx.text(n)),
        "attribute" => {
            let attr = n.field("attribute").map(|a| ctx.text(a)).unwrap_or("");
            if MANAGERS.contains(&attr) {
                // `Book.objects`, `self.model.objects`: not `settings.objects`.
                return n.field("object").is_some_and(|o| ctx.text(o) != "self");
            }
            is_related_manager(n, ctx, scope)
        }
        "call" => match method_of(n, ctx) {
            Some((recv, m)) if LAZY.contains(&m) => is_queryset(recv, ctx, scope),
            _ => false,
        },
        "parenthesized_expression" => n.named_child(0).is_some_and(|i| is_queryset(i, ctx, scope)),
        _ => false,
    }
}

/// `order.lines` where `order` is a model instance obtained in the function.
fn is_related_manager(n: Node, ctx: &FileCtx, scope: &Scope) -> bool {
    n.ty() == "attribute"
        && n.field("object").is_some_and(|o| o.ty() == "identifier" && scope.instances.contains(ctx.text(o)))
}

/// `await Book.objects.aget(...)`, `await qs.afirst()`.
fn is_instance_source(n: Node, ctx: &FileCtx) -> bool {
    if n.ty() != "await" {
        return false;
    }
    let Some(call) = n.named_child(0).filter(|c| c.ty() == "call") else { return false };
    let empty = Scope { querysets: HashSet::new(), instances: HashSet::new() };
    match method_of(call, ctx) {
        Some((recv, m)) => {
            INSTANCE_SOURCES.contains(&m) && (is_queryset(recv, ctx, &empty) || recv.ty() == "identifier")
        }
        None => false,
    }
}

fn sync_call<'t>(call: Node<'t>, ctx: &FileCtx<'t>, scope: &Scope) -> Option<(Node<'t>, String, Option<Fix>)> {
    let f = call.field("function")?;
    // `list(qs)`, `len(qs)`
    if f.ty() == "identifier" && EVALUATING.contains(&ctx.text(f)) {
        let arg = crate::semantics::python::positional_args(call).first().copied()?;
        if is_queryset(arg, ctx, scope) && !is_related_manager(arg, ctx, scope) {
            let msg = format!(
                "{}() evaluates the queryset `{}` synchronously in async code (SynchronousOnlyOperation); collect it \
                 with `[x async for x in ...]` or use acount()/aexists()",
                ctx.text(f),
                shorten(ctx.text(arg))
            );
            return Some((call, msg, None));
        }
        return None;
    }
    let (recv, m) = method_of(call, ctx)?;
    let counterpart = if is_queryset(recv, ctx, scope) {
        let related = is_related_manager(recv, ctx, scope);
        TERMINAL.iter().chain(if related { RELATED_ONLY } else { &[] }).find(|(s, _)| *s == m).map(|(_, a)| *a)
    } else if recv.ty() == "identifier" && scope.instances.contains(ctx.text(recv)) {
        INSTANCE.iter().find(|(s, _)| *s == m).map(|(_, a)| *a)
    } else {
        None
    }?;
    if call.up().is_some_and(|p| p.ty() == "await") {
        return None;
    }
    let method_node = f.field("attribute")?;
    let msg = format!(
        "`{}` runs a synchronous query in async code: Django raises SynchronousOnlyOperation; use `await \
         ...{counterpart}()`",
        shorten(ctx.text(call))
    );
    let mut fx = fix(ctx, method_node.start_byte(), method_node.end_byte(), counterpart, "");
    fx.edits.insert(
        0,
        Edit {
            path: ctx.rel.to_string(),
            span: ctx.src.span(call.start_byte(), call.start_byte()),
            replacement: "await ".into(),
        },
    );
    fx.description = format!("await {counterpart}() instead of {m}()");
    Some((call, msg, Some(fx)))
}
