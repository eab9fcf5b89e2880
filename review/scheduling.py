"""When a card comes back: the four answers on FSRS (the ``fsrs`` package), and the streak.
Pure: no database, no clock (every function takes the time it is asked about).

The answers are not about remembering, as in a flash-card deck, but about how soon a reader
wants a passage again, so they map onto FSRS's ratings by the interval each gives:

- 再早点 soon → Again: the shortest interval (tomorrow for a new card, a few days for one
  that waits months), and FSRS's stability restarts low, so it returns often for a while
  (Hard would barely shorten a card that already waits a month);
- 留着 keep → Good: FSRS's ordinary next interval (2 days at first, then growing);
- 晚点 later → Easy: the longest interval (8 days at first, then months);
- 不再显示 never → no rating: the card is suspended, never chosen again until restored.

The scheduler has no learning steps (FSRS's default: 1 and 10 minutes): a set is chosen
once a day, so a card must not come back within the same day; every interval is whole days.
Fuzzing is off, so the same answers give the same dates (tests, and a reader comparing)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fsrs import Card, Rating, Scheduler

from review.models import Answer

SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
RATINGS = {Answer.SOON: Rating.Again, Answer.KEEP: Rating.Good, Answer.LATER: Rating.Easy}


@dataclass(frozen=True)
class Scheduled:
    """A card after an answer: its FSRS state, when it is due, whether it is suspended."""

    card: dict
    due: datetime
    suspended: bool


def new_card(card_id: int, now: datetime) -> dict:
    """A card never reviewed, due ``now``. ``card_id``: the annotation's id (FSRS would take
    the clock's milliseconds, sleeping a millisecond to keep them apart)."""
    return Card(card_id=card_id, due=now.astimezone(UTC)).to_dict()


def answer_card(card: dict, answer: str, now: datetime) -> Scheduled:
    """``card`` (``Card.to_dict``) answered with ``answer`` at ``now`` (aware)."""
    answer = Answer(answer)
    fsrs_card = Card.from_dict(card)
    if answer == Answer.NEVER:
        return Scheduled(card=card, due=fsrs_card.due, suspended=True)
    reviewed, _log = SCHEDULER.review_card(fsrs_card, RATINGS[answer], now.astimezone(UTC))
    return Scheduled(card=reviewed.to_dict(), due=reviewed.due, suspended=False)


def streak(days: Iterable[date], today: date) -> int:
    """Consecutive days with an answer, up to today; a streak that reached yesterday still
    counts today, until the day is over without an answer."""
    answered = set(days)
    day = today if today in answered else today - timedelta(days=1)
    count = 0
    while day in answered:
        count += 1
        day -= timedelta(days=1)
    return count
