"""The Hypothesis client's export file (its sidebar's "Export" → JSON) as ``Incoming`` items.
Pure: no database.

The file: ``{"export_date", "export_userid", "client_version", "annotations": [...]}``, each
annotation as the h API returns it: ``uri``, ``text`` (Markdown), ``tags``, ``created``,
``updated``, ``user``, ``target: [{"source", "selector": [RangeSelector,
TextPositionSelector, TextQuoteSelector]}]``, ``document: {"title": [...]}``, and
``references`` (the thread above it) on a reply.

What each becomes: with a TextQuoteSelector, a passage found again in the post's text by the
anchoring ladder (its prefix and suffix as context; its position, counted in UTF-16 over the
original web page, only a hint); text → a note, none → a highlight; no selector at all → a
page note, which needs text. Left out, each counted with the reason: replies (Pizhu has no
threads), and annotations of other users that a group's export carries.
"""

from __future__ import annotations

from annotations.incoming import Incoming, Limits, Refused, check_text, clean_tags
from annotations.models import Kind
from annotations.values import UNSTORABLE_MESSAGE, Changes, Target, timestamp, unstorable


def looks_like(data) -> bool:
    """A Hypothesis export: an object whose ``annotations`` are h API annotations (an empty
    list counts when the export's own keys are there)."""
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        return False
    items = data["annotations"]
    if not items:
        return "export_date" in data or "export_userid" in data
    return any(isinstance(item, dict) and ("uri" in item or "target" in item) for item in items)


def parse(data: dict, limits: Limits) -> list[Incoming]:
    """Every annotation of an export, in file order. ``Refused`` when there are more than
    ``limits.items``."""
    items = data["annotations"]
    if len(items) > limits.items:
        raise Refused(
            f"holds {len(items)} annotations, more than {limits.items} "
            "(PIZHU_MAX_RESTORE_ITEMS): split it into smaller files"
        )
    exporter = data.get("export_userid")
    exporter = exporter if isinstance(exporter, str) and exporter else None
    return [_annotation(index, item, exporter, limits) for index, item in enumerate(items)]


def _annotation(index: int, item, exporter: str | None, limits: Limits) -> Incoming:
    if not isinstance(item, dict):
        return Incoming.invalid({"item": index}, [_error("", "must be an annotation object")])
    identifier = _string(item.get("id"))
    where = {"item": index, "id": None if unstorable(identifier) else identifier[:100] or None}
    title = _title(item.get("document"))
    references = item.get("references")
    if isinstance(references, list) and references:
        return Incoming(where, skipped="a reply: Pizhu has no replies yet", title=title)
    user = item.get("user")
    if exporter and isinstance(user, str) and user and user != exporter:
        return Incoming(where, skipped=f"another user's annotation ({user[:100]})", title=title)
    errors: list[dict] = []
    source, selector = _target(item, errors)
    text = item.get("text") if item.get("text") is not None else ""
    if not isinstance(text, str):
        errors.append(_error("text", "must be a string"))
        text = ""
    errors += check_text(text, "text", limits.note_chars, "notes")
    tags = item.get("tags") if item.get("tags") is not None else []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        errors.append(_error("tags", "must be a list of strings"))
        tags = []
    tags, tag_errors = clean_tags(tags, limits, "tags")
    errors += tag_errors
    if selector is None and not text.strip() and source:
        errors.append(_error("text", "a page note needs text (it has no selector)"))
    if selector is not None:
        errors += check_text(selector.exact, "target.selector.exact", limits.quote_chars, "quotes")
    if errors:
        return Incoming.invalid(where, errors, title=title)
    target = selector or Target(source=source, post_id=None, exact="", start=None, end=None)
    return Incoming(
        where,
        Changes(
            target=target,
            kind=Kind.NOTE if text.strip() else Kind.HIGHLIGHT,
            body=text,
            language="",
            tags=tags,
            created=timestamp(_string(item.get("created")).strip()),
            modified=timestamp(_string(item.get("updated")).strip()),
        ),
        title=title,
    )


def _target(item: dict, errors: list[dict]) -> tuple[str, Target | None]:
    """The article's URL and the passage (None: a page note, or an error recorded)."""
    targets = item.get("target")
    if targets is None:
        targets = []
    if isinstance(targets, dict):
        targets = [targets]
    if not isinstance(targets, list) or not all(isinstance(t, dict) for t in targets):
        errors.append(_error("target", "must be a list of targets"))
        return "", None
    target = targets[0] if targets else {}
    source = item.get("uri") or target.get("source")
    if not isinstance(source, str) or not source.strip():
        errors.append(_error("uri", "must be the article's URL"))
        return "", None
    if unstorable(source):
        errors.append(_error("uri", UNSTORABLE_MESSAGE))
        return "", None
    source = source.strip()
    selectors = target.get("selector")
    if selectors is None or selectors == []:
        return source, None  # the whole page
    if not isinstance(selectors, list) or not all(isinstance(s, dict) for s in selectors):
        errors.append(_error("target.selector", "must be a list of selectors"))
        return source, None
    by_type = {s.get("type"): s for s in selectors if isinstance(s.get("type"), str)}
    quote = by_type.get("TextQuoteSelector")
    if quote is None:
        kinds = ", ".join(sorted(by_type)) or "none"
        errors.append(
            _error("target.selector", f"has no TextQuoteSelector to find the passage by ({kinds})")
        )
        return source, None
    exact = quote.get("exact")
    if not isinstance(exact, str) or not exact.strip():
        errors.append(_error("target.selector.exact", "must be the selected text"))
        return source, None
    position = by_type.get("TextPositionSelector", {})
    start, end = _whole(position.get("start")), _whole(position.get("end"))
    if start is None or end is None or end <= start:
        start = end = None
    prefix, suffix = _string(quote.get("prefix")), _string(quote.get("suffix"))
    for name, value in (("prefix", prefix), ("suffix", suffix)):
        if unstorable(value):
            errors.append(_error(f"target.selector.{name}", UNSTORABLE_MESSAGE))
    return (
        source,
        Target(
            source=source,
            post_id=None,
            exact=exact,
            start=start,
            end=end,
            prefix=prefix[-64:],  # context, not content: the ladder reads 32 characters a side
            suffix=suffix[:64],
        ),
    )


def _title(document) -> str:
    """``document.title``: a list of titles in the API, a string in the client's types."""
    title = document.get("title") if isinstance(document, dict) else None
    if isinstance(title, list):
        title = next((t for t in title if isinstance(t, str)), "")
    if not isinstance(title, str) or unstorable(title):
        return ""
    return " ".join(title.split())[:300]


def _whole(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**9:
        return value
    return None


def _string(value) -> str:
    return value if isinstance(value, str) else ""


def _error(name: str, message: str) -> dict:
    return {"field": name, "message": message}
