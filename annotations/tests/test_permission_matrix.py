"""Who may do what with whose note, through the API and the pages: the whole matrix.

Personas (root conftest): alice wrote every note and owns ``team``; bob is a member of it; mod
moderates it; carol belongs to another group; dave to none; anonymous is signed out; "token" is
bob's personal API token (the API only: pages do not take tokens). Notes: alice's private one,
one to the group, one to everyone signed in, and a group note a moderator hid.

The expected outcomes are written out below by hand, from the issue's rules, not computed from
annotations.access: this test is what says whether that module is right.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import ApiToken
from annotations import services
from annotations.models import Annotation
from annotations.tests.conftest import changes

PERSONAS = ("author", "member", "moderator", "other_group", "non_member", "anonymous", "token")
NOTES = ("private", "group", "everyone", "hidden")
# The words each note holds, so a list, a search or an export can be checked for it.
WORDS = {name: f"mark{name}zz" for name in NOTES}

SIGNED_IN = {"author", "member", "moderator", "other_group", "non_member", "token"}
GROUP_READERS = {"author", "member", "moderator", "token"}
# Who may read (and list, search, reply to) each note.
READ = {
    "private": {"author"},
    "group": GROUP_READERS,
    "everyone": SIGNED_IN,
    "hidden": {"author", "moderator"},
}
# Only the author changes, deletes and restores; the group's owner (alice) and moderator hide
# its notes; nobody here moderates notes to everyone (that is the instance's staff).
EDIT = {note: {"author"} for note in NOTES}
HIDE = {"private": set(), "group": {"author", "moderator"}, "everyone": set(),
        "hidden": {"author", "moderator"}}  # fmt: skip
# The group's export and notebook: its members' view of the group's notes.
GROUP_PAGE_READERS = {"private": set(), "group": {"author", "member", "moderator"},
                      "everyone": set(), "hidden": {"author", "moderator"}}  # fmt: skip


@pytest.fixture
def world(alice, bob, mod, carol, dave, team, other_team, post):
    def note(name, **fields):
        quote = {"private": "增长放缓", "group": "专家说", "everyone": "中国的经济",
                 "hidden": "第一段"}[name]  # fmt: skip
        return services.create(
            alice, changes(post, quote, kind="note", body=f"{WORDS[name]} 的笔记", **fields)
        )

    notes = {
        "private": note("private"),
        "group": note("group", visibility="group", group=team.pk),
        "everyone": note("everyone", visibility="everyone"),
        "hidden": note("hidden", visibility="group", group=team.pk),
    }
    services.hide(notes["hidden"], mod)
    users = {"author": alice, "member": bob, "moderator": mod, "other_group": carol,
             "non_member": dave}  # fmt: skip
    clients = {}
    for persona, user in users.items():
        client = Client()
        client.force_login(user)
        clients[persona] = client
    clients["anonymous"] = Client()
    _, key = ApiToken.issue(bob, "matrix")
    clients["token"] = Client(headers={"Authorization": f"Bearer {key}"})
    return {"notes": notes, "clients": clients, "team": team, "post": post}


def call(client, method, url, data=None):
    body = json.dumps(data) if data is not None else None
    return getattr(client, method)(url, body, content_type="application/json")


def api(note: Annotation) -> str:
    return f"/api/annotations/{note.pk}"


def each_note(check):
    """Run ``check(note)`` on every note and report every cell that went wrong at once (one
    world per persona: building one costs more than the checks)."""
    wrong = []
    for note in NOTES:
        try:
            check(note)
        except AssertionError as failed:
            wrong.append(f"{note}: {failed}")
    assert not wrong, "\n".join(wrong)


def expected_status(persona, note, allowed: dict, *, ok: int) -> int:
    """What the API answers: ``ok``; 401 signed out; 404 when the note is not theirs to see;
    403 when they may see it but not do this."""
    if persona in allowed[note]:
        return ok
    if persona == "anonymous":
        return 401
    return 403 if persona in READ[note] else 404


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_read(world, persona):
    def check(note):
        response = call(world["clients"][persona], "get", api(world["notes"][note]))
        assert response.status_code == expected_status(persona, note, READ, ok=200)

    each_note(check)


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_list_and_search(world, persona):
    def check(note):
        client, post = world["clients"][persona], world["post"]
        for query in (f"?post={post.pk}", f"?text={WORDS[note]}", f"?group={world['team'].pk}"):
            response = call(client, "get", f"/api/annotations/{query}")
            if persona == "anonymous":
                assert response.status_code == 401
                continue
            assert response.status_code == 200
            listed = WORDS[note] in response.content.decode()
            in_group = note in ("group", "hidden")
            wanted = persona in READ[note] and (in_group or "group=" not in query)
            assert listed == wanted, (query, response.json())

    each_note(check)


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_edit(world, persona):
    def check(note):
        target = world["notes"][note]
        response = call(
            world["clients"][persona], "patch", api(target), {"pizhu": {"colour": "pink"}}
        )
        assert response.status_code == expected_status(persona, note, EDIT, ok=200)
        target.refresh_from_db()
        assert (target.colour == "pink") == (persona in EDIT[note])

    each_note(check)


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_delete(world, persona):
    def check(note):
        target = world["notes"][note]
        response = call(world["clients"][persona], "delete", api(target))
        assert response.status_code == expected_status(persona, note, EDIT, ok=204)
        target.refresh_from_db()
        assert (target.deleted_at is not None) == (persona in EDIT[note])

    each_note(check)


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_restore(world, persona):
    def check(note):
        target = world["notes"][note]
        services.delete(target)
        response = call(world["clients"][persona], "post", f"{api(target)}/restore")
        if persona == "anonymous":
            assert response.status_code == 401
        else:  # a deleted note is nobody's to see: 404 to all but its author
            assert response.status_code == (200 if persona in EDIT[note] else 404)
        target.refresh_from_db()
        assert (target.deleted_at is None) == (persona in EDIT[note])

    each_note(check)


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_reply(world, persona):
    def check(note):
        target = world["notes"][note]
        body = [{"type": "TextualBody", "value": "回复", "purpose": "commenting"}]
        reply = {
            "type": "Annotation",
            "motivation": "replying",
            "target": api(target),
            "body": body,
        }
        response = call(world["clients"][persona], "post", "/api/annotations/", reply)
        if persona == "anonymous":
            assert response.status_code == 401
        elif persona in READ[note]:
            assert response.status_code == 201, response.content
        else:  # the same answer whether the note exists or not
            assert response.status_code == 400
            assert "no annotation you can reply to" in response.content.decode()
        assert target.replies.exists() == (persona in READ[note])

    each_note(check)


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_hide(world, persona):
    def check(note):
        target = world["notes"][note]
        was_hidden = target.hidden_at is not None
        response = call(world["clients"][persona], "post", f"{api(target)}/hide")
        assert response.status_code == expected_status(persona, note, HIDE, ok=200)
        target.refresh_from_db()
        assert (target.hidden_at is not None) == (was_hidden or persona in HIDE[note])

    each_note(check)


# --- the pages -------------------------------------------------------------------------------


GROUP_MEMBERS = {"author", "member", "moderator"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_group_notebook_and_export_show_the_group_notes_to_members_only(world, persona):
    def check(note):
        team = world["team"]
        for url in (f"/groups/{team.pk}/notes/", f"/groups/{team.pk}/export.md",
                    f"/groups/{team.pk}/export.json"):  # fmt: skip
            response = world["clients"][persona].get(url)
            if persona in ("anonymous", "token"):
                assert response.status_code == 302 and "/accounts/login/" in response["Location"]
                continue
            assert response.status_code == (200 if persona in GROUP_MEMBERS else 404), url
            if response.status_code == 200:
                assert (WORDS[note] in response.content.decode()) == (
                    persona in GROUP_PAGE_READERS[note]
                ), url

    each_note(check)


@pytest.mark.parametrize("persona", PERSONAS)
def test_my_notebook_and_export_hold_only_my_own_notes(world, persona):
    def check(note):
        for url in ("/notes/", "/notes/export.md"):
            response = world["clients"][persona].get(url)
            if persona in ("anonymous", "token"):
                assert response.status_code == 302
                continue
            assert response.status_code == 200
            assert (WORDS[note] in response.content.decode()) == (persona == "author"), url

    each_note(check)


@pytest.mark.parametrize("persona", PERSONAS)
def test_page_hide_and_unhide(world, persona):
    def check(note):
        target, team = world["notes"][note], world["team"]
        was_hidden = target.hidden_at is not None
        action = "unhide" if was_hidden else "hide"
        response = world["clients"][persona].post(
            f"/groups/{team.pk}/moderation/{target.pk}/{action}"
        )
        target.refresh_from_db()
        allowed = persona in HIDE[note] and note != "everyone"
        if persona in ("anonymous", "token"):
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif persona not in GROUP_MEMBERS:
            assert response.status_code == 404  # not a member: no such group
        elif allowed:
            assert response.status_code == 302  # back to the group page
        else:
            assert response.status_code in (403, 404)
        assert (target.hidden_at is not None) == (was_hidden != allowed)

    each_note(check)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_group_page_is_for_members(world, persona):
    response = world["clients"][persona].get(f"/groups/{world['team'].pk}/")
    if persona in ("anonymous", "token"):
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if persona in GROUP_MEMBERS else 404)


def test_a_removed_member_loses_everything_at_once(world, bob, alice):
    from groups import services as group_services

    clients, notes, team = world["clients"], world["notes"], world["team"]
    assert call(clients["member"], "get", api(notes["group"])).status_code == 200
    group_services.remove_member(team.memberships.get(user=alice), bob)
    assert call(clients["member"], "get", api(notes["group"])).status_code == 404
    assert call(clients["token"], "get", api(notes["group"])).status_code == 404
    assert clients["member"].get(f"/groups/{team.pk}/notes/").status_code == 404
    assert clients["member"].get(f"/groups/{team.pk}/export.md").status_code == 404
