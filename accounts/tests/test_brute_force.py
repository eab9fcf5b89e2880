"""Guessing passwords: a username is locked at an address after repeated failures (django-axes,
on our sign-in page and the admin's), an address that fails with many usernames is slowed
down, and whoever is stopped is told, in both languages, when to try again."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/login/"
ADMIN_SIGN_IN = "/admin/login/"
RIGHT = "owner-password-1"


def sign_in(client, username="owner", password="wrong-password", path=SIGN_IN, **extra):  # noqa: S107
    return client.post(path, {"username": username, "password": password}, **extra)


def signed_in(client) -> bool:
    return client.get("/accounts/").status_code == 200


def test_sixty_wrong_passwords_then_the_right_one_does_not_sign_in(owner):
    client = Client()
    statuses = [sign_in(client).status_code for _ in range(60)]
    assert statuses[:9] == [200] * 9  # the form, saying the password is wrong
    assert set(statuses[9:]) == {429}  # the tenth failure locks
    response = sign_in(client, password=RIGHT)
    assert response.status_code == 429
    assert not signed_in(client)
    # Attempts while locked neither count nor push the end of the lock further away.
    assert AccessAttempt.objects.get().failures_since_start == 10


def test_the_lockout_page_says_in_both_languages_when_to_try_again(owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        response = sign_in(client)
    assert response.status_code == 429
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    page = response.content.decode()
    assert "登录暂时锁定" in page and "Sign-in locked for now" in page
    assert "约 15 分钟" in page and "in about 15 minutes" in page
    assert 'href="/accounts/password_reset/"' in page  # a way out for who forgot it


def test_the_lock_lifts_after_the_cool_off(owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        sign_in(client)
    assert sign_in(client, password=RIGHT).status_code == 429
    attempt = AccessAttempt.objects.get()
    attempt.attempt_time -= timedelta(minutes=15, seconds=1)
    attempt.save()
    assert sign_in(client, password=RIGHT).status_code == 302
    assert signed_in(client)


def test_the_lock_holds_one_username_at_one_address(owner, other, settings):
    settings.AXES_FAILURE_LIMIT = 3
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        sign_in(attacker)
    assert sign_in(attacker, password=RIGHT).status_code == 429
    # The owner, elsewhere, is not locked out by someone guessing their password...
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), password=RIGHT).status_code == 302
    # ...nor is another user at the attacker's address.
    assert sign_in(attacker, "other", "other-password-1").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for n in range(3):
        sign_in(client, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = sign_in(client, password=RIGHT, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert response.status_code == 429


def test_behind_the_proxy_the_address_it_adds_is_the_one_locked(owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.BEHIND_TLS_PROXY = True
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    # The client may send its own X-Forwarded-For; the proxy appends the address it saw.
    for n in range(3):
        sign_in(proxy, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.9")
    assert sign_in(proxy, password=RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    assert sign_in(proxy, password=RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302


def test_the_admin_sign_in_is_locked_too(settings):
    settings.AXES_FAILURE_LIMIT = 3
    get_user_model().objects.create_superuser("boss", "boss@example.org", "boss-password-1")
    client = Client()
    for _ in range(3):
        response = sign_in(client, "boss", path=ADMIN_SIGN_IN)
    assert response.status_code == 429
    assert "Sign-in locked for now" in response.content.decode()
    assert sign_in(client, "boss", "boss-password-1", path=ADMIN_SIGN_IN).status_code == 429
    assert client.get("/admin/").status_code == 302  # still to the admin's sign-in page


def test_a_right_password_before_the_limit_clears_the_count(owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    sign_in(client)
    sign_in(client)
    assert sign_in(client, password=RIGHT).status_code == 302
    client.post("/accounts/logout/")
    sign_in(client)
    assert sign_in(client, password=RIGHT).status_code == 302


def test_a_password_reset_lifts_the_lock(owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        sign_in(client)
    owner.set_password("a-brand-new-pass-4")
    owner.save()
    assert sign_in(client, password="a-brand-new-pass-4").status_code == 302


def test_failed_sign_ins_from_one_address_are_slowed_down_across_usernames(owner, settings):
    settings.PIZHU_RATE_SIGNIN = "4/15m"
    client = Client()
    assert sign_in(client, password=RIGHT).status_code == 302  # a success does not count
    client.post("/accounts/logout/")
    for name in ("anna", "bob", "carl", "dora"):
        assert sign_in(client, name).status_code == 200
    response = sign_in(client, password=RIGHT)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "登录失败太多" in response.content.decode()
    assert not signed_in(client)
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), password=RIGHT).status_code == 302


def test_the_admin_sign_in_is_slowed_down_with_ours(settings):
    settings.PIZHU_RATE_SIGNIN = "2/15m"
    client = Client()
    sign_in(client, "anna")
    sign_in(client, "bob", path=ADMIN_SIGN_IN)
    assert sign_in(client, "carl", path=ADMIN_SIGN_IN).status_code == 429


def test_the_address_limit_page_never_promises_less_than_the_lock(owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(hours=2)
    settings.PIZHU_RATE_SIGNIN = "4/h"
    client = Client()
    for _ in range(4):
        sign_in(client)  # the third locks; the fourth is refused by the lock and counted
    response = sign_in(client, password=RIGHT)
    assert "登录失败太多" in response.content.decode()  # the address limit answered
    assert int(response["Retry-After"]) > 3600  # yet it gives the lock's end, not the hour's
