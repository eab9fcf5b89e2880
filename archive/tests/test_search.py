"""Search against the database: runs on SQLite by default and on PostgreSQL in CI."""

import pytest

from archive import search
from archive.importer import import_paths
from archive.models import Post
from archive.writer import reclean

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(archive_dir):
    posts = {
        "missile": (
            "韩国不加入美国飞弹防御系统",
            "<p>韩国国防部长表示，不会加入美国的飞弹防御系统。</p>",
        ),
        "taiwan": ("臺灣的選舉", "<p>臺灣今年舉行大選，選民關心經濟。</p>"),
        "english": (
            "Missile talks",
            "<p>The election in Taiwan and the missile defense talks.</p>",
        ),
        "other": ("天气", "<p>今天下雨，明天晴。</p>"),
    }
    for n, (key, (title, body)) in enumerate(posts.items()):
        archive_dir.write(
            f"2024-02-0{n + 1}-{key}.md", url=f"https://x.org/{key}", title=title, body=body
        )
    import_paths([archive_dir])
    return {key: Post.objects.get(url=f"https://x.org/{key}") for key in posts}


def titles(raw_query, posts=None):
    results = search.search(raw_query, posts or Post.objects.all())
    return [post.title for post in results[0 : results.count()]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("弹", {"韩国不加入美国飞弹防御系统"}),  # one character
        ("飞弹", {"韩国不加入美国飞弹防御系统"}),  # a two-character word
        ("防御系统", {"韩国不加入美国飞弹防御系统"}),
        ("台湾", {"臺灣的選舉"}),  # simplified finds traditional
        ("選舉", {"臺灣的選舉"}),
        ("选举", {"臺灣的選舉"}),
        ("MISSILE", {"Missile talks"}),
        ('"missile defense"', {"Missile talks"}),
        ('"defense missile"', set()),
        ("Taiwan 选举", set()),
        ("雨 晴", {"天气"}),
    ],
)
def test_finds_substrings_words_and_phrases(archive, query, expected):
    assert set(titles(query)) == expected


def test_a_title_match_ranks_above_a_body_match(archive_dir):
    archive_dir.write(
        "2024-03-01-a.md", url="https://x.org/a", title="普通", body="<p>经济经济</p>"
    )
    archive_dir.write(
        "2024-03-02-b.md", url="https://x.org/b", title="经济新闻", body="<p>无关</p>"
    )
    import_paths([archive_dir])
    assert titles("经济") == ["经济新闻", "普通"]


def test_search_respects_the_base_queryset(archive):
    only = Post.objects.filter(pk=archive["english"].pk)
    assert titles("missile", only) == ["Missile talks"]
    assert titles("飞弹", only) == []


def test_reimporting_a_changed_post_updates_its_index_entry(archive, archive_dir):
    archive_dir.write(
        "2024-02-04-other.md", url="https://x.org/other", title="天气", body="<p>明天下雪。</p>"
    )
    import_paths([archive_dir])
    assert titles("下雪") == ["天气"]
    assert titles("下雨") == []


def test_recleaning_reindexes(archive):
    Post.objects.filter(pk=archive["other"].pk).update(cleaner_version=0)
    search.remove_posts([archive["other"].pk])
    assert titles("下雨") == []
    reclean()
    assert titles("下雨") == ["天气"]


def test_rebuild_indexes_every_post(archive):
    search.remove_posts([post.pk for post in archive.values()])
    assert search.rebuild() == 4
    assert titles("晴") == ["天气"]


def test_long_posts_are_found_anywhere_in_their_text(archive_dir):
    # Far beyond PostgreSQL's last tsvector position (16,383): chunks keep phrases findable.
    filler = "<p>" + "文字" * 20_000 + "</p>"
    archive_dir.write(url="https://x.org/long", title="长文", body=filler + "<p>结尾的暗号</p>")
    import_paths([archive_dir])
    assert titles("暗号") == ["长文"]


def test_beyond_the_ranking_limit_the_newest_matches_come_first(archive_dir, monkeypatch):
    archive_dir.write(
        "2024-03-01-a.md", url="https://x.org/a", title="经济新闻", body="<p>无关</p>"
    )
    archive_dir.write("2024-03-02-b.md", url="https://x.org/b", title="普通", body="<p>经济</p>")
    import_paths([archive_dir])
    assert titles("经济") == ["经济新闻", "普通"]  # ranked: the title match first
    monkeypatch.setattr("archive.search.RANK_AT_MOST", 1)
    assert titles("经济") == ["普通", "经济新闻"]  # newest (highest id) first


def test_deleting_a_post_removes_it_from_the_index(archive):
    archive["other"].delete()
    assert titles("下雨") == []
    assert search.Query.parse("下雨") and search.search("下雨", Post.objects.all()).count() == 0
