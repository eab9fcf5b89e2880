"""Everything that changes annotations: creating, editing, deleting and re-anchoring them.

Views and commands call these; tests call them directly. Writes are conditional on the
version the caller saw (``expected_version``): a stale write raises ``Conflict`` instead of
overwriting someone else's edit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotations import anchoring, markdown
from annotations.jsonld import post_id_from_reader_url
from annotations.models import ANCHOR_FIELDS, EDITABLE_FIELDS, Annotation, State
from archive.models import Post


class Invalid(Exception):
    """Input that cannot be applied; ``errors`` are ``{"field", "message"}`` dicts."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


class Conflict(Exception):
    """The annotation changed since the caller read it."""


def find_post(reference, *, host: str = "") -> Post:
    """A post by id, by its article URL, or by its reader URL on this site."""
    posts = Post.objects.only("id", "text", "url")
    post = None
    if isinstance(reference, int):
        post = posts.filter(pk=reference).first()
    else:
        post = posts.filter(url=reference).first()
        if post is None and (pk := post_id_from_reader_url(reference, host)):
            post = posts.filter(pk=pk).first()
    if post is None:
        raise Invalid([{"field": "target.source", "message": "no such post in this archive"}])
    return post


def _selector(post: Post, values: dict) -> anchoring.Selector:
    try:
        return anchoring.validate_selection(
            post.text,
            values.get("start"),
            values.get("end"),
            values.get("exact"),
            max_chars=settings.PIZHU_MAX_QUOTE_CHARS,
        )
    except anchoring.SelectionError as error:
        field = f"target.selector.{error.field}"
        raise Invalid([{"field": field, "message": error.message}]) from error


def apply_values(annotation: Annotation, values: dict) -> None:
    """Set the fields ``values`` carries (the note rendered with it); not the selection."""
    for name in ("kind", "colour", "shared", "language"):
        if name in values:
            setattr(annotation, name, values[name])
    if "body" in values:
        annotation.body = values["body"]
        annotation.body_html = markdown.render(values["body"])


@transaction.atomic
def create(user, values: dict, *, host: str = "") -> Annotation:
    post = find_post(values.get("post"), host=host)
    annotation = Annotation(user=user, post=post, state=State.ANCHORED, anchored_by="selection")
    annotation.set_selector(_selector(post, values))
    apply_values(annotation, values)
    annotation.refresh_search_text(values.get("tags", []))
    annotation.save()
    if values.get("tags"):
        annotation.tags.set(values["tags"])
    annotation.tag_names = list(values.get("tags", []))
    return annotation


@transaction.atomic
def update(
    annotation: Annotation, values: dict, *, expected_version: int | None = None, host: str = ""
) -> Annotation:
    """Apply ``values`` (a full or partial change). A new selection re-attaches the
    annotation, to the same post only: an orphan is re-attached by selecting new text."""
    if "post" in values:
        post = find_post(values["post"], host=host)
        if post.pk != annotation.post_id:
            raise Invalid(
                [{"field": "target.source", "message": "an annotation cannot move to another post"}]
            )
        # A PUT repeats the target even when it did not change (an orphan's old quote is
        # no longer in the text): only a new selection is checked and re-attaches.
        if any(values.get(name) != getattr(annotation, name) for name in ("exact", "start", "end")):
            annotation.set_selector(_selector(post, values))
            annotation.state, annotation.anchored_by = State.ANCHORED, "selection"
    apply_values(annotation, values)
    tag_names = values["tags"] if "tags" in values else _tag_names(annotation)
    annotation.refresh_search_text(tag_names)
    _save_if_version(annotation, expected_version)
    if "tags" in values:
        annotation.tags.set(values["tags"])
        annotation.tag_names = list(values["tags"])
    return annotation


def _tag_names(annotation: Annotation) -> list[str]:
    names = getattr(annotation, "tag_names", None)
    return names if names is not None else [tag.name for tag in annotation.tags.all()]


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


@transaction.atomic
def delete(annotation: Annotation, *, expected_version: int | None = None) -> None:
    """Soft delete: the annotation disappears but can be restored (undo)."""
    annotation.deleted_at = timezone.now()
    _save_if_version(annotation, expected_version)


@transaction.atomic
def restore(annotation: Annotation) -> None:
    annotation.deleted_at = None
    _save_if_version(annotation, None)


def reanchor_posts(post_ids, *, previous: dict[int, str] | None = None) -> dict[str, int]:
    """Find every annotation of these posts again in their current text.

    Called when the importer or the cleaner changed a post's text; ``previous`` (post id →
    its text before) lets passages be followed through the edits. Annotations whose text
    is gone are orphaned, never deleted; an orphan whose text came back is anchored again.
    Returns counts by outcome (position, quote, normalised, fuzzy, context, orphaned).
    """
    counts: dict[str, int] = {}
    post_ids = list(
        Annotation.objects.filter(post_id__in=list(post_ids))
        .values_list("post_id", flat=True)
        .distinct()
    )
    for post in Post.objects.filter(pk__in=post_ids).only("id", "text"):
        with transaction.atomic():
            annotations = list(Annotation.objects.select_for_update().filter(post=post))
            # Orphans were made on an older text than ``previous``: their selectors alone.
            live = [a for a in annotations if a.state == State.ANCHORED]
            orphans = [a for a in annotations if a.state != State.ANCHORED]
            before = (previous or {}).get(post.pk)
            annotations = live + orphans
            anchors = anchoring.anchor_all(post.text, [a.selector for a in live], previous=before)
            anchors += anchoring.anchor_all(post.text, [a.selector for a in orphans])
            changed = []
            for annotation, found in zip(annotations, anchors, strict=True):
                outcome = found.method if found else "orphaned"
                counts[outcome] = counts.get(outcome, 0) + 1
                if found is None:
                    if annotation.state != State.ORPHANED:
                        annotation.state, annotation.anchored_by = State.ORPHANED, ""
                        changed.append(annotation)
                    continue
                selector = anchoring.describe(post.text, found.start, found.end)
                if selector != annotation.selector or annotation.state != State.ANCHORED:
                    exact_changed = selector.exact != annotation.exact
                    annotation.set_selector(selector)
                    if exact_changed:
                        annotation.refresh_search_text(_tag_names(annotation))
                    annotation.state, annotation.anchored_by = State.ANCHORED, found.method
                    changed.append(annotation)
            for annotation in changed:
                annotation.version += 1
            Annotation.objects.bulk_update(
                changed,
                [*ANCHOR_FIELDS, "version"],
                batch_size=200,
            )
    return counts
