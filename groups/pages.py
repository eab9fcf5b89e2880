"""What the group page reads: its members, its invite links, the posts annotated in it and,
for its moderators, the notes flagged or hidden. Every annotation comes through
``Annotation.objects.visible_to``: the page shows a member what they may read, no more."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Exists, IntegerField, Max, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce

from annotations.models import Annotation, Flag
from groups.models import MODERATING_ROLES, Group, Invite, Membership, Role

# Owners first, then moderators, then members: who to ask.
_ROLE_ORDER = {Role.OWNER: 0, Role.MODERATOR: 1, Role.MEMBER: 2}
# The moderation lists show this many at most (the oldest wait in the group notebook).
MODERATION_LIMIT = 100


def awaiting(group):
    """The notes of ``group`` (a group or an ``OuterRef`` to one) flagged and still shown:
    what its moderators have yet to decide (a hidden note's flags are settled). For its
    moderators only, who read every note of it: ``moderation``'s flagged list, counted."""
    return (
        Annotation.objects.alive()
        .filter(group=group, hidden_at__isnull=True)
        .filter(Exists(Flag.objects.filter(annotation=OuterRef("pk"))))
    )


def my_groups(user):
    """``user``'s memberships, with their group, its number of ``members`` and, in the
    groups they moderate, the number of notes ``awaiting`` them (0 elsewhere), by name."""
    counted = (
        awaiting(OuterRef("group_id")).order_by().values("group").annotate(n=Count("*"))
    ).values("n")
    due = Coalesce(Subquery(counted, output_field=IntegerField()), 0)
    return (
        Membership.objects.filter(user=user)
        .select_related("group")
        .annotate(
            members=Count("group__memberships"),
            awaiting=Case(When(role__in=MODERATING_ROLES, then=due), default=0),
        )
        .order_by("group__name", "group_id")
    )


def members(group: Group) -> list[Membership]:
    found = Membership.objects.filter(group=group).select_related("user")
    found = found.only("role", "joined_at", "group_id", "user__username")
    return sorted(found, key=lambda m: (_ROLE_ORDER[m.role], m.joined_at, m.pk))


@dataclass
class InviteLink:
    invite: Invite
    state: str
    url: str


def invites(group: Group, absolute) -> list[InviteLink]:
    """Every invite link of ``group``, newest first, with its state and its full URL
    (``absolute``: request.build_absolute_uri)."""
    return [
        InviteLink(invite, invite.state(), absolute(invite.get_absolute_url()))
        for invite in Invite.objects.filter(group=group)
    ]


def annotated_posts(user, group: Group):
    """The posts annotated in ``group`` that ``user`` may read, each once, the newest
    activity (a note or a reply written or changed) first: dicts of ``post_id``,
    ``post__title``, ``notes``, ``replies`` and ``last``."""
    return (
        Annotation.objects.visible_to(user)
        .filter(group=group)
        .values("post_id", "post__title")
        .annotate(
            notes=Count("pk", filter=Q(is_reply=False)),
            replies=Count("pk", filter=Q(is_reply=True)),
            last=Max("modified_at"),
        )
        .order_by("-last", "-post_id")
    )


# What the moderation lists show of a note.
# fmt: off
_MODERATED_FIELDS = (
    "user__username", "hidden_by__username", "post__title", "post_id", "exact", "body_html",
    "kind", "is_reply", "hidden_at", "created_at", "start", "end", "group_id", "visibility",
    "deleted_at",
)
# fmt: on


@dataclass
class Moderation:
    flagged: list[Annotation]  # flagged and still shown
    hidden: list[Annotation]


def moderation(user, group: Group) -> Moderation:
    """The notes of ``group`` its moderators should look at: the flagged ones still shown,
    most flagged first, and the hidden ones, last hidden first. Each has ``flag_count`` and
    ``flag_list`` (who flagged it and why). Two queries."""
    flags = Flag.objects.filter(annotation=OuterRef("pk"))
    counted = flags.order_by().values("annotation").annotate(n=Count("*")).values("n")
    found = list(
        Annotation.objects.visible_to(user)
        .filter(group=group)
        .filter(Q(Exists(flags)) | Q(hidden_at__isnull=False))
        .annotate(flag_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0))
        .select_related("user", "hidden_by", "post")
        .only(*_MODERATED_FIELDS)
        .order_by("-id")[: 2 * MODERATION_LIMIT]
    )
    reasons: dict[int, list[Flag]] = {note.pk: [] for note in found}
    for each in (
        Flag.objects.filter(annotation_id__in=list(reasons))
        .select_related("user")
        .only("annotation_id", "reason", "created_at", "user__username")
        .order_by("created_at", "id")
    ):
        reasons[each.annotation_id].append(each)
    for note in found:
        note.flag_list = reasons[note.pk]
    flagged = sorted(
        (note for note in found if note.hidden_at is None),
        key=lambda note: (-note.flag_count, -note.pk),
    )
    hidden = sorted(
        (note for note in found if note.hidden_at is not None),
        key=lambda note: (note.hidden_at, note.pk),
        reverse=True,
    )
    return Moderation(flagged[:MODERATION_LIMIT], hidden[:MODERATION_LIMIT])
