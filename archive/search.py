"""Full-text search over posts, Chinese substrings included, on SQLite and PostgreSQL.

Chinese has no spaces, and word segmenters miss words (飞弹 is one word or two, depending on
the dictionary). So every CJK character is indexed as a token of its own and a query is a
*phrase* of its characters: any substring of 1, 2 or 3+ characters matches, with the index,
on both engines. Latin words stay words. Before both indexing and querying, text is *folded*:
traditional to simplified character by character (台湾 finds 臺灣), full-width to
half-width, lower case, all without changing the length, so a match in folded text is a
match at the same offsets in the original.

SQLite: one FTS5 table (``unicode61`` tokenizer, bm25 with title ≫ author ≫ body).
PostgreSQL: ``tsvector`` rows with a GIN index, the body cut into chunks because a tsvector
keeps positions only up to 16,383 and phrase matches need them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from html import escape

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

from archive.chinese import to_simplified_chars, variants

_CJK = "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
CHUNK_TOKENS = 15_000  # below PostgreSQL's last tsvector position, 16,383
CHUNK_OVERLAP = 64  # a phrase across a chunk boundary still lies whole in one chunk
MAX_TERMS = 12
MAX_QUERY_LENGTH = 200


@cache
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "
    for char in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[ord(char)] = char.lower()
    for code in range(0xFF21, 0xFF3B):
        table[code] = chr(code - 0xFEE0).lower()
    return table


def fold(text: str) -> str:
    """Same length as ``text``: simplified, half-width, ASCII lower case; other letters are
    lower-cased where that keeps one character."""
    text = to_simplified_chars(text.translate(_fold_table()))
    if text.isascii():
        return text
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(lower if len(lower := char.lower()) == 1 else char for char in text)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", fold(text)))


def index_text(text: str) -> str:
    return " ".join(tokens(text))


@dataclass(frozen=True)
class Query:
    """A parsed search: terms are phrases ("quoted words" or a run of characters)."""

    terms: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, raw: str) -> Query:
        raw = raw[:MAX_QUERY_LENGTH]
        pieces = re.findall(r'"([^"]*)"|(\S+)', raw)
        terms = []
        for quoted, word in pieces:
            term = tuple(tokens(quoted or word))
            if term and term not in terms:
                terms.append(term)
        return cls(tuple(terms[:MAX_TERMS]))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def fts5(self) -> str:
        return " AND ".join('"' + " ".join(term) + '"' for term in self.terms)

    def tsquery(self) -> str:
        # Tokens are letters and digits only (see _TOKEN), so quoting them is all it takes.
        return " & ".join(
            "(" + " <-> ".join(f"'{token}'" for token in term) + ")" for term in self.terms
        )

    def pattern(self) -> re.Pattern:
        """Finds the terms in original text (any script, any case), with anything but letters
        between their tokens. Matching the original directly spares folding a whole post."""
        alternatives = sorted(
            ("[\\W_]*".join(_token_pattern(token) for token in term) for term in self.terms),
            key=len,
            reverse=True,
        )
        return re.compile("|".join(alternatives), re.IGNORECASE)


def _token_pattern(token: str) -> str:
    if len(token) == 1 and _CJK_CHAR.match(token):
        chars = variants(token)
        return re.escape(chars) if len(chars) == 1 else f"[{re.escape(chars)}]"
    return re.escape(token)


# --- Index -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """What the index holds for one post: its folded tokens, space-separated."""

    title: str
    author: str
    body: str

    @classmethod
    def of(cls, title: str, author: str, text: str) -> Document:
        return cls(index_text(title), index_text(author), index_text(text))

    def body_chunks(self) -> list[str]:
        body_tokens = self.body.split(" ")
        if len(body_tokens) <= CHUNK_TOKENS:
            return [self.body]
        step = CHUNK_TOKENS - CHUNK_OVERLAP
        return [
            " ".join(body_tokens[i : i + CHUNK_TOKENS])
            for i in range(0, len(body_tokens) - CHUNK_OVERLAP, step)
        ]


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


def rebuild() -> int:
    from archive.models import Post

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_search")
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


_POSTGRESQL_RANKED = (
    "SELECT post_id FROM archive_search WHERE document @@ to_tsquery('simple', %s) "
    "AND post_id IN ({base}) GROUP BY post_id "
    "ORDER BY max(ts_rank(document, to_tsquery('simple', %s))) DESC, post_id DESC"
)
_SQLITE_RANKED = (
    "SELECT rowid FROM archive_search WHERE archive_search MATCH %s "
    "AND rowid IN ({base}) ORDER BY rank, rowid DESC"
)


class RankedSearch:
    """Matching posts of a base queryset, best first; sliced and counted like a queryset so
    Django's Paginator can page it, with two queries per page (count, ids) plus the page's."""

    def __init__(self, query: Query, posts):
        self.query = query
        self.posts = posts
        self._count: int | None = None

    def _sql(self) -> tuple[str, list]:
        # The base queryset's SQL comes from Django's compiler, its values stay parameters.
        base_sql, base_params = self.posts.order_by().values("id").query.sql_with_params()
        if connection.vendor == "postgresql":
            sql = _POSTGRESQL_RANKED.format(base=base_sql)
            return sql, [self.query.tsquery(), *base_params, self.query.tsquery()]
        sql = _SQLITE_RANKED.format(base=base_sql)
        return sql, [self.query.fts5(), *base_params]

    def count(self) -> int:
        if self._count is None:
            sql, params = self._sql()
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM ({sql}) AS matches", params)  # noqa: S608
                self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list:
        sql, params = self._sql()
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


def highlight(text: str, pattern: re.Pattern) -> SafeString:
    """``text`` escaped, with the terms' matches in <mark>."""
    pieces, last = [], 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f"<mark>{escape(text[match.start() : match.end()])}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece is escaped above)


def excerpt(text: str, pattern: re.Pattern, width: int = 160) -> SafeString:
    """The passage around the first match, highlighted; the beginning if nothing matches.
    Only the passage is touched: posts can be 600 KB."""
    match = pattern.search(text)
    start = max(0, match.start() - width // 3) if match else 0
    cut = text[start : start + 3 * width]
    passage = " ".join(cut.split())
    more = len(passage) > width or start + len(cut) < len(text)
    return mark_safe(  # noqa: S308 (highlight escapes)
        ("…" if start else "") + highlight(passage[:width], pattern) + ("…" if more else "")
    )


def matching_ids(query: Query):
    """A subquery of the ids of all posts matching ``query``, to narrow other queries."""
    from django.db.models.expressions import RawSQL

    if connection.vendor == "postgresql":
        return RawSQL(
            "SELECT post_id FROM archive_search WHERE document @@ to_tsquery('simple', %s)",
            [query.tsquery()],
        )
    return RawSQL("SELECT rowid FROM archive_search WHERE archive_search MATCH %s", [query.fts5()])
