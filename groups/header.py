"""What the site header shows a signed-in person of groups and replies, and the stamp that
keeps cached pages' headers current (``archive.pagecache.cached_page``).

One query says everything that changes the header: how many groups I belong to and when I
last joined one, when one of them last changed (a rename; ``groups.services`` moves
``Group.updated_at``), when I last read my replies and when the last came, and whether
some came since. The header asks for my groups' names only when I have some, and counts my
unread replies only when some came since I looked: a person with neither pays that one
query. It is asked once per request, lazily: a page whose template never shows the header
pays nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db import connection

from annotations import replies
from annotations.models import ReplyInbox
from groups.models import Group, Membership

_MEMBERSHIPS = Membership._meta.db_table
_GROUPS = Group._meta.db_table
_INBOX = ReplyInbox._meta.db_table

# Plain SQL, as the page cache's other stamps: on a cached page it is most of the work.
_STAMP_SQL = f"""
SELECT
  (SELECT count(*) FROM {_MEMBERSHIPS} WHERE user_id = %(user)s),
  (SELECT max(joined_at) FROM {_MEMBERSHIPS} WHERE user_id = %(user)s),
  (SELECT max(g.updated_at) FROM {_GROUPS} g
     JOIN {_MEMBERSHIPS} m ON m.group_id = g.id WHERE m.user_id = %(user)s),
  (SELECT seen_at FROM {_INBOX} WHERE user_id = %(user)s),
  (SELECT last_reply_at FROM {_INBOX} WHERE user_id = %(user)s),
  (SELECT count(*) FROM {_INBOX} WHERE user_id = %(user)s AND last_reply_at IS NOT NULL
     AND (seen_at IS NULL OR last_reply_at > seen_at))
"""  # noqa: S608 - table names from the models, the user as a parameter


@dataclass(frozen=True)
class State:
    groups: int
    stamp: str
    new_replies: bool


def state(request) -> State | None:
    """The header's state for the signed-in user of ``request`` (None when anonymous),
    read once per request."""
    user = request.user
    if not user.is_authenticated:
        return None
    cached = getattr(request, "_pizhu_header", None)
    if cached is None or cached[0] != user.pk:
        with connection.cursor() as cursor:
            cursor.execute(_STAMP_SQL, {"user": user.pk})
            count, joined, updated, seen, last, new = cursor.fetchone()
        found = State(count, f"{count}|{joined}|{updated}|{seen}|{last}", bool(new))
        request._pizhu_header = cached = (user.pk, found)
    return cached[1]


def forget(request) -> None:
    """After a change in this request that the header shows (read replies, a group joined)."""
    request.__dict__.pop("_pizhu_header", None)


def stamp(request) -> str:
    """The part of a cached page's key that changes whenever the header would."""
    found = state(request)
    return "" if found is None else found.stamp


class Header:
    """The header's groups and unread replies, read only when the template asks."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def groups(self) -> list[Group]:
        found = state(self.request)
        if found is None or not found.groups:
            return []
        return list(Group.objects.of(self.request.user).only("id", "name"))

    @cached_property
    def unread_replies(self) -> int:
        found = state(self.request)
        if found is None or not found.new_replies:
            return 0
        return replies.unread_count(self.request.user)


def header(request) -> dict:
    """The context processor (settings.TEMPLATES): lazy, nothing is read until it is used."""
    return {"site_header": Header(request)}
