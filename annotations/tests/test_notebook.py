"""The notebook page: my notes only, grouped by post, filtered, searched, in few queries."""

import re

import pytest
from django.test import Client

from annotations import services
from annotations.tests.conftest import changes

pytestmark = pytest.mark.django_db


def entry_ids(response):
    return [int(pk) for pk in re.findall(r'data-entry="(\d+)"', response.content.decode())]


@pytest.fixture
def notes(owner, other, post):
    return {
        "highlight": services.create(owner, changes(post, "增长放缓", colour="green")),
        "note": services.create(
            owner,
            changes(post, "专家说", kind="note", body="結構性 Growth", tags=["经济"]),
        ),
        "translation": services.create(
            owner,
            changes(post, "中国的经济", kind="translation", body="China's economy", language="en"),
        ),
        "others": services.create(other, changes(post, "第一段", shared=True)),
    }


def test_the_notebook_needs_sign_in(anonymous_client):
    assert anonymous_client.get("/notes/").status_code == 302


def test_shows_my_notes_in_reading_order_and_never_others(owner_client, notes):
    response = owner_client.get("/notes/")
    assert entry_ids(response) == [notes["translation"].pk, notes["highlight"].pk, notes["note"].pk]
    assert notes["others"].pk not in entry_ids(response)


def test_each_entry_links_to_its_exact_passage(owner_client, notes):
    content = owner_client.get("/notes/").content.decode()
    assert f'href="/posts/{notes["note"].post_id}/#annotation-{notes["note"].pk}"' in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=note", ["note"]),
        ("colour=green", ["highlight"]),
        ("tag=经济", ["note"]),
        ("q=结构", ["note"]),  # simplified finds traditional
        ("q=growth", ["note"]),  # case-insensitive English
        ("q=economy", ["translation"]),
        ("q=增长 放缓", ["highlight"]),  # every word
        ("source=示例日报", ["translation", "highlight", "note"]),
        ("since=2000-01-01&until=2999-01-01", ["translation", "highlight", "note"]),
        ("since=2199-12-31", []),
        ("state=orphaned", []),
        ("state=anchored", ["translation", "highlight", "note"]),
        ('q="structural growth"', []),  # a phrase as written
        ('q="Growth"', ["note"]),
        (
            "published_since=2024-01-01&published_until=2024-01-31",
            ["translation", "highlight", "note"],
        ),
        ("published_until=2023-12-31", []),
    ],
)
def test_filters_and_search(owner_client, notes, query, expected):
    assert entry_ids(owner_client.get(f"/notes/?{query}")) == [notes[k].pk for k in expected]


def test_a_bad_filter_is_named_and_ignored(owner_client, notes):
    response = owner_client.get("/notes/?kind=scribble&since=yesterday")
    content = response.content.decode()
    assert "类型 Kind: " in content and "批注日期从 Annotated from: " in content
    assert len(entry_ids(response)) == 3


@pytest.mark.parametrize("path", ["/notes/", "/notes/export.md", "/notes/export.jsonld"])
@pytest.mark.parametrize(
    "query",
    ["since=0001-01-01", "until=9999-12-31", "published_since=0001-01-01",
     "post=99999999999999999999", "post=²"],
)  # fmt: skip
def test_dates_and_ids_out_of_range_are_named_and_ignored_not_500(owner_client, notes, path, query):
    response = owner_client.get(f"{path}?{query}")
    assert response.status_code == 200
    if path == "/notes/" and "post" not in query:
        assert "要在 1900 到 2199 年之间。Must be between 1900 and 2199." in response.text


@pytest.mark.parametrize("post_id", ["99999999999999999999", "-1", "abc", "²"])
def test_a_post_that_no_id_can_name_matches_no_notes_not_all(owner_client, notes, post_id):
    assert entry_ids(owner_client.get("/notes/", {"post": post_id})) == []
    export = owner_client.get("/notes/export.md", {"post": post_id}).content.decode()
    assert "增长放缓" not in export and "专家说" not in export


def test_posts_are_newest_first(owner, owner_client, notes, archive_dir):
    from archive.importer import import_paths
    from archive.models import Post

    archive_dir.write("2024-02-02-second.md", url="https://example.org/second")
    import_paths([archive_dir])
    second = Post.objects.get(url="https://example.org/second")
    newest = services.create(owner, changes(second, "第二段"))
    assert entry_ids(owner_client.get("/notes/"))[0] == newest.pk


def test_the_notebook_takes_a_fixed_number_of_queries(
    owner, notes, post, django_assert_max_num_queries
):
    client = Client()
    client.force_login(owner)
    for quote in ("第一段", "正文", "经济"):
        if quote in post.text:
            services.create(owner, changes(post, quote, tags=["a", "b"]))
    with django_assert_max_num_queries(9):
        assert client.get("/notes/").status_code == 200


def test_export_links_carry_the_filter(owner_client, notes):
    content = owner_client.get("/notes/?kind=note").content.decode()
    assert 'href="/notes/export.zip?kind=note"' in content
    response = owner_client.get("/notes/export.md?kind=note")
    assert response["Content-Disposition"].startswith("attachment")
    text = response.content.decode()
    assert "結構性 Growth" in text and "China's economy" not in text


def test_bilingual_export_needs_one_post(owner_client, notes):
    assert owner_client.get("/notes/export.bilingual").status_code == 404
    response = owner_client.get(f"/notes/export.bilingual?post={notes['translation'].post_id}")
    assert "| 中国的经济 | (en) China's economy" in response.content.decode()


def test_the_date_filters_say_which_date_they_are(owner_client, notes):
    content = owner_client.get("/notes/").content.decode()
    assert "批注日期从 Annotated from" in content and "文章日期从 Published from" in content
