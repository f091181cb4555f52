from django.contrib.auth import get_user_model
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from books.models import Book, Tag

from .models import Comment, Review

User = get_user_model()


def recent_reviews(request):
    reviews = Review.objects.filter(approved=True).order_by("-id")[:30]
    data = []
    for review in reviews:
        # `user` is a ForeignKey to settings.AUTH_USER_MODEL (accounts.User).
        # expect: django/n-plus-one-fk
        data.append({"user": review.user.username, "rating": review.rating})
        # expect: django/n-plus-one-fk
        data[-1]["book"] = review.book.title
        # A filtered related manager queries per row even when prefetched.
        # expect: django/n-plus-one-related
        data[-1]["comments"] = [c.body for c in review.comments.filter(approved=True)]
    return JsonResponse({"reviews": data})


def average_rating(request):
    # sum() over a generator: each review loads its book.
    # expect: django/n-plus-one-fk
    total = sum(r.book.price for r in Review.objects.filter(rating__gte=4))
    return JsonResponse({"total": str(total)})


def review_counts(request):
    counts = {}
    for book in Book.objects.all():
        # Reverse foreign key with the default name `review_set`; fixed with annotate(Count(...)).
        # expect: django/n-plus-one-related
        counts[book.title] = book.review_set.count()
    return JsonResponse(counts)


def review_counts_annotated(request):
    books = Book.objects.annotate(n_reviews=Count("review"))
    # ok: django/n-plus-one-related
    return JsonResponse({b.title: b.n_reviews for b in books})


def review_flags(request):
    books = Book.objects.prefetch_related("review_set")
    # exists() is answered from the prefetch cache.
    # ok: django/n-plus-one-related
    return JsonResponse({b.title: b.review_set.exists() for b in books})


def tag_usage(request):
    # The reverse side of Book.tags (related_name="books").
    # expect: django/n-plus-one-related
    return JsonResponse({t.name: t.books.count() for t in Tag.objects.all()})


def fans(request):
    # accounts.User.favourite_genres is a many-to-many; reached through get_user_model().
    # expect: django/n-plus-one-related
    return JsonResponse({u.username: [g.name for g in u.favourite_genres.all()] for u in User.objects.all()})


def created_books(request):
    out = {}
    for user in User.objects.filter(is_staff=True):
        # related_name="%(app_label)s_%(class)s_created" on the abstract base gives `books_book_created`.
        # expect: django/n-plus-one-related
        out[user.username] = user.books_book_created.count()
    return JsonResponse(out)


def comment_authors(request):
    result = []
    for comment in Comment.objects.select_related("review__book"):
        # ok: django/n-plus-one-fk
        title = comment.review.book.title
        # expect: django/n-plus-one-fk
        result.append((title, comment.review.user.username))
    return JsonResponse({"rows": result})


def reviews_for(request):
    titles = request.GET.getlist("title")
    found = []
    for title in titles:
        # expect: django/query-in-loop
        book = get_object_or_404(Book, title=title)
        # expect: django/query-in-loop
        found.append(Review.objects.filter(book=book).count())
    return JsonResponse({"counts": found})


def first_match(request):
    for title in request.GET.getlist("title"):
        # Runs once: the loop returns right after it.
        # ok: django/query-in-loop
        book = Book.objects.filter(title__iexact=title).first()
        return JsonResponse({"id": book.pk if book else None})
    return JsonResponse({"id": None})


def moderation_queue(request):
    pending = Review.objects.filter(approved=False)
    report = []
    for user in User.objects.filter(is_staff=False).order_by("username")[:100]:
        # A queryset built before the loop, narrowed per user inside it.
        # expect: django/query-in-loop
        report.append((user.username, pending.filter(user=user).exists()))
        # Does not depend on the loop: not this rule's business.
        # ok: django/query-in-loop
        report.append(Review.objects.filter(approved=True).count())
    return JsonResponse({"report": report})
