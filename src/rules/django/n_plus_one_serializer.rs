//! `drf/n-plus-one-serializer`: a DRF list view whose queryset does not
//! load the relations its serializer renders for every row.

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::finding::{Edit, Fix, Location};
use crate::model::django::drf::{Requirement, Serializers};
use crate::model::django::querysets::{
    lookup_edits, report_n_plus_one, Analysis, LookupCall, NPlusOne, NPlusOneRule, QsFrom, QsOrigin, Resolved,
};

const DOC: &str = r#####"
id = "drf/n-plus-one-serializer"
languages = ["python"]
severity = "warning"
category = "performance"
confidence = "medium"
summary = "DRF list view whose queryset lacks the select_related/prefetch_related its serializer needs"

[docs]
what = """
Flags a Django REST framework view or viewset that lists objects (`ListAPIView`,
`ListCreateAPIView`, `ModelViewSet`, `ReadOnlyModelViewSet`, `ListModelMixin`, or a `list()` of
its own) when its queryset does not load a relation its serializer reads for every row:
- a nested serializer (`author = AuthorSerializer()`, `reviews = ReviewSerializer(many=True)`),
  followed recursively into the nested serializer's own fields;
- a dotted `source="author.name"` (or `source="reviews.count"`);
- a `SerializerMethodField` whose `get_<name>(self, obj)` reads `obj.author...` or calls
  `obj.tags.all()/.count()/.exists()`;
- `StringRelatedField`, `SlugRelatedField`, and `HyperlinkedRelatedField` with a `lookup_field`
  other than the pk on a foreign key; any of those or `PrimaryKeyRelatedField` with `many=True` on
  a many-to-many or reverse relation, including the fields `ModelSerializer` generates for
  many-to-many and reverse relations named in `Meta.fields` (and every relation with
  `Meta.depth`).

Which serializer a view uses comes from `serializer_class` or a `get_serializer_class` that
returns a single class; the queryset from `queryset = ...` or each `return` of `get_queryset`
(following `super().get_queryset()` and base classes across modules). Forward relations need
`select_related`, managers and anything under them `prefetch_related`. A view whose queryset
or serializer cannot be resolved, or whose queryset is built by code that cannot be followed
(`prefetch_related(*lookups)`), is left alone. Detail-only views serialize one object and are
not flagged. The finding starts at the `queryset =` assignment or the `return` of
`get_queryset`; the serializer fields are related locations.
"""
why = """
A serializer renders each object of the page on its own: every nested serializer, dotted source
or related field that reaches another table runs one query per row (and per level of nesting).
A page of 100 books with their author and tags costs 201 queries instead of 3, which is the
most common reason DRF list endpoints get slow as data grows.
"""
example = '''
class BookSerializer(serializers.ModelSerializer):
    author = AuthorSerializer()
    tags = serializers.StringRelatedField(many=True)

class BookViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Book.objects.all()          # author and tags loaded per row
    serializer_class = BookSerializer
'''
fix = '''
Load what the serializer renders on the view's queryset:

    queryset = Book.objects.select_related("author").prefetch_related("tags")

Relations under a many relation are prefetched with their full path
(`prefetch_related("reviews__user")`), or with a `Prefetch("reviews",
queryset=Review.objects.select_related("user"))`. For counts, annotate them
(`annotate(review_count=Count("reviews"))`) and use `IntegerField(read_only=True)`.
'''
references = [
  "https://www.django-rest-framework.org/api-guide/relations/",
  "https://www.django-rest-framework.org/api-guide/generic-views/#get_querysetself",
  "https://docs.djangoproject.com/en/stable/ref/models/querysets/#select-related",
  "https://docs.djangoproject.com/en/stable/ref/models/querysets/#prefetch-related",
]
guidance = ["G9"]

[[examples]]
path = "api/views.py"
invalid = '''
from rest_framework import viewsets
from catalog.models import Book
from .serializers import BookSerializer

class BookViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
'''
valid = '''
from rest_framework import viewsets
from catalog.models import Book
from .serializers import BookSerializer

class BookViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Book.objects.select_related("author").prefetch_related("tags")
    serializer_class = BookSerializer
'''
[examples.files]
"catalog/models.py" = '''
from django.db import models

class Author(models.Model):
    name = models.CharField(max_length=100)

class Tag(models.Model):
    name = models.CharField(max_length=50)

class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
    tags = models.ManyToManyField(Tag)
'''
"api/serializers.py" = '''
from rest_framework import serializers
from catalog.models import Author, Book

class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]

class BookSerializer(serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True)
    tags = serializers.StringRelatedField(many=True)

    class Meta:
        model = Book
        fields = ["id", "title", "author", "tags"]
'''

[[examples]]
path = "api/views.py"
invalid = '''
from rest_framework import generics
from catalog.models import Book
from .serializers import BookSerializer

class BookList(generics.ListAPIView):
    serializer_class = BookSerializer

    def get_queryset(self):
        return Book.objects.filter(title__icontains=self.request.query_params.get("q", ""))
'''
valid = '''
from rest_framework import generics
from catalog.models import Book
from .serializers import BookSerializer

class BookDetail(generics.RetrieveAPIView):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
'''
[examples.files]
"catalog/models.py" = '''
from django.db import models

class Author(models.Model):
    name = models.CharField(max_length=100)

class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
'''
"api/serializers.py" = '''
from rest_framework import serializers
from catalog.models import Book

class BookSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.name")

    class Meta:
        model = Book
        fields = ["id", "title", "author_name"]
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

/// DRF bases that give a view a `list` action.
const LIST_BASES: &[&str] =
    &["ListAPIView", "ListCreateAPIView", "ModelViewSet", "ReadOnlyModelViewSet", "ListModelMixin"];

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let a = Analysis::new(ctx);
    let sers = Serializers::new(ctx.files);
    if sers.all.is_empty() {
        return;
    }
    for vi in 0..a.views.all.len() {
        for f in view_findings(&a, &sers, vi) {
            report_n_plus_one(out, f);
        }
    }
}

fn is_list_view(a: &Analysis, vi: usize) -> bool {
    a.views.mro(vi).iter().flatten().any(|&c| {
        let v = a.views.all[c].1;
        v.list || v.bases.iter().any(|b| LIST_BASES.contains(&b.name.as_str()))
    })
}

/// The serializer a view uses: its (or its nearest base's)
/// `serializer_class`, or the one class `get_serializer_class` returns.
fn view_serializer(a: &Analysis, sers: &Serializers, vi: usize) -> Option<usize> {
    for c in a.views.mro(vi) {
        let (f, v) = a.views.all[(*c)?];
        let Some(list) = &v.serializers else { continue };
        let mut found = None;
        for r in list {
            let s = sers.resolve(r.as_ref()?, &f.facts.module)?;
            if found.is_some_and(|x| x != s) {
                return None;
            }
            found = Some(s);
        }
        return found;
    }
    None
}

fn view_findings(a: &Analysis, sers: &Serializers, vi: usize) -> Vec<NPlusOne> {
    let mut out = Vec::new();
    if !is_list_view(a, vi) {
        return out;
    }
    let Some(s) = view_serializer(a, sers, vi) else { return out };
    // Every way the view builds its queryset must be readable.
    let defs: Vec<(Location, Resolved)> = match a.queryset_defs(vi, QsFrom::Full) {
        Some(QsOrigin::GetQueryset(f, defs)) => {
            let mut v = Vec::new();
            for d in defs {
                let Some(r) = d.source.as_ref().and_then(|src| a.resolve(f, None, src, Some(vi), 0)) else {
                    return out;
                };
                v.push((Location { path: f.rel.to_string(), span: d.span, message: None }, r));
            }
            v
        }
        Some(QsOrigin::Attribute(f, d)) => {
            let Some(r) = d.source.as_ref().and_then(|src| a.resolve(f, None, src, Some(vi), 0)) else { return out };
            vec![(Location { path: f.rel.to_string(), span: d.span, message: None }, r)]
        }
        _ => return out,
    };
    let (vf, view) = a.views.all[vi];
    for (at, r) in defs {
        if !r.instances() || !r.prefix.is_empty() {
            continue;
        }
        if sers.model(&a.index, s).is_some_and(|m| m != r.model) {
            continue;
        }
        let reqs = sers.requirements(&a.index, s, r.model);
        let missing: Vec<&Requirement> = reqs.iter().filter(|q| !r.covers(&q.path, !q.prefetch)).collect();
        if missing.is_empty() {
            continue;
        }
        let mut select: Vec<Vec<String>> = missing.iter().filter(|q| !q.prefetch).map(|q| q.path.clone()).collect();
        let mut prefetch: Vec<Vec<String>> = missing.iter().filter(|q| q.prefetch).map(|q| q.path.clone()).collect();
        maximal(&mut select);
        maximal(&mut prefetch);
        // A select path that a prefetch path extends is loaded by the prefetch too.
        let join = |v: &[Vec<String>]| v.iter().map(|p| p.join("__")).collect::<Vec<_>>();
        let (select, prefetch) = (join(&select), join(&prefetch));
        let mut suggestion = String::new();
        let mut edits = Vec::new();
        if !select.is_empty() {
            suggestion.push_str(&format!(".select_related({})", quote(&select)));
            edits.extend(lookup_edits(&r, LookupCall::SelectRelated, &select));
        }
        if !prefetch.is_empty() {
            suggestion.push_str(&format!(".prefetch_related({})", quote(&prefetch)));
            edits.extend(lookup_edits(&r, LookupCall::PrefetchRelated, &prefetch));
        }
        let edits = combine_insertions(edits);
        let mut labels: Vec<String> = Vec::new();
        for q in &missing {
            let l = format!("{} ('{}')", q.label, q.path.join("__"));
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
        let shown: Vec<String> = labels.iter().take(4).cloned().collect();
        let more = if labels.len() > 4 { format!(" and {} more", labels.len() - 4) } else { String::new() };
        let ser_name = &sers.all[s].1.name;
        let model_name = a.index.name(r.model);
        let message = format!(
            "'{}' renders {ser_name} for every {model_name} row but its queryset does not load {}{more}: each is one query per row; add {suggestion}",
            view.name,
            shown.join(", ")
        );
        let mut related = Vec::new();
        for q in &missing {
            let loc =
                Location { message: Some(format!("{} reads '{}'", q.label, q.path.join("__"))), ..q.field.clone() };
            if !related.iter().any(|x: &Location| x.path == loc.path && x.span == loc.span) {
                related.push(loc);
            }
        }
        related.truncate(8);
        related.push(Location {
            path: vf.rel.to_string(),
            span: view.span,
            message: Some(format!("the view, using {ser_name}")),
        });
        let fix = (!edits.is_empty()).then(|| Fix { description: format!("add {suggestion}"), edits });
        out.push(NPlusOne {
            rule: NPlusOneRule::Related,
            key: Vec::new(),
            at,
            message,
            related,
            fix,
            confidence: None,
        });
    }
    out
}

/// Joins insertions at the same point into one edit, in the order given
/// (`.select_related(...)` before `.prefetch_related(...)`), so that applying
/// the fix does not depend on how a tool orders them.
fn combine_insertions(edits: Vec<Edit>) -> Vec<Edit> {
    let mut out: Vec<Edit> = Vec::new();
    for e in edits {
        match out.iter_mut().find(|o| o.path == e.path && o.span == e.span && e.span.start_byte == e.span.end_byte) {
            Some(o) => o.replacement.push_str(&e.replacement),
            None => out.push(e),
        }
    }
    out.sort();
    out
}

fn quote(paths: &[String]) -> String {
    paths.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ")
}

/// Drops paths another path of the list extends.
fn maximal(paths: &mut Vec<Vec<String>>) {
    paths.sort();
    paths.dedup();
    let all = paths.clone();
    paths.retain(|p| !all.iter().any(|q| q.len() > p.len() && q[..p.len()] == p[..]));
}
