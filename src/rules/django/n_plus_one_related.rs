//! `django/n-plus-one-related`: a loop over a queryset calls a reverse
//! ForeignKey or many-to-many manager of each row (`book.tags.all()`,
//! `author.book_set.count()`) that the queryset does not prefetch.

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::querysets::{report_n_plus_one, Analysis, NPlusOneRule};

const DOC: &str = r#####"
id = "django/n-plus-one-related"
languages = ["python"]
severity = "warning"
category = "performance"
confidence = "high"
summary = "Related manager queried per row of a queryset loop without prefetch_related"

[docs]
what = """
Flags a loop over a queryset whose body calls a related manager of the loop variable: a
`ManyToManyField` (`book.tags.all()`), the reverse side of a `ForeignKey` (`author.book_set`,
`author.books` with `related_name="books"`), a reverse many-to-many or a `GenericRelation`, with
`.all()`, `.count()`, `.exists()`, `.first()`/`.last()` or by iterating it in a nested loop,
when the queryset has no covering `prefetch_related(...)` (a string or a `Prefetch` object). Calls
that build a new query on the manager (`.filter()`, `.exclude()`, `.order_by()`, `.get()`,
`.values()`, `.annotate()`...) run a query per row even when the relation is prefetched, and are
flagged whatever the queryset does.

Querysets, models and relation names are resolved as for `django/n-plus-one-fk` (custom managers,
reassigned variables, `self.get_queryset()`, abstract bases, `related_name` with
`%(class)s`, default `<model>_set` names). Querysets handed to templates are out of scope.
A model method, `@property` or `cached_property` called or read on the row counts as what it
reads on `self` (`project.open_ticket_count()` running `self.tickets.filter(...)`), through the
class's bases and the methods it calls on `self`; the message names the chain. A method that also
writes, runs queries of its own or updates the row's attributes (a recount) is reported at low
confidence: prefetching removes only part of its cost.
The finding starts at the first such call per relation in the loop; the queryset and the loop are
related locations.
"""
why = """
A related manager is not cached on the instance: every `book.tags.all()` in a loop is its own
`SELECT`, so a list of 100 books with their tags costs 101 queries. `prefetch_related("tags")`
loads the tags of all the books in one extra query and answers `.all()`, `.count()` and
`.exists()` from memory.
"""
example = '''
for author in Author.objects.all():
    print(author.name, author.books.count())     # one COUNT per author
'''
fix = '''
Prefetch the relation on the queryset (`Author.objects.prefetch_related("books")`), or, when only
a number is needed, let the database count in the same query:

    authors = Author.objects.annotate(books_count=Count("books"))
    for author in authors:
        print(author.name, author.books_count)

For a filtered relation, prefetch the filtered rows once:
`prefetch_related(Prefetch("books", queryset=Book.objects.filter(in_print=True), to_attr="in_print_books"))`
and read `author.in_print_books`. The fix stackfit suggests adds the lookup to an existing
`prefetch_related(...)` when there is one.
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/models/querysets/#prefetch-related",
  "https://docs.djangoproject.com/en/stable/ref/models/querysets/#django.db.models.Prefetch",
  "https://docs.djangoproject.com/en/stable/topics/db/aggregation/#generating-aggregates-for-each-item-in-a-queryset",
]
guidance = ["G9"]

[[examples]]
path = "blog/views.py"
invalid = '''
from .models import Post

def post_tags(request):
    return {p.title: [t.name for t in p.tags.all()] for p in Post.objects.all()}
'''
valid = '''
from .models import Post

def post_tags(request):
    posts = Post.objects.prefetch_related("tags")
    return {p.title: [t.name for t in p.tags.all()] for p in posts}
'''
[examples.files]
"blog/models.py" = '''
from django.db import models

class Tag(models.Model):
    name = models.CharField(max_length=50)

class Post(models.Model):
    title = models.CharField(max_length=200)
    tags = models.ManyToManyField(Tag, related_name="posts")
'''

[[examples]]
path = "blog/stats.py"
invalid = '''
from blog.models import Author

def post_counts():
    for author in Author.objects.order_by("name"):
        yield author.name, author.post_set.count()
'''
valid = '''
from django.db.models import Count, Prefetch
from blog.models import Author, Post

def post_counts():
    newest_first = Post.objects.order_by("-id")
    for author in Author.objects.prefetch_related(Prefetch("post_set", queryset=newest_first)):
        yield author.name, author.post_set.count()
'''
[examples.files]
"blog/models.py" = '''
from django.db import models

class Author(models.Model):
    name = models.CharField(max_length=100)

class Post(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let a = Analysis::new(ctx);
    for f in a.n_plus_one() {
        if f.rule == NPlusOneRule::Related {
            report_n_plus_one(out, f);
        }
    }
}
