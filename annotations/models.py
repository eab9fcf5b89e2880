"""Annotations: a user's highlights, notes and translations over passages of posts."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import lru_cache

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from annotations.anchoring import Selector
from archive.search_text import fold


class Kind(models.TextChoices):
    HIGHLIGHT = "highlight", "划线 Highlight"
    NOTE = "note", "笔记 Note"
    TRANSLATION = "translation", "翻译 Translation"


class Colour(models.TextChoices):
    """A small palette with names, so a colour can be told apart without seeing it."""

    YELLOW = "yellow", "黄 Yellow"
    GREEN = "green", "绿 Green"
    BLUE = "blue", "蓝 Blue"
    PINK = "pink", "粉 Pink"
    PURPLE = "purple", "紫 Purple"


class State(models.TextChoices):
    ANCHORED = "anchored", "已定位 Anchored"
    ORPHANED = "orphaned", "未定位 Orphaned"


@lru_cache(maxsize=4096)
def _reader_url(post_id: int) -> str:
    """The post's reader URL without loading the post (every export line links to one)."""
    return reverse("archive:post_detail", args=[post_id])


class TaggedAnnotation(TaggedItemBase):
    content_object = models.ForeignKey("Annotation", on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_annotation_tag")
        ]


class AnnotationQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user):
        """What ``user`` may read: their own, and what others shared with signed-in users."""
        if not user.is_authenticated:
            return self.none()
        return self.alive().filter(Q(user=user) | Q(shared=True))

    def owned_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def for_api(self):
        """With what the JSON-LD needs of the user and the post: never the post's bodies.
        Tags come from ``with_tag_names`` (taggit's prefetch builds a query per object)."""
        return self.select_related("user", "post").only(*_API_FIELDS, "user__username", "post__url")

    def passages(self):
        """Annotations of a passage: not page notes (which have no range to re-anchor)."""
        return self.exclude(start=0, end=0, exact="")

    def in_reading_order(self):
        return self.order_by("post_id", "start", "end", "id")

    def matching(self, text: str):
        """Every word of ``text`` in the quote, note or tags, and every "quoted phrase" as
        written; Chinese matches as substrings, in either script (Annotation.search_text)."""
        annotations = self
        for quoted, word in re.findall(r'"([^"]+)"|(\S+)', fold(text)):
            term = " ".join(quoted.split()) if quoted else word.strip('"')
            if term:
                annotations = annotations.filter(search_text__contains=term)
        return annotations

    def filtered(
        self,
        *,
        post: int | None = None,
        kind: str | None = None,
        colour: str | None = None,
        state: str | None = None,
        tag: str | None = None,
        text: str | None = None,
        source: str | None = None,
        since: date | None = None,
        until: date | None = None,
        published_since: date | None = None,
        published_until: date | None = None,
        user=None,
    ):
        """The filters of the API, the notebook and ``export_notes``, each optional (None or
        empty: not applied). Values are checked by the caller's form; ``source`` is a
        source's slug; ``since`` and ``until`` are days the annotation was made,
        ``published_since`` and ``published_until`` days its article was published, in the
        current time zone, both included."""
        annotations = self
        if text and text.strip():
            annotations = annotations.matching(text)
        if post is not None:
            annotations = annotations.filter(post_id=post)
        for name, value in (("kind", kind), ("colour", colour), ("state", state)):
            if value:
                annotations = annotations.filter(**{name: value})
        if tag:
            annotations = annotations.filter(tags__name__iexact=tag)
        if source:
            annotations = annotations.filter(post__source__slug=source)
        if user is not None:
            annotations = annotations.filter(user=user)
        zone = timezone.get_current_timezone()
        for field, first, last in (
            ("created_at", since, until),
            ("post__published_at", published_since, published_until),
        ):
            if first:
                annotations = annotations.filter(
                    **{f"{field}__gte": datetime.combine(first, time.min, zone)}
                )
            if last:
                annotations = annotations.filter(
                    **{f"{field}__lte": datetime.combine(last, time.max, zone)}
                )
        return annotations


# What writes change (annotations.services), and of those what re-anchoring changes.
# fmt: off
EDITABLE_FIELDS = (
    "kind", "colour", "body", "body_html", "language", "exact", "prefix", "suffix", "start",
    "end", "state", "anchored_by", "shared", "modified_at", "deleted_at", "search_text",
)
ANCHOR_FIELDS = (
    "exact", "prefix", "suffix", "start", "end", "state", "anchored_by", "search_text",
)
# fmt: on
# What the API reads: search_text stays behind (only searches read it).
_API_FIELDS = (
    "user",
    "post",
    "created_at",
    "version",
    *(f for f in EDITABLE_FIELDS if f != "search_text"),
)


class Annotation(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations"
    )
    # PROTECT: deleting a post must not silently take people's notes with it.
    post = models.ForeignKey("archive.Post", on_delete=models.PROTECT, related_name="annotations")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.HIGHLIGHT)
    colour = models.CharField(max_length=12, choices=Colour.choices, default=Colour.YELLOW)
    body = models.TextField(blank=True, help_text="Markdown, as the user wrote it.")
    body_html = models.TextField(blank=True, help_text="body rendered and sanitized.")
    language = models.CharField(max_length=35, blank=True, help_text="BCP 47 tag.")
    tags = TaggableManager(through=TaggedAnnotation, blank=True)

    # W3C selectors over Post.text: TextQuote and TextPosition (code points).
    exact = models.TextField()
    prefix = models.TextField(blank=True)
    suffix = models.TextField(blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.ANCHORED)
    anchored_by = models.CharField(max_length=12, blank=True, help_text="How it was last found.")

    shared = models.BooleanField(default=False, help_text="Visible to every signed-in user.")
    # Quote, note and tags folded (simplified, half-width, lower case: search_text.fold),
    # so the notebook's search finds 經濟 with 经济 and Growth with growth.
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every write: the ETag, so two tabs cannot overwrite each other silently.
    version = models.PositiveIntegerField(default=1)

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["post_id", "start", "end", "id"]
        indexes = [
            models.Index(fields=["user", "post"], name="annotation_user_post"),
            models.Index(fields=["post", "shared"], name="annotation_post_shared"),
            models.Index(fields=["user", "-modified_at"], name="annotation_user_modified"),
        ]
        constraints = [
            # A passage, or the whole page (a page note: no quote, no range).
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")) | Q(start=0, end=0, exact=""),
                name="annotation_range_or_page",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.exact[:40]}"

    def get_absolute_url(self):
        return f"{_reader_url(self.post_id)}#annotation-{self.pk}"

    @property
    def is_page_note(self) -> bool:
        """A note on the whole article, like Hypothesis' page notes: no passage."""
        return self.exact == "" and self.start == self.end == 0

    @property
    def selector(self) -> Selector:
        return Selector(self.exact, self.prefix, self.suffix, self.start, self.end)

    def set_selector(self, selector: Selector) -> None:
        self.exact, self.prefix, self.suffix = selector.exact, selector.prefix, selector.suffix
        self.start, self.end = selector.start, selector.end

    @property
    def etag(self) -> str:
        return f'"{self.pk}.{self.version}"'


def with_tag_names(objects, through=TaggedAnnotation):
    """Give each object ``tag_names`` in one query (taggit's prefetch builds a query per
    object). ``through``: the tag table, TaggedAnnotation or archive's TaggedPost."""
    objects = list(objects)
    names: dict[int, list[str]] = {item.pk: [] for item in objects}
    rows = through.objects.filter(content_object_id__in=list(names)).values_list(
        "content_object_id", "tag__name"
    )
    for pk, name in rows:
        names[pk].append(name)
    for found in names.values():
        found.sort(key=str.casefold)  # one order on every page and in every export
    for item in objects:
        item.tag_names = names[item.pk]
    return objects
