"""annotations.services: writes with versions, soft delete, re-anchoring on re-import."""

import pytest

from annotations import services
from annotations.models import Annotation, State
from annotations.tests.conftest import BODY, selection
from archive.importer import import_paths
from archive.writer import reclean

pytestmark = pytest.mark.django_db


def test_create_validates_the_quote_against_the_posts_text(owner, post):
    values = {**selection(post, "增长放缓"), "exact": "增长加快"}
    with pytest.raises(services.Invalid) as error:
        services.create(owner, values)
    assert error.value.errors == [
        {"field": "target.selector.exact", "message": "is not the text between start and end"}
    ]
    assert Annotation.objects.count() == 0


def test_create_stores_the_servers_selectors_and_renders_the_note(owner, post):
    values = {
        **selection(post, "中国的经济"),
        "kind": "note",
        "body": "**要点** <script>x</script>",
    }
    annotation = services.create(owner, values)
    assert annotation.exact == "中国的经济"
    assert post.text[annotation.start : annotation.end] == "中国的经济"
    assert annotation.prefix.endswith("第二段讲")
    assert annotation.body_html == "<p><strong>要点</strong> &lt;script&gt;x&lt;/script&gt;</p>"
    assert annotation.state == State.ANCHORED


def test_a_post_can_be_found_by_its_reader_url(owner, post):
    values = {**selection(post, "增长放缓"), "post": f"http://testserver/posts/{post.pk}/"}
    assert services.create(owner, values, host="testserver").post == post
    with pytest.raises(services.Invalid, match="no such post"):
        services.create(owner, {**values, "post": "https://elsewhere.example/posts/1/"})


def test_a_stale_version_is_a_conflict_and_writes_nothing(owner, make_annotation):
    annotation = make_annotation(owner)
    services.update(annotation, {"body": "first tab"}, expected_version=1)
    stale = Annotation.objects.get(pk=annotation.pk)
    stale.version = 1  # what the second tab saw
    with pytest.raises(services.Conflict):
        services.update(stale, {"body": "second tab"}, expected_version=1)
    assert Annotation.objects.get(pk=annotation.pk).body == "first tab"


def test_delete_is_soft_and_restore_undoes_it(owner, make_annotation):
    annotation = make_annotation(owner)
    services.delete(annotation)
    assert not Annotation.objects.alive().filter(pk=annotation.pk).exists()
    services.restore(Annotation.objects.get(pk=annotation.pk))
    assert Annotation.objects.alive().filter(pk=annotation.pk).exists()


def test_an_annotation_cannot_move_to_another_post(owner, make_annotation, archive_dir):
    annotation = make_annotation(owner)
    archive_dir.write("2024-01-03-other.md", body=BODY, url="https://example.org/other")
    import_paths([archive_dir])
    with pytest.raises(services.Invalid, match="another post"):
        services.update(
            annotation,
            {**selection(annotation.post, "增长放缓"), "post": "https://example.org/other"},
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
