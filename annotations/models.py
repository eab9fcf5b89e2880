"""Annotations: a user's highlights, notes and translations over passages of posts."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import lru_cache

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
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


class Visibility(models.TextChoices):
    """Who may read an annotation besides its author (annotations.access decides)."""

    PRIVATE = "private", "只有我 Only me"
    GROUP = "group", "小组 Group"
    EVERYONE = "everyone", "所有人 Everyone"


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
        """What ``user`` may read (annotations.access.visible): one query set, whatever the
        number of their groups."""
        from annotations import access

        if not user.is_authenticated:
            return self.none()
        return self.alive().filter(access.visible(user))

    def notes(self):
        """Annotations of posts, not replies to other annotations."""
        return self.filter(is_reply=False)

    def replies(self):
        return self.filter(is_reply=True)

    def with_reply_counts(self):
        """Each with ``reply_count``: its direct replies that everyone who reads it reads too:
        alive, not hidden, with its audience. A reply left out of it (its author left the
        group, or the note was made private: the reply became private to its author) is
        neither counted nor hinted at."""
        outer = models.OuterRef
        counted = (
            Annotation.objects.filter(
                parent_id=outer("pk"),
                deleted_at__isnull=True,
                hidden_at__isnull=True,
                visibility=outer("visibility"),
            )
            .filter(~Q(visibility="group") | Q(group_id=outer("group_id")))
            .filter(~Q(visibility="private") | Q(user_id=outer("user_id")))
            .order_by()
            .values("parent_id")
            .annotate(count=models.Count("*"))
            .values("count")
        )
        return self.annotate(reply_count=Coalesce(models.Subquery(counted), 0))

    def owned_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def for_api(self):
        """With what the JSON-LD needs of the user and the post: never the post's bodies.
        Tags come from ``with_tag_names`` (taggit's prefetch builds a query per object)."""
        return self.select_related("user", "post", "group").only(
            *_API_FIELDS, "user__username", "post__url", "group__name"
        )

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
        group: int | None = None,
        visibility: str | None = None,
        parent: int | None = None,
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
        if group is not None:
            annotations = annotations.filter(group_id=group)
        if visibility:
            annotations = annotations.filter(visibility=visibility)
        if parent is not None:
            annotations = annotations.filter(parent_id=parent)
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
    "end", "state", "anchored_by", "visibility", "group", "modified_at", "deleted_at",
    "search_text",
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
    "parent",
    "is_reply",
    "hidden_at",
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

    # Private unless its author says otherwise; "group" names the group (a member's).
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # PROTECT: a group is deleted through groups.services, which makes its notes private.
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.PROTECT, related_name="annotations"
    )
    # A reply: a note on another annotation (W3C motivation "replying"), with its audience.
    # is_reply stays when the note replied to is gone for good (its author's account deleted).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    is_reply = models.BooleanField(default=False)
    # Hidden by a moderator: gone for the group, still shown to its author with a notice.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
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
            models.Index(fields=["post", "visibility"], name="annotation_post_visibility"),
            models.Index(fields=["group", "-modified_at"], name="annotation_group_modified"),
            models.Index(fields=["user", "-modified_at"], name="annotation_user_modified"),
        ]
        constraints = [
            # A passage, or the whole page (a page note: no quote, no range).
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")) | Q(start=0, end=0, exact=""),
                name="annotation_range_or_page",
            ),
            # A group note names its group; no other does.
            models.CheckConstraint(
                condition=Q(visibility="group", group__isnull=False)
                | (~Q(visibility="group") & Q(group__isnull=True)),
                name="annotation_group_visibility",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.exact[:40]}"

    def get_absolute_url(self):
        return f"{_reader_url(self.post_id)}#annotation-{self.pk}"

    @property
    def is_page_note(self) -> bool:
        """A note on the whole article, like Hypothesis' page notes: no passage."""
        return self.exact == "" and self.start == self.end == 0 and not self.is_reply

    @property
    def selector(self) -> Selector:
        return Selector(self.exact, self.prefix, self.suffix, self.start, self.end)

    def set_selector(self, selector: Selector) -> None:
        self.exact, self.prefix, self.suffix = selector.exact, selector.prefix, selector.suffix
        self.start, self.end = selector.start, selector.end

    @property
    def etag(self) -> str:
        return f'"{self.pk}.{self.version}"'


class Flag(models.Model):
    """A member's report that an annotation breaks the group's rules, for its moderators."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["annotation", "user"], name="unique_flag_per_user")
        ]

    def __str__(self):
        return f"{self.user} flagged {self.annotation_id}"


class ReplyInbox(models.Model):
    """When ``user`` last looked at the replies to their notes, and when the last came:
    the unread count's bound and the page cache's stamp (annotations.replies)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    seen_at = models.DateTimeField(null=True, blank=True)
    last_reply_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"replies to {self.user}"


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
