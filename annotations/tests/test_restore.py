"""annotations.restore: notes back in from W3C JSON-LD, each placed in today's text."""

import json

import pytest

from annotations import export, services
from annotations.models import Annotation, State
from annotations.restore import restore_jsonld
from annotations.tests.conftest import changes
from archive.models import Post

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8000"


def test_import_reanchors_against_the_current_text_and_reports_missing_posts(owner, post, tmp_path):
    annotation = services.create(owner, changes(post, "增长放缓", kind="note", body="n"))
    data = export.jsonld_collection(export.notes_for_export(owner), base_url=BASE)
    Annotation.objects.all().delete()
    Post.objects.filter(pk=post.pk).update(text="前言。" + post.text)
    orphan = json.loads(json.dumps(data["first"]["items"][0]))
    orphan["target"]["selector"][0].update(exact="不存在的文字", prefix="", suffix="")
    elsewhere = json.loads(json.dumps(orphan))
    elsewhere["target"]["source"] = "https://example.org/not-here"
    data["first"]["items"] += [orphan, elsewhere, {"type": "Annotation"}]

    report = restore_jsonld(owner, data)

    assert report.reanchored == 1 and report.restored == 0
    assert [o["exact"] for o in report.orphaned] == ["不存在的文字"]
    assert report.missing_posts[0]["source"] == "https://example.org/not-here"
    assert report.invalid[0]["item"] == 3
    moved = Annotation.objects.get(state=State.ANCHORED)
    assert (moved.start, moved.exact) == (annotation.start + 3, "增长放缓")
    assert Annotation.objects.filter(state=State.ORPHANED).count() == 1
    assert restore_jsonld(owner, data).duplicates == 2  # importing twice adds nothing


def test_anything_but_annotations_is_refused_whole(owner):
    with pytest.raises(ValueError, match="not 'Person'"):
        restore_jsonld(owner, {"type": "Person"})
    with pytest.raises(ValueError, match="JSON object or list"):
        restore_jsonld(owner, "annotations")


def test_an_item_that_is_not_an_annotation_is_reported_with_its_fields(owner, post):
    report = restore_jsonld(owner, [{"type": "Annotation", "pizhu": {"colour": "teal"}}])
    assert report.invalid[0]["item"] == 0
    fields = {error["field"] for error in report.invalid[0]["errors"]}
    assert fields == {"target", "pizhu.colour"}
    assert not Annotation.objects.exists()
