"""archive.search's pure parts: folding, tokens, query parsing, highlighting."""

import pytest

from archive.search import Document, Query, excerpt, fold, highlight, index_text


def test_fold_keeps_the_length_and_unifies_script_width_and_case():
    text = "臺灣ＡＢＣ　Election İx"
    assert len(fold(text)) == len(text)
    assert fold("臺灣ＡＢＣ") == "台湾abc"
    assert fold("Election") == "election"


def test_each_cjk_character_is_a_token_and_latin_words_stay_whole():
    assert index_text("美国飞弹 Missile-Defense 2020年") == "美 国 飞 弹 missile defense 2020 年"


@pytest.mark.parametrize(
    ("raw", "terms"),
    [
        ("飞弹", (("飞", "弹"),)),
        ("弹", (("弹",),)),
        ("臺灣 选举", (("台", "湾"), ("选", "举"))),
        ('"Xi Jinping" visit', (("xi", "jinping"), ("visit",))),
        ("  ", ()),
        ("' OR 1=1 --", (("or",), ("1", "1"))),
    ],
)
def test_queries_become_phrases_of_tokens(raw, terms):
    assert Query.parse(raw).terms == terms


def test_query_syntax_cannot_be_injected_into_either_engine():
    query = Query.parse("a\" OR b* NEAR(c) ' & !d")
    assert '"' not in query.fts5().replace('" AND "', "").strip('"')
    for token in ("'a'", "'or'", "'b'", "'near'", "'c'", "'d'"):
        assert token in query.tsquery()


def test_highlight_marks_matches_across_scripts_and_escapes_the_rest():
    pattern = Query.parse("台湾").pattern()
    assert str(highlight("<b>臺灣</b>與台湾", pattern)) == (
        "&lt;b&gt;<mark>臺灣</mark>&lt;/b&gt;與<mark>台湾</mark>"
    )


def test_excerpt_centres_on_the_first_match():
    text = "甲" * 500 + "飞弹" + "乙" * 500
    snippet = str(excerpt(text, Query.parse("飞弹").pattern()))
    assert "<mark>飞弹</mark>" in snippet and snippet.startswith("…") and snippet.endswith("…")


def test_long_bodies_are_cut_into_overlapping_chunks_for_postgresql(monkeypatch):
    monkeypatch.setattr("archive.search.CHUNK_TOKENS", 10)
    monkeypatch.setattr("archive.search.CHUNK_OVERLAP", 3)
    document = Document.of("t", "a", "一二三四五六七八九十壹贰叁肆伍陆柒捌玖拾")
    chunks = [chunk.split() for chunk in document.body_chunks()]
    assert chunks[0] == list("一二三四五六七八九十")
    assert chunks[1][:3] == list("八九十")  # the overlap
    assert "".join(chunks[-1]).endswith("拾")
