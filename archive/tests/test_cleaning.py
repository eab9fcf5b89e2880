"""archive.cleaning: pure, no database."""

import time

import pytest
from selectolax.lexbor import LexborHTMLParser

from archive.cleaning import CLEANER_VERSION, clean, limit_nesting, sanitize, text_content
from archive.tests.html_checks import tags_in, unsafe_markup


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)><circle/></svg>",
        "<iframe src='https://evil.example'></iframe>",
        "<object data='x.swf'></object><embed src='x.swf'>",
        "<form action='https://evil.example'><input name=q><button>go</button></form>",
        "<meta http-equiv=refresh content='0;url=https://evil.example'>",
        "<base href='https://evil.example/'><link rel=stylesheet href='x.css'>",
        "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
        "<p style='background:url(javascript:alert(1))'>x</p>",
    ],
)
def test_dangerous_markup_is_removed(payload):
    html = sanitize(f"<p>before</p>{payload}<p>after</p>")
    assert unsafe_markup(html) == []
    assert "before" in html and "after" in html


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        " javascript:alert(1)",
    ],
)
def test_script_urls_are_removed_in_every_disguise(href):
    html = sanitize(f'<a href="{href}">link</a><img src="{href}">')
    for node in LexborHTMLParser(html).body.traverse():
        for value in (node.attributes or {}).values():
            assert "script" not in (value or "").lower() and "data:" not in (value or "")


def test_links_get_rel_noopener_noreferrer_nofollow():
    html = sanitize('<a href="https://example.org/">x</a>')
    assert 'rel="noopener noreferrer nofollow"' in html


def test_escaped_markup_in_the_text_stays_visible_text():
    cleaned = clean("<p>例如 &lt;script&gt;alert(1)&lt;/script&gt; 这段文字</p>")
    assert "<script>alert(1)</script>" in cleaned.text
    assert "script" not in tags_in(cleaned.body_html)


def test_article_structure_is_kept():
    source = (
        "<h2>小标题</h2><p><strong>粗</strong><em>斜</em><a href='https://x.org'>链接</a></p>"
        "<ul><li>一</li></ul><ol><li>二</li></ol><blockquote>引</blockquote>"
        "<table><tr><td>格</td></tr></table><figure><img src='https://x.org/a.jpg' alt='图'>"
        "<figcaption>说明</figcaption></figure><pre><code>code</code></pre>"
        "<ruby>漢<rp>(</rp><rt>hàn</rt><rp>)</rp></ruby>"
    )
    kept = tags_in(sanitize(source))
    assert {
        "h2",
        "strong",
        "em",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "table",
        "td",
        "figure",
        "img",
        "figcaption",
        "pre",
        "code",
        "ruby",
        "rt",
        "rp",
    } <= kept


def test_generator_header_is_not_part_of_the_body():
    cleaned = clean(
        "<!--1738440032000-->\n[标题](https://x.org/a)\n------\n\n<div><p>正文</p></div>"
    )
    assert cleaned.text == "正文"
    assert "标题" not in cleaned.body_html


def test_stray_null_before_the_body_is_dropped():
    assert clean("<div>\nnull       <p>正文</p></div>").text.strip() == "正文"
    assert clean("null<p>正文</p>").text == "正文"


def test_the_word_null_inside_text_is_kept():
    assert clean("<p>null hypothesis</p>").text == "null hypothesis"


def test_text_is_the_text_content_of_the_body():
    cleaned = clean("<p>a &amp; b<br>c</p>\n<p>第二段</p>")
    assert cleaned.text == "a & bc\n第二段"
    assert text_content(cleaned.body_html) == cleaned.text


def test_cleaning_is_versioned():
    assert clean("<p>x</p>").version == CLEANER_VERSION


def test_shallow_markup_is_untouched_by_the_depth_limit():
    html = "<div>" * 300 + "x" + "</div>" * 300 + "<p>y</p>" * 300
    assert limit_nesting(html) == html


def test_deep_nesting_is_unwrapped_and_keeps_every_word():
    depth = 100_000
    html = "<div>" * depth + "深处的文字" + "</div>" * depth
    started = time.perf_counter()
    cleaned = clean(html)
    elapsed = time.perf_counter() - started
    assert cleaned.text == "深处的文字"
    assert cleaned.body_html.count("<div>") <= 200
    assert elapsed < 5, "deep nesting must not be quadratic"


def test_unclosed_inline_tags_are_bounded_too():
    html = "<font><b>" * 5000 + "文字"
    assert clean(html).text == "文字"
    assert clean(html).body_html.count("<b>") <= 200
