"""Where an annotation sits in a post's text, and where it moved to when the text changed.

Everything here is a pure function of strings. A selection is described by the W3C
selectors over ``Post.text``: TextPosition (``start``/``end`` in code points) and TextQuote
(``exact`` with 32 characters of ``prefix`` and ``suffix``). When the text changes, ``anchor``
looks for the quote again, from the cheapest and surest evidence to the weakest:

1. ``position``: the quote is still at its old position (and, for a short quote, its
   context agrees);
2. ``quote``: an exact occurrence elsewhere, chosen by its context and its nearness to the
   old position;
3. ``normalised``: the same after normalising both texts (NFKC, so full/half width; case;
   whitespace runs; zero-width characters);
4. ``fuzzy``: an approximate occurrence (edlib, infix mode) within an error budget that grows
   with the quote's length, accepted only when its context agrees;
5. ``context``: the quote's own prefix and suffix still stand side by side, with between them
   a passage of about the quote's length that differs in at most one character (a typo fixed
   inside a short quote).

Otherwise the annotation is orphaned: a wrong attach is worse than an orphan, so short quotes
get no fuzzy budget and every inexact match must be confirmed by its context.

When the text the selectors were made on is known (a re-import or a re-clean replaces it),
a diff of the two texts comes first (``Edits``): a passage is followed through the edits
(``diff``), one whose characters were cut is orphaned unless it reappears whole in inserted
text (``moved``; a copy that was there all along is another passage), and only what the
diff cannot settle goes down the ladder, without its fuzzy step (what the diff could not
follow, a merely similar line elsewhere is not). Positional evidence is what tells a deleted table
row from its look-alikes.

Hypothesis's match-quote (client-side) is the reference design; here it runs on the server,
once per change of the text, never per page view.
"""

from __future__ import annotations

import re
import time
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import edlib
import fast_diff_match_patch
from rapidfuzz.distance import Indel, Levenshtein

from archive.chinese import to_simplified_chars

CONTEXT_CHARS = 32
MAX_OCCURRENCES = 2000  # a one-character quote in a long post: enough to choose among


@dataclass(frozen=True)
class Selector:
    """TextQuote and TextPosition of one passage of a text."""

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    method: str  # diff | moved | position | quote | normalised | fuzzy | context


class SelectionError(ValueError):
    """A selection that does not describe the text; ``field`` names the culprit."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def describe(text: str, start: int, end: int) -> Selector:
    """The selectors of ``text[start:end]``.

    The context holds 32 *visible* characters on each side: articles are full of layout
    whitespace (indentation, blank lines), and 32 characters of that tell nothing apart.
    """
    return Selector(
        exact=text[start:end],
        prefix=text[_context_start(text, start) : start],
        suffix=text[end : _context_end(text, end)],
        start=start,
        end=end,
    )


_CONTEXT_REACH = CONTEXT_CHARS * 8  # raw characters looked through at most


def _context_start(text: str, start: int) -> int:
    seen = 0
    at = start
    floor = max(0, start - _CONTEXT_REACH)
    while at > floor and seen < CONTEXT_CHARS:
        at -= 1
        seen += not text[at].isspace()
    return at


def _context_end(text: str, end: int) -> int:
    seen = 0
    at = end
    ceiling = min(len(text), end + _CONTEXT_REACH)
    while at < ceiling and seen < CONTEXT_CHARS:
        seen += not text[at].isspace()
        at += 1
    return at


def validate_selection(text: str, start, end, exact, *, max_chars: int) -> Selector:
    """Check what a browser reports about a selection against the server's text.

    The reader may show the text converted to simplified or traditional characters (same
    length, archive.chinese), so a quote matches when it folds to the same characters.
    """
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise SelectionError("start", "must be a whole number ≥ 0")
    if not isinstance(end, int) or isinstance(end, bool) or end <= start:
        raise SelectionError("end", "must be a whole number greater than start")
    if end > len(text):
        raise SelectionError("end", f"is past the end of the text ({len(text)} characters)")
    if end - start > max_chars:
        raise SelectionError("exact", f"quotes are limited to {max_chars} characters")
    if not isinstance(exact, str):
        raise SelectionError("exact", "must be a string")
    if not exact.strip():
        raise SelectionError("exact", "must hold more than whitespace")
    quoted = text[start:end]
    if exact != quoted and to_simplified_chars(exact) != to_simplified_chars(quoted):
        raise SelectionError("exact", "is not the text between start and end")
    return describe(text, start, end)


# --- normalisation ---------------------------------------------------------------------

_SPACE_OR_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\u00ad]+")
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")


# Chinese punctuation NFKC leaves alone, folded to what a re-import may have swapped it for.
_PUNCTUATION = {"。": ".", "、": ",", "「": '"', "」": '"', "『": '"', "』": '"', "“": '"',
                "”": '"', "‘": "'", "’": "'", "—": "-", "–": "-", "…": "."}  # fmt: skip
_folded: dict[str, str] = {}


def _fold(char: str) -> str:
    """One character's normal form: NFKC (full-width → half-width, compatibility forms),
    lower case, Chinese punctuation. A character that would expand (㈱ → (株)) stays itself:
    lengths must hold."""
    folded = _folded.get(char)
    if folded is None:
        folded = _PUNCTUATION.get(char) or unicodedata.normalize("NFKC", char).lower()
        if len(folded) != 1:
            folded = char
        _folded[char] = folded
    return folded


def _char_table(chars: Iterable[str]) -> dict[int, str]:
    table = {}
    for char in chars:
        folded = _fold(char)
        if folded != char:
            table[ord(char)] = folded
    return table


class Normalised:
    """``text`` normalised, with a map from its positions back to the original's."""

    def __init__(self, text: str):
        folded = text.translate(_char_table(set(text))) if not text.isascii() else text.lower()
        pieces: list[str] = []
        # Segments where normalising changed the length: (normalised start, original start,
        # original end, normalised length). Between them, positions shift by a constant.
        self._norm_starts: list[int] = []
        self._orig_starts: list[int] = []
        self._segments: list[tuple[int, int, int, int]] = []
        position = 0
        length = 0
        for match in _SPACE_OR_INVISIBLE.finditer(folded):
            run = match.group()
            replacement = "" if all(c in _INVISIBLE for c in run) else " "
            if run == replacement:
                continue
            pieces.append(folded[position : match.start()])
            length += match.start() - position
            self._norm_starts.append(length)
            self._orig_starts.append(match.start())
            self._segments.append((length, match.start(), match.end(), len(replacement)))
            pieces.append(replacement)
            length += len(replacement)
            position = match.end()
        pieces.append(folded[position:])
        self.text = "".join(pieces)

    def original(self, index: int, *, is_end: bool) -> int:
        """The original position of normalised position ``index``."""
        at = bisect_right(self._norm_starts, index) - 1
        if at < 0:
            return index
        norm_start, orig_start, orig_end, norm_length = self._segments[at]
        if index < norm_start + norm_length or (index == norm_start + norm_length and is_end):
            # Inside (or at the end of) a collapsed run: a start snaps to its beginning, an
            # end to its end, so the range covers the whole run.
            return orig_end if is_end and index > norm_start else orig_start
        return orig_end + (index - norm_start - norm_length)

    def normalised(self, index: int) -> int:
        """The normalised position of original position ``index`` (inside a collapsed run:
        the run's normalised position)."""
        at = bisect_right(self._orig_starts, index) - 1
        if at < 0:
            return index
        norm_start, orig_start, orig_end, norm_length = self._segments[at]
        if index < orig_end:
            return norm_start + (norm_length if index > orig_start else 0)
        return norm_start + norm_length + (index - orig_end)


@lru_cache(maxsize=4096)  # contexts and quotes are normalised again for every candidate
def normalise(text: str) -> str:
    return Normalised(text).text


# --- matching --------------------------------------------------------------------------


def error_budget(length: int) -> int:
    """How many edits an approximate match of a quote of ``length`` may differ by.

    None below 8 characters (a two-character quote with one error matches half the
    archive), then about one in eight, as Hypothesis's match-quote allows.
    """
    if length < 8:
        return 0
    return min(length // 8, 256)


def _similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return Indel.normalized_similarity(a, b)


class Text:
    """A text to anchor in, with its normalised form made once, when first needed."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def normalised(self) -> Normalised:
        return Normalised(self.text)

    def around(
        self, selector: Selector, start: int, end: int, *, near: int | None = None
    ) -> tuple[str, str]:
        """The text before and after [start, end), normalised, from as far as the selector's
        context reaches (layout whitespace can fill many raw characters): for scoring the
        whole context, with room to spare; for ``near`` characters, just enough."""
        if near is None:
            reach_before, reach_after = len(selector.prefix) * 2 + 64, len(selector.suffix) * 2 + 64
        else:
            reach_before, reach_after = len(selector.prefix) + near, len(selector.suffix) + near
        if "normalised" not in self.__dict__:
            # Not worth normalising a whole post for a few candidates' context.
            before = normalise(self.text[max(0, start - reach_before) : start])
            return before, normalise(self.text[end : end + reach_after])
        # Once the whole text is normalised (an inexact search, a diff), slice it rather than
        # normalise again around every candidate: a short quote in a long list stands in
        # thousands of places.
        norm = self.normalised
        before = norm.text[norm.normalised(max(0, start - reach_before)) : norm.normalised(start)]
        after_end = norm.normalised(min(len(self.text), end + reach_after))
        after = norm.text[norm.normalised(end) : after_end]
        return before, after

    def near_intact(
        self,
        selector: Selector,
        start: int,
        end: int,
        *,
        near: int = 8,
        blank_ok: bool = False,
        edge_ok: bool = False,
        evidence: bool = False,
    ) -> bool:
        """The ``near`` characters on each side of [start, end) are the selector's own
        (``blank_ok``: or nothing but whitespace there, as at a paragraph's edge; ``edge_ok``:
        or the selector's own as far as its paragraph's edge, where that edge is nearer:
        what lies past the edge changes when the paragraph moves or one is inserted beside
        it, and is no evidence either way). ``evidence``: and some of those characters are
        more than whitespace: a whole paragraph between two edges says nothing of which
        copy of it this is."""
        before, after = self.around(selector, start, end, near=near)
        before, after = before[-near:], after[:near]
        sides, seen = [], False
        for have, want, is_before in (
            (before, normalise(selector.prefix)[-near:], True),
            (after, normalise(selector.suffix)[:near], False),
        ):
            if have == want:
                sides.append(True)
                seen = seen or bool(want.strip())
            elif blank_ok and not have.strip():
                sides.append(True)
            else:
                edge = self._same_to_the_edge(selector, start, end, near, is_before)
                sides.append(edge is not None)
                seen = seen or bool(edge)
        return all(sides) and (seen or not evidence)

    def _same_to_the_edge(
        self, selector: Selector, start: int, end: int, near: int, is_before: bool
    ) -> str | None:
        """Between the quote and its paragraph's edge (a line break) on one side, the same
        characters now as in the selector's context, that edge within ``near`` characters:
        those characters (maybe none), else None."""
        if is_before:
            want_raw, have_raw = selector.prefix, self.text[max(0, start - _EDGE_REACH) : start]
        else:
            want_raw, have_raw = selector.suffix, self.text[end : end + _EDGE_REACH]
        want, have = _to_edge(want_raw, is_before), _to_edge(have_raw, is_before)
        if want is None or have is None:
            return None
        want, have = normalise(want).strip(), normalise(have).strip()
        return want if want == have and len(want) < near else None

    def context_score(self, selector: Selector, start: int, end: int) -> float:
        """How well the text around [start, end) agrees with the selector's context (0–1),
        compared after normalising (whitespace runs, width, punctuation).

        Either side alone may vouch (a paragraph inserted right before a quote replaces its
        prefix, not its suffix), so the better side counts most."""
        want_before = normalise(selector.prefix)
        want_after = normalise(selector.suffix)
        before, after = self.around(selector, start, end)
        scores = []
        for want, have, at_end in ((want_before, before, True), (want_after, after, False)):
            if not want.strip():  # the quote was at the very start or end of the text
                scores.append(1.0 if not have.strip() else 0.5)
                continue
            have = have[-len(want) :] if at_end else have[: len(want)]
            scores.append(_similarity(want, have))
        best, worst = max(scores), min(scores)
        score = 0.7 * best + 0.3 * worst
        if len(normalise(selector.exact)) <= 8:
            # A short quote is everywhere (中国, the, .com): it needs both sides of its
            # context, the characters right next to it above all (Com|pl|ex is not
            # Sim|pl|e; Princi|ples| Part 1 is not Part 2). A paragraph inserted right
            # beside it may orphan it; attaching it to a look-alike line would be worse.
            near = want_before[-16:] == before[-16:] and want_after[:16] == after[:16]
            if near and worst >= 0.6:
                return max(score, 0.9)
            if worst < 0.95 or want_before[-8:] != before[-8:] or want_after[:8] != after[:8]:
                return min(score, 0.85)
        return score

    def trusted(self, selector: Selector, start: int, end: int, *, exact: bool) -> float | None:
        """The context score of a candidate if it is good enough to attach to, else None."""
        score = self.context_score(selector, start, end)
        if score < required_context(len(selector.exact), exact=exact):
            return None
        if self.placed_elsewhere(selector, start, end):
            return None
        return score

    def _context_places(self, selector: Selector) -> tuple[int | None, int | None]:
        """Where the quote's whole prefix ends and whole suffix starts, if each occurs once."""
        places = []
        norm = self.normalised
        for context, is_prefix in ((selector.prefix, True), (selector.suffix, False)):
            wanted = normalise(context).strip()
            found = _occurrences(norm.text, wanted) if len(wanted) >= 16 else []
            if len(found) != 1:
                places.append(None)
            elif is_prefix:
                places.append(norm.original(found[0] + len(wanted), is_end=True))
            else:
                places.append(norm.original(found[0], is_end=False))
        return places[0], places[1]

    def placed_elsewhere(self, selector: Selector, start: int, end: int) -> bool:
        """The quote's own context still stands, but neither side of it next to this
        candidate: the quote's place is known, and the candidate is a look-alike elsewhere."""
        prefix_end, suffix_start = self._context_places(selector)
        if prefix_end is None and suffix_start is None:
            return False
        body = self.text
        after_prefix = prefix_end is not None and not body[prefix_end:start].strip()
        before_suffix = suffix_start is not None and not body[end:suffix_start].strip()
        return not (after_prefix or before_suffix)

    def deleted(self, selector: Selector) -> bool:
        """The quote's own prefix and suffix now meet: the passage between them was cut."""
        prefix, suffix = normalise(selector.prefix)[-16:], normalise(selector.suffix)[:16]
        if len(prefix.strip()) < 8 or len(suffix.strip()) < 8:
            return False
        body = self.normalised.text
        return (prefix + suffix) in body or f"{prefix.rstrip()} {suffix.lstrip()}" in body


_EDGE_REACH = CONTEXT_CHARS * 8  # raw characters looked through for a paragraph's edge


def _to_edge(raw: str, is_before: bool) -> str | None:
    """The text between the quote and the nearest line break on one side (``raw`` is what
    lies on that side), or None without a line break in reach."""
    at = raw.rfind("\n") if is_before else raw.find("\n")
    if at < 0:
        return None
    return raw[at + 1 :] if is_before else raw[:at]


def required_context(length: int, *, exact: bool) -> float:
    """How much a candidate's context must agree for a quote of ``length`` characters.

    A short quote is common (中国 is everywhere), so only near-perfect context will do; a long
    quote is rare, so a weaker context (a paragraph inserted beside it) suffices. An
    approximate match always needs its context."""
    if length <= 8:
        return 0.9
    if length >= 64 and exact:
        return 0.6
    return 0.8


def _choose(candidates: list[tuple[float, int, int]], old_start: int) -> tuple[int, int] | None:
    """The best-scored candidate, if it stands out. Look-alikes that score the same (rows of
    a table, repeated lines of code) leave the place in doubt, and a doubtful place is an
    orphan: its context could not tell them apart, so neither can we."""
    if not candidates:
        return None
    best = max(candidates)
    rivals = [
        c for c in candidates if c[0] >= best[0] - 0.02 and (c[2] <= best[1] or c[1] >= best[2])
    ]
    return None if rivals else (best[1], best[2])


def _occurrences(haystack: str, needle: str) -> list[int]:
    found = []
    at = haystack.find(needle)
    while at != -1 and len(found) < MAX_OCCURRENCES:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


def anchor(text: str | Text, selector: Selector, *, edits: Edits | None = None) -> Anchor | None:
    """Where ``selector``'s passage is in ``text`` now, or None (orphaned)."""
    doc = text if isinstance(text, Text) else Text(text)
    found = _anchor(doc, selector, edits)
    if found is None or doc.text[found.start : found.end] == selector.exact:
        return found
    return _snap(doc.text, found, selector.exact)


_BLANK = frozenset(" \t\n\r\f\v\u00a0\u3000") | _INVISIBLE


def _snap(text: str, found: Anchor, exact: str) -> Anchor:
    """Normalising drops invisible characters and collapses spaces, so an inexact match
    starts and ends on visible text; a quote that began or ended with such characters gets
    them back where the text has them."""
    start, end = found.start, found.end
    leading = len(exact) - len(exact.lstrip("".join(_BLANK)))
    trailing = len(exact) - len(exact.rstrip("".join(_BLANK)))
    floor, ceiling = start - leading, end + trailing
    while start > max(0, floor) and text[start - 1] in _BLANK:
        start -= 1
    while end < min(len(text), ceiling) and text[end] in _BLANK:
        end += 1
    return Anchor(start, end, found.method)


def _anchor(doc: Text, selector: Selector, edits: Edits | None) -> Anchor | None:
    """Where ``selector``'s passage is in ``text`` now, or None (orphaned).

    ``edits`` (how the text the selector was made on became ``text``, when that is known, as
    on a re-import) settle most cases outright: the passage is followed through them.
    """
    body = doc.text
    exact = selector.exact
    if not exact:
        return None

    start, end = selector.start, selector.end
    if edits is not None and edits.usable:
        fate = edits.follow(selector, doc)
        if isinstance(fate, Anchor):
            return fate
        # Gone from where it was (or replaced, where the diff wrote a move as one big
        # replacement): a passage moved elsewhere whole is found in the text the edits
        # inserted; a copy that was there all along is another passage.
        moved = edits.moved(selector, doc)
        if moved:
            return Anchor(*moved, "moved")
        if fate == "deleted":
            return None
    # A restored file may carry any position, and a slice clamps one past the text.
    if (
        0 <= start < end <= len(body)
        and body[start:end] == exact
        and (
            _perfect_context(body, selector, start, end)
            or doc.trusted(selector, start, end, exact=True) is not None
        )
    ):
        return Anchor(start, end, "position")

    perfect, imperfect = _exact_candidates(doc, selector)
    if perfect:
        return Anchor(*perfect, "quote")
    if doc.deleted(selector):
        return None
    # Its own context around a near copy beats an exact copy elsewhere in weaker context.
    found = _between_context(doc, selector)
    if found:
        return Anchor(*found, "context")
    if imperfect:
        return Anchor(*imperfect, "quote")

    found = _normalised_candidates(doc, selector)
    if found:
        return Anchor(*found, "normalised")

    if edits is not None and edits.usable:
        # The diff saw how the text changed and could not follow this passage through it:
        # a merely similar passage elsewhere (the next line of a script) is not it.
        return None
    found = _fuzzy_candidates(doc, selector)
    if found:
        return Anchor(*found, "fuzzy")
    return None


def _perfect_context(body: str, selector: Selector, start: int, end: int) -> bool:
    prefix, suffix = selector.prefix, selector.suffix
    return (
        body[max(0, start - len(prefix)) : start] == prefix
        and body[end : end + len(suffix)] == suffix
    )


def _exact_candidates(doc: Text, selector: Selector):
    """(an occurrence with its whole context intact, the best other trusted occurrence)."""
    length = len(selector.exact)
    candidates = []
    # Nearest first: the first one with its whole context intact is the answer.
    for at in sorted(
        _occurrences(doc.text, selector.exact), key=lambda at: abs(at - selector.start)
    ):
        if _perfect_context(doc.text, selector, at, at + length):
            return (at, at + length), None
        score = doc.trusted(selector, at, at + length, exact=True)
        if score is not None:
            candidates.append((score, at, at + length))
    return None, _choose(candidates, selector.start)


def _normalised_candidates(doc: Text, selector: Selector) -> tuple[int, int] | None:
    quote = normalise(selector.exact)
    if not quote.strip():
        return None
    norm = doc.normalised
    candidates = []
    for at in _occurrences(norm.text, quote):
        start = norm.original(at, is_end=False)
        end = norm.original(at + len(quote), is_end=True)
        score = doc.trusted(selector, start, end, exact=True)
        if score is not None:
            candidates.append((score, start, end))
    return _choose(candidates, selector.start)


def _alphabet(quote: str) -> dict[str, str]:
    """Map the quote's characters onto edlib's 256-symbol alphabet. A quote with more than
    255 distinct characters shares symbols between some of them; that can only make a match
    look better, and every match is checked on the real characters afterwards."""
    symbols = {}
    for char in quote:
        if char not in symbols:
            symbols[char] = chr(1 + len(symbols) % 255)
    return symbols


def _best_places(quote: str, text: str, budget: int) -> list[tuple[int, int]]:
    """Where ``quote`` stands in ``text`` with the fewest edits, at most ``budget`` (edlib,
    infix mode): (start, end) pairs, all at that best distance."""
    symbols = _alphabet(quote)
    # Every character absent from the quote becomes one symbol (\0): edlib needs a small
    # alphabet, and for matching the quote those characters are all alike.
    others = re.compile("[^" + "".join(re.escape(c) for c in symbols) + "]")
    table = {ord(c): s for c, s in symbols.items()}
    target = others.sub("\0", text).translate(table).encode("latin-1")
    pattern = quote.translate(table).encode("latin-1")
    result = edlib.align(pattern, target, mode="HW", task="locations", k=budget)
    if result["editDistance"] < 0:
        return []
    return [(start, last + 1) for start, last in result["locations"] if start is not None]


def _fuzzy_candidates(doc: Text, selector: Selector) -> tuple[int, int] | None:
    quote = normalise(selector.exact)
    budget = error_budget(len(quote))
    if budget == 0:
        return None
    norm = doc.normalised
    candidates = []
    seen = set()
    for norm_start, norm_end in _best_places(quote, norm.text, budget)[:MAX_OCCURRENCES]:
        start = norm.original(norm_start, is_end=False)
        end = norm.original(norm_end, is_end=True)
        if (start, end) in seen:
            continue
        seen.add((start, end))
        # The real distance, on real characters (the symbols may have merged some).
        if Levenshtein.distance(quote, normalise(doc.text[start:end])) > budget:
            continue
        score = doc.trusted(selector, start, end, exact=False)
        if score is not None:
            candidates.append((score, start, end))
    return _choose(candidates, selector.start)


def _between_context(doc: Text, selector: Selector) -> tuple[int, int] | None:
    """The quote's prefix and suffix, intact, around a passage of about its length that
    differs from it by one edit: the same place, with a typo fixed inside the quote."""
    # The whole context, not a part: near-identical lines (lists, tables) share parts of it.
    prefix, suffix = normalise(selector.prefix).lstrip(), normalise(selector.suffix).rstrip()
    quote = normalise(selector.exact)
    if len(prefix.strip()) < 8 or len(suffix.strip()) < 8:
        return None
    norm = doc.normalised
    body = norm.text
    length = len(quote)
    candidates = []
    for at in _occurrences(body, prefix):
        start = at + len(prefix)
        for size in (length, length - 1, length + 1):
            if size < 1 or body[start + size : start + size + len(suffix)] != suffix:
                continue
            if Levenshtein.distance(quote, body[start : start + size]) <= 1:
                candidates.append(
                    (
                        1.0,
                        norm.original(start, is_end=False),
                        norm.original(start + size, is_end=True),
                    )
                )
    return _choose(candidates, selector.start)


def anchor_all(
    text: str, selectors: Iterable[Selector], *, previous: str | None = None
) -> list[Anchor | None]:
    """Anchor many selectors in one text, normalising it at most once. ``previous``: the
    text they were made on, when known (a re-import knows the text it replaces)."""
    doc = Text(text)
    edits = Edits(previous, doc) if previous is not None and previous != text else None
    return [anchor(doc, selector, edits=edits) for selector in selectors]


DIFF_SECONDS = 0.05  # beyond this the diff is coarse: then the selectors alone decide
MOVED_SHARE = 0.8  # of a moved passage's characters, at least this many the diff inserted


class Edits:
    """How the previous text became the current one: a character diff (Myers, via
    fast-diff-match-patch) of the two texts normalised, so that whitespace, width and
    punctuation changes do not count as edits. Semantic clean-up slides each edit to a
    word or paragraph boundary where it can: a paragraph inserted before a quote that starts
    with the same character (这…) is the paragraph, not the paragraph shifted by one.
    Positional, so a passage deleted from its place is known to be gone even when a
    look-alike stands elsewhere."""

    def __init__(self, previous: str, doc: Text):
        self.before = Normalised(previous)
        self.previous = previous
        started = time.perf_counter()
        ops = fast_diff_match_patch.diff(
            self.before.text, doc.normalised.text, timelimit=DIFF_SECONDS, cleanup="Semantic"
        )
        # A diff cut short by its time limit replaces whole stretches: not to be trusted.
        self.usable = time.perf_counter() - started < DIFF_SECONDS * 0.9
        # Per operation: (old start, old end, op, new start, new end), normalised positions.
        self.blocks: list[tuple[int, int, str, int, int]] = []
        old = new = 0
        for op, length in ops:
            old_end = old + (length if op != "+" else 0)
            new_end = new + (length if op != "-" else 0)
            self.blocks.append((old, old_end, op, new, new_end))
            old, new = old_end, new_end
        self._old_starts = [block[0] for block in self.blocks]

    def _new_position(self, old: int, *, is_end: bool) -> int:
        """Where normalised old position ``old`` went in the normalised new text."""
        at = bisect_right(self._old_starts, old if not is_end else max(0, old - 1)) - 1
        for index in range(max(0, at), len(self.blocks)):
            old_start, old_end, op, new_start, new_end = self.blocks[index]
            if op == "+" or not old_start <= old <= old_end:
                continue
            if op == "=":
                return new_start + (old - old_start)
            following = self.blocks[index + 1] if index + 1 < len(self.blocks) else None
            replaced = following is not None and following[2] == "+"
            if is_end:
                # An end in deleted text: past what replaced it (a typo fixed at the end).
                return following[4] if replaced else new_end
            if replaced:
                # A start in replaced text: as far from the end of what replaced it as it was
                # from the end of what was deleted. A character diff puts a paragraph inserted
                # just before a quote and a typo fixed at its start in one replacement.
                return max(following[3], following[4] - (old_end - old))
            return new_start
        return self.blocks[-1][4] if self.blocks else 0

    def follow(self, selector: Selector, doc: Text):
        """The selector's passage through the edits: an Anchor, "deleted", or None (the
        edits cannot tell; the selectors decide)."""
        if selector.end > len(self.previous):
            return None
        start = self.before.normalised(selector.start)
        end = self.before.normalised(selector.end)
        if end <= start:
            return None
        kept = deleted = 0
        for old_start, old_end, op, _, _ in self.blocks:
            overlap = min(end, old_end) - max(start, old_start)
            if op == "+" or overlap <= 0:
                continue
            if op == "=":
                kept += overlap
            else:
                deleted += overlap
        if deleted * 2 > end - start and not self._replaced(start, end):
            return "deleted"
        norm_start = self._new_position(start, is_end=False)
        norm_end = self._new_position(end, is_end=True)
        norm_start, norm_end = self._trim(selector, doc, norm_start, norm_end)
        inserted = sum(
            min(norm_end, new_end) - max(norm_start, new_start)
            for _, _, op, new_start, new_end in self.blocks
            if op == "+" and min(norm_end, new_end) > max(norm_start, new_start)
        )
        if deleted > inserted and end - start <= 8:
            # A short quote lost characters: a cut, not a typo fixed (a fix replaces).
            return "deleted"
        new_start = doc.normalised.original(norm_start, is_end=False)
        new_end = doc.normalised.original(norm_end, is_end=True)
        if new_end <= new_start:
            return "deleted" if deleted else None
        found = doc.text[new_start:new_end]
        quote = normalise(selector.exact)
        if (
            len(quote) <= 8
            and doc.trusted(selector, new_start, new_end, exact=True) is None
            and not self._beside_an_edit(selector, doc, new_start, new_end)
        ):
            # A short quote among look-alikes (rows of a table, repeated code): the diff
            # may have kept another copy of it; only its context can tell.
            return None
        if found == selector.exact:
            if (
                len(quote) > 8
                and not _perfect_context(doc.text, selector, new_start, new_end)
                and doc.text.count(selector.exact) > 1  # a scan of the post: checked last
                and not doc.near_intact(
                    selector, new_start, new_end, near=16, edge_ok=True, evidence=True
                )
            ):
                # One of several copies (a heading over each of three polls): where the
                # diff deleted one of them, it may have chosen the wrong one to keep.
                return None
            return Anchor(new_start, new_end, "diff")
        distance = Levenshtein.distance(quote, normalise(found))
        # Edited inside (a typo fixed): the characters around it must not have changed, or
        # the diff may have paired it with a neighbouring look-alike line.
        if (
            distance <= max(1, error_budget(len(quote)))
            and distance < len(quote)
            # A whole short line edited (投票统计： 137 → 117) may be a look-alike line the
            # diff paired it with: its neighbours must say more than blank edges. A long
            # passage within its error budget is its own evidence.
            and doc.near_intact(
                selector, new_start, new_end, edge_ok=True, evidence=len(quote) < CONTEXT_CHARS
            )
        ):
            return Anchor(new_start, new_end, "diff")
        return None

    @staticmethod
    def _beside_an_edit(selector: Selector, doc: Text, start: int, end: int) -> bool:
        """The whole context agrees, on each side as far as the quote's paragraph goes where
        its edge comes first: only what lies past an edge changed (a paragraph inserted
        beside it). A look-alike line (ExitNodes {us} StrictNodes 1 for EntryNodes…) differs
        before its edge."""
        return doc.near_intact(
            selector, start, end, near=CONTEXT_CHARS, edge_ok=True, evidence=True
        ) and not doc.placed_elsewhere(selector, start, end)

    def _trim(self, selector: Selector, doc: Text, start: int, end: int) -> tuple[int, int]:
        """The quote's place within [start, end) of the new normalised text, where that
        stretch holds more than the quote and its edits: a character diff may pair the
        quote's first character with the same character opening a paragraph inserted just
        before it (这…), and put the whole paragraph inside the quote's place."""
        quote = normalise(selector.exact)
        budget = max(1, error_budget(len(quote)))
        span = doc.normalised.text[start:end]
        if len(span) <= len(quote) + budget:
            return start, end
        places = _best_places(quote, span, budget)
        if not places:
            return start, end
        # The end follows the diff best (past what replaced it): the last place is nearest.
        place_start, place_end = places[-1]
        return start + place_start, start + place_end

    def moved(self, selector: Selector, doc: Text) -> tuple[int, int] | None:
        """The quote in text the edits inserted: its paragraph moved. Its far context moved
        away with it, so the characters right next to it must agree (all of them, for a
        short quote), and look-alikes must not tie."""
        norm = doc.normalised
        inserted = [(b[3], b[4]) for b in self.blocks if b[2] == "+"]
        near = 8 if len(normalise(selector.exact)) <= 8 else 4
        candidates = []
        for at in _occurrences(doc.text, selector.exact):
            end = at + len(selector.exact)
            start_n, end_n = norm.normalised(at), norm.normalised(end)
            # Inserted, if not in one piece: a character diff of CJK text matches stray
            # characters of a moved paragraph with what it passed over.
            new = sum(max(0, min(end_n, b) - max(start_n, a)) for a, b in inserted)
            if new < MOVED_SHARE * (end_n - start_n):
                continue
            if not doc.near_intact(selector, at, end, near=near, blank_ok=True, edge_ok=True):
                continue
            candidates.append((doc.context_score(selector, at, end), at, end))
        return _choose(candidates, selector.start)

    def _replaced(self, start: int, end: int) -> bool:
        """Whether something was inserted in place of [start, end) (a rewrite, not a cut)."""
        for before, block in zip(self.blocks, self.blocks[1:], strict=False):
            if block[2] == "+" and before[2] == "-" and before[0] < end and before[1] > start:
                return True
        return False
