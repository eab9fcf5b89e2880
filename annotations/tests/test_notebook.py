"""The notebook page: my notes only, grouped by post, filtered, searched, in few queries."""

import re

import pytest
from django.test import Client

from annotations import services
from annotations.tests.conftest import changes
from annotations.values import Changes, Target
from archive.importer import import_paths
from archive.models import Post
from library import state
from library.models import ReadingState

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
        "others": services.create(other, changes(post, "第一段", visibility="everyone")),
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


# --- page notes and my own tags of posts ---------------------------------------------------------


def page_note(user, post, body):
    target = Target(source=post.url, post_id=post.pk, exact="", start=None, end=None)
    return services.create(user, Changes(target=target, kind="note", body=body))


@pytest.fixture
def second_post(archive_dir, post):
    archive_dir.write("2024-02-02-second.md", url="https://example.org/second", title="第二篇")
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/second")


def entry_of(response, pk) -> str:
    """The HTML of one post's section."""
    content = response.content.decode()
    start = content.index(f'<section class="notebook-post" aria-labelledby="post-{pk}">')
    return content[start : content.index("</section>", start)]


def my_tags_shown(section: str) -> list[str]:
    return re.findall(r'<a class="tag my-tag" href="\?mytag=[^"]*">#([^<]*)</a>', section)


def test_page_notes_come_first_as_page_notes_without_a_quote(owner, owner_client, notes, post):
    note = page_note(owner, post, "整篇的**要点**")
    response = owner_client.get("/notes/")
    assert entry_ids(response)[0] == note.pk
    section = entry_of(response, post.pk)
    item = section[section.index(f'data-entry="{note.pk}"') : section.index("</li>")]
    assert "页面笔记 Page note" in item and "<strong>要点</strong>" in item
    assert "<blockquote>" not in item
    assert section.count("<blockquote>") == 3  # the three passages keep their quotes


def test_another_users_page_note_is_never_in_my_notebook(owner_client, other, notes, post):
    theirs = page_note(other, post, "别人的看法")
    response = owner_client.get("/notes/")
    assert theirs.pk not in entry_ids(response) and "别人的看法" not in response.text


def test_my_own_tags_show_by_the_post_and_never_another_users(
    owner, other, owner_client, other_client, notes, post
):
    state.change(owner, post.pk, {"tags": ["待读", "经济学"]})
    state.change(other, post.pk, {"tags": ["秘密"]})
    mine = entry_of(owner_client.get("/notes/"), post.pk)
    assert my_tags_shown(mine) == ["待读", "经济学"]
    assert "秘密" not in owner_client.get("/notes/").text
    theirs = entry_of(other_client.get("/notes/"), post.pk)  # other has a note on it too
    assert my_tags_shown(theirs) == ["秘密"]
    assert "待读" not in other_client.get("/notes/").text


def test_a_post_with_only_my_tags_is_listed_with_its_tags(
    owner, other_client, owner_client, notes, second_post
):
    state.change(owner, second_post.pk, {"tags": ["待读"]})
    response = owner_client.get("/notes/")
    section = entry_of(response, second_post.pk)
    assert my_tags_shown(section) == ["待读"]
    assert "No notes on this post yet" in section and "data-entry" not in section
    assert "2 篇文章 posts" in response.text
    assert f"post-{second_post.pk}" not in other_client.get("/notes/").text


def listed_posts(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'aria-labelledby="post-(\d+)"', response.text)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["second", "post"]),
        ("mytag=待读", ["second"]),
        ("mytag=待读&source=示例日报", ["second"]),
        ("mytag=经济学", ["post"]),
        ("mytag=没有", []),
        ("kind=note", ["post"]),  # a filter on notes: posts without notes are out
        ("q=专家", ["post"]),
        ("tag=经济", ["post"]),
        ("source=示例日报", ["second", "post"]),
        ("published_since=2024-02-01", ["second"]),
        ("published_until=2024-01-31", ["post"]),
        ("post={second}", ["second"]),
    ],
)
def test_my_tag_and_post_filters_apply_to_posts_with_only_my_tags(
    owner, owner_client, notes, post, second_post, query, expected
):
    state.change(owner, post.pk, {"tags": ["经济学"]})
    state.change(owner, second_post.pk, {"tags": ["待读"]})
    response = owner_client.get(f"/notes/?{query.format(second=second_post.pk)}")
    posts = {"post": post.pk, "second": second_post.pk}
    assert listed_posts(response) == [posts[name] for name in expected]


def test_the_my_tag_filter_keeps_the_posts_notes(owner, owner_client, notes, post):
    state.change(owner, post.pk, {"tags": ["经济学"]})
    assert len(entry_ids(owner_client.get("/notes/?mytag=经济学"))) == 3
    assert entry_ids(owner_client.get("/notes/?mytag=经济学&kind=note")) == [notes["note"].pk]


def test_another_users_tag_filters_nothing_of_mine(owner, other, owner_client, notes, post):
    state.change(other, post.pk, {"tags": ["秘密"]})
    assert listed_posts(owner_client.get("/notes/?mytag=秘密")) == []


def test_the_notebook_takes_a_fixed_number_of_queries_with_page_notes_and_my_tags(
    owner, notes, post, archive_dir, django_assert_max_num_queries
):
    client = Client()
    client.force_login(owner)
    page_note(owner, post, "要点")
    state.change(owner, post.pk, {"tags": ["a", "b"]})
    for number in range(4):  # more posts with notes, and more with my tags alone
        archive_dir.write(f"2024-03-0{number + 1}-more.md", url=f"https://example.org/m{number}")
    import_paths([archive_dir])
    for number in range(4):
        more = Post.objects.get(url=f"https://example.org/m{number}")
        if number % 2:
            services.create(owner, changes(more, "正文第一段", tags=["c"]))
        state.change(owner, more.pk, {"tags": ["d", f"e{number}"]})
    with django_assert_max_num_queries(10):  # 9, and the header's stamp (groups.header)
        response = client.get("/notes/")
    assert len(listed_posts(response)) == 5


# --- the box that edits my own tags of a post ---------------------------------------------------


def test_the_tag_box_sets_my_tags_and_returns_to_the_post(owner, owner_client, notes, post):
    response = owner_client.post(
        f"/notes/my-tags/{post.pk}", {"tags": "待读，#经济学, 待读", "next": "/notes/?kind=note"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/notes/?kind=note#post-{post.pk}"
    assert state.get(owner, post.pk).tag_names == ["待读", "经济学"]
    owner_client.post(f"/notes/my-tags/{post.pk}", {"tags": "经济学"})
    assert state.get(owner, post.pk).tag_names == ["经济学"]  # the box replaces them


def test_the_tag_box_says_what_is_wrong_and_keeps_the_tags(owner, owner_client, notes, post):
    state.change(owner, post.pk, {"tags": ["经济学"]})
    response = owner_client.post(
        f"/notes/my-tags/{post.pk}", {"tags": ", ".join(f"t{n}" for n in range(21))}, follow=True
    )
    assert "标签最多 20 个。The tags are limited to 20." in response.text
    assert state.get(owner, post.pk).tag_names == ["经济学"]


def test_the_tag_box_changes_only_my_tags(owner, other, other_client, post):
    state.change(owner, post.pk, {"tags": ["经济学"]})
    other_client.post(f"/notes/my-tags/{post.pk}", {"tags": "别的"})
    assert state.get(owner, post.pk).tag_names == ["经济学"]
    assert state.get(other, post.pk).tag_names == ["别的"]


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/notes/", ""])
def test_the_tag_box_never_sends_elsewhere(owner_client, post, next_url):
    response = owner_client.post(f"/notes/my-tags/{post.pk}", {"tags": "a", "next": next_url})
    assert response["Location"] == f"/notes/#post-{post.pk}"


def test_the_tag_box_needs_sign_in_a_post_and_a_post_request(anonymous_client, owner_client, post):
    assert anonymous_client.post(f"/notes/my-tags/{post.pk}", {"tags": "a"}).status_code == 302
    assert owner_client.post("/notes/my-tags/99999", {"tags": "a"}).status_code == 404
    assert owner_client.get(f"/notes/my-tags/{post.pk}").status_code == 405
    assert not ReadingState.objects.exists()


def test_the_tag_box_needs_the_csrf_token(owner, post):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(f"/notes/my-tags/{post.pk}", {"tags": "a"}).status_code == 403


@pytest.mark.parametrize("post_id", ["99999999999999999999", "-1", "abc"])
def test_a_post_that_no_id_can_name_lists_no_tagged_post_either(
    owner, owner_client, second_post, post_id
):
    state.change(owner, second_post.pk, {"tags": ["待读"]})
    assert listed_posts(owner_client.get("/notes/", {"post": post_id})) == []
    export = owner_client.get("/notes/export.md", {"post": post_id}).content.decode()
    assert "待读" not in export
