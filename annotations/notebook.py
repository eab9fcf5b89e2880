"""The notebook: a user's own annotations across the archive, filtered and grouped by post,
with the user's own tags of each post. A post with own tags and no notes is listed too (its
heading and tags), unless a filter on notes is set: then only posts with matching notes.

Notes here are notes on articles: a reply is about another note, and is shown with it (in
the group notebook and export, and the reader), never as a note of its own on a page.

The group notebook is the same over a group's notes (those its viewer may read,
``Annotation.objects.visible_to``), each with its author and its thread of replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Max, Q
from django.utils import timezone

from accounts.forms import BilingualForm
from annotations import own_tags
from annotations.models import Annotation, Colour, Kind, State, Visibility, with_tag_names
from archive.models import Post, Source
from config.ids import MAX_ID
from groups.models import Group, Membership

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
    visibility = forms.ChoiceField(
        required=False, choices=[("", "全部 All"), *Visibility.choices], label="谁能看 Visible to"
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
    NOTE_FILTERS = ("q", "kind", "colour", "tag", "state", "visibility", "since", "until")

    def __init__(self, data, *, user):
        super().__init__(data)
        sources = (
            Source.objects.filter(self.sources_of(user))
            .order_by("name")
            .values_list("slug", "name")
        )
        self.fields["source"].choices = [("", "全部 All"), *sources]

    def sources_of(self, user) -> Q:
        """The sources to choose from: those of the posts listed."""
        annotated = Annotation.objects.owned_by(user).alive().notes().values("post__source_id")
        tagged = own_tags.tagged_states(user).values("post__source_id")
        return Q(id__in=annotated) | Q(id__in=tagged)

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
    """My live notes on articles (not my replies) that the filters pick."""
    annotations = Annotation.objects.owned_by(user).alive().notes().filtered(**filters.filters())
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
        .with_reply_counts()
        .select_related("post", "post__source", "group")
        .defer(
            "post__raw_body",
            "post__raw_front_matter",
            "post__body_html",
            "post__text",
            "search_text",
            "group__description",
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


# --- a group's notebook ------------------------------------------------------------------------


class GroupNotebookFilters(NotebookFilters):
    """The notebook's filters over a group's notes, and their author (a member) in place of
    my own tags and the visibility (every note in a group is for the group)."""

    author = forms.ChoiceField(required=False, label="作者 Author")
    field_order = ["q", "author"]

    NOTE_FILTERS = ("q", "author", "kind", "colour", "tag", "state", "since", "until")

    def __init__(self, data, *, user, group: Group):
        self.group = group
        super().__init__(data, user=user)
        del self.fields["mytag"], self.fields["visibility"]
        # Every note in a group is a member's: leaving makes one's notes private.
        members = Membership.objects.filter(group=group).values_list("user_id", "user__username")
        self.members = {name: pk for pk, name in members}
        names = sorted(self.members, key=str.casefold)
        self.fields["author"].choices = [("", "全部 All"), *((name, name) for name in names)]

    def sources_of(self, user) -> Q:
        readable = Annotation.objects.visible_to(user).filter(group_id=self.group.pk)
        return Q(id__in=readable.notes().values("post__source_id"))

    def filters(self) -> dict:
        filters = {
            name: value
            for name, value in super().filters().items()
            if name not in ("author", "mytag", "visibility")
        }
        author = self.value("author")
        return {**filters, "user": self.members[author] if author else None}


def group_notes(user, group: Group, filters: GroupNotebookFilters):
    """The notes (not replies) in ``group`` that ``user`` may read and the filters pick."""
    readable = Annotation.objects.visible_to(user).filter(group_id=group.pk)
    return readable.notes().filtered(**filters.filters())


def group_orphan_replies(user, group: Group, filters: GroupNotebookFilters):
    """Replies in ``group`` whose note ``user`` can no longer read (deleted, hidden, made
    private by its author leaving, or gone with its author's account): their words stay,
    under a placeholder. None when a filter on notes is set (a missing note matches none);
    the filters on posts apply."""
    if any(filters.value(name) for name in filters.NOTE_FILTERS):
        return None
    picked = filters.filters()
    readable = Annotation.objects.visible_to(user).filter(group_id=group.pk)
    return (
        readable.replies()
        .exclude(parent_id__in=readable.values("pk"))
        .filtered(
            post=picked["post"],
            source=picked["source"],
            published_since=picked["published_since"],
            published_until=picked["published_until"],
        )
    )


def group_posts_newest_first(notes, orphans=None):
    """Post ids with the time of their newest note, newest first (for paging); with
    ``orphans``, also the posts where only replies to missing notes are left."""
    rows = notes.order_by().values("post_id").annotate(last_change=Max("modified_at"))
    if orphans is None:
        return rows.order_by("-last_change", "-post_id")
    only_orphans = (
        orphans.exclude(post_id__in=notes.values("post_id"))
        .order_by()
        .values("post_id")
        .annotate(last_change=Max("modified_at"))
    )
    return rows.union(only_orphans, all=True).order_by("-last_change", "-post_id")


@dataclass
class Thread:
    """A note and the replies under it, each with its depth (1: a reply to the note), in
    the order they were written, a reply's own replies right after it. ``note`` is None
    when the viewer can no longer read the note replied to."""

    note: Annotation | None
    replies: list[tuple[Annotation, int]] = field(default_factory=list)


@dataclass
class GroupPostEntry:
    post: Post
    threads: list[Thread]

    @property
    def notes(self) -> list[Annotation]:
        return [thread.note for thread in self.threads if thread.note is not None]


def threads_by_post(user, group: Group, notes, post_ids, *, orphans: bool) -> dict:
    """post id → its threads: ``notes`` (already filtered, with ``post`` loaded), each with
    the replies ``user`` may read under it, in reading order (page notes first, orphans of
    the text last), then, with ``orphans``, the replies whose note is missing. Two queries
    (the replies and their tags) whatever the number of notes, replies and depth."""
    replies = with_tag_names(
        Annotation.objects.visible_to(user)
        .filter(group_id=group.pk, post_id__in=list(post_ids))
        .replies()
        .select_related("user")
        .defer("search_text", "user__password")
        .order_by("created_at", "id")
    )
    under: dict[int | None, list[Annotation]] = {}
    for reply in replies:
        under.setdefault(reply.parent_id, []).append(reply)
    for reply in replies:  # as ``with_reply_counts`` counts: everyone reading it sees these
        reply.reply_count = sum(1 for r in under.get(reply.pk, []) if r.hidden_at is None)
    threads: dict[int, list[Thread]] = {pk: [] for pk in post_ids}
    for note in sorted(notes, key=reading_order):
        threads.setdefault(note.post_id, []).append(Thread(note, _descendants(note.pk, under)))
    if orphans:
        readable = {reply.pk for reply in replies} | {note.pk for note in notes}
        missing: dict = {}  # the missing note's id → its thread (one placeholder each)
        for reply in replies:
            if reply.parent_id is None or reply.parent_id not in readable:
                key = reply.parent_id or ("gone", reply.pk)  # gone for good: one by one
                if (thread := missing.get(key)) is None:
                    thread = missing[key] = Thread(None)
                    threads.setdefault(reply.post_id, []).append(thread)
                thread.replies += [(reply, 1), *_descendants(reply.pk, under, depth=2)]
    return threads


def reading_order(annotation: Annotation) -> tuple:
    """Page notes first, then passages where they are in the text, orphans of it last."""
    return (
        not annotation.is_page_note,
        annotation.state != State.ANCHORED,
        annotation.start,
        annotation.end,
        annotation.pk,
    )


def _descendants(pk: int, under: dict, depth: int = 1) -> list[tuple[Annotation, int]]:
    """The replies under ``pk``, each followed by its own (iteratively: no depth limit)."""
    found, pending = [], [(reply, depth) for reply in reversed(under.get(pk, []))]
    while pending:
        reply, level = pending.pop()
        found.append((reply, level))
        pending += [(child, level + 1) for child in reversed(under.get(reply.pk, []))]
    return found


def group_entries_for(user, group: Group, notes, page_rows, *, orphans: bool):
    """The posts of one page of the group notebook with their threads."""
    ids = [row["post_id"] for row in page_rows]
    found = with_tag_names(
        notes.filter(post_id__in=ids)
        .with_reply_counts()
        .select_related("post", "post__source", "user")
        .defer(  # what the page shows of a post: never its bodies
            *("post__raw_body", "post__raw_front_matter", "post__body_html", "post__text"),
            *("search_text", "user__password"),
        )
    )
    threads = threads_by_post(user, group, found, ids, orphans=orphans)
    posts = {note.post_id: note.post for note in found}
    if missing := [pk for pk in ids if pk not in posts and threads.get(pk)]:
        posts.update(
            (post.pk, post)
            for post in Post.objects.filter(pk__in=missing)
            .select_related("source")
            .only("id", "title", "published_at", "source__name", "source__slug")
        )
    return [GroupPostEntry(posts[pk], threads[pk]) for pk in ids if pk in posts]
