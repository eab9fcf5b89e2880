"""annotations.hypothesis: the Hypothesis client's export file, parsed (no database) and
imported (annotations.restore), its passages anchored in the post's text."""

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from annotations import hypothesis
from annotations.incoming import Limits, Refused
from annotations.models import Annotation, Kind, State
from annotations.restore import HYPOTHESIS, import_file

EXPORT = Path(__file__).parent / "data" / "hypothesis-export.json"
UNSTORABLE = "holds a NUL or an unpaired surrogate character"
LIMITS = Limits(items=100, quote_chars=10_000, note_chars=20_000, tags=20, tag_chars=50)


def export() -> dict:
    return json.loads(EXPORT.read_text("utf-8"))


def by_id(items) -> dict:
    return {item.where["id"]: item for item in items}


# --- the parser, without the database ---------------------------------------------------------


def test_the_export_is_told_from_other_json():
    assert hypothesis.looks_like(export())
    assert hypothesis.looks_like({"export_date": "2024-05-01", "annotations": []})
    assert not hypothesis.looks_like({"type": "AnnotationCollection", "first": {"items": []}})
    assert not hypothesis.looks_like({"annotations": [{"type": "Annotation"}]})
    assert not hypothesis.looks_like([{"uri": "https://example.org/"}])


def test_a_highlight_keeps_its_quote_context_tags_and_times():
    item = by_id(hypothesis.parse(export(), LIMITS))["hl-growth"]
    changes = item.changes
    assert changes.kind == Kind.HIGHLIGHT and changes.body == ""
    assert changes.target.exact == "增长放缓"
    assert changes.target.prefix == "第二段讲中国的经济，中国的经济"
    assert changes.target.suffix == "了很多，专家说这是结构性的问题。"
    assert (changes.target.start, changes.target.end) == (1840, 1844)
    assert changes.target.source.startswith("http://www.example.org/economy/?utm_source=")
    assert changes.tags == ("经济", "增长")  # whitespace trimmed
    assert changes.created == datetime(2024, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    assert item.title == "测试文章"


def test_text_makes_a_note_kept_as_markdown_with_its_update_time():
    changes = by_id(hypothesis.parse(export(), LIMITS))["note-structure"].changes
    assert changes.kind == Kind.NOTE
    assert changes.body.startswith("**结构性**问题")
    assert changes.modified == datetime(2024, 3, 6, 9, 30, tzinfo=UTC)


def test_an_annotation_without_a_selector_is_a_page_note():
    changes = by_id(hypothesis.parse(export(), LIMITS))["page-note"].changes
    assert changes.target.is_page and changes.kind == Kind.NOTE
    assert changes.body == "整篇都在讲经济放缓。"


def test_a_page_note_without_text_is_invalid_with_the_reason():
    item = by_id(hypothesis.parse(export(), LIMITS))["empty-page-note"]
    assert item.changes is None
    assert [(e["field"], e["message"]) for e in item.errors] == [
        ("text", "a page note needs text (it has no selector)")
    ]


def test_replies_and_other_users_annotations_are_skipped_with_the_reason():
    items = by_id(hypothesis.parse(export(), LIMITS))
    assert items["reply-1"].skipped == "a reply: Pizhu has no replies yet"
    assert items["someone-else"].skipped == "another user's annotation (acct:someone@hypothes.is)"
    assert items["reply-1"].changes is None and items["someone-else"].changes is None


def test_without_export_userid_every_user_is_the_importer():
    data = export()
    del data["export_userid"]
    assert by_id(hypothesis.parse(data, LIMITS))["someone-else"].changes is not None


@pytest.mark.parametrize(
    ("spoil", "field", "message"),
    [
        (lambda a: a.update(uri=None, target=[{}]), "uri", "must be the article's URL"),
        (lambda a: a.update(text=42), "text", "must be a string"),
        (lambda a: a.update(text="a\x00b"), "text", UNSTORABLE),
        (lambda a: a.update(text="\ud800"), "text", UNSTORABLE),
        (lambda a: a.update(tags="经济"), "tags", "must be a list of strings"),
        (lambda a: a.update(tags=["x" * 51]), "tags", "tags are limited to 50 characters"),
        (lambda a: a.update(tags=[f"t{n}" for n in range(21)]), "tags", "at most 20 tags"),
        (lambda a: a.update(target="page"), "target", "must be a list of targets"),
        (lambda a: a["target"][0].update(selector=[{"type": "PageSelector", "index": 3}]),
         "target.selector", "has no TextQuoteSelector to find the passage by (PageSelector)"),
        (lambda a: a["target"][0]["selector"][2].update(exact=""), "target.selector.exact",
         "must be the selected text"),
        (lambda a: a["target"][0]["selector"][2].update(exact="长" * 10_001),
         "target.selector.exact", "quotes are limited to 10000 characters"),
        (lambda a: a["target"][0]["selector"][2].update(prefix="\x00"), "target.selector.prefix",
         UNSTORABLE),
    ],
    ids=["no uri", "number as text", "NUL", "lone surrogate", "tags as a string", "long tag",
         "too many tags", "target as a string", "PDF page only", "empty quote", "long quote",
         "NUL in context"],
)  # fmt: skip
def test_a_spoilt_annotation_is_invalid_naming_its_field_and_the_rest_parse(spoil, field, message):
    data = export()
    spoil(data["annotations"][0])
    items = hypothesis.parse(data, LIMITS)
    assert items[0].changes is None
    assert (field, message) in [(e["field"], e["message"]) for e in items[0].errors]
    assert items[1].changes is not None


def test_an_item_that_is_not_an_object_is_invalid():
    items = hypothesis.parse({"annotations": ["text", None, 3]}, LIMITS)
    assert [item.where["item"] for item in items if item.errors] == [0, 1, 2]


def test_positions_that_are_not_a_range_are_dropped_and_the_quote_kept():
    data = export()
    data["annotations"][0]["target"][0]["selector"][1].update(start=9, end=2)
    target = hypothesis.parse(data, LIMITS)[0].changes.target
    assert (target.start, target.end, target.exact) == (None, None, "增长放缓")


def test_more_annotations_than_the_limit_refuse_the_file():
    data = export()
    with pytest.raises(Refused, match=r"holds 9 annotations, more than 8"):
        hypothesis.parse(data, replace(LIMITS, items=8))


# --- imported ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_export_imports_with_its_passages_anchored_in_the_post(owner, post):
    report = import_file(owner, EXPORT.read_bytes())

    assert report.format == HYPOTHESIS
    # The positions counted over the original page are hints: found elsewhere, re-anchored.
    assert (report.restored, report.reanchored) == (1, 3)  # 1: the page note
    passages = Annotation.objects.filter(post=post, state=State.ANCHORED).exclude(exact="")
    assert {a.exact for a in passages} == {"增长放缓", "结构性的问题", "quotes a minister"}
    for annotation in passages:
        assert post.text[annotation.start : annotation.end] == annotation.exact
    note = passages.get(exact="结构性的问题")
    assert note.kind == Kind.NOTE and "<strong>结构性</strong>" in note.body_html
    assert sorted(t.name for t in passages.get(exact="增长放缓").tags.all()) == ["增长", "经济"]
    assert passages.get(exact="增长放缓").created_at == datetime(
        2024, 3, 4, 5, 6, 7, 123456, tzinfo=UTC
    )
    assert not any(
        a.visibility != "private" for a in Annotation.objects.all()
    )  # private, whatever Hypothesis said


@pytest.mark.django_db
def test_a_page_note_becomes_a_page_note_of_the_post(owner, post):
    import_file(owner, EXPORT.read_bytes())
    note = Annotation.objects.get(post=post, exact="", anchored_by="page")
    assert note.is_page_note and note.body == "整篇都在讲经济放缓。"


@pytest.mark.django_db
def test_the_report_names_missing_posts_with_their_title_orphans_invalid_and_skipped(owner, post):
    report = import_file(owner, EXPORT.read_bytes())
    [missing] = report.missing_posts
    assert (missing["item"], missing["title"], missing["exact"]) == (
        4,
        "不在文库里的文章",
        "别处的话",
    )
    assert missing["reason"] == "no post with this URL in the archive"
    assert [o["exact"] for o in report.orphaned] == ["原文里曾经有过的这一句话"]
    assert Annotation.objects.get(exact="原文里曾经有过的这一句话").state == State.ORPHANED
    assert [i["item"] for i in report.invalid] == [5]
    assert [(s["item"], s["reason"]) for s in report.skipped] == [
        (3, "a reply: Pizhu has no replies yet"),
        (6, "another user's annotation (acct:someone@hypothes.is)"),
    ]


@pytest.mark.django_db
def test_importing_the_export_twice_adds_nothing(owner, post):
    import_file(owner, EXPORT.read_bytes())
    count = Annotation.objects.count()
    again = import_file(owner, EXPORT.read_bytes())
    assert (again.restored, again.reanchored, again.orphaned, again.duplicates) == (0, 0, [], 5)
    assert Annotation.objects.count() == count == 5


@pytest.mark.django_db
def test_a_quote_whose_recorded_context_differs_from_pizhus_text_is_found_where_it_stands_once(
    owner, post
):
    # Hypothesis read "。The third" on the original page; Pizhu's text breaks the paragraph.
    data = export()
    data["annotations"] = [data["annotations"][1]]
    import_file(owner, json.dumps(data).encode())
    note = Annotation.objects.get()
    assert note.state == State.ANCHORED and post.text[note.start : note.end] == "结构性的问题"


@pytest.mark.django_db
def test_a_quote_in_several_places_is_not_guessed_without_its_context(owner, post):
    data = export()
    annotation = data["annotations"][0]
    annotation["target"][0]["selector"][2].update(exact="中国的经济", prefix="别的", suffix="地方")
    data["annotations"] = [annotation]
    report = import_file(owner, json.dumps(data).encode())
    assert [o["exact"] for o in report.orphaned] == ["中国的经济"]


@pytest.mark.django_db
def test_every_way_of_writing_the_posts_url_finds_it(owner, post):
    data = export()
    template = data["annotations"][0]
    variants = [
        "http://example.org/economy",
        "https://www.example.org/economy/",
        "https://example.org/economy?utm_campaign=x&utm_content=y",
        "https://example.org/economy#comments",
        "https://example.org/economy?source=rss----1234abcd---4",
        "HTTPS://Example.ORG:443/economy",
    ]
    data["annotations"] = []
    for number, url in enumerate(variants):
        item = copy.deepcopy(template)
        item.update(uri=url, text=f"note {number}")  # each its own note: none a duplicate
        data["annotations"].append(item)
    report = import_file(owner, json.dumps(data).encode())
    assert report.missing_posts == []
    assert Annotation.objects.filter(post=post).count() == len(variants)


@pytest.mark.django_db
def test_the_import_leaves_other_users_notes_alone(owner, other, post, make_annotation):
    theirs = make_annotation(other, "增长放缓", kind="note", body="别人的")
    import_file(owner, EXPORT.read_bytes())
    assert Annotation.objects.filter(user=other).get() == theirs
    assert not Annotation.objects.filter(user=owner, body="别人的").exists()
    assert import_file(other, EXPORT.read_bytes()).duplicates == 0  # owner's are not theirs


@pytest.mark.django_db
def test_a_quote_found_with_a_typo_is_recognised_when_imported_again(owner, post):
    data = export()
    annotation = data["annotations"][1]
    annotation["target"][0]["selector"][2].update(
        exact="专家说这是结构性问题",  # the file lost a character: found by approximate match
        prefix="第二段讲中国的经济，中国的经济增长放缓了很多，",
        suffix="。\nThe third paragraph is in English",
    )
    data["annotations"] = [annotation]
    raw = json.dumps(data).encode()
    import_file(owner, raw)
    note = Annotation.objects.get()
    assert (note.state, note.exact) == (State.ANCHORED, "专家说这是结构性的问题")
    assert import_file(owner, raw).duplicates == 1
    assert Annotation.objects.count() == 1
