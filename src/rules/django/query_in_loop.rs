//! `django/query-in-loop`: an explicit query run once per loop iteration
//! whose arguments depend on the loop variable.

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::finding::{Confidence, Location};
use crate::model::django::querysets::{Analysis, Iterates};

const DOC: &str = r#####"
id = "django/query-in-loop"
languages = ["python"]
severity = "warning"
category = "performance"
confidence = "high"
summary = "Query executed once per loop iteration with loop-dependent arguments"

[docs]
what = """
Flags an explicit query inside a loop (`for`, `while`, comprehensions, generator expressions)
whose arguments depend on a loop variable, or on a name computed from one in the loop:
`Model.objects.get(...)`, `.filter(...).first()/.last()/.count()/.exists()/.aggregate(...)`,
`.in_bulk(...)`, `get_object_or_404(Model, ...)`, a filtered queryset that a nested loop
iterates or that `list()`/`len()` evaluates, and querysets built on a variable holding one
(`base = Book.objects.filter(...)` before the loop, `base.filter(author=a).count()` inside).
The model must resolve to a model of the project or one of Django's (`User`, `Group`, ...). A
call followed by `break`/`return` (it runs at most once) is not flagged; neither is a query
that does not depend on the loop (hoisting it is still worth it). Reads of relations of the
loop variable (`book.author`, `book.tags.all()`) are `django/n-plus-one-fk` and
`django/n-plus-one-related`. The finding starts at the call; the loop is a related location.

Not flagged: loops over a constant collection, queries in an `except` block of the loop (the
rare path) and row-locking re-reads (`select_for_update()`, where one query per row is the
point). At low confidence (shown with `--min-confidence low`): loops over values of unknown
origin (a parameter, ids collected elsewhere) and loops that send a mail or enqueue a task per
row.
"""
why = """
Each iteration is a round trip to the database: a loop over 500 ids is 500 queries, and the
latency adds up linearly with the data. One query that fetches every row the loop needs is
almost always possible and faster by orders of magnitude.
"""
example = '''
for order_id in order_ids:
    order = Order.objects.get(pk=order_id)
    total += order.amount
'''
fix = '''
Fetch the rows in one query before the loop and look them up in memory:

    orders = Order.objects.in_bulk(order_ids)            # {pk: order}
    for order_id in order_ids:
        total += orders[order_id].amount

or `Order.objects.filter(customer__in=customers)` grouped in a dict, `annotate(...)` for per-row
counts, `Exists(...)`/`Subquery(...)` when a per-row existence or value is needed.
'''
references = [
  "https://docs.djangoproject.com/en/stable/topics/db/optimization/",
  "https://docs.djangoproject.com/en/stable/ref/models/querysets/#in-bulk",
  "https://docs.djangoproject.com/en/stable/ref/models/querysets/#in",
]
guidance = ["G9"]

[[examples]]
path = "shop/tasks.py"
invalid = '''
from shop.models import Product

def restock(skus):
    for sku in skus:
        product = Product.objects.get(sku=sku)
        product.stock += 10
'''
valid = '''
from shop.models import Product

def restock(skus):
    products = Product.objects.filter(sku__in=skus)
    for product in products:
        product.stock += 10
'''
[examples.files]
"shop/models.py" = '''
from django.db import models

class Product(models.Model):
    sku = models.CharField(max_length=32)
    stock = models.IntegerField(default=0)
'''

[[examples]]
path = "shop/views.py"
invalid = '''
from django.shortcuts import get_object_or_404
from .models import Product

def prices(request):
    return {pk: get_object_or_404(Product, pk=pk).price for pk in request.GET.getlist("id")}
'''
valid = '''
from .models import Product

def prices(request):
    active = Product.objects.filter(active=True).count()
    return {pk: active for pk in request.GET.getlist("id")}
'''
[examples.files]
"shop/models.py" = '''
from django.db import models

class Product(models.Model):
    price = models.IntegerField(default=0)
    active = models.BooleanField(default=True)
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let a = Analysis::new(ctx);
    for &file in &a.files {
        for func in &file.facts.functions {
            for q in &func.queries {
                let model = match (&q.model, &q.source) {
                    (Some(m), _) => a.index.resolve_model_ref(m, &file.facts.module),
                    (None, Some(src)) => a.resolve(file, Some(func), src, None, 0).map(|r| r.model),
                    _ => None,
                };
                let Some(model) = model else { continue };
                let Some(lp) = func.loops.get(q.loop_ as usize) else { continue };
                // A loop over a constant collection runs a fixed number of
                // queries; over values of unknown origin, maybe a handful.
                let confidence = match func.iterates(q.loop_) {
                    Iterates::Constant => continue,
                    Iterates::Unknown => Some(Confidence::Low),
                    Iterates::Database => None,
                };
                // Each iteration enqueues a task or sends a mail: that is the
                // per-row cost, not the query beside it.
                let confidence = if lp.dispatches { Some(Confidence::Low) } else { confidence };
                let name = a.index.name(model);
                let deps = q.deps.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ");
                let what = if q.method == "iterate" { q.text.clone() } else { format!("{}(...)", q.text) };
                let message = format!(
                    "'{what}' queries {name} once per iteration of the loop on line {} (its arguments use {deps}): fetch the rows in one query before the loop ({name}.objects.filter(..._in=...) or in_bulk()) and look them up in a dict",
                    lp.header.start_line
                );
                let f = out.report(Location { path: file.rel.to_string(), span: q.span, message: None }, message);
                f.related(Location { path: file.rel.to_string(), span: lp.header, message: Some("the loop".into()) });
                f.confidence = confidence;
            }
        }
    }
}
