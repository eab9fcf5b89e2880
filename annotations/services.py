"""The one write path of annotations: create, update, delete and undelete them, restore an
exported one, and re-anchor them when their post's text changes.

The API, the JSON-LD import (``annotations.restore``), commands and tests call these with a
``values.Changes``; nothing else saves an annotation. Where an annotation sits is decided
in one place, ``place``, whether its text changed under it or it comes back from a file.
Writes are conditional on the version the caller saw (``expected_version``): a stale write
raises ``Conflict`` instead of overwriting someone else's edit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotations import anchoring, markdown
from annotations.models import ANCHOR_FIELDS, EDITABLE_FIELDS, Annotation, Kind, State
from annotations.values import Changes, Invalid, Target
from archive.models import Post
from archive.search_text import fold


class Conflict(Exception):
    """The annotation changed since the caller read it."""


def _post(reference: int | str, *, host: str = "") -> Post | None:
    """The post an annotation names (``archive.models.PostQuerySet.find``), with its text."""
    return Post.objects.only("id", "text", "url").find(reference, host=host)


def find_post(reference: int | str, *, host: str = "") -> Post:
    if (post := _post(reference, host=host)) is None:
        raise Invalid.one("target.source", "no such post in this archive")
    return post


@transaction.atomic
def create(user, changes: Changes, *, host: str = "") -> Annotation:
    """A new annotation on the passage the user selected (checked against the post's text).
    ``host``: this site's host, so a reader URL on it names its post."""
    if changes.target is None:
        raise Invalid.one("target", "is required")
    post = find_post(changes.target.post, host=host)
    annotation = Annotation(user=user, post=post, state=State.ANCHORED, anchored_by="selection")
    if changes.target.is_page:
        annotation.anchored_by = PAGE
        annotation.set_selector(changes.target.selector)  # no quote, no range
    else:
        annotation.set_selector(_selection(post, changes.target))
    _apply(annotation, changes)
    _check_page_note(annotation)
    _insert(annotation, changes.tags or ())
    return annotation


@transaction.atomic
def update(
    annotation: Annotation, changes: Changes, *, expected_version: int | None = None, host=""
) -> Annotation:
    """Apply ``changes`` (a full or partial change). A new selection re-attaches the
    annotation, to the same post only: an orphan is re-attached by selecting new text."""
    if (target := changes.target) is not None:
        post = find_post(target.post, host=host)
        if post.pk != annotation.post_id:
            raise Invalid.one("target.source", "an annotation cannot move to another post")
        if target.is_page != annotation.is_page_note:
            raise Invalid.one("target", "cannot turn a page note into a passage note")
        # A PUT repeats the target even when it did not change (an orphan's old quote is
        # no longer in the text): only a new selection is checked and re-attaches.
        if not target.is_page and (target.exact, target.start, target.end) != (
            annotation.exact,
            annotation.start,
            annotation.end,
        ):
            annotation.set_selector(_selection(post, target))
            annotation.state, annotation.anchored_by = State.ANCHORED, "selection"
    _apply(annotation, changes)
    _check_page_note(annotation)
    if changes.tags is not None:
        annotation.tag_names = list(changes.tags)
    _refresh_search_text(annotation)
    _save_if_version(annotation, expected_version)
    if changes.tags is not None:
        annotation.tags.set(list(changes.tags))
    return annotation


@transaction.atomic
def delete(annotation: Annotation, *, expected_version: int | None = None) -> None:
    """Soft delete: the annotation disappears but can be brought back (undo)."""
    annotation.deleted_at = timezone.now()
    _save_if_version(annotation, expected_version)


@transaction.atomic
def undelete(annotation: Annotation) -> None:
    annotation.deleted_at = None
    _save_if_version(annotation, None)


# How a page note is "anchored": to the whole article, never re-anchored or orphaned.
PAGE = "page"


def _check_page_note(annotation: Annotation) -> None:
    """A page note is a note with something in it: a highlight of nothing shows nothing."""
    if not annotation.is_page_note:
        return
    if annotation.kind != Kind.NOTE:
        raise Invalid.one("pizhu.kind", "a page note is a note")
    if not annotation.body.strip():
        raise Invalid.one("body.value", "a page note needs a note")


# The outcomes of ``restore``, as its report counts them.
RESTORED, REANCHORED, ORPHANED = "restored", "reanchored", "orphaned"
DUPLICATE, POST_MISSING = "duplicate", "post missing"


_ANCHOR_IT = object()  # restore(found=…) not given: the services look for the passage


@transaction.atomic
def restore(user, changes: Changes, *, found=_ANCHOR_IT) -> tuple[str, Annotation | None]:
    """Bring back an annotation exported from Pizhu (here or elsewhere) for ``user``, placed
    in its post's current text. Returns the outcome and the annotation (None when it was
    already there or its post is not in this archive). The post is found by its article
    URL: ids differ between sites. ``found``: where the caller already found the passage in
    that text (an ``Anchor``, or None: nowhere), so it is not looked for twice.

    It is already there when the user has it with the quote as written, or as the text
    reads where it was found (a quote found through whitespace or a typo was stored so).
    Nothing is dropped silently: one whose passage is gone is kept as an orphan."""
    if changes.target is None:
        raise Invalid.one("target", "is required")
    target = changes.target
    post = _post(target.source)
    if post is None:
        return POST_MISSING, None
    selector = target.selector
    if _already_there(user, post, selector.exact, changes):
        return DUPLICATE, None
    annotation = Annotation(user=user, post=post, state="")  # "": not placed yet
    annotation.set_selector(selector)
    annotation.tag_names = list(changes.tags or ())
    if target.is_page:  # nothing to find: it is about the whole article
        annotation.state, annotation.anchored_by = State.ANCHORED, PAGE
        found = anchoring.Anchor(0, 0, PAGE)
    else:
        if found is _ANCHOR_IT:
            found = anchoring.anchor(post.text, selector)
        there = post.text[found.start : found.end] if found else selector.exact
        if there != selector.exact and _already_there(user, post, there, changes):
            return DUPLICATE, None
        place(annotation, post.text, found)
    _apply(annotation, changes)
    _check_page_note(annotation)
    annotation.created_at = changes.created or annotation.created_at
    annotation.modified_at = changes.modified or annotation.modified_at
    _insert(annotation, changes.tags or ())
    if found is None:
        return ORPHANED, annotation
    moved = (found.start, found.end) != (selector.start, selector.end)
    return (REANCHORED if moved else RESTORED), annotation


def reanchor_posts(post_ids, *, previous: dict[int, str] | None = None) -> dict[str, int]:
    """Find every annotation of these posts again in their current text.

    Called when the importer or the cleaner changed a post's text; ``previous`` (post id →
    its text before) lets passages be followed through the edits. Annotations whose text
    is gone are orphaned, never deleted; an orphan whose text came back is anchored again.
    Returns counts by outcome (position, quote, normalised, fuzzy, context, orphaned...).
    """
    counts: dict[str, int] = {}
    post_ids = list(
        Annotation.objects.filter(post_id__in=list(post_ids))
        .values_list("post_id", flat=True)
        .distinct()
    )
    for post in Post.objects.filter(pk__in=post_ids).only("id", "text"):
        with transaction.atomic():
            annotations = list(Annotation.objects.select_for_update().passages().filter(post=post))
            # Orphans were made on an older text than ``previous``: their selectors alone.
            live = [a for a in annotations if a.state == State.ANCHORED]
            orphans = [a for a in annotations if a.state != State.ANCHORED]
            before = (previous or {}).get(post.pk)
            anchors = anchoring.anchor_all(post.text, [a.selector for a in live], previous=before)
            anchors += anchoring.anchor_all(post.text, [a.selector for a in orphans])
            changed = []
            for annotation, found in zip(live + orphans, anchors, strict=True):
                outcome = found.method if found else "orphaned"
                counts[outcome] = counts.get(outcome, 0) + 1
                if place(annotation, post.text, found):
                    annotation.version += 1
                    changed.append(annotation)
            Annotation.objects.bulk_update(changed, [*ANCHOR_FIELDS, "version"], batch_size=200)
    return counts


def place(annotation: Annotation, text: str, found: anchoring.Anchor | None) -> bool:
    """Put ``annotation`` where ``found`` says in ``text``, or orphan it when nothing was
    found (it keeps its last selectors, to be re-attached by hand). Returns whether anything
    changed; the caller saves."""
    if found is None:
        if annotation.state == State.ORPHANED:
            return False
        annotation.state, annotation.anchored_by = State.ORPHANED, ""
        return True
    selector = anchoring.describe(text, found.start, found.end)
    if selector == annotation.selector and annotation.state == State.ANCHORED:
        return False
    exact_changed = selector.exact != annotation.exact
    annotation.set_selector(selector)
    if exact_changed:
        _refresh_search_text(annotation)
    annotation.state, annotation.anchored_by = State.ANCHORED, found.method
    return True


# --- helpers ---------------------------------------------------------------------------------


def _selection(post: Post, target: Target) -> anchoring.Selector:
    """The selectors of a new selection, after checking it is the post's text there."""
    try:
        return anchoring.validate_selection(
            post.text,
            target.start,
            target.end,
            target.exact,
            max_chars=settings.PIZHU_MAX_QUOTE_CHARS,
        )
    except anchoring.SelectionError as error:
        raise Invalid.one(f"target.selector.{error.field}", error.message) from error


def _apply(annotation: Annotation, changes: Changes) -> None:
    """Set the fields ``changes`` carries (the note rendered with it); not the selection."""
    for name in ("kind", "colour", "shared", "language"):
        if (value := getattr(changes, name)) is not None:
            setattr(annotation, name, value)
    if changes.body is not None:
        annotation.body = changes.body
        annotation.body_html = markdown.render(changes.body)


def _insert(annotation: Annotation, tags) -> None:
    annotation.tag_names = list(tags)
    _refresh_search_text(annotation)
    annotation.save()
    if tags:
        annotation.tags.set(list(tags))


def _refresh_search_text(annotation: Annotation) -> None:
    """Quote, note and tags folded (archive.search_text.fold), for the notebook's search."""
    tags = " ".join(_tag_names(annotation))
    annotation.search_text = fold("\n".join([annotation.exact, annotation.body, tags]))


def _tag_names(annotation: Annotation) -> list[str]:
    names = getattr(annotation, "tag_names", None)
    if names is None:
        names = annotation.tag_names = [tag.name for tag in annotation.tags.all()]
    return names


def _save_if_version(annotation: Annotation, expected_version: int | None) -> None:
    """Save only if nobody wrote since ``expected_version`` (None: whatever the version)."""
    version = annotation.version if expected_version is None else expected_version
    annotation.modified_at = timezone.now()
    fields = {name: getattr(annotation, name) for name in EDITABLE_FIELDS}
    written = Annotation.objects.filter(pk=annotation.pk, version=version).update(
        version=F("version") + 1, **fields
    )
    if not written:
        raise Conflict
    annotation.version = version + 1


def _already_there(user, post: Post, exact: str, changes: Changes) -> bool:
    return Annotation.objects.filter(
        user=user, post=post, exact=exact, body=changes.body or "",
        kind=changes.kind or Kind.HIGHLIGHT, deleted_at__isnull=True,
    ).exists()  # fmt: skip
