"""Measures of how well the cleaner did, for ``bench/cleaning_report.py`` and the corpus test
(archive/tests/test_corpus.py); not part of the app.

They judge the cleaner from outside, with tools that know nothing of its rules:

- chrome left: looked for by its *words* in the output (the cleaner removes it by markup);
- text kept: the raw page's prose as two independent extractors read it, **jusText**
  (paragraphs judged by length, link density and, for English, stopwords: blind to class
  names, so a contribution in comment-styled markup is prose to it) and **trafilatura**
  (main-content detection), and the share of it, sentence by sentence, found in ``text``.
  An earlier measure left out blocks whose class looked like chrome before measuring: it
  said 100 % while ChinaFile conversations had lost nine tenths of their text.

What a page loses on purpose (readers' comments) counts as lost like anything else; the
report shows how much of a post's loss trafilatura reads as comments, and only posts that a
person reviewed (``REVIEWED``) may lose more than ``MIN_SHARE`` of their prose, and then only
text that trafilatura reads as comments.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import justext
import trafilatura
from selectolax.lexbor import LexborHTMLParser

from archive.parsing import article_html
from archive.tidy import CHROME_LABELS, label_of

MIN_SHARE = 0.80  # of a post's prose, kept
# Posts a person read, with what they lose on purpose: trafilatura's comments, no more.
REVIEWED = {
    "2016-05-05-互联网政治：搜索引擎中隐藏着不为人知的逻辑.md": (
        "183 spam comments (pharmacy and SEO links) under a 泡泡 article"
    ),
}

# Phrases that only page chrome says, anywhere in the cleaned text.
# (Words such as 延伸閱讀 also occur in articles: they count only as a block's whole text.)
CHROME_PHRASES = (
    "赞过：", "讚好：", "Share this:", "共享此文章：", "Like this:", "正在加载……", "Loading...",
    "Leave a Reply", "Related posts",
)  # fmt: skip

_BLOCKS = "h1, h2, h3, h4, h5, h6, p, li, div, dt"


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


# --- text kept ----------------------------------------------------------------------------------

MIN_SENTENCE = 8  # shorter pieces are labels, numbers and bylines, on both sides alike
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…])|(?<=[.])(?=[A-Z\"“‘(])")
_ENGLISH = justext.get_stoplist("English")


def _squash(text: str) -> str:
    """Whitespace, table bars and list bullets out (the extractors write them their own
    ways), compatibility forms folded (trafilatura normalises to NFC, which turns 不 U+F967
    into 不 U+4E0D): what is compared is the characters a reader reads."""
    return re.sub(r"[\s|•]+", "", unicodedata.normalize("NFKC", text))


def _sentences(paragraphs: list[str]) -> list[str]:
    found = []
    for paragraph in paragraphs:
        for piece in _SENTENCE_END.split(_squash(paragraph)):
            if len(piece) >= MIN_SENTENCE and piece not in found:
                found.append(piece)
    return found


def _is_english(text: str) -> bool:
    latin = len(re.findall(r"[A-Za-z]", text))
    return latin > 3 * len(re.findall(r"[\u3400-\u9fff\uf900-\ufaff]", text))


def _justext(page: str) -> list[str]:
    if _is_english(page):
        paragraphs = justext.justext(page.encode(), _ENGLISH, encoding="utf-8")
    else:  # no stopwords to count in Chinese: length and link density alone, at CJK lengths
        paragraphs = justext.justext(
            page.encode(), frozenset(), length_low=20, length_high=60,
            stopwords_low=0, stopwords_high=0, encoding="utf-8",
        )  # fmt: skip
    return [p.text for p in paragraphs if not p.is_boilerplate]


def _trafilatura(page: str) -> tuple[list[str], list[str]]:
    """(main text, comments) as paragraphs; list markers and table bars taken off."""
    document = trafilatura.bare_extraction(
        page, include_comments=True, include_tables=True, favor_recall=True, with_metadata=False
    )
    if document is None:
        return [], []

    def paragraphs(text: str | None) -> list[str]:
        lines = (text or "").split("\n")
        return [re.sub(r"^\s*[-*]\s+", "", cell) for line in lines for cell in line.split("|")]

    return paragraphs(document.text), paragraphs(document.comments)


@dataclass
class Kept:
    """What a cleaned text kept of its page's prose, in characters of whole sentences."""

    kept: int = 0
    total: int = 0
    lost: list[str] = field(default_factory=list)  # the sentences not found
    lost_in_comments: int = 0  # of the lost characters, those trafilatura reads as comments

    @property
    def share(self) -> float:
        return self.kept / self.total if self.total else 1.0


def kept_share(raw_body: str, text: str, *, title: str = "") -> Kept:
    """The sentences of the raw page's prose (jusText ∪ trafilatura's main text) found in
    ``text``. The title is left out: the reader shows it above the body."""
    page = f"<html><body>{article_html(raw_body)}</body></html>"
    main, comments = _trafilatura(page)
    squashed, title_text = _squash(text), _squash(title)
    comment_text = _squash("".join(comments))
    result = Kept()
    for sentence in _sentences(_justext(page) + main):
        if sentence in title_text:
            continue
        result.total += len(sentence)
        if sentence in squashed:
            result.kept += len(sentence)
        else:
            result.lost.append(sentence)
            result.lost_in_comments += len(sentence) if sentence in comment_text else 0
    return result


def acceptable(name: str, measured: Kept) -> bool:
    """At least ``MIN_SHARE`` kept; or, for a reviewed post, everything lost beyond that is
    what trafilatura reads as comments."""
    if measured.share >= MIN_SHARE:
        return True
    lost_elsewhere = measured.total - measured.kept - measured.lost_in_comments
    return name in REVIEWED and lost_elsewhere <= (1 - MIN_SHARE) * measured.total
