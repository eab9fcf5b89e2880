"""The schedule and the streak, without a database."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from review.models import Answer
from review.scheduling import answer_card, new_card, streak

NOW = datetime(2024, 6, 3, 2, 0, tzinfo=UTC)


def next_due(card: dict, answer: str, now=NOW) -> datetime:
    return answer_card(card, answer, now).due


def mature_card() -> dict:
    """A card answered "keep" three times, each when due."""
    card, now = new_card(1, NOW), NOW
    for _ in range(3):
        scheduled = answer_card(card, Answer.KEEP, now)
        card, now = scheduled.card, scheduled.due
    return card


@pytest.mark.parametrize("card", [new_card(1, NOW), mature_card()], ids=["new", "mature"])
def test_soon_comes_before_keep_which_comes_before_later(card):
    now = datetime.fromisoformat(card["due"])
    soon, keep, later = (next_due(card, answer, now) for answer in ("soon", "keep", "later"))
    assert now < soon < keep < later


def test_a_new_card_comes_back_tomorrow_in_two_days_or_in_a_week_or_more():
    card = new_card(1, NOW)
    assert next_due(card, "soon") - NOW == timedelta(days=1)
    assert next_due(card, "keep") - NOW == timedelta(days=2)
    assert next_due(card, "later") - NOW >= timedelta(days=7)


@pytest.mark.parametrize("answer", ["soon", "keep", "later"])
def test_no_answer_brings_a_card_back_the_same_day(answer):
    card = mature_card()
    now = datetime.fromisoformat(card["due"])
    assert next_due(card, answer, now) - now >= timedelta(days=1)


def test_keeping_a_card_again_and_again_spaces_it_further_each_time():
    card, now, gaps = new_card(1, NOW), NOW, []
    for _ in range(4):
        scheduled = answer_card(card, "keep", now)
        gaps.append(scheduled.due - now)
        card, now = scheduled.card, scheduled.due
    assert gaps == sorted(gaps) and len(set(gaps)) == len(gaps)


def test_soon_on_a_mature_card_brings_it_back_within_days_not_months():
    card = mature_card()
    now = datetime.fromisoformat(card["due"])
    assert next_due(card, "soon", now) - now <= timedelta(days=7)
    assert next_due(card, "keep", now) - now >= timedelta(days=30)


def test_never_suspends_the_card_and_leaves_its_schedule():
    card = mature_card()
    scheduled = answer_card(card, "never", NOW)
    assert scheduled.suspended
    assert scheduled.card == card
    assert scheduled.due == datetime.fromisoformat(card["due"])


def test_the_same_answers_give_the_same_dates():
    card = mature_card()
    assert next_due(card, "later") == next_due(card, "later")


def test_a_scheduled_card_is_json_and_carries_its_due_date():
    scheduled = answer_card(new_card(7, NOW), "keep", NOW)
    stored = json.loads(json.dumps(scheduled.card))
    assert stored["card_id"] == 7
    assert datetime.fromisoformat(stored["due"]) == scheduled.due


def test_an_unknown_answer_is_refused():
    with pytest.raises(ValueError):
        answer_card(new_card(1, NOW), "maybe", NOW)


TODAY = date(2024, 6, 3)


def days_back(*offsets):
    return [TODAY - timedelta(days=n) for n in offsets]


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([], 0),
        (days_back(0), 1),
        (days_back(0, 1, 2), 3),
        (days_back(1, 2), 2),  # not answered yet today: the streak holds until the day ends
        (days_back(2, 3), 0),  # yesterday missed
        (days_back(0, 1, 3, 4), 2),  # a gap ends it
        (days_back(0, 0, 1), 2),  # several answers a day count once
    ],
)
def test_the_streak_counts_consecutive_days_up_to_today(days, expected):
    assert streak(days, TODAY) == expected
