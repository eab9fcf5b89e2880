"""library.state: checking, writing and following a reader's state of a post."""

import pytest

from annotations.values import Invalid
from archive.importer import import_paths
from library import state
from library.models import ReadingState, Shelf
from library.tests.conftest import LONG_BODY

# --- parse: pure, no database -------------------------------------------------------------------


def parse(data, partial=True, length=1000):
    return state.parse(data, partial=partial, post_id=7, text_length=length)


def fields_of(error: pytest.ExceptionInfo) -> list[str]:
    return [problem["field"] for problem in error.value.errors]


def test_a_patch_carries_only_what_was_sent():
    assert parse({"progress": 0.5}) == {"progress": 0.5}


def test_a_put_resets_what_it_leaves_out():
    changes = parse({"favourite": True}, partial=False)
    assert changes == {**state.DEFAULTS, "favourite": True}


def test_what_a_get_returns_can_be_sent_back():
    sent = {"post": 7, "progress": 0.25, "position": 3, "read": False, "read_at": None,
            "favourite": True, "archived": False, "tags": ["经济"],
            "updated": "2026-01-01"}  # fmt: skip
    assert parse(sent, partial=False)["tags"] == ("经济",)


@pytest.mark.parametrize("progress", [-0.01, 1.01, "0.5", True, None, float("nan")])
def test_progress_outside_0_to_1_or_not_a_number_is_refused(progress):
    with pytest.raises(Invalid) as error:
        parse({"progress": progress})
    assert fields_of(error) == ["progress"]


@pytest.mark.parametrize("position", [-1, 1001, 1.5, "3", False])
def test_a_position_outside_the_text_is_refused_naming_the_length(position):
    with pytest.raises(Invalid) as error:
        parse({"position": position})
    assert fields_of(error) == ["position"]
    assert "1000" in error.value.errors[0]["message"]


def test_the_last_position_of_the_text_is_allowed():
    assert parse({"position": 1000}) == {"position": 1000}


@pytest.mark.parametrize("name", ["read", "favourite", "archived"])
def test_flags_must_be_booleans(name):
    with pytest.raises(Invalid) as error:
        parse({name: 1})
    assert fields_of(error) == [name]


def test_unknown_fields_and_another_post_are_refused_all_at_once():
    with pytest.raises(Invalid) as error:
        parse({"colour": "red", "post": 8, "progress": 2})
    assert sorted(fields_of(error)) == ["colour", "post", "progress"]


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("经济", "must be a list of strings"),
        ([1], "must be a list of strings"),
        (["  "], "a tag cannot be empty"),
        (["x" * 51], "tags are limited to 50 characters"),
        ([f"t{n}" for n in range(21)], "at most 20 tags"),
        (["a\x00b"], "holds a NUL or an unpaired surrogate character"),
        (["\ud800"], "holds a NUL or an unpaired surrogate character"),
    ],
)
def test_bad_tags_are_refused(tags, message, settings):
    settings.PIZHU_MAX_TAGS, settings.PIZHU_MAX_TAG_CHARS = 20, 50
    with pytest.raises(Invalid) as error:
        parse({"tags": tags})
    assert error.value.errors[0]["message"] == message


def test_tags_are_trimmed_and_deduplicated_ignoring_case():
    assert parse({"tags": [" 经济  政策 ", "Trade", "trade"]})["tags"] == ("经济 政策", "Trade")


# --- writes and shelves --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_post_never_opened_has_the_defaults_unsaved(owner, post):
    found = state.get(owner, post.pk)
    assert found.pk is None
    assert state.to_json(found) == {
        "post": post.pk, "progress": 0.0, "position": 0, "read": False, "read_at": None,
        "favourite": False, "archived": False, "tags": [], "updated": None,
    }  # fmt: skip


@pytest.mark.django_db
def test_marking_read_keeps_the_first_time_and_unmarking_clears_it(owner, post):
    first = state.change(owner, post.pk, {"read": True}).read_at
    assert first is not None
    assert state.change(owner, post.pk, {"read": True}).read_at == first
    assert state.change(owner, post.pk, {"read": False}).read_at is None
    assert ReadingState.objects.count() == 1


@pytest.mark.django_db
def test_each_user_has_their_own_state(owner, other, post):
    state.change(owner, post.pk, {"favourite": True, "tags": ("mine",)})
    assert state.get(other, post.pk).pk is None
    assert state.to_json(state.get(other, post.pk))["tags"] == []
    assert state.to_json(state.get(owner, post.pk))["tags"] == ["mine"]


@pytest.mark.django_db
def test_shelves_sort_posts_and_archived_ones_leave_every_list_but_their_own(owner, other, posts):
    p1, p2, p3, p4, p5 = posts
    state.change(owner, p1.pk, {"read": True})
    state.change(owner, p2.pk, {"progress": 0.3, "position": 10})
    state.change(owner, p3.pk, {"favourite": True})
    state.change(owner, p4.pk, {"archived": True, "favourite": True, "progress": 0.5})
    state.change(other, p5.pk, {"read": True, "archived": True})  # not owner's

    def shelf(name):
        from archive.models import Post

        return [p.pk for p in state.posts_in(Post.objects.all(), owner, name)]

    assert shelf("") == [p5.pk, p3.pk, p2.pk, p1.pk]
    assert shelf(Shelf.UNREAD) == [p5.pk, p3.pk, p2.pk]
    assert shelf(Shelf.READ) == [p1.pk]
    assert shelf(Shelf.IN_PROGRESS) == [p2.pk]
    assert shelf(Shelf.FAVOURITE) == [p3.pk]
    assert shelf(Shelf.ARCHIVED) == [p4.pk]


@pytest.mark.django_db
def test_the_shelf_holds_posts_in_progress_last_read_first(owner, posts):
    p1, p2, p3, *_ = posts
    state.change(owner, p1.pk, {"progress": 0.2})
    state.change(owner, p2.pk, {"progress": 0.4})
    state.change(owner, p3.pk, {"progress": 0.9, "read": True})
    state.change(owner, p1.pk, {"progress": 0.3})
    assert [s.post_id for s in ReadingState.objects.of(owner).on_shelf()] == [p1.pk, p2.pk]


# --- positions follow the text through a re-import ------------------------------------------------


@pytest.mark.django_db
def test_a_reading_position_follows_its_paragraph_through_a_reimport(owner, post, archive_dir):
    position = post.text.index("第30段")
    state.change(owner, post.pk, {"position": position, "progress": 0.5})
    inserted = "<div><p>" + "在最前面加了很长的一段新的文字。" * 10 + "</p>"
    archive_dir.write(body=LONG_BODY.replace("<div>", inserted, 1), url=post.url)
    assert import_paths([archive_dir]).updated == 1
    post.refresh_from_db()
    moved = ReadingState.objects.get().position
    assert moved > position
    assert post.text[moved:].startswith("第30段")


@pytest.mark.django_db
def test_a_position_whose_text_is_gone_keeps_its_share_of_the_text(owner, post, archive_dir):
    state.change(owner, post.pk, {"position": len(post.text) // 2})
    archive_dir.write(body="<p>" + "全新的内容。" * 100 + "</p>", url=post.url)
    import_paths([archive_dir])
    post.refresh_from_db()
    moved = ReadingState.objects.get().position
    assert abs(moved - len(post.text) // 2) <= 2
