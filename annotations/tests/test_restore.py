"""annotations.restore: notes back in from W3C JSON-LD, each placed in today's text."""

import io
import json
import os
import re
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.test import Client
from playwright.sync_api import expect

from annotations import export, restore, services
from annotations.incoming import Refused
from annotations.models import Annotation, State
from annotations.restore import restore_jsonld
from annotations.tests.conftest import changes
from archive.models import Post
from conftest import save_screenshot, sign_in
from library import state
from library.models import ReadingState

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


# --- page notes and my own tags of posts ---------------------------------------------------------


def page_note_item(post, body="整篇的要点", **pizhu) -> dict:
    return {
        "type": "Annotation",
        "motivation": "commenting",
        "target": {"source": post.url},
        "body": [{"type": "TextualBody", "value": body, "purpose": "commenting"}],
        "pizhu": {"kind": "note", **pizhu},
    }


def tags_item(source, *tags) -> dict:
    return {
        "type": "Annotation",
        "motivation": "tagging",
        "target": {"source": source},
        "body": [{"type": "TextualBody", "purpose": "tagging", "value": tag} for tag in tags],
        "pizhu": {"ownTags": True},
    }


def test_a_page_note_is_restored_as_it_is_and_counted_once(owner, post):
    report = restore_jsonld(owner, [page_note_item(post)])
    assert (report.restored, report.reanchored, report.orphaned) == (1, 0, [])
    note = Annotation.objects.get()
    assert note.is_page_note and note.body == "整篇的要点" and note.state == State.ANCHORED
    again = restore_jsonld(owner, [page_note_item(post)])
    assert (again.restored, again.duplicates) == (0, 1)
    assert Annotation.objects.count() == 1


def test_a_page_note_of_a_missing_post_is_reported_with_its_note(owner, post):
    item = page_note_item(post)
    item["target"]["source"] = "https://example.org/not-here"
    report = restore_jsonld(owner, [item])
    assert report.missing_posts == [
        {"item": 0, "id": None, "source": "https://example.org/not-here", "exact": "",
         "page_note": "整篇的要点"}
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("spoil", "field"),
    [
        (lambda item: item["body"][0].update(value="  "), "body.value"),
        (lambda item: item["pizhu"].update(kind="highlight"), "pizhu.kind"),
    ],
    ids=["empty note", "a highlight of nothing"],
)
def test_a_page_note_that_cannot_be_is_reported_invalid_and_the_rest_restored(
    owner, post, spoil, field
):
    bad = page_note_item(post)
    spoil(bad)
    report = restore_jsonld(owner, [bad, page_note_item(post, "好的")])
    assert [e["field"] for e in report.invalid[0]["errors"]] == [field]
    assert report.restored == 1
    assert list(Annotation.objects.values_list("body", flat=True)) == ["好的"]


def my_tags(user, post) -> list[str]:
    return state.get(user, post.pk).tag_names


def test_own_tags_are_added_to_those_the_post_has_and_twice_adds_nothing(owner, post):
    state.change(owner, post.pk, {"tags": ["已有", "经济"]})
    report = restore_jsonld(owner, [tags_item(post.url, "经济", "待读", "ECONOMY")])
    assert (report.own_tags, report.duplicates, report.invalid) == (1, 0, [])
    assert my_tags(owner, post) == ["ECONOMY", "已有", "待读", "经济"]
    again = restore_jsonld(owner, [tags_item(post.url, "待读", "economy")])  # any case
    assert (again.own_tags, again.duplicates) == (0, 1)
    assert my_tags(owner, post) == ["ECONOMY", "已有", "待读", "经济"]
    assert "own tags of 0 posts, already there 1" in again.summary()


def test_own_tags_go_to_the_importing_user_only(owner, other, post):
    state.change(other, post.pk, {"tags": ["别人的"]})
    restore_jsonld(owner, [tags_item(post.url, "待读")])
    assert my_tags(owner, post) == ["待读"]
    assert my_tags(other, post) == ["别人的"]


def test_own_tags_of_a_missing_post_are_reported_as_missing(owner, post):
    report = restore_jsonld(owner, [tags_item("https://example.org/not-here", "待读")])
    assert report.missing_posts == [
        {"item": 0, "id": None, "source": "https://example.org/not-here", "exact": "",
         "own_tags": ["待读"]}
    ]  # fmt: skip
    assert not ReadingState.objects.exists()


def test_own_tags_that_would_be_too_many_are_refused_and_the_post_keeps_its_own(
    owner, post, settings
):
    settings.PIZHU_MAX_TAGS = 3
    state.change(owner, post.pk, {"tags": ["a", "b"]})
    report = restore_jsonld(owner, [tags_item(post.url, "c", "d"), tags_item(post.url, "c")])
    assert report.invalid[0]["item"] == 0
    assert report.invalid[0]["errors"][0]["field"] == "body.tagging"
    assert report.own_tags == 1  # the second item, on its own, fits
    assert my_tags(owner, post) == ["a", "b", "c"]


def test_a_tagging_annotation_of_a_passage_is_refused_as_an_annotation(owner, post):
    item = tags_item(post.url, "待读")
    item["target"]["selector"] = [{"type": "TextQuoteSelector", "exact": "增长放缓"}]
    report = restore_jsonld(owner, [item])
    assert report.invalid[0]["item"] == 0
    assert not ReadingState.objects.exists() and not Annotation.objects.exists()


def test_the_command_reports_own_tags_and_page_notes(owner, post, tmp_path):
    path = tmp_path / "notes.jsonld"
    path.write_text(json.dumps([tags_item(post.url, "待读"), page_note_item(post)]))
    out = io.StringIO()
    call_command("import_notes", str(path), user="owner", stdout=out)
    assert out.getvalue().startswith("restored 1, re-anchored 0, orphaned 0, own tags of 1 posts")


def test_the_command_names_what_each_missing_post_held(owner, post, tmp_path):
    gone = "https://example.org/gone"
    note = page_note_item(post)
    note["target"] = {"source": gone}
    note.get("pizhu", {}).pop("post", None)
    path = tmp_path / "notes.jsonld"
    path.write_text(json.dumps([tags_item(gone, "待读"), note]))
    err = io.StringIO()
    call_command("import_notes", str(path), user="owner", stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    # Counted as a person counts: the first item is item 1.
    assert f"  item 1: post not in the archive: {gone} (own tags: 待读)" in lines
    page_note_line = f"  item 2: post not in the archive: {gone} (page note: '"
    assert any(line.startswith(page_note_line) for line in lines)


# --- any format, by its contents (import_file, import_notes, the account page) ---------------

DATA = Path(__file__).parent / "data"
HYPOTHESIS_EXPORT = DATA / "hypothesis-export.json"
READWISE_EXPORT = DATA / "readwise-export.csv"


def jsonld_export(owner, post, tmp_path) -> Path:
    path = tmp_path / "pizhu.jsonld"
    path.write_text(json.dumps(_exported(owner, post)))
    return path


@pytest.mark.parametrize(
    ("source", "format_name"),
    [
        ("hypothesis", restore.HYPOTHESIS),
        ("readwise", restore.READWISE),
        ("jsonld", restore.JSONLD),
    ],
)
def test_the_command_tells_the_format_from_the_contents_not_the_name(
    owner, post, tmp_path, source, format_name
):
    original = {
        "hypothesis": HYPOTHESIS_EXPORT,
        "readwise": READWISE_EXPORT,
        "jsonld": jsonld_export(owner, post, tmp_path),
    }[source]
    path = tmp_path / "notes.txt"
    path.write_bytes(original.read_bytes())
    out = io.StringIO()
    call_command("import_notes", str(path), user="owner", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip().endswith(f"({format_name})")
    assert Annotation.objects.filter(user=owner, post=post).exists()


def test_the_command_names_each_row_and_item_with_its_reason(owner, post, tmp_path):
    err = io.StringIO()
    report_path = tmp_path / "report.json"
    call_command(
        "import_notes", str(READWISE_EXPORT), user="owner", report=str(report_path),
        stdout=io.StringIO(), stderr=err,
    )  # fmt: skip
    lines = err.getvalue().splitlines()
    assert "  row 7: invalid: Highlight: is empty" in lines
    assert (
        "  row 6: post not in the archive: — “一篇不存在的文章” ('某句不在文库里的话'): "
        "no post with this title in the archive"
    ) in lines
    written = json.loads(report_path.read_text())
    assert written["format"] == restore.READWISE and written["restored"] == 5
    err = io.StringIO()
    call_command(
        "import_notes", str(HYPOTHESIS_EXPORT), user="owner", stdout=io.StringIO(), stderr=err
    )
    lines = err.getvalue().splitlines()
    assert "  item 4 (reply-1): skipped: a reply: Pizhu has no replies yet" in lines


def test_a_file_over_the_size_limit_is_refused_from_its_size_without_being_read(
    owner, tmp_path, monkeypatch
):
    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.truncate(100_000_000)  # 100 MB, sparse: nothing is written to disk

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    with pytest.raises(CommandError, match=r"huge\.json: is 100,000,000 bytes, more than the "
                       r"5,000,000 an import reads \(PIZHU_MAX_IMPORT_BYTES\)"):  # fmt: skip
        call_command("import_notes", str(path), user="owner")


def test_a_fifo_is_refused_rather_than_waited_on(owner, tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    with pytest.raises(CommandError, match="pipe: is not a regular file; nothing was imported"):
        call_command("import_notes", str(path), user="owner")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b'{"annotations": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", "nests more than"),
        (b"{not json", "the body is not JSON"),
        (b'{"type": "Person"}', "neither a Hypothesis export nor Pizhu's JSON-LD"),
        (b"Title,Author,URL\nA,B,https://example.org/\n", "nor a Readwise CSV"),
        ("增长放缓,测试文章\n".encode("gbk"), "is not UTF-8"),
    ],
    ids=["empty", "blank", "deep JSON", "broken JSON", "other JSON", "other CSV", "GBK"],
)
def test_a_file_of_no_known_format_is_refused_whole_naming_why(owner, post, raw, message):
    with pytest.raises(Refused, match=message):
        restore.import_file(owner, raw)
    assert not Annotation.objects.exists()


@pytest.mark.parametrize("source", [HYPOTHESIS_EXPORT, READWISE_EXPORT])
def test_a_file_with_more_items_than_the_limit_writes_nothing(owner, post, settings, source):
    settings.PIZHU_MAX_RESTORE_ITEMS = 3
    with pytest.raises(Refused, match=r"more than 3 .*PIZHU_MAX_RESTORE_ITEMS"):
        restore.import_file(owner, source.read_bytes())
    assert not Annotation.objects.exists()


def test_when_the_database_fails_part_way_what_came_before_stays_and_a_rerun_completes(
    owner, post, monkeypatch
):
    real_restore, calls = services.restore, []

    def failing_second(user, changes, **options):
        calls.append(changes)
        if len(calls) == 2:
            raise DatabaseError("disk I/O error")
        return real_restore(user, changes, **options)

    monkeypatch.setattr(services, "restore", failing_second)
    with pytest.raises(restore.Stopped, match=r"row 3: the database failed \(disk I/O error\)"):
        restore.import_file(owner, READWISE_EXPORT.read_bytes())
    assert list(Annotation.objects.values_list("exact", flat=True)) == ["增长放缓"]
    monkeypatch.setattr(services, "restore", real_restore)
    again = restore.import_file(owner, READWISE_EXPORT.read_bytes())
    assert (again.duplicates, again.restored) == (1, 4)


# --- the account page's upload ---------------------------------------------------------------


def upload(client, path: Path | None = None, raw: bytes | None = None, name="notes.json"):
    content = raw if raw is not None else path.read_bytes()
    return client.post("/accounts/import/", {"file": SimpleUploadedFile(name, content)})


def test_the_owner_uploads_an_export_and_the_account_page_shows_the_report(
    owner_client, owner, post
):
    response = upload(owner_client, HYPOTHESIS_EXPORT)
    assert response.status_code == 302 and response["Location"] == "/accounts/#import-notes"
    assert Annotation.objects.filter(user=owner).count() == 5
    page = owner_client.get("/accounts/").content.decode()
    assert "导入结果 Import report: notes.json · Hypothesis export" in page
    assert "重新定位 Re-anchored: 3" in page and "跳过 Skipped: 2" in page
    assert "a reply: Pizhu has no replies yet" in page
    assert "导入结果" not in owner_client.get("/accounts/").content.decode()  # shown once


def test_the_upload_form_is_on_the_account_page_with_its_limit(owner_client):
    page = owner_client.get("/accounts/").content.decode()
    assert 'action="/accounts/import/" enctype="multipart/form-data"' in page
    assert "最大 at most 5 MB" in page


def test_signed_out_the_upload_goes_to_sign_in_and_imports_nothing(anonymous_client, post):
    response = upload(anonymous_client, READWISE_EXPORT, name="notes.csv")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Annotation.objects.exists()


def test_an_upload_touches_only_the_uploaders_notes(owner_client, other, post, make_annotation):
    theirs = make_annotation(other, "增长放缓", kind="note", body="别人的")
    upload(owner_client, READWISE_EXPORT, name="notes.csv")
    assert list(Annotation.objects.filter(user=other)) == [theirs]
    assert state.get(other, post.pk).tag_names == []


def test_an_upload_without_the_csrf_token_is_refused(owner, post):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = upload(client, READWISE_EXPORT, name="notes.csv")
    assert response.status_code == 403
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(
    ("size", "said"),
    [
        (5_000, "the file is larger than the 1,000 an import reads"),  # stopped while read
        (200_000, "the upload is 200,"),  # refused from its Content-Length, never read
    ],
    ids=["file over the limit", "request over the limit"],
)
def test_an_upload_over_the_limit_is_refused_saying_the_limit(owner_client, settings, size, said):
    settings.PIZHU_MAX_IMPORT_BYTES = 1_000
    response = upload(owner_client, raw=b" " * size)
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    page = owner_client.get("/accounts/").content.decode()
    assert "The file was not imported, nothing was written" in page
    assert said in page and "(PIZHU_MAX_IMPORT_BYTES)" in page


def test_an_upload_in_another_encoding_is_refused_naming_the_problem(owner_client, post):
    upload(owner_client, raw=READWISE_EXPORT.read_text().encode("gbk"), name="gbk.csv")
    page = owner_client.get("/accounts/").content.decode()
    assert re.search(r"gbk\.csv is not UTF-8: byte \d+ \(0x[0-9A-F]{2}\) cannot be read", page)
    assert not Annotation.objects.exists()


def test_uploads_are_rate_limited_per_user(owner_client, other_client, settings, post):
    caches[settings.PIZHU_LIMITS_CACHE].clear()
    settings.PIZHU_RATE_IMPORTS = "2/h"
    for _ in range(2):
        assert upload(owner_client, READWISE_EXPORT, name="n.csv").status_code == 302
    response = upload(owner_client, READWISE_EXPORT, name="n.csv")
    assert response.status_code == 429 and "导入笔记太频繁" in response.content.decode()
    assert upload(other_client, READWISE_EXPORT, name="n.csv").status_code == 302


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 360])
def test_uploading_in_a_browser_shows_the_report_within_the_screen(
    page, live_server, owner, post, tmp_path, width
):
    data = json.loads(HYPOTHESIS_EXPORT.read_text())
    long_url = "https://news.example.com/" + "a-very-long-slug-" * 12
    data["annotations"][4].update(uri=long_url, document={})  # reported by its URL alone
    path = tmp_path / "hypothesis.json"
    path.write_text(json.dumps(data))
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, owner)
    page.goto("/accounts/")
    page.get_by_label("文件 File").set_input_files(str(path))
    page.get_by_role("button", name="导入 Import").click()

    report = page.locator("[data-import-report]")
    expect(report).to_contain_text("重新定位 Re-anchored: 3")
    for summary in report.locator("summary").all():
        summary.click()  # every list open: the long URL too
    expect(report).to_contain_text(long_url)
    save_screenshot(page, f"import-notes-report-{width}")
    wide = page.evaluate(
        """w => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > w)
        .map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)""",
        width,
    )
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert Annotation.objects.filter(user=owner).count() == 5
    assert page.errors == []
