"""archive.search_text: folding, tokens, query parsing, index documents (no database)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive.search_text import Document, Query, fold, index_text

ROOT = Path(__file__).resolve().parents[2]


def test_fold_keeps_the_length_and_unifies_script_width_and_case():
    text = "臺灣ＡＢＣ　Election İx"
    assert len(fold(text)) == len(text)
    assert fold("臺灣ＡＢＣ") == "台湾abc"
    assert fold("Election") == "election"


def test_cjk_runs_are_indexed_as_character_pairs_and_latin_words_stay_whole():
    assert index_text("美国飞弹 Missile-Defense 2020年 家") == (
        "美国 国飞 飞弹 弹z missile defense 2020 年z 家z"
    )


@pytest.mark.parametrize(
    ("raw", "fts5", "tsquery"),
    [
        ("飞弹", '"飞弹"', "('飞弹')"),
        ("弹", '"弹"*', "('弹':*)"),  # one character: the pairs it opens
        ("防御系统", '"防御" + "御系" + "系统"', "('防御' <-> '御系' <-> '系统')"),
        ("国家abc", '"国家" + "家z" + "abc"', "('国家' <-> '家z' <-> 'abc')"),
        ("臺灣 选举", '"台湾" AND "选举"', "('台湾') & ('选举')"),
    ],
)
def test_queries_become_phrases_of_pairs(raw, fts5, tsquery):
    query = Query.parse(raw)
    assert (query.fts5(), query.tsquery()) == (fts5, tsquery)


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
    query = Query.parse('a" OR b* NEAR(c) \' & !d 中"文')
    # Only word characters inside quotes; between them only the operators we write.
    assert re.fullmatch(r'("\w+"\*?)( (AND|\+) "\w+"\*?)*', query.fts5()), query.fts5()
    assert re.fullmatch(r"\(('\w+'(:\*)?)( <-> '\w+'(:\*)?)*\)( & \(.*\))*", query.tsquery())
    for token in ("'a'", "'or'", "'b'", "'near'", "'c'", "'d'"):
        assert token in query.tsquery()


def test_long_bodies_are_cut_into_overlapping_chunks_for_postgresql(monkeypatch):
    monkeypatch.setattr("archive.search_text.CHUNK_TOKENS", 10)
    monkeypatch.setattr("archive.search_text.CHUNK_OVERLAP", 3)
    document = Document.of("t", "a", " ".join("一二三四五六七八九十壹贰叁肆伍陆柒捌玖拾"))
    chunks = [chunk.split() for chunk in document.body_chunks()]
    assert chunks[0] == [c + "z" for c in "一二三四五六七八九十"]
    assert chunks[1][:3] == ["八z", "九z", "十z"]  # the overlap
    assert chunks[-1][-1] == "拾z"


def test_the_text_side_of_search_and_the_import_workers_load_no_django():
    """Spawned import workers stay small because this side never imports Django."""
    code = (
        "import sys, archive.search_text, archive.pipeline; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"
