"""A reader's own tags on posts (``library.models.ReadingState.tags``, apart from the
archive's ``Post.tags``) as the notebook, the exports and the JSON-LD import see them.

They are private like every reading state: each function takes the user first and reads
nobody else's rows. Writes go through ``library.state`` (its one write path).

In W3C JSON-LD a post's own tags are one annotation of the whole article: motivation
``tagging``, target ``{"source": <article url>}`` without a selector, a TextualBody with
purpose ``tagging`` per tag, and ``pizhu.ownTags``; its id is the post's state in the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef

from annotations.jsonld import CONTEXT
from annotations.values import Invalid, clean_tags, unstorable
from library import state
from library.models import ReadingState, TaggedReadingState

MOTIVATION = "tagging"


@dataclass
class PostTags:
    """One post's own tags, and when the reader's state of the post began: the stamp of
    the tags in exports (the state's ``updated_at`` moves whenever the reader scrolls, and
    the same tags must give the same file)."""

    names: list[str]
    since: datetime
    username: str  # whose they are (the JSON-LD's creator)


def of_posts(user, post_ids) -> dict[int, PostTags]:
    """``user``'s own tags of these posts by post id (posts without any left out), in one
    query, each list in the order every page and export shows them."""
    if not user.is_authenticated:
        return {}
    rows = TaggedReadingState.objects.filter(
        content_object__user=user, content_object__post_id__in=list(post_ids)
    ).values_list("content_object__post_id", "tag__name", "content_object__created_at")
    found: dict[int, PostTags] = {}
    for post_id, name, since in rows:
        found.setdefault(post_id, PostTags([], since, user.get_username())).names.append(name)
    for tags in found.values():
        tags.names.sort(key=str.casefold)
    return found


def tagged_states(user, *, tag: str | None = None):
    """``user``'s reading states that hold an own tag (``tag``: that one, any case)."""
    tags = TaggedReadingState.objects.filter(content_object=OuterRef("pk"))
    if tag:
        tags = tags.filter(tag__name__iexact=tag)
    return ReadingState.objects.of(user).filter(Exists(tags))


def add(user, post_id: int, names) -> tuple[str, ...]:
    """Add ``names`` to ``user``'s own tags of the post, keeping those it has (a union, so
    an import never takes a tag away). Returns the tags that were new; nothing is written
    when none is. ``Invalid`` (field ``tags``) when a name is not a tag or the union would
    hold more than ``PIZHU_MAX_TAGS``."""
    wanted = state.parse({"tags": list(names)}, partial=True, post_id=post_id, text_length=0)
    found = of_posts(user, [post_id]).get(post_id)
    current = found.names if found else []
    known = {name.casefold() for name in current}
    new = tuple(name for name in wanted["tags"] if name.casefold() not in known)
    if new:
        merged = state.parse(
            {"tags": [*current, *new]}, partial=True, post_id=post_id, text_length=0
        )
        state.change(user, post_id, merged)
    return new


def split(text: str) -> list[str]:
    """Tags as a person types them in one box: separated by commas (ASCII or Chinese, 、) or
    lines; a leading # is dropped (people write #tag). Spaces stay inside a tag."""
    names = (name.strip().lstrip("#").strip() for name in re.split(r"[,，、;；\n]", text))
    return [name for name in names if name]


# --- JSON-LD -----------------------------------------------------------------------------------


def to_jsonld(post, tags: PostTags, *, base_url: str = "") -> dict:
    """The W3C annotation of ``post``'s own ``tags``."""
    return {
        "@context": CONTEXT,
        "id": f"{base_url}/api/posts/{post.pk}/state",
        "type": "Annotation",
        "motivation": MOTIVATION,
        "created": tags.since.isoformat(),
        "creator": {"type": "Person", "nickname": tags.username},
        "target": {"source": post.url},
        "body": [
            {"type": "TextualBody", "purpose": "tagging", "value": name} for name in tags.names
        ],
        "pizhu": {"post": post.pk, "ownTags": True},
    }


def is_own_tags(item) -> bool:
    """Whether a JSON-LD item is a post's own tags: a tagging annotation of a whole article
    (a tagging annotation of a passage is not, and is refused as an annotation)."""
    if not isinstance(item, dict) or item.get("motivation") != MOTIVATION:
        return False
    target = item.get("target")
    return isinstance(target, str) or (isinstance(target, dict) and "selector" not in target)


@dataclass(frozen=True)
class OwnTags:
    """A post's own tags as a file holds them: the post by its article URL (ids differ
    between sites), the tags as written."""

    source: str
    tags: tuple[str, ...]


def parse_jsonld(item: dict) -> OwnTags:
    """Check an item ``is_own_tags`` says is one; ``Invalid`` names every bad field."""
    errors = []
    target = item.get("target")
    source = target if isinstance(target, str) else target.get("source")
    if not isinstance(source, str) or not source or unstorable(source):
        errors.append(_error("target.source", "must be the article's URL"))
    bodies = item.get("body", [])
    if isinstance(bodies, dict):
        bodies = [bodies]
    tags = []
    # Counted before any tag is looked at, as an annotation's bodies are.
    if not isinstance(bodies, list):
        errors.append(_error("body", "must be a list of TextualBody objects"))
    elif len(bodies) > settings.PIZHU_MAX_TAGS:
        errors.append(_error("body.tagging", f"at most {settings.PIZHU_MAX_TAGS} tags"))
    elif not all(_is_tag(body) for body in bodies):
        errors.append(_error("body", "must be TextualBody objects with purpose tagging"))
    else:
        tags, problems = clean_tags(
            [body["value"] for body in bodies],
            field="body.tagging",
            max_tags=settings.PIZHU_MAX_TAGS,
            max_chars=settings.PIZHU_MAX_TAG_CHARS,
        )
        errors += problems
    if errors:
        raise Invalid(errors)
    return OwnTags(source=source, tags=tuple(tags))


def _error(field: str, message: str) -> dict:
    return {"field": field, "message": message}


def _is_tag(body) -> bool:
    return (
        isinstance(body, dict)
        and body.get("purpose") == "tagging"
        and isinstance(body.get("value"), str)
        and not unstorable(body["value"])
    )
