"""annotations.access: who may read, edit, delete, restore, reply to, hide and flag a note,
decided without HTTP. The same rules through the API and the pages: test_permission_matrix."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from annotations import access, services
from annotations.models import Annotation, Visibility
from annotations.tests.conftest import changes
from annotations.values import Changes, Invalid
from groups import services as group_services


@pytest.fixture
def team(team, other_team):
    """The root conftest's team, and carol owning (so moderating) a group of her own."""
    return team


@pytest.fixture
def notes(alice, team, post):
    def note(quote, **fields):
        return services.create(alice, changes(post, quote, kind="note", body="b", **fields))

    return {
        "private": note("增长放缓"),
        "group": note("专家说", visibility="group", group=team.pk),
        "everyone": note("中国的经济", visibility="everyone"),
    }


def readable(user):
    return {a.body + a.visibility for a in Annotation.objects.visible_to(user)}


def test_the_author_reads_all_of_hers(alice, notes):
    assert {n.pk for n in Annotation.objects.visible_to(alice)} == {n.pk for n in notes.values()}


def test_a_member_reads_the_group_and_everyone_notes_not_the_private_one(bob, notes):
    visible = set(Annotation.objects.visible_to(bob).values_list("pk", flat=True))
    assert visible == {notes["group"].pk, notes["everyone"].pk}


def test_someone_in_another_group_reads_only_the_note_to_everyone(carol, notes):
    visible = set(Annotation.objects.visible_to(carol).values_list("pk", flat=True))
    assert visible == {notes["everyone"].pk}


def test_an_anonymous_visitor_reads_nothing(notes):
    assert not Annotation.objects.visible_to(AnonymousUser()).exists()
    assert not access.may(AnonymousUser(), access.READ, notes["everyone"])


def test_a_removed_member_loses_access_at_once(alice, bob, team, notes):
    assert access.may(bob, access.READ, notes["group"])
    group_services.remove_member(team.memberships.get(user=alice), bob)
    assert not access.may(bob, access.READ, notes["group"])
    with pytest.raises(Http404):
        access.annotation_for(bob, notes["group"].pk)


@pytest.mark.parametrize("action", [access.EDIT, access.DELETE, access.HIDE])
def test_a_member_who_may_read_a_note_may_not_change_it(bob, notes, action):
    with pytest.raises(PermissionDenied):
        access.annotation_for(bob, notes["group"].pk, action)


def test_only_the_author_edits_deletes_and_restores(alice, bob, notes):
    note = notes["everyone"]
    assert access.may(alice, access.EDIT, note) and access.may(alice, access.DELETE, note)
    assert not access.may(bob, access.EDIT, note)
    services.delete(note)
    assert access.may(alice, access.RESTORE, note)
    assert not access.may(bob, access.RESTORE, note)
    with pytest.raises(Http404):
        access.annotation_for(bob, note.pk, access.RESTORE)
    assert access.annotation_for(alice, note.pk, access.RESTORE) == note


def test_a_private_note_is_a_404_to_everyone_else_whatever_the_action(carol, bob, mod, notes):
    for person in (bob, carol, mod):
        for action in access.ACTIONS:
            with pytest.raises(Http404):
                access.annotation_for(person, notes["private"].pk, action)


def test_moderators_of_the_group_hide_members_do_not(mod, bob, carol, notes):
    assert access.may(mod, access.HIDE, notes["group"])
    assert not access.may(bob, access.HIDE, notes["group"])
    assert not access.may(carol, access.HIDE, notes["group"])  # a moderator of another group
    assert not access.may(mod, access.HIDE, notes["everyone"])  # not staff


def test_staff_moderate_notes_to_everyone(django_user_model, notes):
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    assert access.may(staff, access.HIDE, notes["everyone"])
    assert not access.may(staff, access.READ, notes["group"])


def test_a_hidden_note_is_gone_for_members_and_kept_for_author_and_moderators(
    alice,
    bob,
    mod,
    notes,
):
    services.hide(notes["group"], mod)
    assert notes["group"].pk not in Annotation.objects.visible_to(bob).values_list("pk", flat=True)
    for person in (alice, mod):
        assert Annotation.objects.visible_to(person).filter(pk=notes["group"].pk).exists()
        assert access.may(person, access.READ, notes["group"])
    assert not access.may(bob, access.REPLY, notes["group"])
    services.unhide(notes["group"])
    assert access.may(bob, access.READ, notes["group"])


def test_flagging_is_for_readers_other_than_the_author_of_shared_notes(alice, bob, notes):
    assert access.may(bob, access.FLAG, notes["group"])
    assert not access.may(alice, access.FLAG, notes["group"])
    assert not access.may(alice, access.FLAG, notes["private"])


def test_a_deleted_note_is_read_by_nobody(alice, notes):
    services.delete(notes["private"])
    assert not access.may(alice, access.READ, notes["private"])
    assert not Annotation.objects.visible_to(alice).filter(pk=notes["private"].pk).exists()


def test_a_reply_takes_its_notes_audience_and_follows_it(alice, bob, carol, notes):
    reply = services.create(bob, Changes(parent=notes["group"].pk, body="同意", tags=()))
    nested = services.create(alice, Changes(parent=reply.pk, body="谢谢", tags=()))
    assert (reply.visibility, reply.group_id) == (Visibility.GROUP, notes["group"].group_id)
    assert reply.post_id == notes["group"].post_id and reply.is_reply and not reply.is_page_note
    assert not access.may(carol, access.READ, reply)
    services.update(notes["group"], Changes(visibility=Visibility.EVERYONE))
    for annotation in (reply, nested):
        annotation.refresh_from_db()
        assert (annotation.visibility, annotation.group_id) == (Visibility.EVERYONE, None)
    assert access.may(carol, access.READ, nested)


def test_one_cannot_reply_to_a_note_one_cannot_read(carol, notes):
    for pk in (notes["private"].pk, notes["group"].pk, 10**9):
        with pytest.raises(Invalid) as refused:
            services.create(carol, Changes(parent=pk, body="hi", tags=()))
        assert refused.value.errors[0]["message"] == "no annotation you can reply to has this id"


def test_a_reply_cannot_change_its_audience(bob, notes):
    reply = services.create(bob, Changes(parent=notes["group"].pk, body="同意", tags=()))
    with pytest.raises(Invalid):
        services.update(reply, Changes(visibility=Visibility.EVERYONE))
    services.update(reply, Changes(visibility=Visibility.GROUP, group=reply.group_id, body="好"))
    assert reply.body == "好"


def test_a_note_goes_only_to_a_group_of_its_authors(carol, post, team):
    with pytest.raises(Invalid) as refused:
        services.create(carol, changes(post, "增长放缓", visibility="group", group=team.pk))
    assert refused.value.errors[0]["field"] == "pizhu.group"


def test_a_reply_tells_the_notes_author(alice, bob, notes):
    from annotations.models import ReplyInbox

    services.create(bob, Changes(parent=notes["group"].pk, body="同意", tags=()))
    assert ReplyInbox.objects.get(user=alice).last_reply_at is not None
    services.create(alice, Changes(parent=notes["group"].pk, body="me too", tags=()))
    assert not ReplyInbox.objects.filter(user=bob).exists()


def test_visible_annotations_are_one_query_whatever_the_number_of_groups(
    bob,
    post,
    django_assert_num_queries,
):
    def load():
        return list(
            Annotation.objects.visible_to(bob).filter(post=post).for_api().with_reply_counts()
        )

    with django_assert_num_queries(1):
        load()
    for number in range(20):
        group_services.create_group(bob, f"g{number}")
    with django_assert_num_queries(1):
        load()


def test_a_reply_made_private_is_not_counted_for_the_notes_readers(alice, bob, team, notes):
    reply = services.create(bob, Changes(parent=notes["group"].pk, body="同意", tags=()))
    services.create(alice, Changes(parent=notes["group"].pk, body="谢谢", tags=()))

    def count():
        return Annotation.objects.filter(pk=notes["group"].pk).with_reply_counts().get().reply_count

    assert count() == 2
    group_services.leave(bob, team)  # bob's reply becomes his alone
    reply.refresh_from_db()
    assert reply.visibility == Visibility.PRIVATE
    assert count() == 1


def test_a_hidden_note_keeps_its_audience_until_unhidden(alice, mod, notes):
    services.hide(notes["group"], mod)
    notes["group"].refresh_from_db()
    for visibility in (Visibility.EVERYONE, Visibility.PRIVATE):
        with pytest.raises(Invalid) as refused:
            services.update(notes["group"], Changes(visibility=visibility))
        assert refused.value.errors[0]["field"] == "pizhu.visibility"
    services.update(notes["group"], Changes(body="fixed"))  # the words may change
    services.unhide(notes["group"])
    services.update(notes["group"], Changes(visibility=Visibility.EVERYONE))


def test_leaving_a_group_makes_a_hidden_note_plainly_private(alice, bob, mod, team, post):
    note = services.create(
        bob, changes(post, "增长放缓", kind="note", body="x", visibility="group", group=team.pk)
    )
    services.hide(note, mod)
    group_services.leave(bob, team)
    note.refresh_from_db()
    assert (note.visibility, note.hidden_at, note.hidden_by) == (Visibility.PRIVATE, None, None)
