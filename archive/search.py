"""Full-text search over posts, Chinese substrings included, on SQLite and PostgreSQL.

Chinese has no spaces, and word segmenters miss words (飞弹 is one word or two, depending on
the dictionary). So the index holds overlapping character *pairs* (国家工 → 国家 家工 工z, see
``_pairs``) and a query is a phrase of its pairs: any substring of 2 or more characters
matches through the index on both engines, and one character is the prefix of the pairs it
opens. Pairs rather than single characters because a common character's posting list spans
nearly every post, while a pair's is short: at 100,000 posts that is the difference between
a tenth of a second per match and a few milliseconds. Latin words stay words. Before both
indexing and querying, text is *folded*: traditional to simplified character by character
(台湾 finds 臺灣), full-width to half-width, lower case, all without changing the length, so
a match in folded text is a match at the same offsets in the original.

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
from itertools import pairwise

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

from archive.chinese import to_simplified_chars, variants

_CJK = "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
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


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", fold(text))


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(_normal(text))


# The index holds character *pairs*: a run 国家工 is stored as 国家 家工 工z, each pair where
# it starts, and the run's last character closed by END. A query of two or more characters
# is then a phrase of pairs whose lists are short (one common character appears in nearly
# every post; a pair in few), and a single character is the prefix of the pairs it opens.
END = "z"  # any letter: it joins a pair token; queries never produce it on their own


def index_tokens(text: str) -> list[str]:
    return _pairs(_runs(text), closed=True)


def _runs(text: str) -> list[str]:
    """Runs of CJK characters and Latin words, in order, from folded text."""
    return _RUN.findall(_normal(text))


def _pairs(runs: list[str], *, closed: bool) -> list[str]:
    """Pairs for each run of CJK characters; words unchanged. ``closed``: the text ends
    here (index), so its last run is closed by END too; a query's last run is left open (a
    single last character becomes a prefix, ``X*``)."""
    out: list[str] = []
    for number, run in enumerate(runs):
        if not _CJK_CHAR.match(run):
            out.append(run)
            continue
        out.extend(a + b for a, b in pairwise(run))
        if closed or number < len(runs) - 1:
            out.append(run[-1] + END)
        elif len(run) == 1:
            out.append(run + "*")
    return out


def index_text(text: str) -> str:
    return " ".join(index_tokens(text))


@dataclass(frozen=True)
class Query:
    """A parsed search: terms are phrases ("quoted words" or a run of characters)."""

    terms: tuple[tuple[str, ...], ...]  # characters and words, for highlighting
    runs: tuple[tuple[str, ...], ...] = ()  # the same terms as CJK runs and words (_pairs)

    @classmethod
    def parse(cls, raw: str) -> Query:
        raw = raw[:MAX_QUERY_LENGTH]
        pieces = re.findall(r'"([^"]*)"|(\S+)', raw)
        terms, runs = [], []
        for quoted, word in pieces:
            term = tuple(tokens(quoted or word))
            if term and term not in terms:
                terms.append(term)
                runs.append(tuple(_runs(quoted or word)))
        return cls(tuple(terms[:MAX_TERMS]), tuple(runs[:MAX_TERMS]))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def index_terms(self) -> list[list[str]]:
        """Each term as index tokens (see _pairs); a trailing * marks a prefix."""
        return [_pairs(list(runs), closed=False) for runs in self.runs]

    def fts5(self) -> str:
        # Tokens are letters and digits only (see _TOKEN), so quoting them is all it takes.
        def part(token: str) -> str:
            return f'"{token[:-1]}"*' if token.endswith("*") else f'"{token}"'

        return " AND ".join(
            " + ".join(part(token) for token in term) for term in self.index_terms()
        )

    def tsquery(self) -> str:
        def part(token: str) -> str:
            return f"'{token[:-1]}':*" if token.endswith("*") else f"'{token}'"

        return " & ".join(
            "(" + " <-> ".join(part(token) for token in term) + ")" for term in self.index_terms()
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
    """A subquery of the ids of all posts matching ``query``, to narrow other queries (the
    filter counts beside search results).

    SQLite: the ids are gathered once into a temporary table of this connection, because
    each of the counts would otherwise run the full-text match again."""
    # Imported here: the ORM is not needed by import workers, which use this module too.
    from django.db.models.expressions import RawSQL

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
