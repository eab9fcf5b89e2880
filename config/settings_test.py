"""Settings for the test suite: the real settings, with a throwaway key and fast hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

from config import backends
from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
SECURE_SSL_REDIRECT = False
STATIC_ROOT.mkdir(exist_ok=True)  # noqa: F405 - WhiteNoise warns on every request without it

# Rate limits: generous, so that tests about something else (the API's, sign-ups in browser
# tests) are never refused; the limiter itself stays on, and the tests of the limits set
# their own rates (accounts/tests). The counters are this process's own, whatever the
# environment says: a test run never writes into a shared Redis unless a test asks for it.
PIZHU_RATE_SIGNIN = PIZHU_RATE_SIGNUP = PIZHU_RATE_RESET = "100000/m"
PIZHU_RATE_TOKENS = PIZHU_RATE_API = PIZHU_RATE_INVITES = "100000/m"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Likewise the pages (each process's own, no shared level) and the sessions (the database's).
PIZHU_SHARED_PAGE_CACHE = None
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# A read replica that is the test database itself (Django's test mirror), as
# DATABASE_REPLICA_URL=<DATABASE_URL> would add it. No router: only the tests that name it
# send reads there (config/tests/test_routers.py), so every other test runs as without one.
DATABASES["replica"] = backends.replica_database(  # noqa: F405
    os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'pizhu.sqlite3'}",  # noqa: F405
    DATABASES["default"],  # noqa: F405
)
DATABASE_ROUTERS = []
