"""PostgreSQL's side of archive.search: one row per post, its grams in a GIN index.

The table (migration 0009): ``post_id``, ``head`` and ``text`` (the post's folded runs, see
``search_text.Grams``) and ``grams``, a text array under a GIN index. A query's keys are one
``grams @> keys``: the index answers it alone (GIN's array containment is exact, nothing is
read back from the rows), and only a query the keys cannot settle reads the candidates'
``text`` (``strpos``, a few per query). Ranking reads ``head``, a few dozen bytes kept in the
row itself: title and author matches first, then the newest.

Why not the other shapes, measured side by side on the same 5,685 and 100,000 synthetic
posts (bench/search_bench.py; the numbers are in the README's design note):
* tsvector chunks of pairs (what this replaced): a phrase (any 3 or more characters) and
  ``ts_rank`` read each candidate's whole tsvector, ~100 KB out of line; worse, the planner
  never used the index at all (below) and read every document on every search.
* ``pg_trgm``: needs three characters, and rechecks every candidate's text, always.
* a plain (pair, post) table: about 9,000 rows a post, 150 MB per 400 posts before its index.

The planner's costs know nothing of TOAST: a row here is ~100 bytes in the table and ~100 KB
out of line, so reading every row looks cheaper than the index for any common term, and
would read gigabytes. The statements below therefore run with sequential and plain index
scans off (bitmap scans of the GIN index only) and without JIT, whose compilation cost more
than the query; for their transaction only.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction

from archive.search_text import Grams, Query

TABLE = "archive_search"


def index(cursor, documents: list[tuple[int, Grams]]) -> None:
    """(Re)index posts, in the caller's transaction."""
    remove(cursor, [post_id for post_id, _ in documents])
    # The keys sorted: neighbours share their first characters, and the row takes 60 % of
    # the room (95 KB instead of 157 KB for the median synthetic post).
    cursor.executemany(
        f"INSERT INTO {TABLE} (post_id, head, grams, text) "  # noqa: S608 (a constant)
        "VALUES (%s, %s, ARRAY(SELECT unnest(string_to_array(%s, ' ')) ORDER BY 1), %s)",
        [(post_id, doc.head, doc.keys, doc.text) for post_id, doc in documents],
    )


def remove(cursor, ids: list[int]) -> None:
    cursor.execute(f"DELETE FROM {TABLE} WHERE post_id = ANY(%s)", [list(ids)])  # noqa: S608


@contextmanager
def planned(connection):
    """A cursor whose statements use the GIN index (see the module docstring)."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('enable_seqscan', 'off', true), "
            "set_config('enable_indexscan', 'off', true), set_config('jit', 'off', true)"
        )
        yield cursor


def matches(query: Query, base: tuple[str, list] | None) -> tuple[str, list]:
    """``WHERE`` of the posts matching ``query`` (among ``base``, SQL and parameters)."""
    keys, checks = query.grams()
    sql = "s.grams @> %s::text[]" + " AND strpos(s.text, %s) > 0" * len(checks)
    params: list = [keys, *checks]
    if base is not None:
        sql += f" AND s.post_id IN ({base[0]})"
        params += base[1]
    return sql, params


def count(connection, query: Query, base, at_most: int) -> int:
    """How many posts match, counting no further than ``at_most``."""
    condition, params = matches(query, base)
    with planned(connection) as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} s WHERE {condition} LIMIT %s) AS m",  # noqa: S608
            [*params, at_most],
        )
        return cursor.fetchone()[0]


def page(connection, query: Query, base, *, ranked: bool, offset: int, limit: int) -> list[int]:
    """Ids of one page of matches: ranked (a match in the title or author first, then the
    newest), or the newest first."""
    condition, params = matches(query, base)
    order = "s.post_id DESC"
    if ranked:
        needles = query.needles()
        in_head = " + ".join(["(strpos(s.head, %s) > 0)::int"] * len(needles))
        order = f"{in_head} DESC, {order}"
        params += needles
    with planned(connection) as cursor:
        cursor.execute(
            f"SELECT s.post_id FROM {TABLE} s WHERE {condition} "  # noqa: S608
            f"ORDER BY {order} LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [row[0] for row in cursor.fetchall()]


def matching_ids(connection, query: Query) -> list[int]:
    """Ids of every post matching ``query``."""
    condition, params = matches(query, None)
    with planned(connection) as cursor:
        cursor.execute(f"SELECT s.post_id FROM {TABLE} s WHERE {condition}", params)  # noqa: S608
        return [row[0] for row in cursor.fetchall()]
