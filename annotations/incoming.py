"""Notes written by other tools, as the parsers of their files hand them to
``annotations.restore``: one ``Incoming`` per item or row, holding what to restore (a
``values.Changes``) or why not. Pure: no database, only the limits from settings.

The parsers (``annotations.hypothesis``, ``annotations.readwise``) check everything a
database or a later step would trip on (lengths, tags, NUL and lone surrogates, dates), so
that a file is read whole before anything is written and every bad item is named with the
reason while the rest goes on.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.conf import settings

from annotations import values
from annotations.values import UNSTORABLE_MESSAGE, Changes, Invalid, unstorable


class Refused(ValueError):
    """The file as a whole cannot be read (size, encoding, shape, too many items): nothing
    of it is imported."""


@dataclass(frozen=True)
class Limits:
    items: int
    quote_chars: int
    note_chars: int
    tags: int
    tag_chars: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            items=settings.PIZHU_MAX_RESTORE_ITEMS,
            quote_chars=settings.PIZHU_MAX_QUOTE_CHARS,
            note_chars=settings.PIZHU_MAX_NOTE_CHARS,
            tags=settings.PIZHU_MAX_TAGS,
            tag_chars=settings.PIZHU_MAX_TAG_CHARS,
        )


@dataclass(frozen=True)
class Incoming:
    """One item of a file: what to restore, or why it is not restored."""

    where: dict  # {"item": 3, "id": "…"} (JSON) or {"row": 5} (CSV, the header is row 1)
    changes: Changes | None = None  # None: invalid or skipped
    errors: list[dict] = field(default_factory=list)  # Invalid's {"field", "message"}
    skipped: str = ""  # why a well-formed item is left out (a reply, someone else's)
    title: str = ""  # the document's title: reports, and how Readwise rows find their post
    author: str = ""
    own_tags: tuple[str, ...] = ()  # the reader's own tags of the post (Readwise)

    @classmethod
    def invalid(cls, where: dict, errors: list[dict], **context) -> Incoming:
        return cls(where, errors=Invalid(errors).errors, **context)


def decode(raw: bytes) -> str:
    """A file's text: UTF-8 with or without a byte-order mark, or UTF-16 with one. Anything
    else is refused with where it stopped making sense, rather than guessed."""
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        name = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise Refused(
            f"is not {name}: byte {error.start} (0x{raw[error.start]:02X}) cannot be read; "
            "save it as UTF-8 (an export in GBK, Big5 or Latin-1 is not guessed at)"
        ) from None
    first_line = text[: text.find("\n")] if "\n" in text else text[:1000]
    if "\x00" in first_line:  # every other byte NUL: UTF-16 that lost its byte-order mark
        raise Refused(
            "holds NUL characters in its first line: UTF-16 without a byte-order mark? "
            "save it as UTF-8"
        )
    return text


def clean_tags(names, limits: Limits, name: str) -> tuple[tuple[str, ...], list[dict]]:
    """Tags as annotations keep them (``values.clean_tags``); an empty one is passed over:
    "a, ,b" and trailing commas meant nothing."""
    return values.clean_tags(
        names,
        field=name,
        max_tags=limits.tags,
        max_chars=limits.tag_chars,
        empty_is_error=False,
    )


def check_text(value: str, name: str, limit: int, what: str) -> list[dict]:
    """The errors of a quote or note (``what``: "quotes" or "notes") of field ``name``."""
    if unstorable(value):
        return [{"field": name, "message": UNSTORABLE_MESSAGE}]
    if len(value) > limit:
        return [{"field": name, "message": f"{what} are limited to {limit} characters"}]
    return []


def fold_title(title: str) -> str:
    """A title as two tools may write it differently: full/half width, case, whitespace."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())
