"""Reading state: one user's place in, and verdict on, one post. The one write path.

The API, the reader's scripts (through the API), the notebook's forms and the tests call
``get``, ``change`` and ``to_json``; ``parse`` checks what a client sent. Another user's
state is never read: every function takes the user first and filters by it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone

from annotations import anchoring
from annotations.values import Invalid, clean_tags
from archive.models import Post
from library.models import ReadingState, Shelf, SourceVisit

# What a client may send; "post", "read_at" and "updated" come back from a GET and may be
# sent back unchanged, but the server sets them.
WRITABLE = ("progress", "position", "read", "favourite", "archived", "tags")
READ_ONLY = ("post", "read_at", "updated")
DEFAULTS = {"progress": 0.0, "position": 0, "read": False, "favourite": False,
            "archived": False, "tags": ()}  # fmt: skip
# A reading position is followed through a re-import by the passage that starts there.
_POSITION_CONTEXT = 32


def get(user, post_id: int) -> ReadingState:
    """``user``'s state of the post, or an unsaved one with the defaults (never opened)."""
    found = ReadingState.objects.of(user).filter(post_id=post_id).first()
    if found is None:
        found = ReadingState(user=user, post_id=post_id)
        found.tag_names = []
    else:
        found.tag_names = _tag_names(found)
    return found


def _tag_names(state: ReadingState) -> list[str]:
    return sorted((tag.name for tag in state.tags.all()), key=str.casefold)


def to_json(state: ReadingState) -> dict:
    return {
        "post": state.post_id,
        "progress": state.progress,
        "position": state.position,
        "read": state.read,
        "read_at": state.read_at.isoformat() if state.read_at else None,
        "favourite": state.favourite,
        "archived": state.archived,
        "tags": list(getattr(state, "tag_names", [])),
        "updated": state.updated_at.isoformat() if state.pk else None,
    }


def parse(data, *, partial: bool, post_id: int, text_length: int) -> dict:
    """The changes a client asks for, checked; ``Invalid`` names every bad field.
    ``partial`` (PATCH): absent fields stay; otherwise (PUT) they return to the defaults."""
    if not isinstance(data, dict):
        raise Invalid.one("", "expected a JSON object")
    errors = []

    def error(field, message):
        errors.append({"field": field, "message": message})

    for name in data:
        if name not in WRITABLE and name not in READ_ONLY:
            error(name, "is not a field of a reading state")
    if "post" in data and data["post"] != post_id:
        error("post", "must be this post's id (or left out)")
    changes = {} if partial else dict(DEFAULTS)
    for name in WRITABLE:
        if name not in data:
            continue
        value = data[name]
        if name == "progress":
            if not _number(value) or not 0 <= value <= 1:
                error(name, "must be a number from 0 to 1")
                continue
            value = float(value)
        elif name == "position":
            if not _whole(value) or not 0 <= value <= text_length:
                error(name, f"must be a whole number from 0 to {text_length} (the text's length)")
                continue
        elif name == "tags":
            value = _tags(value, errors)
            if value is None:
                continue
        elif not isinstance(value, bool):
            error(name, "must be true or false")
            continue
        changes[name] = value
    if errors:
        raise Invalid(errors)
    return changes


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _tags(value, errors: list) -> tuple[str, ...] | None:
    """Tags as the annotations' are checked (``values.clean_tags``), counted before any is
    read; None, with ``errors`` added to, when they are refused."""
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        errors.append({"field": "tags", "message": "must be a list of strings"})
        return None
    if len(value) > settings.PIZHU_MAX_TAGS:
        errors.append({"field": "tags", "message": f"at most {settings.PIZHU_MAX_TAGS} tags"})
        return None
    cleaned, problems = clean_tags(
        value,
        field="tags",
        max_tags=settings.PIZHU_MAX_TAGS,
        max_chars=settings.PIZHU_MAX_TAG_CHARS,
    )
    errors += problems
    return None if problems else cleaned


def text_length(post_id: int) -> int | None:
    """The post's text length in code points (what positions count), None without a post;
    counted by the database, so the text is not loaded."""
    found = (
        Post.objects.filter(pk=post_id)
        .order_by()
        .annotate(n=Length("text"))
        .values_list("n", flat=True)
    )
    return next(iter(found), None)


@transaction.atomic
def change(user, post_id: int, changes: dict) -> ReadingState:
    """Apply checked ``changes`` (``parse``) to ``user``'s state of the post, creating it on
    the first write. ``read`` sets ``read_at`` once (marking it read again keeps the first
    time) and clears it when false."""
    state, _ = ReadingState.objects.select_for_update().get_or_create(user=user, post_id=post_id)
    for name in ("progress", "position", "favourite", "archived"):
        if name in changes:
            setattr(state, name, changes[name])
    if "read" in changes:
        if not changes["read"]:
            state.read_at = None
        elif state.read_at is None:
            state.read_at = timezone.now()
    state.updated_at = timezone.now()
    state.save()
    if "tags" in changes:
        state.tags.set(list(changes["tags"]))
        state.tag_names = sorted(changes["tags"], key=str.casefold)
    else:  # a saved scroll, every few seconds: its tags in one query, not the state again
        state.tag_names = _tag_names(state)
    return state


def posts_in(posts, user, shelf: str = ""):
    """``posts`` narrowed to one of ``user``'s shelves (``Shelf``); archived posts are left
    out of every list but the archived one. ``shelf`` empty: everything not archived."""
    mine = ReadingState.objects.of(user)
    if shelf == Shelf.ARCHIVED:
        return posts.filter(id__in=mine.filter(archived=True).values("post_id"))
    if shelf in ("", Shelf.UNREAD):
        gone = left_out_of(user, shelf)
        # Usually a reader has put nothing away: then no NOT IN for every post of the list.
        return posts.exclude(id__in=gone.values("post_id")) if gone.exists() else posts
    archived = list(mine.filter(archived=True).values_list("post_id", flat=True))
    if archived:
        posts = posts.exclude(id__in=archived)
    kept = {
        Shelf.READ: mine.filter(read_at__isnull=False),
        Shelf.IN_PROGRESS: mine.in_progress(),
        Shelf.FAVOURITE: mine.filter(favourite=True),
    }
    return posts.filter(id__in=kept[shelf].values("post_id")) if shelf in kept else posts


def left_out_of(user, shelf: str = ""):
    """The reader's states whose posts the list of ``shelf`` ("" or unread) leaves out of
    the archive: the archived ones, and for unread the read ones too."""
    mine = ReadingState.objects.of(user)
    if shelf == Shelf.UNREAD:
        return mine.filter(Q(archived=True) | Q(read_at__isnull=False))
    return mine.filter(archived=True)


def states_of(user, post_ids) -> dict[int, ReadingState]:
    """``user``'s states of these posts, by post id, in one query (lists mark what is read)."""
    if not user.is_authenticated:
        return {}
    return {s.post_id: s for s in ReadingState.objects.of(user).filter(post_id__in=post_ids)}


def seen_source(user, source) -> None:
    """Remember that ``user`` looked at ``source``'s posts now, and when they had looked
    before (``previous_seen_at``: what arrived between is marked new, library.shelves)."""
    if not user.is_authenticated:
        return
    now = timezone.now()
    visits = SourceVisit.objects.filter(user=user, source=source)
    # One UPDATE: SQL reads seen_at as it was before the row changes.
    if not visits.update(previous_seen_at=F("seen_at"), seen_at=now):
        SourceVisit.objects.get_or_create(user=user, source=source, defaults={"seen_at": now})


def remap_positions(post_ids, *, previous: dict[int, str]) -> int:
    """Follow reading positions through a rewrite of their posts' text, as annotations are
    followed (annotations.anchoring): the passage that started at the old position is found
    in the new text. A position whose passage is gone keeps its share of the text.
    Returns how many positions moved."""
    moved = 0
    states = ReadingState.objects.filter(post_id__in=list(post_ids), position__gt=0)
    by_post: dict[int, list[ReadingState]] = {}
    for found in states.only("id", "post_id", "position", "progress"):
        by_post.setdefault(found.post_id, []).append(found)
    for post in Post.objects.filter(pk__in=list(by_post)).only("id", "text"):
        before = previous.get(post.pk)
        if before is None or before == post.text:
            continue
        changed = []
        for found in by_post[post.pk]:
            new = _follow(before, post.text, found.position)
            if new != found.position:
                found.position = new
                changed.append(found)
        ReadingState.objects.bulk_update(changed, ["position"], batch_size=200)
        moved += len(changed)
    return moved


def _follow(before: str, after: str, position: int) -> int:
    if not before.strip():
        return min(position, len(after))
    start = min(position, len(before) - 1)
    end = min(len(before), start + _POSITION_CONTEXT)
    while end > start + 1 and not before[start:end].strip():
        end = min(len(before), end + _POSITION_CONTEXT)  # a run of whitespace: look further
        if end == len(before):
            break
    [found] = anchoring.anchor_all(after, [anchoring.describe(before, start, end)], previous=before)
    if found is not None:
        return found.start
    return min(len(after), round(len(after) * position / len(before)))
