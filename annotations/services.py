"""The one write path of annotations: create, update, delete and undelete them, restore an
exported one, and re-anchor them when their post's text changes.

The API, the JSON-LD import (``annotations.restore``), commands and tests call these with a
``values.Changes``; nothing else saves an annotation. Where an annotation sits is decided
in one place, ``place``, whether its text changed under it or it comes back from a file.
Writes are conditional on the version the caller saw (``expected_version``): a stale write
raises ``Conflict`` instead of overwriting someone else's edit.
"""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from annotations import access, anchoring, markdown
from annotations.models import (
    ANCHOR_FIELDS,
    EDITABLE_FIELDS,
    Annotation,
    Flag,
    Kind,
    ReplyInbox,
    State,
    Visibility,
)
from annotations.values import UNSTORABLE, UNSTORABLE_MESSAGE, Changes, Invalid, Target
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
    if changes.parent is not None:
        return _create_reply(user, changes)
    if changes.target is None:
        raise Invalid.one("target", "is required")
    post = find_post(changes.target.post, host=host)
    annotation = Annotation(user=user, post=post, state=State.ANCHORED, anchored_by="selection")
    _check_audience(user, changes)
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
    audience = (annotation.visibility, annotation.group_id)
    if annotation.is_reply:
        _check_reply_changes(annotation, changes)
        changes = _for_reply(changes)
    elif changes.visibility is not None:
        _check_audience(annotation.user, changes)
        _check_not_hidden(annotation, changes)
    if changes.parent is not None and changes.parent != annotation.parent_id:
        raise Invalid.one("target", "an annotation cannot become a reply")
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
    if (annotation.visibility, annotation.group_id) != audience:
        _share_with_replies(annotation)
    return annotation


# --- replies, audiences and moderation -------------------------------------------------------


def _check_audience(user, changes: Changes) -> None:
    """A note goes to a group only of its author's."""
    if changes.visibility == Visibility.GROUP:
        access.check_group(user, changes.group)


def _check_not_hidden(annotation: Annotation, changes: Changes) -> None:
    """A hidden note keeps its audience: moved elsewhere it would leave its moderators'
    sight (or, moved back and forth, escape them)."""
    if annotation.hidden_at is None:
        return
    group = changes.group if changes.visibility == Visibility.GROUP else None
    if (changes.visibility, group) != (annotation.visibility, annotation.group_id):
        raise Invalid.one("pizhu.visibility", "a hidden note keeps its audience")


def _create_reply(user, changes: Changes) -> Annotation:
    """A reply to annotation ``changes.parent``, which ``user`` must be allowed to reply to
    (annotations.access); it takes the note's post and audience, whatever the client said."""
    try:
        parent = access.annotation_for(user, changes.parent, access.REPLY)
    except (Http404, PermissionDenied) as exc:
        raise Invalid.one("target", "no annotation you can reply to has this id") from exc
    reply = Annotation(
        user=user,
        post_id=parent.post_id,
        parent=parent,
        is_reply=True,
        kind=Kind.NOTE,
        visibility=parent.visibility,
        group_id=parent.group_id,
        exact="",  # about the note, not a passage: no quote, no range
        start=0,
        end=0,
        state=State.ANCHORED,
        anchored_by=PAGE,
    )
    _apply(reply, _for_reply(changes))
    if not reply.body.strip():
        raise Invalid.one("body.value", "a reply needs a note")
    _insert(reply, changes.tags or ())
    if parent.user_id != user.pk:
        ReplyInbox.objects.update_or_create(
            user_id=parent.user_id, defaults={"last_reply_at": reply.created_at}
        )
    return reply


def _check_reply_changes(reply: Annotation, changes: Changes) -> None:
    """A reply's audience is its note's: a client may repeat it, not change it."""
    if changes.visibility is None:
        return
    group = changes.group if changes.visibility == Visibility.GROUP else None
    if (changes.visibility, group) != (reply.visibility, reply.group_id):
        raise Invalid.one("pizhu.visibility", "a reply is seen by those who see its note")


def _for_reply(changes: Changes) -> Changes:
    """What a reply takes of ``changes``: its note, language and tags."""
    return Changes(body=changes.body, language=changes.language, tags=changes.tags)


def _share_with_replies(note: Annotation) -> None:
    """Replies have their note's audience: when it changes, the whole thread follows."""
    parents = [note.pk]
    while parents:
        replies = Annotation.objects.filter(parent_id__in=parents)
        replies.exclude(visibility=note.visibility, group_id=note.group_id).update(
            visibility=note.visibility, group_id=note.group_id, version=F("version") + 1
        )
        parents = list(replies.values_list("pk", flat=True))


def make_private(*, group, user=None) -> int:
    """Every note in ``group`` (of ``user`` only, when given) becomes private to its author:
    how leaving, removal and deleting a group keep everyone's words. Returns how many."""
    annotations = Annotation.objects.filter(group=group)
    if user is not None:
        annotations = annotations.filter(user=user)
    # Private notes have no moderators: a hidden one is simply its author's again.
    return annotations.update(
        visibility=Visibility.PRIVATE,
        group=None,
        hidden_at=None,
        hidden_by=None,
        version=F("version") + 1,
    )


def hide(annotation: Annotation, by) -> None:
    """A moderator hides a note from its audience; its author still sees it, with a notice.
    Not a change of the note: its version (the author's edits) is left alone."""
    Annotation.objects.filter(pk=annotation.pk).update(hidden_at=timezone.now(), hidden_by=by)
    annotation.hidden_at, annotation.hidden_by = timezone.now(), by


@transaction.atomic
def unhide(annotation: Annotation) -> None:
    """Shows a hidden note again. Its flags stayed with it while it was hidden (why it was
    hidden, for its moderators); showing it again answers them, so they go too, or the note
    would come back among those awaiting a decision."""
    Annotation.objects.filter(pk=annotation.pk).update(hidden_at=None, hidden_by=None)
    annotation.hidden_at = annotation.hidden_by = None
    dismiss_flags(annotation)


def dismiss_flags(annotation: Annotation) -> int:
    """Its moderators judged ``annotation``'s flags wrong: they go (a new flag may come
    later). Returns how many."""
    deleted, _ = Flag.objects.filter(annotation=annotation).delete()
    return deleted


MAX_FLAG_REASON_CHARS = 500


def flag(annotation: Annotation, user, reason: str = "") -> Flag:
    """``user`` reports ``annotation`` to its moderators (once: again updates the reason)."""
    if not isinstance(reason, str):
        raise Invalid.one("reason", "must be text")
    if len(reason) > MAX_FLAG_REASON_CHARS:
        raise Invalid.one("reason", f"at most {MAX_FLAG_REASON_CHARS} characters")
    if UNSTORABLE.search(reason):  # NUL, a lone surrogate: PostgreSQL refuses them (a 500)
        raise Invalid.one("reason", UNSTORABLE_MESSAGE)
    found, _ = Flag.objects.update_or_create(
        annotation=annotation, user=user, defaults={"reason": reason.strip()}
    )
    return found


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
    if changes.parent is not None:
        raise Invalid.one("target", "replies are not restored: their notes are elsewhere")
    if changes.target is None:
        raise Invalid.one("target", "is required")
    changes = _restorable_audience(user, changes)
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


def _restorable_audience(user, changes: Changes) -> Changes:
    """A restored note keeps "everyone" or "private", and a group only of this user's here
    (group ids are this site's): else it comes back private, never more visible."""
    if changes.visibility == Visibility.GROUP and access.role_in(user, changes.group) is None:
        return replace(changes, visibility=Visibility.PRIVATE, group=None)
    return changes


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
    for name in ("kind", "colour", "visibility", "language"):
        if (value := getattr(changes, name)) is not None:
            setattr(annotation, name, value)
    if changes.visibility is not None:
        annotation.group_id = changes.group if changes.visibility == Visibility.GROUP else None
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
    # A reply (no quote either) is never the page note being restored.
    return Annotation.objects.notes().filter(
        user=user, post=post, exact=exact, body=changes.body or "",
        kind=changes.kind or Kind.HIGHLIGHT, deleted_at__isnull=True,
    ).exists()  # fmt: skip
