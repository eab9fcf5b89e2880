"""The group pages (groups.views): my groups, a group's page for each persona, its changes
(all POSTs through groups.services or annotations.services), the invite page, and the
header's groups menu on cached pages."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from selectolax.lexbor import LexborHTMLParser

from annotations import services as annotation_services
from annotations.models import Annotation, Visibility
from annotations.tests.conftest import changes
from annotations.values import UNSTORABLE_MESSAGE, Changes, Invalid
from archive.importer import import_paths
from archive.models import Post
from groups import services
from groups.forms import GroupForm, InviteForm
from groups.models import Group, Invite, Membership, Role

LIST = "/groups/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Join attempts are counted per user, and user ids repeat after a rollback."""
    caches[django_settings.PIZHU_LIMITS_CACHE].clear()


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    return client_of(alice)


@pytest.fixture
def bob_client(bob):
    return client_of(bob)


@pytest.fixture
def mod_client(mod):
    return client_of(mod)


@pytest.fixture
def dave_client(dave):
    return client_of(dave)


def detail(group) -> str:
    return reverse("groups:detail", args=[group.pk])


def tree(response) -> LexborHTMLParser:
    return LexborHTMLParser(response.content.decode())


def texts(page: LexborHTMLParser, selector: str) -> list[str]:
    return [" ".join(node.text().split()) for node in page.css(selector)]


def messages_of(page: LexborHTMLParser) -> str:
    return " ".join(texts(page, ".message"))


def invite_of(group) -> Invite:
    return group.invites.order_by("id").first()


@pytest.fixture
def posts(archive_dir):
    """Three posts, with the annotations tests' body."""
    from annotations.tests.conftest import BODY

    for number in range(3):
        archive_dir.write(
            name=f"2024-01-0{number + 1}-p{number}.md",
            title=f"文章{number}",
            url=f"https://example.org/p{number}",
            body=BODY,
        )
    import_paths([archive_dir])
    return list(Post.objects.order_by("url"))


def note(user, post, group=None, quote="增长放缓", body="组里的笔记", **fields):
    audience = {"visibility": "group", "group": group.pk} if group else {}
    return annotation_services.create(
        user, changes(post, quote, kind="note", body=body, **audience, **fields)
    )


# --- My groups ------------------------------------------------------------------------------


def test_the_groups_page_asks_a_visitor_to_sign_in_first(anonymous_client):
    response = anonymous_client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={LIST}"


def test_my_groups_are_listed_with_my_role_and_no_one_elses(
    team, other_team, bob_client, mod_client
):
    page = tree(bob_client.get(LIST))
    assert texts(page, ".group-list a") == ["读书会 Reading club"]
    assert "成员 Member · 3 位成员 members" in texts(page, ".group-list li")[0]
    assert "管理员 Moderator" in texts(tree(mod_client.get(LIST)), ".group-list li")[0]


def test_someone_in_no_group_is_told_how_to_get_into_one(dave_client):
    page = tree(dave_client.get(LIST))
    assert not page.css(".group-list")
    assert "You belong to no group yet" in page.css_first(".empty").text()


def test_creating_a_group_opens_its_page_with_an_invite_to_pass_on(dave, dave_client):
    response = dave_client.post(LIST, {"name": "  周末 读报 ", "description": "每周六"})
    group = Group.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{detail(group)}#invites"
    assert (group.name, group.description) == ("周末 读报", "每周六")
    assert group.memberships.get().user == dave and group.memberships.get().role == Role.OWNER
    page = tree(dave_client.get(response["Location"]))
    assert "周末 读报" in messages_of(page)
    assert page.css_first("[data-invite-state=usable] .invite-url").text().startswith("http")


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 101}, "name", "At most 100 characters (it has 101)."),
        ({"name": "a\x00b"}, "name", "Null characters are not allowed."),
        ({"name": "ok", "description": "d" * 2001}, "description", "At most 2000 characters"),
    ],
)
def test_a_group_the_rules_refuse_is_not_made_and_the_field_says_why(
    dave_client, data, field, error
):
    response = dave_client.post(LIST, data)
    assert response.status_code == 200
    assert not Group.objects.exists()
    errors = tree(response).css(f"#id_{field} ~ .field-error")
    assert errors and error in errors[0].text()


def test_the_services_refusals_land_on_their_field_in_both_languages():
    form = GroupForm({"name": "ok"})
    assert form.is_valid()
    form.refused(Invalid.one("name", UNSTORABLE_MESSAGE))
    assert form.errors["name"] == [
        "含有无法保存的字符。It holds a character that cannot be stored."
    ]
    invite = InviteForm({"days": "1"})
    assert invite.is_valid()
    invite.refused(Invalid.one("expires_at", "must be in the future"))
    assert invite.errors["days"] == ["必须是将来的时间。Must be in the future."]


def test_forms_without_the_csrf_token_are_refused(dave):
    client = Client(enforce_csrf_checks=True)
    client.force_login(dave)
    assert client.post(LIST, {"name": "G"}).status_code == 403
    assert not Group.objects.exists()


# --- A group's page, by persona -------------------------------------------------------------


def test_a_group_page_is_a_404_to_anyone_not_in_it(team, dave_client, other_team, alice_client):
    assert dave_client.get(detail(team)).status_code == 404
    assert alice_client.get(detail(other_team)).status_code == 404
    assert alice_client.get("/groups/999999/").status_code == 404


def test_a_group_page_asks_a_visitor_to_sign_in(team, anonymous_client):
    response = anonymous_client.get(detail(team))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


def sections(page) -> set[str]:
    return {node.attributes["id"] for node in page.css(".group-page > section")}


def test_a_member_sees_the_group_its_members_and_posts_but_no_tools(team, bob_client):
    page = tree(bob_client.get(detail(team)))
    assert page.css_first("h1").text().startswith("读书会 Reading club")
    assert "We read together." in page.css_first(".group-description").text()
    assert sections(page) == {"posts", "members", "leave"}
    # Owners first, then moderators, then members; no forms on anyone.
    assert texts(page, ".member-role") == ["组长 Owner", "管理员 Moderator", "成员 Member"]
    assert [n.attributes["data-member"] for n in page.css("[data-member]")] == [
        "alice", "mod", "bob",
    ]  # fmt: skip
    assert not page.css(".group-members form")
    assert team.invites.get().token not in page.html


def test_a_moderator_sees_invites_and_moderation_and_may_remove_only_plain_members(
    team, mod_client
):
    page = tree(mod_client.get(detail(team)))
    assert sections(page) == {"posts", "members", "invites", "moderation", "leave"}
    removable = [
        node.attributes["data-member"]
        for node in page.css("[data-member]")
        if node.css_first("form[action$='/remove']")
    ]
    assert removable == ["bob"]
    assert not page.css("form[action$='/role']")


def test_an_owner_sees_every_tool(team, alice_client):
    page = tree(alice_client.get(detail(team)))
    assert sections(page) == {"posts", "members", "invites", "moderation", "settings", "leave"}
    assert len(page.css("form[action$='/role']")) == 2  # everyone but herself
    assert len(page.css("form[action$='/remove']")) == 2
    assert page.css_first("#id_name").attributes["value"] == "读书会 Reading club"
    assert page.css_first("a[href$='/delete']")


def test_the_posts_annotated_in_the_group_come_once_each_newest_activity_first(
    team, other_team, alice, bob, carol, posts
):
    first, second, third = posts
    note(alice, first, team)
    note(bob, first, team, quote="结构性的问题")
    note(bob, second, team)
    asked = note(bob, third, team)
    reply = annotation_services.create(alice, Changes(body="同意", parent=asked.pk))
    note(alice, third)  # private: not the group's
    note(carol, second, other_team)  # another group's
    # Activity: the reply on the third post is the newest, then the second post's note.
    Annotation.objects.filter(post=first).update(modified_at=timezone.now() - timedelta(days=2))
    Annotation.objects.filter(post=second).update(modified_at=timezone.now() - timedelta(days=1))
    assert reply.is_reply
    page = tree(client_of(bob).get(detail(team)))
    rows = page.css(".group-posts li")
    assert [row.css_first("a").text() for row in rows] == ["文章2", "文章1", "文章0"]
    assert [row.css_first("a").attributes["href"] for row in rows] == [
        reverse("archive:post_detail", args=[post.pk]) for post in (third, second, first)
    ]
    counts = [" ".join(row.css_first(".quiet").text().split()) for row in rows]
    assert counts[0].startswith("1 条批注 note · 1 条回复 reply")
    assert counts[1].startswith("1 条批注 note ·")
    assert counts[2].startswith("2 条批注 notes ·")


def test_the_posts_come_a_page_at_a_time(team, alice, bob_client, posts, monkeypatch):
    from groups import views

    monkeypatch.setattr(views, "POSTS_PER_PAGE", 2)
    for post in posts:
        note(alice, post, team)
    first = tree(bob_client.get(detail(team)))
    assert len(first.css(".group-posts li")) == 2
    older = first.css_first(".group-page [rel=next]").attributes["href"]
    assert older == f"{detail(team)}?page=2#posts"
    assert len(tree(bob_client.get(older)).css(".group-posts li")) == 1


def test_a_hidden_note_is_not_counted_for_members_but_is_for_its_moderators(
    team, alice, bob, mod, dave, posts
):
    hidden = note(bob, posts[0], team)
    annotation_services.hide(hidden, alice)
    services.join(dave, invite_of(team).token)
    assert tree(client_of(dave).get(detail(team))).css(".group-posts li") == []
    for who in (alice, mod, bob):  # its moderators, and its author
        assert len(tree(client_of(who).get(detail(team))).css(".group-posts li")) == 1


def every_address(group, target, invite, annotation) -> list[tuple[str, str]]:
    """(method, URL) of every group page and change, naming ``target`` (a member)."""
    return [
        ("get", detail(group)),
        ("post", reverse("groups:edit", args=[group.pk])),
        ("get", reverse("groups:delete", args=[group.pk])),
        ("post", reverse("groups:delete", args=[group.pk])),
        ("post", reverse("groups:leave", args=[group.pk])),
        ("post", reverse("groups:set_role", args=[group.pk, target.pk])),
        ("post", reverse("groups:remove_member", args=[group.pk, target.pk])),
        ("post", reverse("groups:make_invite", args=[group.pk])),
        ("post", reverse("groups:revoke_invite", args=[group.pk, invite.pk])),
        ("post", reverse("groups:hide", args=[group.pk, annotation.pk])),
        ("post", reverse("groups:unhide", args=[group.pk, annotation.pk])),
        ("post", reverse("groups:dismiss_flags", args=[group.pk, annotation.pk])),
    ]


def test_nothing_of_a_group_opens_to_someone_outside_it(team, bob, alice, dave_client, posts):
    """A non-member gets a 404 from every page and change of the group, a visitor the
    sign-in page, and neither changes anything."""
    annotation = note(alice, posts[0], team)
    addresses = every_address(team, bob, invite_of(team), annotation)
    for method, url in addresses:
        assert getattr(dave_client, method)(url).status_code == 404, url
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{reverse('login')}?next="), url
    assert Membership.objects.filter(group=team).count() == 3
    assert invite_of(team).revoked_at is None
    annotation.refresh_from_db()
    assert annotation.hidden_at is None


def test_staff_look_at_groups_in_the_admin_but_change_them_through_the_pages(
    team, django_user_model
):
    staff = django_user_model.objects.create_superuser("staff", "s@example.org", "staff-pass-1")
    client = client_of(staff)
    assert "读书会 Reading club" in client.get("/admin/groups/group/").content.decode()
    page = client.get(f"/admin/groups/group/{team.pk}/change/")
    assert page.status_code == 200
    assert invite_of(team).token not in page.content.decode()
    assert client.get("/admin/groups/group/add/").status_code == 403
    delete = f"/admin/groups/group/{team.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Group.objects.filter(pk=team.pk).exists()


# --- Changes --------------------------------------------------------------------------------


def test_an_owner_renames_the_group(team, alice_client):
    response = alice_client.post(
        reverse("groups:edit", args=[team.pk]), {"name": "新名字", "description": ""}
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.description) == ("新名字", "")


def test_a_bad_new_name_is_shown_on_the_group_page_with_its_error(team, alice_client):
    response = alice_client.post(reverse("groups:edit", args=[team.pk]), {"name": " "})
    assert response.status_code == 200
    errors = tree(response).css("#settings .field-error")
    assert errors and "This field is required." in errors[0].text()
    team.refresh_from_db()
    assert team.name == "读书会 Reading club"


@pytest.mark.parametrize("who", ["bob", "mod"])
def test_only_an_owner_may_edit_or_delete_the_group(team, who, request):
    client = client_of(request.getfixturevalue(who))
    assert client.post(reverse("groups:edit", args=[team.pk]), {"name": "x"}).status_code == 403
    assert client.get(reverse("groups:delete", args=[team.pk])).status_code == 403
    assert client.post(reverse("groups:delete", args=[team.pk])).status_code == 403
    assert Group.objects.filter(pk=team.pk, name="读书会 Reading club").exists()


def test_deleting_a_group_asks_first_and_keeps_every_note_private_to_its_author(
    team, alice_client, bob, posts
):
    kept = note(bob, posts[0], team)
    url = reverse("groups:delete", args=[team.pk])
    confirm = tree(alice_client.get(url))
    assert "become private to whoever wrote them" in confirm.css_first(".group-delete").text()
    assert Group.objects.filter(pk=team.pk).exists()  # asking deletes nothing
    response = alice_client.post(url)
    assert response["Location"] == LIST
    assert not Group.objects.filter(pk=team.pk).exists()
    kept.refresh_from_db()
    assert (kept.visibility, kept.group_id, kept.deleted_at) == (Visibility.PRIVATE, None, None)
    assert "private to their authors" in messages_of(tree(alice_client.get(LIST)))


def test_a_member_leaves_and_their_notes_become_private(team, bob, bob_client, posts):
    mine = note(bob, posts[0], team)
    response = bob_client.post(reverse("groups:leave", args=[team.pk]))
    assert response["Location"] == LIST
    assert not Membership.objects.filter(group=team, user=bob).exists()
    mine.refresh_from_db()
    assert mine.visibility == Visibility.PRIVATE
    assert bob_client.get(detail(team)).status_code == 404
    assert "private to you" in messages_of(tree(bob_client.get(LIST)))


def test_the_only_owner_is_told_why_they_cannot_leave(team, alice, alice_client):
    response = alice_client.post(reverse("groups:leave", args=[team.pk]), follow=True)
    assert "You are the only owner" in messages_of(tree(response))
    assert Membership.objects.filter(group=team, user=alice, role=Role.OWNER).exists()


def leave_section(client, group):
    return tree(client.get(detail(group))).css_first("#leave")


def test_the_only_owner_is_told_before_trying_to_leave_and_where_to_hand_the_group_on(
    team, alice_client, bob
):
    section = leave_section(alice_client, team)
    assert not section.css("form")  # nothing to send that would be refused
    button = section.css_first("button")
    assert "disabled" in button.attributes and button.text() == "离开小组 Leave the group"
    said = section.css_first("[data-sole-owner]")
    assert button.attributes["aria-describedby"] == said.attributes["id"]
    assert "You are the only owner" in said.text()
    links = [a.attributes["href"] for a in said.css("a")]
    assert "#members" in links and reverse("groups:delete", args=[team.pk]) in links
    # Once someone else is an owner too, she may leave.
    alice_client.post(reverse("groups:set_role", args=[team.pk, bob.pk]), {"role": "owner"})
    section = leave_section(alice_client, team)
    assert section.css_first(f"form[action='{reverse('groups:leave', args=[team.pk])}']")
    assert not section.css("[data-sole-owner]")


@pytest.mark.parametrize("who", ["bob", "mod"])
def test_members_and_moderators_may_leave(team, who, request):
    section = leave_section(client_of(request.getfixturevalue(who)), team)
    assert section.css_first("form button").text() == "离开小组 Leave the group"
    assert not section.css("[data-sole-owner]")


def test_the_last_member_may_leave_and_is_told_the_group_goes(other_team, carol):
    section = leave_section(client_of(carol), other_team)
    assert "the group will be deleted" in section.css_first("form").attributes["data-confirm"]
    assert not section.css("[data-sole-owner]")


def test_the_last_member_leaving_deletes_the_group(other_team, carol):
    client = client_of(carol)
    response = client.post(reverse("groups:leave", args=[other_team.pk]), follow=True)
    assert not Group.objects.filter(pk=other_team.pk).exists()
    assert "You were the last member" in messages_of(tree(response))


def test_leaving_is_a_post(team, bob_client):
    assert bob_client.get(reverse("groups:leave", args=[team.pk])).status_code == 405


def test_an_owner_changes_a_members_role(team, alice_client, bob):
    url = reverse("groups:set_role", args=[team.pk, bob.pk])
    response = alice_client.post(url, {"role": "moderator"})
    assert response["Location"] == f"{detail(team)}#members"
    assert Membership.objects.get(group=team, user=bob).role == Role.MODERATOR


def test_a_role_change_the_rules_refuse_says_why(team, alice, alice_client, bob, dave):
    # alice demoting herself would leave the group without an owner.
    url = reverse("groups:set_role", args=[team.pk, alice.pk])
    response = alice_client.post(url, {"role": "member"}, follow=True)
    assert "A group needs at least one owner" in messages_of(tree(response))
    bad = alice_client.post(reverse("groups:set_role", args=[team.pk, bob.pk]), {"role": "king"})
    assert Membership.objects.get(group=team, user=bob).role == Role.MEMBER
    assert "Choose one of the roles" in messages_of(tree(alice_client.get(bad["Location"])))
    stranger = reverse("groups:set_role", args=[team.pk, dave.pk])
    response = alice_client.post(stranger, {"role": "moderator"}, follow=True)
    assert "not a member of the group" in messages_of(tree(response))


@pytest.mark.parametrize("who", ["bob", "mod"])
def test_only_an_owner_changes_roles(team, bob, who, request):
    client = client_of(request.getfixturevalue(who))
    url = reverse("groups:set_role", args=[team.pk, bob.pk])
    assert client.post(url, {"role": "owner"}).status_code == 403
    assert Membership.objects.get(group=team, user=bob).role == Role.MEMBER


def test_a_moderator_removes_a_member_who_loses_the_group_at_once(
    team, mod_client, bob, bob_client, posts
):
    theirs = note(bob, posts[0], team)
    assert bob_client.get(detail(team)).status_code == 200
    mod_client.post(reverse("groups:remove_member", args=[team.pk, bob.pk]))
    assert not Membership.objects.filter(group=team, user=bob).exists()
    assert bob_client.get(detail(team)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.visibility == Visibility.PRIVATE


def test_a_moderator_may_not_remove_an_owner(team, mod_client, alice):
    response = mod_client.post(
        reverse("groups:remove_member", args=[team.pk, alice.pk]), follow=True
    )
    assert "Only an owner can remove moderators and owners" in messages_of(tree(response))
    assert Membership.objects.filter(group=team, user=alice).exists()


def test_a_member_may_not_remove_anyone(team, bob_client, mod):
    url = reverse("groups:remove_member", args=[team.pk, mod.pk])
    assert bob_client.post(url).status_code == 403
    assert Membership.objects.filter(group=team, user=mod).exists()


# --- Invite links ---------------------------------------------------------------------------


def test_a_moderator_makes_an_invite_with_an_expiry_and_a_use_limit(team, mod_client):
    response = mod_client.post(
        reverse("groups:make_invite", args=[team.pk]), {"days": "7", "max_uses": "3"}
    )
    assert response["Location"] == f"{detail(team)}#invites"
    made = team.invites.order_by("-id").first()
    assert made.max_uses == 3
    assert timedelta(days=6, hours=23) < made.expires_at - timezone.now() <= timedelta(days=7)
    page = tree(mod_client.get(detail(team)))
    shown = page.css_first(f"#invite-{made.pk}")
    assert shown.text() == f"http://testserver/groups/join/{made.token}"
    row = shown.parent
    assert row.css_first("[data-copy]").attributes["data-copy"] == f"#invite-{made.pk}"
    assert "已用 used 0 / 3" in " ".join(row.text().split())


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"days": "0"}, "days", "Must be at least 1."),
        ({"days": "366"}, "days", "Must be at most 365."),
        ({"max_uses": "0"}, "max_uses", "Must be at least 1."),
        ({"max_uses": "x"}, "max_uses", "Enter a whole number."),
    ],
)
def test_a_bad_invite_is_not_made_and_its_field_says_why(team, alice_client, data, field, error):
    response = alice_client.post(reverse("groups:make_invite", args=[team.pk]), data)
    assert response.status_code == 200
    assert team.invites.count() == 1
    errors = tree(response).css(f"#id_{field} ~ .field-error")
    assert errors and error in errors[0].text()


def test_invites_show_their_state(team, alice_client):
    now = timezone.now()
    revoked = Invite.objects.create(group=team, revoked_at=now)
    expired = Invite.objects.create(group=team, expires_at=now - timedelta(minutes=1))
    used_up = Invite.objects.create(group=team, max_uses=1, uses=1)
    page = tree(alice_client.get(detail(team)))
    states = {
        int(row.attributes["data-invite"]): row.attributes["data-invite-state"]
        for row in page.css(".invite")
    }
    assert states == {
        invite_of(team).pk: "usable",
        revoked.pk: "revoked",
        expired.pk: "expired",
        used_up.pk: "used up",
    }
    said = dict(zip(states, texts(page, ".invite-state"), strict=True))
    assert said[revoked.pk] == "已撤销 revoked" and said[used_up.pk] == "已用完 used up"
    # Only a usable link shows its URL to copy; a revoked one has nothing more to revoke.
    assert len(page.css(".invite [data-copy]")) == 1
    assert revoked.token not in page.html and expired.token not in page.html
    assert not page.css(f"[data-invite='{revoked.pk}'] form")
    assert page.css(f"[data-invite='{expired.pk}'] form")


def test_revoking_an_invite_closes_it(team, alice_client):
    invite = invite_of(team)
    response = alice_client.post(reverse("groups:revoke_invite", args=[team.pk, invite.pk]))
    assert response["Location"] == f"{detail(team)}#invites"
    invite.refresh_from_db()
    assert invite.state() == "revoked"


def test_a_member_may_not_make_or_revoke_invites(team, bob_client, other_team, alice_client):
    assert bob_client.post(reverse("groups:make_invite", args=[team.pk])).status_code == 403
    invite = invite_of(team)
    url = reverse("groups:revoke_invite", args=[team.pk, invite.pk])
    assert bob_client.post(url).status_code == 403
    # Another group's invite through this group's address: not found.
    theirs = invite_of(other_team)
    url = reverse("groups:revoke_invite", args=[team.pk, theirs.pk])
    assert alice_client.post(url).status_code == 404
    invite.refresh_from_db(), theirs.refresh_from_db()
    assert invite.revoked_at is None and theirs.revoked_at is None


# --- Moderation -----------------------------------------------------------------------------


def test_a_moderator_sees_flagged_notes_with_their_reasons_and_hides_one(
    team, alice, bob, mod, mod_client, posts
):
    flagged = note(alice, posts[0], team, body="**广告** spam")
    annotation_services.flag(flagged, bob, "广告 advertising")
    annotation_services.flag(flagged, mod, "")
    note(alice, posts[1], team)  # not flagged: not listed
    page = tree(mod_client.get(detail(team)))
    rows = page.css("#moderation [data-moderated]")
    assert [row.attributes["data-moderated"] for row in rows] == [str(flagged.pk)]
    row = " ".join(rows[0].text().split())
    assert "增长放缓" in row and "2 次举报 flags" in row
    # The note as its readers see it, rendered: not its Markdown source.
    assert rows[0].css_first(".moderated-note strong").text() == "广告"
    assert "**" not in row
    assert "bob: 广告 advertising" in row and "mod: （没有说明理由 no reason given）" in row
    response = mod_client.post(reverse("groups:hide", args=[team.pk, flagged.pk]))
    assert response["Location"] == f"{detail(team)}#moderation"
    flagged.refresh_from_db()
    assert flagged.hidden_at is not None and flagged.hidden_by == mod
    page = tree(mod_client.get(detail(team)))
    hidden = page.css("#moderation form[action$='/unhide']")
    assert len(hidden) == 1 and not page.css("#moderation form[action$='/hide']")


def test_a_moderator_unhides_a_note(team, alice, mod, mod_client, posts):
    hidden = note(alice, posts[0], team)
    annotation_services.hide(hidden, mod)
    mod_client.post(reverse("groups:unhide", args=[team.pk, hidden.pk]))
    hidden.refresh_from_db()
    assert hidden.hidden_at is None


def test_a_member_may_not_hide_and_nobody_hides_through_another_group(
    team, other_team, alice, bob_client, carol, alice_client, posts
):
    ours = note(alice, posts[0], team)
    assert bob_client.post(reverse("groups:hide", args=[team.pk, ours.pk])).status_code == 403
    theirs = note(carol, posts[0], other_team)
    # alice owns team, not other_team: she may not read carol's note, whichever address.
    assert alice_client.post(reverse("groups:hide", args=[team.pk, theirs.pk])).status_code == 404
    mine_elsewhere = note(alice, posts[1])  # private: no moderators
    url = reverse("groups:hide", args=[team.pk, mine_elsewhere.pk])
    assert alice_client.post(url).status_code == 403
    assert not Annotation.objects.filter(hidden_at__isnull=False).exists()


def test_hiding_is_a_post(team, alice, mod_client, posts):
    flagged = note(alice, posts[0], team)
    assert mod_client.get(reverse("groups:hide", args=[team.pk, flagged.pk])).status_code == 405


def flagged_notes(team, alice, bob, carol, posts):
    """Two notes of ``team`` awaiting a decision (one flagged twice), and three that are not:
    flagged then hidden, flagged then deleted, and one in carol's group (one waits there)."""
    from django.contrib.auth import get_user_model

    moderator = Membership.objects.get(group=team, role=Role.MODERATOR).user
    waiting = [note(alice, posts[0], team), note(alice, posts[1], team, quote="结构性的问题")]
    annotation_services.flag(waiting[0], bob, "广告")
    for each in waiting:
        annotation_services.flag(each, moderator)
    hidden, deleted = note(alice, posts[2], team), note(alice, posts[2], team, quote="结构性")
    for each in (hidden, deleted):
        annotation_services.flag(each, bob)
    annotation_services.hide(hidden, alice)
    annotation_services.delete(deleted)
    other = Group.objects.exclude(pk=team.pk).get()
    eve = get_user_model().objects.create_user("eve")
    services.join(eve, invite_of(other).token)
    annotation_services.flag(note(eve, posts[0], other), carol)
    return waiting


@pytest.mark.parametrize(("who", "shown"), [("alice", 2), ("mod", 2), ("bob", None)])
def test_the_moderation_link_and_heading_count_the_notes_awaiting_a_decision(
    team, other_team, alice, bob, carol, posts, who, shown, request
):
    flagged_notes(team, alice, bob, carol, posts)
    page = tree(client_of(request.getfixturevalue(who)).get(detail(team)))
    link = page.css_first(".group-nav a[href='#moderation']")
    if shown is None:  # a plain member: no moderation, no count
        assert link is None and not page.css("[data-flags-awaiting]")
        return
    assert link.css_first("[data-flags-awaiting]").text() == str(shown)
    assert (
        link.attributes["aria-label"] == "审核 Moderation: 2 条举报待处理 flagged notes to review"
    )
    assert page.css_first("#moderation-heading .badge").text() == str(shown)
    assert len(page.css("#moderation .moderation-list")[0].css("[data-moderated]")) == shown


def test_no_flag_waiting_no_count(team, alice, posts, alice_client):
    hidden = note(alice, posts[0], team)
    annotation_services.hide(hidden, alice)
    page = tree(alice_client.get(detail(team)))
    assert page.css_first(".group-nav a[href='#moderation']").text() == "审核 Moderation"
    assert not page.css("[data-flags-awaiting]") and not page.css("#moderation-heading .badge")


@pytest.mark.parametrize(
    ("who", "counts"),
    [
        ("alice", {"读书会 Reading club": "2"}),  # owner of team
        ("mod", {"读书会 Reading club": "2"}),  # its moderator
        ("bob", {}),  # a plain member: not his to decide
        ("carol", {"Other club": "1"}),  # other_team's owner: only her group's
        ("dave", {}),
    ],
)
def test_my_groups_say_how_many_flagged_notes_await_me_where_i_moderate(
    team, other_team, alice, bob, carol, posts, who, counts, request
):
    flagged_notes(team, alice, bob, carol, posts)
    page = tree(client_of(request.getfixturevalue(who)).get(LIST))
    found = {}
    for row in page.css(".group-list li"):
        due = row.css_first("[data-flags-awaiting]")
        if due is not None:
            name = row.css_first("a").text()
            found[name] = due.css_first(".badge").text()
            group = Group.objects.get(name=name)
            assert due.attributes["href"] == f"{detail(group)}#moderation"
    assert found == counts


@pytest.mark.parametrize("who", ["alice", "mod"])
def test_a_moderator_dismisses_wrong_flags_and_the_note_stays_shown(
    team, alice, bob, carol, other_team, posts, who, request
):
    client = client_of(request.getfixturevalue(who))
    first, second = flagged_notes(team, alice, bob, carol, posts)
    url = reverse("groups:dismiss_flags", args=[team.pk, first.pk])
    assert client.get(url).status_code == 405  # a POST only
    response = client.post(url)
    assert response["Location"] == f"{detail(team)}#moderation"
    assert not first.flags.exists() and second.flags.count() == 1
    first.refresh_from_db()
    assert first.hidden_at is None and first.deleted_at is None
    page = tree(client.get(response["Location"]))
    assert [
        row.attributes["data-moderated"]
        for row in page.css("#moderation .moderation-list")[0].css("[data-moderated]")
    ] == [str(second.pk)]
    assert page.css_first("[data-flags-awaiting]").text() == "1"
    # The outcome is said where the page opens, in the moderation section, not at the top.
    assert "Flags dismissed" in " ".join(texts(page, "#moderation .message"))
    assert not page.css(".group-page > .message")
    # A new flag later counts again.
    annotation_services.flag(first, bob, "again")
    assert tree(client.get(detail(team))).css_first("[data-flags-awaiting]").text() == "2"


def test_the_flagged_note_offers_hide_and_dismiss_the_hidden_one_unhide(
    team, alice, bob, carol, other_team, posts, alice_client
):
    flagged_notes(team, alice, bob, carol, posts)
    flagged, hidden = tree(alice_client.get(detail(team))).css("#moderation .moderation-list")
    for row in flagged.css("[data-moderated]"):
        note_id = row.attributes["data-moderated"]
        assert [f.attributes["action"] for f in row.css("form")] == [
            reverse("groups:hide", args=[team.pk, note_id]),
            reverse("groups:dismiss_flags", args=[team.pk, note_id]),
        ]
        assert "Dismiss the flags" in row.css("form")[1].attributes["data-confirm"]
    assert [f.attributes["action"].rsplit("/", 1)[1] for f in hidden.css("form")] == ["unhide"]


def test_a_member_may_not_dismiss_flags_nor_anyone_through_another_group(
    team, other_team, alice, bob, carol, posts, bob_client, alice_client
):
    first, _ = flagged_notes(team, alice, bob, carol, posts)
    assert (
        bob_client.post(reverse("groups:dismiss_flags", args=[team.pk, first.pk])).status_code
        == 403
    )
    carols = Annotation.objects.get(group=other_team)
    # alice may not read a note of carol's group, whichever group's address she uses.
    url = reverse("groups:dismiss_flags", args=[team.pk, carols.pk])
    assert alice_client.post(url).status_code == 404
    carol_client = client_of(carol)
    url = reverse("groups:dismiss_flags", args=[other_team.pk, first.pk])
    assert carol_client.post(url).status_code == 404
    url = reverse("groups:dismiss_flags", args=[team.pk, first.pk])
    assert carol_client.post(url).status_code == 404
    assert first.flags.count() == 2 and carols.flags.count() == 1


def test_hiding_keeps_the_flags_as_history_and_unhiding_dismisses_them(
    team, alice, bob, carol, other_team, posts, mod_client
):
    first, _ = flagged_notes(team, alice, bob, carol, posts)
    mod_client.post(reverse("groups:hide", args=[team.pk, first.pk]))
    assert first.flags.count() == 2  # kept: why it was hidden
    page = tree(mod_client.get(detail(team)))
    assert page.css_first("[data-flags-awaiting]").text() == "1"  # settled: not awaiting
    hidden = page.css("#moderation .moderation-list")[1]
    row = hidden.css_first(f"[data-moderated='{first.pk}']")
    assert "2 次举报 flags" in row.text() and "bob: 广告" in " ".join(row.text().split())
    mod_client.post(reverse("groups:unhide", args=[team.pk, first.pk]))
    # Shown again: the moderators judged the flags wrong, they do not come back as awaiting.
    assert not first.flags.exists()
    page = tree(mod_client.get(detail(team)))
    assert page.css_first("[data-flags-awaiting]").text() == "1"
    assert not page.css(f"#moderation [data-moderated='{first.pk}']")


@pytest.mark.parametrize(("action", "said"), [("hide", "Hidden:"), ("unhide", "shown again")])
def test_a_moderation_outcome_is_said_in_the_moderation_section(
    team, alice, posts, alice_client, action, said
):
    target = note(alice, posts[0], team)
    if action == "unhide":
        annotation_services.hide(target, alice)
    response = alice_client.post(reverse(f"groups:{action}", args=[team.pk, target.pk]))
    assert response["Location"].endswith("#moderation")
    page = tree(alice_client.get(response["Location"]))
    assert said in " ".join(texts(page, "#moderation .message"))
    assert not page.css(".group-page > .message")
    # Said once: the next look at the page has no message anywhere.
    assert not tree(alice_client.get(detail(team))).css(".message")


def test_other_messages_still_show_at_the_top(team, alice_client, bob):
    alice_client.post(reverse("groups:set_role", args=[team.pk, bob.pk]), {"role": "moderator"})
    page = tree(alice_client.get(detail(team)))
    assert "bob" in " ".join(texts(page, ".group-page > .message"))
    assert not page.css("#moderation .message")


# --- Following an invite link ---------------------------------------------------------------


def join_url(invite) -> str:
    return reverse("groups:join", args=[invite.token])


def test_an_invite_asks_a_visitor_to_sign_in_and_comes_back(team, anonymous_client):
    url = join_url(invite_of(team))
    response = anonymous_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_an_invite_shows_the_group_and_a_join_button_then_joins(team, dave, dave_client):
    url = join_url(invite_of(team))
    page = tree(dave_client.get(url))
    assert "读书会 Reading club" in page.css_first("h1").text()
    assert "We read together." in page.css_first(".group-description").text()
    assert page.css_first(f"form[action='{url}'] button").text() == "加入 Join"
    assert not Membership.objects.filter(user=dave).exists()  # looking joins nothing
    response = dave_client.post(url)
    assert response["Location"] == detail(team)
    assert Membership.objects.get(group=team, user=dave).role == Role.MEMBER
    assert "Welcome to" in messages_of(tree(dave_client.get(detail(team))))


def test_an_unknown_invite_is_a_404_that_speaks_of_invites(dave_client, settings):
    settings.DEBUG = False
    for response in (
        dave_client.get("/groups/join/no-such-token"),
        dave_client.post("/groups/join/no-such-token"),
    ):
        assert response.status_code == 404
        page = tree(response)
        heading = page.css_first("h1").text()
        assert heading == "这个邀请链接不存在 This invite link does not exist"
        assert (
            "ask the group's owner or a moderator for a new one"
            in page.css_first(".error-page").text()
        )
        assert "no longer in this archive" not in response.content.decode()  # not the posts' 404


def test_an_invite_sends_a_visitor_to_a_sign_in_page_that_says_why(
    team, anonymous_client, settings
):
    settings.PIZHU_SIGNUP_OPEN = True
    url = join_url(invite_of(team))
    sign_in = anonymous_client.get(url, follow=True)
    assert sign_in.redirect_chain[-1][0] == f"{reverse('login')}?next={url}"
    said = tree(sign_in).css_first("[data-joining]")
    assert said is not None and said.text() == "登录后加入小组。Sign in to join the group."
    assert "读书会" not in sign_in.content.decode()  # the invite is not looked at before sign-in
    # Its sign-up link keeps where to go, and says the same.
    signup = tree(sign_in).css_first("a[href^='/accounts/signup/']").attributes["href"]
    page = tree(anonymous_client.get(signup))
    assert page.css_first("[data-joining]").text() == "注册后加入小组。Sign up to join the group."


@pytest.mark.parametrize("next_url", ["", "/groups/", "/posts/1/", "//evil.example/groups/join/x"])
def test_a_sign_in_page_going_elsewhere_says_nothing_of_groups(anonymous_client, next_url):
    response = anonymous_client.get(reverse("login"), {"next": next_url} if next_url else {})
    assert response.status_code == 200
    assert not tree(response).css("[data-joining]")


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"revoked_at": timezone.now()}, "This invite link was revoked"),
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "This invite link has expired"),
        ({"max_uses": 1, "uses": 1}, "This invite link has been used up"),
    ],
)
def test_a_dead_invite_is_a_410_saying_why(team, dave, dave_client, change, said):
    invite = invite_of(team)
    Invite.objects.filter(pk=invite.pk).update(**change)
    for response in (dave_client.get(join_url(invite)), dave_client.post(join_url(invite))):
        assert response.status_code == 410
        assert said in tree(response).css_first("h1").text()
        assert "读书会" not in response.content.decode()  # a dead link tells no group's name
    assert not Membership.objects.filter(user=dave).exists()


def test_a_member_following_an_invite_again_goes_to_the_group(team, bob_client):
    response = bob_client.get(join_url(invite_of(team)))
    assert response["Location"] == detail(team)


def test_join_attempts_are_limited_per_person(team, dave_client, settings):
    settings.PIZHU_RATE_INVITES = "3/h"
    for _ in range(3):
        assert dave_client.get("/groups/join/guess").status_code == 404
    response = dave_client.get(join_url(invite_of(team)))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts to join a group" in response.content.decode()
    assert dave_client.post(join_url(invite_of(team))).status_code == 429
    assert not Membership.objects.filter(group=team, user__username="dave").exists()


# --- The header -----------------------------------------------------------------------------


def header_groups(page) -> list[str]:
    return texts(page, "[data-site-menu] li a")


def test_the_header_lists_my_groups(team, other_team, bob_client, dave_client, anonymous_client):
    assert header_groups(tree(bob_client.get(LIST))) == [
        "读书会 Reading club",
        "所有小组 All groups…",
    ]
    assert header_groups(tree(dave_client.get(LIST))) == ["所有小组 All groups…"]
    assert not tree(anonymous_client.get("/")).css("[data-site-menu]")


def test_a_cached_page_shows_a_group_just_joined_or_renamed(team, dave, dave_client, alice):
    home = "/"
    assert header_groups(tree(dave_client.get(home))) == ["所有小组 All groups…"]
    assert header_groups(tree(dave_client.get(home))) == ["所有小组 All groups…"]  # cached
    services.join(dave, invite_of(team).token)
    assert header_groups(tree(dave_client.get(home)))[0] == "读书会 Reading club"
    services.update_group(team, name="改名了")
    assert header_groups(tree(dave_client.get(home)))[0] == "改名了"
    services.leave(dave, team)
    assert header_groups(tree(dave_client.get(home))) == ["所有小组 All groups…"]


def test_a_cached_page_shows_a_new_reply_then_none_once_read(team, alice, bob, posts):
    alice_client = client_of(alice)
    home = "/"
    mine = note(alice, posts[0], team)
    assert not tree(alice_client.get(home)).css("[data-unread-replies]")
    assert not tree(alice_client.get(home)).css("[data-unread-replies]")  # cached
    annotation_services.create(bob, Changes(body="好", parent=mine.pk))
    badge = tree(alice_client.get(home)).css_first("[data-unread-replies]")
    assert badge is not None and badge.text() == "1"
    alice_client.get(reverse("notebook_replies"))
    assert not tree(alice_client.get(home)).css("[data-unread-replies]")


# --- Query counts ---------------------------------------------------------------------------


def crowd(group, posts, n: int):
    """``n`` more members, each with a note on each post, one flagged; ``n`` more invites."""
    from django.contrib.auth import get_user_model

    owner = group.memberships.get(role=Role.OWNER).user
    for number in range(n):
        person = get_user_model().objects.create_user(f"member{number}{group.pk}")
        services.join(person, invite_of(group).token)
        services.make_invite(group, owner, max_uses=5)
        for post in posts:
            written = note(person, post, group, body=f"笔记 {number}")
        annotation_services.flag(written, owner, f"reason {number}")


# session, user; the membership and its group; members; posts (count, page); the header's
# stamp and my groups. An owner adds the invites, flagged and hidden notes, their flags.
MEMBER_QUERIES = 8
OWNER_QUERIES = MEMBER_QUERIES + 3


@pytest.mark.parametrize("n", [2, 8])
def test_the_group_page_costs_the_same_queries_however_many_members_and_notes(
    team, posts, alice_client, bob_client, django_assert_num_queries, n
):
    crowd(team, posts, n)
    with django_assert_num_queries(MEMBER_QUERIES):
        response = bob_client.get(detail(team))
    assert len(tree(response).css(".group-posts li")) == 3
    with django_assert_num_queries(OWNER_QUERIES):
        response = alice_client.get(detail(team))
    page = tree(response)
    assert len(page.css("#moderation [data-moderated]")) == n
    assert len(page.css(".invite")) == n + 1
    assert len(page.css("[data-member]")) == n + 3


def test_my_groups_cost_the_same_queries_however_many(
    alice, alice_client, django_assert_num_queries
):
    for number in range(5):
        services.create_group(alice, f"G{number}")
    # session, user; my memberships with their groups and sizes; the header's stamp and groups
    with django_assert_num_queries(5):
        response = alice_client.get(LIST)
    assert len(tree(response).css(".group-list li")) == 5
