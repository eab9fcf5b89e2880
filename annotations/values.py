"""What a write of an annotation asks for, whichever edge it came from (the API's JSON-LD, an
exported file, a test): shaped by ``annotations.jsonld``, applied by ``annotations.services``.

Nothing downstream reads the request again: the services take a ``Changes`` and the
annotation (or user) it applies to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from annotations.anchoring import Selector


class Invalid(Exception):
    """Input that cannot be applied; ``errors`` are ``{"field", "message"}`` dicts naming the
    field as the client wrote it (``target.selector.exact``, ``body.tagging``...)."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str) -> Invalid:
        return cls([{"field": field, "message": message}])


@dataclass(frozen=True)
class Target:
    """A passage of a post as the client saw it. The services check it against the post's
    text (a new selection) or look for it there (a restored annotation)."""

    source: str  # target.source: the article's URL (or a reader URL of this site)
    post_id: int | None  # pizhu.post: this site's id of the post, when the client knows it
    exact: str
    start: int | None  # None when the TextPositionSelector held no whole number
    end: int | None
    prefix: str = ""
    suffix: str = ""

    @property
    def post(self) -> int | str:
        """How to find the post here: by its id when given, else by its URL."""
        return self.post_id if self.post_id is not None else self.source

    @property
    def selector(self) -> Selector:
        """The selectors as sent (a position it did not give counts as 0: the quote and its
        context still find the passage)."""
        start, end = self.start or 0, self.end or 0
        return Selector(self.exact, self.prefix, self.suffix, start, end)


@dataclass(frozen=True)
class Changes:
    """The fields an incoming annotation sets. None: not given, so a PATCH leaves it as it is
    (a full annotation gives ``kind``, ``body``, ``language`` and ``tags`` always)."""

    target: Target | None = None
    kind: str | None = None
    colour: str | None = None
    shared: bool | None = None
    body: str | None = None  # Markdown
    language: str | None = None  # BCP 47
    tags: tuple[str, ...] | None = None
    created: datetime | None = None  # kept by a restore; a new annotation is made now
    modified: datetime | None = None
