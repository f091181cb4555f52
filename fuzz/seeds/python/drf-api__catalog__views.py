from rest_framework import generics, viewsets

from .models import Author, Book, Publisher
from .serializers import (
    AuthorWithBooksSerializer,
    BookDepthSerializer,
    BookLinkSerializer,
    BookSerializer,
    BookSummarySerializer,
    PublisherAuthorsSerializer,
)


class BookViewSet(viewsets.ModelViewSet):
    # BookSerializer reads author, author.publisher, tags, publisher.name and reviews.count().
    # expect: drf/n-plus-one-serializer
    queryset = Book.objects.all()
    serializer_class = BookSerializer


class CoveredBookViewSet(viewsets.ReadOnlyModelViewSet):
    # ok: drf/n-plus-one-serializer
    queryset = Book.objects.select_related("author__publisher", "publisher").prefetch_related("tags", "reviews")
    serializer_class = BookSerializer


class PartlyCoveredBookViewSet(viewsets.ReadOnlyModelViewSet):
    # `author__publisher` and `reviews` are missing: merged into the existing calls.
    # expect: drf/n-plus-one-serializer
    queryset = Book.objects.select_related("author", "publisher").prefetch_related("tags")
    serializer_class = BookSerializer


class BookSummaryList(generics.ListAPIView):
    serializer_class = BookSummarySerializer

    def get_queryset(self):
        tag = self.request.query_params.get("tag")
        if tag:
            # ok: drf/n-plus-one-serializer
            return Book.objects.filter(tags__name=tag).select_related("author").prefetch_related("tags")
        # expect: drf/n-plus-one-serializer
        return Book.objects.prefetch_related("tags")


class BookDetail(generics.RetrieveAPIView):
    # One object per request: not an N+1.
    # ok: drf/n-plus-one-serializer
    queryset = Book.objects.all()
    serializer_class = BookSerializer


class AuthorViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuthorWithBooksSerializer

    def get_queryset(self):
        # The nested books and their tags: prefetch "books" and "books__tags".
        # expect: drf/n-plus-one-serializer
        return Author.objects.order_by("name")


class PublisherViewSet(viewsets.ReadOnlyModelViewSet):
    # expect: drf/n-plus-one-serializer
    queryset = Publisher.objects.all()
    serializer_class = PublisherAuthorsSerializer


class CatalogueViewSet(viewsets.ReadOnlyModelViewSet):
    # expect: drf/n-plus-one-serializer
    queryset = Book.objects.select_related("publisher")

    def get_serializer_class(self):
        return BookDepthSerializer


class LinkViewSet(viewsets.ReadOnlyModelViewSet):
    # expect: drf/n-plus-one-serializer
    queryset = Book.objects.select_related("author")
    serializer_class = BookLinkSerializer


class SwitchingViewSet(viewsets.ReadOnlyModelViewSet):
    # Which serializer renders the list depends on the action: not guessed.
    # ok: drf/n-plus-one-serializer
    queryset = Book.objects.all()

    def get_serializer_class(self):
        if self.action == "list":
            return BookSummarySerializer
        return BookSerializer


class ValuesViewSet(viewsets.ReadOnlyModelViewSet):
    # ok: drf/n-plus-one-serializer
    queryset = Book.objects.values("id", "title")
    serializer_class = BookSummarySerializer


class TaggedBookViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Book.objects.select_related("author")
    serializer_class = BookSummarySerializer

    def get_queryset(self):
        # `self.queryset` is the attribute above: it selects the author but
        # does not prefetch the tags; the fix goes to the attribute.
        # expect: drf/n-plus-one-serializer
        return self.queryset.filter(tags__name=self.request.query_params.get("tag", "new"))
