"""Today's review for one reader: which cards, what an answer does, the streak. The one
write path of ``review.models`` (views and the digest command only call these).

Which cards: the reader's own annotations that are alive and anchored (page notes too), up
to their daily count less what they already answered today: first the cards due by the end
of today (the oldest due first), then annotations never reviewed, the oldest first, so a
backlog comes round in the order it was written and the set is the same all day. Orphaned
annotations wait: their passage is not in the text to show or link to; they come back
with their schedule once re-attached. Days are the current time zone's (TIME_ZONE)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, IntegerField, Value
from django.db.models.functions import Least, Substr, TruncDate
from django.utils import timezone

from annotations.models import Annotation, State
from review import scheduling
from review.models import DEFAULT_DAILY_COUNT, Answer, ReviewCard, ReviewLog, ReviewSettings

CONTEXT_CHARS = 80  # of the article's text on each side of a quote
# What a card shows of its annotation and post: never the post's text or bodies.
_CARD_FIELDS = (
    *("kind", "colour", "body", "body_html", "language", "exact", "start", "end", "created_at"),
    *("post", "post__title", "post__url", "post__published_at", "post__gone_at"),
    *("post__source", "post__source__name"),
)
_SET_ASIDE_FIELDS = (
    *("last_reviewed_at", "annotation", "annotation__exact", "annotation__body_html"),
    *("annotation__start", "annotation__end", "annotation__post", "annotation__post__title"),
)


@dataclass
class Day:
    """A local day's bounds, as aware datetimes."""

    today: date
    start: datetime
    end: datetime  # the next day's start

    @classmethod
    def of(cls, now: datetime) -> Day:
        zone = timezone.get_current_timezone()
        today = timezone.localtime(now, zone).date()
        return cls(
            today=today,
            start=datetime.combine(today, time.min, zone),
            end=datetime.combine(today + timedelta(days=1), time.min, zone),
        )


@dataclass
class Today:
    """What the review page and the digest show."""

    cards: list[Annotation]  # each with context_before / context_after and is_new
    daily_count: int
    answered: int
    streak: int

    @property
    def position(self) -> int:
        """The number of the card shown first, counting today's answered ones."""
        return self.answered + 1

    @property
    def total(self) -> int:
        return self.answered + len(self.cards)


def settings_of(user) -> ReviewSettings:
    """The reader's settings, unsaved defaults when they never changed them."""
    found = ReviewSettings.objects.filter(user=user).first()
    return found or ReviewSettings(user=user, daily_count=DEFAULT_DAILY_COUNT)


def reviewable(user):
    """``user``'s annotations that a review may show: notes on articles, not replies
    (a reply quotes nothing and means little apart from its thread)."""
    return Annotation.objects.filter(user=user, deleted_at=None, state=State.ANCHORED).notes()


def todays_set(user, now: datetime | None = None, *, daily_count: int | None = None) -> Today:
    """The cards ``user`` has still to answer today, in the order to answer them. Queries do
    not grow with the number of cards."""
    now = now or timezone.now()
    day = Day.of(now)
    if daily_count is None:
        daily_count = settings_of(user).daily_count
    logs = ReviewLog.objects.filter(user=user)
    answered = logs.filter(reviewed_at__gte=day.start).values("card_id").distinct().count()
    remaining = max(0, daily_count - answered)
    due_ids = list(
        ReviewCard.objects.filter(
            user=user,
            suspended=False,
            due__lt=day.end,
            annotation__in=reviewable(user),
        )
        .exclude(last_reviewed_at__gte=day.start)
        .order_by("due", "id")
        .values_list("annotation_id", flat=True)[:remaining]
    )
    new_ids = list(
        reviewable(user)
        .filter(review_card__isnull=True)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[: remaining - len(due_ids)]
    )
    cards = _with_context(due_ids + new_ids, new=set(new_ids))
    zone = timezone.get_current_timezone()
    days = logs.annotate(day=TruncDate("reviewed_at", tzinfo=zone)).values_list("day", flat=True)
    return Today(
        cards=cards,
        daily_count=daily_count,
        answered=answered,
        streak=scheduling.streak(days.order_by().distinct(), day.today),
    )


def _with_context(ids: list[int], *, new: set[int]) -> list[Annotation]:
    """The annotations ``ids`` in that order, with their post's title and source and a little
    of the article's text either side of the quote (never the whole text)."""
    if not ids:
        return []
    before = Least(F("start"), Value(CONTEXT_CHARS), output_field=IntegerField())
    found = (
        Annotation.objects.filter(pk__in=ids)
        .select_related("post__source")
        .only(*_CARD_FIELDS)
        .annotate(
            context_before=Substr("post__text", F("start") - before + 1, before),
            context_after=Substr("post__text", F("end") + 1, CONTEXT_CHARS),
        )
    )
    by_id = {annotation.pk: annotation for annotation in found}
    cards = []
    for pk in ids:
        annotation = by_id[pk]
        annotation.is_new = pk in new
        if annotation.is_page_note:
            annotation.context_before = annotation.context_after = ""
        else:
            annotation.context_before = _paragraph_tail(annotation.context_before, annotation.start)
            annotation.context_after = _paragraph_head(annotation.context_after)
        cards.append(annotation)
    return cards


def _paragraph_tail(text: str, start: int) -> str:
    """The end of the text before a quote, within its paragraph; "…" where it was cut."""
    line = text.rsplit("\n", 1)[-1]
    cut = "\n" not in text and start > len(text)  # mid-paragraph, not at its start
    return ("…" if cut and line.strip() else "") + line.lstrip()


def _paragraph_head(text: str) -> str:
    line = text.split("\n", 1)[0]
    cut = "\n" not in text and len(text) == CONTEXT_CHARS
    return line.rstrip() + ("…" if cut and line.strip() else "")


class NotReviewable(LookupError):
    """Not this user's, deleted or orphaned: the view answers 404."""


def answer(user, annotation_id: int, given: str, now: datetime | None = None) -> ReviewLog | None:
    """Record ``given`` (an ``Answer``) for the annotation and schedule it. A second answer
    to a card on the same day (a double click, a resubmitted form) changes nothing: None."""
    given = Answer(given)
    now = now or timezone.now()
    day = Day.of(now)
    with transaction.atomic():
        annotation = reviewable(user).filter(pk=annotation_id).first()
        if annotation is None:
            raise NotReviewable(annotation_id)
        card = _card_for(user, annotation, now)
        if card.last_reviewed_at and card.last_reviewed_at >= day.start:
            return None
        scheduled = scheduling.answer_card(card.fsrs_card, given, now)
        card.fsrs_card, card.due = scheduled.card, scheduled.due
        card.suspended = scheduled.suspended
        card.last_reviewed_at = now
        card.save(update_fields=["fsrs_card", "due", "suspended", "last_reviewed_at"])
        return ReviewLog.objects.create(
            user=user,
            card=card,
            answer=given,
            reviewed_at=now,
            due_after=None if scheduled.suspended else scheduled.due,
        )


def _card_for(user, annotation: Annotation, now: datetime) -> ReviewCard:
    """The annotation's card, locked for this transaction; made at its first answer."""
    cards = ReviewCard.objects.select_for_update().filter(user=user, annotation=annotation)
    if card := cards.first():
        return card
    try:
        with transaction.atomic():  # another request may make it at the same moment
            return ReviewCard.objects.create(
                user=user,
                annotation=annotation,
                fsrs_card=scheduling.new_card(annotation.pk, now),
                due=now,
            )
    except IntegrityError:
        return cards.get()


def restore(user, annotation_id: int) -> bool:
    """Undo "never": the card is chosen again when due. False when it was not suspended."""
    return bool(
        ReviewCard.objects.filter(
            user=user, annotation_id=annotation_id, annotation__user=user, suspended=True
        ).update(suspended=False)
    )


def suspended(user):
    """``user``'s cards answered "never", the most recent first, with their annotations."""
    return (
        ReviewCard.objects.filter(user=user, suspended=True, annotation__deleted_at=None)
        .select_related("annotation__post")
        .only(*_SET_ASIDE_FIELDS)
        .order_by("-last_reviewed_at", "-id")
    )


def save_settings(user, *, daily_count: int, email_digest: bool) -> ReviewSettings:
    found, _ = ReviewSettings.objects.update_or_create(
        user=user, defaults={"daily_count": daily_count, "email_digest": email_digest}
    )
    return found
