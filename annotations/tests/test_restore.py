"""annotations.restore: notes back in from W3C JSON-LD, each placed in today's text."""

import json

import pytest
from django.core.management import CommandError, call_command

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


def _exported(owner, post) -> dict:
    services.create(owner, changes(post, "增长放缓", kind="note", body="n"))
    data = export.jsonld_collection(export.notes_for_export(owner), base_url=BASE)
    Annotation.objects.all().delete()
    return data


@pytest.mark.parametrize(
    ("spoil", "field"),
    [
        (lambda item: item["target"].update(selector=[1, "two", None]), "target.selector"),
        (lambda item: item["target"]["selector"][1].update(start=-5), "target.selector.start"),
        (lambda item: item["target"]["selector"][1].update(start=9, end=2), "target.selector.end"),
        (lambda item: item["target"]["selector"][1].update(end=2**70), "target.selector.end"),
        (lambda item: item["target"]["selector"][0].update(type=[1]), "target.selector"),
        (lambda item: item.update(motivation={"a": 1}), "motivation"),
        (lambda item: item["pizhu"].update(deep=json.loads("[" * 40 + "]" * 40)), "pizhu.deep"),
    ],
    ids=["non-object selectors", "negative position", "reversed position", "2^70 position",
         "list as selector type", "object as motivation", "deep JSON"],
)  # fmt: skip
def test_a_spoilt_item_is_reported_invalid_and_the_rest_restored(owner, post, spoil, field):
    data = _exported(owner, post)
    good = data["first"]["items"][0]
    bad = json.loads(json.dumps(good))
    bad["pizhu"].pop("kind")
    spoil(bad)
    data["first"]["items"] = [bad, good]

    report = restore_jsonld(owner, data)

    assert report.restored == 1
    assert report.invalid[0]["item"] == 0
    assert any(e["field"].startswith(field) for e in report.invalid[0]["errors"]), report.invalid
    assert Annotation.objects.count() == 1


def test_an_item_without_positions_whose_text_is_gone_is_kept_as_an_orphan(owner, post):
    data = _exported(owner, post)
    item = data["first"]["items"][0]
    item["target"]["selector"][0].update(exact="别处的话", prefix="", suffix="")
    del item["target"]["selector"][1]["start"], item["target"]["selector"][1]["end"]

    report = restore_jsonld(owner, data)

    assert [o["exact"] for o in report.orphaned] == ["别处的话"]
    orphan = Annotation.objects.get()
    assert (orphan.state, orphan.start, orphan.end) == (State.ORPHANED, 0, 4)


def test_a_file_with_more_items_than_the_limit_is_refused_whole(owner, settings):
    settings.PIZHU_MAX_RESTORE_ITEMS = 3
    with pytest.raises(ValueError, match="more than 3 annotations"):
        restore_jsonld(owner, [{"type": "Annotation"}] * 4)
    assert not Annotation.objects.exists()


def test_import_notes_names_the_file_of_deeply_nested_json(owner, tmp_path):
    path = tmp_path / "deep.jsonld"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CommandError, match=r"deep\.jsonld: .*nests more than"):
        call_command("import_notes", str(path), user=owner.username)
