"""archive.rendering: the script and image views of a body, and search highlights."""

from selectolax.lexbor import LexborHTMLParser

from archive.cleaning import sanitize
from archive.rendering import excerpt, highlight, render_body
from archive.search_text import Query


def test_highlight_marks_matches_across_scripts_and_escapes_the_rest():
    pattern = Query.parse("台湾").pattern()
    assert str(highlight("<b>臺灣</b>與台湾", pattern)) == (
        "&lt;b&gt;<mark>臺灣</mark>&lt;/b&gt;與<mark>台湾</mark>"
    )


def test_excerpt_centres_on_the_first_match():
    text = "甲" * 500 + "飞弹" + "乙" * 500
    snippet = str(excerpt(text, Query.parse("飞弹").pattern()))
    assert "<mark>飞弹</mark>" in snippet and snippet.startswith("…") and snippet.endswith("…")


def test_remote_images_can_become_placeholders_that_add_no_text():
    html = '<p>图<img src="https://img.example/a.jpg" alt="图一">注</p>'
    assert str(render_body(html, images="off")) == (
        '<p>图<span class="image-placeholder off" role="img" '
        'aria-label="图一 (img.example)"></span>注</p>'
    )
    clickable = str(render_body(html, images="click"))
    assert 'data-load-image="https://img.example/a.jpg"' in clickable
    assert "<img" not in clickable


def test_the_script_views_keep_the_texts_length():
    html = "<p>臺灣的經濟</p>"
    simplified = str(render_body(html, script="hans"))
    assert simplified == "<p>台湾的经济</p>"
    assert len(simplified) == len(html)


def test_latin_words_are_marked_only_where_they_stand_whole():
    pattern = Query.parse("or art AI").pattern()
    assert str(highlight("iYouPort or Part art 中国AI改变", pattern)) == (
        "iYouPort <mark>or</mark> Part <mark>art</mark> 中国<mark>AI</mark>改变"
    )


def test_a_placeholder_labels_the_image_with_its_alt_escaped_once():
    html = sanitize(
        '<img src="https://img.example/a.jpg?x=1&amp;y=2" alt="Tom &amp; &quot;Jerry&quot;">'
    )
    for mode in ("off", "click"):
        label = LexborHTMLParser(str(render_body(html, images=mode))).css_first(
            ".image-placeholder"
        )
        assert label.attrs["aria-label"] == 'Tom & "Jerry" (img.example)'
