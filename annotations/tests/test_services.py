"""annotations.services: writes with versions, soft delete, re-anchoring on re-import."""

import pytest

from annotations import anchoring, services
from annotations.models import Annotation, State
from annotations.tests.conftest import BODY, changes
from annotations.values import Changes, Invalid
from archive.importer import import_paths
from archive.models import Post
from archive.writer import reclean
from conftest import FIXTURE_POSTS

pytestmark = pytest.mark.django_db


def test_create_validates_the_quote_against_the_posts_text(owner, post):
    values = changes(post, "增长放缓", exact="增长加快")
    with pytest.raises(Invalid) as error:
        services.create(owner, values)
    assert error.value.errors == [
        {
            "field": "target.selector.exact",
            "message": "is not the text between start and end",
            "detail": "选中的文字与文章不符，请刷新页面再选。The selected text does not match the "
            "article's text there: reload the page and select it again.",
        }
    ]
    assert Annotation.objects.count() == 0


def test_create_stores_the_servers_selectors_and_renders_the_note(owner, post):
    values = changes(post, "中国的经济", kind="note", body="**要点** <script>x</script>")
    annotation = services.create(owner, values)
    assert annotation.exact == "中国的经济"
    assert post.text[annotation.start : annotation.end] == "中国的经济"
    assert annotation.prefix.endswith("第二段讲")
    assert annotation.body_html == "<p><strong>要点</strong> &lt;script&gt;x&lt;/script&gt;</p>"
    assert annotation.state == State.ANCHORED


def test_a_post_can_be_found_by_its_reader_url(owner, post):
    values = changes(post, "增长放缓", source=f"http://testserver/posts/{post.pk}/")
    assert services.create(owner, values, host="testserver").post == post
    elsewhere = changes(post, "增长放缓", source="https://elsewhere.example/posts/1/")
    with pytest.raises(Invalid, match="no such post"):
        services.create(owner, elsewhere, host="testserver")


def test_a_stale_version_is_a_conflict_and_writes_nothing(owner, make_annotation):
    annotation = make_annotation(owner)
    services.update(annotation, Changes(body="first tab"), expected_version=1)
    stale = Annotation.objects.get(pk=annotation.pk)
    stale.version = 1  # what the second tab saw
    with pytest.raises(services.Conflict):
        services.update(stale, Changes(body="second tab"), expected_version=1)
    assert Annotation.objects.get(pk=annotation.pk).body == "first tab"


def test_delete_is_soft_and_undelete_undoes_it(owner, make_annotation):
    annotation = make_annotation(owner)
    services.delete(annotation)
    assert not Annotation.objects.alive().filter(pk=annotation.pk).exists()
    services.undelete(Annotation.objects.get(pk=annotation.pk))
    assert Annotation.objects.alive().filter(pk=annotation.pk).exists()


def test_an_annotation_cannot_move_to_another_post(owner, make_annotation, archive_dir):
    annotation = make_annotation(owner)
    archive_dir.write("2024-01-03-other.md", body=BODY, url="https://example.org/other")
    import_paths([archive_dir])
    with pytest.raises(Invalid, match="another post"):
        services.update(
            annotation,
            changes(annotation.post, "增长放缓", source="https://example.org/other"),
        )


# --- re-import -------------------------------------------------------------------------------


def test_reimporting_a_changed_post_moves_annotations_with_their_text(
    owner, make_annotation, archive_dir, post
):
    moved = make_annotation(owner, "增长放缓", kind="note", body="会移动")
    doomed = make_annotation(owner, "The third paragraph is in English")
    changed = BODY.replace("<div>", "<div><p>新加的第一段，在最前面。</p>").replace(
        "<p>The third paragraph is in English and quotes a minister.</p>", ""
    )
    archive_dir.write(body=changed, url="https://example.org/economy")
    report = import_paths([archive_dir])
    assert report.updated == 1

    post.refresh_from_db()
    moved.refresh_from_db()
    doomed.refresh_from_db()
    assert post.text[moved.start : moved.end] == "增长放缓"
    assert (moved.state, moved.anchored_by, moved.body) == (State.ANCHORED, "diff", "会移动")
    assert moved.version == 2  # its position changed: a tab holding the old one must reload
    assert doomed.state == State.ORPHANED
    assert doomed.exact == "The third paragraph is in English"  # kept, to be re-attached
    assert Annotation.objects.count() == 2  # nothing lost


def test_an_orphan_whose_text_comes_back_is_anchored_again(owner, make_annotation, archive_dir):
    annotation = make_annotation(owner, "The third paragraph is in English")
    archive_dir.write(
        body=BODY.replace("The third", "A rewritten"), url="https://example.org/economy"
    )
    import_paths([archive_dir])
    annotation.refresh_from_db()
    assert annotation.state == State.ORPHANED
    archive_dir.write(body=BODY, url="https://example.org/economy")
    import_paths([archive_dir])
    annotation.refresh_from_db()
    assert annotation.state == State.ANCHORED


def test_recleaning_reanchors_too(owner, make_annotation, post):
    annotation = make_annotation(owner, "增长放缓")
    type(post).objects.filter(pk=post.pk).update(
        text="前言。" + post.text, cleaner_version=0
    )  # as if an older cleaner had made a different text
    reclean()
    annotation.refresh_from_db()
    post.refresh_from_db()
    assert post.text[annotation.start : annotation.end] == "增长放缓"
    assert annotation.state == State.ANCHORED


def test_a_reanchoring_failure_is_named_and_rolls_back_only_its_file(
    owner, make_annotation, archive_dir, post, monkeypatch
):
    """The import blames re-anchoring, not the database, and keeps the post's old text."""
    make_annotation(owner, "增长放缓")

    def fail(*args, **kwargs):
        raise RuntimeError("anchoring broke")

    monkeypatch.setattr(anchoring, "anchor_all", fail)
    archive_dir.write(body=BODY.replace("<div>", "<div><p>新段落。</p>"), url=post.url)
    report = import_paths([archive_dir])
    assert [f["error"] for f in report.failed] == [
        "re-anchoring annotations failed: RuntimeError: anchoring broke"
    ]
    assert Post.objects.get(pk=post.pk).text == post.text
    assert report.updated == 0


# --- place and restore -----------------------------------------------------------------------


def test_place_moves_an_annotation_to_where_it_was_found(owner, make_annotation, post):
    annotation = make_annotation(owner, "增长放缓")
    text = "前言。" + post.text
    found = anchoring.Anchor(annotation.start + 3, annotation.end + 3, "quote")
    assert services.place(annotation, text, found)
    assert (annotation.start, annotation.anchored_by) == (found.start, "quote")
    assert annotation.prefix.endswith("的经济") and annotation.state == State.ANCHORED
    assert not services.place(annotation, text, found)  # already there: nothing to save


def test_place_orphans_what_was_not_found_and_keeps_its_quote(owner, make_annotation):
    annotation = make_annotation(owner, "增长放缓")
    assert services.place(annotation, "别的文字", None)
    assert (annotation.state, annotation.exact) == (State.ORPHANED, "增长放缓")
    assert not services.place(annotation, "别的文字", None)


def test_place_refreshes_the_search_text_when_the_quote_changes(owner, make_annotation, post):
    annotation = make_annotation(owner, "增长放缓", tags=["经济"])
    text = post.text.replace("增长放缓", "增長放緩")
    start = text.index("增長放緩")
    services.place(annotation, text, anchoring.Anchor(start, start + 4, "normalised"))
    assert annotation.exact == "增長放緩" and "增长放缓" in annotation.search_text
    assert "经济" in annotation.search_text


def test_restore_places_each_annotation_in_the_current_text(owner, post):
    shifted = "前言。" + post.text
    Post.objects.filter(pk=post.pk).update(text=shifted)
    exported = changes(post, "增长放缓", kind="note", body="笔记", tags=["t"])
    outcome, annotation = services.restore(owner, exported)
    assert outcome == services.REANCHORED
    assert shifted[annotation.start : annotation.end] == "增长放缓"
    assert [t.name for t in annotation.tags.all()] == ["t"] and annotation.body_html
    assert services.restore(owner, exported) == (services.DUPLICATE, None)

    gone = changes(post, "专家说", exact="不存在的文字")
    outcome, orphan = services.restore(owner, gone)
    assert (outcome, orphan.state, orphan.exact) == (services.ORPHANED, "orphaned", "不存在的文字")

    elsewhere = changes(post, "专家说", source="https://example.org/not-here")
    assert services.restore(owner, elsewhere) == (services.POST_MISSING, None)


def test_recleaning_a_conversation_keeps_its_annotations_where_they_were(
    owner, archive_dir, monkeypatch
):
    """Cleaner 3 keeps a conversation's contributions that cleaner 2 dropped: reclean_posts
    rewrites the text and the annotations follow it."""
    from archive import tidy

    with monkeypatch.context() as old_cleaner:
        old_cleaner.setattr(tidy, "_keep_author_contributions", lambda root: None)
        import_paths([FIXTURE_POSTS / "2024-10-01-What now for the trade talks.md"])
    post = Post.objects.get()
    assert "Bo Bai" not in post.text
    intro = services.create(owner, changes(post, "neither will move first"))
    Post.objects.filter(pk=post.pk).update(cleaner_version=2)

    report = reclean()

    post.refresh_from_db()
    intro.refresh_from_db()
    assert report.recleaned == 1 and "the first step is domestic" in post.text
    assert post.text[intro.start : intro.end] == "neither will move first"
    assert (intro.state, intro.version) == (State.ANCHORED, 1)  # where it was: untouched
    later = services.create(owner, changes(post, "the first step is domestic"))
    assert later.state == State.ANCHORED
