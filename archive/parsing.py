"""Parse one Jekyll post file, as written by the RSS-to-Jekyll generator, into plain data.

Pure functions, no Django: the importer calls them in worker processes and tests call them on
inline strings. A file that cannot become a post raises ``PostError`` with the reason; anything
recoverable becomes a warning on the result and parsing goes on.

The generator's shape::

    ---
    layout: post
    title: "..."            double-quoted, but a ``\\`` in the title is not escaped
    date: 2025-02-01T20:00:32.000Z
    author: ...             unquoted: may hold ``@``, ``:`` or HTML entities
    from: https://...       the source URL, the post's identity
    tags: [ name ]
    categories: [ name ]
    ---
    <!--1738440032000-->    optional header: ms epoch (or NaN), link, rule
    [title](url)
    ------

    <div>...raw HTML on one line...</div>
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import PurePath
from urllib.parse import urlsplit

import yaml
from selectolax.lexbor import LexborHTMLParser

try:  # The C loader is ~10x faster; the wheels ship it, but a source build may not.
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _SafeLoader

MAX_FRONT_MATTER_CHARS = 64 * 1024
# Real front matter is a flat mapping with two short lists; libyaml's composer recurses in C
# for each level, and 30,000 nested "[" crashed the process (a segmentation fault).
MAX_FRONT_MATTER_DEPTH = 100
MAX_TITLE_CHARS = 500
MAX_AUTHOR_CHARS = 300
MAX_TAG_CHARS = 100
MAX_URL_CHARS = 2000
# Dates before the web or well after the import are typos, not facts.
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
DATE_DISAGREEMENT = timedelta(days=2)

_FILE_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.*?)(?:\.(?:md|markdown|html))?$", re.S)
_HEADER_STAMP = re.compile(r"<!--\s*(-?\d+|NaN|null|undefined)?\s*-->[ \t]*\r?\n")
_HEADER_LINK = re.compile(r"\[(.*)\]\((\S*)\)[ \t]*\r?\n")
_HEADER_RULE = re.compile(r"-{3,}[ \t]*(?:\r?\n|$)")
_FRONT_OPEN = re.compile(r"\A(?:[ \t]*\r?\n)*---[ \t]*\r?\n")
_FRONT_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.M)
_LEADING_SPACE = re.compile(r"\s*")
_FALLBACK_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:(?:[ \t]+(.*?))?[ \t]*$")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# What no text column can hold: control characters (NUL ends a PostgreSQL string) and lone
# surrogates (YAML's "\ud800", an undecodable byte of a file name): none is meant text.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_TAG_SPLIT = re.compile(r"[,，、;；]")


class PostError(Exception):
    """The file cannot become a post; the message says why."""


@dataclass
class Header:
    """The generator's optional header between front matter and HTML."""

    timestamp: datetime | None = None
    title: str = ""
    url: str = ""
    html_start: int = 0  # offset in raw_body where the article's HTML begins


@dataclass
class ParsedPost:
    path: str
    content_hash: str
    url: str
    title: str
    author: str
    published_at: datetime | None
    source_name: str
    tags: list[str]
    raw_front_matter: str
    raw_body: str
    warnings: list[str] = field(default_factory=list)


# --- bytes to text -----------------------------------------------------------------------


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> tuple[str, list[str]]:
    """Bytes to str: UTF-8 (with or without BOM) or, failing that, a detected encoding.

    NUL bytes are dropped (PostgreSQL text cannot hold them; the file's hash still names the
    original bytes). Line endings are kept as they are: raw fields are verbatim.
    """
    warnings = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 says so in its first bytes
        try:
            return data.decode("utf-16").replace("\x00", ""), ["UTF-16: decoded as such"]
        except UnicodeDecodeError:
            pass  # two bytes that happened to look like a BOM: go on as for any file
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        # Characters beyond ASCII that did decode: in a UTF-8 file they outnumber its stray
        # bytes; in a short GB18030 or Big5 post almost none of its bytes pair up as UTF-8.
        # One or two stray bytes are replaced whatever else: too little to guess from.
        decoded = sum(1 for char in text if char > "\x7f") - bad
        if bad <= 2 or (bad <= max(16, len(text) // 1000) and decoded >= bad):
            # A few stray bytes in a UTF-8 file: guessing another encoding would garble it all.
            warnings.append(f"{bad} invalid UTF-8 sequences (first at byte {exc.start}) replaced")
        else:
            from bs4.dammit import UnicodeDammit  # only for the rare non-UTF-8 file

            dammit = UnicodeDammit(data)
            if dammit.unicode_markup is None:  # pragma: no cover - windows-1252 always decodes
                raise PostError(f"cannot decode: not UTF-8 ({exc.reason})") from exc
            text = dammit.unicode_markup
            warnings.append(f"not UTF-8 (byte {exc.start}): decoded as {dammit.original_encoding}")
    if "\x00" in text:
        warnings.append(f"{text.count(chr(0))} NUL characters removed")
        text = text.replace("\x00", "")
    return text.removeprefix("\ufeff"), warnings


# --- front matter -------------------------------------------------------------------------


def split_front_matter(text: str) -> tuple[str, str, int]:
    """Return (front matter, body, line number where the front matter starts) verbatim."""
    opening = _FRONT_OPEN.match(text)
    if not opening:
        raise PostError("no front matter: the file does not start with a '---' line")
    closing = _FRONT_CLOSE.search(text, opening.end())
    if not closing:
        raise PostError("front matter is not closed: no second '---' line")
    front = text[opening.end() : closing.start()]
    if len(front) > MAX_FRONT_MATTER_CHARS:
        raise PostError(f"front matter is {len(front)} characters, over the limit")
    return front, text[closing.end() :], text.count("\n", 0, opening.end()) + 1


class _YamlLoader(_SafeLoader):
    """The safe loader (tags never construct objects), except that a date YAML recognises
    but cannot build (2024-02-30) stays text: the date rules below then use the file name's."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _YamlLoader.construct_yaml_timestamp)


def refuse_dangerous_yaml(front: str, first_line: int) -> None:
    """Raise PostError for front matter that would cost more than its size to load: an alias
    of an anchor (nine aliases a level, 391 bytes took 670 MB and 6 s; one level more, 2.8 GB)
    or nesting deeper than any post's. No real post has either.

    Reading the events is a second parse, so it is done only when the text could hold them:
    an alias needs an anchor (``&``) and a ``*``; nesting beyond the limit needs more than the
    limit of ``[ { - ?`` (levels made by indentation alone cost their square in characters, and
    stop at a few hundred). Events are made without recursion; what YAML rejects is left for
    the loader to report."""
    if not ("&" in front and "*" in front) and (
        front.count("[") + front.count("{") + front.count("-") + front.count("?")
        <= MAX_FRONT_MATTER_DEPTH
    ):
        return
    anchors, depth = set(), 0
    try:
        for event in yaml.parse(front, Loader=_SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                if event.anchor in anchors:
                    line = first_line + event.start_mark.line
                    raise PostError(
                        f"front matter uses a YAML alias (*{event.anchor} at line {line}): "
                        "posts never do, and aliases can expand a few bytes into gigabytes"
                    )
                continue
            if getattr(event, "anchor", None):
                anchors.add(event.anchor)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_FRONT_MATTER_DEPTH:
                    line = first_line + event.start_mark.line
                    raise PostError(
                        f"front matter nests more than {MAX_FRONT_MATTER_DEPTH} levels deep "
                        f"(line {line})"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return


def load_front_matter(front: str, first_line: int) -> tuple[dict, list[str]]:
    """YAML (safe loader: tags never construct objects), then the tolerant fallback."""
    front = front.replace("\r\n", "\n")
    refuse_dangerous_yaml(front, first_line)
    try:
        data = yaml.load(front, Loader=_YamlLoader)  # noqa: S506 - the safe loader's subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {first_line + mark.line}" if mark else "front matter"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return parse_front_matter_leniently(front), [
            f"front matter is not valid YAML ({where}: {problem}); read leniently"
        ]
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        # An explicit tag YAML cannot build its value for (!!int 08, !!bool maybe, a bare
        # !!float): PyYAML's constructors raise these, not a YAMLError.
        return parse_front_matter_leniently(front), [
            f"front matter has a tagged value YAML cannot build ({exc.__class__.__name__}: "
            f"{str(exc)[:60]}); read leniently"
        ]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return parse_front_matter_leniently(front), [
            "front matter is not a YAML mapping; read leniently"
        ]
    warnings = []
    fallback = None
    for key, value in list(data.items()):
        # The generator does not escape backslashes, so YAML may have turned "a\b" into a
        # control character silently. The literal text is what the author wrote.
        if isinstance(value, str) and _CONTROL_CHARS.search(value):
            fallback = fallback or parse_front_matter_leniently(front)
            data[key] = fallback.get(key, value)
            warnings.append(f"front matter {key!r} had an unescaped backslash; kept literally")
    return data, warnings


def parse_front_matter_leniently(front: str) -> dict:
    """Read ``key: value`` lines the way the generator meant them, whatever YAML thinks."""
    result: dict = {}
    last_key = None
    for line in front.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _FALLBACK_LINE.match(line)
        if match and not line[0].isspace():
            last_key = match.group(1)
            result[last_key] = _lenient_value(match.group(2) or "")
        elif last_key is not None and isinstance(result[last_key], str):
            result[last_key] = f"{result[last_key]} {line.strip()}".strip()
    return result


def _lenient_value(raw: str):
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    if raw.startswith("[") and raw.endswith("]"):
        return [_lenient_value(item) for item in raw[1:-1].split(",") if item.strip()]
    return raw


# --- header ------------------------------------------------------------------------------


def parse_header(raw_body: str) -> Header:
    """Find the optional ``<!--ms-->``, ``[title](url)``, ``------`` header at the top."""
    pos = _LEADING_SPACE.match(raw_body).end()  # not lstrip(): that copies the whole body
    header = Header()
    stamp = _HEADER_STAMP.match(raw_body, pos)
    if stamp:
        header.timestamp = _timestamp_from_ms(stamp.group(1))
        pos = stamp.end()
    link = _HEADER_LINK.match(raw_body, pos)
    if link:
        rule = _HEADER_RULE.match(raw_body, link.end())
        if rule:
            header.title = link.group(1).strip()
            header.url = link.group(2).strip()
            pos = rule.end()
    elif not stamp:
        return header
    header.html_start = pos
    return header


def _timestamp_from_ms(raw: str | None) -> datetime | None:
    if not raw or not raw.lstrip("-").isdigit():
        return None
    try:
        return datetime.fromtimestamp(int(raw) / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def article_html(raw_body: str) -> str:
    """The article's HTML: the raw body without the generator's header."""
    return raw_body[parse_header(raw_body).html_start :]


# --- field resolution ----------------------------------------------------------------------


def parse_post(data: bytes, path: str, *, now: datetime | None = None) -> ParsedPost:
    """Turn one file's bytes into a ParsedPost, or raise PostError saying why it can't."""
    text, warnings = decode(data)
    front, raw_body, first_line = split_front_matter(text)
    meta, yaml_warnings = load_front_matter(front, first_line)
    warnings += yaml_warnings
    header = parse_header(raw_body)
    name_date, name_title = _from_file_name(path)

    url = _resolve_url(meta, header, warnings)
    title = _clean_string(meta.get("title"), MAX_TITLE_CHARS, "title", warnings)
    if not title:
        title, used = next(
            (value, where)
            for value, where in (
                (header.title, "the header"),
                (name_title, "the file name"),
                (_first_words(raw_body), "the first words of the body"),
                (url, "the URL"),
            )
            if value
        )
        warnings.append(f"no title in front matter; used {used}")
    author = _clean_string(meta.get("author"), MAX_AUTHOR_CHARS, "author", warnings)
    published_at = _resolve_date(meta.get("date"), name_date, header.timestamp, now, warnings)
    categories = _string_list(meta.get("categories"), warnings)
    tags = _string_list(meta.get("tags"), warnings)
    source_name = (categories or tags or [urlsplit(url).hostname or "unknown"])[0]
    all_tags = _unique(tags + categories[1:])

    return ParsedPost(
        path=path,
        content_hash=content_hash(data),
        url=url,
        title=title,
        author=author,
        published_at=published_at,
        source_name=source_name[:MAX_TAG_CHARS],
        tags=all_tags,
        raw_front_matter=front,
        raw_body=raw_body,
        warnings=warnings,
    )


FIRST_WORDS_CHARS = 40


def _first_words(raw_body: str) -> str:
    """A title a person can read for a post that has none: its first heading, else the start
    of its first line of text (a file named ``2019-10-14-.md`` would otherwise show its URL)."""
    tree = LexborHTMLParser(article_html(raw_body))
    if tree.body is None:
        return ""
    heading = tree.body.css_first("h1, h2, h3")
    for candidate in ([heading] if heading is not None else []) + [tree.body]:
        for line in candidate.text(separator="\n").splitlines():
            words = " ".join(line.split())
            if words:
                if len(words) <= FIRST_WORDS_CHARS:
                    return words
                return words[:FIRST_WORDS_CHARS].rstrip(" ，,、：:") + "…"
    return ""


def _from_file_name(path: str) -> tuple[datetime | None, str]:
    match = _FILE_NAME.match(PurePath(path).name)
    if not match:
        return None, _UNSTORABLE.sub("", PurePath(path).stem).strip()
    year, month, day, title = match.groups()
    title = _UNSTORABLE.sub("", title).strip()
    try:
        return datetime(int(year), int(month), int(day), tzinfo=UTC), title
    except ValueError:
        return None, title


def _resolve_url(meta: dict, header: Header, warnings: list[str]) -> str:
    candidate = meta.get("from")
    candidate = candidate.strip() if isinstance(candidate, str) else ""
    if _is_web_url(candidate):
        return candidate
    if _is_web_url(header.url):
        warnings.append("front matter has no usable 'from' URL; used the header link")
        return header.url
    reason = f"'from' is {candidate!r}" if candidate else "'from' is missing"
    raise PostError(f"no source URL: {reason} and there is no header link")


def _is_web_url(value: str) -> bool:
    if not value or len(value) > MAX_URL_CHARS or any(c.isspace() for c in value):
        return False
    if _UNSTORABLE.search(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # "http://[": an unclosed IPv6 address
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _clean_string(value, limit: int, name: str, warnings: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value if item is not None)
    text = html.unescape(str(value))
    text = _UNSTORABLE.sub(" ", text).replace("\n", " ").strip()
    if len(text) > limit:
        warnings.append(f"{name} is {len(text)} characters; cut to {limit}")
        text = text[:limit]
    return text


def _string_list(value, warnings: list[str]) -> list[str]:
    if value is None or value == "":
        return []
    # A string is unescaped before it is split: "&lt;b&gt;" is one tag, not "&lt" and "b&gt".
    listed = isinstance(value, list)
    items = value if listed else _TAG_SPLIT.split(html.unescape(str(value)))
    names = []
    for item in items:
        if item is None or isinstance(item, (dict, list)):
            continue
        name = _UNSTORABLE.sub(" ", html.unescape(str(item)) if listed else item).strip()
        if len(name) > MAX_TAG_CHARS:
            warnings.append(f"tag {name[:20]!r}… is {len(name)} characters; cut to {MAX_TAG_CHARS}")
            name = name[:MAX_TAG_CHARS]
        if name:
            names.append(name)
    return _unique(names)


def _unique(names: list[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for name in names:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            result.append(name)
    return result


def _resolve_date(
    value, name_date: datetime | None, header_date: datetime | None, now, warnings: list[str]
) -> datetime | None:
    """Front matter date, then the file name's, then the header timestamp."""
    latest = (now or datetime.now(UTC)) + timedelta(days=2)
    front_date = _to_aware(value)
    problem = "no date in front matter"
    if value not in (None, "") and front_date is None:
        problem = f"front matter date {str(value)[:40]!r} is not a date"
    elif front_date is not None and not EARLIEST_PLAUSIBLE <= front_date <= latest:
        problem = f"front matter date {front_date.isoformat()} is implausible"
        front_date = None
    if front_date and name_date and abs(front_date - name_date) > DATE_DISAGREEMENT:
        # The generator names files after the date it saw; a front matter date far from it
        # is the feed's nonsense (a 2023 article dated 2001), so the file name wins.
        warnings.append(
            f"front matter date {front_date.date()} disagrees with the file name's "
            f"{name_date.date()}; used the file name's"
        )
        return name_date
    if front_date is not None:
        return front_date
    for fallback, label in ((name_date, "file name"), (header_date, "header timestamp")):
        if fallback is not None and EARLIEST_PLAUSIBLE <= fallback <= latest:
            warnings.append(f"{problem}; used the {label}")
            return fallback
    warnings.append(f"{problem}; no usable date anywhere, published date left empty")
    return None


def _to_aware(value) -> datetime | None:
    if isinstance(value, datetime):
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC
            return None
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=UTC)
    if isinstance(value, str) and value.strip():
        raw = value.strip()
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" +", "+"))
        except ValueError:
            return None
        return _to_aware(parsed)
    return None
