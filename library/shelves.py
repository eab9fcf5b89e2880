"""The library in the lists: the "continue reading" shelf, each post's mark (unread, how far,
read, ★, 新 new), what arrived in each source since the reader last looked, and the stamp that
keeps a signed-in reader's cached list pages current.

Every query here is one per page, whatever its length, and runs on an index: the home page
must stay fast at 100,000 posts.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import OuterRef, Subquery

from archive.browse import Facets, Filters, archive_facets, facets, facets_without
from archive.models import Post, Source
from config.routers import read_alias
from library import state
from library.models import ReadingState, Shelf, SourceVisit

SHELF_SIZE = 6
# "+N new" counts stop here ("+99+"): counting stays a short index range per source even
# for a reader who joined before a 100,000-post import and has never opened a source.
NEW_AT_MOST = 99


# --- Marks: pure ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """What a list shows of a post's state: ``state`` is the item's ``data-state``."""

    state: str  # "unread", "in_progress" or "read"
    percent: int | None = None  # how far, for a post in progress
    favourite: bool = False
    archived: bool = False
    new: bool = False  # arrived since the reader's previous visit to its source, not read

    @property
    def unread(self) -> bool:
        """The dot: exactly what the 未读 Unread filter lists (library.state.posts_in), so a
        post in progress has it too (unread is "not finished"), an archived one does not."""
        return self.state != "read" and not self.archived


UNREAD = Mark("unread")


def mark_of(found: ReadingState | None, *, new: bool = False) -> Mark:
    """A post never opened, or opened and not scrolled, is unread; read wins over progress
    (a post finished and reopened at the top is still read). ``new``: it arrived since the
    reader's previous visit to its source; a post already read is not news."""
    if found is None:
        return Mark("unread", new=True) if new else UNREAD
    if found.read_at is not None:
        kind = "read"
    elif found.progress > 0:
        kind = "in_progress"
    else:
        kind = "unread"
    return Mark(
        kind,
        percent=percent(found.progress) if kind == "in_progress" else None,
        favourite=found.favourite,
        archived=found.archived,
        new=new and kind != "read",
    )


def percent(progress: float) -> int:
    """Progress as a whole percentage for a post in progress: 1 to 99, never 0 % (it was
    opened) nor 100 % (it is not read)."""
    return min(99, max(1, math.floor(progress * 100)))


def shown_new(count: int) -> str:
    return f"{NEW_AT_MOST}+" if count > NEW_AT_MOST else str(count)


def arrived_since(created_at: datetime, since: datetime | None) -> bool:
    """Whether a post imported at ``created_at`` is new to a reader last here ``since``."""
    return since is not None and created_at > since


def total_new(sources) -> str:
    """The "+N new" of all ``sources`` (with_new_counts), for the folded 筛选 Filters summary:
    "" when nothing is new. A source's count stops past NEW_AT_MOST, so the total does too."""
    total = sum(getattr(source, "new_count", 0) for source in sources)
    return shown_new(total) if total else ""


# --- The list page ----------------------------------------------------------------------------


def on_shelf(user) -> list[ReadingState]:
    """The "继续阅读 Continue reading" shelf: posts opened and not finished, the last one read
    first, each with ``.mark``. Only the columns shown: a post's text is megabytes."""
    found = list(
        ReadingState.objects.of(user)
        .on_shelf()
        .select_related("post__source")
        .only(
            *("progress", "read_at", "favourite", "archived"),
            *("post__title", "post__source__name"),
        )[:SHELF_SIZE]
    )
    for item in found:
        item.mark = mark_of(item)
    return found


def mark(posts, user, *, new_since: datetime | None = None) -> list:
    """``posts`` as a list, each with ``.mark`` (None for an anonymous visitor): one query for
    the page, not one per post. ``new_since``: on a source's list, when the reader's visit
    before this one was (``visit``); the posts imported after it are marked new."""
    posts = list(posts)
    if not user.is_authenticated:
        for post in posts:
            post.mark = None
        return posts
    states = state.states_of(user, [post.pk for post in posts])
    for post in posts:
        post.mark = mark_of(states.get(post.pk), new=arrived_since(post.created_at, new_since))
    return posts


def choices(user) -> list[tuple[str, str]]:
    """The "我的 Mine" filter's (value, label)s: none for an anonymous visitor."""
    return Shelf.choices if user.is_authenticated else []


def narrow(posts, user, filters: Filters, *, searching: bool = False):
    """``posts`` on the chosen shelf. A list leaves the reader's archived posts out unless
    the shelf is "archived"; a search does not (searching is asking: they come marked
    已归档), unless a shelf is chosen."""
    if searching and not filters.state:
        return posts
    return state.posts_in(posts, user, filters.state)


def list_facets(filters: Filters, user, stamp: str, *, within, matching=None) -> Facets:
    """The filter counts of the posts listed, ``within`` (``narrow``) and ``matching`` a
    search. Counted from the few, never from the many: a signed-in reader's page is rendered
    again after every saved scroll, and must not count 100,000 posts each time. Unread (or
    everything not archived) is the archive's counts, shared by every reader until the archive
    changes, less those of the reader's few other posts; a small shelf is counted directly."""
    if matching is not None:  # a search: its matches are few enough to count
        return facets(filters, matching=matching, within=within if filters.state else None)
    if not user.is_authenticated:
        return facets(filters)  # cached with the page until the archive changes
    if filters.state in ("", Shelf.UNREAD):
        archive = archive_facets(dataclasses.replace(filters, state=""), stamp)
        return facets_without(archive, filters, left_out(user, filters.state))
    return facets(filters, within=within)


def count(posts, filters: Filters, user) -> int:
    """How many ``posts`` (``filters.apply(narrow(...))``) there are. Unread, and everything
    not archived, are the archive's count less the reader's few others: a count that leaves a
    list out reads every row (40 ms at 100,000 posts), a plain one an index."""
    if user.is_authenticated and filters.state in ("", Shelf.UNREAD):
        archive = filters.apply(Post.objects.all()).count()
        return archive - filters.apply(left_out(user, filters.state)).count()
    return posts.count()


def left_out(user, shelf: str):
    """The posts the list of ``shelf`` ("" or unread) leaves out of the archive
    (``state.left_out_of``)."""
    return Post.objects.filter(id__in=state.left_out_of(user, shelf).values("post_id"))


# --- New since the last visit -------------------------------------------------------------

_POSTS = Post._meta.db_table
_VISITS = SourceVisit._meta.db_table
_SOURCES = Source._meta.db_table
# Per source: its posts imported after the reader's last visit (or, never visited, after
# they joined), at most NEW_AT_MOST + 1 of them, on the index post_source_arrived.
_NEW_SQL = f"""
SELECT s.id, (
  SELECT count(*) FROM (
    SELECT 1 FROM {_POSTS} p
    WHERE p.source_id = s.id AND p.created_at > COALESCE(
      (SELECT v.seen_at FROM {_VISITS} v WHERE v.user_id = %s AND v.source_id = s.id), %s)
    LIMIT {NEW_AT_MOST + 1}
  ) arrived
)
FROM {_SOURCES} s WHERE s.id IN ({{ids}})
"""  # noqa: S608 (table names and numbers; the values are parameters)


def new_counts(user, source_ids) -> dict[int, int]:
    """{source id: posts that arrived since ``user`` last looked}, those above 0, in one query."""
    ids = [int(pk) for pk in source_ids]
    if not user.is_authenticated or not ids:
        return {}
    joined = connection.ops.adapt_datetimefield_value(user.date_joined)
    with connection.cursor() as cursor:
        cursor.execute(_NEW_SQL.format(ids=", ".join(["%s"] * len(ids))), [user.pk, joined, *ids])
        return {pk: count for pk, count in cursor.fetchall() if count}


def with_new_counts(found: Facets, user) -> Facets:
    """``found`` with ``.new`` on each source ("+N 新 new", ``.new_count`` as a number). The
    sources are copies: the facets may be shared by every reader (archive_facets)."""
    if not user.is_authenticated:
        return found
    counts = new_counts(user, [source.id for source in found.sources])
    sources = []
    for source in found.sources:
        source = copy.copy(source)
        source.new_count = counts.get(source.id, 0)
        source.new = shown_new(source.new_count) if source.new_count else ""
        sources.append(source)
    return dataclasses.replace(found, sources=sources)


def visit(user, slug: str) -> datetime | None:
    """``user`` opened the list of the source ``slug``: what arrived there is no longer new.
    The visit is written only when something did arrive since the last one, so that looking
    at a source again and again neither writes nor empties its cached page.

    Returns since when its posts are new to the reader on this page (None: no such source):
    the visit before this one, or joining for a first visit. It moves only with the visit,
    so what the count announced stays marked until more arrives, and the page's cache stamp
    (``stamp``: the latest visit) moves with it."""
    if not user.is_authenticated or not slug:
        return None
    visits = SourceVisit.objects.filter(user=user, source=OuterRef("pk"))
    newest = Post.objects.filter(source=OuterRef("pk")).order_by("-created_at")
    source = (
        # The primary's, even on a page that reads the replica: what is read here decides a
        # write, and a replica behind the last visit would write it again.
        Source.objects.using(DEFAULT_DB_ALIAS)
        .filter(slug=slug)
        .annotate(
            seen=Subquery(visits.values("seen_at")[:1]),
            seen_before=Subquery(visits.values("previous_seen_at")[:1]),
            newest=Subquery(newest.values("created_at")[:1]),
        )
        .first()
    )
    if source is None or source.newest is None:
        return None
    last = source.seen or user.date_joined
    if source.newest > last:
        state.seen_source(user, source)  # this visit's previous one is now ``last``
        return last
    return source.seen_before or user.date_joined


# --- The cache ------------------------------------------------------------------------------

_STATES = ReadingState._meta.db_table
_STAMP_SQL = (
    f"SELECT (SELECT max(updated_at) FROM {_STATES} WHERE user_id = %s), "  # noqa: S608
    f"(SELECT max(seen_at) FROM {_VISITS} WHERE user_id = %s)"
)


def stamp(user) -> str:
    """Changes whenever ``user``'s reading states or source visits do (every write to a state
    moves its ``updated_at``: library.state.change); "" for an anonymous visitor, at no cost.
    One query on the index state_user_updated and the user's few visits. Read where the
    page reads the archive (the replica, config.routers): the lists join these tables there,
    and a stamp ahead of them would keep an old page cached under a new key."""
    if not user.is_authenticated:
        return ""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(_STAMP_SQL, [user.pk, user.pk])
        updated, seen = cursor.fetchone()
    return f"{updated}|{seen}"
