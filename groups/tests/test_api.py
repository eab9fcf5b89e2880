"""The groups API: create, list, join by an invite (rate-limited), leave, make invites; as
owner, moderator, member, someone in another group, someone in none, anonymous and token."""

import json
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from annotations import services as annotation_services
from annotations.models import Annotation, Visibility
from annotations.tests.conftest import changes
from groups import services
from groups.models import Group, Invite, Membership, Role

pytestmark = pytest.mark.django_db

GROUPS = "/api/groups/"
JOIN = "/api/groups/join"


def client_of(user, *, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def send(client, method, path, data=None, **headers):
    if method == "get":
        return client.get(path, headers=headers)
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(path, body, content_type="application/json", headers=headers)


def token_of(user) -> dict:
    _, key = ApiToken.issue(user, "script")
    return {"Authorization": f"Bearer {key}"}


def invite_of(group) -> Invite:
    return group.invites.first()


# --- create and list ---------------------------------------------------------------------


def test_creating_a_group_answers_201_with_me_as_owner_and_an_absolute_invite_url(alice):
    response = send(client_of(alice), "post", GROUPS, {"name": "读书会", "description": "一起读"})
    assert response.status_code == 201, response.content
    data = response.json()
    group = Group.objects.get()
    invite = invite_of(group)
    assert {k: data[k] for k in ("id", "name", "description", "role")} == {
        "id": group.pk,
        "name": "读书会",
        "description": "一起读",
        "role": "owner",
    }
    assert data["invite_url"] == f"http://testserver/groups/join/{invite.token}"
    assert data["url"] == f"http://testserver/groups/{group.pk}/"
    assert response["Location"] == f"/api/groups/{group.pk}"
    assert group.memberships.get().user == alice


def test_a_description_is_optional(alice):
    response = send(client_of(alice), "post", GROUPS, {"name": "G"})
    assert response.status_code == 201
    assert response.json()["description"] == ""


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": ["G"]}, "name"),
        ({"name": "G\u0000"}, "name"),
        ({"name": "G", "description": 5}, "description"),
        ({"name": "G", "description": "d" * 2001}, "description"),
        (["G"], ""),
    ],
)
def test_an_invalid_group_is_a_400_naming_the_field(alice, data, field):
    response = send(client_of(alice), "post", GROUPS, data)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not Group.objects.exists()


def test_a_body_that_is_not_json_is_a_400(alice):
    response = client_of(alice).post(GROUPS, "{nope", content_type="application/json")
    assert response.status_code == 400


def test_the_list_is_my_groups_with_my_role_and_their_members(alice, bob, mod, carol, team):
    other, _ = services.create_group(bob, "Bob's own")
    items = send(client_of(bob), "get", GROUPS).json()["items"]
    assert [(g["id"], g["name"], g["role"], g["members"]) for g in items] == [
        (other.pk, "Bob's own", "owner", 1),
        (team.pk, "读书会 Reading club", "member", 3),
    ]
    assert items[1]["description"] == "We read together."
    assert items[1]["url"] == f"http://testserver/groups/{team.pk}/"
    assert [g["role"] for g in send(client_of(mod), "get", GROUPS).json()["items"]] == ["moderator"]
    assert send(client_of(carol), "get", GROUPS).json()["items"] == []


def test_listing_my_groups_takes_the_same_queries_whatever_their_number(
    bob, django_assert_num_queries
):
    client = client_of(bob)
    services.create_group(bob, "g0")
    with django_assert_num_queries(3) as one:  # session, user, the list
        send(client, "get", GROUPS)
    for number in range(1, 15):
        services.create_group(bob, f"g{number}")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(send(client, "get", GROUPS).json()["items"]) == 15


def test_a_token_works_like_a_session_without_csrf(bob, team):
    client = Client(enforce_csrf_checks=True)
    auth = token_of(bob)
    assert send(client, "get", GROUPS, **auth).json()["items"][0]["id"] == team.pk
    assert send(client, "post", GROUPS, {"name": "By script"}, **auth).status_code == 201


def test_session_writes_need_the_csrf_token(alice):
    client = client_of(alice, csrf=True)
    response = send(client, "post", GROUPS, {"name": "G"})
    assert response.status_code == 403 and "CSRF" in response.json()["error"]
    assert not Group.objects.exists()


def test_anonymous_gets_401_everywhere(anonymous_client, team):
    for method, path in [
        ("get", GROUPS),
        ("post", GROUPS),
        ("post", JOIN),
        ("get", f"{GROUPS}{team.pk}"),
        ("delete", f"{GROUPS}{team.pk}/membership"),
        ("post", f"{GROUPS}{team.pk}/invites"),
    ]:
        assert send(anonymous_client, method, path, {}).status_code == 401, (method, path)


# --- join ------------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["url", "token", "path"])
def test_joining_by_the_invite_url_or_its_token_makes_me_a_member(alice, carol, given):
    group, invite = services.create_group(alice, "G")
    text = {
        "url": f"http://testserver{invite.get_absolute_url()}",
        "token": invite.token,
        "path": invite.get_absolute_url(),
    }[given]
    response = send(client_of(carol), "post", JOIN, {"invite": text})
    assert response.status_code == 200, response.content
    assert {k: response.json()[k] for k in ("id", "name", "role")} == {
        "id": group.pk,
        "name": "G",
        "role": "member",
    }
    assert group.memberships.get(user=carol).role == Role.MEMBER


def test_joining_again_answers_my_role_and_uses_nothing_up(alice, mod, team):
    invite = invite_of(team)
    uses = invite.uses
    assert (
        send(client_of(mod), "post", JOIN, {"invite": invite.token}).json()["role"] == "moderator"
    )
    assert send(client_of(alice), "post", JOIN, {"invite": invite.token}).json()["role"] == "owner"
    invite.refresh_from_db()
    assert invite.uses == uses


def test_an_unknown_invite_is_a_404(carol):
    for text in ("not-a-token", "http://testserver/groups/join/nope", "x" * 200):
        response = send(client_of(carol), "post", JOIN, {"invite": text})
        assert response.status_code == 404, text
    assert not Membership.objects.filter(user=carol).exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"revoked_at": timezone.now()}, "revoked"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expired"),
        ({"max_uses": 1, "uses": 1}, "used up"),
    ],
)
def test_an_invite_that_no_longer_opens_is_a_410_saying_why(alice, carol, change, reason):
    group, invite = services.create_group(alice, "G")
    Invite.objects.filter(pk=invite.pk).update(**change)
    response = send(client_of(carol), "post", JOIN, {"invite": invite.token})
    assert response.status_code == 410
    assert response.json()["reason"] == reason
    assert reason in response.json()["error"]
    assert not group.memberships.filter(user=carol).exists()


@pytest.mark.parametrize(
    "data", [{}, {"invite": ""}, {"invite": 5}, {"invite": "tok\u0000en"}, {"invite": "x" * 2001}]
)
def test_an_invite_that_is_not_text_is_a_400_naming_it(carol, data):
    response = send(client_of(carol), "post", JOIN, data)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "invite"


def test_join_attempts_are_rate_limited_per_user_failed_ones_included(alice, carol, dave, settings):
    caches[settings.PIZHU_LIMITS_CACHE].clear()
    settings.PIZHU_RATE_INVITES = "3/h"
    group, invite = services.create_group(alice, "G")
    client = client_of(carol)
    for guess in ("guess-1", "guess-2", "guess-3"):
        assert send(client, "post", JOIN, {"invite": guess}).status_code == 404
    refused = send(client, "post", JOIN, {"invite": invite.token})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert not group.memberships.filter(user=carol).exists()
    # Another person has an allowance of their own.
    assert send(client_of(dave), "post", JOIN, {"invite": invite.token}).status_code == 200


# --- one group, leaving, invites --------------------------------------------------------------


def test_a_member_reads_the_group_and_a_non_member_gets_404(bob, carol, team):
    response = send(client_of(bob), "get", f"{GROUPS}{team.pk}")
    assert response.status_code == 200
    assert (response.json()["role"], response.json()["members"]) == ("member", 3)
    assert send(client_of(carol), "get", f"{GROUPS}{team.pk}").status_code == 404
    assert send(client_of(carol), "get", f"{GROUPS}{10**12}").status_code == 404


def test_leaving_keeps_my_group_notes_private_and_shuts_the_group_at_once(
    bob, alice, team, archive_dir
):
    from annotations.tests.conftest import BODY
    from archive.importer import import_paths
    from archive.models import Post

    archive_dir.write(body=BODY, url="https://example.org/economy")
    import_paths([archive_dir])
    post = Post.objects.get()
    mine = annotation_services.create(
        bob, changes(post, "增长放缓", kind="note", body="b", visibility="group", group=team.pk)
    )
    client = client_of(bob)
    response = send(client, "delete", f"{GROUPS}{team.pk}/membership")
    assert response.status_code == 204
    assert send(client, "get", f"{GROUPS}{team.pk}").status_code == 404
    assert send(client, "delete", f"{GROUPS}{team.pk}/membership").status_code == 404
    mine.refresh_from_db()
    assert (mine.visibility, mine.group_id) == (Visibility.PRIVATE, None)
    assert Annotation.objects.count() == 1


def test_the_only_owner_cannot_leave_while_others_remain(alice, team):
    response = send(client_of(alice), "delete", f"{GROUPS}{team.pk}/membership")
    assert response.status_code == 409
    assert "only owner" in response.json()["error"]
    assert team.memberships.filter(user=alice).exists()


def test_the_last_member_leaving_deletes_the_group(carol, other_team):
    assert (
        send(client_of(carol), "delete", f"{GROUPS}{other_team.pk}/membership").status_code == 204
    )
    assert not Group.objects.filter(pk=other_team.pk).exists()


def test_a_moderator_makes_an_invite_with_a_limit_and_an_expiry(mod, carol, dave, team):
    expires = (timezone.now() + timedelta(days=2)).isoformat()
    response = send(
        client_of(mod), "post", f"{GROUPS}{team.pk}/invites", {"expires_at": expires, "max_uses": 1}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["max_uses"], data["uses"], data["state"]) == (1, 0, "usable")
    assert data["invite_url"].startswith("http://testserver/groups/join/")
    assert send(client_of(carol), "post", JOIN, {"invite": data["invite_url"]}).status_code == 200
    again = send(client_of(dave), "post", JOIN, {"invite": data["invite_url"]})
    assert (again.status_code, again.json()["reason"]) == (410, "used up")


def test_an_invite_without_limits_needs_no_body(alice, team):
    response = send(client_of(alice), "post", f"{GROUPS}{team.pk}/invites")
    assert response.status_code == 201
    assert (response.json()["max_uses"], response.json()["expires_at"]) == (None, None)


def test_members_may_not_make_invites_and_non_members_do_not_see_the_group(bob, carol, team):
    path = f"{GROUPS}{team.pk}/invites"
    assert send(client_of(bob), "post", path, {}).status_code == 403
    assert send(client_of(carol), "post", path, {}).status_code == 404
    assert team.invites.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"expires_at": "next week"}, "expires_at"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"max_uses": 0}, "max_uses"),
        ({"max_uses": "3"}, "max_uses"),
        ({"max_uses": True}, "max_uses"),
        ({"max_uses": 10**9}, "max_uses"),
    ],
)
def test_an_invalid_invite_is_a_400_naming_the_field(alice, team, data, field):
    response = send(client_of(alice), "post", f"{GROUPS}{team.pk}/invites", data)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert team.invites.count() == 1


def test_unknown_methods_are_405(alice, team):
    response = send(client_of(alice), "put", GROUPS, {})
    assert (response.status_code, response["Allow"]) == (405, "GET, POST")
    assert send(client_of(alice), "get", JOIN).status_code == 405
