"""The shared services' URLs: Redis for caches and sessions, a read replica (config.backends)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import backends

PRIMARY_PG = backends.parse_database_url(
    "DATABASE_URL", "postgres://pizhu@db.example:5432/pizhu", conn_max_age=60
)


def test_cache_url_is_read_from_the_first_name_set():
    names = backends.CACHE_URL_NAMES
    assert names[0] == "CACHE_URL"
    environ = {"REDIS_URL": "redis://c/0", "PIZHU_CACHE_URL": "redis://b/0", "CACHE_URL": "  "}
    assert backends.first_set(environ, names) == ("PIZHU_CACHE_URL", "redis://b/0")
    environ["CACHE_URL"] = "redis://a/0"
    assert backends.first_set(environ, names) == ("CACHE_URL", "redis://a/0")
    assert backends.first_set({"REDIS_URL": "redis://c/0"}, names) == ("REDIS_URL", "redis://c/0")
    assert backends.first_set({}, names) is None


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "redis://redis.internal",
        "rediss://:s3cret@cache.example:6380/2",
        "redis://user:pw@cache.example/3?socket_timeout=1",
        "unix:///run/redis/redis.sock?db=1",
    ],
)
def test_redis_urls_redis_py_can_use_are_accepted(url):
    assert backends.check_redis_url("CACHE_URL", url) == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:6379/0", "must be a redis://, rediss:// or unix:// URL"),
        ("127.0.0.1:6379", "must be a redis://, rediss:// or unix:// URL"),
        ("redis://127.0.0.1:port/0", "the port in 'redis://127.0.0.1:port/0' is not a number"),
        ("redis:///0", "names no host"),
        ("redis://127.0.0.1:6379/cache", "the database in"),
        ("unix://", "names no socket path"),
    ],
)
def test_a_bad_redis_url_is_refused_naming_the_variable(url, message):
    with pytest.raises(ImproperlyConfigured, match=r"^REDIS_URL") as refused:
        backends.check_redis_url("REDIS_URL", url)
    assert message in str(refused.value)


def test_a_refused_url_never_shows_its_password():
    with pytest.raises(ImproperlyConfigured) as refused:
        backends.check_redis_url("CACHE_URL", "redis://:hunter2@cache.example:port/0")
    assert "hunter2" not in str(refused.value) and ":***@" in str(refused.value)
    with pytest.raises(ImproperlyConfigured) as refused:
        backends.parse_database_url("DATABASE_URL", "postgress://pizhu:hunter2@db/pizhu")
    assert "hunter2" not in str(refused.value)
    assert str(refused.value).startswith("DATABASE_URL is not a database URL")


def test_redis_caches_keep_pages_apart_from_counters_and_sessions():
    caches = backends.redis_caches("redis://cache.example:6379/1", prefix="blog")
    assert set(caches) == {"default", "pages"}
    for alias in caches.values():
        assert alias["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
        assert alias["LOCATION"] == "redis://cache.example:6379/1"
        assert alias["OPTIONS"]["socket_timeout"] <= 1  # a hanging Redis hangs no request
    assert caches["default"]["KEY_PREFIX"] != caches["pages"]["KEY_PREFIX"]
    assert caches["pages"]["TIMEOUT"] == backends.SHARED_PAGE_SECONDS


def test_a_replica_takes_the_primarys_engine_and_options_and_mirrors_it_in_tests():
    replica = backends.replica_database("postgres://reader@replica.example/pizhu", PRIMARY_PG)
    assert replica["HOST"] == "replica.example" and replica["USER"] == "reader"
    assert replica["CONN_MAX_AGE"] == 60
    assert replica["TEST"] == {"MIRROR": "default"}
    # A write sent there by mistake fails even where the "replica" is the primary itself.
    assert replica["OPTIONS"]["options"] == "-c default_transaction_read_only=on"

    sqlite = backends.parse_database_url("DATABASE_URL", "sqlite:////srv/pizhu.sqlite3")
    sqlite["OPTIONS"] = {"timeout": 5}
    copy = backends.replica_database("sqlite:////mnt/copy/pizhu.sqlite3", sqlite)
    assert copy["NAME"] == "/mnt/copy/pizhu.sqlite3" and copy["OPTIONS"] == {"timeout": 5}


def test_a_replica_keeps_options_given_in_its_url():
    replica = backends.replica_database(
        "postgres://reader@replica.example/pizhu?options=-c%20statement_timeout%3D5000",
        PRIMARY_PG,
    )
    assert replica["OPTIONS"]["options"] == (
        "-c statement_timeout=5000 -c default_transaction_read_only=on"
    )


def test_a_replica_on_another_engine_or_no_database_url_is_refused():
    with pytest.raises(ImproperlyConfigured, match="same engine"):
        backends.replica_database("sqlite:////srv/pizhu.sqlite3", PRIMARY_PG)
    with pytest.raises(ImproperlyConfigured, match=r"^DATABASE_REPLICA_URL is not a database URL"):
        backends.replica_database("replica.example:5432", PRIMARY_PG)
