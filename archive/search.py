"""Full-text search over posts in SQL, on SQLite and PostgreSQL.

The tokens, queries and documents come from ``archive.search_text`` (pure; see it for why
Chinese is indexed as character pairs); this module stores documents and runs queries.

SQLite: one FTS5 table (``unicode61`` tokenizer, bm25 with title ≫ author ≫ body).
PostgreSQL: ``tsvector`` rows with a GIN index, the body cut into chunks because a tsvector
keeps positions only up to 16,383 and phrase matches need them
(``search_text.Document.body_chunks``).
"""

from __future__ import annotations

from django.db import connection
from django.db.models.expressions import RawSQL

from archive.rendering import excerpt, highlight
from archive.search_text import Document, Query


def index_documents(documents: list[tuple[int, Document]]) -> None:
    """(Re)index posts, in the caller's transaction."""
    if not documents:
        return
    ids = [(post_id,) for post_id, _ in documents]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.executemany("DELETE FROM archive_search WHERE post_id = %s", ids)
            params = []
            for post_id, document in documents:
                for number, chunk in enumerate(document.body_chunks()):
                    head = (document.title, document.author) if number == 0 else ("", "")
                    params.append((post_id, number, *head, chunk))
            cursor.executemany(
                "INSERT INTO archive_search (post_id, chunk, document) VALUES (%s, %s, "
                "setweight(to_tsvector('simple', %s), 'A') || "
                "setweight(to_tsvector('simple', %s), 'B') || to_tsvector('simple', %s))",
                params,
            )
        else:
            cursor.executemany("DELETE FROM archive_search WHERE rowid = %s", ids)
            cursor.executemany(
                "INSERT INTO archive_search (rowid, title, author, body) VALUES (%s, %s, %s, %s)",
                [(pk, doc.title, doc.author, doc.body) for pk, doc in documents],
            )


def index_posts(rows) -> None:
    """(Re)index posts from ``(id, title, author, text)`` rows."""
    index_documents([(pk, Document.of(title, author, text)) for pk, title, author, text in rows])


def remove_posts(ids) -> None:
    column = "post_id" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.executemany(
            f"DELETE FROM archive_search WHERE {column} = %s",  # noqa: S608 (a constant)
            [(pk,) for pk in ids],
        )


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


_POSTGRESQL_MATCHES = (
    "SELECT post_id FROM archive_search WHERE document @@ to_tsquery('simple', %s) "
    "AND post_id IN ({base}) GROUP BY post_id ORDER BY {order}"
)
_POSTGRESQL_RANK = "max(ts_rank(document, to_tsquery('simple', %s))) DESC, post_id DESC"
# "+rowid": the unary plus keeps SQLite from handing the IN list to FTS5 as rowid lookups,
# one MATCH per post (12 minutes for 的 over 100,000 posts); the list is built once instead.
_SQLITE_MATCHES = (
    "SELECT rowid FROM archive_search WHERE archive_search MATCH %s {narrow} ORDER BY {order}"
)
_SQLITE_NARROW = "AND +rowid IN ({base})"
# Ranking reads every match's positions: beyond this many matches (a single common
# character) the newest come first instead, at once.
RANK_AT_MOST = 20_000
# Likewise, the filter counts beside the results are only worked out below this many matches.
COUNT_FILTERS_AT_MOST = 20_000


class RankedSearch:
    """Matching posts of a base queryset, best first; sliced and counted like a queryset so
    Django's Paginator can page it, with two queries per page (count, ids) plus the page's."""

    def __init__(self, query: Query, posts):
        self.query = query
        self.posts = posts
        self._count: int | None = None

    def _sql(self, *, ranked: bool = True) -> tuple[str, list]:
        # The base queryset's SQL comes from Django's compiler, its values stay parameters.
        base_sql, base_params = self.posts.order_by().values("id").query.sql_with_params()
        if connection.vendor == "postgresql":
            order = _POSTGRESQL_RANK if ranked else "post_id DESC"
            sql = _POSTGRESQL_MATCHES.format(base=base_sql, order=order)
            rank_params = [self.query.tsquery()] if ranked else []
            return sql, [self.query.tsquery(), *base_params, *rank_params]
        narrowed = bool(self.posts.query.where)  # no filter: every post, no list to check
        sql = _SQLITE_MATCHES.format(
            narrow=_SQLITE_NARROW.format(base=base_sql) if narrowed else "",
            order="rank, rowid DESC" if ranked else "rowid DESC",
        )
        return sql, [self.query.fts5(), *(base_params if narrowed else ())]

    def count(self) -> int:
        if self._count is None:
            sql, params = self._sql(ranked=False)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM ({sql}) AS matches", params)  # noqa: S608
                self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list:
        sql, params = self._sql(ranked=self.count() <= RANK_AT_MOST)
        start = page.start or 0
        with connection.cursor() as cursor:
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
    each of the counts would otherwise run the full-text match again."""
    if connection.vendor == "postgresql":
        return RawSQL(
            "SELECT post_id FROM archive_search WHERE document @@ to_tsquery('simple', %s)",
            [query.tsquery()],
        )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS search_hits (id INTEGER PRIMARY KEY)")
        cursor.execute("DELETE FROM temp.search_hits")
        cursor.execute(
            "INSERT INTO temp.search_hits "
            "SELECT rowid FROM archive_search WHERE archive_search MATCH %s",
            [query.fts5()],
        )
    return RawSQL("SELECT id FROM temp.search_hits", [])
