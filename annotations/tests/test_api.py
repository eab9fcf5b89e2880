"""The annotations API, every endpoint and method, as owner, other user, anonymous and token."""

import json

import pytest
from django.test import Client

from accounts.models import ApiToken
from annotations.models import Annotation
from annotations.tests.conftest import payload

pytestmark = pytest.mark.django_db

LIST = "/api/annotations/"


def url(annotation):
    return f"/api/annotations/{annotation.pk}"


def send(client, method, path, data=None, **headers):
    if method == "get":
        return client.get(path, headers=headers)
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(path, body, content_type="application/json", headers=headers)


# --- create --------------------------------------------------------------------------------


def test_owner_creates_a_highlight_and_gets_w3c_json_ld(owner_client, post):
    response = send(owner_client, "post", LIST, payload(post, "增长放缓", colour="green"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert data["type"] == "Annotation"
    assert data["motivation"] == "highlighting"
    assert data["target"]["source"] == post.url
    quote, position = data["target"]["selector"]
    assert quote["type"] == "TextQuoteSelector" and quote["exact"] == "增长放缓"
    assert post.text[position["start"] : position["end"]] == "增长放缓"
    assert data["pizhu"]["colourName"] == "绿 Green"
    assert response["ETag"] == f'"{Annotation.objects.get().pk}.1"'
    assert response["Location"] == data["id"].removeprefix("http://testserver")


def test_a_translation_keeps_its_language_and_tags(owner_client, post):
    data = payload(
        post,
        "增长放缓",
        kind="translation",
        body="growth slowed",
        language="en",
        tags=["经济", "Economy", "economy "],
    )
    response = send(owner_client, "post", LIST, data)
    assert response.status_code == 201, response.content
    annotation = Annotation.objects.get()
    assert (annotation.kind, annotation.language, annotation.body) == (
        "translation",
        "en",
        "growth slowed",
    )
    assert sorted(tag.name for tag in annotation.tags.all()) == ["Economy", "经济"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["target"]["selector"][0].update(exact="增长加快"), "target.selector.exact"),
        (lambda d: d["target"]["selector"][1].update(end=10**6), "target.selector.end"),
        (lambda d: d["target"]["selector"].pop(), "target.selector"),
        (lambda d: d.pop("target"), "target"),
        (lambda d: d["target"].update(source="https://nowhere.example/x"), "target.source"),
        (lambda d: d["pizhu"].update(kind="scribble"), "pizhu.kind"),
        (lambda d: d["pizhu"].update(colour="teal"), "pizhu.colour"),
        (lambda d: d["pizhu"].update(shared="yes"), "pizhu.shared"),
        (
            lambda d: d.update(
                body=[{"type": "TextualBody", "value": "x", "language": "not a tag!"}]
            ),
            "body.language",
        ),
        (lambda d: d.update(body=[{"type": "TextualBody", "value": "x" * 20001}]), "body.value"),
        (lambda d: d.update(body=[{"purpose": "tagging", "value": "t" * 51}]), "body.tagging"),
        (
            lambda d: d.update(body=[{"purpose": "tagging", "value": f"t{i}"} for i in range(21)]),
            "body.tagging",
        ),
        (lambda d: d.update(body=[{"value": "one"}, {"value": "two"}]), "body"),
        # Wrong types, NUL and numbers no column holds: a 400, never a 500.
        (lambda d: d.update(motivation=["commenting"]) or d["pizhu"].pop("kind"), "motivation"),
        (lambda d: d["pizhu"].update(kind=["note"]), "pizhu.kind"),
        (lambda d: d["pizhu"].update(colour={"c": 1}), "pizhu.colour"),
        (lambda d: d["target"]["selector"][0].update(type=["TextQuote"]), "target.selector"),
        (lambda d: d.update(body=[{"value": "a\x00b"}]), "body.0.value"),
        (lambda d: d.update(body=[{"purpose": "tagging", "value": "t\x00"}]), "body.0.value"),
        (lambda d: d["target"]["selector"][1].update(start=2**70), "target.selector.start"),
        (lambda d: d["target"]["selector"][1].update(start=-3), "target.selector.start"),
        (
            lambda d: d.update(body=[{"value": "x", "language": "zh-Hant" + "-abcd" * 6}]),
            "body.language",
        ),
        (lambda d: d.update(body=[{"value": "x", "language": "en\n"}]), "body.language"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(owner_client, post, change, field):
    data = payload(post, "增长放缓")
    change(data)
    response = send(owner_client, "post", LIST, data)
    assert response.status_code == 400
    assert field in [error["field"] for error in response.json()["errors"]], response.json()
    assert Annotation.objects.count() == 0


def test_a_quote_over_the_limit_is_refused(owner_client, post, settings):
    settings.PIZHU_MAX_QUOTE_CHARS = 3
    response = send(owner_client, "post", LIST, payload(post, "增长放缓"))
    assert response.status_code == 400
    assert "limited to 3" in response.json()["errors"][0]["message"]


def test_every_error_also_reads_as_a_bilingual_sentence(owner_client, post):
    data = payload(post, "增长放缓", body="x" * 20001, language="not a tag!")
    errors = send(owner_client, "post", LIST, data).json()["errors"]
    assert {e["field"]: e["detail"] for e in errors} == {
        "body.value": "笔记最多 20000 个字。The note is limited to 20000 characters.",
        "body.language": "语言要写成 en、zh-Hant 这样的语言代码。The language must be a language "
        "code such as en or zh-Hant.",
    }


def test_a_body_that_is_not_json_is_a_400(owner_client):
    response = owner_client.post(LIST, "{nope", content_type="application/json")
    assert response.status_code == 400
    assert "not JSON" in response.json()["errors"][0]["message"]


def test_anonymous_gets_401_for_every_method(anonymous_client, owner, make_annotation):
    annotation = make_annotation(owner)
    for method, path in [
        ("get", LIST),
        ("post", LIST),
        ("get", url(annotation)),
        ("put", url(annotation)),
        ("patch", url(annotation)),
        ("delete", url(annotation)),
    ]:
        response = send(anonymous_client, method, path, {})
        assert response.status_code == 401, (method, path)
        assert "error" in response.json()


def test_session_writes_need_the_csrf_token(owner, post):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = send(client, "post", LIST, payload(post, "增长放缓"))
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]
    client.get(LIST)  # sets the csrftoken cookie, as the reader's first request does
    token = client.cookies["csrftoken"].value
    response = send(client, "post", LIST, payload(post, "增长放缓"), **{"X-CSRFToken": token})
    assert response.status_code == 201


def test_a_bearer_token_needs_no_csrf_and_a_revoked_one_is_refused(owner, post, token_key):
    client = Client(enforce_csrf_checks=True)
    auth = {"Authorization": f"Bearer {token_key}"}
    response = send(client, "post", LIST, payload(post, "增长放缓"), **auth)
    assert response.status_code == 201
    assert Annotation.objects.get().user == owner
    assert ApiToken.objects.get().last_used_at is not None
    ApiToken.objects.all().delete()
    assert send(client, "get", LIST, **auth).status_code == 401
    assert send(client, "get", LIST, Authorization="Bearer pz_made-up").status_code == 401


def test_unknown_methods_are_405(owner_client):
    response = send(owner_client, "put", LIST, {})
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


# --- read and list ---------------------------------------------------------------------------


def test_another_users_private_annotation_is_404_for_every_method(
    other_client, owner, make_annotation
):
    annotation = make_annotation(owner)
    for method in ("get", "put", "patch", "delete"):
        response = send(other_client, method, url(annotation), {"pizhu": {"colour": "blue"}})
        assert response.status_code == 404, method
    assert send(other_client, "post", f"{url(annotation)}/restore").status_code == 404
    assert Annotation.objects.get().colour == "yellow"


def test_a_shared_annotation_can_be_read_but_not_changed_by_others(
    other_client, owner, make_annotation
):
    annotation = make_annotation(owner, visibility="everyone")
    assert send(other_client, "get", url(annotation)).status_code == 200
    assert (
        send(other_client, "patch", url(annotation), {"pizhu": {"colour": "blue"}}).status_code
        == 403
    )
    assert send(other_client, "delete", url(annotation)).status_code == 403
    assert Annotation.objects.alive().count() == 1


def test_list_shows_mine_and_shared_never_others_private(
    other_client, owner, other, make_annotation
):
    make_annotation(owner, "增长放缓")
    shared = make_annotation(owner, "专家说", visibility="everyone")
    own = make_annotation(other, "中国的经济")
    response = send(other_client, "get", f"{LIST}?post={shared.post_id}")
    ids = [item["id"].rsplit("/", 1)[1] for item in response.json()["items"]]
    assert sorted(ids) == sorted([str(shared.pk), str(own.pk)])
    assert response.json()["partOf"]["total"] == 2


def test_list_filters_by_kind_tag_text_and_state(owner_client, owner, make_annotation):
    note = make_annotation(owner, "增长放缓", kind="note", body="slow growth", tags=["经济"])
    make_annotation(owner, "专家说")

    def ids(query):
        items = send(owner_client, "get", f"{LIST}?{query}").json()["items"]
        return [item["id"].rsplit("/", 1)[1] for item in items]

    assert ids("kind=note") == [str(note.pk)]
    assert ids("tag=经济") == [str(note.pk)]
    assert ids("text=growth") == [str(note.pk)]
    assert ids("text=放缓") == [str(note.pk)]
    assert ids("state=orphaned") == []
    response = send(owner_client, "get", f"{LIST}?kind=scribble&post=x")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"kind", "post"}


def test_list_pages_through_many(owner_client, owner, make_annotation, settings):
    settings.PIZHU_API_PAGE_SIZE = 2
    for quote in ("增长放缓", "专家说", "中国的经济"):
        make_annotation(owner, quote)
    first = send(owner_client, "get", LIST).json()
    assert len(first["items"]) == 2 and first["next"].endswith("page=2")
    second = send(owner_client, "get", first["next"].removeprefix("http://testserver")).json()
    assert len(second["items"]) == 1 and "next" not in second


def test_listing_takes_a_fixed_number_of_queries(
    owner_client, owner, make_annotation, django_assert_max_num_queries
):
    for quote in ("增长放缓", "专家说", "中国的经济"):
        make_annotation(owner, quote, tags=["a", "b"])
    with django_assert_max_num_queries(6):
        assert len(send(owner_client, "get", LIST).json()["items"]) == 3


def test_get_answers_304_to_a_matching_etag(owner_client, owner, make_annotation):
    annotation = make_annotation(owner)
    etag = send(owner_client, "get", url(annotation))["ETag"]
    assert send(owner_client, "get", url(annotation), **{"If-None-Match": etag}).status_code == 304


# --- change ----------------------------------------------------------------------------------


def test_patch_changes_only_what_it_carries(owner_client, owner, make_annotation):
    annotation = make_annotation(owner, kind="note", body="keep me", tags=["t"])
    response = send(
        owner_client, "patch", url(annotation), {"pizhu": {"colour": "pink", "shared": True}}
    )
    assert response.status_code == 200, response.content
    annotation.refresh_from_db()
    assert (annotation.colour, annotation.visibility, annotation.body) == (
        "pink",
        "everyone",
        "keep me",
    )
    assert [t.name for t in annotation.tags.all()] == ["t"]


def test_put_replaces_the_whole_annotation(owner_client, owner, post, make_annotation):
    annotation = make_annotation(owner, kind="note", body="old", tags=["t"])
    data = payload(post, "增长放缓", kind="translation", body="growth slowed", language="en")
    response = send(owner_client, "put", url(annotation), data)
    assert response.status_code == 200, response.content
    annotation.refresh_from_db()
    assert (annotation.kind, annotation.body, annotation.language) == (
        "translation",
        "growth slowed",
        "en",
    )
    assert list(annotation.tags.all()) == []


def test_put_reattaches_an_orphan_to_a_new_selection(owner_client, owner, post, make_annotation):
    annotation = make_annotation(owner)
    Annotation.objects.filter(pk=annotation.pk).update(state="orphaned")
    response = send(owner_client, "patch", url(annotation), payload(post, "专家说"))
    assert response.status_code == 200
    annotation.refresh_from_db()
    assert (annotation.exact, annotation.state) == ("专家说", "anchored")


def test_two_tabs_editing_one_note_the_second_gets_412(owner_client, owner, make_annotation):
    annotation = make_annotation(owner, kind="note", body="v1")
    etag = send(owner_client, "get", url(annotation))["ETag"]
    first = send(
        owner_client,
        "patch",
        url(annotation),
        {"body": [{"value": "tab one"}]},
        **{"If-Match": etag},
    )
    assert first.status_code == 200 and first["ETag"] != etag
    second = send(
        owner_client,
        "patch",
        url(annotation),
        {"body": [{"value": "tab two"}]},
        **{"If-Match": etag},
    )
    assert second.status_code == 412
    assert second["ETag"] == first["ETag"]
    assert Annotation.objects.get().body == "tab one"
    assert send(owner_client, "delete", url(annotation), **{"If-Match": etag}).status_code == 412


def test_delete_then_undo(owner_client, owner, make_annotation):
    annotation = make_annotation(owner)
    assert send(owner_client, "delete", url(annotation)).status_code == 204
    assert send(owner_client, "get", url(annotation)).status_code == 404
    assert send(owner_client, "get", LIST).json()["items"] == []
    restored = send(owner_client, "post", f"{url(annotation)}/restore")
    assert restored.status_code == 200
    assert len(send(owner_client, "get", LIST).json()["items"]) == 1


def test_a_note_is_rendered_sanitized(owner_client, post):
    body = "[x](javascript:alert(1)) <img src=x onerror=alert(1)> [ok](https://example.org)"
    data = payload(post, "增长放缓", kind="note", body=body)
    html = send(owner_client, "post", LIST, data).json()["pizhu"]["bodyHtml"]
    assert 'href="javascript' not in html and "<img" not in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in html


# --- hostile input: bounded work, a 400 (never a 500) ---------------------------------------


def test_thousands_of_tags_are_refused_by_count_before_any_tag_is_read(owner_client, post):
    data = payload(post, "增长放缓")
    # One bad tag among too many: the count alone answers, no tag is looked at.
    data["body"] = [{"purpose": "tagging", "value": f"t{i}"} for i in range(5000)]
    data["body"][0]["value"] = " "
    response = send(owner_client, "post", LIST, data)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "body.tagging",
            "message": "at most 20 tags",
            "detail": "标签最多 20 个。The tags are limited to 20.",
        }
    ]


def test_a_patch_with_thousands_of_tags_is_refused_too(owner_client, owner, make_annotation):
    annotation = make_annotation(owner)
    tags = [{"purpose": "tagging", "value": "same"} for _ in range(3000)]
    response = send(owner_client, "patch", url(annotation), {"body": tags})
    assert response.status_code == 400
    assert annotation.tags.count() == 0


def test_many_selectors_are_refused_by_count(owner_client, post):
    data = payload(post, "增长放缓")
    data["target"]["selector"] += [{"type": "CssSelector", "value": "p"}] * 1000
    response = send(owner_client, "post", LIST, data)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "target.selector"


def test_a_body_over_the_size_limit_is_413_unread(owner_client, post, settings):
    settings.PIZHU_API_MAX_BODY_BYTES = 2000
    data = payload(post, "增长放缓", body="长" * 1000)
    response = send(owner_client, "post", LIST, data)
    assert response.status_code == 413
    assert Annotation.objects.count() == 0


def test_100k_nested_lists_are_400(owner_client):
    body = "[" * 100_000 + "]" * 100_000
    response = owner_client.post(LIST, body, content_type="application/json")
    assert response.status_code == 400
    assert "nests more than" in response.json()["errors"][0]["message"]


def test_deep_nesting_anywhere_in_an_annotation_is_400(owner_client, post):
    data = payload(post, "增长放缓")
    data["pizhu"]["extra"] = json.loads('{"a":' * 50 + "1" + "}" * 50)
    response = send(owner_client, "post", LIST, data)
    assert response.status_code == 400
    assert Annotation.objects.count() == 0


@pytest.mark.parametrize("raw", [False, True], ids=["escaped", "raw bytes"])
def test_a_lone_surrogate_in_a_note_is_400(owner_client, post, raw):
    body = json.dumps(payload(post, "增长放缓", body="半个\ud800字"), ensure_ascii=not raw)
    response = owner_client.post(
        LIST, body.encode("utf-8", "surrogatepass"), content_type="application/json"
    )
    assert response.status_code == 400
    assert Annotation.objects.count() == 0


@pytest.mark.parametrize("post_param", ["99999999999999999999", "9223372036854775808", "²", "-1"])
def test_a_post_filter_that_names_no_row_is_400(owner_client, post_param):
    response = owner_client.get(LIST, {"post": post_param})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "post"


def test_an_id_past_64_bits_in_the_path_is_404(owner_client):
    assert owner_client.get("/api/annotations/9223372036854775808").status_code == 404
    assert owner_client.get("/api/annotations/99999999999999999999").status_code == 404


def test_a_nul_in_the_text_filter_is_400(owner_client, owner, make_annotation):
    make_annotation(owner)
    assert owner_client.get(LIST, {"text": "增长\x00"}).status_code == 400
