"""The daily set by mail (``manage.py send_review_digest``), for readers who asked for it:
at most one mail a day each, whatever how often the command runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from review import daily
from review.models import ReviewSettings

logger = logging.getLogger(__name__)


@dataclass
class DigestReport:
    sent: list[str] = field(default_factory=list)  # usernames
    already: int = 0  # had today's mail
    nothing: int = 0  # nothing to review today
    no_email: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (username, reason)


def send_digests(base_url: str, now: datetime | None = None) -> DigestReport:
    now = now or timezone.now()
    today = daily.Day.of(now).today
    report = DigestReport()
    opted_in = (
        ReviewSettings.objects.filter(email_digest=True, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    for settings in opted_in:
        user = settings.user
        if not user.email:
            report.no_email += 1
            continue
        if settings.last_digest_on == today:
            report.already += 1
            continue
        cards = daily.todays_set(user, now, daily_count=settings.daily_count).cards
        if not cards:
            report.nothing += 1
            continue
        # Claim the day first (a conditional update), so two runs at once send one mail.
        claimed = ReviewSettings.objects.filter(pk=settings.pk).filter(
            Q(last_digest_on__isnull=True) | ~Q(last_digest_on=today)
        )
        if not claimed.update(last_digest_on=today):
            report.already += 1
            continue
        try:
            message(user, cards, base_url=base_url, today=today).send()
        except Exception as error:  # the mail server's, whatever it is: the next user goes on
            ReviewSettings.objects.filter(pk=settings.pk).update(
                last_digest_on=settings.last_digest_on
            )  # not sent: a later run tries again
            logger.warning("review digest for %s not sent: %s", user.username, error)
            report.failed.append((user.username, str(error) or type(error).__name__))
            continue
        report.sent.append(user.username)
    return report


def message(user, cards, *, base_url: str, today) -> EmailMultiAlternatives:
    context = {
        "user": user,
        "cards": cards,
        "today": today,
        "base_url": base_url.rstrip("/"),
    }
    mail = EmailMultiAlternatives(
        subject=f"每日回顾 Daily review · {today:%Y-%m-%d} · {len(cards)}",
        body=render_to_string("review/digest.txt", context),
        to=[user.email],
    )
    mail.attach_alternative(render_to_string("review/digest.html", context), "text/html")
    return mail
