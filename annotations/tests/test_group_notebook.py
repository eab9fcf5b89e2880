"""The group notebook (/groups/<id>/notes/): the notes in a group its viewer may read, by post,
each with its author and the replies under it; and, in my own notebook, who sees each note."""

import re

import pytest
from django.test import Client

from annotations import services
from annotations.models import Visibility
from annotations.tests.conftest import changes
from annotations.values import Changes
from archive.importer import import_paths
from archive.models import Post
from groups import services as groups

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def entry_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-entry="(\d+)"', response.content.decode())]


def reply_ids(response) -> list[tuple[int, int]]:
    """(reply id, depth) in page order."""
    found = re.findall(r'data-reply="(\d+)" data-depth="(\d+)"', response.content.decode())
    return [(int(pk), int(depth)) for pk, depth in found]


def in_group(group, **fields):
    return {"visibility": Visibility.GROUP, "group": group.pk, **fields}


def reply(user, note, body="I agree.", **fields):
    return services.create(user, Changes(parent=note.pk, body=body, **fields))


@pytest.fixture
def notes(alice, bob, mod, carol, team, other_team, post):
    """Group notes by alice and bob, with a thread; notes the group must not show."""
    found = {
        "alice": services.create(
            alice, changes(post, "增长放缓", kind="note", body="Slower growth", **in_group(team))
        ),
        "bob": services.create(
            bob, changes(post, "专家说", kind="note", body="专家 expert", **in_group(team))
        ),
        "alice_private": services.create(alice, changes(post, "第一段")),
        "alice_everyone": services.create(alice, changes(post, "第二段", visibility="everyone")),
        "carol_elsewhere": services.create(carol, changes(post, "结构性", **in_group(other_team))),
    }
    found["bob_reply"] = reply(bob, found["alice"], "Why slower?")
    found["alice_answer"] = reply(alice, found["bob_reply"], "Because of debt.")
    found["mod_reply"] = reply(mod, found["alice"], "A source, please.")
    return found


def url(group, query=""):
    return f"/groups/{group.pk}/notes/" + (f"?{query}" if query else "")


# --- who may see it -----------------------------------------------------------------------------


def test_the_group_notebook_needs_sign_in(anonymous_client, team):
    response = anonymous_client.get(url(team))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_non_member_gets_404_as_for_a_group_that_does_not_exist(carol, dave, team, notes):
    assert client_of(carol).get(url(team)).status_code == 404
    assert client_of(dave).get(url(team)).status_code == 404
    assert client_of(carol).get("/groups/999999/notes/").status_code == 404


def test_a_removed_member_loses_the_notebook_at_once(alice, bob, team, notes):
    client = client_of(bob)
    assert client.get(url(team)).status_code == 200
    groups.remove_member(team.memberships.get(user=alice), bob)
    assert client.get(url(team)).status_code == 404


# --- what it shows ------------------------------------------------------------------------------


def test_members_see_every_group_note_in_reading_order_and_nothing_else(bob, team, notes):
    response = client_of(bob).get(url(team))
    assert response.status_code == 200
    assert entry_ids(response) == [notes["alice"].pk, notes["bob"].pk]


def test_each_note_and_reply_names_its_author(bob, team, notes):
    content = client_of(bob).get(url(team)).content.decode()
    authors = re.findall(r'class="entry-author">— (\w+)<', content)
    assert authors == ["alice", "bob", "alice", "mod", "bob"]


def test_replies_are_under_their_note_their_own_replies_a_step_further(bob, team, notes):
    response = client_of(bob).get(url(team))
    assert reply_ids(response) == [
        (notes["bob_reply"].pk, 1),
        (notes["alice_answer"].pk, 2),
        (notes["mod_reply"].pk, 1),
    ]
    content = response.content.decode()
    thread = content[content.index(f'data-entry="{notes["alice"].pk}"') :]
    thread = thread[: thread.index(f'data-entry="{notes["bob"].pk}"')]
    assert "Why slower?" in thread and "Because of debt." in thread
    assert "2 条回复 replies" in thread  # the note's direct replies


def test_a_reply_is_never_listed_as_a_note(bob, team, notes):
    ids = entry_ids(client_of(bob).get(url(team)))
    assert not {notes["bob_reply"].pk, notes["alice_answer"].pk} & set(ids)


def test_everything_written_is_escaped(alice, bob, team, post):
    evil = "<script>alert(1)</script>"
    note = services.create(
        alice, changes(post, "增长放缓", kind="note", body=evil, **in_group(team))
    )
    reply(bob, note, evil)
    content = client_of(bob).get(url(team)).content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;" in content


def test_a_hidden_note_is_gone_for_members_and_marked_for_moderators_and_its_author(
    alice, bob, mod, team, notes
):
    services.hide(notes["alice"], mod)
    assert notes["alice"].pk not in entry_ids(client_of(bob).get(url(team)))
    for viewer in (alice, mod):
        response = client_of(viewer).get(url(team))
        assert notes["alice"].pk in entry_ids(response)
        assert "已被管理员隐藏 Hidden by a moderator" in response.content.decode()


def test_replies_to_a_note_i_can_no_longer_read_stay_under_a_placeholder(
    alice, bob, mod, team, notes
):
    services.hide(notes["alice"], mod)
    response = client_of(bob).get(url(team))
    content = response.content.decode()
    assert "data-missing-note" in content and "Slower growth" not in content
    assert [pk for pk, _ in reply_ids(response)] == [
        notes["bob_reply"].pk,
        notes["alice_answer"].pk,
        notes["mod_reply"].pk,
    ]


def test_replies_to_a_deleted_note_stay_readable_under_a_placeholder(alice, bob, team, notes):
    services.delete(notes["alice"])
    response = client_of(bob).get(url(team))
    assert entry_ids(response) == [notes["bob"].pk]
    assert response.content.decode().count("data-missing-note") == 1
    assert (notes["alice_answer"].pk, 2) in reply_ids(response)


def test_replies_to_a_note_gone_with_its_authors_account_stay_readable(alice, bob, team, notes):
    alice.delete()  # her notes and replies go with her account; others' words stay
    response = client_of(bob).get(url(team))
    assert entry_ids(response) == [notes["bob"].pk]
    assert reply_ids(response) == [(notes["bob_reply"].pk, 1), (notes["mod_reply"].pk, 1)]


def test_replies_to_the_note_of_someone_who_left_stay_under_a_placeholder(
    alice, bob, mod, team, notes
):
    answer = reply(mod, notes["bob"], "Which expert?")
    groups.leave(bob, team)  # bob's notes become private to him
    response = client_of(alice).get(url(team))
    assert entry_ids(response) == [notes["alice"].pk]
    assert "data-missing-note" in response.content.decode()
    assert (answer.pk, 1) in reply_ids(response)


def test_a_filter_on_notes_leaves_out_replies_to_missing_notes(alice, bob, team, notes):
    services.delete(notes["alice"])
    response = client_of(bob).get(url(team, "kind=note"))
    assert "data-missing-note" not in response.content.decode()
    assert entry_ids(response) == [notes["bob"].pk]


def test_a_post_with_only_replies_to_a_deleted_note_is_still_listed(alice, bob, team, notes, post):
    services.delete(notes["alice"])
    services.delete(notes["bob"])
    response = client_of(bob).get(url(team))
    assert f'id="post-{post.pk}"' in response.content.decode()
    assert len(reply_ids(response)) == 3


# --- filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("author=bob", ["bob"]),
        ("author=alice", ["alice"]),
        ("author=mod", []),  # a member with no notes here
        ("q=expert", ["bob"]),
        ("q=slower", ["alice"]),
        ("kind=highlight", []),
        ("source=示例日报", ["alice", "bob"]),
        ("since=2199-12-31", []),
    ],
)
def test_the_notebooks_filters_and_the_author(bob, team, notes, query, expected):
    response = client_of(bob).get(url(team, query))
    assert entry_ids(response) == [notes[name].pk for name in expected]


def test_the_author_is_chosen_among_the_members(bob, team, notes):
    response = client_of(bob).get(url(team, "author=carol"))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in content  # named and ignored
    assert entry_ids(response) == [notes["alice"].pk, notes["bob"].pk]
    options = re.findall(r'<option value="(\w+)"', content[content.index('name="author"') :])
    assert options[:3] == ["alice", "bob", "mod"]


def test_my_own_tags_and_visibility_are_not_filters_of_a_group(bob, team, notes):
    content = client_of(bob).get(url(team)).content.decode()
    assert 'name="mytag"' not in content and 'name="visibility"' not in content


def test_the_filters_fold_on_a_phone_as_in_my_notebook(bob, team, notes):
    """Both notebooks' filter boxes are open as sent (a wide screen, or no script) and
    folded by site.js on a narrow screen (data-facets): the notes come first on a phone."""
    from selectolax.lexbor import LexborHTMLParser

    for address in (url(team), url(team, "q=growth"), "/notes/"):
        page = LexborHTMLParser(client_of(bob).get(address).content.decode())
        box = page.css_first("details.notebook-filters-box")
        assert "data-facets" in box.attributes and "open" in box.attributes, address
    filtered = LexborHTMLParser(client_of(bob).get(url(team, "q=growth")).content.decode())
    assert "已筛选 filtered" in filtered.css_first(".notebook-filters-box summary").text()


def test_the_export_links_carry_the_filter(bob, team, notes):
    content = client_of(bob).get(url(team, "author=bob")).content.decode()
    assert f'href="/groups/{team.pk}/export.md?author=bob"' in content
    assert f'href="/groups/{team.pk}/export.json?author=bob"' in content


def test_the_group_notebook_takes_a_fixed_number_of_queries(
    alice, bob, mod, team, notes, archive_dir, django_assert_max_num_queries
):
    client = client_of(bob)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(team)).status_code == 200
        return len(queries)

    before = count()
    for number in range(2, 6):
        archive_dir.write(
            name=f"2024-01-0{number}-more.md",
            url=f"https://example.org/more/{number}",
            body="<p>另一篇文章讲经济，也讲增长。</p>",
        )
    import_paths([archive_dir])
    for more in Post.objects.filter(url__contains="/more/"):
        note = services.create(
            alice, changes(more, "经济", kind="note", body="n", tags=["t"], **in_group(team))
        )
        answer = reply(bob, note, "r", tags=("x",))
        reply(mod, answer, "rr")
    assert count() == before
    # The session, the membership, the filters' choices, the page, the notes and replies
    # with their tags, and the header's groups and replies.
    with django_assert_max_num_queries(14):
        client.get(url(team))


# --- my own notebook: who sees each note, its replies ------------------------------------------


def test_my_notebook_says_who_sees_each_note_and_counts_its_replies(alice, team, notes):
    content = client_of(alice).get("/notes/").content.decode()
    assert f'小组 Group: <a href="/groups/{team.pk}/notes/">读书会 Reading club</a>' in content
    assert 'data-visibility="private">只有我 Only me<' in content
    assert 'data-visibility="everyone">所有人 Everyone<' in content
    assert "2 条回复 replies" in content


def test_my_notebook_filters_by_visibility(alice, team, notes):
    client = client_of(alice)
    for value, names in [
        ("private", ["alice_private"]),
        ("group", ["alice"]),
        ("everyone", ["alice_everyone"]),
    ]:
        ids = entry_ids(client.get(f"/notes/?visibility={value}"))
        assert ids == [notes[name].pk for name in names], value


def test_my_replies_are_not_notes_in_my_notebook(alice, bob, team, notes):
    assert notes["alice_answer"].pk not in entry_ids(client_of(alice).get("/notes/"))
    assert entry_ids(client_of(bob).get("/notes/")) == [notes["bob"].pk]


def test_my_notebook_marks_a_note_a_moderator_hid(alice, bob, mod, team, notes):
    services.hide(notes["bob"], mod)
    content = client_of(bob).get("/notes/").content.decode()
    assert "已被管理员隐藏 Hidden by a moderator" in content
