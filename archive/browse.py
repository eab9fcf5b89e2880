"""The list's filters and their counts (facets), as plain queries over a Post queryset."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import TruncMonth, TruncYear
from taggit.models import Tag

from archive.models import Post, Source

TOP_TAGS = 40


@dataclass(frozen=True)
class Filters:
    source: str = ""
    tag: str = ""
    year: int | None = None
    month: int | None = None

    @classmethod
    def from_query(cls, params) -> Filters:
        """Unknown or malformed values are ignored, never an error page."""
        year = _int(params.get("year"), 1900, 2100)
        month = _int(params.get("month"), 1, 12) if year else None
        return cls(
            source=(params.get("source") or "")[:120],
            tag=(params.get("tag") or "")[:120],
            year=year,
            month=month,
        )

    def apply(self, posts, *, skip: str = ""):
        return posts.filtered(
            source=None if skip == "source" else self.source,
            tag=None if skip == "tag" else self.tag,
            year=None if skip == "date" else self.year,
            month=None if skip == "date" else self.month,
        )

    def __bool__(self) -> bool:
        return bool(self.source or self.tag or self.year)


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


def facets(filters: Filters, matching=None) -> Facets:
    """Counts for each filter value given the *other* active filters (three queries).
    ``matching`` narrows everything to a set of post ids, such as search results."""
    base = Post.objects.all()
    if matching is not None:
        base = base.filter(id__in=matching)
    source_posts = filters.apply(base, skip="source")
    sources = list(
        Source.objects.filter(posts__in=source_posts.values("id"))
        .annotate(count=Count("posts"))
        .order_by("-count", "name")
    )
    tag_posts = filters.apply(base, skip="tag")
    tags = list(
        Tag.objects.filter(archive_taggedpost_items__content_object__in=tag_posts.values("id"))
        .annotate(count=Count("archive_taggedpost_items"))
        .order_by("-count", "name")[:TOP_TAGS]
    )
    # Years first; the months of a year once it is chosen (a long archive has hundreds).
    dated = filters.apply(base, skip="date").exclude(published_at=None)
    if filters.year:
        dated = dated.filter(published_at__year=filters.year)
    period = TruncMonth("published_at") if filters.year else TruncYear("published_at")
    dates = [
        (row["period"], row["count"])
        for row in dated.annotate(period=period)
        .order_by("-period")
        .values("period")
        .annotate(count=Count("id"))
    ]
    return Facets(sources, tags, dates, by_month=bool(filters.year))
