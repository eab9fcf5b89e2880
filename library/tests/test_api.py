"""The reading-state API, every method and field, as owner, other user, anonymous and token."""

import json

import pytest
from django.test import Client

from library import state
from library.models import ReadingState

pytestmark = pytest.mark.django_db

QUERIES_PER_SAVE = 8  # session, user, the text's length; savepoint, state, write, tags, release


def url(post):
    return f"/api/posts/{post.pk}/state"


def send(client, method, path, data, **headers):
    return getattr(client, method)(
        path, json.dumps(data), content_type="application/json", headers=headers
    )


def test_a_post_never_opened_reads_as_the_defaults(owner_client, post):
    response = owner_client.get(url(post))
    assert response.status_code == 200
    assert response.json() == {
        "post": post.pk, "progress": 0.0, "position": 0, "read": False, "read_at": None,
        "favourite": False, "archived": False, "tags": [], "updated": None,
    }  # fmt: skip
    assert not ReadingState.objects.exists()  # reading is not writing


def test_patch_saves_each_field_and_get_returns_it(owner_client, post):
    changes = {"progress": 0.42, "position": 123, "favourite": True, "archived": True,
               "tags": ["经济", "待读"]}  # fmt: skip
    response = send(owner_client, "patch", url(post), changes)
    assert response.status_code == 200, response.content
    data = owner_client.get(url(post)).json()
    assert {name: data[name] for name in changes} == {**changes, "tags": ["待读", "经济"]}
    assert data["updated"] is not None


def test_marking_read_sets_read_at_and_unmarking_clears_it(owner_client, post):
    data = send(owner_client, "patch", url(post), {"read": True}).json()
    assert data["read"] is True and data["read_at"]
    data = send(owner_client, "patch", url(post), {"read": False}).json()
    assert (data["read"], data["read_at"]) == (False, None)


def test_put_replaces_the_whole_state(owner_client, post):
    send(owner_client, "patch", url(post), {"favourite": True, "tags": ["x"], "progress": 0.5})
    data = send(owner_client, "put", url(post), {"position": 5}).json()
    assert (data["favourite"], data["tags"], data["progress"], data["position"]) == (
        False, [], 0.0, 5,
    )  # fmt: skip


def test_what_get_returns_can_be_put_back_unchanged(owner_client, post):
    send(owner_client, "patch", url(post), {"favourite": True, "read": True})
    before = owner_client.get(url(post)).json()
    after = send(owner_client, "put", url(post), before).json()
    assert {k: v for k, v in after.items() if k != "updated"} == {
        k: v for k, v in before.items() if k != "updated"
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"progress": 1.5}, "progress"),
        ({"progress": -0.1}, "progress"),
        ({"position": -1}, "position"),
        ({"position": 10**8}, "position"),
        ({"read": "yes"}, "read"),
        ({"favourite": None}, "favourite"),
        ({"archived": 0}, "archived"),
        ({"tags": "a,b"}, "tags"),
        ({"colour": "red"}, "colour"),
        ({"post": 999999}, "post"),
    ],
)
def test_a_bad_field_is_400_naming_it_and_nothing_is_written(owner_client, post, data, field):
    response = send(owner_client, "patch", url(post), data)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not ReadingState.objects.exists()


def test_a_position_past_the_text_is_refused_but_its_end_is_not(owner_client, post):
    past = send(owner_client, "patch", url(post), {"position": len(post.text) + 1})
    assert past.status_code == 400
    end = send(owner_client, "patch", url(post), {"position": len(post.text)})
    assert end.status_code == 200


def test_a_body_that_is_not_an_object_is_400(owner_client, post):
    response = owner_client.patch(url(post), "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    response = owner_client.patch(url(post), "{not json", content_type="application/json")
    assert response.status_code == 400


def test_no_such_post_is_404(owner_client):
    assert owner_client.get("/api/posts/999999/state").status_code == 404
    assert send(owner_client, "patch", "/api/posts/999999/state", {"read": True}).status_code == 404


def test_another_users_state_is_never_visible_nor_changed(owner, other_client, post):
    state.change(owner, post.pk, {"favourite": True, "progress": 0.7, "tags": ("私人",)})
    data = other_client.get(url(post)).json()
    assert (data["favourite"], data["progress"], data["tags"]) == (False, 0.0, [])
    send(other_client, "patch", url(post), {"favourite": False, "read": True})
    mine = state.get(owner, post.pk)
    assert (mine.favourite, mine.read, mine.tag_names) == (True, False, ["私人"])


def test_anonymous_gets_401_for_every_method(anonymous_client, post):
    assert anonymous_client.get(url(post)).status_code == 401
    for method in ("put", "patch", "post"):
        response = send(anonymous_client, method, url(post), {"read": True})
        assert response.status_code == 401, method
    assert not ReadingState.objects.exists()


def test_a_token_reads_and_writes_its_users_state(owner, token_key, post):
    client = Client()
    auth = {"Authorization": f"Bearer {token_key}"}
    assert send(client, "patch", url(post), {"read": True}, **auth).status_code == 200
    assert client.get(url(post), headers=auth).json()["read"] is True
    assert state.get(owner, post.pk).read


def test_a_session_write_without_the_csrf_token_is_refused(owner, post):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = send(client, "patch", url(post), {"read": True})
    assert response.status_code == 403
    assert not ReadingState.objects.exists()


def test_the_leaving_beacon_is_a_form_post_checked_for_csrf(owner, post):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    token = "a" * 32  # the reader page sets this cookie; the beacon's form repeats it
    client.cookies["csrftoken"] = token
    form = {"json": json.dumps({"progress": 0.6, "position": 40})}
    assert client.post(url(post), form).status_code == 403  # no token in the form
    response = client.post(url(post), {**form, "csrfmiddlewaretoken": token})
    assert response.status_code == 200, response.content
    saved = state.get(owner, post.pk)
    assert (saved.progress, saved.position) == (0.6, 40)


def test_the_beacon_is_checked_like_a_patch(owner_client, post):
    response = owner_client.post(url(post), {"json": json.dumps({"progress": 3})})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "progress"


# --- the list of posts by state -----------------------------------------------------------------


def test_posts_by_state_newest_first_each_with_its_state(owner, owner_client, other, posts):
    p1, p2, p3, p4, p5 = posts
    state.change(owner, p1.pk, {"read": True})
    state.change(owner, p4.pk, {"read": True, "tags": ("重读",)})
    state.change(owner, p3.pk, {"archived": True, "read": True})
    state.change(other, p2.pk, {"read": True})
    data = owner_client.get("/api/posts/?state=read").json()
    assert data["count"] == 2
    assert [item["id"] for item in data["items"]] == [p4.pk, p1.pk]
    assert data["items"][0]["state"]["tags"] == ["重读"]
    assert data["items"][0]["reader"].endswith(f"/posts/{p4.pk}/")
    unread = owner_client.get("/api/posts/?state=unread").json()
    assert [item["id"] for item in unread["items"]] == [p5.pk, p2.pk]  # other's read is not mine
    assert unread["items"][0]["state"]["read"] is False


@pytest.mark.parametrize("shelf", ["in_progress", "favourite", "archived"])
def test_each_shelf_lists_only_its_posts(owner, owner_client, posts, shelf):
    wanted = {"in_progress": {"progress": 0.5}, "favourite": {"favourite": True},
              "archived": {"archived": True}}[shelf]  # fmt: skip
    state.change(owner, posts[2].pk, wanted)
    data = owner_client.get(f"/api/posts/?state={shelf}").json()
    assert [item["id"] for item in data["items"]] == [posts[2].pk]


def test_an_unknown_state_is_400_naming_it(owner_client):
    response = owner_client.get("/api/posts/?state=sideways")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "state"


def test_the_list_is_paginated_with_a_next_link(owner_client, posts, monkeypatch):
    monkeypatch.setattr("library.api.POSTS_PER_PAGE", 2)
    first = owner_client.get("/api/posts/?state=unread").json()
    assert first["count"] == 5 and len(first["items"]) == 2
    second = owner_client.get(first["next"].removeprefix("http://testserver")).json()
    assert [i["id"] for i in second["items"]] == [posts[2].pk, posts[1].pk]


def test_the_list_costs_the_same_queries_for_2_or_5_posts(
    owner, owner_client, posts, django_assert_max_num_queries, monkeypatch
):
    for post in posts:
        state.change(owner, post.pk, {"tags": ("a", "b")})
    with django_assert_max_num_queries(8) as few:
        owner_client.get("/api/posts/?state=unread")
    monkeypatch.setattr("library.api.POSTS_PER_PAGE", 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        owner_client.get("/api/posts/?state=unread")


def test_anonymous_cannot_list(anonymous_client, posts):
    assert anonymous_client.get("/api/posts/").status_code == 401


def test_a_saved_scroll_costs_a_fixed_few_queries(owner_client, post, django_assert_num_queries):
    send(owner_client, "patch", url(post), {"progress": 0.1, "tags": ["a"]})
    with django_assert_num_queries(QUERIES_PER_SAVE):
        response = send(owner_client, "patch", url(post), {"progress": 0.2, "position": 9})
    assert response.json()["tags"] == ["a"]
