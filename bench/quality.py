"""Measures of how well the cleaner did, for ``bench/cleaning_report.py`` and the corpus test
(archive/tests/test_corpus.py); not part of the app.

They judge the cleaner from outside: chrome is looked for by its *words* in the output (the
cleaner removes it mostly by its markup), and article paragraphs are picked from the raw page
by a rule of their own, so a cleaner that dropped too much cannot grade itself well.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from archive.parsing import article_html
from archive.tidy import CHROME_LABELS, label_of

# Phrases that only page chrome says, anywhere in the cleaned text.
# (Words such as 延伸閱讀 also occur in articles: they count only as a block's whole text.)
CHROME_PHRASES = (
    "赞过：", "讚好：", "Share this:", "共享此文章：", "Like this:", "正在加载……", "Loading...",
    "Leave a Reply", "Related posts",
)  # fmt: skip
_BLOCKS = "h1, h2, h3, h4, h5, h6, p, li, div, dt"
# Containers whose paragraphs are not the article's, by a broad rule of thumb on class and id.
_NOT_ARTICLE = re.compile(
    r"(^|[-_])(share|sharing|sharedaddy|related|relatedposts|comments?|respond|author|meta"
    r"|footer|nav|navigation|widget|sidebar|tags)([-_]|$)",
    re.I,
)
MIN_PARAGRAPH = 30  # shorter paragraphs are too often captions, bylines and labels


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def chrome_left(body_html: str, title: str) -> list[str]:
    """What chrome is left in a cleaned body: phrases, label-only blocks, the title heading,
    empty paragraphs, a leading 'null'."""
    found = [phrase for phrase in CHROME_PHRASES if phrase in body_html]
    if not body_html.strip():
        return found
    tree = LexborHTMLParser(body_html)
    for block in tree.css(_BLOCKS):
        text = block.text(deep=True, separator="", strip=False)
        label = label_of(text)
        if label in CHROME_LABELS:
            found.append(f"label {label!r}")
        if (
            block.tag == "p"
            and not _squash(text).replace("\u3000", "")
            and not block.css_first("img, br, figure, table")
        ):
            found.append(f"empty paragraph {block.html[:80]!r}")
    first_heading = tree.css_first("h1, h2, h3")
    if (
        title.strip()
        and first_heading is not None
        and _squash(first_heading.text()) == _squash(title)
    ):
        found.append("title heading")
    body_text = tree.body.text() if tree.body is not None else ""
    if body_text.lstrip().startswith("null"):
        found.append("leading null")
    return found


def article_paragraphs(raw_body: str) -> list[str]:
    """The raw page's paragraphs of some length outside anything that looks like chrome."""
    tree = LexborHTMLParser(article_html(raw_body))
    paragraphs = []
    for paragraph in tree.css("p"):
        node, inside_chrome = paragraph.parent, False
        while node is not None and node.tag not in ("body", "html"):
            marks = f"{node.attrs.get('class') or ''} {node.attrs.get('id') or ''}".split()
            if node.tag in ("nav", "footer", "aside", "form") or any(
                _NOT_ARTICLE.search(mark) for mark in marks
            ):
                inside_chrome = True
                break
            node = node.parent
        text = _squash(paragraph.text(deep=True, separator="", strip=False))
        if not inside_chrome and len(text) >= MIN_PARAGRAPH:
            paragraphs.append(text)
    return paragraphs


def kept_share(raw_body: str, text: str) -> tuple[int, int]:
    """(characters of article paragraphs found in ``text``, characters of article paragraphs)."""
    squashed = _squash(text)
    paragraphs = article_paragraphs(raw_body)
    kept = sum(len(p) for p in paragraphs if p in squashed)
    return kept, sum(len(p) for p in paragraphs)
