"""The text side of search: folding, tokens, character pairs, queries and index documents.

Pure: no Django. Import workers (archive.pipeline) build index documents with it, the
notebook folds annotations with it, and archive.search turns its queries into SQL.

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

That is SQLite's index (FTS5 keeps each token's positions, so phrases of pairs are exact).
PostgreSQL's GIN index keeps no positions, and checking a phrase there means reading each
candidate's document. So on PostgreSQL a post is indexed by its *grams* (``Grams``): every
character, pair and triple of characters of each run, and each word. A query of one, two or
three characters or one word is then one key, answered by the index alone; a longer run is
its triples, and only the few posts that have them all are checked for the whole run, in
their text kept as runs (``Grams.text``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from archive.chinese import to_simplified_chars, variants

_CJK = "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
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

    @classmethod
    def words_of(cls, raw: str) -> list[str]:
        """The terms of a raw query as written (a "quoted phrase" keeps its quotes)."""
        pieces = re.findall(r'"[^"]*"|\S+', raw[:MAX_QUERY_LENGTH])
        return [piece for piece in pieces if cls.parse(piece)][:MAX_TERMS]

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

    def grams(self) -> tuple[list[str], list[str]]:
        """PostgreSQL (``Grams``): the keys every matching post has, and the phrases to look
        for in the text of those that have them, where the keys alone do not say (a run of
        four characters or more, words or runs in a row, a very long word)."""
        keys: list[str] = []
        checks: list[str] = []
        for runs in self.runs:
            for run in runs:
                keys.extend(_query_keys(run))
            if len(runs) > 1 or not _exact_key(runs[0]):
                checks.append(_needle(runs))
        return list(dict.fromkeys(keys)), checks

    def needles(self) -> list[str]:
        """Each term as it stands in ``Grams.text`` (ranking looks for them in titles)."""
        return [_needle(runs) for runs in self.runs]

    def pattern(self) -> re.Pattern:
        """Finds the terms in original text (any script, any case), with anything but letters
        between their tokens. Matching the original directly spares folding a whole post."""
        alternatives = sorted(
            ("[\\W_]*".join(_token_pattern(token) for token in term) for term in self.terms),
            key=len,
            reverse=True,
        )
        return re.compile("|".join(alternatives), re.IGNORECASE)


# A Latin word is marked only where it stands whole: "or" not inside "iYouPort".
_NOT_IN_A_WORD = (rf"(?<![^\W_{_CJK}])", rf"(?![^\W_{_CJK}])")


def _token_pattern(token: str) -> str:
    if len(token) == 1 and _CJK_CHAR.match(token):
        chars = variants(token)
        return re.escape(chars) if len(chars) == 1 else f"[{re.escape(chars)}]"
    before, after = _NOT_IN_A_WORD
    return f"{before}{re.escape(token)}{after}"


@dataclass(frozen=True)
class Document:
    """What the index holds for one post: its folded tokens, space-separated."""

    title: str
    author: str
    body: str

    @classmethod
    def of(cls, title: str, author: str, text: str) -> Document:
        return cls(index_text(title), index_text(author), index_text(text))


# --- PostgreSQL: grams ----------------------------------------------------------------------

# A GIN key must fit a third of a page; words longer than this are indexed by their start
# (and a query for one is checked in the text).
MAX_KEY = 60


@dataclass(frozen=True)
class Grams:
    """What PostgreSQL's index holds for one post (archive.search_postgres): its keys, and
    its folded text as runs, for the checks keys cannot answer and for ranking by title.

    ``text`` is each field's runs separated by spaces, the fields (title, author, body) by
    " \n ", all between spaces: a word stands whole between spaces, and a phrase never runs
    from one field into the next. ``head`` is the same of title and author alone."""

    head: str
    keys: str  # space-separated: every character, pair and triple of each run; each word
    text: str

    @classmethod
    def of(cls, title: str, author: str, text: str) -> Grams:
        fields = [_runs(title), _runs(author), _runs(text)]
        keys: set[str] = set()
        for runs in fields:
            _add_keys(keys, runs)
        return cls(_runs_text(fields[:2]), " ".join(keys), _runs_text(fields))


def _runs_text(fields: list[list[str]]) -> str:
    return " " + " \n ".join(" ".join(runs) for runs in fields) + " "


def _add_keys(keys: set[str], runs: list[str]) -> None:
    for run in runs:
        if not _CJK_CHAR.match(run):
            keys.add(run[:MAX_KEY])
            continue
        keys.update(run)
        keys.update([run[i : i + 2] for i in range(len(run) - 1)])
        keys.update([run[i : i + 3] for i in range(len(run) - 2)])


def _exact_key(run: str) -> bool:
    """Whether a post has ``run`` exactly when it has its key."""
    if _CJK_CHAR.match(run):
        return len(run) <= 3
    return len(run) <= MAX_KEY


def _query_keys(run: str) -> list[str]:
    if not _CJK_CHAR.match(run):
        return [run[:MAX_KEY]]
    if len(run) <= 3:
        return [run]
    return [run[i : i + 3] for i in range(len(run) - 2)]


def _needle(runs: tuple[str, ...]) -> str:
    """The runs as they stand in ``Grams.text``: a word between spaces, a CJK run anywhere
    in a run (a substring)."""
    first = "" if _CJK_CHAR.match(runs[0]) else " "
    last = "" if _CJK_CHAR.match(runs[-1]) else " "
    return first + " ".join(runs) + last
