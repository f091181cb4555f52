//! `django/save-in-loop`: `.save()`, `.create()` or `.delete()` of a model
//! called once per loop iteration.

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::finding::{Confidence, Location};
use crate::model::django::querysets::{Analysis, Iterates, WriteTarget};

const DOC: &str = r#####"
id = "django/save-in-loop"
languages = ["python"]
severity = "note"
category = "performance"
confidence = "medium"
summary = "Model saved, created or deleted once per loop iteration"

[docs]
what = """
Flags a write issued once per loop iteration (`for`, `while`, comprehensions): `obj.save()` or
`obj.delete()` on the variable of a loop over a queryset or on a variable assigned `Model(...)`,
and `Model.objects.create()`, `get_or_create()`, `update_or_create()`, a queryset's `.delete()`
or a related manager's `.create()` (`book.reviews.create(...)`). The model must resolve to a
model of the project or one of Django's. A call followed by `break`/`return` runs at most once
and is left alone. Writes on objects whose type cannot be told (`form.save()`) are not
flagged. The finding starts at the call; the loop is a related location.

A loop over a constant collection is not flagged. These are reported at low confidence (shown
with `--min-confidence low`): loops over values of unknown origin (a parameter, a computed
list); models whose `save()`/`delete()` or save signals bulk writes would skip (the message
names them); loops that copy rows (`row.pk = None; row.save()`, `save(force_insert=True)`, or
creating a row of the model the loop reads: the fix is `bulk_create`, and a one-off clone is
bounded by what it copies); a `delete()` among other per-row work; loops that send a mail
or enqueue a task per row, which costs more than the write beside it; and a save after a call
of one of the model's own methods that runs queries (`category.synchronize();
category.save()`): batching the save leaves those queries, one set per row; and a save beside an
inner loop that queries or writes per item of its own (that inner loop is the cost, and is
reported itself).
"""
why = """
Every `save()` is an `UPDATE` or `INSERT` round trip, plus the `pre_save`/`post_save` signals;
every `create()` an `INSERT`. Importing 10,000 rows this way takes 10,000 queries and, inside a
transaction, holds its locks for all of that time. Django has bulk operations that do the same
work in one or a few queries.
"""
example = '''
for row in csv_rows:
    Product.objects.create(sku=row["sku"], price=row["price"])
'''
fix = '''
Build the objects first and write them together:

    Product.objects.bulk_create([Product(sku=r["sku"], price=r["price"]) for r in csv_rows])

For changes to existing rows use `Model.objects.bulk_update(objs, ["field", ...])`, or a single
queryset `.update(field=value)` when every row gets the same value; for deletions one
`Model.objects.filter(pk__in=ids).delete()`. Note that bulk operations do not call `save()` or
send `pre_save`/`post_save` signals: move logic that relies on them out of the loop explicitly.
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/models/querysets/#bulk-create",
  "https://docs.djangoproject.com/en/stable/ref/models/querysets/#bulk-update",
  "https://docs.djangoproject.com/en/stable/ref/models/querysets/#update",
  "https://docs.djangoproject.com/en/stable/topics/db/optimization/#insert-in-bulk",
]
guidance = ["G9"]

[[examples]]
path = "shop/imports.py"
invalid = '''
from shop.models import Product

def import_rows(rows):
    for row in rows:
        Product.objects.create(sku=row["sku"], price=row["price"])
'''
valid = '''
from shop.models import Product

def import_rows(rows):
    Product.objects.bulk_create([Product(sku=r["sku"], price=r["price"]) for r in rows])
'''
[examples.files]
"shop/models.py" = '''
from django.db import models

class Product(models.Model):
    sku = models.CharField(max_length=32)
    price = models.IntegerField(default=0)
'''

[[examples]]
path = "shop/tasks.py"
invalid = '''
from shop.models import Product

def discount():
    for product in Product.objects.filter(price__gt=100):
        product.price = product.price * 9 // 10
        product.save()
'''
valid = '''
from shop.models import Product

def first_cheap(form_list):
    for form in form_list:
        form.save()
    for product in Product.objects.filter(price__lt=10):
        product.save()
        break
'''
[examples.files]
"shop/models.py" = '''
from django.db import models

class Product(models.Model):
    price = models.IntegerField(default=0)
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

/// Why a bulk write would not do what the loop does for `model`: its class
/// or a base (a model or a mixin, by name) defines `method`, or (for
/// `save`) a signal receiver runs per row. `method` is `save` or `delete`.
fn bulk_skips(a: &Analysis, model: usize, method: &str) -> Option<String> {
    // A queryset's delete() still sends pre_delete/post_delete for every row
    // (it collects them first); bulk_create/bulk_update/update() send no
    // save signal.
    let signals: &[&str] = if method == "save" { &["pre_save", "post_save"] } else { &[] };
    let defines =
        a.find_class(model, |e, class| e.classes.iter().any(|(c, ms)| c == class && ms.iter().any(|x| x == method)));
    if let Some((m, class)) = defines {
        let entry = &a.index.models[m];
        return Some(format!("{} defines {method}()", if class == entry.class.name { &entry.name } else { class }));
    }
    let name = &a.index.models[model].name;
    for e in a.files.iter().map(|f| &f.facts.side_effects) {
        for (sig, sender) in &e.receivers {
            if signals.contains(&sig.as_str()) && sender.as_deref().is_none_or(|s| s == name) {
                return Some(match sender {
                    Some(_) => format!("a {sig} receiver runs for every {name}"),
                    None => format!("a {sig} receiver runs for every model"),
                });
            }
        }
    }
    None
}

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let a = Analysis::new(ctx);
    for &file in &a.files {
        for func in &file.facts.functions {
            for w in &func.writes {
                let model = match &w.target {
                    WriteTarget::LoopVar(l) => func
                        .loops
                        .get(*l as usize)
                        .and_then(|lp| lp.source.as_ref())
                        .and_then(|src| a.resolve(file, Some(func), src, None, 0))
                        .filter(|r| !r.effect.values)
                        .map(|r| r.model),
                    WriteTarget::Instance(m) => a.index.resolve_model_ref(m, &file.facts.module),
                    WriteTarget::Queryset(src) => a.resolve(file, Some(func), src, None, 0).map(|r| r.model),
                };
                let Some(model) = model else { continue };
                let Some(lp) = func.loops.get(w.loop_ as usize) else { continue };
                let confidence = match func.iterates(w.loop_) {
                    Iterates::Constant => continue,
                    Iterates::Unknown => Some(Confidence::Low),
                    Iterates::Database => None,
                };
                let name = a.index.name(model);
                let instead = match (w.method.as_str(), &w.target) {
                    ("save", WriteTarget::LoopVar(_)) => {
                        format!("collect the changed rows and call {name}.objects.bulk_update(rows, [fields]) after the loop, or one queryset .update()")
                    }
                    ("save", _) | ("create" | "insert", _) => {
                        format!("build the {name} objects in the loop and insert them with one {name}.objects.bulk_create(...) after it")
                    }
                    ("get_or_create" | "update_or_create", _) => {
                        format!("load the existing {name} rows in one query, then bulk_create() the missing ones and bulk_update() the rest")
                    }
                    // `for row in qs: row.delete()` and nothing else per row.
                    ("delete", WriteTarget::LoopVar(l)) if w.only && *l == w.loop_ => "call .delete() on the queryset the loop iterates instead: one query, and pre_delete/post_delete receivers still run for every row".to_string(),
                    _ => format!(
                        "delete the rows in one query after the loop: {name}.objects.filter(pk__in=...).delete()"
                    ),
                };
                // Bulk writes skip save()/delete() overrides and signals: then
                // the change is not a drop-in one, say so (and, unsure the
                // loop is worth it, at low confidence).
                let kind = if w.method == "delete" { "delete" } else { "save" };
                let caveat = bulk_skips(&a, model, kind);
                // A delete or a copy among other per-row work (logging, new
                // rows built from it, calls) is not where the time goes.
                let incidental = w.busy && matches!(w.method.as_str(), "delete" | "insert");
                // Copying rows (`row.pk = None; row.save()`, or creating a row
                // of the model the loop reads): a one-off clone bounded by
                // what is copied.
                let loop_model = lp.source.as_ref().and_then(|src| a.resolve(file, Some(func), src, None, 0));
                let copies = w.method == "insert"
                    || loop_model
                        .is_some_and(|r| r.model == model && a.copies_rows(file, func, w.loop_ as usize, r.model));
                // `row.synchronize(); row.save()`: the per-row method runs
                // its own queries, and batching the save leaves them all.
                let recomputes = w.method == "save"
                    && matches!(w.target, WriteTarget::LoopVar(l) if l == w.loop_)
                    && lp.accesses.iter().any(|acc| {
                        acc.called && acc.alias_len == 0 && acc.segs.len() == 1 && a.method_queries(model, &acc.segs[0])
                    });
                // The row's write beside an inner loop that queries or
                // writes per item of its own: that inner loop is the cost.
                let inner_work = func.loops.iter().enumerate().any(|(i, inner)| {
                    inner.parent == Some(w.loop_)
                        && (func.queries.iter().any(|q| q.loop_ as usize == i)
                            || func.writes.iter().any(|x| x.loop_ as usize == i))
                });
                let incidental = incidental || copies || lp.dispatches || recomputes || inner_work;
                let confidence = if caveat.is_some() || incidental { Some(Confidence::Low) } else { confidence };
                let message = match &caveat {
                    None => format!(
                        "'{}()' writes one {name} row per iteration of the loop on line {}: {instead}",
                        w.text, lp.header.start_line
                    ),
                    Some(why) => format!(
                        "'{}()' writes one {name} row per iteration of the loop on line {}; batching is not a drop-in change because {why}, which bulk writes skip: {instead} only after moving that logic",
                        w.text, lp.header.start_line
                    ),
                };
                let f = out.report(Location { path: file.rel.to_string(), span: w.span, message: None }, message);
                f.related(Location { path: file.rel.to_string(), span: lp.header, message: Some("the loop".into()) });
                f.confidence = confidence;
            }
        }
    }
}
