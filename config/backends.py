"""The services that several app servers share, from their URLs in the environment: a Redis
for the caches and sessions (CACHE_URL) and a read replica of the database
(DATABASE_REPLICA_URL). The README's "Deployment with several app servers" shows them together.

Plain functions of their inputs, so that settings.py stays declarative and the tests can try
every URL without starting Django. A URL that cannot work is refused at start-up, naming the
variable: a typo must not surface as a cache that is silently not shared, or as the first
request's traceback. Passwords in a URL never appear in the message.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

# The names the Redis URL is read from, first set first: CACHE_URL is the documented one;
# PIZHU_CACHE_URL and REDIS_URL were read before it and keep working (a platform that
# provisions a Redis often sets REDIS_URL by itself).
CACHE_URL_NAMES = ("CACHE_URL", "PIZHU_CACHE_URL", "REDIS_URL")
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
# A page in the shared level outlives no change (its key holds the archive's stamp), so this
# only bounds how long pages nobody asks for any more take up Redis's memory.
SHARED_PAGE_SECONDS = 24 * 3600
# cached_db, made to live through a Redis outage too (config.sessions).
SHARED_SESSIONS = "config.sessions"
DB_SESSIONS = "django.contrib.sessions.backends.db"


def hide_password(url: str) -> str:
    """``url`` as it may be printed: the password, if any, replaced by ***."""
    return re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", url)


def first_set(environ, names: tuple[str, ...]) -> tuple[str, str] | None:
    """(name, value) of the first of ``names`` set to something other than blanks."""
    for name in names:
        value = (environ.get(name) or "").strip()
        if value:
            return name, value
    return None


def check_redis_url(name: str, url: str) -> str:
    """``url`` when redis-py can connect with it (redis://, rediss:// or unix://, a host or a
    socket path, a numeric port and database), else ImproperlyConfigured naming ``name``."""
    shown = hide_password(url)
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured(
            f"{name} must be a redis://, rediss:// or unix:// URL (such as "
            f"redis://127.0.0.1:6379/0), got {shown!r}"
        )
    try:
        parts.port  # noqa: B018 - urllib checks the port only when asked
    except ValueError:
        raise ImproperlyConfigured(f"{name}: the port in {shown!r} is not a number") from None
    if parts.scheme == "unix":
        if not parts.path:
            raise ImproperlyConfigured(f"{name}: {shown!r} names no socket path")
        database = parse_qs(parts.query).get("db", ["0"])[0]
    else:
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}: {shown!r} names no host")
        database = parts.path.strip("/") or parse_qs(parts.query).get("db", ["0"])[0]
    if not database.isdigit():
        raise ImproperlyConfigured(
            f"{name}: the database in {shown!r} must be a number (redis://host:6379/0)"
        )
    return url


def redis_caches(url: str, prefix: str) -> dict:
    """CACHES for a Redis at ``url``: "default" holds the rate-limit counters and the
    sessions' cached copies, "pages" the rendered pages (archive.sharedpages), apart so
    that each has its own lifetime and emptying the pages resets no limit."""
    common = {
        "BACKEND": REDIS_CACHE,
        "LOCATION": url,
        # A Redis that hangs must not hang requests: each user of the cache goes on
        # without it (the limiter lets the request through, a page is rendered).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    return {
        "default": {**common, "KEY_PREFIX": prefix},
        "pages": {**common, "KEY_PREFIX": f"{prefix}-pages", "TIMEOUT": SHARED_PAGE_SECONDS},
    }


def parse_database_url(name: str, url: str, **options) -> dict:
    """dj_database_url's settings for ``url``, or ImproperlyConfigured naming ``name``."""
    try:
        return dj_database_url.parse(url, **options)
    except Exception as problem:  # its errors are of several classes, none of them Django's
        raise ImproperlyConfigured(
            f"{name} is not a database URL such as postgres://user@host:5432/pizhu or "
            f"sqlite:////path/to/pizhu.sqlite3: {hide_password(url)!r} ({problem})"
        ) from None


def replica_database(url: str, primary: dict, name: str = "DATABASE_REPLICA_URL") -> dict:
    """The settings of a read replica at ``url`` of the ``primary`` database: the same engine
    and connection options, never migrated, and a mirror of the primary in tests (Django
    then creates no test database for it)."""
    replica = parse_database_url(
        name,
        url,
        conn_max_age=primary.get("CONN_MAX_AGE", 0),
        conn_health_checks=primary.get("CONN_HEALTH_CHECKS", False),
    )
    if replica["ENGINE"] != primary["ENGINE"]:
        raise ImproperlyConfigured(
            f"{name} must be a replica of DATABASE_URL's database, on the same engine: "
            f"{replica['ENGINE']} is not {primary['ENGINE']}"
        )
    replica["OPTIONS"] = {**primary.get("OPTIONS", {}), **replica.get("OPTIONS", {})}
    if replica["ENGINE"] == "django.db.backends.postgresql":
        # Read-only sessions: a write routed here by mistake fails at once, as it would on a
        # real standby, rather than succeed where the replica is the primary itself (tests).
        options = replica["OPTIONS"].get("options", "")
        replica["OPTIONS"]["options"] = f"{options} -c default_transaction_read_only=on".strip()
    replica["TEST"] = {"MIRROR": "default"}
    return replica
