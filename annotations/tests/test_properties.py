"""Properties of anchoring and of the JSON-LD parser over generated input (hypothesis): pure,
no database.

Texts are made of what articles hold (Chinese and English prose, full-width forms, layout
whitespace, invisible characters, look-alike lines of tables and polls) and then edited the
ways a re-import edits them; annotations arrive as arbitrary JSON and as well-formed ones with
one field made wrong.
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from annotations.anchoring import Selector, anchor, anchor_all, describe
from annotations.jsonld import parse
from annotations.models import Annotation, Colour, Kind
from annotations.values import Changes, Invalid
from conftest import examples

# --- anchoring ------------------------------------------------------------------------------

PIECES = [
    "中国", "的", "经济", "增长放缓", "专家说", "这是结构性的问题", "短期内难以扭转", "外交政策",
    "臺灣", "經濟", "这", "，", "。", "、", "：", "“", "”", "《", "》", "……", "—",
    "The", "the", "minister", "said", "growth", "will", "recover", "Growth", ",", ".", "'",
    "ｍｉｎｉｓｔｅｒ", "ＡＢＣ", "１２３", "2014", "127", "İ", "ß", "ﬁ", "㈱", "😀",
    " ", " ", "  ", "\n", "\n\n", "\t", "\u3000", "\u00a0", "\u200b", "\u00ad", " " * 40,
    "投票统计： 127", "第1行：状态 正常，备注 无。", "第2行：状态 正常，备注 无。",
]  # fmt: skip
pieces = st.one_of(st.sampled_from(PIECES), st.text(max_size=3))
phrases = st.lists(pieces, min_size=1, max_size=8).map("".join)
texts = st.lists(phrases, min_size=1, max_size=24).map("".join)


@st.composite
def selections(draw, text: str) -> tuple[int, int]:
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, min(len(text), start + draw(st.sampled_from([3, 12, 80])))))
    return start, end


# What a re-clean may change without changing the words: width, case, punctuation, spaces.
_FOLDS = [
    {**{chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}},  # ASCII to full width
    {"，": ",", "。": ".", "、": ",", "“": '"', "”": '"', "—": "-"},
    {" ": "  ", "\n": " \n", "\u3000": " ", "\u00a0": " "},
    {c: c + "\u200b" for c in "中国经济的增长 "},
    {c: c.swapcase() for c in "TtGgMmIi"},
]


def _edit(draw, text: str, quote: tuple[int, int]) -> str:
    """One edit a re-import may make: anywhere, or at the quote (about where it was)."""
    size = len(text)
    near = st.integers(min(size, max(0, quote[0] - 2)), min(size, quote[1] + 2))
    at = draw(st.one_of(st.integers(0, size), near))
    until = min(size, at + draw(st.sampled_from([1, 1, 2, 5, 40])))
    kind = draw(
        st.sampled_from(
            [
                "insert",
                "insert copy",
                "delete",
                "replace",
                "typo",
                "rewrite",
                "fold",
                "move",
                "repeat",
            ]
        )
    )
    if kind == "insert":
        return text[:at] + draw(phrases) + text[at:]
    if kind == "insert copy":  # a look-alike of some passage, the quote's perhaps
        start = draw(st.integers(0, size))
        return text[:at] + text[start : start + draw(st.integers(1, 60))] + text[at:]
    if kind == "delete":
        return text[:at] + text[until:]
    if kind == "replace":
        return text[:at] + draw(pieces) + text[until:]
    if kind == "typo":  # one character changed inside the quote
        at = draw(st.integers(min(size, quote[0]), min(size, max(quote[0], quote[1] - 1))))
        return text[:at] + draw(st.sampled_from(["错", "x", "的", "，", " "])) + text[at + 1 :]
    if kind == "rewrite":  # words of the quote replaced by as many other characters
        other = draw(
            st.text(st.sampled_from("的一是在不了有和人这中大为上个国我以要他"), min_size=2)
        )
        start = min(size, max(quote[0], at))
        return text[:start] + other + text[start + len(other) :]
    if kind == "fold":
        table = str.maketrans(draw(st.sampled_from(_FOLDS)))
        start, end = draw(st.sampled_from([(at, until), quote, (0, size)]))
        return text[:start] + text[start:end].translate(table) + text[end:]
    paragraphs = text.split("\n\n")
    index = draw(st.integers(0, len(paragraphs) - 1))
    paragraph = paragraphs.pop(index) if kind == "move" else paragraphs[index]
    paragraphs.insert(draw(st.integers(0, len(paragraphs))), paragraph)
    return "\n\n".join(paragraphs)


@st.composite
def edited_texts(draw) -> tuple[str, Selector, str]:
    """A text, a selection in it, and the text after a few edits (or none)."""
    text = draw(texts.filter(lambda t: t.strip()))
    start, end = draw(selections(text))
    selector = describe(text, start, end)
    new = text
    for _ in range(draw(st.integers(0, 4))):
        new = _edit(draw, new, (start, end))
    return text, selector, new


# What "the same passage" may mean, as the README states it (not read from anchoring.py, so
# that a loosened budget or a normalisation that folds too much fails here): both sides
# normalised (NFKC character by character, lower case, CJK punctuation, whitespace runs,
# invisible characters), then at most one edit in eight, none under 8 characters, and one
# edit for a typo fixed inside a short quote between its intact context.
_CJK_PUNCTUATION = {"。": ".", "、": ",", "「": '"', "」": '"', "『": '"', "』": '"', "“": '"',
                    "”": '"', "‘": "'", "’": "'", "—": "-", "–": "-", "…": "."}  # fmt: skip
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _normal(text: str) -> str:
    folded = []
    for char in text:
        fold = _CJK_PUNCTUATION.get(char) or unicodedata.normalize("NFKC", char).lower()
        folded.append(fold if len(fold) == 1 else char)  # lengths hold: ㈱ stays itself
    return re.sub(r"\s+", " ", _INVISIBLE.sub("", "".join(folded)))


def _tolerated(length: int) -> int:
    return max(1, 0 if length < 8 else min(length // 8, 256))


def _ends(text: str) -> set[str]:
    return {text, text.lstrip(), text.rstrip(), text.strip()}


def _allowed(found: str, exact: str) -> bool:
    quote, place = _normal(exact), _normal(found)
    # Whitespace at either end of either side is not a word (a place's range takes in the
    # whitespace beside it): each end counts with or without it.
    distance = min(Levenshtein.distance(a, b) for a in _ends(quote) for b in _ends(place))
    return distance <= _tolerated(len(quote))


def _check(result, text: str, selector: Selector) -> None:
    event(f"method: {result.method if result else 'orphaned'}")
    if result is None:
        return
    assert 0 <= result.start < result.end <= len(text), result
    found = text[result.start : result.end]
    assert _allowed(found, selector.exact), (result.method, found, selector.exact)


@settings(
    max_examples=examples(400),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(edited_texts())
def test_an_edited_text_never_gets_a_quote_placed_on_other_words(case):
    old, selector, new = case
    (with_previous,) = anchor_all(new, [selector], previous=old)
    for result in (anchor(new, selector), with_previous):
        _check(result, new, selector)
        if new == old:  # nothing changed: the passage is where it was
            assert result is not None and (result.start, result.end) == (
                selector.start,
                selector.end,
            )


@st.composite
def any_selectors(draw) -> tuple[str, Selector]:
    """Selectors as a restored file may carry them: a passage's own, with its quote, context
    or positions made wrong (taken from elsewhere, edited, negative, past the end, huge)."""
    text = draw(texts.filter(lambda t: t.strip()))
    start, end = draw(selections(text))
    fields = vars(describe(text, start, end)).copy()

    def elsewhere():
        at = draw(st.integers(0, len(text)))
        return text[at : at + draw(st.integers(0, 40))]

    wrong = {
        "exact": st.one_of(st.builds(elsewhere), phrases, st.just(fields["exact"] + "错")),
        "prefix": st.one_of(st.builds(elsewhere), phrases, st.just(fields["prefix"][:-1])),
        "suffix": st.one_of(st.builds(elsewhere), phrases, st.just(fields["suffix"][1:])),
        "start": st.one_of(st.integers(-len(text) - 2, len(text) + 2), st.integers()),
        "end": st.one_of(st.integers(-len(text) - 2, len(text) + 2), st.integers()),
    }
    for name in draw(st.lists(st.sampled_from(sorted(wrong)), min_size=1, max_size=3)):
        fields[name] = draw(wrong[name])
    return text, Selector(**fields)


@settings(max_examples=examples(300), deadline=None)
@given(any_selectors())
@example(("abcdef", Selector("def", "", "", -3, 6)))
def test_any_selector_is_placed_on_its_own_words_within_the_text_or_orphaned(case):
    text, selector = case
    _check(anchor(text, selector), text, selector)


# --- the JSON-LD parser ----------------------------------------------------------------------

ODD_STRINGS = [
    "", " ", "\ud800", "\udfff", "a\x00b", "\x00", "highlighting", "commenting", "tagging",
    "TextQuoteSelector", "TextPositionSelector", "TextualBody", "zh-Hant", "2024-13-45",
    "9999-12-31T23:59:59+14:00", "yellow", "note", "https://example.org/economy",
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**100, -1, 0, 10**4000]),
    st.floats(),  # json.loads reads NaN and Infinity too
    st.text(st.characters(codec=None), max_size=20),  # lone surrogates arrive as \ud800
    st.sampled_from(ODD_STRINGS),
    st.sampled_from([51, 10_001, 20_001, 100_000]).map(lambda n: "é" * n),  # over the limits
)
keys = st.one_of(st.text(max_size=8), st.sampled_from(ODD_STRINGS))
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)


def _nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


odd_values = st.one_of(
    scalars,
    json_values,
    st.sampled_from([[], {}, [None], [{}], {"type": ["TextQuoteSelector"]}]),
    st.builds(_nested, st.sampled_from([50, 200])),
)

VALID = {
    "@context": "http://www.w3.org/ns/anno.jsonld",
    "type": "Annotation",
    "motivation": "commenting",
    "created": "2024-05-01T12:00:00+00:00",
    "modified": "2024-05-01T12:05:00+00:00",
    "target": {
        "source": "https://example.org/economy",
        "selector": [
            {"type": "TextQuoteSelector", "exact": "增长放缓", "prefix": "中国的经济",
             "suffix": "了"},
            {"type": "TextPositionSelector", "start": 30, "end": 34},
        ],
    },
    "body": [
        {"type": "TextualBody", "value": "一条笔记", "format": "text/markdown",
         "purpose": "commenting", "language": "zh-Hans"},
        {"type": "TextualBody", "purpose": "tagging", "value": "经济"},
    ],
    "pizhu": {"post": 1, "kind": "note", "colour": "yellow", "shared": False},
}  # fmt: skip


def _paths(value, path=()):
    """Every place in ``value`` a field could be made wrong: (container path, key)."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        yield path, key
        if isinstance(child, dict | list):
            yield from _paths(child, (*path, key))


def _texts_with(*odd: str):
    """A field's own kind of text with something wrong in it, or arbitrary text."""
    return st.one_of(
        st.builds("{}{}{}".format, st.text(max_size=5), st.sampled_from(odd), st.text(max_size=5)),
        st.text(st.characters(codec=None), max_size=20),
    )


# Wrong values that look like the field's own: a string field gets strings (with NUL, lone
# surrogates, over its limit), a number field numbers, a name field other names or lists.
UNSTORABLE = ("\x00", "\ud800", "\udfff", "\udc80x")
FIELD_VALUES = {
    "language": st.one_of(
        st.from_regex(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,12}", fullmatch=True),
        st.integers(1, 12).map(lambda n: "-".join(["zh", *["Hant1234"] * n])),  # long, well formed
        st.just("zh-Hant1234-Hant1234-Hant1234-Hant1234"),  # past the column's 35 characters
        _texts_with("zh-Hant", "en-", "-", *UNSTORABLE),
    ),
    "value": st.one_of(
        _texts_with(*UNSTORABLE, " ", "\n"), st.sampled_from([20_001, 51, 2]).map(lambda n: "x" * n)
    ),
    "exact": st.one_of(_texts_with(*UNSTORABLE), st.just(10_001).map(lambda n: "x" * n)),
    "prefix": _texts_with(*UNSTORABLE),
    "suffix": _texts_with(*UNSTORABLE),
    "source": _texts_with(*UNSTORABLE, "https://example.org/economy"),
    "start": st.one_of(st.integers(), st.sampled_from([2**31, 2**63, 10**100, -1])),
    "end": st.one_of(st.integers(), st.sampled_from([2**31, 2**63, 10**100, -1])),
    "post": st.one_of(st.integers(), st.sampled_from([2**63, 10**100, -1, True])),
    "created": st.sampled_from(
        [
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-14:00",
            "2024-02-30",
            "2024-05-01",
            "2024-05-01T12:00:00+24:00",
            "+002024-05-01",
            "2024-W18",
            "\x00",
        ]
    ),
    "motivation": st.sampled_from([["commenting"], {"a": 1}, "tagging", "Highlighting"]),
    "kind": st.sampled_from([["note"], "Note", "tag", {}]),
    "colour": st.sampled_from([["yellow"], "Yellow", "red", {}]),
    "type": st.sampled_from([["TextQuoteSelector"], {"a": 1}, "TextPositionSelector"]),
    "purpose": st.sampled_from([["tagging"], "Tagging", "commenting"]),
    "shared": st.sampled_from(["true", 1, 0, None]),
}
FIELD_VALUES["modified"] = FIELD_VALUES["created"]
PLACES = list(_paths(VALID))
# The fields themselves (strings, numbers), where most mistakes are: drawn more often.
FIELDS = [(path, key) for path, key in PLACES if key in FIELD_VALUES]


def _change(draw, data: dict, place: tuple) -> None:
    """Make the field at ``place`` wrong (a value of its own kind or any), or remove it."""
    path, key = place
    own = FIELD_VALUES.get(key, odd_values)
    container = data
    try:
        for step in path:
            container = container[step]
        if isinstance(container, dict) != isinstance(key, str):
            return  # an earlier change made a list an object or back: not JSON's shape here
        action = draw(st.sampled_from(["wrong", "wrong", "wrong", "remove", "add"]))
        if action == "remove":
            del container[key]
        elif action == "add" and isinstance(container, list):
            container.append(draw(odd_values))
        else:
            container[key] = draw(st.one_of(own, own, own, odd_values))
    except (KeyError, IndexError, TypeError):
        pass  # an earlier change already took this place away


@st.composite
def near_valid_annotations(draw, place: tuple | None = None) -> dict:
    """A well-formed annotation with the field at ``place`` made wrong, and perhaps others
    (mostly one mistake, so that it is the one the parser has to find)."""
    data = copy.deepcopy(VALID)
    if place is not None:
        _change(draw, data, place)
    for _ in range(draw(st.sampled_from([0, 0, 1, 2] if place else [1, 1, 1, 2, 3]))):
        _change(draw, data, draw(st.one_of(st.sampled_from(FIELDS), st.sampled_from(PLACES))))
    if not draw(st.integers(0, 3)):  # many tags, over the limit and repeated
        tags = st.sampled_from(["a", "A", " a ", "经济", "x" * 51, "", "\x00"])
        data["body"] = [
            {"type": "TextualBody", "purpose": "tagging", "value": draw(tags)}
            for _ in range(draw(st.integers(0, 40)))
        ]
    return data


def _storable(value: str) -> bool:
    """PostgreSQL text holds no NUL; UTF-8 has no lone surrogates."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _check_parse(data, partial: bool) -> None:
    """The parser either turns the annotation away with errors a client can read (Invalid,
    never another exception), or gives changes the database can store within its limits."""
    try:
        changes = parse(data, partial=partial)
    except Invalid as error:
        assert error.errors
        for problem in error.errors:
            assert all(isinstance(problem[k], str) for k in ("field", "message", "detail"))
        return
    assert isinstance(changes, Changes)
    strings = [changes.body or "", changes.language or "", *(changes.tags or ())]
    if changes.target is not None:
        target = changes.target
        strings += [target.source, target.exact, target.prefix, target.suffix]
        # No selector at all is a page note (the whole article): no quote, no range.
        if target.is_page:
            assert (target.exact, target.start, target.end) == ("", None, None)
        else:
            assert 0 < len(target.exact) <= django_settings.PIZHU_MAX_QUOTE_CHARS
        for position in (target.start, target.end):  # PositiveIntegerField on PostgreSQL
            assert position is None or 0 <= position < 2**31, position
    assert all(_storable(value) for value in strings), strings
    language_limit = Annotation._meta.get_field("language").max_length
    assert len(changes.language or "") <= language_limit, changes.language
    assert len(changes.body or "") <= django_settings.PIZHU_MAX_NOTE_CHARS
    assert len(changes.tags or ()) <= django_settings.PIZHU_MAX_TAGS
    assert all(0 < len(tag) <= django_settings.PIZHU_MAX_TAG_CHARS for tag in changes.tags or ())
    assert changes.kind in (None, *Kind.values) and changes.colour in (None, *Colour.values)
    for stamp in (changes.created, changes.modified):
        assert stamp is None or (stamp.tzinfo is not None and not math.isnan(stamp.timestamp()))


def _valid_with(*path, value) -> dict:
    """VALID with the field at ``path`` set to ``value``."""
    data = copy.deepcopy(VALID)
    container = data
    for step in path[:-1]:
        container = container[step]
    container[path[-1]] = value
    return data


TAGS_BODY = [{"type": "TextualBody", "purpose": "tagging", "value": f"t{n}"} for n in range(5000)]


@settings(max_examples=examples(400), deadline=None)
@given(data=st.one_of(json_values, near_valid_annotations()), partial=st.booleans())
# Known and found mistakes, tried on every run.
@example(data=_valid_with("motivation", value=["commenting"]), partial=False)
@example(data=_valid_with("target", "selector", 0, "type", value=["x"]), partial=False)
@example(data=_valid_with("target", "selector", 0, "exact", value="\ud800"), partial=False)
@example(data=_valid_with("body", 0, "value", value="a\x00b"), partial=True)
@example(data=_valid_with("body", 0, "value", value=_nested(200)), partial=False)
@example(data=_valid_with("body", value=TAGS_BODY), partial=False)
@example(
    data=_valid_with("body", 0, "language", value="-".join(["zh"] + ["Hant1234"] * 4)),
    partial=False,
)
def test_any_json_is_refused_with_errors_or_accepted_as_storable_changes(data, partial):
    _check_parse(data, partial)


def _name(place: tuple) -> str:
    path, key = place
    return ".".join(map(str, (*path, key)))


@pytest.mark.parametrize("place", PLACES, ids=_name)
@settings(max_examples=examples(15), deadline=None)
@given(data=st.data(), partial=st.booleans())
def test_each_field_made_wrong_is_refused_with_errors_or_accepted_as_storable(place, data, partial):
    _check_parse(data.draw(near_valid_annotations(place), label="annotation"), partial)
