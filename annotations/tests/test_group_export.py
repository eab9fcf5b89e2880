"""A group's export (/groups/<id>/export.md and .json): every note its reader may read in the
group with its author, replies nested under the note they answer, hidden notes only for
those who may read them (marked), the notebook's filters; a golden file for the Markdown."""

import json
import re
from datetime import UTC, datetime

import pytest
import yaml
from django.test import Client
from markdown_it import MarkdownIt

from annotations import export, services
from annotations.models import Annotation, Visibility
from annotations.notebook import GroupNotebookFilters
from annotations.tests.conftest import changes
from annotations.tests.test_export import golden
from annotations.values import Changes, Target
from archive.importer import import_paths
from archive.models import Post
from groups import services as groups

pytestmark = pytest.mark.django_db

BASE = "http://testserver"


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def in_group(group, **fields):
    return {"visibility": Visibility.GROUP, "group": group.pk, **fields}


def reply(user, note, body, **fields):
    return services.create(user, Changes(parent=note.pk, body=body, **fields))


def page_note(user, post, body, **fields):
    target = Target(source=post.url, post_id=post.pk, exact="", start=None, end=None)
    return services.create(user, Changes(target=target, kind="note", body=body, **fields))


@pytest.fixture
def thread(alice, bob, mod, carol, team, other_team, post):
    """In alice's group: her note on a passage, bob's page note, a thread of replies (one
    with Markdown that could break the file's structure), and notes the export must not hold."""
    made = {
        "alice": services.create(
            alice,
            changes(
                post,
                "增长放缓",
                kind="note",
                body="Slower *growth*.",
                tags=["经济"],
                **in_group(team),
            ),
        ),
        "bob_page": page_note(bob, post, "整篇都值得读。", **in_group(team)),
    }
    made["bob_reply"] = reply(bob, made["alice"], "Why slower?\n\n# not a heading of the file")
    made["alice_answer"] = reply(alice, made["bob_reply"], "Debt.\n```\nunclosed fence")
    made["mod_reply"] = reply(mod, made["alice"], "A source, please.", tags=("来源",))
    made["alice_private"] = services.create(alice, changes(post, "第一段"))
    made["alice_everyone"] = services.create(alice, changes(post, "第二段", visibility="everyone"))
    made["carol_elsewhere"] = services.create(
        carol, changes(post, "结构性", **in_group(other_team))
    )
    for number, annotation in enumerate(made.values()):  # known times: the same bytes
        stamp = datetime(2024, 5, 1, 12, number, tzinfo=UTC)
        Annotation.objects.filter(pk=annotation.pk).update(created_at=stamp, modified_at=stamp)
    return made


def get(user, group, fmt="md", query=""):
    return client_of(user).get(f"/groups/{group.pk}/export.{fmt}" + (f"?{query}" if query else ""))


def stable_ids(text: str, made: dict) -> str:
    """Ids as the golden file has them (PostgreSQL does not reuse ids between tests)."""
    post_id = made["alice"].post_id
    text = text.replace(f"/posts/{post_id}/", "/posts/1/")
    for number, annotation in enumerate(made.values(), 1):
        text = re.sub(rf"#annotation-{annotation.pk}\)", f"#annotation-{number})", text)
        text = re.sub(rf"\^pizhu-{annotation.pk}\b", f"^pizhu-{number}", text)
    return text


def markdown_of(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    return response.content.decode()


# --- who may export it --------------------------------------------------------------------------


def test_the_export_needs_sign_in(anonymous_client, team):
    for fmt in ("md", "json"):
        response = anonymous_client.get(f"/groups/{team.pk}/export.{fmt}")
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_a_non_member_gets_404(carol, dave, team, thread):
    for user in (carol, dave):
        for fmt in ("md", "json"):
            assert get(user, team, fmt).status_code == 404


def test_a_removed_member_loses_the_export_at_once(alice, bob, team, thread):
    assert get(bob, team).status_code == 200
    groups.remove_member(team.memberships.get(user=alice), bob)
    assert get(bob, team).status_code == 404
    assert get(bob, team, "json").status_code == 404


def test_an_unknown_format_is_a_404(bob, team):
    assert get(bob, team, "zip").status_code == 404


def test_the_download_is_named_after_the_group(bob, team, thread):
    response = get(bob, team)
    assert "attachment" in response["Content-Disposition"]
    assert "pizhu-group-" in response["Content-Disposition"]
    assert f"-{team.pk}.md" in response["Content-Disposition"]
    assert get(bob, team, "json")["Content-Type"] == "application/ld+json; charset=utf-8"


# --- Markdown -----------------------------------------------------------------------------------


def test_the_markdown_matches_the_reviewed_golden_file(alice, team, thread):
    golden("group-notes.md", stable_ids(markdown_of(get(alice, team)), thread))


def test_it_names_the_group_and_each_note_and_reply_has_its_author(bob, team, thread):
    text = markdown_of(get(bob, team))
    front, body = text.removeprefix("---\n").split("\n---\n", 1)
    assert yaml.safe_load(front) == {
        "group": "读书会 Reading club",
        "exported": "2024-05-01T12:04:00+00:00",
        "posts": 1,
        "notes": 2,
        "replies": 3,
    }
    assert body.lstrip().startswith("# 小组笔记 Group notes: 读书会 Reading club\n")
    assert re.findall(r"— (\w+) ·", body) == ["bob", "alice", "bob", "alice", "mod"]


def test_only_the_groups_notes_are_exported(bob, team, thread):
    text = markdown_of(get(bob, team))
    for name in ("alice_private", "alice_everyone", "carol_elsewhere"):
        assert f"^pizhu-{thread[name].pk}\n" not in text
    assert "第一段" not in text and "结构性" not in text


def test_replies_are_list_items_nested_under_their_note(bob, team, thread):
    text = markdown_of(get(bob, team))
    tokens = MarkdownIt("commonmark").parse(text.split("\n---\n", 1)[1])
    headings = [
        (tokens[i + 1].content, t.level) for i, t in enumerate(tokens) if t.type == "heading_open"
    ]
    # The file's own headings: its title, the post, and the page notes apart from passages;
    # the one a reply wrote is inside its list item.
    assert headings == [
        ("小组笔记 Group notes: 读书会 Reading club", 0),
        ("测试文章", 0),
        ("页面笔记 Page notes", 0),
        ("段落笔记 Passage notes", 0),
        ("not a heading of the file", 2),  # bullet_list > list_item > heading
    ]
    depth, found = 0, []
    for token in tokens:
        depth += {"bullet_list_open": 1, "bullet_list_close": -1}.get(token.type, 0)
        if token.type == "inline" and token.content.startswith(("Why", "Debt", "A source")):
            found.append((token.content.split("\n")[0], depth))
    assert found == [("Why slower?", 1), ("Debt.", 2), ("A source, please.", 1)]
    # An unclosed fence in a reply is closed inside it: what follows stays Markdown.
    fences = [t for t in tokens if t.type == "fence"]
    assert [(t.content, t.level > 0) for t in fences] == [("unclosed fence\n", True)]


def test_the_same_notes_give_the_same_bytes(bob, team, thread):
    assert get(bob, team).content == get(bob, team).content


def test_a_hidden_note_is_left_out_for_members_and_marked_for_moderators(
    alice, bob, mod, team, thread
):
    services.hide(thread["alice"], mod)
    services.hide(thread["mod_reply"], alice)
    for_bob = markdown_of(get(bob, team))
    assert "Slower" not in for_bob and "A source" not in for_bob
    assert export.HIDDEN_MARK not in for_bob
    assert "原批注已删除或不再可见" in for_bob  # bob's reply stays, under a placeholder
    assert "Why slower?" in for_bob
    for_mod = markdown_of(get(mod, team))
    assert f"— alice · {export.HIDDEN_MARK} · #经济" in for_mod
    assert f"— mod · {export.HIDDEN_MARK} · 2024-05-01" in for_mod


def test_its_author_still_finds_a_hidden_note_marked(bob, mod, team, thread):
    services.hide(thread["bob_page"], mod)
    assert f"— bob · {export.HIDDEN_MARK}" in markdown_of(get(bob, team))


def test_replies_to_a_deleted_note_stay_under_a_placeholder(alice, bob, team, thread):
    services.delete(thread["alice"])
    text = markdown_of(get(bob, team))
    assert "Slower" not in text
    assert text.count(export.MISSING_NOTE) == 1
    assert "Why slower?" in text and "A source, please." in text


@pytest.mark.parametrize(
    ("query", "notes", "replies"),
    [
        ("author=bob", ["bob_page"], []),
        ("author=alice", ["alice"], ["bob_reply", "alice_answer", "mod_reply"]),
        ("tag=经济", ["alice"], ["bob_reply", "alice_answer", "mod_reply"]),
        ("q=整篇", ["bob_page"], []),
        ("kind=highlight", [], []),
    ],
)
def test_the_notebooks_filters_pick_the_notes_each_with_its_whole_thread(
    bob, team, thread, query, notes, replies
):
    data = json.loads(get(bob, team, "json", query).content)
    ids = [int(item["id"].rsplit("/", 1)[1]) for item in data["first"]["items"]]
    assert ids == [thread[name].pk for name in (*notes, *replies)]
    assert data["total"] == len(notes) + len(replies)


def test_an_empty_group_exports_its_heading_and_no_notes(bob, team):
    text = markdown_of(get(bob, team))
    assert "# 小组笔记 Group notes: 读书会 Reading club" in text
    assert "没有笔记。No notes." in text


# --- JSON-LD ------------------------------------------------------------------------------------


def test_the_json_is_a_w3c_collection_with_replies_that_target_their_note(bob, team, thread):
    data = json.loads(get(bob, team, "json").content)
    assert data["type"] == "AnnotationCollection"
    assert data["label"] == "Pizhu group: 读书会 Reading club"
    items = {item["id"]: item for item in data["first"]["items"]}
    assert len(items) == data["total"] == 5
    answer = items[f"{BASE}/api/annotations/{thread['alice_answer'].pk}"]
    assert answer["motivation"] == "replying"
    assert answer["target"] == f"{BASE}/api/annotations/{thread['bob_reply'].pk}"
    assert answer["creator"]["nickname"] == "alice"
    note = items[f"{BASE}/api/annotations/{thread['alice'].pk}"]
    assert note["motivation"] == "commenting"
    assert note["pizhu"]["replies"] == 2
    assert note["pizhu"]["groupName"] == "读书会 Reading club"
    assert items[f"{BASE}/api/annotations/{thread['mod_reply'].pk}"]["body"][1] == {
        "type": "TextualBody",
        "purpose": "tagging",
        "value": "来源",
    }


def test_each_note_is_followed_by_its_thread(bob, team, thread):
    data = json.loads(get(bob, team, "json").content)
    ids = [int(item["id"].rsplit("/", 1)[1]) for item in data["first"]["items"]]
    order = ["bob_page", "alice", "bob_reply", "alice_answer", "mod_reply"]
    assert ids == [thread[name].pk for name in order]


def test_a_hidden_note_is_in_the_json_of_moderators_and_its_author_marked_and_no_one_elses(
    bob, mod, dave, team, thread
):
    groups.join(dave, groups.make_invite(team, mod).token)  # a member like bob
    services.hide(thread["bob_page"], mod)
    page = f"{BASE}/api/annotations/{thread['bob_page'].pk}"

    def hidden_for(user) -> dict:
        items = json.loads(get(user, team, "json").content)["first"]["items"]
        return {item["id"]: item["pizhu"]["hidden"] for item in items}

    assert hidden_for(mod)[page] is True
    assert hidden_for(bob)[page] is True  # bob wrote it: its author still reads it
    assert page not in hidden_for(dave)
    assert len(hidden_for(dave)) == 4


def test_the_export_takes_a_fixed_number_of_queries(
    alice, bob, mod, team, thread, archive_dir, django_assert_max_num_queries
):
    for number in range(2, 5):  # more posts, notes, replies, and a post with replies alone
        archive_dir.write(
            name=f"2024-01-0{number}-more.md",
            url=f"https://example.org/more/{number}",
            body="<p>另一篇文章讲经济，也讲增长。</p>",
        )
    import_paths([archive_dir])
    for more in Post.objects.filter(url__contains="/more/"):
        note = services.create(
            alice, changes(more, "经济", kind="note", body="n", **in_group(team))
        )
        reply(mod, reply(bob, note, "r", tags=("x",)), "rr")
    services.delete(note)
    filters = GroupNotebookFilters({}, user=bob, group=team)
    # The posts with orphaned replies, the notes and the replies with their tags, and the
    # posts where only replies are left.
    with django_assert_max_num_queries(6):
        entries = export.group_notes_for_export(bob, team, filters)
        export.render_group("json", team, entries, base_url=BASE)
        export.render_group("md", team, entries, base_url=BASE)
    assert len(entries) == 4
