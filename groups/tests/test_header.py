"""groups.header: the header's groups and unread replies, and the stamp that keeps cached
pages' headers current, in one query per request."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from annotations import replies
from annotations import services as annotation_services
from annotations.tests.conftest import BODY, changes
from annotations.values import Changes
from archive.importer import import_paths
from archive.models import Post
from groups import header, services


@pytest.fixture
def post(archive_dir):
    archive_dir.write(body=BODY, url="https://example.org/economy")
    import_paths([archive_dir])
    return Post.objects.get()


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def stamp_of(user) -> str:
    return header.stamp(request_of(user))


def test_the_header_reads_one_query_per_request_and_only_when_used(
    team, bob, django_assert_num_queries
):
    with django_assert_num_queries(0):
        context = header.header(request_of(bob))
    shown = context["site_header"]
    with django_assert_num_queries(2):  # the stamp, then my groups' names
        assert [group.name for group in shown.groups] == ["读书会 Reading club"]
        assert shown.unread_replies == 0  # none came: not counted
        header.stamp(shown.request)  # the page cache asks too: already read


def test_someone_in_no_group_without_replies_pays_the_stamp_alone(dave, django_assert_num_queries):
    shown = header.Header(request_of(dave))
    with django_assert_num_queries(1):
        assert shown.groups == [] and shown.unread_replies == 0


def test_a_visitor_costs_nothing():
    # No database here: a query would raise.
    shown = header.Header(request_of(AnonymousUser()))
    assert shown.groups == [] and shown.unread_replies == 0
    assert header.stamp(shown.request) == ""


def test_the_stamp_moves_with_everything_the_header_shows(team, alice, bob, dave, post):
    before = stamp_of(dave)
    seen = {before}

    def moved(user) -> bool:
        now = stamp_of(user)
        fresh = now not in seen
        seen.add(now)
        return fresh

    invite = team.invites.get()
    services.join(dave, invite.token)
    assert moved(dave)  # joined
    services.update_group(team, name="新名字")
    assert moved(dave)  # renamed
    services.leave(dave, team)
    assert stamp_of(dave) == before  # left: the header is as it was before he joined
    seen.add(stamp_of(alice))
    note = annotation_services.create(
        alice, changes(post, "增长放缓", kind="note", body="?", visibility="group", group=team.pk)
    )
    annotation_services.create(bob, Changes(parent=note.pk, body="!"))
    assert moved(alice)  # a reply came
    assert header.Header(request_of(alice)).unread_replies == 1
    replies.mark_seen(alice)
    assert moved(alice)  # read
    assert header.Header(request_of(alice)).unread_replies == 0
    assert not moved(alice)  # and nothing else changes it


def test_a_request_after_a_change_reads_it_again(team, alice, dave):
    request = request_of(dave)
    assert header.state(request).groups == 0
    services.join(dave, team.invites.get().token)
    assert header.state(request).groups == 0  # read once per request
    header.forget(request)
    assert header.state(request).groups == 1
