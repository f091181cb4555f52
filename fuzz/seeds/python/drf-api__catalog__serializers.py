from rest_framework import serializers

from .models import Author, Book, Publisher, Tag


class PublisherSerializer(serializers.ModelSerializer):
    class Meta:
        model = Publisher
        fields = ["id", "name", "country"]


class AuthorSerializer(serializers.ModelSerializer):
    publisher = PublisherSerializer(read_only=True)

    class Meta:
        model = Author
        fields = ["id", "name", "publisher"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class BookSerializer(serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True)
    tags = TagSerializer(many=True, read_only=True)
    publisher_name = serializers.CharField(source="publisher.name", read_only=True)
    review_count = serializers.SerializerMethodField()

    class Meta:
        model = Book
        fields = ["id", "title", "isbn", "author", "tags", "publisher_name", "review_count"]

    def get_review_count(self, obj):
        return obj.reviews.count()


class BookSummarySerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Book
        fields = ["id", "title", "author", "tags"]


class AuthorWithBooksSerializer(serializers.ModelSerializer):
    # Each book's `author` is the author being serialized: Django sets it
    # when it loads the books, so it costs nothing.
    books = BookSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Author
        fields = ["id", "name", "books"]


class BookLinkSerializer(serializers.HyperlinkedModelSerializer):
    # Hyperlinks by pk read `author_id` only; `tags` is one query per book.
    author = serializers.HyperlinkedRelatedField(view_name="author-detail", read_only=True)
    tags = serializers.HyperlinkedRelatedField(many=True, view_name="tag-detail", read_only=True)

    class Meta:
        model = Book
        fields = ["url", "title", "author", "tags"]


class BookDepthSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = "__all__"
        depth = 1


class PublisherAuthorsSerializer(serializers.ModelSerializer):
    class Meta:
        model = Publisher
        # `authors` is a reverse foreign key: ModelSerializer renders it as
        # PrimaryKeyRelatedField(many=True), one query per publisher.
        fields = ["id", "name", "authors"]
