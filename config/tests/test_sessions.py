"""Sessions with a Redis: cached, kept in the database, and alive through an outage
(config.sessions)."""

import pytest
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client

pytestmark = pytest.mark.django_db


class UnreachableCache(LocMemCache):
    """A cache whose server is down: every call fails, as redis-py's do."""

    def get(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    set = add = delete = get


@pytest.fixture
def shared_sessions(settings):
    settings.SESSION_ENGINE = "config.sessions"


@pytest.fixture
def signed_in(shared_sessions, owner):
    client = Client()
    client.force_login(owner)
    return client


def is_signed_in(client) -> bool:
    response = client.get("/accounts/")
    return response.status_code == 200 and b"owner" in response.content


def test_a_session_is_read_from_the_cache_once_copied_there(signed_in):
    key = signed_in.cookies["sessionid"].value
    assert is_signed_in(signed_in)
    assert cache.get(KEY_PREFIX + key) is not None
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=key).update(session_data="")  # the database's copy
    assert is_signed_in(signed_in)  # read from the cache


def test_a_session_outlives_the_cache_being_emptied(signed_in):
    assert is_signed_in(signed_in)
    cache.clear()  # Redis restarted: it keeps nothing here
    assert is_signed_in(signed_in)


def test_a_session_outlives_the_cache_being_down(signed_in, settings):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.UnreachableCache"}}
    assert is_signed_in(signed_in)


def test_djangos_own_cached_db_fails_there(signed_in, settings):
    """Why config.sessions exists: the stock backend turns the outage into an error."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.UnreachableCache"}}
    signed_in.raise_request_exception = True
    with pytest.raises(ConnectionError):
        signed_in.get("/accounts/")


def test_signing_out_forgets_the_session_in_both(signed_in):
    key = signed_in.cookies["sessionid"].value
    assert is_signed_in(signed_in)
    signed_in.post("/accounts/logout/")
    assert cache.get(KEY_PREFIX + key) is None
    assert not is_signed_in(signed_in)
