"""library.shelves: the marks, the shelf, what is new in a source, the cache stamp."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archive.browse import Filters
from archive.models import Post, Source
from library import shelves, state
from library.models import ReadingState, Shelf, SourceVisit

# --- Marks: pure, no database -------------------------------------------------------------------


def reading(progress=0.0, read=False, favourite=False, archived=False) -> ReadingState:
    return ReadingState(
        post_id=1,
        progress=progress,
        read_at=timezone.now() if read else None,
        favourite=favourite,
        archived=archived,
    )


def test_a_post_never_opened_is_unread():
    assert shelves.mark_of(None) == shelves.Mark("unread")


def test_a_post_opened_but_not_scrolled_is_still_unread_and_keeps_its_star():
    assert shelves.mark_of(reading(favourite=True)) == shelves.Mark("unread", favourite=True)


def test_a_post_read_some_way_shows_how_far():
    assert shelves.mark_of(reading(0.42)) == shelves.Mark("in_progress", percent=42)


def test_read_wins_over_progress_and_shows_no_percentage():
    assert shelves.mark_of(reading(0.3, read=True, archived=True)) == shelves.Mark(
        "read", archived=True
    )


@pytest.mark.parametrize(
    ("progress", "expected"), [(0.0001, 1), (0.015, 1), (0.42, 42), (0.999, 99), (1.0, 99)]
)
def test_a_post_in_progress_is_never_shown_at_0_or_100_percent(progress, expected):
    assert shelves.percent(progress) == expected


@pytest.mark.parametrize(("count", "shown"), [(1, "1"), (99, "99"), (100, "99+")])
def test_new_counts_stop_at_99(count, shown):
    assert shelves.shown_new(count) == shown


@pytest.mark.parametrize(
    ("found", "dot"),
    [
        (None, True),
        (reading(favourite=True), True),
        (reading(0.5), True),  # in progress is not finished: the 未读 Unread filter lists it
        (reading(0.5, read=True), False),
        (reading(0.5, archived=True), False),  # put away: out of the 未读 Unread list too
    ],
)
def test_the_unread_dot_is_on_what_the_unread_filter_lists(found, dot):
    assert shelves.mark_of(found).unread is dot


def test_a_new_post_is_marked_new_unless_already_read():
    assert shelves.mark_of(None, new=True) == shelves.Mark("unread", new=True)
    assert shelves.mark_of(reading(0.3), new=True).new
    assert not shelves.mark_of(reading(0.3, read=True), new=True).new
    assert not shelves.mark_of(reading(0.3)).new


def test_a_post_is_new_when_it_arrived_after_the_previous_visit():
    visit = timezone.now()
    assert shelves.arrived_since(visit + timedelta(seconds=1), visit)
    assert not shelves.arrived_since(visit, visit)
    assert not shelves.arrived_since(visit + timedelta(days=1), None)  # not a source's page


@pytest.mark.parametrize(
    ("counts", "shown"),
    [([], ""), ([0, 0], ""), ([3, 0, 2], "5"), ([60, 50], "99+"), ([100], "99+")],
)
def test_the_filters_summary_totals_the_sources_new_posts(counts, shown):
    sources = [SimpleNamespace(new_count=count) for count in counts]
    assert shelves.total_new([*sources, SimpleNamespace()]) == shown  # a source never counted


# --- The state filter: pure -----------------------------------------------------------------------


def query(text: str) -> QueryDict:
    return QueryDict(text)


@pytest.mark.parametrize("shelf", Shelf.values)
def test_a_signed_in_reader_filters_by_any_shelf(shelf):
    filters = Filters.from_query(query(f"state={shelf}"), signed_in=True)
    assert filters.state == shelf
    assert filters  # a filter like the others: "no posts match these filters"
    assert filters.as_params() == {"state": shelf}


@pytest.mark.parametrize(("text", "signed_in"), [("state=read", False), ("state=bogus", True)])
def test_a_state_is_ignored_for_anonymous_visitors_and_when_unknown(text, signed_in):
    filters = Filters.from_query(query(text), signed_in=signed_in)
    assert filters.state == ""
    assert not filters


def test_the_chosen_shelf_is_shown_by_name_and_removable_on_its_own():
    params = query("state=favourite&year=2024&page=2")
    filters = Filters.from_query(params, signed_in=True)
    chosen = dict(filters.chosen(params))
    assert chosen["收藏 Favourites"] == "year=2024"
    assert chosen["2024"] == "state=favourite"


# --- The database -----------------------------------------------------------------------------


def make_posts(n: int, source: str = "示例日报", start: int = 0) -> list[Post]:
    found, _ = Source.objects.get_or_create(name=source, slug=Source.slug_for(source))
    return Post.objects.bulk_create(
        Post(
            title=f"{source}{i}",
            url=f"https://example.org/{source}/{i}",
            source=found,
            published_at=timezone.now() - timedelta(days=i),
            raw_front_matter="",
            raw_body="",
            text="正文" * 10,
        )
        for i in range(start, start + n)
    )


def arrived(posts: list[Post], when) -> None:
    Post.objects.filter(pk__in=[post.pk for post in posts]).update(created_at=when)


@pytest.fixture
def joined_yesterday(owner):
    owner.date_joined = timezone.now() - timedelta(days=1)
    owner.save(update_fields=["date_joined"])
    return owner


@pytest.mark.django_db
def test_the_shelf_holds_posts_in_progress_the_last_read_first(owner, other):
    posts = make_posts(9)
    for post in posts[:7]:
        state.change(owner, post.pk, {"progress": 0.5})
    state.change(owner, posts[2].pk, {"position": 3})  # read again: first on the shelf
    state.change(owner, posts[3].pk, {"read": True})
    state.change(owner, posts[4].pk, {"archived": True})
    state.change(owner, posts[7].pk, {"favourite": True})  # opened, not scrolled
    state.change(other, posts[8].pk, {"progress": 0.2})
    shelf = shelves.on_shelf(owner)
    assert [item.post_id for item in shelf] == [posts[n].pk for n in (2, 6, 5, 1, 0)]
    assert shelf[0].mark.percent == 50
    assert shelf[0].post.source.name == "示例日报"
    assert shelves.on_shelf(other)[0].post_id == posts[8].pk


@pytest.mark.django_db
def test_the_shelf_shows_at_most_six_and_never_loads_a_post_text(owner):
    for post in make_posts(8):
        state.change(owner, post.pk, {"progress": 0.1})
    with CaptureQueriesContext(connection) as queries:
        shelf = shelves.on_shelf(owner)
        assert [item.post.title for item in shelf]  # the titles are there, no further query
    assert len(shelf) == shelves.SHELF_SIZE
    assert len(queries) == 1
    assert '"text"' not in queries[0]["sql"] and "raw_body" not in queries[0]["sql"]


@pytest.mark.django_db
def test_marks_come_in_one_query_and_only_the_users_own(owner, other, django_assert_num_queries):
    posts = make_posts(4)
    state.change(owner, posts[0].pk, {"read": True})
    state.change(owner, posts[1].pk, {"progress": 0.25, "favourite": True})
    state.change(other, posts[2].pk, {"read": True})
    listed = list(Post.objects.filter(pk__in=[p.pk for p in posts]))
    with django_assert_num_queries(1):
        marked = shelves.mark(listed, owner)
    by_id = {post.pk: post.mark for post in marked}
    assert by_id[posts[0].pk].state == "read"
    assert by_id[posts[1].pk] == shelves.Mark("in_progress", percent=25, favourite=True)
    assert by_id[posts[2].pk].state == "unread"  # read by the other user, not by the owner
    assert by_id[posts[3].pk].state == "unread"


@pytest.mark.django_db
def test_anonymous_visitors_get_no_marks_and_cost_no_query(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    posts = make_posts(2)
    with django_assert_num_queries(0):
        marked = shelves.mark(posts, AnonymousUser())
        assert shelves.stamp(AnonymousUser()) == ""
        assert shelves.new_counts(AnonymousUser(), [posts[0].source_id]) == {}
        assert shelves.on_shelf(AnonymousUser()) == []
    assert [post.mark for post in marked] == [None, None]


@pytest.mark.django_db
def test_new_posts_count_from_joining_until_the_first_visit(joined_yesterday):
    owner = joined_yesterday
    old, new = make_posts(3), make_posts(2, start=3)
    other_source = make_posts(4, source="另一来源")
    arrived(old, owner.date_joined - timedelta(hours=1))
    source = old[0].source_id
    counts = shelves.new_counts(owner, [source, other_source[0].source_id])
    assert counts == {source: len(new), other_source[0].source_id: 4}
    state.seen_source(owner, new[0].source)
    assert shelves.new_counts(owner, [source]) == {}  # nothing new: left out
    later = make_posts(1, start=5)
    arrived(later, timezone.now() + timedelta(seconds=1))
    assert shelves.new_counts(owner, [source]) == {source: 1}


@pytest.mark.django_db
def test_new_counts_are_per_user(joined_yesterday, other):
    posts = make_posts(2)
    state.seen_source(joined_yesterday, posts[0].source)
    other.date_joined = joined_yesterday.date_joined
    other.save(update_fields=["date_joined"])
    assert shelves.new_counts(joined_yesterday, [posts[0].source_id]) == {}
    assert shelves.new_counts(other, [posts[0].source_id]) == {posts[0].source_id: 2}


@pytest.mark.django_db
def test_new_counts_stop_counting_just_past_the_shown_limit(joined_yesterday):
    posts = make_posts(shelves.NEW_AT_MOST + 5)
    count = shelves.new_counts(joined_yesterday, [posts[0].source_id])[posts[0].source_id]
    assert count == shelves.NEW_AT_MOST + 1
    assert shelves.shown_new(count) == "99+"


@pytest.mark.django_db
def test_a_visit_is_written_only_when_something_arrived_since_the_last(joined_yesterday):
    owner = joined_yesterday
    posts = make_posts(2)
    source = posts[0].source
    arrived(posts, owner.date_joined - timedelta(hours=1))
    shelves.visit(owner, source.slug)
    assert not SourceVisit.objects.exists()  # nothing new since joining: nothing to write
    arrived(posts[:1], timezone.now() - timedelta(minutes=1))
    shelves.visit(owner, source.slug)
    first = SourceVisit.objects.get(user=owner, source=source).seen_at
    shelves.visit(owner, source.slug)
    assert SourceVisit.objects.get(user=owner, source=source).seen_at == first
    shelves.visit(owner, "no-such-source")
    assert SourceVisit.objects.count() == 1


@pytest.mark.django_db
def test_a_visit_keeps_the_one_before(owner, other):
    source = make_posts(1)[0].source
    state.seen_source(owner, source)
    first = SourceVisit.objects.get(user=owner)
    assert first.previous_seen_at is None
    state.seen_source(owner, source)
    second = SourceVisit.objects.get(user=owner)
    assert second.previous_seen_at == first.seen_at < second.seen_at
    state.seen_source(other, source)
    assert SourceVisit.objects.get(user=owner) == second  # another reader's is their own
    assert SourceVisit.objects.get(user=other).previous_seen_at is None


@pytest.mark.django_db
def test_a_visit_says_since_when_posts_are_new_on_the_sources_page(joined_yesterday):
    owner = joined_yesterday
    posts = make_posts(2)
    source = posts[0].source
    assert shelves.visit(owner, source.slug) == owner.date_joined  # the first: since joining
    assert shelves.visit(owner, source.slug) == owner.date_joined  # again: the same news
    first = SourceVisit.objects.get(user=owner).seen_at
    arrived(make_posts(1, start=2), first + timedelta(microseconds=1))
    assert shelves.visit(owner, source.slug) == first  # news since: new since the last visit
    assert shelves.visit(owner, source.slug) == first
    assert shelves.visit(owner, "no-such-source") is None
    from django.contrib.auth.models import AnonymousUser

    assert shelves.visit(AnonymousUser(), source.slug) is None


@pytest.mark.django_db
def test_marks_say_which_posts_are_new_in_the_same_one_query(
    joined_yesterday, django_assert_num_queries
):
    owner = joined_yesterday
    old, new, read = make_posts(3)
    arrived([old], owner.date_joined - timedelta(hours=1))
    state.change(owner, read.pk, {"read": True})
    listed = list(Post.objects.filter(pk__in=[old.pk, new.pk, read.pk]))
    with django_assert_num_queries(1):
        marked = shelves.mark(listed, owner, new_since=owner.date_joined)
    assert {post.pk for post in marked if post.mark.new} == {new.pk}
    assert not any(post.mark.new for post in shelves.mark(listed, owner))  # not a source's page


@pytest.mark.django_db
def test_the_stamp_moves_with_every_state_change_and_visit(owner, other):
    posts = make_posts(2)
    stamps = [shelves.stamp(owner)]
    state.change(owner, posts[0].pk, {"progress": 0.3})
    stamps.append(shelves.stamp(owner))
    state.change(owner, posts[0].pk, {"favourite": True})
    stamps.append(shelves.stamp(owner))
    state.seen_source(owner, posts[0].source)
    stamps.append(shelves.stamp(owner))
    assert len(set(stamps)) == len(stamps)
    state.change(other, posts[1].pk, {"read": True})  # another reader's change: not ours
    assert shelves.stamp(owner) == stamps[-1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("shelf", "searching", "expected"),
    [
        ("", False, {"unread", "reading", "done", "starred"}),
        ("", True, {"unread", "reading", "done", "starred", "put away"}),
        (Shelf.UNREAD, False, {"unread", "reading", "starred"}),
        (Shelf.IN_PROGRESS, False, {"reading"}),
        (Shelf.READ, True, {"done"}),
        (Shelf.FAVOURITE, False, {"starred"}),
        (Shelf.ARCHIVED, False, {"put away"}),
    ],
)
def test_narrow_leaves_archived_posts_out_of_lists_but_not_out_of_searches(
    owner, shelf, searching, expected
):
    names = ["unread", "reading", "done", "starred", "put away"]
    posts = dict(zip(names, make_posts(len(names)), strict=True))
    state.change(owner, posts["reading"].pk, {"progress": 0.5})
    state.change(owner, posts["done"].pk, {"read": True})
    state.change(owner, posts["starred"].pk, {"favourite": True})
    state.change(owner, posts["put away"].pk, {"archived": True, "read": True})
    filters = Filters(state=shelf)
    found = set(shelves.narrow(Post.objects.all(), owner, filters, searching=searching))
    assert {name for name, post in posts.items() if post in found} == expected
