"""archive.search_text: folding, tokens, query parsing, index documents (no database)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive.search_text import MAX_KEY, Grams, Query, fold, index_text

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
    ("raw", "fts5"),
    [
        ("飞弹", '"飞弹"'),
        ("弹", '"弹"*'),  # one character: the pairs it opens
        ("防御系统", '"防御" + "御系" + "系统"'),
        ("国家abc", '"国家" + "家z" + "abc"'),
        ("臺灣 选举", '"台湾" AND "选举"'),
    ],
)
def test_queries_become_phrases_of_pairs_for_sqlite(raw, fts5):
    assert Query.parse(raw).fts5() == fts5


@pytest.mark.parametrize(
    ("raw", "keys", "checks"),
    [
        ("弹", ["弹"], []),  # one key answers up to three characters, or a word
        ("飞弹", ["飞弹"], []),
        ("防御系", ["防御系"], []),
        ("防御系统", ["防御系", "御系统"], ["防御系统"]),  # longer: its triples, then the text
        ("臺灣 选举", ["台湾", "选举"], []),
        ("MISSILE", ["missile"], []),
        ('"missile defense"', ["missile", "defense"], [" missile defense "]),  # words in a row
        ("国家abc", ["国家", "abc"], ["国家 abc "]),  # a run then a word, nothing between
        ("x" * (MAX_KEY + 5), ["x" * MAX_KEY], [" " + "x" * (MAX_KEY + 5) + " "]),
    ],
)
def test_queries_become_keys_and_the_phrases_keys_cannot_settle_for_postgresql(raw, keys, checks):
    assert Query.parse(raw).grams() == (keys, checks)


def test_a_posts_grams_are_its_characters_pairs_triples_and_words():
    grams = Grams.of("臺灣", "作者", "美国飞弹 Missile-Defense")
    assert set(grams.keys.split()) == {
        *"台湾作者美国飞弹",
        *("台湾", "作者", "美国", "国飞", "飞弹", "美国飞", "国飞弹"),
        *("missile", "defense"),
    }
    # The text as runs: words between spaces, fields apart, so that a phrase is a substring
    # and never runs from the title into the body.
    assert grams.text == " 台湾 \n 作者 \n 美国飞弹 missile defense "
    assert grams.head == " 台湾 \n 作者 "
    for needle in Query.parse('"missile defense" 国飞 美国飞弹').needles():
        assert needle in grams.text
    for needle in Query.parse('"defense missile" 湾作 miss').needles():
        assert needle not in grams.text


def test_a_very_long_word_is_indexed_by_its_start():
    grams = Grams.of("", "", "a" * 3000)
    assert grams.keys == "a" * MAX_KEY


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
    # PostgreSQL's keys and phrases are parameters, never SQL; still, only word characters.
    keys, checks = query.grams()
    assert all(re.fullmatch(r"\w+", key) for key in keys), keys
    assert all(re.fullmatch(r"[\w ]+", check) for check in checks), checks


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
