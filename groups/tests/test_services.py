"""groups.services: creating, inviting, joining, leaving, roles and deletion, and that no
annotation is ever lost on the way."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations import services as annotation_services
from annotations.models import Annotation, Visibility
from annotations.tests.conftest import changes
from annotations.values import Invalid
from groups import services
from groups.models import Group, Invite, Membership, Role


@pytest.fixture
def post(archive_dir):
    from annotations.tests.conftest import BODY
    from archive.importer import import_paths
    from archive.models import Post

    archive_dir.write(body=BODY, url="https://example.org/economy")
    import_paths([archive_dir])
    return Post.objects.get(url="https://example.org/economy")


def group_note(user, post, group, quote="增长放缓"):
    return annotation_services.create(
        user,
        changes(post, quote, kind="note", body="组里的笔记", visibility="group", group=group.pk),
    )


def test_creating_a_group_makes_its_creator_the_owner_with_an_invite(alice):
    group, invite = services.create_group(alice, "  Reading   club ", "about\n")
    assert (group.name, group.description) == ("Reading club", "about")
    assert group.memberships.get().role == Role.OWNER
    assert invite.group == group and invite.state() == "usable"
    assert len(invite.token) >= 32


@pytest.mark.parametrize(
    ("name", "description", "field"),
    [("", "", "name"), ("   ", "", "name"), ("x" * 101, "", "name"), (None, "", "name"),
     ("ok", "d" * 2001, "description"), ("a\x00b", "", "name")],
)  # fmt: skip
def test_a_bad_name_or_description_is_refused_by_field(alice, name, description, field):
    with pytest.raises(Invalid) as refused:
        services.create_group(alice, name, description)
    assert [e["field"] for e in refused.value.errors] == [field]
    assert not Group.objects.exists()


def test_joining_by_url_or_token_makes_a_member_and_counts_a_use(alice, bob, carol):
    group, invite = services.create_group(alice, "G")
    assert services.join(bob, invite.get_absolute_url()).role == Role.MEMBER
    assert services.join(carol, f"https://pizhu.example{invite.get_absolute_url()}").group == group
    invite.refresh_from_db()
    assert invite.uses == 2


def test_joining_again_changes_nothing_and_uses_nothing(alice, bob):
    group, invite = services.create_group(alice, "G")
    services.join(bob, invite.token)
    services.join(bob, invite.token)
    services.join(alice, invite.token)
    invite.refresh_from_db()
    assert invite.uses == 1
    assert group.memberships.get(user=alice).role == Role.OWNER


def test_an_unknown_invite_does_not_exist(bob):
    with pytest.raises(Invite.DoesNotExist):
        services.join(bob, "not-a-token")


@pytest.mark.parametrize(
    ("change", "state"),
    [
        ({"revoked_at": timezone.now()}, "revoked"),
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "expired"),
        ({"max_uses": 1, "uses": 1}, "used up"),
    ],
)
def test_a_revoked_expired_or_used_up_invite_is_gone(alice, bob, change, state):
    group, invite = services.create_group(alice, "G")
    Invite.objects.filter(pk=invite.pk).update(**change)
    with pytest.raises(services.InviteGone) as gone:
        services.join(bob, invite.token)
    assert gone.value.state == state
    assert not group.memberships.filter(user=bob).exists()


def test_a_use_limit_lets_exactly_that_many_in(alice, bob, carol, dave):
    group, _ = services.create_group(alice, "G")
    invite = services.make_invite(group, alice, max_uses=2)
    services.join(bob, invite.token)
    services.join(carol, invite.token)
    with pytest.raises(services.InviteGone):
        services.join(dave, invite.token)
    assert group.memberships.count() == 3


def test_an_invite_in_the_past_or_with_no_uses_is_refused(alice):
    group, _ = services.create_group(alice, "G")
    with pytest.raises(Invalid):
        services.make_invite(group, alice, expires_at=timezone.now() - timedelta(days=1))
    with pytest.raises(Invalid):
        services.make_invite(group, alice, max_uses=0)


def test_revoking_closes_an_invite(alice, bob):
    _group, invite = services.create_group(alice, "G")
    services.revoke_invite(invite)
    with pytest.raises(services.InviteGone):
        services.join(bob, invite.token)


def test_leaving_makes_my_group_notes_private_and_keeps_them(team, bob, alice, post):
    mine = group_note(bob, post, team)
    hers = group_note(alice, post, team, "专家说")
    services.leave(bob, team)
    mine.refresh_from_db()
    hers.refresh_from_db()
    assert (mine.visibility, mine.group_id, mine.deleted_at) == (Visibility.PRIVATE, None, None)
    assert (hers.visibility, hers.group_id) == (Visibility.GROUP, team.pk)
    assert not Membership.objects.filter(group=team, user=bob).exists()


def test_the_only_owner_cannot_leave_while_others_remain(team, alice):
    with pytest.raises(services.Refused):
        services.leave(alice, team)
    assert team.memberships.filter(user=alice, role=Role.OWNER).exists()


def test_the_last_member_leaving_deletes_the_group_but_not_the_notes(alice, post):
    group, _ = services.create_group(alice, "G")
    note = group_note(alice, post, group)
    assert services.leave(alice, group) is True
    assert not Group.objects.filter(pk=group.pk).exists()
    note.refresh_from_db()
    assert (note.visibility, note.group_id) == (Visibility.PRIVATE, None)


def test_deleting_a_group_makes_every_note_in_it_private_to_its_author(team, alice, bob, post):
    notes = [group_note(alice, post, team), group_note(bob, post, team, "专家说")]
    reply = annotation_services.create(alice, _reply(notes[1], "回复"))
    services.delete_group(team)
    for annotation in [*notes, reply]:
        annotation.refresh_from_db()
        assert (annotation.visibility, annotation.group_id) == (Visibility.PRIVATE, None)
    assert Annotation.objects.count() == 3


def _reply(parent, body):
    from annotations.values import Changes

    return Changes(parent=parent.pk, body=body, tags=())


def test_a_moderator_removes_members_but_not_owners_or_moderators(team, mod, alice, bob):
    by = team.memberships.get(user=mod)
    with pytest.raises(services.Refused):
        services.remove_member(by, alice)
    services.remove_member(by, bob)
    assert not team.memberships.filter(user=bob).exists()


def test_only_an_owner_changes_roles_and_a_group_keeps_an_owner(team, alice, bob, mod):
    with pytest.raises(services.Refused):
        services.set_role(team.memberships.get(user=mod), bob, Role.MODERATOR)
    owner = team.memberships.get(user=alice)
    with pytest.raises(services.Refused):
        services.set_role(owner, alice, Role.MEMBER)
    services.set_role(owner, bob, Role.OWNER)
    services.set_role(owner, alice, Role.MEMBER)
    assert team.memberships.get(user=alice).role == Role.MEMBER


def test_joining_moves_the_groups_stamp(alice, bob):
    group, invite = services.create_group(alice, "G")
    before = Group.objects.get(pk=group.pk).updated_at
    services.join(bob, invite.token)
    assert Group.objects.get(pk=group.pk).updated_at > before
