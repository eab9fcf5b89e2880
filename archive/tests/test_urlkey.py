"""archive.urlkey: one key per article URL (pure, no database)."""

import pytest

from archive.urlkey import url_key


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.org/2024/a-post",
        "http://example.org/2024/a-post",
        "https://www.example.org/2024/a-post/",
        "https://EXAMPLE.org:443/2024/a-post#comments",
        "https://example.org/2024/a-post?utm_source=feed&utm_medium=rss",
        "https://example.org/2024/a-post?source=rss----1a2b3c4d5e---4",
        "https://example.org/2024/a-post?fbclid=abc&gclid=def",
        "  https://example.org/2024/a-post  ",
        "https://example.org/2024/%61-post",
    ],
)
def test_every_way_of_writing_the_article_gives_one_key(variant):
    assert url_key(variant) == "example.org/2024/a-post"


def test_parameters_that_name_the_page_are_kept_in_one_order():
    assert (
        url_key("https://example.org/read?p=2&id=7&utm_campaign=x") == "example.org/read?id=7&p=2"
    )
    assert url_key("https://example.org/read?id=7&p=2") == url_key(
        "https://example.org/read?p=2&id=7"
    )


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.org/a", "https://example.org/b"),
        ("https://example.org/A", "https://example.org/a"),  # paths are case-sensitive
        ("https://example.org/a?id=1", "https://example.org/a?id=2"),
        ("https://example.org:8080/a", "https://example.org/a"),
        ("https://news.example.org/a", "https://example.org/a"),
    ],
)
def test_different_articles_keep_different_keys(one, other):
    assert url_key(one) != url_key(other)


@pytest.mark.parametrize(
    "odd", ["", "not a url", "mailto:x@example.org", "https://[::1/x", "x" * 3000, "标题" * 900]
)
def test_what_is_not_a_web_address_is_kept_bounded_and_ascii(odd):
    key = url_key(odd)
    assert key.isascii() and len(key) <= 2000
    assert url_key(odd + " ") == key


def test_a_chinese_path_gives_one_ascii_key_quoted_or_not():
    raw = url_key("https://example.org/新闻/北京")
    assert raw == url_key("https://example.org/%E6%96%B0%E9%97%BB/%E5%8C%97%E4%BA%AC/")
    assert raw.isascii() and raw.startswith("example.org/%E6")
