"""My own paths are about my notes on articles: a reply of mine (no quote, like a page note)
is never one of them. It lives in its thread: the reader, the group notebook and the group's
export. Here: the notebook's exports in every format, the export command, the Obsidian sync,
the Atom feed, the review's cards, and a restore's check for what is already there."""

import io
import json
import re
import zipfile

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import FeedToken
from annotations import export, obsidian, services
from annotations.models import Visibility
from annotations.tests.conftest import changes
from annotations.values import Changes, Target
from review import daily

pytestmark = pytest.mark.django_db

BASE = "http://pizhu.test"
REPLY = "整篇都值得读，我同意。"  # as a page note could say it


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def whole(post) -> Target:
    return Target(source=post.url, post_id=post.pk, exact="", start=None, end=None)


@pytest.fixture
def made(alice, bob, team, post):
    """alice's group note; bob's page note, passage note and reply to alice's note."""
    group = {"visibility": Visibility.GROUP, "group": team.pk}
    alice_note = services.create(alice, changes(post, "增长放缓", kind="note", body="n", **group))
    return {
        "page": services.create(bob, Changes(target=whole(post), kind="note", body="页面")),
        "passage": services.create(bob, changes(post, "专家说", kind="note", body="passage")),
        "reply": services.create(bob, Changes(parent=alice_note.pk, body=REPLY)),
    }


def test_my_notebooks_exports_hold_my_notes_and_not_my_replies(bob, made):
    client = client_of(bob)
    for fmt in ("md", "jsonld", "csv"):
        content = client.get(f"/notes/export.{fmt}").content.decode()
        assert "passage" in content, fmt  # my notes are there
        assert REPLY not in content, fmt
    data = json.loads(client.get("/notes/export.jsonld").content)
    assert {item["motivation"] for item in data["first"]["items"]} == {"commenting"}
    assert data["total"] == 2


def test_my_notebooks_zip_holds_no_reply(bob, made):
    content = client_of(bob).get("/notes/export.zip?combined=1").content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        texts = [archive.read(name).decode() for name in archive.namelist()]
    assert texts and not any(REPLY in text for text in texts)


def test_a_reply_is_not_a_page_note_of_my_export(bob, made):
    (group,) = export.notes_for_export(bob)
    assert [a.pk for a in group.page_notes] == [made["page"].pk]
    assert [a.pk for a in group.annotations] == [made["page"].pk, made["passage"].pk]


def test_the_export_command_leaves_my_replies_out(bob, made, tmp_path):
    out = tmp_path / "notes.md"
    call_command("export_notes", user="bob", format="markdown", out=str(out))
    text = out.read_text(encoding="utf-8")
    assert "页面" in text and REPLY not in text


def test_the_obsidian_sync_writes_no_reply(bob, made, tmp_path):
    obsidian.sync(bob, tmp_path, base_url=BASE)
    texts = [path.read_text(encoding="utf-8") for path in tmp_path.rglob("*.md")]
    assert texts and all(REPLY not in text for text in texts)


def test_my_feed_has_my_notes_and_not_my_replies(bob, made):
    feed = Client().get(reverse("notes_feed", args=[FeedToken.issue(bob).key]))
    text = feed.content.decode()
    assert feed.status_code == 200
    assert len(re.findall(r"<entry>", text)) == 2
    assert REPLY not in text


def test_the_review_never_makes_a_card_of_a_reply(bob, made):
    cards = daily.todays_set(bob, daily_count=10).cards
    assert {card.pk for card in cards} == {made["page"].pk, made["passage"].pk}
    with pytest.raises(daily.NotReviewable):
        daily.answer(bob, made["reply"].pk, "soon")


def test_restoring_a_page_note_is_not_taken_for_a_reply_with_the_same_words(bob, made, post):
    outcome, restored = services.restore(
        bob, Changes(target=whole(post), kind="note", body=REPLY, tags=())
    )
    assert outcome == services.RESTORED
    assert restored.is_page_note and not restored.is_reply
    again, _ = services.restore(bob, Changes(target=whole(post), kind="note", body=REPLY, tags=()))
    assert again == services.DUPLICATE  # the page note itself is found again
