"""The notebook: a user's own annotations across the archive, filtered and grouped by post,
with the user's own tags of each post. A post with own tags and no notes is listed too (its
heading and tags), unless a filter on notes is set: then only posts with matching notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Max, Q
from django.utils import timezone

from accounts.forms import BilingualForm
from annotations import own_tags
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
    mytag = forms.CharField(required=False, max_length=50, label="我的标签 My tag")
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

    # The filters on notes themselves; the others (source, published, post, mytag) pick
    # posts, and apply as well to the posts listed for their own tags alone.
    NOTE_FILTERS = ("q", "kind", "colour", "tag", "state", "since", "until")

    def __init__(self, data, *, user):
        super().__init__(data)
        annotated = Annotation.objects.filter(user=user, deleted_at=None).values("post__source_id")
        tagged = own_tags.tagged_states(user).values("post__source_id")
        sources = (
            Source.objects.filter(Q(id__in=annotated) | Q(id__in=tagged))
            .order_by("name")
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
        filters = {name: self.value(name) for name in self.fields if name not in ("q", "mytag")}
        if self.data.get("post") and filters["post"] is None:
            filters["post"] = NO_POST
        return {**filters, "text": self.value("q")}


def my_annotations(user, filters: NotebookFilters):
    annotations = Annotation.objects.owned_by(user).alive().filtered(**filters.filters())
    if mytag := filters.value("mytag"):
        annotations = annotations.filter(
            post_id__in=own_tags.tagged_states(user, tag=mytag).values("post_id")
        )
    return annotations


def my_tagged_posts(user, filters: NotebookFilters):
    """``user``'s reading states of the posts listed (and exported) for their own tags even
    without notes, narrowed by the filters on posts; None when a filter on notes is set
    (a post without notes cannot match one)."""
    if any(filters.value(name) for name in filters.NOTE_FILTERS):
        return None
    states = own_tags.tagged_states(user, tag=filters.value("mytag"))
    picked = filters.filters()
    if picked["post"] is not None:
        states = states.filter(post_id=picked["post"])
    if picked["source"]:
        states = states.filter(post__source__slug=picked["source"])
    zone = timezone.get_current_timezone()
    if first := picked["published_since"]:
        states = states.filter(post__published_at__gte=datetime.combine(first, time.min, zone))
    if last := picked["published_until"]:
        states = states.filter(post__published_at__lte=datetime.combine(last, time.max, zone))
    return states


@dataclass
class PostEntry:
    post: Post
    annotations: list[Annotation]
    last_change: datetime
    my_tags: list[str] = field(default_factory=list)

    @property
    def has_translations(self) -> bool:
        return any(a.kind == Kind.TRANSLATION for a in self.annotations)


def posts_newest_first(annotations, tagged=None):
    """Post ids with the time of their newest annotation, newest first (for paging); with
    ``tagged`` (reading states), also the posts tagged but without (matching) notes, as of
    their state's last change."""
    notes = annotations.order_by().values("post_id").annotate(last_change=Max("modified_at"))
    if tagged is None:
        return notes.order_by("-last_change", "-post_id")
    only_tagged = (
        tagged.exclude(post_id__in=annotations.values("post_id"))
        .order_by()
        .values("post_id", last_change=F("updated_at"))
    )
    return notes.union(only_tagged, all=True).order_by("-last_change", "-post_id")


def entries_for(annotations, page_rows, *, user) -> list[PostEntry]:
    """The posts of one page with their (filtered) annotations in reading order (page notes,
    which have no passage, first) and ``user``'s own tags of them."""
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
    if only_tagged := [pk for pk in ids if pk not in posts]:
        posts.update(
            (post.pk, post)
            for post in Post.objects.filter(pk__in=only_tagged)
            .select_related("source")
            .only("id", "title", "published_at", "source__name", "source__slug")
        )
    tags = own_tags.of_posts(user, ids)
    return [
        PostEntry(
            posts[pk],
            by_post[pk],
            row["last_change"],
            tags[pk].names if pk in tags else [],
        )
        for row in rows
        if (pk := row["post_id"]) in posts
    ]
