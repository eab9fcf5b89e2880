"""Derive the safe, rendered body of a post from its verbatim raw body.

Cleaning is a pure, versioned step: ``Post.body_html`` and ``Post.text`` are always
``clean(post.raw_body)`` for the ``CLEANER_VERSION`` stored beside them, so a better cleaner
only needs ``manage.py reclean_posts``, never the original files.

Pipeline: drop the generator's header, bound the nesting depth, tidy the article (page chrome,
lazy images, embeds, figures, spacers: ``archive.tidy``), sanitize with an allowlist (nh3),
then compute ``text`` as the browser's ``textContent`` of the result (lexbor, an HTML5 parser
like the browser's, so both see the same tree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3
from selectolax.lexbor import LexborHTMLParser

from archive.parsing import article_html
from archive.tidy import BLOCK_TAGS, tidy

CLEANER_VERSION = 4

# html5ever and lexbor take time quadratic in nesting depth (100,000 nested divs: 50 s), and
# browsers flatten past 512 levels anyway. Real articles stay far below this.
MAX_DEPTH = 200
SCAN_DEPTH = 400  # below this, nesting costs the parsers nothing worth an exact scan

ALLOWED_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col",
    "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed"},
    "time": {"datetime"},
    # Not "cite" on blockquote or q: nh3 checks the scheme of href and src only, a browser
    # shows no cite, and the raw body keeps it.
}
# Dropped together with everything inside them: none of it is article text.
DROPPED_WITH_CONTENT = {
    "script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math",
    "textarea", "select", "button", "head", "title", "frame", "frameset", "noembed", "noframes",
}  # fmt: skip
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"

_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_VOID_START = re.compile(r"<(?:{})\b".format("|".join(sorted(_VOID))), re.I)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*>")
_STRAY_NULL = re.compile(r"\A(\s*(?:<div[^>]*>\s*)?)null(?=\s|<|\Z)")
_RESTARTS_ON_SELF = frozenset(["p", "li", "dt", "dd", "option", "tr", "td", "th"])


@dataclass(frozen=True)
class Cleaned:
    body_html: str
    text: str
    version: int = CLEANER_VERSION


def clean(raw_body: str, *, title: str = "", url: str = "") -> Cleaned:
    """``title`` finds the repeated title heading; ``url`` resolves the page's relative links."""
    source = _STRAY_NULL.sub(r"\1", article_html(raw_body).strip(), count=1)
    source = limit_nesting(source)
    body_html = sanitize(tidy(source, title=title, base_url=url))
    return Cleaned(body_html=body_html, text=text_content(body_html))


_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    clean_content_tags=DROPPED_WITH_CONTENT,
    url_schemes=URL_SCHEMES,
    link_rel=LINK_REL,
    strip_comments=True,
    allowed_classes={"span": {"embed"}},
    # Remote images never tell their host which page shows them, and never block reading.
    set_tag_attribute_values={
        "img": {"loading": "lazy", "decoding": "async", "referrerpolicy": "no-referrer"}
    },
)


def sanitize(fragment: str) -> str:
    return _CLEANER.clean(fragment)


def text_content(body_html: str) -> str:
    """What ``element.textContent`` gives in a browser for the reader's article element.

    Parsed inside a <div> in <body>, as the reader page holds it: parsing ``body_html`` as a
    whole document would drop its leading whitespace, which the browser keeps.
    """
    if not body_html:
        return ""
    wrapper = LexborHTMLParser(f"<body><div>{body_html}</div>").css_first("body > div")
    return wrapper.text(deep=True, separator="", strip=False) if wrapper is not None else ""


def block_starts(body_html: str, tags: frozenset[str] = BLOCK_TAGS) -> list[int]:
    """Positions in ``text_content(body_html)`` where a new block (paragraph, list item,
    heading, table row...) or a line break begins: where an excerpt of the text, such as an
    annotation's quote, had its paragraph breaks. With ``tags=CELL_TAGS``: where table
    cells begin."""
    if not body_html:
        return []
    wrapper = LexborHTMLParser(f"<body><div>{body_html}</div>").css_first("body > div")
    if wrapper is None:
        return []
    starts, position = [], 0
    for node in wrapper.traverse(include_text=True):
        if node.tag == "-text":
            position += len(node.text_content or "")
        elif (
            node.tag in tags
            and node is not wrapper
            and position
            and (not starts or starts[-1] != position)
        ):
            starts.append(position)
    return starts


def _nesting_bound(fragment: str, chunk: int = 4096) -> int:
    """How deep elements could nest, counted chunk by chunk at C speed: the depth before a
    chunk plus every start tag in it. Nearly every document stays far below SCAN_DEPTH and
    skips the exact scan. (End tags that close nothing are counted as closing, so a file
    crafted to fool this only costs time, never safety: the sanitizer still runs.)"""
    if fragment.count("<") <= SCAN_DEPTH:
        return 0
    depth = bound = 0
    for start in range(0, len(fragment), chunk):
        piece = fragment[start : start + chunk]
        ends = piece.count("</")
        starts = piece.count("<") - ends - piece.count("<!")
        bound = max(bound, depth + starts)
        if bound > SCAN_DEPTH:
            return bound
        voids = len(_VOID_START.findall(piece)) if starts else 0
        depth = max(0, depth + starts - voids - ends)
    return bound


def limit_nesting(fragment: str, max_depth: int = MAX_DEPTH) -> str:
    """Unwrap elements nested deeper than ``max_depth``, keeping their text.

    An estimate on tags alone (no full parse, which is the slow thing to avoid): it counts
    unclosed inline tags as open, so it errs towards unwrapping, which loses only formatting.
    """
    if _nesting_bound(fragment) <= SCAN_DEPTH:
        return fragment
    stack: list[tuple[str, bool]] = []  # (tag name, kept)
    kept_depth = 0
    drop: list[tuple[int, int]] = []
    for match in _TAG.finditer(fragment):
        closing, name = match.group(1), match.group(2).lower()
        if name in _VOID:
            continue
        if not closing:
            if match.group(0).endswith("/>"):
                continue
            if name in _RESTARTS_ON_SELF and stack and stack[-1][0] == name:
                _, kept = stack.pop()
                kept_depth -= kept
            keep = kept_depth < max_depth
            stack.append((name, keep))
            kept_depth += keep
            if not keep:
                drop.append(match.span())
            continue
        # A closing tag closes the nearest open element of that name, if it is near.
        for index in range(len(stack) - 1, max(-1, len(stack) - 64), -1):
            if stack[index][0] == name:
                keep = stack[index][1]
                for _, kept in stack[index:]:
                    kept_depth -= kept
                del stack[index:]
                if not keep:
                    drop.append(match.span())
                break
    if not drop:
        return fragment
    pieces, last = [], 0
    for start, end in drop:
        pieces.append(fragment[last:start])
        last = end
    pieces.append(fragment[last:])
    return "".join(pieces)
