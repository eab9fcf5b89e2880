"""Notes are Markdown written by users: rendered without raw HTML, then sanitized with an
allowlist all the same (a link to ``javascript:`` is Markdown too)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable("image")

ALLOWED_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6", "del", "s",
}  # fmt: skip


def render(markdown: str) -> str:
    """Safe HTML for a note (images are left as text: a note must not fetch anything)."""
    if not markdown.strip():
        return ""
    return nh3.clean(
        _md.render(markdown),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "ol": {"start"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()
