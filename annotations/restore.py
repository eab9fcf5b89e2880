"""Notes back into Pizhu from a file: Pizhu's own W3C JSON-LD (as ``export_notes --format
jsonld`` and the notebook write it), the Hypothesis client's export, or Readwise's CSV export,
told apart by their contents (``import_file``; ``import_notes`` and the account page's upload
call it). Each annotation is restored through ``annotations.services.restore``, which places
it in its post's current text (a page note is about the whole article: nothing to find). A
post's own tags (JSON-LD: a tagging annotation of the whole article; Readwise: Document
tags) are added to the user's own tags of that post: a union, so importing twice adds
nothing.

A file is read and checked whole before anything is written (its encoding, shape, size and
number of items: ``incoming.Refused``); then each item is written in a transaction of its
own, so a bad item never stops the others and nothing is half-written. One long transaction
for the file would hold SQLite's write lock for the whole import; an import stopped half way
is simply run again (what is there already is recognised).

The report says what became of every item: restored in place, re-anchored, orphaned, own
tags added, already there, post missing (with why), invalid (with the fields at fault), or
skipped (replies, other people's annotations).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError

from annotations import anchoring, hypothesis, jsonld, own_tags, readwise, services
from annotations.incoming import Incoming, Limits, Refused, decode, fold_title
from annotations.values import Changes, Invalid
from archive.models import Post

JSONLD, HYPOTHESIS, READWISE = "Pizhu JSON-LD", "Hypothesis export", "Readwise CSV"


class Stopped(Exception):
    """The database failed part way: the items before ``report`` says were imported."""

    def __init__(self, message: str, report: RestoreReport):
        super().__init__(message)
        self.report = report


@dataclass
class RestoreReport:
    format: str = JSONLD
    restored: int = 0  # found where they were (or, given no position, found)
    reanchored: int = 0  # the post's text changed: found elsewhere in it
    orphaned: list[dict] = field(default_factory=list)  # kept, but their text is gone
    missing_posts: list[dict] = field(default_factory=list)  # not imported: no such post
    duplicates: int = 0  # already there (own tags: every one of them)
    invalid: list[dict] = field(default_factory=list)
    own_tags: int = 0  # posts that were given own tags they did not have
    skipped: list[dict] = field(default_factory=list)  # left out on purpose, with why

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "restored": self.restored,
            "reanchored": self.reanchored,
            "orphaned": self.orphaned,
            "own_tags": self.own_tags,
            "missing_posts": self.missing_posts,
            "duplicates": self.duplicates,
            "invalid": self.invalid,
            "skipped": self.skipped,
        }

    def summary(self) -> str:
        return (
            f"restored {self.restored}, re-anchored {self.reanchored}, "
            f"orphaned {len(self.orphaned)}, own tags of {self.own_tags} posts, "
            f"already there {self.duplicates}, "
            f"post missing {len(self.missing_posts)}, invalid {len(self.invalid)}, "
            f"skipped {len(self.skipped)} ({self.format})"
        )


def place_of(entry: dict) -> str:
    """Where a report entry was in its file, for a person: "row 5" (CSV, as a spreadsheet
    numbers it) or "item 3 (x3)" (JSON: the third, and its id when it has one; the
    report's ``item`` is its index, from 0)."""
    if "row" in entry:
        return f"row {entry['row']}"
    named = f" ({entry['id']})" if entry.get("id") else ""
    return f"item {entry['item'] + 1}{named}"


# --- a file of any of the formats ---------------------------------------------------------------


def max_bytes() -> int:
    return settings.PIZHU_MAX_IMPORT_BYTES


def too_large(size: int | None = None) -> str:
    """Why a file of ``size`` bytes (None: some size over the limit) is refused, from its
    size, before it is read."""
    what = f"is {size:,} bytes, more than" if size is not None else "is larger than"
    return (
        f"{what} the {max_bytes():,} an import reads (PIZHU_MAX_IMPORT_BYTES): "
        "split it into smaller files"
    )


def read_file(path: Path) -> bytes:
    """A file's bytes, refused from its size before any is read; only a regular file (a
    FIFO would wait forever, a device never end)."""
    try:
        if not path.is_file():
            raise Refused("is not a regular file")
        if (size := path.stat().st_size) > max_bytes():
            raise Refused(too_large(size))
        with path.open("rb") as file:
            raw = file.read(max_bytes() + 1)  # it may have grown since
    except OSError as error:
        raise Refused(error.strerror or str(error)) from None
    if len(raw) > max_bytes():
        raise Refused(too_large(len(raw)))
    return raw


def import_file(user, raw: bytes) -> RestoreReport:
    """Import ``raw`` (a whole file) for ``user``, its format told from its contents: JSON
    whose ``annotations`` are Hypothesis's, JSON-LD, or CSV with Readwise's header.
    ``Refused`` (nothing written) when the file cannot be read as any of them; ``Stopped``
    when the database failed part way."""
    if len(raw) > max_bytes():
        raise Refused(too_large(len(raw)))
    text = decode(raw)
    if not text.strip():
        raise Refused("is empty")
    limits = Limits.from_settings()
    if text.lstrip()[0] in "{[":
        try:
            data = jsonld.loads(text)
        except Invalid as invalid:
            raise Refused(invalid.errors[0]["message"]) from None
        if hypothesis.looks_like(data):
            report = RestoreReport(format=HYPOTHESIS)
            restore_items(user, hypothesis.parse(data, limits), report)
            return report
        try:
            return restore_jsonld(user, data)
        except ValueError as error:
            raise Refused(f"is neither a Hypothesis export nor Pizhu's JSON-LD: {error}") from None
    if not readwise.looks_like(readwise.header_of(text)):
        raise Refused(
            "is neither JSON (a Hypothesis export, Pizhu's JSON-LD) nor a Readwise CSV "
            f"(a header with {readwise.HIGHLIGHT} and {readwise.TITLE})"
        )
    report = RestoreReport(format=READWISE)
    restore_items(user, readwise.parse(text, limits), report)
    return report


def restore_items(user, items: list[Incoming], report: RestoreReport) -> None:
    """Restore what the parsers made of a Hypothesis or Readwise file, item by item."""
    posts = _Posts()
    tags_of_posts: dict[int, tuple[dict, list[str]]] = {}  # post id → first row, own tags
    for item in items:
        context = {"title": item.title} if item.title else {}
        if item.skipped:
            report.skipped.append({**item.where, **context, "reason": item.skipped})
            continue
        if item.errors:
            report.invalid.append({**item.where, **context, "errors": item.errors})
            continue
        target = item.changes.target
        post, reason = posts.find(target.source, item.title, item.author, target.exact)
        passage = {**item.where, **context, "source": target.source, "exact": target.exact[:80]}
        if target.is_page:
            passage["page_note"] = (item.changes.body or "")[:80]
        if post is None:
            report.missing_posts.append({**passage, "reason": reason})
            continue
        changes = replace(item.changes, target=replace(target, source=post.url))
        _count(report, _restore(user, changes, post, item.where, report), passage)
        if item.own_tags:
            where, names = tags_of_posts.setdefault(post.pk, (item.where, []))
            names += [name for name in item.own_tags if name not in names]
    for post_id, (where, names) in tags_of_posts.items():
        try:
            if own_tags.add(user, post_id, names):
                report.own_tags += 1
        except Invalid as invalid:  # more tags than a post may have, with those it has
            report.invalid.append({**where, "errors": invalid.errors})


def _restore(user, changes: Changes, post: Post, where: dict, report: RestoreReport) -> str:
    """``services.restore`` for one item (a transaction of its own). Returns the outcome;
    ``Invalid`` is reported by the caller."""
    given = changes.target
    try:
        if given.is_page:
            outcome, _ = services.restore(user, changes)
        else:
            found = _find(post.text, given)
            if found is not None and found.method in UNIQUE:
                found = replace(found, method="position")  # recorded as where it stands
            outcome, _ = services.restore(user, changes, found=found)
    except DatabaseError as error:
        raise Stopped(
            f"{place_of(where)}: the database failed ({error}); the items before it were "
            "imported: run the import again for the rest",
            report,
        ) from error
    if (
        not given.is_page
        and found is not None
        and outcome
        in (
            services.RESTORED,
            services.REANCHORED,
        )
    ):
        # Measured against the position the file gave (none: found is all it can be).
        moved = given.start is not None and (given.start, given.end) != (found.start, found.end)
        outcome = services.REANCHORED if moved else services.RESTORED
    return outcome


UNIQUE = ("unique quote", "unique normalised")  # how _find places what the ladder did not


def _find(text: str, target) -> anchoring.Anchor | None:
    """Where a passage of a file is in the post's text: the anchoring ladder, else the one
    place its quote stands, as written or normalised (whitespace, width, punctuation).

    Other tools record context from their own rendering of the page (Hypothesis: the
    original site, its chrome and whitespace; Readwise: none at all), which the ladder,
    made to tell look-alikes apart in Pizhu's own text, may not accept; a quote that stands
    in one place only needs no context to tell where it is."""
    found = anchoring.anchor(text, target.selector)
    if found is not None:
        return found
    if (at := _only_place(text, target.exact)) is not None:
        return anchoring.Anchor(at, at + len(target.exact), UNIQUE[0])
    if target.exact in text:
        return None  # in several places: only context could choose, and it did not
    normalised, quote = anchoring.Normalised(text), anchoring.normalise(target.exact).strip()
    if len(quote) < 2 or (at := _only_place(normalised.text, quote)) is None:
        return None
    start, end = (
        normalised.original(at, is_end=False),
        normalised.original(at + len(quote), is_end=True),
    )
    return anchoring.Anchor(start, end, UNIQUE[1])


def _only_place(haystack: str, needle: str) -> int | None:
    """Where ``needle`` stands in ``haystack`` when it stands there once, else None."""
    at = haystack.find(needle)
    return at if at >= 0 and haystack.find(needle, at + 1) < 0 else None


def _count(report: RestoreReport, outcome: str, passage: dict) -> None:
    if outcome == services.POST_MISSING:
        report.missing_posts.append(passage)
    elif outcome == services.DUPLICATE:
        report.duplicates += 1
    elif outcome == services.ORPHANED:
        report.orphaned.append(passage)
    elif outcome == services.REANCHORED:
        report.reanchored += 1
    else:
        report.restored += 1


class _Posts:
    """Posts as a file names them, each looked up once per import: by URL (normalised:
    ``archive.urlkey``), else by title (Readwise), exact and then folded (width, case,
    whitespace); several with one title are told apart by author, then by holding the
    quote, or reported as ambiguous."""

    def __init__(self):
        self._by_source: dict[str, Post | None] = {}
        self._by_title: dict[str, list[Post]] = {}
        self._folded_titles: dict[str, list[int]] | None = None

    def find(self, source: str, title: str, author: str, quote: str) -> tuple[Post | None, str]:
        if source:
            if source not in self._by_source:
                if len(self._by_source) > 200:  # texts are large: keep the recent ones
                    self._by_source.clear()
                self._by_source[source] = Post.objects.only("id", "url", "text").find(source)
            post = self._by_source[source]
            return post, "" if post else "no post with this URL in the archive"
        if not title:
            return None, "no URL and no title to find the post by"
        candidates = self._titled(title)
        if not candidates:
            return None, "no post with this title in the archive"
        if len(candidates) > 1 and author:
            by_author = [p for p in candidates if fold_title(p.author) == fold_title(author)]
            candidates = by_author or candidates
        if len(candidates) > 1 and quote:
            holding = [p for p in candidates if quote in p.text]
            candidates = holding or candidates
        if len(candidates) > 1:
            ids = ", ".join(str(p.pk) for p in candidates[:5])
            return None, f"{len(candidates)} posts have this title (ids {ids}): add a URL column"
        return candidates[0], ""

    def _titled(self, title: str) -> list[Post]:
        if title not in self._by_title:
            fields = ("id", "url", "text", "author")
            found = list(Post.objects.only(*fields).filter(title=title).order_by("id")[:20])
            if not found:
                ids = self._folded().get(fold_title(title), [])[:20]
                found = list(Post.objects.only(*fields).filter(pk__in=ids).order_by("id"))
            self._by_title[title] = found
        return self._by_title[title]

    def _folded(self) -> dict[str, list[int]]:
        """Every post's folded title (made once an import needs it: one pass over titles)."""
        if self._folded_titles is None:
            self._folded_titles = {}
            for pk, title in Post.objects.values_list("id", "title").iterator(chunk_size=5000):
                self._folded_titles.setdefault(fold_title(title), []).append(pk)
        return self._folded_titles


# --- Pizhu's own JSON-LD ------------------------------------------------------------------------


def restore_jsonld(user, data) -> RestoreReport:
    """Restore the annotations of a JSON-LD document for ``user``. Raises ValueError when
    ``data`` holds no annotations at all (not a collection, page, list or annotation), or
    more than ``PIZHU_MAX_RESTORE_ITEMS``."""
    report = RestoreReport()
    for index, item in enumerate(jsonld.items_of(data, limit=settings.PIZHU_MAX_RESTORE_ITEMS)):
        where = {"item": index, "id": item.get("id") if isinstance(item, dict) else None}
        if own_tags.is_own_tags(item):
            _restore_own_tags(user, item, where, report)
            continue
        try:
            changes = jsonld.parse(item, partial=False)
            post = Post.objects.only("id", "url", "text").find(changes.target.source)
            if post is None:
                outcome = services.POST_MISSING
            else:
                outcome = _restore(user, changes, post, where, report)
        except Invalid as invalid:  # the file's shape, or what it means here (services)
            report.invalid.append({**where, "errors": invalid.errors})
            continue
        passage = {**where, "source": changes.target.source, "exact": changes.target.exact[:80]}
        if changes.target.is_page:
            passage["page_note"] = (changes.body or "")[:80]
        _count(report, outcome, passage)
    return report


def _restore_own_tags(user, item: dict, where: dict, report: RestoreReport) -> None:
    try:
        found = own_tags.parse_jsonld(item)
    except Invalid as invalid:
        report.invalid.append({**where, "errors": invalid.errors})
        return
    post = Post.objects.only("id").find(found.source)
    if post is None:
        report.missing_posts.append(
            {**where, "source": found.source, "exact": "", "own_tags": list(found.tags)}
        )
        return
    try:
        added = own_tags.add(user, post.pk, found.tags)
    except Invalid as invalid:  # more tags than a post may have, with those it has
        errors = [{"field": "body.tagging", "message": e["message"]} for e in invalid.errors]
        report.invalid.append({**where, "errors": Invalid(errors).errors})
        return
    if added:
        report.own_tags += 1
    else:
        report.duplicates += 1
