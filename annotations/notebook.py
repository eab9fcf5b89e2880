"""The notebook: a user's own annotations across the archive, filtered and grouped by post."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Max

from accounts.forms import BilingualForm
from annotations.models import Annotation, Colour, Kind, State, with_tag_names
from archive.models import Post, Source
from config.ids import MAX_ID

# Days a filter can name: an archive's dates fall well inside, and every day in it converts
# to and from UTC (0001-01-01 in Shanghai would be in year 0).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
NO_POST = 0  # ids start at 1


def _within_range(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(
            f"要在 {FIRST_DAY.year} 到 {LAST_DAY.year} 年之间。"
            f"Must be between {FIRST_DAY.year} and {LAST_DAY.year}.",
            code="day_range",
        )


def _day(label: str) -> forms.DateField:
    return forms.DateField(
        required=False,
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[_within_range],
    )


class NotebookFilters(BilingualForm, forms.Form):
    """Every filter is optional; a bad value is reported by field and otherwise ignored."""

    q = forms.CharField(required=False, max_length=200, label="搜索 Search")
    kind = forms.ChoiceField(
        required=False, choices=[("", "全部 All"), *Kind.choices], label="类型 Kind"
    )
    colour = forms.ChoiceField(
        required=False, choices=[("", "全部 All"), *Colour.choices], label="颜色 Colour"
    )
    tag = forms.CharField(required=False, max_length=50, label="标签 Tag")
    state = forms.ChoiceField(
        required=False, choices=[("", "全部 All"), *State.choices], label="定位 Placed"
    )
    source = forms.ChoiceField(required=False, label="来源 Source")
    since = _day("批注日期从 Annotated from")
    until = _day("到 to")
    published_since = _day("文章日期从 Published from")
    published_until = _day("到 to")
    post = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )

    def __init__(self, data, *, user):
        super().__init__(data)
        sources = (
            Source.objects.filter(
                posts__annotations__user=user, posts__annotations__deleted_at=None
            )
            .distinct()
            .values_list("slug", "name")
        )
        self.fields["source"].choices = [("", "全部 All"), *sources]

    def clean(self):
        cleaned = super().clean()
        for first, last in (("since", "until"), ("published_since", "published_until")):
            since, until = cleaned.get(first), cleaned.get(last)
            if since and until and since > until:
                self.add_error(last, "不能早于开始日期。Must not be before the first day.")
        return cleaned

    def value(self, name):
        """The cleaned value, or nothing when the field was invalid."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) or None

    def filters(self) -> dict:
        """The valid filters, as ``AnnotationQuerySet.filtered`` takes them: every field by
        its name, but the search box, which is its ``text``. A ``post`` that can name no
        post (a link, not a field anyone types in) matches nothing rather than everything:
        an export of one post must never hold them all."""
        filters = {name: self.value(name) for name in self.fields if name != "q"}
        if self.data.get("post") and filters["post"] is None:
            filters["post"] = NO_POST
        return {**filters, "text": self.value("q")}


def my_annotations(user, filters: NotebookFilters):
    return Annotation.objects.owned_by(user).alive().filtered(**filters.filters())


@dataclass
class PostEntry:
    post: Post
    annotations: list[Annotation]
    last_change: datetime

    @property
    def has_translations(self) -> bool:
        return any(a.kind == Kind.TRANSLATION for a in self.annotations)


def posts_newest_first(annotations):
    """Post ids with the time of their newest annotation, newest first (for paging)."""
    return (
        annotations.order_by()
        .values("post_id")
        .annotate(last_change=Max("modified_at"))
        .order_by("-last_change", "-post_id")
    )


def entries_for(annotations, page_rows) -> list[PostEntry]:
    """The posts of one page with their (filtered) annotations in reading order."""
    rows = list(page_rows)
    ids = [row["post_id"] for row in rows]
    found = with_tag_names(
        annotations.filter(post_id__in=ids)
        .select_related("post", "post__source")
        .defer(
            "post__raw_body",
            "post__raw_front_matter",
            "post__body_html",
            "post__text",
            "search_text",
        )
        .order_by("start", "end", "id")
    )
    by_post: dict[int, list[Annotation]] = {pk: [] for pk in ids}
    posts: dict[int, Post] = {}
    for annotation in found:
        by_post[annotation.post_id].append(annotation)
        posts[annotation.post_id] = annotation.post
    return [
        PostEntry(posts[row["post_id"]], by_post[row["post_id"]], row["last_change"])
        for row in rows
        if row["post_id"] in posts
    ]
