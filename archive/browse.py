"""The list's filters and their counts (facets), as plain queries over a Post queryset."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone
from taggit.models import Tag

from archive.lru import LRU
from archive.models import Post, Source, TaggedPost
from library.models import Shelf

TOP_TAGS = 40


@dataclass(frozen=True)
class Filters:
    source: str = ""
    tag: str = ""
    year: int | None = None
    month: int | None = None
    # One of the reader's shelves (library.models.Shelf); applied by library.shelves.narrow,
    # since it needs the user, and never set for an anonymous visitor.
    state: str = ""

    @classmethod
    def from_query(cls, params, *, signed_in: bool = False) -> Filters:
        """Unknown or malformed values are ignored, never an error page."""
        year = _int(params.get("year"), 1900, 2100)
        month = _int(params.get("month"), 1, 12) if year else None
        state = params.get("state") or ""
        return cls(
            source=(params.get("source") or "")[:120],
            tag=(params.get("tag") or "")[:120],
            year=year,
            month=month,
            state=state if signed_in and state in Shelf.values else "",
        )

    def apply(self, posts, *, skip: str = ""):
        return posts.filtered(
            source=None if skip == "source" else self.source,
            tag=None if skip == "tag" else self.tag,
            year=None if skip == "date" else self.year,
            month=None if skip == "date" else self.month,
        )

    def __bool__(self) -> bool:
        return bool(self.source or self.tag or self.year or self.state)

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters, the ones set."""
        params = {"source": self.source, "tag": self.tag, "year": self.year, "month": self.month,
                  "state": self.state}  # fmt: skip
        return {name: str(value) for name, value in params.items() if value}

    def chosen(self, params) -> list[tuple[str, str]]:
        """(what the reader sees, the query string without it) for each filter set: names,
        not slugs, and each removable on its own. ``params``: the request's query."""
        found = []
        if self.state:
            found.append((Shelf(self.state).label, ("state",)))
        if self.source:
            names = Source.objects.filter(slug=self.source).values_list("name", flat=True)
            found.append((next(iter(names), self.source), ("source",)))
        if self.tag:
            names = Tag.objects.filter(slug=self.tag).values_list("name", flat=True)
            found.append(("#" + next(iter(names), self.tag), ("tag",)))
        if self.year:
            month = f"-{self.month:02d}" if self.month else ""
            found.append((f"{self.year}{month}", ("year", "month")))
        chosen = []
        for label, names in found:
            rest = params.copy()
            for name in (*names, "page"):
                rest.pop(name, None)
            chosen.append((label, rest.urlencode()))
        return chosen


def _int(value, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


@dataclass(frozen=True)
class Facets:
    sources: list  # Source objects with .count
    tags: list  # Tag objects with .count
    dates: list  # (first day of the year, or of the month when a year is chosen; count)
    by_month: bool


_archive_facets = LRU(200, weigh=lambda key, found: 1)  # a few counts each


def archive_facets(filters: Filters, stamp: str) -> Facets:
    """``facets(filters)`` for the whole archive, kept until the archive changes."""
    key = (filters, stamp)
    found = _archive_facets.get(key)
    if found is None:
        found = facets(filters)
        _archive_facets.put(key, found)
    return found


def facets(filters: Filters, matching=None, within=None) -> Facets:
    """Counts for each filter value given the *other* active filters.
    ``matching`` narrows everything to a set of post ids, such as search results; ``within``
    is the posts to count instead of all of them (a reader's shelf: library.shelves).

    Written for large archives: grouping happens on indexed columns only (post rows hold
    megabytes of text, and a scan through them took 10 s at 100,000 posts)."""
    base = Post.objects.all() if within is None else within
    if matching is not None:
        # "id + 0": SQLite would otherwise fetch each matching row by its id, reading the
        # post's megabytes of text, instead of scanning a small index with the ids in a set.
        base = base.alias(id_plus_0=F("id") + 0).filter(id_plus_0__in=matching)
    return Facets(
        sources=_source_counts(filters.apply(base, skip="source")),
        tags=_tag_counts(
            filters.apply(base, skip="tag"),
            narrowed=matching is not None
            or within is not None
            or bool(filters.source or filters.year),
        ),
        dates=_date_counts(filters.apply(base, skip="date"), filters.year),
        by_month=bool(filters.year),
    )


def facets_without(found: Facets, filters: Filters, removed) -> Facets:
    """``found`` less the posts ``removed``: the counts of what is left, worked out from the
    few removed posts instead of the many left (a reader's unread posts are the archive but
    the few they read or put away). ``found`` is left as it was: it may be shared."""
    gone = dict(
        filters.apply(removed, skip="source")
        .order_by()
        .values_list("source_id")
        .annotate(count=Count("id"))
        .values_list("source_id", "count")
    )
    # Every tag of the removed posts, not only those shown: asked for 40 tags, SQLite reads
    # each tag's posts (all 100,000 of them) instead of the few removed posts' tags.
    gone_tags = dict(
        TaggedPost.objects.filter(
            content_object__in=filters.apply(removed, skip="tag").values("id")
        )
        .values_list("tag_id")
        .annotate(count=Count("id"))
        .values_list("tag_id", "count")
    )
    gone_dates = dict(_date_counts(filters.apply(removed, skip="date"), filters.year))
    return Facets(
        sources=sorted(_less(found.sources, gone), key=lambda source: (-source.count, source.name)),
        tags=sorted(_less(found.tags, gone_tags), key=lambda tag: (-tag.count, tag.name)),
        dates=[
            (start, count - gone_dates.get(start, 0))
            for start, count in found.dates
            if count > gone_dates.get(start, 0)
        ],
        by_month=found.by_month,
    )


def _less(counted: list, gone: dict[int, int]) -> list:
    """Copies of the counted ``Source`` or ``Tag`` objects less ``gone[id]``, those left."""
    left = []
    for item in counted:
        if item.count > gone.get(item.id, 0):
            item = copy.copy(item)
            item.count -= gone.get(item.id, 0)
            left.append(item)
    return left


def _source_counts(posts) -> list:
    counts = dict(
        posts.order_by()
        .values_list("source_id")
        .annotate(count=Count("id"))
        .values_list("source_id", "count")
    )
    sources = list(Source.objects.filter(id__in=counts))
    for source in sources:
        source.count = counts[source.id]
    return sorted(sources, key=lambda source: (-source.count, source.name))


def _tag_counts(posts, *, narrowed: bool) -> list:
    tagged = TaggedPost.objects.all()
    if narrowed:
        tagged = tagged.filter(content_object__in=posts.values("id"))
    # A tag that only repeats a source's name (the generator tags each post with its
    # category) is the source filter again.
    tagged = tagged.exclude(tag__name__in=Source.objects.values("name"))
    rows = (
        tagged.values("tag_id", "tag__name", "tag__slug")
        .annotate(count=Count("id"))
        .order_by("-count", "tag__name")[:TOP_TAGS]
    )
    tags = []
    for row in rows:
        tag = Tag(id=row["tag_id"], name=row["tag__name"], slug=row["tag__slug"])
        tag.count = row["count"]
        tags.append(tag)
    return tags


def _date_counts(posts, year: int | None) -> list[tuple[datetime, int]]:
    """Posts per local year, or per month of ``year``: range counts on the indexed date,
    where a truncation function would run once per post."""
    zone = timezone.get_current_timezone()
    if year:
        starts = [datetime(year, month, 1, tzinfo=zone) for month in range(1, 13)]
        end = datetime(year + 1, 1, 1, tzinfo=zone)
    else:
        bounds = posts.aggregate(first=Min("published_at"), last=Max("published_at"))
        if bounds["first"] is None:
            return []
        first, last = (bounds[k].astimezone(zone).year for k in ("first", "last"))
        starts = [datetime(y, 1, 1, tzinfo=zone) for y in range(first, last + 1)]
        end = datetime(last + 1, 1, 1, tzinfo=zone)
    ranges = list(zip(starts, [*starts[1:], end], strict=True))
    counts = posts.aggregate(
        **{
            f"n{i}": Count("id", filter=Q(published_at__gte=low, published_at__lt=high))
            for i, (low, high) in enumerate(ranges)
        }
    )
    newest_first = reversed(list(enumerate(starts)))
    return [(start, counts[f"n{i}"]) for i, start in newest_first if counts[f"n{i}"]]
