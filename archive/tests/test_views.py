"""List, search and reader pages."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser

from archive.importer import import_paths
from archive.models import Post
from archive.pagecache import pages

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts(archive_dir):
    for n in range(12):
        archive_dir.write(
            f"2024-0{n % 2 + 1}-{n + 1:02d}-p{n}.md",
            url=f"https://example.org/{n}",
            title=f"第{n}篇",
            date=f"2024-0{n % 2 + 1}-{n + 1:02d}T00:00:00Z",
            tags=f"[ 标签{n % 3}, 共同 ]",
            body=f"<p>第{n}篇的正文，讲飞弹{'和台灣' if n % 4 == 0 else ''}。</p>",
        )
    import_paths([archive_dir])
    return Post.objects.all()


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return LexborHTMLParser(response.content.decode())


def listed_titles(tree):
    return [a.text() for a in tree.css(".post-item-title")]


def test_list_shows_newest_first_with_source_author_date_tags_and_excerpt(client, posts):
    tree = page(client, reverse("archive:post_list"))
    titles = listed_titles(tree)
    assert titles.index("第11篇") < titles.index("第10篇") < titles.index("第0篇")
    first = tree.css_first(".post-item")
    assert first.css_first(".source").text() == "示例日报"
    assert first.css_first("time").attrs["datetime"].startswith("2024-02-12T08:00:00+08:00")
    assert "第11篇的正文" in first.css_first(".excerpt").text()
    assert {a.text() for a in first.css(".tag")} == {"标签2", "共同"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tag": "标签0"}, {"第0篇", "第3篇", "第6篇", "第9篇"}),
        ({"year": "2024", "month": "1"}, {f"第{n}篇" for n in range(0, 12, 2)}),
        ({"tag": "标签0", "year": "2024", "month": "2"}, {"第3篇", "第9篇"}),
        ({"source": "nope"}, set()),
        ({"year": "abc", "month": "99"}, {f"第{n}篇" for n in range(12)}),
    ],
)
def test_list_filters_combine(client, posts, settings, params, expected):
    settings.PIZHU_POSTS_PER_PAGE = 50
    assert set(listed_titles(page(client, reverse("archive:post_list"), **params))) == expected


def dates_facet(tree):
    return {
        li.css_first("a").text(): li.css_first(".count").text()
        for li in tree.css("[aria-label='日期 Dates'] li")
    }


def test_filter_counts_follow_the_other_filters(client, posts):
    tree = page(client, reverse("archive:post_list"), tag="标签0")
    assert dates_facet(tree) == {"2024": "4"}
    tree = page(client, reverse("archive:post_list"), tag="标签0", year="2024")
    assert dates_facet(tree) == {"2024-02": "2", "2024-01": "2"}
    tags = {
        li.css_first("a").text(): li.css_first(".count").text()
        for li in tree.css("[aria-label='标签 Tags'] li")
    }
    assert tags["共同"] == "12" and tags["标签1"] == "4"  # the tag facet ignores the tag filter


def test_list_query_count_does_not_grow_with_page_size(
    client, posts, settings, django_assert_num_queries
):
    # archive stamp; the chosen tag's name; count, posts with source, tags; facets: sources
    # (counts, names), tags, dates (bounds, counts)
    settings.PIZHU_POSTS_PER_PAGE = 3
    with django_assert_num_queries(10):
        client.get(reverse("archive:post_list"), {"tag": "共同"})
    settings.PIZHU_POSTS_PER_PAGE = 12
    with django_assert_num_queries(10):
        client.get(reverse("archive:post_list"), {"tag": "共同", "page": "1"})


def test_search_page_ranks_highlights_and_filters(client, posts):
    tree = page(client, reverse("archive:search"), q="台湾")
    assert set(listed_titles(tree)) == {"第0篇", "第4篇", "第8篇"}
    assert tree.css_first(".excerpt mark").text() == "台灣"
    filtered = page(client, reverse("archive:search"), q="台湾", month="2", year="2024")
    assert listed_titles(filtered) == []
    filtered = page(client, reverse("archive:search"), q="台湾", tag="标签0")
    assert set(listed_titles(filtered)) == {"第0篇"}


def test_search_query_count_does_not_grow_with_page_size(
    client, posts, settings, django_assert_num_queries
):
    settings.PIZHU_POSTS_PER_PAGE = 2
    # stamp, count, ids, posts, tags; gather matches (3 on SQLite, 1 on PostgreSQL); facets (5).
    # PostgreSQL's three search statements each run in a transaction of their own with their
    # plan settings (archive.search_postgres.planned): here a savepoint, the settings and the
    # release, 3 more each.
    expected = 20 if connection.vendor == "postgresql" else 13
    with django_assert_num_queries(expected):
        client.get(reverse("archive:search"), {"q": "飞弹"})
    settings.PIZHU_POSTS_PER_PAGE = 12
    with django_assert_num_queries(expected):
        client.get(reverse("archive:search"), {"q": "飞弹", "page": "1"})


def test_an_empty_search_shows_help_not_an_error(client, db):
    tree = page(client, reverse("archive:search"), q="  ")
    assert tree.css_first(".empty") is not None


def test_reader_shows_the_cleaned_body_and_a_safe_source_link(client, archive_dir):
    archive_dir.write(body="<p>正文<script>alert(1)</script></p>", title="<b>标题</b>")
    import_paths([archive_dir])
    post = Post.objects.get()
    response = client.get(post.get_absolute_url())
    body = response.content.decode()
    assert "<p>正文</p>" in body and "alert(1)" not in body
    assert "&lt;b&gt;标题&lt;/b&gt;" in body
    link = LexborHTMLParser(body).css_first("a.original")
    assert link.attrs["href"] == post.url
    assert link.attrs["rel"] == "noopener noreferrer nofollow"


def test_reader_links_older_and_newer_posts_of_the_same_source(client, posts):
    post = Post.objects.get(title="第5篇")  # 2024-02-06; 第3篇 is 02-04, 第7篇 02-08
    tree = page(client, post.get_absolute_url())
    assert tree.css_first("[data-key-next]").text().strip("← ") == "第3篇"
    assert tree.css_first("[data-key-prev]").text().strip(" →") == "第7篇"


def test_reader_converts_script_on_request_and_remembers_it(client, posts):
    post = Post.objects.get(title="第4篇")
    response = client.get(post.get_absolute_url(), {"script": "hans"})
    assert "和台湾" in response.content.decode()
    assert response.cookies["pizhu_script"].value == "hans"
    tree = page(client, post.get_absolute_url())  # the cookie now applies
    assert "和台湾" in tree.css_first("[data-post-body]").text()
    tree = page(client, post.get_absolute_url(), script="bogus")
    assert "和台灣" in tree.css_first("[data-post-body]").text()


@pytest.mark.parametrize("secure", [True, False])
def test_the_script_cookie_is_as_secure_as_the_session_cookie(client, posts, settings, secure):
    settings.SESSION_COOKIE_SECURE = secure
    post = Post.objects.get(title="第4篇")
    cookie = client.get(post.get_absolute_url(), {"script": "hant"}).cookies["pizhu_script"]
    assert bool(cookie["secure"]) is secure
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


@pytest.mark.parametrize("mode", ["load", "click", "off"])
def test_remote_images_follow_the_setting_and_never_add_text(client, archive_dir, settings, mode):
    settings.PIZHU_REMOTE_IMAGES = mode
    archive_dir.write(body='<p>图<img src="https://img.example/a.jpg" alt="说明">下</p>')
    import_paths([archive_dir])
    post = Post.objects.get()
    body = page(client, post.get_absolute_url()).css_first("[data-post-body]")
    assert body.text(deep=True, separator="", strip=False) == post.text
    img = body.css_first("img")
    placeholder = body.css_first(".image-placeholder")
    if mode == "load":
        assert img.attrs["src"] == "https://img.example/a.jpg" and placeholder is None
    else:
        assert img is None and placeholder is not None
        assert ("data-load-image" in placeholder.attrs) == (mode == "click")


def test_reader_of_a_missing_post_is_404(client, db):
    assert client.get(reverse("archive:post_detail", args=[999])).status_code == 404


@pytest.mark.parametrize("pk", ["9223372036854775808", "99999999999999999999", "0"])
def test_reader_of_an_id_no_row_can_have_is_404(client, db, pk):
    assert client.get(f"/posts/{pk}/").status_code == 404


@pytest.mark.parametrize("path", ["/", "/search/", "/posts/1/"])
def test_a_nul_in_any_query_parameter_is_400(client, posts, path):
    response = client.get(path, {"q": "经济\x00", "tag": "a"})
    assert response.status_code == 400
    assert "The query holds a NUL character." in response.text
    assert 'class="site-search"' in response.text  # the site's page, with its search box
    assert client.get(path, {"x\x00": "1"}).status_code == 400


def test_a_nul_in_an_api_query_is_a_json_400(client, posts):
    response = client.get("/api/annotations/", {"text": "a\x00"})
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]


def test_a_server_error_is_a_bilingual_page(db, monkeypatch):
    def broken(request, script):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr("archive.views._post_list", broken)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "出错了 Server error" in response.text and "broken" not in response.text


def test_a_missing_page_is_the_sites_bilingual_404(client, db):
    response = client.get("/posts/424242/")
    assert response.status_code == 404
    assert "找不到这一页 Page not found" in response.text
    assert 'href="/"' in response.text


def test_reader_query_count_is_constant(client, posts, django_assert_max_num_queries):
    url = Post.objects.get(title="第5篇").get_absolute_url()
    with django_assert_max_num_queries(5):  # stamp, post with source, tags, older, newer
        client.get(url)


def test_pages_are_cached_until_a_post_changes(
    client, posts, django_assert_num_queries, archive_dir
):
    post = Post.objects.get(title="第5篇")
    first = client.get(post.get_absolute_url()).content
    with django_assert_num_queries(1):  # the post's stamp only
        assert client.get(post.get_absolute_url()).content == first
    client.get(reverse("archive:post_list"))
    with django_assert_num_queries(1):  # the archive's stamp only
        client.get(reverse("archive:post_list"))
    archive_dir.write(
        "2024-02-06-p5.md",
        url="https://example.org/5",
        title="第5篇（修订）",
        date="2024-02-06T00:00:00Z",
        body="<p>改过的正文。</p>",
    )
    import_paths([archive_dir])
    assert "改过的正文" in client.get(post.get_absolute_url()).content.decode()
    assert "第5篇（修订）" in client.get(reverse("archive:post_list")).content.decode()


def test_parameters_a_page_does_not_read_make_no_new_cache_entries(client, posts):
    post = Post.objects.get(title="第5篇")
    visits = [(post.get_absolute_url(), {}), ("/", {"tag": "经济"}), ("/search/", {"q": "第"})]
    for path, params in visits:
        client.get(path, params)
    before = len(pages.entries)
    for n in range(50):
        for path, params in visits:
            page_html = client.get(path, {**params, "cb": n, "utm_source": "x" * 500}).text
            assert "cb=" not in page_html and "utm_source" not in page_html
    assert len(pages.entries) == before == 3


def test_the_page_cache_keeps_to_its_byte_budget(client, posts, archive_dir, settings):
    settings.PIZHU_POSTS_PER_PAGE = 1
    for n in range(1, 7):
        client.get(reverse("archive:post_list"), {"page": n})
    assert 0 < pages.weight <= pages.capacity
    assert pages.weight == sum(weight for _, weight in pages.entries.values())


def test_pages_send_a_strict_content_security_policy(client, posts):
    for url in (reverse("archive:post_list"), Post.objects.first().get_absolute_url()):
        response = client.get(url)
        policy = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        assert policy["script-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'"
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_very_common_term_shows_archive_wide_filter_counts(client, posts, monkeypatch):
    monkeypatch.setattr("archive.search.COUNT_FILTERS_AT_MOST", 2)
    tree = page(client, reverse("archive:search"), q="飞弹")  # all 12 posts match
    assert tree.css_first("[data-facets-uncounted]") is not None
    assert len(listed_titles(tree)) == 12
    filtered = page(client, reverse("archive:search"), q="飞弹", tag="标签0")
    assert set(listed_titles(filtered)) == {"第0篇", "第3篇", "第6篇", "第9篇"}


def test_a_search_matching_more_than_can_be_counted_says_so(client, posts, monkeypatch):
    monkeypatch.setattr("archive.search.COUNT_AT_MOST", 5)
    tree = page(client, reverse("archive:search"), q="飞弹")  # all 12 posts match
    assert "5+ 篇 results" in tree.css_first("h1.page-title small").text()
    assert len(listed_titles(tree)) == 5  # pages go as far as the count
    assert tree.css_first("[data-facets-uncounted]") is not None
    exact = page(client, reverse("archive:search"), q="飞弹", tag="标签0")  # 4 of them
    assert "4 篇 results" in exact.css_first("h1.page-title small").text()


def test_the_reader_and_the_list_say_each_posts_language(client, archive_dir):
    archive_dir.write(
        "2024-01-01-en.md",
        url="https://example.org/en",
        title="China’s Economy",
        body="<p>It’s the economy, and it is slowing down this year.</p>",
    )
    archive_dir.write(
        "2024-01-02-hant.md",
        url="https://example.org/hant",
        title="臺灣",
        body="<p>這是臺灣的報導。</p>",
    )
    archive_dir.write("2024-01-03-hans.md", url="https://example.org/hans", title="台湾")
    import_paths([archive_dir])
    languages = {}
    for post in Post.objects.all():
        article = page(client, post.get_absolute_url()).css_first("article.post")
        languages[post.url.rsplit("/", 1)[1]] = article.attrs["lang"]
    assert languages == {"en": "en", "hant": "zh-Hant", "hans": "zh-Hans"}
    items = page(client, reverse("archive:post_list")).css(".post-item")
    assert sorted(item.attrs["lang"] for item in items) == ["en", "zh-Hans", "zh-Hant"]


@pytest.mark.parametrize(
    ("body", "notice"),
    [
        ("<p>你是對的！感謝糾錯。</p>", "只存了一小段"),
        ("<div class='entry-content'></div>", "没有正文"),
    ],
)
def test_a_teaser_or_an_empty_post_says_so_and_links_the_original(
    client, archive_dir, body, notice
):
    archive_dir.write(body=body)
    import_paths([archive_dir])
    post = Post.objects.get()
    tree = page(client, post.get_absolute_url())
    note = tree.css_first(".short-post")
    assert notice in note.text() and note.css_first("a").attrs["href"] == post.url
    assert tree.css_first(".reading-time") is None  # not "1 min" for nothing


def test_a_whole_article_has_a_reading_time_and_no_notice(client, archive_dir):
    archive_dir.write(body="<p>" + "一篇完整的文章。" * 40 + "</p>")
    import_paths([archive_dir])
    tree = page(client, Post.objects.get().get_absolute_url())
    assert tree.css_first(".short-post") is None
    assert tree.css_first(".reading-time").text() == "1 分钟 min"


def test_a_search_that_finds_nothing_says_so_and_suggests_others(client, posts):
    tree = page(client, reverse("archive:search"), q="飞弹 火星", tag="标签1")
    nothing = tree.css_first("[data-nothing-found]")
    assert (
        "没有找到“飞弹 火星”" in nothing.text()
        and "Both simplified and traditional" in nothing.text()
    )
    suggested = [a.attrs["href"] for a in tree.css("[data-suggestion]")]
    assert suggested == ["?q=%E9%A3%9E%E5%BC%B9+%E7%81%AB%E6%98%9F",  # without the filter
                         "?tag=%E6%A0%87%E7%AD%BE1&q=%E9%A3%9E%E5%BC%B9",  # each word alone
                         "?tag=%E6%A0%87%E7%AD%BE1&q=%E7%81%AB%E6%98%9F"]  # fmt: skip
    found = page(client, reverse("archive:search") + suggested[1])
    assert listed_titles(found)  # a suggestion that finds something
    assert "输入要找的字词" not in tree.html


def test_punctuation_alone_is_nothing_to_search_for(client, posts):
    tree = page(client, reverse("archive:search"), q="？！")
    assert "没有可搜索的字或词" in tree.css_first("[data-nothing-found]").text()


def test_chosen_filters_show_names_and_each_can_be_removed(client, posts):
    tree = page(client, reverse("archive:post_list"), tag="标签0", year="2024", month="1")
    assert tree.css_first(".facets summary").text() == "筛选 Filters · #标签0 · 2024-01"
    removers = {a.text(): a.attrs["href"] for a in tree.css("[data-remove-filter]")}
    assert removers == {
        "#标签0 ×": "?year=2024&month=1",
        "2024-01 ×": "?tag=%E6%A0%87%E7%AD%BE0",
    }


def test_list_titles_and_excerpts_follow_the_chosen_script(client, archive_dir):
    archive_dir.write(title="臺灣的夜市", body="<p>夜市從黃昏開始。</p>")
    import_paths([archive_dir])
    client.cookies["pizhu_script"] = "hans"
    tree = page(client, reverse("archive:post_list"))
    assert tree.css_first(".post-item-title").text() == "台湾的夜市"
    assert tree.css_first(".excerpt").text() == "夜市从黄昏开始。"
    client.cookies["pizhu_script"] = "orig"
    assert page(client, reverse("archive:post_list")).css_first(".excerpt").text() == (
        "夜市從黃昏開始。"
    )


def test_a_tag_that_only_repeats_the_source_is_not_shown_again(client, archive_dir):
    archive_dir.write(tags="[ iYouPort, 安全 ]", categories="[ iYouPort ]")
    import_paths([archive_dir])
    post = Post.objects.get()
    for url in (reverse("archive:post_list"), post.get_absolute_url()):
        assert [a.text() for a in page(client, url).css(".tags .tag")] == ["安全"]


def test_there_is_a_favicon(client, db):
    assert 'rel="icon"' in client.get(reverse("archive:post_list")).content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def test_one_long_chinese_word_that_finds_nothing_suggests_its_halves(client, posts):
    tree = page(client, reverse("archive:search"), q="火星殖民")
    assert [a.text() for a in tree.css("[data-suggestion]")] == ["火星", "殖民"]
    assert tree.css_first(".facets") is None  # no empty filter headings beside nothing


def test_tags_that_repeat_a_source_are_not_offered_as_tag_filters(client, archive_dir):
    archive_dir.write(tags="[ iYouPort, 安全 ]", categories="[ iYouPort ]", author="iYouPort")
    import_paths([archive_dir])
    tree = page(client, reverse("archive:post_list"))
    tags = [a.text() for a in tree.css("section[aria-label='标签 Tags'] a")]
    assert tags == ["安全"]
    assert tree.css_first(".post-item .author") is None  # the author is the source: once
