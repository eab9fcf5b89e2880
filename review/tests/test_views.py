"""/review/ per persona: the page, answering by POST, the settings, the set-aside list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from review.models import ReviewCard, ReviewLog, ReviewSettings
from review.tests.conftest import page_note

pytestmark = pytest.mark.django_db

REVIEW = "/review/"


def answer(client, annotation, value):
    return client.post(reverse("review:answer", args=[annotation.pk]), {"answer": value})


def test_anonymous_visitors_are_sent_to_sign_in(anonymous_client, owner, make_annotations):
    first = make_annotations(owner, 1)[0]
    for response in (
        anonymous_client.get(REVIEW),
        answer(anonymous_client, first, "keep"),
        anonymous_client.get(reverse("review:never")),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not ReviewLog.objects.exists()


def test_the_owner_sees_the_first_card_in_context_with_its_answers(owner_client, owner, post):
    from review.tests.conftest import annotate

    annotation = annotate(owner, post, "房价连续下跌", kind="note", body="**值得**记住")
    response = owner_client.get(REVIEW)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<mark>房价连续下跌</mark>" in page
    assert "第四段：城市的" in page and "<strong>值得</strong>记住" in page
    assert post.title in page and post.source.name in page
    assert f'href="{annotation.get_absolute_url()}"' in page
    for value in ("keep", "soon", "later", "never"):
        assert f'value="{value}"' in page
    assert "第 1 / 1 条" in page


def test_each_reader_sees_only_their_own_cards(owner, other, other_client, make_annotations):
    make_annotations(owner, 3)
    page = other_client.get(REVIEW).content.decode()
    assert "<mark>" not in page and "data-review-empty" in page
    theirs = make_annotations(other, 1)[0]
    page = other_client.get(REVIEW).content.decode()
    assert f'data-review-card="{theirs.pk}"' in page


def test_answering_anothers_annotation_is_a_404_and_changes_nothing(
    other_client, owner, make_annotations
):
    first = make_annotations(owner, 1)[0]
    assert answer(other_client, first, "keep").status_code == 404
    assert other_client.post(reverse("review:restore", args=[first.pk])).status_code == 404
    assert not ReviewCard.objects.exists()


def test_answering_moves_to_the_next_card_then_done_with_the_streak(
    owner_client, owner, make_annotations
):
    made = make_annotations(owner, 2)
    response = answer(owner_client, made[0], "keep")
    assert response.status_code == 302 and response["Location"] == REVIEW
    page = owner_client.get(REVIEW).content.decode()
    assert f'data-review-card="{made[1].pk}"' in page and "第 2 / 2 条" in page
    assert 'data-review-streak="1"' in page
    answer(owner_client, made[1], "later")
    page = owner_client.get(REVIEW).content.decode()
    assert "data-review-done" in page and "All done for today" in page
    assert "1-day streak" in page
    assert ReviewLog.objects.filter(user=owner).count() == 2


def test_an_unknown_answer_says_so_and_records_nothing(owner_client, owner, make_annotations):
    first = make_annotations(owner, 1)[0]
    response = answer(owner_client, first, "maybe")
    assert response.status_code == 302
    assert "No such answer" in owner_client.get(REVIEW).content.decode()
    assert not ReviewLog.objects.exists()


def test_answers_need_post(owner_client, owner, make_annotations):
    first = make_annotations(owner, 1)[0]
    response = owner_client.get(reverse("review:answer", args=[first.pk]) + "?answer=keep")
    assert response.status_code == 405


def test_never_offers_an_undo_that_brings_the_card_back(owner_client, owner, make_annotations):
    first = make_annotations(owner, 1)[0]
    answer(owner_client, first, "never")
    page = owner_client.get(REVIEW).content.decode()
    assert f'action="{reverse("review:restore", args=[first.pk])}"' in page
    assert "Set aside (1)" in page
    assert first.exact in owner_client.get(reverse("review:never")).content.decode()
    owner_client.post(reverse("review:restore", args=[first.pk]))
    assert not ReviewCard.objects.get().suspended


def test_page_notes_are_shown_without_a_quote(owner_client, owner, post):
    page_note(owner, post, body="整篇的要点")
    page = owner_client.get(REVIEW).content.decode()
    assert "页面笔记 Page note" in page and "整篇的要点" in page and "<mark>" not in page


def test_settings_are_saved_and_bad_values_named(owner_client, owner, make_annotations):
    make_annotations(owner, 4)
    url = reverse("review:settings")
    response = owner_client.post(url, {"daily_count": "2", "email_digest": "on"})
    assert response.status_code == 302
    saved = ReviewSettings.objects.get(user=owner)
    assert (saved.daily_count, saved.email_digest) == (2, True)
    assert "第 1 / 2 条" in owner_client.get(REVIEW).content.decode()
    for bad in ("0", "51", "abc", ""):
        response = owner_client.post(url, {"daily_count": bad})
        page = response.content.decode()
        assert response.status_code == 400, bad
        assert "每天几条 Cards a day:" in page and 'role="alert"' in page
    assert ReviewSettings.objects.get(user=owner).daily_count == 2


def test_the_settings_say_the_range_and_that_an_undo_counts_as_reviewed(
    owner_client, owner, make_annotations
):
    page = owner_client.get(REVIEW).content.decode()
    assert "1 到 50 条。From 1 to 50." in page
    assert "You have none yet" not in page  # the owner has an email address
    first = make_annotations(owner, 1)[0]
    answer(owner_client, first, "never")
    after = owner_client.post(reverse("review:restore", args=[first.pk]), follow=True)
    assert "counts as reviewed today" in after.content.decode()


def test_an_empty_review_says_how_to_begin(owner_client):
    page = owner_client.get(REVIEW).content.decode()
    assert "data-review-empty" in page and "No highlights or notes yet" in page


def test_the_review_link_is_in_the_header_for_signed_in_readers(owner_client, anonymous_client):
    assert 'href="/review/"' in owner_client.get("/").content.decode()
    assert 'href="/review/"' not in anonymous_client.get("/").content.decode()


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(REVIEW).status_code == 200
    return len(queries)


# Session, user, settings, answered today, due cards, new cards, the cards with their
# context, the streak's days, the set-aside count; the header's stamp (groups.header).
PAGE_QUERIES = 10


def test_the_page_costs_the_same_queries_for_one_card_or_many(
    owner_client, owner, make_annotations
):
    make_annotations(owner, 1)
    one = count_queries(owner_client)
    made = make_annotations(owner)  # six more, on two posts
    answer(owner_client, made[0], "soon")  # a card with a schedule, and a log
    answer(owner_client, made[1], "never")
    many = count_queries(owner_client)
    assert one == many == PAGE_QUERIES
