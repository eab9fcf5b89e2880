"""Simplified and traditional Chinese, one character at a time.

Both tables come from OpenCC. Converting character by character keeps every string's length,
so a position in converted text is the same position in the original: search highlights and
annotation offsets stay valid whichever script the reader shows.
"""

from __future__ import annotations

import re
from functools import cache

import opencc

# The CJK blocks OpenCC's character tables cover.
_CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00), (0x20000, 0x2A6E0))


_TABLES: dict[str, dict[int, str]] = {}


def _char_table(config: str) -> dict[int, str]:
    table = _TABLES.get(config)
    if table is None:
        table = _TABLES[config] = _build_char_table(config)
    return table


def char_tables(*configs: str) -> dict[str, dict[int, str]]:
    return {config: _char_table(config) for config in configs}


def install_char_tables(tables: dict[str, dict[int, str]]) -> None:
    """Use tables built by another process: building them loads OpenCC's dictionaries."""
    _TABLES.update(tables)


def _build_char_table(config: str) -> dict[int, str]:
    chars = [chr(c) for start, end in _CJK_RANGES for c in range(start, end)]
    converted = opencc.OpenCC(config).convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # a multi-line mapping would misalign: convert singly
        converter = opencc.OpenCC(config)
        converted = [converter.convert(char) for char in chars]
    return {
        ord(char): out
        for char, out in zip(chars, converted, strict=True)
        if out != char and len(out) == 1
    }


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified_chars(text: str) -> str:
    return text.translate(_char_table("t2s"))


@cache
def _variants() -> dict[str, str]:
    """Simplified character → itself and every traditional character that folds to it."""
    variants: dict[str, str] = {}
    for traditional, simplified in _char_table("t2s").items():
        variants[simplified] = variants.get(simplified, simplified) + chr(traditional)
    return variants


def variants(simplified: str) -> str:
    """All characters that ``to_simplified_chars`` turns into ``simplified`` (and itself)."""
    return _variants().get(simplified, simplified)


def convert(text: str, script: str) -> str:
    """``text`` in ``script`` ("hans" or "hant"), same length as ``text``.

    OpenCC's phrase tables choose better (头发 → 頭髮, not 頭發); where a phrase conversion
    would change the length, the character table is used instead.
    """
    config = {"hans": "t2s", "hant": "s2t"}[script]
    converted = _converter(config).convert(text)
    if len(converted) == len(text):
        return converted
    return text.translate(_char_table(config))


_TAG = re.compile(r"(<[^>]*>)")


def convert_html(html: str, script: str) -> str:
    """Convert only the text between tags: URLs in attributes must not change."""
    parts = _TAG.split(html)
    for index in range(0, len(parts), 2):  # even items are text, odd ones tags
        if parts[index]:
            parts[index] = convert(parts[index], script)
    return "".join(parts)


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
LANGUAGE_SAMPLE = 4000  # characters: a post's language shows long before its end


def language_of(text: str) -> str:
    """The language a text is written in, by its script, as a BCP 47 tag: ``en`` where Latin
    letters outnumber Han characters three to one, else Chinese, ``zh-Hant`` where at least
    one Han character in ten is one that the traditional → simplified table changes."""
    sample = text[:LANGUAGE_SAMPLE]
    han = _HAN.findall(sample)
    if len(_LATIN.findall(sample)) > 3 * len(han):
        return "en"
    han_text = "".join(han)
    changed = sum(a != b for a, b in zip(han_text, to_simplified_chars(han_text), strict=True))
    return "zh-Hant" if han and changed * 10 >= len(han) else "zh-Hans"
