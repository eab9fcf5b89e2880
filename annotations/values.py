"""What a write of an annotation asks for, whichever edge it came from (the API's JSON-LD, an
exported file, a test): shaped by ``annotations.jsonld``, applied by ``annotations.services``.

Nothing downstream reads the request again: the services take a ``Changes`` and the
annotation (or user) it applies to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from annotations.anchoring import Selector

# NUL ends a string in PostgreSQL; a lone surrogate cannot be written as UTF-8 at all.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "holds a NUL or an unpaired surrogate character"


def unstorable(value: str) -> bool:
    """A NUL or a lone surrogate: no database column holds either."""
    return bool(UNSTORABLE.search(value))


def clean_tags(
    names, *, field: str, max_tags: int, max_chars: int, empty_is_error: bool = True
) -> tuple[tuple[str, ...], list[dict]]:
    """Tags as Pizhu keeps them, on annotations and reading states alike, whoever sent them:
    inner whitespace collapsed, each once (any case), at most ``max_tags`` of at most
    ``max_chars`` characters; and the errors, for ``field``. An empty tag is an error, or
    passed over (``empty_is_error=False``: a CSV's "a, ,b" and trailing commas)."""
    errors, kept, seen = [], [], set()
    for tag in names:
        tag = " ".join(tag.split())
        if not tag:
            if empty_is_error:
                errors.append({"field": field, "message": "a tag cannot be empty"})
        elif unstorable(tag):
            errors.append({"field": field, "message": UNSTORABLE_MESSAGE})
        elif len(tag) > max_chars:
            errors.append(
                {"field": field, "message": f"tags are limited to {max_chars} characters"}
            )
        elif tag.casefold() not in seen:
            seen.add(tag.casefold())
            kept.append(tag)
    if len(kept) > max_tags:
        errors.append({"field": field, "message": f"at most {max_tags} tags"})
    return tuple(kept), errors


def timestamp(value) -> datetime | None:
    """An ISO 8601 time (``2024-03-04T05:06:07.123+00:00``, ``2024-03-04 05:06:07``, a
    ``Z``), in UTC when it names no zone; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value)
        return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 east of UTC
        return None


class Invalid(Exception):
    """Input that cannot be applied; ``errors`` are ``{"field", "message", "detail"}`` dicts:
    the field as the client wrote it (``target.selector.exact``, ``body.tagging``...), what
    is wrong with it, and the same as a bilingual sentence for a person (``detail``)."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = [{**e, "detail": e.get("detail") or sentence(e)} for e in errors]

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
    def is_page(self) -> bool:
        """The whole article (a page note): a target without selectors."""
        return self.exact == ""

    @property
    def selector(self) -> Selector:
        """The selectors as sent. Without a whole range the quote is taken to start the text
        (its quote and context still find the passage; an orphan keeps a valid range)."""
        if self.is_page:
            return Selector("", "", "", 0, 0)
        start, end = self.start, self.end
        if start is None or end is None or end <= start:
            start, end = 0, len(self.exact)
        return Selector(self.exact, self.prefix, self.suffix, start, end)


@dataclass(frozen=True)
class Changes:
    """The fields an incoming annotation sets. None: not given, so a PATCH leaves it as it is
    (a full annotation gives ``kind``, ``body``, ``language`` and ``tags`` always)."""

    target: Target | None = None
    kind: str | None = None
    colour: str | None = None
    visibility: str | None = None  # private, group or everyone (models.Visibility)
    group: int | None = None  # the group's id, with visibility "group"
    parent: int | None = None  # a reply: the id of the annotation it answers
    body: str | None = None  # Markdown
    language: str | None = None  # BCP 47
    tags: tuple[str, ...] | None = None
    created: datetime | None = None  # kept by a restore; a new annotation is made now
    modified: datetime | None = None


# --- the errors as a person reads them ----------------------------------------------------------

_FIELDS = {
    "target.selector.exact": ("选中的文字", "The selected text"),
    "target.selector.start": ("选区", "The selection"),
    "target.selector.end": ("选区", "The selection"),
    "target.selector": ("选区", "The selection"),
    "target.source": ("这篇文章", "The article"),
    "target": ("选区", "The selection"),
    "body": ("笔记", "The note"),
    "body.value": ("笔记", "The note"),
    "body.language": ("语言", "The language"),
    "body.tagging": ("标签", "The tags"),
    "pizhu.colour": ("颜色", "The colour"),
    "pizhu.kind": ("类型", "The kind"),
    "pizhu.shared": ("共享设置", "Sharing"),
    "pizhu.visibility": ("可见范围", "Who can see it"),
    "pizhu.group": ("小组", "The group"),
}
_MESSAGES = [
    (r"is not the text between start and end", "与文章不符，请刷新页面再选", "does not match the "
     "article's text there: reload the page and select it again"),
    (r"is past the end of the text.*", "超出了文章的末尾，请刷新页面", "is past the end of the "
     "article: reload the page"),
    (r"(?:quotes|notes) are limited to (\d+) characters", "最多 {0} 个字", "is limited to {0} "
     "characters"),
    (r"tags are limited to (\d+) characters", "每个最多 {0} 个字", "are limited to {0} "
     "characters each"),
    (r"at most (\d+) tags", "最多 {0} 个", "are limited to {0}"),
    (r"a tag cannot be empty", "不能是空的", "cannot be empty"),
    (r"must be a BCP 47 language tag.*", "要写成 en、zh-Hant 这样的语言代码", "must be a "
     "language code such as en or zh-Hant"),
    (r"must hold more than whitespace", "不能只有空白", "must be more than whitespace"),
    (r"no such post in this archive", "不在这个文库里", "is not in this archive"),
    (r"an annotation cannot move to another post", "不能换成另一篇", "cannot change"),
    (r"holds more than one note.*", "只能有一条", "can only be one"),
    (r"is required", "不能没有", "is required"),
    (r"you are not a member of this group", "你不是这个小组的成员", "is not one of your groups"),
    (r"a reply is seen by those who see its note", "跟随被回复的批注", "is that of the note it "
     "replies to"),
    (r"a hidden note keeps its audience", "不能更改：一位管理员隐藏了这条批注", "cannot change: "
     "a moderator hid this note"),
    (r"a reply needs a note", "是回复，不能是空的", "is a reply: write something"),
    (r"a page note needs a note", "是对整篇文章的笔记，不能是空的", "is a note on the whole "
     "article: write something"),
    (r"a page note is a note", "只能是笔记", "can only be a note"),
    (r"cannot turn a page note into a passage.*", "不能在页面笔记和段落批注之间转换",
     "cannot turn a page note into a note on a passage, or the reverse"),
]  # fmt: skip


def sentence(error: dict) -> str:
    """An error as a bilingual sentence ("笔记最多 20000 个字。The note is limited to…")."""
    zh_field, en_field = _FIELDS.get(error["field"], ("这条批注", "The annotation"))
    for pattern, zh, en in _MESSAGES:
        if match := re.fullmatch(pattern, error["message"]):
            return (
                f"{zh_field}{zh.format(*match.groups())}。{en_field} {en.format(*match.groups())}."
            )
    return f"{zh_field}有误。{en_field}: {error['message']}."
