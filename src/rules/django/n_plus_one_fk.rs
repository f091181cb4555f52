//! `django/n-plus-one-fk`: a loop over a queryset reads a forward
//! ForeignKey/OneToOne (or a generic foreign key) of each row that the
//! queryset does not load with `select_related`/`prefetch_related`.

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::querysets::{report_n_plus_one, Analysis, NPlusOneRule};

const DOC: &str = r#####"
id = "django/n-plus-one-fk"
languages = ["python"]
severity = "warning"
category = "performance"
confidence = "high"
summary = "Foreign key read per row of a queryset loop without select_related"

[docs]
what = """
Flags a loop over a queryset (`for`, list/set/dict comprehensions, generator expressions such as
`sum(...)` or `", ".join(...)` arguments, nested loops over a related manager) whose body reads a
forward `ForeignKey`/`OneToOneField` of the loop variable (`book.author.name`), a reverse
one-to-one, or a `GenericForeignKey`, when the queryset does not load it: no covering
`select_related("author")` (the argument-less `select_related()` covers every forward key) or
`prefetch_related(...)` (strings and `Prefetch` objects). Nested reads (`book.author.publisher`)
need the whole path (`"author__publisher"`). `book.author_id` reads the column and is fine.

The queryset is followed through `Model.objects...` chains, custom managers and querysets
(`objects = BookQuerySet.as_manager()`, whose methods are read to see what they add), variables
assigned from it and narrowed with `.filter()`, `.order_by()`, slices or a later
`.select_related()`, `self.get_queryset()` of class-based views, and `author = book.author`
aliases in the loop. Models are resolved across the project: `models.py` files and `models/`
packages, abstract bases, multi-table inheritance, `"app.Model"` strings,
`settings.AUTH_USER_MODEL`. A queryset whose model cannot be resolved, one made of `values()`
rows, or one built by code that cannot be followed is left alone. A model method or property
read on the row (`entry.author_name` returning `self.author.name`) counts as the relations it
reads on `self`, through bases and the methods it calls; the message names the method. Querysets passed into a
template's context are out of scope: the template that reads the relation is not analysed. So are
loops over a related manager of an object the function receives (a parameter, `self` in a model
method): whether the caller prefetched the relation is not visible there. A queryset variable
iterated a second time reuses the instances (and relations) the first loop loaded, and is not
reported again.

The finding starts at the first read of each relation in the loop; the queryset and the loop are
related locations. When the loop calls a method of the related row that runs queries of its own
(`device.rack.get_available_units()`), loading the row with the others removes one query of
several per row: the finding is then at low confidence (shown with `--min-confidence low`) and
says so.
"""
why = """
Django loads a foreign key lazily: the first `book.author` of each row runs one `SELECT` on the
author table. A page listing 50 books runs 51 queries instead of 1, and the count grows with the
data - the classic N+1 that makes list views and exports slow in production while they look
fine on a developer's three rows.
"""
example = '''
def book_list(request):
    books = Book.objects.filter(published=True)
    for book in books:
        print(book.title, book.author.name)      # one query per book
'''
fix = '''
Load the relation with the rows, in the same query, with a JOIN:

    books = Book.objects.filter(published=True).select_related("author")

Follow nested keys with `__` (`select_related("author__publisher")`). Generic foreign keys and
relations read under a prefetched manager need `prefetch_related(...)` instead. On Django 6.1 and
later, `.fetch_mode(models.FETCH_PEERS)` on the queryset is an alternative that loads a relation
for all rows the first time one row reads it. The fix stackfit suggests inserts the call at the
end of the queryset expression, or adds the path to an existing `select_related(...)`; it also
adds the relation to an `.only(...)` list, which may not defer a selected relation.
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/models/querysets/#select-related",
  "https://docs.djangoproject.com/en/stable/topics/db/optimization/#retrieve-everything-at-once-if-you-know-you-will-need-it",
  "https://docs.djangoproject.com/en/dev/topics/db/fetch-modes/",
]
guidance = ["G9"]

[[examples]]
path = "library/views.py"
invalid = '''
from .models import Book

def book_titles(request):
    books = Book.objects.filter(in_print=True)
    return [f"{b.title} by {b.author.name}" for b in books]
'''
valid = '''
from .models import Book

def book_titles(request):
    books = Book.objects.filter(in_print=True)
    books = books.select_related("author")
    return [f"{b.title} by {b.author.name}" for b in books]
'''
[examples.files]
"library/models.py" = '''
from django.db import models

class Author(models.Model):
    name = models.CharField(max_length=100)

class Book(models.Model):
    title = models.CharField(max_length=200)
    in_print = models.BooleanField(default=True)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
'''

[[examples]]
path = "library/reports.py"
invalid = '''
from library.models import Book

def publishers():
    for book in Book.objects.select_related("author"):
        print(book.author.publisher.name)
'''
valid = '''
from library.models import Book

def author_ids():
    return [book.author_id for book in Book.objects.all()]
'''
[examples.files]
"library/models/__init__.py" = "from .catalog import *\n"
"library/models/catalog.py" = '''
from django.db import models

class Publisher(models.Model):
    name = models.CharField(max_length=100)

class Author(models.Model):
    publisher = models.ForeignKey("library.Publisher", on_delete=models.CASCADE)

class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
'''

[[examples]]
path = "library/views.py"
valid = '''
from .models import Book

def titles(request):
    rows = Book.objects.values("title", "author__name")
    return [f"{r['title']} {r['author__name']}" for r in rows]
'''
invalid = '''
from .models import Book

def titles(request):
    return ", ".join(b.author.name for b in Book.objects.only("title", "author_id")[:20])
'''
[examples.files]
"library/models.py" = '''
from django.db import models

class Author(models.Model):
    name = models.CharField(max_length=100)

class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let a = Analysis::new(ctx);
    for f in a.n_plus_one() {
        if f.rule == NPlusOneRule::Fk {
            report_n_plus_one(out, f);
        }
    }
}
