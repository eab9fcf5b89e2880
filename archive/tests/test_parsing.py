"""archive.parsing: pure, no database. One test per trap the real archive has shown."""

from datetime import UTC, datetime

import pytest

from archive.parsing import (
    PostError,
    article_html,
    decode,
    parse_header,
    parse_post,
    split_front_matter,
)
from conftest import render_post

NOW = datetime(2026, 11, 30, tzinfo=UTC)
NAME = "/archive/_posts/2024-01-02-测试文章.md"


def parse(text: str | bytes, path: str = NAME):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_post(data, path, now=NOW)


def test_reads_every_field_of_a_well_formed_post():
    post = parse(
        render_post(
            title="中国AI改变游戏规则",
            author="程巍",
            tags="[ 日本経済新聞 ]",
            categories="[ 日本経済新聞 ]",
        )
    )
    assert post.title == "中国AI改变游戏规则"
    assert post.author == "程巍"
    assert post.url == "https://example.org/post/1"
    assert post.published_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert post.source_name == "日本経済新聞"
    assert post.tags == ["日本経済新聞"]
    assert post.warnings == []


def test_raw_fields_are_kept_verbatim():
    text = render_post()
    post = parse(text)
    assert "---\n" + post.raw_front_matter + "---\n" + post.raw_body == text
    assert post.raw_body.startswith("<!--1704164645000-->")


def test_content_hash_names_the_original_bytes():
    a, b = parse(render_post()), parse(render_post(body="<p>changed</p>"))
    assert len(a.content_hash) == 64
    assert a.content_hash != b.content_hash


def test_backslash_that_yaml_rejects_is_read_literally():
    post = parse(render_post(title=r"路径 C:\Users\x 的问题"))
    assert post.title == r"路径 C:\Users\x 的问题"
    assert any("not valid YAML (line 3" in w for w in post.warnings)


def test_backslash_that_yaml_turns_into_a_control_character_is_kept_literally():
    post = parse(render_post(title=r"a\b and \t"))
    assert post.title == r"a\b and \t"
    assert any("unescaped backslash" in w for w in post.warnings)


def test_unquoted_author_with_at_sign_and_colon_is_read_leniently_with_a_warning():
    post = parse(render_post(author="@newsroom: 编辑部"))
    assert post.author == "@newsroom: 编辑部"
    assert post.url == "https://example.org/post/1"
    assert any("line 5" in w and "not valid YAML" in w for w in post.warnings)


def test_html_entities_in_author_and_title_are_decoded():
    post = parse(render_post(author="Samantha Hoffman, Fergus Ryan &#38; more", title="A &amp; B"))
    assert post.author == "Samantha Hoffman, Fergus Ryan & more"
    assert post.title == "A & B"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("[ 泡泡 ]", ["泡泡"]),
        ("泡泡", ["泡泡"]),
        ("泡泡, 香港，台湾", ["泡泡", "香港", "台湾"]),
        ('"a, b"', ["a", "b"]),
        ("[ a, A, b ]", ["a", "b"]),
        ("", []),
        ('"&lt;b&gt;; A&amp;B"', ["<b>", "A&B"]),
        ('[ "&lt;i&gt;" ]', ["<i>"]),
    ],
)
def test_tags_as_list_string_or_comma_separated(tags, expected):
    assert parse(render_post(tags=tags, categories=None)).tags == expected


def test_first_category_is_the_source_and_later_ones_become_tags():
    post = parse(render_post(tags="[ x ]", categories="[ 燕京书评, 书评 ]"))
    assert post.source_name == "燕京书评"
    assert post.tags == ["x", "书评"]


def test_source_falls_back_to_the_url_host():
    post = parse(render_post(tags=None, categories=None, url="https://www.rfa.org/a"))
    assert post.source_name == "www.rfa.org"


def test_yaml_tags_never_construct_objects():
    post = parse(render_post(extra_front_matter="evil: !!python/object/apply:os.system ['true']"))
    assert any("not valid YAML" in w for w in post.warnings)
    assert post.title == "测试文章"


def test_date_only_front_matter_becomes_midnight_utc():
    assert parse(render_post(date="2024-01-02")).published_at == datetime(2024, 1, 2, tzinfo=UTC)


def test_offset_dates_are_stored_in_utc():
    post = parse(render_post(date="2024-01-02T09:55:39+01:00"))
    assert post.published_at == datetime(2024, 1, 2, 8, 55, 39, tzinfo=UTC)


def test_missing_date_falls_back_to_the_file_name():
    post = parse(render_post(date=None), path="/a/2023-05-06-x.md")
    assert post.published_at == datetime(2023, 5, 6, tzinfo=UTC)
    assert any("used the file name" in w for w in post.warnings)


def test_missing_date_and_dateless_file_name_fall_back_to_the_header_timestamp():
    post = parse(render_post(date=None), path="/a/x.md")
    assert post.published_at == datetime.fromtimestamp(1704164645, tz=UTC)


def test_nonsense_date_far_from_the_file_name_loses_to_the_file_name():
    post = parse(render_post(date="2001-01-01T00:00:00Z"), path="/a/2023-05-06-x.md")
    assert post.published_at == datetime(2023, 5, 6, tzinfo=UTC)
    assert any("disagrees with the file name" in w for w in post.warnings)


@pytest.mark.parametrize("date", ["not a date", "1970-01-01T00:00:00Z", "2999-01-01", "12"])
def test_unusable_dates_fall_back_with_a_warning(date):
    post = parse(render_post(date=date), path="/a/2023-05-06-x.md")
    assert post.published_at == datetime(2023, 5, 6, tzinfo=UTC)
    assert post.warnings


def test_no_date_anywhere_leaves_it_empty_with_a_warning():
    body = render_post(date=None, header=False)
    post = parse(body, path="/a/x.md")
    assert post.published_at is None
    assert any("no usable date" in w for w in post.warnings)


def test_nan_header_timestamp_is_ignored():
    text = render_post().replace("<!--1704164645000-->", "<!--NaN-->")
    assert parse_header(text.split("---\n", 2)[2]).timestamp is None
    assert parse(text).published_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_missing_title_falls_back_to_the_header_link_then_the_file_name():
    assert parse(render_post(title=None).replace("[None]", "[页头标题]")).title == "页头标题"
    no_header = render_post(title=None, header=False)
    assert parse(no_header, path="/a/2023-05-06-文件名标题.md").title == "文件名标题"


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("<div><h2>小标题在这里</h2><p>正文。</p></div>", "小标题在这里"),
        ("<div><p>\n  第一行文字，\n 之后还有。</p></div>", "第一行文字，"),
        ("<p>" + "很长的一句话" * 10 + "</p>", "很长的一句话" * 6 + "很长的一…"),  # 40 and …
        ("<div><img src='https://x.org/a.jpg'></div>", "https://example.org/post/1"),
    ],
)
def test_a_post_without_any_title_is_named_by_its_first_words(body, title):
    """A file named 2019-10-14-.md, no title, no header: its first heading or words, and
    only when there are none, its URL."""
    post = parse(render_post(title=None, header=False, body=body), path="/a/2019-10-14-.md")
    assert post.title == title
    assert any("no title in front matter" in w for w in post.warnings)


def test_missing_from_falls_back_to_the_header_link():
    text = render_post(url=None).replace("[测试文章](None)", "[测试文章](https://example.org/h)")
    post = parse(text)
    assert post.url == "https://example.org/h"
    assert any("header link" in w for w in post.warnings)


@pytest.mark.parametrize("url", [None, "not a url", "javascript:alert(1)", "ftp://x/y"])
def test_no_usable_url_anywhere_fails_with_the_reason(url):
    with pytest.raises(PostError, match="no source URL"):
        parse(render_post(url=url, header=False))


def test_utf8_bom_and_crlf_are_handled():
    text = render_post().replace("\n", "\r\n")
    post = parse(b"\xef\xbb\xbf" + text.encode())
    assert post.title == "测试文章"
    assert post.published_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert article_html(post.raw_body).lstrip().startswith("<div><p>正文")


def test_nul_bytes_are_removed_with_a_warning():
    post = parse(render_post(body="<p>a\x00b</p>").encode())
    assert "\x00" not in post.raw_body
    assert "<p>ab</p>" in post.raw_body
    assert any("1 NUL" in w for w in post.warnings)


@pytest.mark.parametrize(
    ("encoding", "title", "paragraph"),
    [
        (
            "gb18030",
            "简体中文的旧文章",
            "这是一段足够长的中文正文，用来检测编码是否正确。台湾与香港的新闻报道。",
        ),
        (
            "big5",
            "繁體中文的舊文章",
            "這是一段足夠長的中文正文，用來檢測編碼是否正確。臺灣與香港的新聞報導。",
        ),
    ],
)
def test_other_encodings_are_detected_with_a_warning(encoding, title, paragraph):
    text = render_post(
        title=title,
        author="編者",
        tags="[ 新聞 ]",
        categories="[ 新聞 ]",
        body=f"<div><p>{paragraph}</p></div>" * 3,
    )
    post = parse(text.encode(encoding))
    assert post.title == title
    assert paragraph in post.raw_body
    assert any("not UTF-8" in w for w in post.warnings)


@pytest.mark.parametrize(("encoding", "title", "body"), [
    ("gb18030", "短文", "<p>台风来了。</p>"), ("big5", "短文", "<p>颱風來了。</p>"),
])  # fmt: skip
def test_a_short_post_in_another_encoding_is_detected_not_read_as_broken_utf8(
    encoding, title, body
):
    fields = {"author": "編者", "tags": "[ 新聞 ]", "categories": "[ 新聞 ]"}
    text = render_post(title=title, body=body, **fields)
    post = parse(text.encode(encoding))
    assert post.title == title and body in post.raw_body


def test_a_utf16_file_with_its_byte_order_mark_is_read():
    post = parse(render_post(title="双字节").encode("utf-16"))
    assert post.title == "双字节"
    assert "UTF-16: decoded as such" in post.warnings


def test_one_stray_byte_in_an_ascii_post_is_replaced_not_guessed_from():
    text, warnings = decode(b"---\ntitle: Plain\n---\n<p>It\x92s here</p>")
    assert text.endswith("<p>It\ufffds here</p>")
    assert "1 invalid UTF-8 sequences" in warnings[0]


def test_a_few_invalid_bytes_in_utf8_are_replaced_not_guessed_away():
    text, warnings = decode(render_post().encode() + b"\xff\xfe")
    assert "测试文章" in text
    assert text.endswith("\ufffd\ufffd")
    size = len(render_post().encode())
    assert warnings == [f"2 invalid UTF-8 sequences (first at byte {size}) replaced"]


def test_stray_null_before_the_body_is_left_in_raw_body():
    post = parse(render_post(body="<div>\nnull    <p>正文</p></div>"))
    assert "null" in post.raw_body


def test_header_is_found_and_html_starts_after_it():
    header = parse_header("<!--1738440032000-->\n[标题](https://x.org/a)\n------\n\n<div>x</div>")
    assert header.timestamp == datetime(2025, 2, 1, 20, 0, 32, tzinfo=UTC)
    assert (header.title, header.url) == ("标题", "https://x.org/a")


def test_body_without_header_is_all_html():
    raw = "\n<section><p>旧式抓取页</p></section>"
    assert article_html(raw) == raw


def test_title_with_brackets_in_the_header_link():
    header = parse_header("<!--1-->\n[[外交雜聞]兩位](https://x.org/a)\n------\n<p>x</p>")
    assert header.title == "[外交雜聞]兩位"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<p>no front matter</p>", "no front matter"),
        ("---\ntitle: x\nfrom: https://x.org\n<p>never closed</p>", "not closed"),
        ("", "no front matter"),
    ],
)
def test_files_without_usable_front_matter_fail_with_the_reason(text, reason):
    with pytest.raises(PostError, match=reason):
        parse(text)


def test_huge_front_matter_is_refused():
    with pytest.raises(PostError, match="over the limit"):
        split_front_matter("---\n" + "x: y\n" * 20000 + "---\nbody")


def test_non_mapping_front_matter_is_read_leniently():
    post = parse("---\n- just a list\n---\n<!--1-->\n[t](https://x.org/l)\n------\n<p>x</p>")
    assert post.url == "https://x.org/l"
    assert any("not a YAML mapping" in w for w in post.warnings)


def test_very_long_title_is_cut_with_a_warning():
    post = parse(render_post(title="长" * 800))
    assert len(post.title) == 500
    assert any("title is 800 characters" in w for w in post.warnings)


@pytest.mark.parametrize(
    "date", ["2024-02-30", "2024-02-30T10:00:00Z", "2024-13-01", "2024-02-03T25:00:00Z"]
)
def test_an_impossible_calendar_date_falls_back_to_the_file_name_with_a_warning(date):
    """YAML reads these as dates and then cannot build them: the README promises the file
    name's date for an unusable one, not a failed file."""
    post = parse(render_post(date=date), path="/a/2024-02-03-x.md")
    assert post.published_at == datetime(2024, 2, 3, tzinfo=UTC)
    assert f"front matter date {date!r} is not a date; used the file name" in post.warnings


def alias_bomb(levels: int) -> str:
    """The "billion laughs" in a few hundred bytes: each level nine aliases of the one before
    (9 levels, 391 bytes, took 670 MB and 6 s to read)."""
    lines = ["a: &a [" + ", ".join(['"lol"'] * 9) + "]"]
    previous = "a"
    for level in range(levels):
        name = chr(ord("b") + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join([*lines, f"title: *{previous}"])


@pytest.mark.parametrize(
    ("front", "alias"),
    [("title: &t 标题\nauthor: *t", "*t at line 3"), (alias_bomb(5), "*a at line 3")],
)
def test_yaml_aliases_fail_the_file_before_anything_expands(front, alias):
    text = f"---\n{front}\nfrom: https://example.org/a\n---\n<p>x</p>\n"
    with pytest.raises(PostError) as refused:
        parse(text)
    assert str(refused.value).startswith(f"front matter uses a YAML alias ({alias}):")


def test_front_matter_nested_deeper_than_any_post_fails_the_file():
    # 30,000 levels crashed the whole process inside libyaml (a segmentation fault).
    depth = 1000
    text = f"---\ntitle: {'[' * depth}x{']' * depth}\nfrom: https://example.org/a\n---\n<p>x</p>"
    with pytest.raises(PostError, match=r"front matter nests more than 100 levels deep"):
        parse(text)


@pytest.mark.parametrize("author", ["*someone", "*编辑* &#38; 记者"])
def test_an_author_that_only_looks_like_an_alias_is_still_read_leniently(author):
    # No anchor, nothing to expand: YAML refuses it, and the lenient reader takes over.
    post = parse(render_post(author=author))
    assert post.author == author.replace("&#38;", "&")
    assert any("not valid YAML (line 5" in w for w in post.warnings)


def test_stars_ampersands_and_brackets_in_quoted_values_are_neither_aliases_nor_nesting():
    title = "*重磅* &amp; [[外交雜聞]] " + "[" * 150
    post = parse(render_post(title=title))
    assert post.title == "*重磅* & [[外交雜聞]] " + "[" * 150
    assert post.warnings == []
