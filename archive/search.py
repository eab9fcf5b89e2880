"""Full-text search over posts in SQL, on SQLite and PostgreSQL.

The tokens, queries and documents come from ``archive.search_text`` (pure; see it for why
Chinese is indexed as character pairs); this module stores documents and runs queries.

SQLite: one FTS5 table (``unicode61`` tokenizer, bm25 with title ≫ author ≫ body).
PostgreSQL: one row per post, its grams (characters, pairs, triples, words) under a GIN
index; see archive.search_postgres for that design and why.

A search shows one page of results, so the work of one never grows with everything it
matches: beyond RANK_AT_MOST matches the newest come first instead of the best, the count
stops at COUNT_AT_MOST ("20000+"), and beyond COUNT_FILTERS_AT_MOST the filters beside the
results show the archive's counts.
"""

from __future__ import annotations

from django.db import connection, connections
from django.db.models.expressions import RawSQL

from archive import search_postgres
from archive.rendering import excerpt, highlight
from archive.search_text import Document, Grams, Query
from config.routers import read_alias


def document_type() -> type[Document] | type[Grams]:
    """What the index of this database holds for a post; import workers make them."""
    return Grams if connection.vendor == "postgresql" else Document


def index_documents(documents: list[tuple[int, Document | Grams]]) -> None:
    """(Re)index posts, in the caller's transaction."""
    if not documents:
        return
    ids = [(post_id,) for post_id, _ in documents]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            search_postgres.index(cursor, documents)
        else:
            cursor.executemany("DELETE FROM archive_search WHERE rowid = %s", ids)
            cursor.executemany(
                "INSERT INTO archive_search (rowid, title, author, body) VALUES (%s, %s, %s, %s)",
                [(pk, doc.title, doc.author, doc.body) for pk, doc in documents],
            )


def index_posts(rows) -> None:
    """(Re)index posts from ``(id, title, author, text)`` rows."""
    kind = document_type()
    index_documents([(pk, kind.of(title, author, text)) for pk, title, author, text in rows])


def remove_posts(ids) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            search_postgres.remove(cursor, ids)
        else:
            cursor.executemany("DELETE FROM archive_search WHERE rowid = %s", [(pk,) for pk in ids])


def clear() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_search")


def rebuild() -> int:
    from archive.models import Post

    clear()
    count = 0
    ids = list(Post.objects.values_list("id", flat=True))
    for start in range(0, len(ids), 500):
        index_posts(
            Post.objects.filter(id__in=ids[start : start + 500]).values_list(
                "id", "title", "author", "text"
            )
        )
        count += len(ids[start : start + 500])
    return count


# --- Query -----------------------------------------------------------------------------------


def _reading():
    """The connection searches read on: the replica within a page that reads the archive
    there (config.routers), else the primary, as the ORM's queries of the same page."""
    return connections[read_alias()]


# "+rowid": the unary plus keeps SQLite from handing the IN list to FTS5 as rowid lookups,
# one MATCH per post (12 minutes for 的 over 100,000 posts); the list is built once instead.
_SQLITE_MATCHES = (
    "SELECT rowid FROM archive_search WHERE archive_search MATCH %s {narrow} ORDER BY {order}"
)
_SQLITE_NARROW = "AND +rowid IN ({base})"
# Ranking reads every match's positions: beyond this many matches (a single common
# character) the newest come first instead, at once.
RANK_AT_MOST = 20_000
# Counting stops here: the count shows as "20000+", and pages go as far.
COUNT_AT_MOST = 20_000
# Likewise, the filter counts beside the results are only worked out below this many matches.
COUNT_FILTERS_AT_MOST = 20_000


class RankedSearch:
    """Matching posts of a base queryset, best first; sliced and counted like a queryset so
    Django's Paginator can page it, with two queries per page (count, ids) plus the page's."""

    def __init__(self, query: Query, posts):
        self.query = query
        self.posts = posts
        self._count: int | None = None
        self.capped = False  # more than COUNT_AT_MOST match; count() says COUNT_AT_MOST

    def _base(self) -> tuple[str, list] | None:
        """The base queryset's SQL (from Django's compiler, its values kept as parameters),
        or None when it has no filter: every post, no list to check."""
        if not self.posts.query.where:
            return None
        return self.posts.order_by().values("id").query.sql_with_params()

    def _sql(self, *, ranked: bool = True) -> tuple[str, list]:
        base = self._base()
        sql = _SQLITE_MATCHES.format(
            narrow=_SQLITE_NARROW.format(base=base[0]) if base else "",
            order="rank, rowid DESC" if ranked else "rowid DESC",
        )
        return sql, [self.query.fts5(), *(base[1] if base else ())]

    def count(self) -> int:
        if self._count is None:
            reading = _reading()
            if reading.vendor == "postgresql":
                found = search_postgres.count(reading, self.query, self._base(), COUNT_AT_MOST + 1)
            else:
                sql, params = self._sql(ranked=False)
                with reading.cursor() as cursor:
                    cursor.execute(
                        f"SELECT count(*) FROM ({sql} LIMIT %s) AS matches",  # noqa: S608
                        [*params, COUNT_AT_MOST + 1],
                    )
                    found = cursor.fetchone()[0]
            self.capped = found > COUNT_AT_MOST
            self._count = min(found, COUNT_AT_MOST)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list:
        ranked = self.count() <= RANK_AT_MOST and not self.capped
        start = page.start or 0
        reading = _reading()
        if reading.vendor == "postgresql":
            ids = search_postgres.page(
                reading,
                self.query,
                self._base(),
                ranked=ranked,
                offset=start,
                limit=page.stop - start,
            )
        else:
            sql, params = self._sql(ranked=ranked)
            with reading.cursor() as cursor:
                cursor.execute(f"{sql} LIMIT %s OFFSET %s", [*params, page.stop - start, start])
                ids = [row[0] for row in cursor.fetchall()]
        by_id = self.posts.model.objects.for_list().with_text().in_bulk(ids)
        results = [by_id[pk] for pk in ids if pk in by_id]
        pattern = self.query.pattern()
        for post in results:
            post.title_highlighted = highlight(post.title, pattern)
            post.excerpt_highlighted = excerpt(post.text, pattern)
        return results


def search(raw_query: str, posts) -> RankedSearch:
    return RankedSearch(Query.parse(raw_query), posts)


def matching_ids(query: Query):
    """A subquery of the ids of all posts matching ``query``, to narrow other queries (the
    filter counts beside search results).

    SQLite: the ids are gathered once into a temporary table of this connection, because
    each of the counts would otherwise run the full-text match again. The table is on the
    connection the counts run on (the replica's, when the page reads there)."""
    reading = _reading()
    if reading.vendor == "postgresql":
        # The ids themselves, not a subquery: each count would run the match again, planned
        # without search_postgres.planned's care.
        ids = search_postgres.matching_ids(reading, query)
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    with reading.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS search_hits (id INTEGER PRIMARY KEY)")
        cursor.execute("DELETE FROM temp.search_hits")
        cursor.execute(
            "INSERT INTO temp.search_hits "
            "SELECT rowid FROM archive_search WHERE archive_search MATCH %s",
            [query.fts5()],
        )
    return RawSQL("SELECT id FROM temp.search_hits", [])
