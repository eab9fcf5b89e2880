"""archive.chinese: pure."""

import pytest

from archive.chinese import convert, convert_html, language_of, to_simplified_chars


def test_traditional_characters_fold_to_simplified_one_for_one():
    assert to_simplified_chars("臺灣飛彈發展") == "台湾飞弹发展"


def test_conversion_prefers_phrases_and_keeps_the_length():
    converted = convert("头发和发展", "hant")
    assert converted == "頭髮和發展"
    assert len(converted) == len("头发和发展")
    assert convert("臺灣的飛彈", "hans") == "台湾的飞弹"


def test_html_conversion_leaves_tags_and_urls_alone():
    html = '<p>台湾<img src="https://x.org/台湾.jpg" alt="台湾"><a href="/发">发展</a></p>'
    assert convert_html(html, "hant") == (
        '<p>臺灣<img src="https://x.org/台湾.jpg" alt="台湾"><a href="/发">發展</a></p>'
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("It’s Grim out There: China’s Economy in the Year of the Dragon", "en"),
        ("China’s 经济 (the economy) is slowing, and the 央行 knows it.", "en"),
        ("台湾的夜市文化从黄昏开始，一直到深夜。", "zh-Hans"),
        ("臺灣的夜市文化從黃昏開始，一直到深夜。", "zh-Hant"),
        ("中国的 AI 模型 DeepSeek R1 发布了", "zh-Hans"),  # some English words: still Chinese
        ("", "zh-Hans"),
    ],
)
def test_a_texts_language_is_told_by_its_script(text, language):
    assert language_of(text) == language
