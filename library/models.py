"""A reader's library: where each user is in each post, what they read, keep and tag.

Everything here is private to its user: no query reads another user's rows (the access
helpers in ``library.state`` take the user first)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase


class TaggedReadingState(TaggedItemBase):
    """A user's own tag on a post (apart from the archive's tags, which are the source's)."""

    content_object = models.ForeignKey("ReadingState", on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_state_tag")
        ]


class Shelf(models.TextChoices):
    """The lists a post can be filtered into (``?state=`` on the list and the API)."""

    UNREAD = "unread", "未读 Unread"
    IN_PROGRESS = "in_progress", "在读 In progress"
    READ = "read", "已读 Read"
    FAVOURITE = "favourite", "收藏 Favourites"
    ARCHIVED = "archived", "归档 Archived"


class ReadingStateQuerySet(models.QuerySet):
    def of(self, user):
        """``user``'s rows only; nobody's for an anonymous visitor."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def in_progress(self):
        """Opened and read some way, not finished, not put away."""
        return self.filter(read_at__isnull=True, archived=False, progress__gt=0)

    def on_shelf(self):
        """The "continue reading" shelf: in progress, the last one read first."""
        return self.in_progress().select_related("post").order_by("-updated_at", "-id")


class ReadingState(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_states"
    )
    post = models.ForeignKey("archive.Post", on_delete=models.CASCADE, related_name="+")
    # How far down the article the reader has been (0–1), and the code point in Post.text
    # of the first line they saw: it survives restyling, the 简/繁 switch and re-import.
    progress = models.FloatField(default=0)
    position = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField(null=True, blank=True)
    favourite = models.BooleanField(default=False)
    archived = models.BooleanField(default=False, help_text="Kept, but out of the lists.")
    tags = TaggableManager(through=TaggedReadingState, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ReadingStateQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "post"], name="one_state_per_user_and_post"),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=1), name="state_progress_0_to_1"
            ),
        ]
        indexes = [models.Index(fields=["user", "-updated_at"], name="state_user_updated")]

    def __str__(self):
        return f"{self.user} · {self.post_id}"

    @property
    def read(self) -> bool:
        return self.read_at is not None


class SourceVisit(models.Model):
    """When a user last looked at a source's posts: what arrived since is new to them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey("archive.Source", on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)
    # The visit before (null: this is the first; then joining counts as one). The posts that
    # arrived between the two are marked 新 New in the source's list: the visit that clears
    # the "+N new" count still shows which posts those were.
    previous_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "source"], name="one_visit_per_source")
        ]

    def __str__(self):
        return f"{self.user} · {self.source_id} · {self.seen_at:%Y-%m-%d %H:%M}"
