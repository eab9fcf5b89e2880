"""Atom feeds of posts (archive.feeds): all, per source, per tag, per search."""

import re

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser

from archive import feeds
from archive.browse import Filters
from archive.importer import import_paths
from archive.models import Post, Source
from archive.pagecache import pages


def write_posts(archive_dir, count, *, start=0):
    """``count`` posts, one a day in January 2024 (the later, the newer), two sources, tags
    by parity; every body mentions 飞弹, the even ones 台灣 too."""
    for n in range(start, start + count):
        source = "甲报" if n % 2 == 0 else "乙报"
        archive_dir.write(
            f"2024-01-{n + 1:02d}-p{n}.md",
            url=f"https://example.org/{n}",
            title=f"第{n}篇",
            author=f"作者{n}",
            date=f"2024-01-{n + 1:02d}T00:00:00Z",
            categories=f"[ {source} ]",
            tags=f"[ {source}, {'偶数' if n % 2 == 0 else '奇数'} ]",
            body=f"<p>第{n}篇的正文，讲飞弹{'和台灣' if n % 2 == 0 else ''}。</p>",
        )


@pytest.fixture
def posts(db, archive_dir):
    write_posts(archive_dir, 6)
    import_paths([archive_dir])
    return Post.objects.all()


def fetch(client, url, *, host="testserver", **params):
    """The feed at ``url`` parsed, after checking it is served as well-formed Atom."""
    response = client.get(url, params, headers={"host": host})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def titles(feed):
    return [entry.title for entry in feed.entries]


# --- Pure: what a selection names -------------------------------------------------------


def test_a_search_selection_links_the_search_page_with_its_query_and_filters():
    selection = feeds.Selection(Filters(source="甲报", year=2024), "飞弹")
    assert selection.page_url() == reverse("archive:search") + (
        "?q=%E9%A3%9E%E5%BC%B9&source=%E7%94%B2%E6%8A%A5&year=2024"
    )


def test_a_filter_selection_links_the_list_and_everything_links_the_home_page():
    assert feeds.Selection(Filters(tag="x")).page_url() == reverse("archive:post_list") + "?tag=x"
    assert feeds.Selection(Filters()).page_url() == reverse("archive:post_list")


# --- The feed of all posts --------------------------------------------------------------


def test_the_posts_feed_lists_the_newest_first_with_links_ids_dates_authors_and_categories(
    client, posts
):
    feed = fetch(client, reverse("archive:feed_posts"))
    assert titles(feed) == [f"第{n}篇" for n in range(5, -1, -1)]
    assert feed.feed.title == "文章 Posts — 批注 Pizhu"
    newest = feed.entries[0]
    post = Post.objects.get(url="https://example.org/5")
    reader_url = "http://testserver" + post.get_absolute_url()
    assert newest.link == reader_url
    assert newest.id == reader_url  # stable: the reader URL, which keeps the post's id
    assert newest.published.startswith("2024-01-06")
    assert newest.updated  # Atom requires it
    assert newest.author == "作者5"
    assert [tag.term for tag in newest.tags] == ["乙报", "奇数"]  # the source, then its tags
    assert newest.summary == "第5篇的正文，讲飞弹。"


def test_the_feed_holds_only_the_newest_entries_up_to_its_limit(client, posts, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_ENTRIES", 2)
    assert titles(fetch(client, reverse("archive:feed_posts"))) == ["第5篇", "第4篇"]


def test_markup_and_ampersands_in_titles_and_text_reach_the_reader_as_text(client, db, archive_dir):
    archive_dir.write(
        title="A &amp; B <script>alert(1)</script>",
        author="R&amp;D <b>desk</b>",
        body="<p>Tom &amp; Jerry write &lt;script&gt;alert(2)&lt;/script&gt; here.</p>",
    )
    import_paths([archive_dir])
    response = client.get(reverse("archive:feed_posts"))
    assert b"<script" not in response.content  # escaped wherever it appears
    entry = fetch(client, reverse("archive:feed_posts")).entries[0]
    assert entry.title == "A & B <script>alert(1)</script>"
    assert entry.author == "R&D <b>desk</b>"
    # The summary is HTML that shows the text: its markup is escaped, not run.
    assert entry.summary_detail.type == "text/html"
    assert entry.summary == "Tom &amp; Jerry write &lt;script&gt;alert(2)&lt;/script&gt; here."


def test_the_raw_html_and_the_body_never_reach_the_feed(client, db, archive_dir):
    archive_dir.write(
        body="<div class='chrome'><!-- RAW-ONLY --><p>可见的正文。</p><p>"
        + "很长的正文。" * 100
        + "BODY-END</p></div>"
    )
    import_paths([archive_dir])
    content = client.get(reverse("archive:feed_posts")).content.decode()
    assert "可见的正文" in content
    assert "RAW-ONLY" not in content and "chrome" not in content
    assert "BODY-END" not in content  # the excerpt, not the article


def test_the_feed_reads_no_bodies_in_the_same_number_of_queries_for_few_or_many_posts(
    client, db, archive_dir
):
    def queries_for_feed():
        pages.clear()
        with CaptureQueriesContext(connection) as captured:
            fetch(client, reverse("archive:feed_posts"))
        return [query["sql"] for query in captured.captured_queries]

    write_posts(archive_dir, 2)
    import_paths([archive_dir])
    few = queries_for_feed()
    write_posts(archive_dir, 8, start=2)
    import_paths([archive_dir])
    many = queries_for_feed()
    assert len(few) == len(many) <= 4
    post_queries = [sql for sql in many if "archive_post" in sql and '"title"' in sql]
    assert post_queries
    for sql in post_queries:
        for field in ("raw_body", "raw_front_matter", "body_html"):
            assert f'"archive_post"."{field}"' not in sql
        # The text only as the excerpt's first characters (SUBSTR / SUBSTRING).
        whole_text = re.sub(r'SUBSTR(ING)?\("archive_post"\."text"', "", sql, flags=re.I)
        assert '"archive_post"."text"' not in whole_text


def test_the_feed_is_served_from_the_cache_until_the_archive_changes(client, posts, archive_dir):
    url = reverse("archive:feed_posts")
    fetch(client, url)
    with CaptureQueriesContext(connection) as captured:
        assert len(fetch(client, url).entries) == 6  # the cached copy, still Atom
    assert len(captured.captured_queries) == 1  # the archive's stamp
    write_posts(archive_dir, 1, start=6)
    import_paths([archive_dir])
    assert titles(fetch(client, url))[0] == "第6篇"


def test_a_feed_on_another_host_links_that_host(client, posts, settings):
    settings.ALLOWED_HOSTS = ["testserver", "pizhu.example.org"]
    fetch(client, reverse("archive:feed_posts"))  # cached for testserver
    feed = fetch(client, reverse("archive:feed_posts"), host="pizhu.example.org")
    assert feed.entries[0].link.startswith("http://pizhu.example.org/posts/")


# --- Per source, per tag ----------------------------------------------------------------


def test_a_source_feed_holds_that_source_only(client, posts):
    slug = Source.objects.get(name="甲报").slug
    feed = fetch(client, reverse("archive:feed_source", args=[slug]))
    assert titles(feed) == ["第4篇", "第2篇", "第0篇"]
    assert feed.feed.title == "甲报 — 批注 Pizhu"
    assert feed.feed.link.endswith("/?source=" + "%E7%94%B2%E6%8A%A5")


def test_a_tag_feed_holds_that_tag_only(client, posts):
    feed = fetch(client, reverse("archive:feed_tag", args=["奇数"]))
    assert titles(feed) == ["第5篇", "第3篇", "第1篇"]
    assert feed.feed.title == "#奇数 — 批注 Pizhu"


@pytest.mark.parametrize("name", ["archive:feed_source", "archive:feed_tag"])
def test_a_feed_of_a_source_or_tag_that_is_not_there_is_not_found(client, posts, name):
    assert client.get(reverse(name, args=["没有这个"])).status_code == 404


# --- Per search -------------------------------------------------------------------------


def test_a_search_feed_holds_the_matches_newest_first_whatever_their_rank(client, posts):
    feed = fetch(client, reverse("archive:feed_search"), q="台湾")  # folds to 台灣
    assert titles(feed) == ["第4篇", "第2篇", "第0篇"]
    assert feed.feed.title == "搜索 Search “台湾” — 批注 Pizhu"
    assert feed.feed.link.endswith(reverse("archive:search") + "?q=%E5%8F%B0%E6%B9%BE")


def test_a_search_feed_applies_the_search_pages_filters_and_ignores_the_readers_own(client, posts):
    feed = fetch(
        client,
        reverse("archive:feed_search"),
        q="飞弹",
        tag="奇数",
        page="3",
        state="read",
        script="hant",
    )
    assert titles(feed) == ["第5篇", "第3篇", "第1篇"]
    assert feed.feed.title == "搜索 Search “飞弹” · #奇数 — 批注 Pizhu"


def test_a_search_feed_of_nothing_searchable_is_an_empty_valid_feed(client, posts):
    assert fetch(client, reverse("archive:feed_search"), q="！？").entries == []


def test_a_search_feed_without_a_query_is_the_filtered_list(client, posts):
    feed = fetch(client, reverse("archive:feed_search"), year="2024", month="1", tag="偶数")
    assert titles(feed) == ["第4篇", "第2篇", "第0篇"]


# --- Found from the list ----------------------------------------------------------------


def feed_links(client, url, **params):
    tree = LexborHTMLParser(client.get(url, params).content.decode())
    head = tree.css_first('head link[rel="alternate"][type="application/atom+xml"]')
    visible = tree.css_first("a[data-feed-link]")
    return head.attrs["href"], visible.attrs["href"]


def test_the_list_names_the_feed_of_what_it_shows(client, posts):
    head, visible = feed_links(client, reverse("archive:post_list"))
    assert head == visible == reverse("archive:feed_posts")
    head, visible = feed_links(client, reverse("archive:post_list"), tag="奇数", page="2")
    assert head == visible
    assert titles(fetch(client, head)) == ["第5篇", "第3篇", "第1篇"]


def test_a_search_page_names_the_feed_of_its_query_and_filters(client, posts):
    head, visible = feed_links(client, reverse("archive:search"), q="飞弹", source="甲报")
    assert head == visible
    assert titles(fetch(client, head)) == ["第4篇", "第2篇", "第0篇"]
