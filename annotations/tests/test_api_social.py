"""The annotations API with groups: visibility, the list's filters, replies and moderation,
as the group's owner (alice), a member (bob), its moderator (mod), a member of another group
(carol), someone in no group (dave), anonymous and a token. The full matrix of who may do
what is test_permission_matrix's; these are the endpoints' behaviours."""

import json

import pytest
from django.test import Client

from accounts.models import ApiToken
from annotations import services
from annotations.models import Annotation, Flag, ReplyInbox
from annotations.tests.conftest import changes, payload
from annotations.values import Changes
from groups import services as group_services

pytestmark = pytest.mark.django_db

LIST = "/api/annotations/"


def url(annotation, tail=""):
    return f"/api/annotations/{annotation.pk}{tail}"


def iri(annotation):
    return f"http://testserver/api/annotations/{annotation.pk}"


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(client, method, path, data=None, **headers):
    if method == "get":
        return client.get(path, headers=headers)
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(path, body, content_type="application/json", headers=headers)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(int(item["id"].rsplit("/", 1)[1]) for item in response.json()["items"])


def reply_to(parent, body="同意", **extra):
    return {
        "type": "Annotation",
        "motivation": "replying",
        "target": iri(parent),
        "body": [{"type": "TextualBody", "value": body, "purpose": "commenting"}],
        **extra,
    }


@pytest.fixture
def notes(alice, team, other_team, post):
    """alice's notes: private, to her group, to everyone."""

    def note(quote, **fields):
        return services.create(alice, changes(post, quote, kind="note", body="b", **fields))

    return {
        "private": note("增长放缓"),
        "group": note("专家说", visibility="group", group=team.pk),
        "everyone": note("中国的经济", visibility="everyone"),
    }


# --- visibility ------------------------------------------------------------------------------


def test_a_group_note_made_through_the_api_is_read_by_its_members_only(
    alice, bob, mod, carol, dave, team, post
):
    data = payload(post, "增长放缓", kind="note", body="组里看")
    data["pizhu"].update(visibility="group", group=team.pk)
    response = send(client_of(alice), "post", LIST, data)
    assert response.status_code == 201, response.content
    made = response.json()["pizhu"]
    assert (made["visibility"], made["group"], made["groupName"], made["shared"]) == (
        "group",
        team.pk,
        "读书会 Reading club",
        False,
    )
    path = response["Location"]
    for person in (bob, mod):
        assert send(client_of(person), "get", path).status_code == 200
    for person in (carol, dave):
        assert send(client_of(person), "get", path).status_code == 404


def test_a_note_cannot_go_to_a_group_i_am_not_in_nor_to_one_that_does_not_exist(carol, team, post):
    answers = []
    for group in (team.pk, 999_999):
        data = payload(post, "增长放缓")
        data["pizhu"].update(visibility="group", group=group)
        response = send(client_of(carol), "post", LIST, data)
        assert response.status_code == 400
        answers.append(response.json())
    assert answers[0] == answers[1]  # whether the group exists is not told
    assert answers[0]["errors"][0]["field"] == "pizhu.group"
    assert not Annotation.objects.exists()


def test_pizhu_shared_true_still_means_everyone(alice, carol, dave, post):
    response = send(client_of(alice), "post", LIST, payload(post, "增长放缓", shared=True))
    assert response.status_code == 201
    assert response.json()["pizhu"]["visibility"] == "everyone"
    for person in (carol, dave):
        assert send(client_of(person), "get", response["Location"]).status_code == 200
    private = send(client_of(alice), "post", LIST, payload(post, "专家说", shared=False))
    assert private.json()["pizhu"]["visibility"] == "private"
    assert send(client_of(carol), "get", private["Location"]).status_code == 404


def test_a_token_reads_what_its_user_may(bob, carol, notes):
    for user, status in ((bob, 200), (carol, 404)):
        _, key = ApiToken.issue(user, "script")
        client = Client(enforce_csrf_checks=True)
        response = send(client, "get", url(notes["group"]), Authorization=f"Bearer {key}")
        assert response.status_code == status


def test_a_removed_member_loses_read_access_at_once(alice, bob, team, notes):
    client = client_of(bob)
    assert send(client, "get", url(notes["group"])).status_code == 200
    assert notes["group"].pk in ids(send(client, "get", f"{LIST}?group={team.pk}"))
    group_services.remove_member(team.memberships.get(user=alice), bob)
    assert send(client, "get", url(notes["group"])).status_code == 404
    assert ids(send(client, "get", f"{LIST}?group={team.pk}")) == []
    assert ids(send(client, "get", LIST)) == [notes["everyone"].pk]


# --- the list's filters ----------------------------------------------------------------------


def test_the_list_filters_by_group_visibility_and_author(alice, bob, team, notes, post):
    mine = services.create(
        bob, changes(post, "增长放缓", kind="note", body="b", visibility="group", group=team.pk)
    )
    client = client_of(bob)
    assert ids(send(client, "get", f"{LIST}?group={team.pk}")) == sorted(
        [notes["group"].pk, mine.pk]
    )
    assert ids(send(client, "get", f"{LIST}?visibility=everyone")) == [notes["everyone"].pk]
    assert ids(send(client, "get", f"{LIST}?visibility=private")) == []
    assert ids(send(client, "get", f"{LIST}?user=alice")) == sorted(
        [notes["group"].pk, notes["everyone"].pk]
    )
    assert ids(send(client, "get", f"{LIST}?user=alice&visibility=group")) == [notes["group"].pk]
    assert ids(send(client, "get", f"{LIST}?user=bob")) == [mine.pk]
    assert ids(send(client, "get", f"{LIST}?mine=1&user=bob")) == [mine.pk]


def test_an_unknown_user_or_someone_elses_group_is_an_empty_list_not_an_error(
    bob, carol, other_team, notes
):
    client = client_of(bob)
    assert ids(send(client, "get", f"{LIST}?user=nobody")) == []
    assert ids(send(client, "get", f"{LIST}?mine=1&user=alice")) == []
    assert ids(send(client, "get", f"{LIST}?group={other_team.pk}")) == []
    assert ids(send(client, "get", f"{LIST}?group={10**12}")) == []
    # What carol may read of alice's is what she is shown, whether or not alice exists.
    assert ids(send(client_of(carol), "get", f"{LIST}?user=alice")) == [notes["everyone"].pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group=x", "group"),
        ("group=0", "group"),
        ("group=99999999999999999999", "group"),
        ("visibility=public", "visibility"),
        ("parent=-1", "parent"),
        ("parent=²", "parent"),
    ],
)
def test_an_invalid_filter_is_a_400_naming_it(bob, query, field):
    response = send(client_of(bob), "get", f"{LIST}?{query}")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_the_list_takes_the_same_queries_with_replies_and_many_groups(
    alice, bob, team, notes, django_assert_max_num_queries
):
    for body in ("one", "two"):
        services.create(bob, Changes(parent=notes["group"].pk, body=body, tags=()))
    client = client_of(bob)
    with django_assert_max_num_queries(6):
        items = send(client, "get", LIST).json()["items"]
    assert {i["id"]: i["pizhu"]["replies"] for i in items}[iri(notes["group"])] == 2
    for number in range(20):
        group_services.create_group(bob, f"g{number}")
    with django_assert_max_num_queries(6):
        assert len(send(client, "get", LIST).json()["items"]) == 4


# --- replies ---------------------------------------------------------------------------------


def test_a_reply_is_posted_with_motivation_replying_and_takes_its_notes_audience(
    alice, bob, carol, team, notes
):
    data = reply_to(notes["group"], pizhu={"visibility": "everyone"})  # asks for more: ignored
    response = send(client_of(bob), "post", LIST, data)
    assert response.status_code == 201, response.content
    reply = response.json()
    assert (reply["motivation"], reply["target"]) == ("replying", iri(notes["group"]))
    assert (reply["pizhu"]["visibility"], reply["pizhu"]["group"]) == ("group", team.pk)
    assert reply["pizhu"]["parent"] == notes["group"].pk
    assert reply["creator"]["nickname"] == "bob"
    assert send(client_of(carol), "get", response["Location"]).status_code == 404
    assert ReplyInbox.objects.get(user=alice).last_reply_at is not None


def test_the_note_carries_its_reply_count_and_parent_lists_the_replies(
    alice, bob, mod, carol, notes
):
    first = send(client_of(bob), "post", LIST, reply_to(notes["group"])).json()
    second = send(client_of(mod), "post", LIST, reply_to(notes["group"], "我也是")).json()
    note = send(client_of(alice), "get", url(notes["group"])).json()
    assert note["pizhu"]["replies"] == 2
    listed = send(client_of(alice), "get", f"{LIST}?parent={notes['group'].pk}").json()
    assert sorted(item["id"] for item in listed["items"]) == sorted([first["id"], second["id"]])
    assert all(item["motivation"] == "replying" for item in listed["items"])
    # Who may not read the note reads none of its replies, and is not told there are any.
    assert ids(send(client_of(carol), "get", f"{LIST}?parent={notes['group'].pk}")) == []


def test_a_reply_to_a_reply_is_a_thread(alice, bob, notes):
    first = send(client_of(bob), "post", LIST, reply_to(notes["everyone"])).json()
    answer = {**reply_to(notes["everyone"], "谢谢"), "target": first["id"]}
    response = send(client_of(alice), "post", LIST, answer)
    assert response.status_code == 201
    assert response.json()["target"] == first["id"]
    reply = Annotation.objects.get(pk=first["id"].rsplit("/", 1)[1])
    assert ids(send(client_of(bob), "get", f"{LIST}?parent={reply.pk}")) == [
        int(response.json()["id"].rsplit("/", 1)[1])
    ]


def test_a_reply_to_a_note_i_cannot_see_is_refused_without_saying_whether_it_exists(carol, notes):
    answers = []
    for target in (notes["private"], notes["group"]):
        answers.append(send(client_of(carol), "post", LIST, reply_to(target)))
    missing = reply_to(notes["group"])
    missing["target"] = "http://testserver/api/annotations/999999999"
    answers.append(send(client_of(carol), "post", LIST, missing))
    assert {response.status_code for response in answers} == {400}
    bodies = [response.json() for response in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["errors"][0]["field"] == "target"
    assert Annotation.objects.replies().count() == 0


def test_a_reply_needs_words_and_a_target(bob, notes):
    empty = send(client_of(bob), "post", LIST, reply_to(notes["group"], body=" "))
    assert empty.status_code == 400
    assert empty.json()["errors"][0]["field"] == "body.value"
    nowhere = {**reply_to(notes["group"]), "target": "https://example.org/economy"}
    assert send(client_of(bob), "post", LIST, nowhere).json()["errors"][0]["field"] == "target"


def test_the_author_of_a_reply_edits_it_but_not_its_audience(bob, alice, notes):
    response = send(client_of(bob), "post", LIST, reply_to(notes["group"]))
    path = response["Location"]
    edited = send(client_of(bob), "patch", path, {"body": [{"value": "改一下"}]})
    assert edited.status_code == 200 and edited.json()["body"][0]["value"] == "改一下"
    widened = send(client_of(bob), "patch", path, {"pizhu": {"visibility": "everyone"}})
    assert widened.status_code == 400
    assert widened.json()["errors"][0]["field"] == "pizhu.visibility"
    assert send(client_of(alice), "patch", path, {"body": [{"value": "x"}]}).status_code == 403


def test_a_deleted_note_keeps_its_replies_readable(alice, bob, post, notes):
    reply = send(client_of(bob), "post", LIST, reply_to(notes["group"])).json()
    assert send(client_of(alice), "delete", url(notes["group"])).status_code == 204
    client = client_of(bob)
    assert send(client, "get", url(notes["group"])).status_code == 404
    listed = send(client, "get", f"{LIST}?post={post.pk}").json()["items"]
    replies = [item for item in listed if item["motivation"] == "replying"]
    assert [(item["id"], item["target"]) for item in replies] == [
        (reply["id"], iri(notes["group"]))
    ]


def test_a_note_shared_more_widely_takes_its_thread_along(alice, bob, carol, notes):
    response = send(client_of(bob), "post", LIST, reply_to(notes["group"]))
    assert send(client_of(carol), "get", response["Location"]).status_code == 404
    widened = send(client_of(alice), "patch", url(notes["group"]), {"pizhu": {"shared": True}})
    assert widened.status_code == 200
    assert send(client_of(carol), "get", response["Location"]).status_code == 200


# --- moderation ------------------------------------------------------------------------------


def test_a_moderator_hides_a_note_from_members_and_its_author_still_sees_it(alice, bob, mod, notes):
    note = notes["group"]
    response = send(client_of(mod), "post", url(note, "/hide"))
    assert response.status_code == 200, response.content
    assert response.json()["pizhu"]["hidden"] is True
    assert send(client_of(bob), "get", url(note)).status_code == 404
    assert note.pk not in ids(send(client_of(bob), "get", LIST))
    for person in (alice, mod):
        seen = send(client_of(person), "get", url(note))
        assert seen.status_code == 200 and seen.json()["pizhu"]["hidden"] is True
    shown = send(client_of(mod), "delete", url(note, "/hide"))
    assert shown.status_code == 200 and shown.json()["pizhu"]["hidden"] is False
    assert send(client_of(bob), "get", url(note)).status_code == 200


def test_the_owner_moderates_too_and_a_token_works_like_a_session(alice, bob, notes):
    _, key = ApiToken.issue(alice, "script")
    client = Client(enforce_csrf_checks=True)
    auth = {"Authorization": f"Bearer {key}"}
    assert send(client, "post", url(notes["group"], "/hide"), **auth).status_code == 200
    assert send(client_of(bob), "get", url(notes["group"])).status_code == 404


def test_members_may_not_hide_and_others_do_not_see_the_note(bob, carol, dave, notes):
    note = notes["group"]
    assert send(client_of(bob), "post", url(note, "/hide")).status_code == 403
    assert send(client_of(bob), "delete", url(note, "/hide")).status_code == 403
    for person in (carol, dave):
        assert send(client_of(person), "post", url(note, "/hide")).status_code == 404
    note.refresh_from_db()
    assert note.hidden_at is None


def test_private_notes_have_no_moderators_and_notes_to_everyone_are_for_staff(
    alice, mod, notes, django_user_model
):
    assert send(client_of(alice), "post", url(notes["private"], "/hide")).status_code == 403
    assert send(client_of(mod), "post", url(notes["everyone"], "/hide")).status_code == 403
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    assert send(client_of(staff), "post", url(notes["everyone"], "/hide")).status_code == 200
    assert send(client_of(mod), "get", url(notes["everyone"])).status_code == 404


def test_a_hidden_note_cannot_be_replied_to_by_members(bob, mod, notes):
    services.hide(notes["group"], mod)
    response = send(client_of(bob), "post", LIST, reply_to(notes["group"]))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "target"


def test_a_reader_flags_a_note_once_with_a_reason(bob, alice, notes):
    path = url(notes["group"], "/flag")
    first = send(client_of(bob), "post", path, {"reason": "离题 off topic"})
    assert first.status_code == 201, first.content
    assert first.json()["reason"] == "离题 off topic"
    assert first.json()["annotation"] == iri(notes["group"])
    again = send(client_of(bob), "post", path, {"reason": "spam"})
    assert again.status_code == 200
    assert list(Flag.objects.values_list("user__username", "reason")) == [("bob", "spam")]


def test_a_flag_needs_no_reason(carol, notes):
    response = send(client_of(carol), "post", url(notes["everyone"], "/flag"))
    assert response.status_code == 201
    assert Flag.objects.get().reason == ""


def test_authors_do_not_flag_their_own_and_strangers_do_not_see_the_note(alice, carol, notes):
    assert send(client_of(alice), "post", url(notes["group"], "/flag"), {}).status_code == 403
    assert send(client_of(carol), "post", url(notes["group"], "/flag"), {}).status_code == 404
    assert send(client_of(carol), "post", url(notes["private"], "/flag"), {}).status_code == 404
    assert not Flag.objects.exists()


@pytest.mark.parametrize("reason", ["x" * 501, 5, ["spam"], "spam\u0000"])
def test_an_invalid_reason_is_a_400_naming_it(bob, notes, reason):
    response = send(client_of(bob), "post", url(notes["group"], "/flag"), {"reason": reason})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reason"
    assert not Flag.objects.exists()


def test_moderators_read_but_do_not_edit_delete_or_restore_others_notes(alice, mod, notes):
    note = notes["group"]
    assert (
        send(client_of(mod), "patch", url(note), {"pizhu": {"colour": "blue"}}).status_code == 403
    )
    assert send(client_of(mod), "delete", url(note)).status_code == 403
    services.delete(note)
    assert send(client_of(mod), "post", url(note, "/restore")).status_code == 404
    restored = send(client_of(alice), "post", url(note, "/restore"))
    assert restored.status_code == 200 and restored.json()["pizhu"]["visibility"] == "group"


def test_anonymous_gets_401_and_wrong_methods_405(anonymous_client, bob, notes):
    for tail in ("/hide", "/flag"):
        assert send(anonymous_client, "post", url(notes["group"], tail)).status_code == 401
    response = send(client_of(bob), "get", url(notes["group"], "/hide"))
    assert (response.status_code, response["Allow"]) == (405, "POST, DELETE")
    assert send(client_of(bob), "delete", url(notes["group"], "/flag")).status_code == 405


def test_errors_from_the_access_helper_are_json(carol, notes):
    response = send(client_of(carol), "get", url(notes["group"]))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]
    denied = send(client_of(carol), "delete", url(notes["everyone"]))
    assert denied.status_code == 403 and denied.json()["error"]
