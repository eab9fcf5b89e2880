"""Today's set, answers and the streak, through review.daily (the one write path)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.models import Annotation
from review import daily
from review.models import ReviewCard, ReviewLog
from review.tests.conftest import MORNING, annotate, page_note

pytestmark = pytest.mark.django_db


def ids(today):
    return [card.pk for card in today.cards]


def test_the_set_holds_the_daily_count_of_new_cards_oldest_first(owner, make_annotations):
    made = make_annotations(owner)
    today = daily.todays_set(owner, MORNING, daily_count=3)
    assert ids(today) == [a.pk for a in made[:3]]
    assert all(card.is_new for card in today.cards)


def test_the_daily_count_is_the_readers_setting(owner, make_annotations):
    make_annotations(owner)
    assert len(daily.todays_set(owner, MORNING).cards) == 5  # the default
    daily.save_settings(owner, daily_count=2, email_digest=False)
    assert len(daily.todays_set(owner, MORNING).cards) == 2


def test_cards_due_today_come_first_the_oldest_due_first(owner, make_annotations):
    made = make_annotations(owner)
    yesterday = MORNING - timedelta(days=1)
    three_days_ago = MORNING - timedelta(days=3)
    daily.answer(owner, made[4].pk, "soon", three_days_ago)  # due two days ago
    daily.answer(owner, made[3].pk, "soon", yesterday)  # due today, 10:00
    daily.answer(owner, made[5].pk, "later", yesterday)  # due next week: not today
    today = daily.todays_set(owner, MORNING, daily_count=4)
    assert ids(today) == [made[4].pk, made[3].pk, made[0].pk, made[1].pk]
    assert [card.is_new for card in today.cards] == [False, False, True, True]


def test_a_card_due_later_today_is_in_the_morning_set(owner, make_annotations):
    first = make_annotations(owner, 1)[0]
    daily.answer(owner, first.pk, "soon", MORNING - timedelta(days=1) + timedelta(hours=8))
    assert ids(daily.todays_set(owner, MORNING)) == [first.pk]  # due at 18:00 today


def test_due_cards_beyond_the_count_wait_and_leave_no_room_for_new_ones(owner, make_annotations):
    made = make_annotations(owner)
    for annotation in made[:3]:
        daily.answer(owner, annotation.pk, "soon", MORNING - timedelta(days=2))
    assert ids(daily.todays_set(owner, MORNING, daily_count=2)) == [made[0].pk, made[1].pk]


def test_only_my_alive_anchored_annotations_are_chosen_page_notes_included(
    owner, other, posts, make_annotations
):
    mine = make_annotations(owner, 3)
    make_annotations(other, 3)
    note = page_note(owner, posts[1])
    Annotation.objects.filter(pk=mine[0].pk).update(deleted_at=timezone.now())
    Annotation.objects.filter(pk=mine[1].pk).update(state="orphaned")
    today = daily.todays_set(owner, MORNING, daily_count=10)
    assert ids(today) == [mine[2].pk, note.pk]


def test_a_card_shows_its_quote_in_context_within_its_paragraph(owner, post):
    annotation = annotate(owner, post, "房价连续下跌")
    (card,) = daily.todays_set(owner, MORNING).cards
    assert card.exact == "房价连续下跌"
    assert card.context_before.endswith("第四段：城市的")
    assert card.context_after.startswith("，开发商的债务问题越来越重。")
    assert "第三" not in card.context_before and "第五段" not in card.context_after
    assert card.post.title == post.title and card.post.source.name == post.source.name
    assert card.get_absolute_url() == annotation.get_absolute_url()


def test_a_page_note_shows_no_context(owner, post):
    page_note(owner, post)
    (card,) = daily.todays_set(owner, MORNING).cards
    assert card.is_page_note and card.context_before == card.context_after == ""


def test_an_answer_schedules_the_card_and_takes_it_out_of_todays_set(owner, make_annotations):
    made = make_annotations(owner, 3)
    log = daily.answer(owner, made[0].pk, "keep", MORNING)
    card = ReviewCard.objects.get(annotation=made[0])
    assert card.due == log.due_after == MORNING + timedelta(days=2)
    assert card.fsrs_card["state"] == 2 and not card.suspended
    today = daily.todays_set(owner, MORNING, daily_count=3)
    assert ids(today) == [made[1].pk, made[2].pk]
    assert today.answered == 1 and today.position == 2 and today.total == 3


@pytest.mark.parametrize("answer", ["keep", "soon", "later"])
def test_each_answer_stores_its_own_next_date(owner, make_annotations, answer):
    first = make_annotations(owner, 1)[0]
    daily.answer(owner, first.pk, answer, MORNING)
    expected = {"soon": 1, "keep": 2, "later": 8}[answer]
    assert ReviewCard.objects.get().due == MORNING + timedelta(days=expected)


def test_a_second_answer_the_same_day_changes_nothing(owner, make_annotations):
    first = make_annotations(owner, 1)[0]
    daily.answer(owner, first.pk, "keep", MORNING)
    assert daily.answer(owner, first.pk, "later", MORNING + timedelta(hours=1)) is None
    assert ReviewLog.objects.count() == 1
    assert ReviewCard.objects.get().due == MORNING + timedelta(days=2)


def test_never_suspends_the_card_for_good_until_restored(owner, make_annotations):
    first = make_annotations(owner, 1)[0]
    daily.answer(owner, first.pk, "never", MORNING)
    assert ReviewCard.objects.get().suspended
    for days in (1, 30, 400):
        assert daily.todays_set(owner, MORNING + timedelta(days=days)).cards == []
    assert daily.restore(owner, first.pk)
    assert daily.todays_set(owner, MORNING).cards == []  # answered today all the same
    assert ids(daily.todays_set(owner, MORNING + timedelta(days=1))) == [first.pk]


def test_nobody_answers_or_restores_anothers_card(owner, other, make_annotations):
    first = make_annotations(owner, 1)[0]
    with pytest.raises(daily.NotReviewable):
        daily.answer(other, first.pk, "keep", MORNING)
    daily.answer(owner, first.pk, "never", MORNING)
    assert not daily.restore(other, first.pk)
    assert ReviewCard.objects.get().suspended


def test_the_streak_counts_local_days_with_an_answer(owner, make_annotations):
    made = make_annotations(owner)
    for n, annotation in enumerate(made[:3]):
        daily.answer(owner, annotation.pk, "later", MORNING - timedelta(days=3 - n))
    assert daily.todays_set(owner, MORNING).streak == 3  # up to yesterday: still alive
    daily.answer(owner, made[3].pk, "keep", MORNING)
    assert daily.todays_set(owner, MORNING).streak == 4
    assert daily.todays_set(owner, MORNING + timedelta(days=2)).streak == 0


def test_a_day_is_the_local_day_not_utcs(owner, make_annotations):
    made = make_annotations(owner, 2)
    # 02:00 UTC on the 2nd is 10:00 on the 2nd in Shanghai; 23:30 UTC on the 2nd is 07:30
    # on the 3rd, the same local day as MORNING: two local days, one day in UTC.
    daily.answer(owner, made[0].pk, "later", MORNING - timedelta(days=1))
    daily.answer(owner, made[1].pk, "later", MORNING.replace(day=2, hour=23, minute=30))
    today = daily.todays_set(owner, MORNING)
    assert today.answered == 1 and today.streak == 2
