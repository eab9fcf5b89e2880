"""Search against the database: runs on SQLite by default and on PostgreSQL in CI."""

import pytest
from django.db import connection

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


def test_a_long_run_is_found_only_where_it_stands_whole(archive_dir):
    # Both triples of 防御系统 are here, but never the four characters in a row: PostgreSQL's
    # keys (triples) find this post, the check in its text must drop it.
    archive_dir.write(
        "2024-03-01-a.md", url="https://x.org/split", title="分开", body="<p>防御系，御系统。</p>"
    )
    archive_dir.write(
        "2024-03-02-b.md", url="https://x.org/whole", title="整体", body="<p>导弹防御系统</p>"
    )
    import_paths([archive_dir])
    assert titles("防御系统") == ["整体"]
    assert set(titles("御系")) == {"分开", "整体"}


def test_a_phrase_never_runs_from_the_title_into_the_text(archive_dir):
    archive_dir.write(url="https://x.org/a", title="About the missile", body="<p>Defense</p>")
    import_paths([archive_dir])
    assert titles('"missile defense"') == []
    assert titles("missile defense") == ["About the missile"]


def test_beyond_the_count_limit_the_count_stops_and_the_newest_come_first(archive, monkeypatch):
    monkeypatch.setattr("archive.search.COUNT_AT_MOST", 1)
    results = search.search("的", Post.objects.all())  # in two posts
    assert results.count() == 1 and results.capped
    newest = max(archive["missile"].pk, archive["taiwan"].pk)
    assert [post.pk for post in results[0:1]] == [newest]
    assert not search.search("天气", Post.objects.all()).capped


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_postgresql_searches_through_the_index_not_through_every_document(archive):
    # The planner costs a row of the search table at its ~100 bytes, not the ~100 KB of keys
    # and text kept out of line, and would read them all for a common term (seconds at
    # 100,000 posts). search_postgres.planned keeps it to the GIN index.
    from archive import search_postgres

    query = search.Query.parse("的")
    condition, params = search_postgres.matches(query, None)
    with search_postgres.planned(connection) as cursor:
        cursor.execute(f"EXPLAIN SELECT post_id FROM archive_search s WHERE {condition}", params)  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on archive_search_grams" in plan, plan
    assert "Seq Scan" not in plan, plan
