from django.contrib.auth import get_user_model
from rest_framework import generics, permissions, serializers, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from .models import Book, Loan, Review


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title", "isbn"]


class LoanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Loan
        fields = ["id", "book", "borrower", "due"]


class BookViewSet(viewsets.ModelViewSet):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
    # "The front end needs it" -- and now anyone can delete the catalogue.
    # expect: drf/default-allow-any
    permission_classes = [AllowAny]


class LoanViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Loan.objects.all()
    serializer_class = LoanSerializer
    # Read-only, but one action writes.
    # expect: drf/default-allow-any
    permission_classes = (permissions.AllowAny,)

    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        loan = self.get_object()
        loan.due = loan.due.replace(day=28)
        loan.save()
        return Response({"due": loan.due})


class CatalogueView(generics.ListAPIView):
    """Public, read-only."""

    queryset = Book.objects.order_by("title")
    serializer_class = BookSerializer
    # ok: drf/default-allow-any
    permission_classes = [AllowAny]


class SignupView(generics.CreateAPIView):
    """Registration has to accept anonymous users."""

    queryset = get_user_model().objects.all()
    # ok: drf/default-allow-any
    permission_classes = [AllowAny]


@api_view(["GET", "POST"])
# expect: drf/default-allow-any
@permission_classes([AllowAny])
def reviews(request):
    if request.method == "POST":
        Review.objects.create(book_id=request.data["book"], text=request.data["text"])
    return Response(list(Review.objects.values("book_id", "text")))


@api_view(["DELETE"])
# ok: drf/default-allow-any
@permission_classes([IsAuthenticated])
def delete_review(request, pk):
    Review.objects.filter(pk=pk).delete()
    return Response(status=204)
