"""The replies to my notes: what others answered to the annotations I wrote, as far as I may
read it (``Annotation.objects.visible_to``), and how many came since I last looked.

When I last looked is ``ReplyInbox.seen_at``; the services move its ``last_reply_at`` with
every reply to one of my notes, which is what the page cache's header stamp watches
(``groups.header``).
"""

from __future__ import annotations

from django.db.models import Exists, Q, Subquery
from django.utils import timezone

from annotations.models import Annotation, ReplyInbox

# What the list shows of a reply, of the note it answers and of their post.
_SHOWN = (
    "user__username",
    "post__title",
    "body_html",
    "created_at",
    "hidden_at",
    "parent__user",
    "parent__post",
    "parent__exact",
    "parent__body_html",
    "parent__kind",
    "parent__start",
    "parent__end",
    "parent__is_reply",
    "parent__deleted_at",
    "parent__hidden_at",
)


def replies_to(user):
    """Others' replies to annotations ``user`` wrote that ``user`` may read, newest first."""
    if not user.is_authenticated:
        return Annotation.objects.none()
    return (
        Annotation.objects.visible_to(user)
        .replies()
        .filter(parent__user=user)
        .exclude(user=user)
        .select_related("user", "post", "parent")
        .only("user", "post", "parent", *_SHOWN)
        .order_by("-created_at", "-id")
    )


def seen_at(user):
    """When ``user`` last looked at their replies (None: never)."""
    return ReplyInbox.objects.filter(user=user).values_list("seen_at", flat=True).first()


def unread(replies, seen):
    """``replies`` that came after ``seen`` (all of them when it is None)."""
    return replies if seen is None else replies.filter(created_at__gt=seen)


def unread_count(user) -> int:
    """How many of ``replies_to(user)`` came since they last looked: one query."""
    if not user.is_authenticated:
        return 0
    seen = ReplyInbox.objects.filter(user=user, seen_at__isnull=False).values("seen_at")[:1]
    return replies_to(user).filter(Q(created_at__gt=Subquery(seen)) | ~Exists(seen)).count()


def mark_seen(user) -> None:
    """``user`` has looked: no reply so far is unread."""
    now = timezone.now()
    if not ReplyInbox.objects.filter(user=user).update(seen_at=now):
        ReplyInbox.objects.update_or_create(user=user, defaults={"seen_at": now})
