"""Object ids as they arrive in URLs and query strings.

Every table's key is a 64-bit signed integer: a number past 2**63 - 1 (or written with
digits other than 0-9, which ``str.isdigit`` accepts: "²") names no object, and must be a
404 or a 400, never an overflow in the database driver.
"""

from __future__ import annotations

import re

from django.urls import register_converter

MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(text: str) -> int | None:
    """The id ``text`` names, or None when it cannot name a row."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class IdConverter:
    """``<id:pk>`` in a URL pattern: an id that fits the database, else no match (404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        if (number := parse_id(value)) is None:
            raise ValueError(value)  # Django: this pattern does not match
        return number

    def to_url(self, value: int) -> str:
        return str(value)


# Registered once, when the first URL module imports this one.
register_converter(IdConverter, "id")
