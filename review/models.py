"""The daily review: each day a few of a reader's own highlights and notes come back, chosen
by a spaced-repetition scheduler (FSRS, ``review.scheduling``).

Everything here is private to its user: every query starts from the user (``review.daily``)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

DEFAULT_DAILY_COUNT = 5
MAX_DAILY_COUNT = 50


class Answer(models.TextChoices):
    """What a reader says of a card; ``review.scheduling.RATINGS`` maps each to FSRS."""

    KEEP = "keep", "留着 Keep"
    SOON = "soon", "再早点 Soon"
    LATER = "later", "晚点 Later"
    NEVER = "never", "不再显示 Never"


class ReviewSettings(models.Model):
    """A reader's choices for the review; a reader without a row has the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_settings"
    )
    daily_count = models.PositiveSmallIntegerField(
        default=DEFAULT_DAILY_COUNT,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DAILY_COUNT)],
    )
    email_digest = models.BooleanField(default=False)
    # The local day the last digest went out: send_review_digest sends at most one a day.
    last_digest_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "review settings"

    def __str__(self):
        return f"{self.user} · {self.daily_count}/day"


class ReviewCard(models.Model):
    """One annotation's place in the schedule. Made at its first answer (a page view writes
    nothing); kept when the annotation is deleted or orphaned, so it resumes if it comes back."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_cards"
    )
    annotation = models.OneToOneField(
        "annotations.Annotation", on_delete=models.CASCADE, related_name="review_card"
    )
    # fsrs.Card.to_dict(): stability, difficulty, state... (the scheduler's own memory).
    fsrs_card = models.JSONField()
    due = models.DateTimeField()
    suspended = models.BooleanField(default=False, help_text="Answered 'never': not shown.")
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "suspended", "due"], name="review_card_due")]

    def __str__(self):
        return f"{self.user} · {self.annotation_id} · due {self.due:%Y-%m-%d}"


class ReviewLog(models.Model):
    """Every answer, with the due date it gave: the streak is counted from these."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_logs"
    )
    card = models.ForeignKey(ReviewCard, on_delete=models.CASCADE, related_name="logs")
    answer = models.CharField(max_length=8, choices=Answer.choices)
    reviewed_at = models.DateTimeField(default=timezone.now)
    due_after = models.DateTimeField(null=True, blank=True, help_text="None after 'never'.")

    class Meta:
        indexes = [models.Index(fields=["user", "-reviewed_at"], name="review_log_user_time")]

    def __str__(self):
        return f"{self.user} · {self.answer} · {self.reviewed_at:%Y-%m-%d %H:%M}"
