"""How a cleaned body is shown (in which script, with which remote images), and how search
matches are shown in titles and excerpts.

Whatever is shown keeps ``Post.text`` as its ``textContent``: the script conversion keeps
every length, and image placeholders carry no text (their label comes from CSS). Annotation
offsets therefore hold in every view of a post.
"""

from __future__ import annotations

import re
from html import escape, unescape
from urllib.parse import urlsplit

from django.utils.safestring import SafeString, mark_safe

from archive.chinese import convert_html
from archive.lru import LRU

SCRIPTS = ("orig", "hans", "hant")

# nh3 writes <img> with src first and double-quoted attributes (archive.cleaning).
_IMG = re.compile(r'<img src="([^"]*)"([^>]*)>')
_ALT = re.compile(r'\balt="([^"]*)"')


def _placeholder(match: re.Match, clickable: bool) -> str:
    src = match.group(1)
    alt_match = _ALT.search(match.group(2))
    alt = alt_match.group(1) if alt_match else ""  # as nh3 wrote it: escaped already
    host = urlsplit(unescape(src)).hostname or ""
    label = escape(f"{unescape(alt)} ({host})" if alt else host, quote=True)
    if clickable:
        return (
            f'<button type="button" class="image-placeholder" data-load-image="{src}" '
            f'data-alt="{alt}" aria-label="{label}" title="{label}"></button>'
        )
    return f'<span class="image-placeholder off" role="img" aria-label="{label}"></span>'


# Converted bodies, bounded in bytes (the key holds the body too): posts can be 600 KB.
_rendered = LRU(16_000_000, weigh=lambda key, html: len(key[0]) + len(html))


def _render(body_html: str, script: str, images: str) -> str:
    if script not in ("hans", "hant") and images == "load":
        return body_html  # shown as stored: nothing to do, nothing to keep
    key = (body_html, script, images)
    if (found := _rendered.get(key)) is not None:
        return found
    html = body_html
    if script in ("hans", "hant"):
        html = convert_html(html, script)
    if images != "load":
        html = _IMG.sub(lambda m: _placeholder(m, images == "click"), html)
    _rendered.put(key, html)
    return html


def render_body(body_html: str, *, script: str = "orig", images: str = "load") -> SafeString:
    """``body_html`` is sanitized at import; everything added here is escaped."""
    return mark_safe(_render(body_html, script, images))  # noqa: S308


# --- Search results -----------------------------------------------------------------------


def highlight(text: str, pattern: re.Pattern) -> SafeString:
    """``text`` escaped, with the terms' matches in <mark>."""
    pieces, last = [], 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f"<mark>{escape(text[match.start() : match.end()])}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece is escaped above)


def excerpt(text: str, pattern: re.Pattern, width: int = 160) -> SafeString:
    """The passage around the first match, highlighted; the beginning if nothing matches.
    Only the passage is touched: posts can be 600 KB."""
    match = pattern.search(text)
    start = max(0, match.start() - width // 3) if match else 0
    cut = text[start : start + 3 * width]
    passage = " ".join(cut.split())
    more = len(passage) > width or start + len(cut) < len(text)
    return mark_safe(  # noqa: S308 (highlight escapes)
        ("…" if start else "") + highlight(passage[:width], pattern) + ("…" if more else "")
    )
