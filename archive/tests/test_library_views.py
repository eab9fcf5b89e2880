"""The reader's library in the list and search pages: the shelf, the marks, the "我的 Mine"
filter, what is new in each source, and what all that costs in queries."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from selectolax.lexbor import LexborHTMLParser

from archive import browse
from archive.importer import import_paths
from archive.models import Post
from conftest import save_screenshot, sign_in
from library import state
from library.models import ReadingState, Shelf, SourceVisit

pytestmark = pytest.mark.django_db

HOME = reverse("archive:post_list")
SEARCH = reverse("archive:search")


@pytest.fixture(autouse=True)
def _no_shared_counts():
    """The archive's filter counts are shared between renders (archive.browse): each test
    starts without them, so query counts do not depend on the tests before."""
    browse._archive_facets.clear()


def write_posts(archive_dir, n: int, source: str = "示例日报", first: int = 0) -> None:
    for i in range(first, first + n):
        archive_dir.write(
            f"2024-01-{i % 28 + 1:02d}-{source}{i}.md",
            url=f"https://example.org/{source}/{i}",
            title=f"{source}{i}",
            date=f"2024-01-{i % 28 + 1:02d}T{i // 28:02d}:00:00Z",
            tags=f"[ {source}, 话题{i % 3} ]",
            categories=f"[ {source} ]",
            body=f"<p>{source}第{i}篇的正文，讲飞弹。</p>",
        )


@pytest.fixture
def posts(archive_dir):
    """Four posts of 示例日报 and two of 另一报, by title."""
    write_posts(archive_dir, 4)
    write_posts(archive_dir, 2, source="另一报")
    import_paths([archive_dir])
    return {post.title: post for post in Post.objects.all()}


def tree_of(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return LexborHTMLParser(response.content.decode())


def items(tree) -> dict[str, dict]:
    """Each listed post by title: its data- attributes and marks."""
    found = {}
    for li in tree.css(".post-item"):
        found[li.css_first(".post-item-title").text()] = {
            "id": li.attrs.get("data-post-id"),
            "state": li.attrs.get("data-state"),
            "unread": li.css_first(".unread-mark") is not None,
            "new": li.css_first("[data-new]") is not None,
            "star": li.css_first(".favourite-mark") is not None,
            "progress": (li.css_first(".progress-mark") or None)
            and li.css_first(".progress-mark").text(),
            "archived": li.css_first(".archived-mark") is not None,
        }
    return found


def listed(client, url=HOME, **params) -> list[str]:
    return list(items(tree_of(client, url, **params)))


# --- Marks ----------------------------------------------------------------------------------------


def test_the_owner_sees_their_own_marks(owner, owner_client, posts):
    state.change(owner, posts["示例日报0"].pk, {"read": True})
    state.change(owner, posts["示例日报1"].pk, {"progress": 0.42})
    state.change(owner, posts["示例日报2"].pk, {"favourite": True})
    found = items(tree_of(owner_client, HOME))
    assert found["示例日报0"]["state"] == "read" and not found["示例日报0"]["unread"]
    assert found["示例日报1"]["state"] == "in_progress"
    # unread is "not finished", as the 未读 Unread filter and the API say: a dot and how far
    assert "42 %" in found["示例日报1"]["progress"] and found["示例日报1"]["unread"]
    assert found["示例日报2"]["star"] and found["示例日报2"]["state"] == "unread"
    assert found["另一报0"]["state"] == "unread" and found["另一报0"]["unread"]
    assert found["另一报0"]["id"] == str(posts["另一报0"].pk)
    assert sum(post["star"] for post in found.values()) == 1


def test_another_reader_sees_none_of_the_owners_marks(owner, other_client, posts):
    state.change(owner, posts["示例日报0"].pk, {"read": True, "favourite": True})
    state.change(owner, posts["示例日报1"].pk, {"progress": 0.5})
    found = items(tree_of(other_client, HOME))
    assert {post["state"] for post in found.values()} == {"unread"}
    assert not any(post["star"] or post["progress"] for post in found.values())
    assert tree_of(other_client, HOME).css_first("[data-shelf]") is None


def test_anonymous_visitors_get_no_marks_no_mine_filter_and_no_shelf(
    owner, anonymous_client, posts
):
    state.change(owner, posts["示例日报0"].pk, {"progress": 0.5})
    tree = tree_of(anonymous_client, HOME)
    found = items(tree)
    assert all(post["id"] and post["state"] is None for post in found.values())
    assert not any(post["unread"] or post["star"] for post in found.values())
    assert tree.css_first("[data-mine-filter]") is None
    assert tree.css_first("[data-shelf]") is None
    assert "新 new" not in tree.css_first("[data-facets]").text()
    # ?state= means nothing without a reader: the whole list, nothing marked as chosen
    tree = tree_of(anonymous_client, HOME, state="read")
    assert list(items(tree)) == list(found)
    assert tree.css_first("[data-remove-filter]") is None


# --- The "我的 Mine" filter ----------------------------------------------------------------------


@pytest.fixture
def shelved(owner, posts):
    """The owner's states: one read, one in progress, one favourite, one archived."""
    state.change(owner, posts["示例日报0"].pk, {"read": True})
    state.change(owner, posts["示例日报1"].pk, {"progress": 0.3})
    state.change(owner, posts["另一报0"].pk, {"favourite": True})
    state.change(owner, posts["另一报1"].pk, {"archived": True})
    return posts


@pytest.mark.parametrize(
    ("shelf", "expected"),
    [
        ("", {"示例日报0", "示例日报1", "示例日报2", "示例日报3", "另一报0"}),
        (Shelf.UNREAD, {"示例日报1", "示例日报2", "示例日报3", "另一报0"}),
        (Shelf.IN_PROGRESS, {"示例日报1"}),
        (Shelf.READ, {"示例日报0"}),
        (Shelf.FAVOURITE, {"另一报0"}),
        (Shelf.ARCHIVED, {"另一报1"}),
    ],
)
def test_the_mine_filter_lists_each_shelf(owner_client, shelved, shelf, expected):
    tree = tree_of(owner_client, HOME, state=shelf)
    assert set(items(tree)) == expected
    assert tree.css_first(".page-title small").text() == str(len(expected))
    current = tree.css_first("[data-mine-filter] [aria-current]").text()
    assert current == (Shelf(shelf).label if shelf else "全部 All")


def test_archived_posts_leave_the_list_and_return_when_asked_for(owner, owner_client, posts):
    assert "另一报1" in listed(owner_client)
    state.change(owner, posts["另一报1"].pk, {"archived": True})
    assert "另一报1" not in listed(owner_client)
    found = items(tree_of(owner_client, HOME, state="archived"))
    assert list(found) == ["另一报1"] and found["另一报1"]["archived"]
    state.change(owner, posts["另一报1"].pk, {"archived": False})
    assert "另一报1" in listed(owner_client)


def test_a_search_finds_archived_posts_and_marks_them(owner, owner_client, shelved):
    found = items(tree_of(owner_client, SEARCH, q="飞弹"))
    assert found["另一报1"]["archived"]
    assert not any(post["archived"] for title, post in found.items() if title != "另一报1")
    assert set(listed(owner_client, SEARCH, q="飞弹", state="favourite")) == {"另一报0"}
    assert set(listed(owner_client, SEARCH, q="飞弹", state="unread")) == {
        "示例日报1", "示例日报2", "示例日报3", "另一报0"
    }  # fmt: skip


def test_the_unread_dot_marks_exactly_what_the_unread_filter_lists(owner, owner_client, shelved):
    unread = set(listed(owner_client, state="unread"))
    for url, params in [(HOME, {}), (SEARCH, {"q": "飞弹"})]:  # a search lists archived posts
        found = items(tree_of(owner_client, url, **params))
        assert {title for title, post in found.items() if post["unread"]} == unread
    assert "示例日报1" in unread  # in progress: not finished, so unread, dot and all
    assert found["另一报1"]["archived"] and not found["另一报1"]["unread"]


def chips(tree) -> dict[str, str]:
    """The "我的 Mine" chips above the list: label → link."""
    return {a.text(): a.attrs["href"] for a in tree.css("[data-mine-filter] a")}


def test_the_mine_chips_sit_above_the_list_and_not_in_the_folded_filters(owner_client, shelved):
    source = shelved["示例日报0"].source.slug
    tree = tree_of(owner_client, HOME, source=source, page="1")
    assert list(chips(tree)) == ["全部 All", *Shelf.labels]
    html = tree.html
    assert html.index("data-mine-filter") < html.index("data-results")
    assert tree.css_first("[data-facets] [data-mine-filter]") is None
    assert "收藏 Favourites" not in tree.css_first("[data-facets]").text()  # in one place only
    # a chip keeps the other filters and starts again at the first page
    assert chips(tree)["已读 Read"] == "?" + urlencode({"source": source, "state": "read"})
    chosen = tree_of(owner_client, HOME, source=source, state="read")
    assert chips(chosen)["全部 All"] == "?" + urlencode({"source": source})
    assert chosen.css_first("[data-mine-filter] [aria-current]").text() == "已读 Read"


def test_the_mine_chips_keep_a_search_and_need_one(owner_client, shelved):
    found = chips(tree_of(owner_client, SEARCH, q="飞弹"))
    assert found["收藏 Favourites"] == "?" + urlencode({"q": "飞弹", "state": "favourite"})
    assert chips(tree_of(owner_client, SEARCH)) == {}  # nothing searched: nothing to narrow


def test_the_mine_filter_combines_with_source_and_tag_and_counts_its_own_posts(
    owner_client, shelved, posts
):
    source = posts["示例日报0"].source.slug
    tree = tree_of(owner_client, HOME, state="unread", source=source)
    assert set(items(tree)) == {"示例日报1", "示例日报2", "示例日报3"}
    assert set(listed(owner_client, state="unread", tag="话题1")) == {"示例日报1"}
    counts = {
        li.css_first("a").text(): li.css_first(".count").text()
        for li in tree.css("[aria-label='来源 Sources'] li")
    }
    assert counts == {"示例日报": "3", "另一报": "1"}  # the unread ones only


@pytest.mark.parametrize("shelf", ["", *Shelf.values])
@pytest.mark.parametrize("narrowed", [{}, {"tag": "话题1"}, {"year": "2024"}])
def test_filter_counts_add_up_to_what_each_shelf_lists(owner, owner_client, posts, shelf, narrowed):
    """However they are worked out (the archive's less the reader's few, or counted), the
    counts are those of the posts listed."""
    state.change(owner, posts["示例日报0"].pk, {"read": True, "favourite": True})
    state.change(owner, posts["示例日报1"].pk, {"progress": 0.3})
    state.change(owner, posts["另一报0"].pk, {"archived": True})
    state.change(owner, posts["示例日报3"].pk, {"archived": True, "read": True})
    tree = tree_of(owner_client, HOME, state=shelf, **narrowed)
    listed_here = items(tree)
    assert tree.css_first(".page-title small").text() == str(len(listed_here))
    sources = {
        li.css_first("a").text(): int(li.css_first(".count").text())
        for li in tree.css("[aria-label='来源 Sources'] li")
    }
    assert sources == {
        name: n
        for name in ("示例日报", "另一报")
        if (n := sum(title.startswith(name) for title in listed_here))
    }
    dates = [int(li.css_first(".count").text()) for li in tree.css("[aria-label='日期 Dates'] li")]
    assert sum(dates) == len(listed_here)
    if not narrowed:
        topics = {
            li.css_first("a").text(): int(li.css_first(".count").text())
            for li in tree.css("[aria-label='标签 Tags'] li")
        }
        expected = {}
        for title in listed_here:
            topic = f"话题{int(title[-1]) % 3}"
            expected[topic] = expected.get(topic, 0) + 1
        assert topics == expected


def test_the_chosen_shelf_is_removable_like_any_filter(owner_client, shelved, posts):
    source = posts["示例日报0"].source.slug
    tree = tree_of(owner_client, HOME, state="read", source=source)
    chips = {a.text(): a.attrs["href"] for a in tree.css("[data-remove-filter]")}
    assert chips == {
        "已读 Read ×": "?" + urlencode({"source": source}),
        "示例日报 ×": "?state=read",
    }


def test_nothing_on_a_shelf_says_so(owner_client, posts):
    tree = tree_of(owner_client, HOME, state="favourite")
    assert items(tree) == {}
    assert "没有符合筛选的文章" in tree.css_first(".empty").text()


# --- The shelf ------------------------------------------------------------------------------------


def test_the_home_page_shelf_lists_posts_in_progress_the_last_read_first(
    owner, owner_client, posts
):
    state.change(owner, posts["示例日报3"].pk, {"progress": 0.6})
    state.change(owner, posts["另一报0"].pk, {"progress": 0.25})
    state.change(owner, posts["示例日报0"].pk, {"progress": 0.9, "read": True})  # finished
    tree = tree_of(owner_client, HOME)
    entries = tree.css_first("[data-shelf]").css("li")
    assert [li.css_first("a").text() for li in entries] == ["另一报0", "示例日报3"]
    assert entries[0].css_first("a").attrs["href"] == posts["另一报0"].get_absolute_url()
    assert entries[0].attrs["data-shelf-post"] == str(posts["另一报0"].pk)
    # data-post-id stays the list's own: one element per post, with its data-state
    assert len(tree.css("[data-post-id]")) == len(tree.css(".post-item[data-state]")) == 6
    assert "25 %" in entries[0].css_first(".progress-mark").text()
    assert entries[0].css_first(".source").text() == "另一报"
    state.change(owner, posts["示例日报3"].pk, {"position": 5})  # read again: first now
    shelf = tree_of(owner_client, HOME).css_first("[data-shelf]")
    assert shelf.css_first("li a").text() == "示例日报3"


def test_the_shelf_is_only_on_the_first_unfiltered_page(owner, owner_client, posts, settings):
    settings.PIZHU_POSTS_PER_PAGE = 2
    state.change(owner, posts["示例日报3"].pk, {"progress": 0.6})
    assert tree_of(owner_client, HOME).css_first("[data-shelf]") is not None
    assert tree_of(owner_client, HOME, page=2).css_first("[data-shelf]") is None
    assert tree_of(owner_client, HOME, tag="话题0").css_first("[data-shelf]") is None
    assert tree_of(owner_client, HOME, state="in_progress").css_first("[data-shelf]") is None


def test_no_shelf_when_nothing_is_in_progress(owner, owner_client, posts):
    state.change(owner, posts["示例日报3"].pk, {"favourite": True})
    assert tree_of(owner_client, HOME).css_first("[data-shelf]") is None


# --- New since the last visit ---------------------------------------------------------------------


def new_counts(tree) -> dict[str, str]:
    return {
        li.css_first("a").text(): li.css_first(".new-count").text()
        for li in tree.css("[aria-label='来源 Sources'] li")
        if li.css_first(".new-count")
    }


def test_a_new_reader_does_not_see_the_whole_archive_as_new(owner, owner_client, posts):
    owner.date_joined = timezone.now()  # after the import
    owner.save(update_fields=["date_joined"])
    tree = tree_of(owner_client, HOME)
    assert new_counts(tree) == {}
    assert new_total(tree) is None


def test_sources_count_what_arrived_since_the_last_visit(owner, owner_client, archive_dir, posts):
    owner.date_joined = timezone.now() - timedelta(days=1)
    owner.save(update_fields=["date_joined"])
    assert new_counts(tree_of(owner_client, HOME)) == {
        "示例日报": "+4 新 new", "另一报": "+2 新 new"
    }  # fmt: skip
    source = posts["另一报0"].source
    tree = tree_of(owner_client, HOME, source=source.slug)  # looking at it...
    assert SourceVisit.objects.filter(user=owner, source=source).exists()
    assert new_counts(tree) == {"示例日报": "+4 新 new"}  # ...is reading what is new there
    assert new_counts(tree_of(owner_client, HOME)) == {"示例日报": "+4 新 new"}
    write_posts(archive_dir, 3, source="另一报", first=2)
    import_paths([archive_dir])
    assert new_counts(tree_of(owner_client, HOME))["另一报"] == "+3 新 new"


def new_total(tree) -> str | None:
    """The "+N 新 new" on the 筛选 Filters summary, folded on a phone."""
    found = tree.css_first("[data-facets] > summary [data-new-total]")
    return found.text() if found else None


def test_the_filters_summary_says_how_many_posts_are_new_in_all(
    owner, owner_client, anonymous_client, posts
):
    owner.date_joined = timezone.now() - timedelta(days=1)
    owner.save(update_fields=["date_joined"])
    assert new_total(tree_of(owner_client, HOME)) == "+6 新 new"
    tree = tree_of(owner_client, HOME, tag="话题2")  # only 示例日报2: one source listed
    assert new_counts(tree) == {"示例日报": "+4 新 new"}
    assert new_total(tree) == "+4 新 new"  # the total of the sources one sees when unfolded
    tree = tree_of(owner_client, HOME, source=posts["另一报0"].source.slug)
    assert new_total(tree) == "+4 新 new"  # what is left after looking at 另一报
    assert tree.css_first("[data-facets] > summary").text().startswith("筛选 Filters · 另一报 · ")
    assert new_total(tree_of(anonymous_client, HOME)) is None


def newly_marked(tree) -> set[str]:
    return {title for title, post in items(tree).items() if post["new"]}


def test_a_sources_page_marks_what_arrived_since_the_previous_visit(
    owner, owner_client, other_client, archive_dir, posts
):
    owner.date_joined = timezone.now() - timedelta(days=1)
    owner.save(update_fields=["date_joined"])
    state.change(owner, posts["另一报1"].pk, {"read": True})
    slug = posts["另一报0"].source.slug
    assert newly_marked(tree_of(owner_client, HOME, source=slug)) == {"另一报0"}  # 1 is read
    assert "另一报" not in new_counts(tree_of(owner_client, HOME))  # the count is cleared...
    assert newly_marked(tree_of(owner_client, HOME, source=slug)) == {"另一报0"}  # ...not the marks
    assert newly_marked(tree_of(owner_client, HOME)) == set()  # on the source's own page only
    # another reader's first visit: their own news, the owner's read post among it
    assert newly_marked(tree_of(other_client, HOME, source=slug)) == {"另一报0", "另一报1"}
    write_posts(archive_dir, 2, source="另一报", first=2)
    import_paths([archive_dir])
    tree = tree_of(owner_client, HOME, source=slug)  # the next visit: only what came since
    assert newly_marked(tree) == {"另一报2", "另一报3"}
    assert tree.css_first("[data-new]").attrs["title"].endswith("Arrived since your previous visit")


def test_a_first_look_at_a_source_marks_nothing_older_than_the_reader(owner, owner_client, posts):
    owner.date_joined = timezone.now()  # after the import
    owner.save(update_fields=["date_joined"])
    assert newly_marked(tree_of(owner_client, HOME, source=posts["另一报0"].source.slug)) == set()


def test_another_readers_visit_changes_nothing_for_the_owner(
    owner, other, owner_client, other_client, posts
):
    for user in (owner, other):
        user.date_joined = timezone.now() - timedelta(days=1)
        user.save(update_fields=["date_joined"])
    tree_of(other_client, HOME, source=posts["另一报0"].source.slug)
    assert new_counts(tree_of(owner_client, HOME))["另一报"] == "+2 新 new"


# --- Labels ---------------------------------------------------------------------------------------


def test_list_and_search_labels_are_in_both_languages(anonymous_client, posts, settings):
    settings.PIZHU_POSTS_PER_PAGE = 2
    tree = tree_of(anonymous_client, HOME, page="2")
    assert tree.css_first("title").text() == "文章 Posts · 批注"
    assert tree.css_first(".page-title").text() == "文章 Posts 6"
    assert tree.css_first("[rel=prev]").text() == "← 上一页 Previous"
    assert tree.css_first("[rel=next]").text() == "下一页 Next →"
    search = tree_of(anonymous_client, SEARCH, q="飞弹")
    assert search.css_first("title").text() == "飞弹 · 搜索 Search · 批注"
    assert search.css_first(".page-title").text().startswith("搜索 Search 飞弹")
    empty = tree_of(anonymous_client, SEARCH)
    assert empty.css_first(".page-title").text().strip() == "搜索 Search"
    by_month = tree_of(anonymous_client, HOME, year="2024")
    dates = by_month.css_first("[aria-label='日期 Dates'] h2").text()
    assert dates.startswith("日期 Month · 2024")


# --- The cache ------------------------------------------------------------------------------------


def test_a_state_change_shows_on_the_next_render_of_a_cached_page(owner, owner_client, posts):
    pk = posts["示例日报2"].pk
    assert not items(tree_of(owner_client, HOME))["示例日报2"]["star"]
    assert not items(tree_of(owner_client, HOME))["示例日报2"]["star"]  # now from the cache
    state.change(owner, pk, {"favourite": True})
    assert items(tree_of(owner_client, HOME))["示例日报2"]["star"]
    state.change(owner, pk, {"progress": 0.5})
    assert tree_of(owner_client, HOME).css_first("[data-shelf] li a").text() == "示例日报2"
    assert items(tree_of(owner_client, SEARCH, q="飞弹"))["示例日报2"]["state"] == "in_progress"


def test_cached_pages_are_never_shared_between_readers(owner, owner_client, other_client, posts):
    state.change(owner, posts["示例日报2"].pk, {"favourite": True})
    assert items(tree_of(owner_client, HOME))["示例日报2"]["star"]
    assert not items(tree_of(other_client, HOME))["示例日报2"]["star"]


# --- Query counts ---------------------------------------------------------------------------------


@pytest.fixture
def archive_of(archive_dir, owner):
    """``archive_of(n)``: n posts in two sources; the owner has a state of each, on every
    shelf in turn (favourite, in progress, read, archived)."""
    kinds = [{"favourite": True}, {"progress": 0.5}, {"read": True}, {"archived": True}]

    def make(n: int):
        write_posts(archive_dir, n - n // 2)
        write_posts(archive_dir, n // 2, source="另一报", first=n)
        import_paths([archive_dir])
        for number, pk in enumerate(Post.objects.values_list("pk", flat=True)):
            state.change(owner, pk, kinds[number % len(kinds)])

    return make


# Anonymous: archive stamp; posts count, posts with source, tags; facets: source counts and
# names, tags, date bounds and counts. What it was before the library: a visitor pays nothing.
ANONYMOUS = 9
# Signed in: session, user; archive stamp, the reader's stamp; their archived posts; count
# (the archive's less their archived posts': 2), posts, tags, their states of those posts;
# the archive's facets as above (5) less those of the reader's archived posts (sources,
# tags, date bounds and counts); new per source; the shelf; the header's stamp (my groups
# and replies: groups.header).
SIGNED_IN = 22
# The archive's facets are shared: rendering the page again after a saved scroll does not
# count them again.
SIGNED_IN_AGAIN = SIGNED_IN - 5


@pytest.mark.parametrize("n", [5, 25])
def test_the_list_costs_the_same_queries_for_5_or_25_posts(
    owner, anonymous_client, owner_client, archive_of, settings, django_assert_num_queries, n
):
    settings.PIZHU_POSTS_PER_PAGE = 25
    archive_of(n)
    with django_assert_num_queries(ANONYMOUS):
        anonymous_client.get(HOME)
    with django_assert_num_queries(SIGNED_IN):
        response = owner_client.get(HOME)
    shown = items(LexborHTMLParser(response.content.decode()))
    assert len(shown) == n - n // 4  # not the archived
    assert len(LexborHTMLParser(response.content.decode()).css("[data-shelf] li")) > 0
    state.change(owner, Post.objects.first().pk, {"progress": 0.7})
    with django_assert_num_queries(SIGNED_IN_AGAIN):
        owner_client.get(HOME)


@pytest.mark.parametrize("n", [5, 25])
@pytest.mark.parametrize("shelf", Shelf.values)
def test_a_shelf_filtered_list_costs_the_same_queries_for_5_or_25_posts(
    owner_client, archive_of, settings, django_assert_num_queries, n, shelf
):
    settings.PIZHU_POSTS_PER_PAGE = 25
    archive_of(n)
    # As the signed-in list, without the shelf. Unread is counted as the archive less the
    # reader's read and archived posts; a smaller shelf is counted directly (one count and 5
    # facets), and "archived" needs no list of archived posts to leave out.
    small = SIGNED_IN - 1 - 1 - 4
    expected = {Shelf.UNREAD: SIGNED_IN - 1, Shelf.ARCHIVED: small - 1}.get(shelf, small)
    with django_assert_num_queries(expected):
        response = owner_client.get(HOME, {"state": shelf})
    assert items(LexborHTMLParser(response.content.decode()))  # something on each shelf


def test_a_cached_page_costs_the_signed_in_reader_one_query_more(
    anonymous_client, owner_client, archive_of, django_assert_num_queries
):
    archive_of(5)
    anonymous_client.get(HOME)
    owner_client.get(HOME)
    with django_assert_num_queries(1):  # the archive stamp
        anonymous_client.get(HOME)
    # session, user, archive stamp, the reader's stamp, the header's stamp
    with django_assert_num_queries(5):
        owner_client.get(HOME)


def test_looking_at_a_source_again_costs_one_query_and_writes_nothing(
    owner, owner_client, archive_of, django_assert_num_queries
):
    owner.date_joined = timezone.now() - timedelta(days=1)
    owner.save(update_fields=["date_joined"])
    archive_of(5)
    slug = Post.objects.first().source.slug
    owner_client.get(HOME, {"source": slug})  # news there: the visit is written
    with django_assert_num_queries(6):  # as any cached page, and the source's newest post
        owner_client.get(HOME, {"source": slug})


@pytest.mark.parametrize("n", [5, 25])
def test_a_sources_page_marking_new_posts_costs_the_same_queries_for_5_or_25_posts(
    owner, owner_client, archive_of, settings, django_assert_num_queries, n
):
    settings.PIZHU_POSTS_PER_PAGE = 25
    owner.date_joined = timezone.now() - timedelta(days=1)
    owner.save(update_fields=["date_joined"])
    archive_of(n)
    # a source where the reader put a post away, at either size
    slug = ReadingState.objects.filter(archived=True).first().post.source.slug
    # The signed-in list (SIGNED_IN) without the shelf, with the chosen source's name; and the
    # visit: the source's last visit and newest post, writing it (an UPDATE that finds no
    # row, then get_or_create: SELECT, SAVEPOINT, INSERT, RELEASE). What is new comes with the
    # posts: nothing per post.
    with django_assert_num_queries(SIGNED_IN - 1 + 1 + 6):
        response = owner_client.get(HOME, {"source": slug})
    put_by = ReadingState.objects.filter(Q(archived=True) | Q(read_at__isnull=False))
    news = Post.objects.filter(source__slug=slug).exclude(pk__in=put_by.values("post_id"))
    marked = newly_marked(LexborHTMLParser(response.content.decode()))
    assert marked == set(news.values_list("title", flat=True))  # all arrived after joining


def test_search_with_marks_costs_the_same_queries_for_any_page_size(
    owner_client, archive_of, settings, django_assert_num_queries
):
    archive_of(12)
    # session, user, stamps (3: the archive's, the reader's, the header's); count, ids, posts,
    # tags, states; gather matches (3, SQLite only); facets (5). PostgreSQL: each of its three
    # search statements (count, page, matching ids) also sets its plan in a savepoint (3 more:
    # archive.search_postgres.planned)
    expected = 25 if connection.vendor == "postgresql" else 18
    settings.PIZHU_POSTS_PER_PAGE = 2
    with django_assert_num_queries(expected):
        owner_client.get(SEARCH, {"q": "飞弹"})
    settings.PIZHU_POSTS_PER_PAGE = 12
    with django_assert_num_queries(expected):
        owner_client.get(SEARCH, {"q": "飞弹", "page": "1"})


# --- In a real browser ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [360, 1280])
def test_the_shelf_marks_and_mine_filter_work_on_a_phone_and_a_desktop(
    page, live_server, owner, posts, width
):
    state.change(owner, posts["示例日报1"].pk, {"progress": 0.42})
    state.change(owner, posts["示例日报2"].pk, {"favourite": True})
    state.change(owner, posts["示例日报3"].pk, {"read": True})
    sign_in(page, live_server, owner)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(HOME)
    shelf = page.locator("[data-shelf] li")
    expect(shelf).to_have_count(1)
    expect(shelf).to_contain_text("示例日报1")
    expect(shelf).to_contain_text("42 %")
    unread = page.locator(".post-item[data-state='unread'] .unread-mark")
    expect(unread).to_have_count(4)  # 示例日报0 and 2, 另一报0 and 1
    box = unread.first.bounding_box()
    assert box["width"] > 4 and box["height"] > 4  # a dot one can see, not only a colour
    # in progress is unread too, as the 未读 Unread filter has it: the dot and how far
    in_progress = page.locator(".post-item[data-state='in_progress']")
    expect(in_progress.locator(".unread-mark")).to_be_visible()
    expect(in_progress.locator(".progress-mark")).to_be_visible()
    expect(page.locator(".post-item[data-state='read'] .unread-mark")).to_have_count(0)
    expect(page.locator(".favourite-mark")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_screenshot(page, f"library-list-{width}")
    # 我的 Mine is in sight above the list at every width, the filters folded or not
    mine = page.locator("[data-mine-filter]")
    expect(mine).to_be_in_viewport()
    assert mine.bounding_box()["y"] < page.locator(".post-list").bounding_box()["y"]
    if width < 1024:
        expect(page.locator("[data-facets]")).not_to_have_attribute("open", "")
    mine.get_by_role("link", name="收藏 Favourites").click()
    expect(mine.locator("[aria-current]")).to_have_text("收藏 Favourites")
    expect(page.locator(".post-item")).to_have_count(1)
    expect(page.locator(".post-item")).to_contain_text("示例日报2")
    expect(page.locator("[data-shelf]")).to_have_count(0)
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [360, 1280])
def test_new_posts_are_counted_on_the_folded_filters_and_marked_in_their_source(
    page, live_server, owner, posts, width
):
    owner.date_joined = timezone.now() - timedelta(days=1)  # before all six posts arrived
    owner.save(update_fields=["date_joined"])
    state.change(owner, posts["另一报1"].pk, {"read": True})
    sign_in(page, live_server, owner)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(HOME)
    summary = page.locator("[data-facets] > summary")
    expect(summary.locator("[data-new-total]")).to_have_text("+6 新 new")
    expect(summary).to_be_in_viewport()  # seen with the filters folded on a phone
    if width < 1024:
        summary.click()
    page.locator("[aria-label='来源 Sources'] a", has_text="另一报").click()
    new = page.locator(".post-item [data-new]")
    expect(new).to_have_count(1)  # 另一报1 is read: not news
    expect(page.locator(".post-item", has=page.locator("[data-new]"))).to_contain_text("另一报0")
    expect(new.first).to_be_visible()
    expect(summary.locator("[data-new-total]")).to_have_text("+4 新 new")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_screenshot(page, f"library-source-new-{width}")
    page.reload()  # looked at again: the count stays cleared, the marks stay on
    expect(page.locator(".post-item [data-new]")).to_have_count(1)
    assert page.errors == []
