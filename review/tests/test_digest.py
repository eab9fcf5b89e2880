"""send_review_digest: today's set by mail to those who asked, once a day."""

from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from review import daily, digest
from review.models import ReviewSettings

pytestmark = pytest.mark.django_db

BASE = "https://pizhu.example.org"


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def run(*args) -> str:
    out = StringIO()
    call_command("send_review_digest", "--base-url", BASE, *args, stdout=out)
    return out.getvalue()


def opt_in(user, daily_count=5):
    daily.save_settings(user, daily_count=daily_count, email_digest=True)


def test_an_opted_in_reader_gets_one_mail_with_the_quotes_and_absolute_links(
    owner, make_annotations
):
    made = make_annotations(owner, 3)
    opt_in(owner, daily_count=2)
    assert "sent 1" in run()
    (message,) = mail.outbox
    assert message.to == ["owner@example.org"]
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    for annotation in made[:2]:
        link = f"{BASE}{annotation.get_absolute_url()}"
        assert annotation.exact in message.body and link in message.body
        assert annotation.exact in html and f'href="{link}"' in html
    assert made[2].exact not in message.body  # the third is not today's
    assert f"{BASE}/review/" in message.body


def test_a_second_run_the_same_day_sends_nothing(owner, make_annotations):
    make_annotations(owner, 2)
    opt_in(owner)
    run()
    assert "sent 0, already sent today 1" in run()
    assert len(mail.outbox) == 1


def test_readers_who_did_not_opt_in_or_have_no_address_get_nothing(owner, other, make_annotations):
    make_annotations(owner, 2)
    make_annotations(other, 2)
    daily.save_settings(owner, daily_count=5, email_digest=False)
    other.email = ""
    other.save()
    opt_in(other)
    assert "sent 0" in run() and "no email address 1" in run()
    assert mail.outbox == []


def test_nothing_to_review_sends_no_mail_and_a_later_run_may_still_send(owner, posts):
    opt_in(owner)
    assert "nothing to review 1" in run()
    from review.tests.conftest import annotate

    annotate(owner, posts[0], "增长放缓")
    assert "sent 1" in run()
    assert len(mail.outbox) == 1


def test_a_failed_send_is_named_and_tried_again_next_run(owner, other, make_annotations):
    make_annotations(owner, 1)
    make_annotations(other, 1)
    opt_in(owner)
    opt_in(other)
    real = digest.message

    def failing_for_owner(user, *args, **kwargs):
        made = real(user, *args, **kwargs)
        if user == owner:
            made.send = mock.Mock(side_effect=OSError("connection refused"))
        return made

    errors = StringIO()
    with mock.patch.object(digest, "message", failing_for_owner), pytest.raises(CommandError):
        call_command("send_review_digest", "--base-url", BASE, stderr=errors)
    assert "owner: not sent: connection refused" in errors.getvalue()
    assert [m.to for m in mail.outbox] == [["other@example.org"]]  # the rest went on
    assert ReviewSettings.objects.get(user=owner).last_digest_on is None
    assert "sent 1" in run()
    assert len(mail.outbox) == 2


def test_a_base_url_that_is_not_http_is_refused(owner):
    with pytest.raises(CommandError, match="--base-url"):
        call_command("send_review_digest", "--base-url", "javascript:alert(1)")


def test_a_run_that_another_run_overtook_sends_nothing(owner, make_annotations):
    make_annotations(owner, 1)
    opt_in(owner)
    real = daily.todays_set

    def while_another_run_claims_the_day(user, now, **kwargs):
        chosen = real(user, now, **kwargs)
        ReviewSettings.objects.filter(user=user).update(last_digest_on=daily.Day.of(now).today)
        return chosen

    with mock.patch.object(daily, "todays_set", while_another_run_claims_the_day):
        assert "sent 0, already sent today 1" in run()
    assert mail.outbox == []
