"""Page notes: notes on a whole article, with no passage (Hypothesis' page notes)."""

import json

import pytest

from annotations import services
from annotations.jsonld import annotation_to_jsonld, parse
from annotations.models import Annotation, State
from annotations.tests.conftest import BODY
from annotations.values import Changes, Invalid, Target
from archive.importer import import_paths

pytestmark = pytest.mark.django_db

LIST = "/api/annotations/"


def page_target(post) -> Target:
    return Target(source=post.url, post_id=post.pk, exact="", start=None, end=None)


def page_payload(post, body="整篇文章的要点", **pizhu):
    return {
        "type": "Annotation",
        "motivation": "commenting",
        "body": [{"type": "TextualBody", "value": body, "purpose": "commenting"}],
        "target": {"source": post.url},
        "pizhu": {"post": post.pk, **pizhu},
    }


def post_json(client, data):
    return client.post(LIST, json.dumps(data), content_type="application/json")


def test_a_target_without_selector_parses_as_the_whole_page(post):
    changes = parse(page_payload(post), partial=False)
    assert changes.target.is_page
    assert (changes.target.exact, changes.target.start, changes.target.end) == ("", None, None)
    assert changes.kind == "note"


def test_a_page_note_is_created_without_a_passage(owner, post):
    note = services.create(
        owner, Changes(target=page_target(post), kind="note", body="**要点**：增长放缓")
    )
    note.refresh_from_db()
    assert note.is_page_note
    assert (note.exact, note.start, note.end, note.state) == ("", 0, 0, State.ANCHORED)
    assert note.anchored_by == services.PAGE
    assert "<strong>要点</strong>" in note.body_html


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "note", "body": "   "}, "body.value"),
        ({"kind": "note", "body": ""}, "body.value"),
        ({"kind": "highlight", "body": "要点"}, "pizhu.kind"),
        ({"kind": "translation", "body": "gist"}, "pizhu.kind"),
    ],
)
def test_a_page_note_must_be_a_note_with_text(owner, post, fields, field):
    with pytest.raises(Invalid) as error:
        services.create(owner, Changes(target=page_target(post), **fields))
    assert error.value.errors[0]["field"] == field
    assert not Annotation.objects.exists()


def test_the_api_creates_a_page_note_and_writes_it_back_without_selector(owner_client, post):
    response = post_json(owner_client, page_payload(post))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["target"] == {"source": post.url}
    assert data["pizhu"]["pageNote"] is True
    assert data["motivation"] == "commenting"
    assert data["body"][0]["value"] == "整篇文章的要点"


def test_the_api_refuses_an_empty_page_note_naming_the_field(owner_client, post):
    response = post_json(owner_client, page_payload(post, body=" "))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body.value"
    assert "整篇文章" in response.json()["errors"][0]["detail"]


def test_a_passage_note_says_it_is_not_a_page_note(owner, make_annotation):
    data = annotation_to_jsonld(make_annotation(owner, "增长放缓"))
    assert data["pizhu"]["pageNote"] is False
    assert data["target"]["selector"][0]["exact"] == "增长放缓"


def test_a_page_note_cannot_become_a_passage_note_or_back(owner, owner_client, post):
    note = services.create(owner, Changes(target=page_target(post), kind="note", body="要点"))
    start = post.text.index("增长放缓")
    patch = {
        "target": {
            "source": post.url,
            "selector": [
                {"type": "TextQuoteSelector", "exact": "增长放缓"},
                {"type": "TextPositionSelector", "start": start, "end": start + 4},
            ],
        }
    }
    response = owner_client.patch(
        f"/api/annotations/{note.pk}", json.dumps(patch), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "target"
    note.refresh_from_db()
    assert note.is_page_note


def test_a_page_note_put_back_as_it_came_keeps_its_edit(owner_client, post):
    created = post_json(owner_client, page_payload(post)).json()
    created["body"][0]["value"] = "改过的要点"
    response = owner_client.put(
        created["id"].removeprefix("http://testserver"),
        json.dumps(created),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert Annotation.objects.get().body == "改过的要点"


def test_reimporting_a_changed_post_leaves_page_notes_alone(
    owner, make_annotation, archive_dir, post
):
    note = services.create(owner, Changes(target=page_target(post), kind="note", body="要点"))
    passage = make_annotation(owner, "The third paragraph is in English")
    archive_dir.write(body=BODY.replace("The third", "A rewritten"), url=post.url)
    import_paths([archive_dir])
    note.refresh_from_db()
    passage.refresh_from_db()
    assert passage.state == State.ORPHANED  # the passage is gone...
    assert (note.state, note.anchored_by, note.version) == (State.ANCHORED, "page", 1)  # not this


def test_a_restored_page_note_is_restored_once(owner, other, post):
    note = services.create(owner, Changes(target=page_target(post), kind="note", body="要点"))
    changes = parse(annotation_to_jsonld(note), partial=False)
    outcome, restored = services.restore(other, changes)
    assert outcome == services.RESTORED
    assert restored.is_page_note and restored.user == other
    assert services.restore(other, changes) == (services.DUPLICATE, None)
