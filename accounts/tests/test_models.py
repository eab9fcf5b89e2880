"""accounts.models: personal API tokens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_a_token_finds_its_user_and_notes_its_use(owner):
    token, key = ApiToken.issue(owner, "script")
    assert ApiToken.objects.user_for(key) == owner
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert ApiToken.objects.user_for(key + "x") is None
    assert ApiToken.objects.user_for(key.removeprefix("pz_")) is None


def test_last_use_is_written_at_most_once_a_minute(owner, django_assert_num_queries):
    token, key = ApiToken.issue(owner, "script")
    ApiToken.objects.user_for(key)
    with django_assert_num_queries(1):  # the lookup alone
        ApiToken.objects.user_for(key)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(hours=1))
    with django_assert_num_queries(2):
        ApiToken.objects.user_for(key)


def test_an_inactive_users_token_is_refused(owner):
    _, key = ApiToken.issue(owner, "script")
    owner.is_active = False
    owner.save()
    assert ApiToken.objects.user_for(key) is None
