"""archive.chinese: pure."""

from archive.chinese import convert, convert_html, to_simplified_chars


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
