"""Whole rendered pages, cached until the archive changes.

Posts change only through the importer, a re-clean or the admin, and each of those moves a
post's ``updated_at``; so a page is keyed by the newest ``updated_at`` it depends on (one
indexed lookup) plus everything else that shapes it: the path and query, the reader's
script choice, the image setting and the user (with the header's stamp: their groups and
unread replies, groups.header). A stale page is therefore never served,
except after a post is deleted in the admin, until the next change.

The cache lives in each server process (an LRU bounded in bytes, PIZHU_PAGE_CACHE_BYTES):
a hit costs a dict lookup, not a round trip or an unpickling, which is what lets a cached
page come close to the framework's own ceiling (bench/reader_bench.py). With a Redis
(CACHE_URL), a page this process has not got is looked for there before it is rendered, and
kept in both (archive.sharedpages): one server's rendering serves every server.

The stamps are read where the page reads the archive (the replica on a page that reads
there, config.routers), so that a key is never ahead of the page kept under it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, QueryDict

from archive.lru import LRU
from archive.models import Post
from archive.sharedpages import shared
from config.routers import read_alias
from groups.header import stamp as header_stamp


def _page_bytes(key: tuple, content: bytes) -> int:
    return len(content) + len(key[0]) + len(key[1])  # the page, its path and its query


pages = LRU(settings.PIZHU_PAGE_CACHE_BYTES, weigh=_page_bytes)


# Plain SQL: on a cached page these lookups are all the work there is, and building them
# through the ORM cost more than running them.
_TABLE = Post._meta.db_table


def archive_stamp() -> str:
    """Changes whenever any post is created or updated (``updated_at`` is indexed)."""
    with connections[read_alias()].cursor() as cursor:
        # Two subqueries: SQLite answers a lone max() from the index, max(a), max(b) by a scan.
        cursor.execute(
            f"SELECT (SELECT max(updated_at) FROM {_TABLE}), (SELECT max(id) FROM {_TABLE})"  # noqa: S608
        )
        updated, last = cursor.fetchone()
    return f"{updated}|{last}"


def post_stamp(pk: int) -> str | None:
    """The post's own version, or None when there is no such post."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(f"SELECT updated_at FROM {_TABLE} WHERE id = %s", [pk])  # noqa: S608
        row = cursor.fetchone()
    return None if row is None else str(row[0])


def cached_page(
    request: HttpRequest,
    stamp: str,
    render: Callable[[], HttpResponse],
    *extra: str,
    params: Iterable[str],
) -> HttpResponse:
    """The page ``render`` makes, from the cache when it holds it. The page is keyed on the
    query ``params`` it reads, and ``render`` sees only those: ``?cb=1``, ``?cb=2``... are one
    page, not one each."""
    used = QueryDict(mutable=True)
    for name in params:
        if (value := request.GET.get(name)) is not None:
            used[name] = value
    request.GET = used
    request.META["QUERY_STRING"] = query = used.urlencode()
    # Without a session cookie the visitor is anonymous: no need to load a session to know.
    signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated
    user = request.user.pk if signed_in else None
    # A signed-in page's header shows the reader's groups and unread replies: a change there
    # is a new page too (one query).
    header = header_stamp(request) if signed_in else ""
    key = (request.path, query, stamp, settings.PIZHU_REMOTE_IMAGES, user, header, *extra)
    content = pages.get(key)
    if content is None and (content := shared.get(key)) is not None:
        pages.put(key, content)  # another server rendered it: the next hit stays in here
    if content is None:
        response = render()
        if response.status_code == 200:
            pages.put(key, response.content)
            shared.put(key, response.content)
        return response
    return HttpResponse(content)
