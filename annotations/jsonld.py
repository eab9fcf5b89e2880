"""Annotations as W3C Web Annotation JSON-LD, both ways.

The same shape goes out of the API and the JSON-LD export and comes back into them: ``parse``
checks an incoming annotation's shape and makes it a ``values.Changes``; what it means for
a post's text is the services' to check.

``target.source`` is the article's own URL (``Post.url``, the archive's natural key), so a file
exported from one Pizhu finds its posts in another; Pizhu's own fields (kind, colour, state,
sharing) ride in a ``pizhu`` object, which JSON-LD processors ignore.
"""

from __future__ import annotations

import json
import re

from django.conf import settings

from annotations.models import Annotation, Colour, Kind, Visibility
from annotations.values import (
    UNSTORABLE,
    UNSTORABLE_MESSAGE,
    Changes,
    Invalid,
    Target,
    clean_tags,
    timestamp,
)

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MOTIVATIONS = {
    Kind.HIGHLIGHT: "highlighting",
    Kind.NOTE: "commenting",
    Kind.TRANSLATION: "commenting",
}
# Bounds on a request's shape, checked before any per-item work: nothing a client sends can
# make parsing cost more than the sizes below allow (a JSON annotation nests 4 levels deep).
MAX_DEPTH = 12
MAX_SELECTORS = 10
# A position past any real text: posts are capped in bytes at import, far below this.
MAX_POSITION = 10**9
# BCP 47, loosely: a language, then subtags of letters and digits (zh-Hant, en-GB, yue-HK),
# 35 characters at most (RFC 5646's advice, and Annotation.language's length).
_LANGUAGE = re.compile(r"(?=.{2,35}\Z)[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*\Z")


def annotation_to_jsonld(annotation: Annotation, *, base_url: str = "") -> dict:
    """``base_url`` (scheme and host) makes the ids absolute; empty keeps them as paths."""
    bodies = []
    if annotation.body:
        body = {
            "type": "TextualBody",
            "value": annotation.body,
            "format": "text/markdown",
            "purpose": "commenting",
        }
        if annotation.language:
            body["language"] = annotation.language
        bodies.append(body)
    # A write knows the tags it just set (``tag_names``); a read prefetches them.
    names = getattr(annotation, "tag_names", None)
    if names is None:
        names = [tag.name for tag in annotation.tags.all()]
    bodies += [
        {"type": "TextualBody", "purpose": "tagging", "value": name} for name in sorted(names)
    ]
    data = {
        "@context": CONTEXT,
        "id": annotation_iri(annotation.pk, base_url),
        "type": "Annotation",
        "motivation": REPLYING if annotation.is_reply else MOTIVATIONS[annotation.kind],
        "created": annotation.created_at.isoformat(),
        "modified": annotation.modified_at.isoformat(),
        "creator": {"type": "Person", "nickname": annotation.user.get_username()},
        "target": {"source": annotation.post.url},
        "pizhu": {
            "post": annotation.post_id,
            "reader": f"{base_url}{annotation.get_absolute_url()}",
            "kind": annotation.kind,
            "colour": annotation.colour,
            "colourName": annotation.get_colour_display(),
            "bodyHtml": annotation.body_html,
            "state": annotation.state,
            "visibility": annotation.visibility,
            "group": annotation.group_id,
            # For old clients: "shared" was "everyone signed in".
            "shared": annotation.visibility == Visibility.EVERYONE,
            "pageNote": annotation.is_page_note,
            "replies": _reply_count(annotation),
            "hidden": annotation.hidden_at is not None,
            "version": annotation.version,
        },
    }
    if annotation.group_id is not None:
        data["pizhu"]["groupName"] = annotation.group.name
    if annotation.is_reply:
        data["pizhu"]["parent"] = annotation.parent_id
        # W3C: a reply's target is the annotation it answers (its IRI); one whose note is
        # gone for good (its author's account deleted) keeps to the article.
        if annotation.parent_id is not None:
            data["target"] = annotation_iri(annotation.parent_id, base_url)
    # A page note targets the whole article, like Hypothesis' page notes: no selector.
    if not annotation.is_page_note and not annotation.is_reply:
        data["target"]["selector"] = [
            {
                "type": "TextQuoteSelector",
                "exact": annotation.exact,
                "prefix": annotation.prefix,
                "suffix": annotation.suffix,
            },
            {"type": "TextPositionSelector", "start": annotation.start, "end": annotation.end},
        ]
    if bodies:
        data["body"] = bodies
    return data


REPLYING = "replying"
_ANNOTATION_IRI = re.compile(r"(?:^|/api/annotations/)(\d{1,18})/?\Z")


def annotation_iri(pk: int, base_url: str = "") -> str:
    return f"{base_url}/api/annotations/{pk}"


def _reply_count(annotation: Annotation) -> int:
    """Annotated by ``with_reply_counts`` on reads; counted here after a write."""
    count = getattr(annotation, "reply_count", None)
    if count is None:
        count = (
            Annotation.objects.filter(pk=annotation.pk)
            .with_reply_counts()
            .values_list("reply_count", flat=True)
            .first()
        ) or 0
    return count


class _Parsed:
    """What parsing has found so far: the fields for ``Changes``, and the errors."""

    def __init__(self):
        self.fields: dict = {}
        self.errors: list[dict] = []

    def error(self, name: str, message: str) -> None:
        self.errors.append({"field": name, "message": message})


def loads(raw: bytes | str):
    """A JSON document from a request or a file; ``Invalid`` when it is not JSON or nests
    deeper than any annotation document does."""
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise Invalid.one("", f"the JSON nests more than {MAX_DEPTH} levels deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid.one("", f"the body is not JSON: {exc}") from exc
    return data


def _check_shape(data, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse what no annotation holds, before anything reads it: nesting deeper than
    ``max_depth``, and strings no database can store (NUL, lone surrogates), by field."""
    pending = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            if depth == max_depth:
                raise Invalid.one(_path_to(data, value), f"nests more than {max_depth} levels")
            for key, item in value.items():
                if UNSTORABLE.search(key):
                    raise Invalid.one(_path_to(data, value), UNSTORABLE_MESSAGE)
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            if depth == max_depth:
                raise Invalid.one(_path_to(data, value), f"nests more than {max_depth} levels")
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and UNSTORABLE.search(value):
            raise Invalid.one(_path_to(data, value), UNSTORABLE_MESSAGE)


def _path_to(data, wanted) -> str:
    """Where ``wanted`` (that very object) sits in ``data``: body.0.value. Only called to
    name the field of an error, so the walk above builds no paths."""
    pending = [(data, "")]
    while pending:
        value, where = pending.pop()
        if value is wanted:
            return where
        if isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            pending += [(item, f"{where}.{key}" if where else str(key)) for key, item in items]
    return ""


def parse(data, *, partial: bool) -> Changes:
    """Validate an incoming W3C annotation; raise ``Invalid`` naming every bad field.
    ``partial`` (PATCH): absent keys stay as they are.

    The post is named by ``pizhu.post`` (an id) or ``target.source`` (a URL); the services
    find it and check the selection against its text."""
    parsed = _Parsed()
    if not isinstance(data, dict):
        raise Invalid.one("", "expected a JSON object")
    _check_shape(data)
    extra = data.get("pizhu", {})
    if not isinstance(extra, dict):
        parsed.error("pizhu", "must be an object")
        extra = {}
    _parse_target(data, extra, parsed, partial=partial)
    _parse_kind(data, extra, parsed, partial=partial)
    if "colour" in extra:
        if isinstance(extra["colour"], str) and extra["colour"] in Colour.values:
            parsed.fields["colour"] = extra["colour"]
        else:
            parsed.error("pizhu.colour", f"must be one of {', '.join(Colour.values)}")
    _parse_visibility(extra, parsed)
    if "body" in data or not partial:
        _parse_body(data.get("body", []), parsed)
    for name in ("created", "modified"):
        if stamp := timestamp(data.get(name)):
            parsed.fields[name] = stamp
    if parsed.errors:
        raise Invalid(parsed.errors)
    return Changes(**parsed.fields)


def _parse_visibility(extra: dict, parsed: _Parsed) -> None:
    """``pizhu.visibility`` (with ``pizhu.group`` for a group), or the old ``pizhu.shared``:
    true is "everyone", false "private". Whether the group is the user's, the services say."""
    if "shared" in extra and "visibility" not in extra:
        if isinstance(extra["shared"], bool):
            parsed.fields["visibility"] = (
                Visibility.EVERYONE if extra["shared"] else Visibility.PRIVATE
            )
        else:
            parsed.error("pizhu.shared", "must be true or false")
        return
    if "visibility" not in extra:
        if extra.get("group") is not None:
            parsed.error("pizhu.visibility", 'must be "group" when a group is named')
        return
    visibility = extra["visibility"]
    if not isinstance(visibility, str) or visibility not in Visibility.values:
        parsed.error("pizhu.visibility", f"must be one of {', '.join(Visibility.values)}")
        return
    group = extra.get("group")
    if visibility == Visibility.GROUP:
        if not isinstance(group, int) or isinstance(group, bool) or not 0 < group <= MAX_POSITION:
            parsed.error("pizhu.group", "must be the id of one of your groups")
            return
        parsed.fields["group"] = group
    elif group is not None:
        parsed.error("pizhu.group", 'is only given with visibility "group"')
        return
    parsed.fields["visibility"] = visibility


def _parse_reply_target(data: dict, parsed: _Parsed) -> None:
    """A reply's target: the IRI of the annotation it answers (or its id), as a string or
    an object's ``id`` or ``source``."""
    target = data.get("target")
    if isinstance(target, list) and len(target) == 1:
        target = target[0]
    if isinstance(target, dict):
        target = target.get("id") or target.get("source")
    if isinstance(target, int) and not isinstance(target, bool):
        target = str(target)
    match = _ANNOTATION_IRI.search(target) if isinstance(target, str) else None
    if match is None:
        parsed.error("target", "a reply's target must be the id of the annotation it answers")
        return
    parsed.fields["parent"] = int(match.group(1))


def _parse_target(data: dict, extra: dict, parsed: _Parsed, *, partial: bool) -> None:
    if data.get("motivation") == REPLYING:
        if "target" in data or not partial:
            _parse_reply_target(data, parsed)
        return
    target = data.get("target")
    if target is None:
        if not partial:
            parsed.error("target", "is required")
        return
    if not isinstance(target, dict):
        parsed.error("target", "must be an object with source and selector")
        return
    post = extra.get("post")
    if post is not None and (not isinstance(post, int) or isinstance(post, bool)):
        parsed.error("pizhu.post", "must be a post id")
        return
    source = target.get("source")
    if post is None and (not isinstance(source, str) or not source):
        parsed.error("target.source", "must be the article's URL")
        return
    selectors = target.get("selector")
    if selectors is None:  # the whole article: a page note
        parsed.fields["target"] = Target(
            source=source if isinstance(source, str) else "",
            post_id=post,
            exact="",
            start=None,
            end=None,
        )
        return
    if isinstance(selectors, dict):
        selectors = [selectors]
    if not isinstance(selectors, list):
        parsed.error("target.selector", "must list a TextQuoteSelector and a TextPositionSelector")
        return
    if len(selectors) > MAX_SELECTORS:
        parsed.error("target.selector", f"at most {MAX_SELECTORS} selectors")
        return
    by_type = {s["type"]: s for s in selectors if isinstance(s, dict) and _named(s)}
    quote, position = by_type.get("TextQuoteSelector"), by_type.get("TextPositionSelector")
    if quote is None or position is None:
        parsed.error("target.selector", "needs both a TextQuoteSelector and a TextPositionSelector")
        return
    exact = quote.get("exact")
    if not isinstance(exact, str) or not exact:
        parsed.error("target.selector.exact", "must be the selected text")
        return
    if len(exact) > settings.PIZHU_MAX_QUOTE_CHARS:
        parsed.error(
            "target.selector.exact",
            f"quotes are limited to {settings.PIZHU_MAX_QUOTE_CHARS} characters",
        )
        return
    start, end = _position(position, "start", parsed), _position(position, "end", parsed)
    if start is not None and end is not None and end <= start:
        parsed.error("target.selector.end", "must be a whole number greater than start")
    parsed.fields["target"] = Target(
        source=source if isinstance(source, str) else "",
        post_id=post,
        exact=exact,
        start=start,
        end=end,
        prefix=_text(quote.get("prefix")),
        suffix=_text(quote.get("suffix")),
    )


def _named(selector: dict) -> bool:
    return isinstance(selector.get("type"), str)


def _position(selector: dict, name: str, parsed: _Parsed) -> int | None:
    """A position as a whole number, None when absent (a restored annotation is found by
    its quote); anything else is an error."""
    value = selector.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_POSITION:
        parsed.error(f"target.selector.{name}", "must be a whole number ≥ 0")
        return None
    return value


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _parse_kind(data: dict, extra: dict, parsed: _Parsed, *, partial: bool) -> None:
    kind = extra.get("kind")
    if data.get("motivation") == REPLYING:
        if kind not in (None, Kind.NOTE):
            parsed.error("pizhu.kind", "a reply is a note")
            return
        parsed.fields["kind"] = Kind.NOTE
        return
    if kind is None and "motivation" in data:
        motivation = data["motivation"]
        kind = {"highlighting": Kind.HIGHLIGHT, "commenting": Kind.NOTE}.get(
            motivation if isinstance(motivation, str) else None
        )
        if kind is None:
            parsed.error("motivation", "must be highlighting, commenting or replying")
            return
    if kind is None:
        if not partial:
            parsed.fields["kind"] = Kind.HIGHLIGHT
        return
    if not isinstance(kind, str) or kind not in Kind.values:
        parsed.error("pizhu.kind", f"must be one of {', '.join(Kind.values)}")
        return
    parsed.fields["kind"] = kind


def _parse_body(bodies, parsed: _Parsed) -> None:
    if isinstance(bodies, dict):
        bodies = [bodies]
    if not isinstance(bodies, list) or not all(isinstance(b, dict) for b in bodies):
        parsed.error("body", "must be a list of TextualBody objects")
        return
    # Counted before any tag is looked at: one note and the tags allowed, duplicates aside.
    if len(bodies) > 1 + settings.PIZHU_MAX_TAGS:
        parsed.error("body.tagging", f"at most {settings.PIZHU_MAX_TAGS} tags")
        return
    text, language, tags = "", "", []
    for body in bodies:
        value = body.get("value", "")
        if not isinstance(value, str):
            parsed.error("body.value", "must be a string")
            return
        if body.get("purpose") == "tagging":
            tags.append(value)
            continue
        if text:
            parsed.error("body", "holds more than one note (only tags may repeat)")
            return
        text, language = value, body.get("language", "")
    if len(text) > settings.PIZHU_MAX_NOTE_CHARS:
        parsed.error(
            "body.value", f"notes are limited to {settings.PIZHU_MAX_NOTE_CHARS} characters"
        )
    if not isinstance(language, str) or (language and not _LANGUAGE.match(language)):
        parsed.error("body.language", "must be a BCP 47 language tag such as en or zh-Hant")
        language = ""
    cleaned_tags, errors = clean_tags(
        tags,
        field="body.tagging",
        max_tags=settings.PIZHU_MAX_TAGS,
        max_chars=settings.PIZHU_MAX_TAG_CHARS,
    )
    parsed.errors += errors
    parsed.fields.update(body=text, language=language, tags=cleaned_tags)


def items_of(data, *, limit: int) -> list:
    """The annotations of a JSON-LD document: a collection (pages linked by ``first`` and
    ``next`` when embedded), a page, a list, or one annotation. ValueError when it is none
    of these, or holds more than ``limit`` items."""
    if isinstance(data, list):
        items = data
    elif not isinstance(data, dict):
        raise ValueError("expected a JSON object or list")
    elif (kind := data.get("type")) == "AnnotationCollection":
        items, page = [], data.get("first")
        while isinstance(page, dict) and len(items) <= limit:
            items += _page_items(page)
            page = page.get("next")
    elif kind == "AnnotationPage":
        items = _page_items(data)
    elif kind == "Annotation":
        items = [data]
    else:
        raise ValueError(
            f"expected an AnnotationCollection, AnnotationPage or Annotation, not {kind!r}"
        )
    if len(items) > limit:
        raise ValueError(f"holds more than {limit} annotations: split it into smaller files")
    return items


def _page_items(page: dict) -> list:
    items = page.get("items", [])
    if not isinstance(items, list):
        raise ValueError("an AnnotationPage's items must be a list")
    return items


def collection(annotations, *, base_url: str, label: str = "Pizhu notes") -> dict:
    """An AnnotationCollection of ``annotations`` with everything in its first page."""
    items = [annotation_to_jsonld(a, base_url=base_url) for a in annotations]
    return {
        "@context": CONTEXT,
        "type": "AnnotationCollection",
        "label": label,
        "total": len(items),
        "first": {"type": "AnnotationPage", "startIndex": 0, "items": items},
    }
