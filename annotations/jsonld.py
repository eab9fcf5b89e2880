"""Annotations as W3C Web Annotation JSON-LD, both ways.

The same shape goes out of the API and the JSON-LD export and comes back into them.
``target.source`` is the article's own URL (``Post.url``, the archive's natural key), so a file
exported from one Pizhu finds its posts in another; Pizhu's own fields (kind, colour, state,
sharing) ride in a ``pizhu`` object, which JSON-LD processors ignore.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve

from annotations.models import Annotation, Colour, Kind

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MOTIVATIONS = {
    Kind.HIGHLIGHT: "highlighting",
    Kind.NOTE: "commenting",
    Kind.TRANSLATION: "commenting",
}
# BCP 47, loosely: a language, then subtags of letters and digits (zh-Hant, en-GB, yue-HK).
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


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
        "id": f"{base_url}/api/annotations/{annotation.pk}",
        "type": "Annotation",
        "motivation": MOTIVATIONS[annotation.kind],
        "created": annotation.created_at.isoformat(),
        "modified": annotation.modified_at.isoformat(),
        "creator": {"type": "Person", "nickname": annotation.user.get_username()},
        "target": {
            "source": annotation.post.url,
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": annotation.exact,
                    "prefix": annotation.prefix,
                    "suffix": annotation.suffix,
                },
                {"type": "TextPositionSelector", "start": annotation.start, "end": annotation.end},
            ],
        },
        "pizhu": {
            "post": annotation.post_id,
            "reader": f"{base_url}{annotation.get_absolute_url()}",
            "kind": annotation.kind,
            "colour": annotation.colour,
            "colourName": annotation.get_colour_display(),
            "bodyHtml": annotation.body_html,
            "state": annotation.state,
            "shared": annotation.shared,
            "version": annotation.version,
        },
    }
    if bodies:
        data["body"] = bodies
    return data


@dataclass
class Changes:
    """What an incoming annotation asks for; only the keys it carried are set."""

    values: dict = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)

    def error(self, name: str, message: str) -> None:
        self.errors.append({"field": name, "message": message})


def parse(data, *, partial: bool) -> Changes:
    """Validate an incoming W3C annotation. ``partial`` (PATCH): absent keys stay as they are.

    Sets ``post`` (a post id or article URL, resolved by the caller), ``exact``/``start``/``end``,
    ``kind``, ``colour``, ``body``, ``language``, ``tags`` and ``shared``.
    """
    changes = Changes()
    if not isinstance(data, dict):
        changes.error("", "expected a JSON object")
        return changes
    extra = data.get("pizhu", {})
    if not isinstance(extra, dict):
        changes.error("pizhu", "must be an object")
        extra = {}
    _parse_target(data, extra, changes, partial=partial)
    _parse_kind(data, extra, changes, partial=partial)
    if "colour" in extra:
        if extra["colour"] in Colour.values:
            changes.values["colour"] = extra["colour"]
        else:
            changes.error("pizhu.colour", f"must be one of {', '.join(Colour.values)}")
    if "shared" in extra:
        if isinstance(extra["shared"], bool):
            changes.values["shared"] = extra["shared"]
        else:
            changes.error("pizhu.shared", "must be true or false")
    if "body" in data or not partial:
        _parse_body(data.get("body", []), changes)
    return changes


def _parse_target(data: dict, extra: dict, changes: Changes, *, partial: bool) -> None:
    target = data.get("target")
    if target is None:
        if not partial:
            changes.error("target", "is required")
        return
    if not isinstance(target, dict):
        changes.error("target", "must be an object with source and selector")
        return
    post = extra.get("post")
    if post is not None and (not isinstance(post, int) or isinstance(post, bool)):
        changes.error("pizhu.post", "must be a post id")
        return
    source = target.get("source")
    if post is None and (not isinstance(source, str) or not source):
        changes.error("target.source", "must be the article's URL")
        return
    changes.values["post"] = post if post is not None else source
    selectors = target.get("selector")
    if isinstance(selectors, dict):
        selectors = [selectors]
    if not isinstance(selectors, list):
        changes.error("target.selector", "must list a TextQuoteSelector and a TextPositionSelector")
        return
    by_type = {s.get("type"): s for s in selectors if isinstance(s, dict)}
    quote, position = by_type.get("TextQuoteSelector"), by_type.get("TextPositionSelector")
    if quote is None or position is None:
        changes.error(
            "target.selector", "needs both a TextQuoteSelector and a TextPositionSelector"
        )
        return
    exact = quote.get("exact")
    if not isinstance(exact, str) or not exact:
        changes.error("target.selector.exact", "must be the selected text")
        return
    if len(exact) > settings.PIZHU_MAX_QUOTE_CHARS:
        changes.error(
            "target.selector.exact",
            f"quotes are limited to {settings.PIZHU_MAX_QUOTE_CHARS} characters",
        )
        return
    changes.values.update(exact=exact, start=position.get("start"), end=position.get("end"))


def _parse_kind(data: dict, extra: dict, changes: Changes, *, partial: bool) -> None:
    kind = extra.get("kind")
    if kind is None and "motivation" in data:
        kind = {"highlighting": Kind.HIGHLIGHT, "commenting": Kind.NOTE}.get(data["motivation"])
        if kind is None:
            changes.error("motivation", "must be highlighting or commenting")
            return
    if kind is None:
        if not partial:
            changes.values["kind"] = Kind.HIGHLIGHT
        return
    if kind not in Kind.values:
        changes.error("pizhu.kind", f"must be one of {', '.join(Kind.values)}")
        return
    changes.values["kind"] = kind


def _parse_body(bodies, changes: Changes) -> None:
    if isinstance(bodies, dict):
        bodies = [bodies]
    if not isinstance(bodies, list) or not all(isinstance(b, dict) for b in bodies):
        changes.error("body", "must be a list of TextualBody objects")
        return
    text, language, tags = "", "", []
    for body in bodies:
        value = body.get("value", "")
        if not isinstance(value, str):
            changes.error("body.value", "must be a string")
            return
        if body.get("purpose") == "tagging":
            tags.append(value)
            continue
        if text:
            changes.error("body", "holds more than one note (only tags may repeat)")
            return
        text, language = value, body.get("language", "")
    if len(text) > settings.PIZHU_MAX_NOTE_CHARS:
        changes.error(
            "body.value", f"notes are limited to {settings.PIZHU_MAX_NOTE_CHARS} characters"
        )
    if not isinstance(language, str) or (language and not _LANGUAGE.match(language)):
        changes.error("body.language", "must be a BCP 47 language tag such as en or zh-Hant")
        language = ""
    cleaned_tags = []
    for tag in tags:
        tag = " ".join(tag.split())
        if not tag:
            changes.error("body.tagging", "a tag cannot be empty")
        elif len(tag) > settings.PIZHU_MAX_TAG_CHARS:
            changes.error(
                "body.tagging", f"tags are limited to {settings.PIZHU_MAX_TAG_CHARS} characters"
            )
        elif tag.casefold() not in {t.casefold() for t in cleaned_tags}:
            cleaned_tags.append(tag)
    if len(cleaned_tags) > settings.PIZHU_MAX_TAGS:
        changes.error("body.tagging", f"at most {settings.PIZHU_MAX_TAGS} tags")
    changes.values.update(body=text, language=language, tags=cleaned_tags)


def post_id_from_reader_url(url: str, host: str) -> int | None:
    """The post id in a reader URL of this site (``/posts/12/`` or on ``host``), else None."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != host:
        return None
    path = parts.path
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name == "archive:post_detail":
        return match.kwargs["pk"]
    return None
