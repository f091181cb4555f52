from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from books.models import Book, Tag
from reviews.models import Review


class Command(BaseCommand):
    help = "Reprices books and tags the cheap ones"

    def add_arguments(self, parser):
        parser.add_argument("factor", type=Decimal)

    def handle(self, *args, factor, **options):
        cheap, _ = Tag.objects.get_or_create(name="cheap")
        with transaction.atomic():
            for book in Book.objects.filter(published=True):
                book.price = book.price * factor
                # expect: django/save-in-loop
                book.save(update_fields=["price"])
                if book.price < 5:
                    book.tags.add(cheap)

    def import_titles(self, titles):
        for title in titles:
            # expect: django/save-in-loop
            Book.objects.create(title=title, price=Decimal("0"))

    def import_drafts(self, titles):
        for title in titles:
            draft = Book(title=title, price=Decimal("0"))
            # expect: django/save-in-loop
            draft.save()

    def purge(self, books):
        for book in Book.objects.filter(published=False):
            # expect: django/save-in-loop
            Review.objects.filter(book=book).delete()
            # expect: django/save-in-loop
            # expect: django/n-plus-one-fk
            book.review_set.create(user=book.created_by, rating=1, text="unpublished")

    def save_forms(self, forms):
        for form in forms:
            # Not a model we can resolve.
            # ok: django/save-in-loop
            form.save()

    def bulk(self, titles):
        # ok: django/save-in-loop
        Book.objects.bulk_create([Book(title=t, price=Decimal("0")) for t in titles])


def move_to_publisher(books, publisher):
    for book in Book.objects.filter(pk__in=books):
        # Assigning a relation loads nothing.
        # ok: django/n-plus-one-fk
        book.publisher = publisher
        # expect: django/save-in-loop
        book.save()


def purge_in_batches(queryset):
    ids = queryset.values_list("pk", flat=True)
    while batch := list(ids[:500]):
        # Already one query per batch of 500.
        # ok: django/save-in-loop
        Book.objects.filter(pk__in=batch).delete()


def forwards(apps, schema_editor):
    # A historical model from apps.get_model(), not books.models.Book.
    Book = apps.get_model("books", "Book")
    for title in ["Dune", "Emma"]:
        # ok: django/save-in-loop
        Book(title=title, price=0).save()
