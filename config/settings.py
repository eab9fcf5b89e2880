"""Pizhu settings. Everything that differs between machines comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

from config import backends
from config.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("PIZHU_DATA_DIR", str(BASE_DIR / "data")))

DEBUG = env_bool("DEBUG", False)

# A development key only while DEBUG is on. Without DEBUG and without a key, SECRET_KEY stays
# empty: Django refuses any use of it, and config.serving refuses to serve at all, while
# commands that need no key (makemigrations, check) still run on a bare shell.
_DEV_SECRET_KEY = "django-insecure-pizhu-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "taggit",
    "csp",
    "axes",  # sign-in failures and lockouts (accounts.limits)
    "archive",
    "annotations",
    "library",
    "review",
    "groups",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.refuse_nul_in_query",  # after auth: its page shows who is signed in
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.limits.FormRateLimitMiddleware",  # after auth: token creation counts per user
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into a page
]

ROOT_URLCONF = "config.urls"
# Only settings.py may tell a real key from the development one.
USING_DEVELOPMENT_SECRET_KEY = SECRET_KEY == _DEV_SECRET_KEY
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.accounts",
                "groups.header.header",  # lazy: my groups and unread replies
            ],
        },
    },
]

# SQLite is the embedded default; PostgreSQL (DATABASE_URL=postgres://...) is the scale-out path.
_DEFAULT_SQLITE = f"sqlite:///{DATA_DIR / 'pizhu.sqlite3'}"
DATABASES = {
    "default": backends.parse_database_url(
        "DATABASE_URL",
        env_str("DATABASE_URL", _DEFAULT_SQLITE) or _DEFAULT_SQLITE,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # a file cannot drop the connection
    # Persistent connections (DB_CONN_MAX_AGE) matter most here: opening SQLite and running
    # the PRAGMAs below cost more than a cached page's one query. An idle connection holds no
    # read transaction, so it never blocks the WAL checkpoint.
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run while the importer writes; IMMEDIATE avoids the
        # "database is locked" upgrade deadlock between two writers.
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=5000;"
            "PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 5,
    }

# An optional read replica: the list, reader and search pages read the archive there
# (config.routers); everything else reads and writes the primary.
if _REPLICA_URL := env_str("DATABASE_REPLICA_URL").strip():
    DATABASES["replica"] = backends.replica_database(_REPLICA_URL, DATABASES["default"])
    DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security. Safe by default; the TLS-terminating proxy case is explained in the README.
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin: nothing leaves for other sites (every article link and image also carries its
# own no-referrer), while our own forms keep a real Origin header, which Django's CSRF check
# needs (under no-referrer, browsers send "Origin: null" and every sign-in would fail).
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The reader's scripts send the CSRF token from this cookie (pages are cached, so the token
# cannot be written into them); Django's docs explain why HttpOnly adds nothing here.
CSRF_COOKIE_HTTPONLY = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is a commitment made by submitting the domain to browser vendors: opt in only.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

TAGGIT_CASE_INSENSITIVE = True
PIZHU_POSTS_PER_PAGE = env_int("PIZHU_POSTS_PER_PAGE", 30)
PIZHU_MAX_POST_BYTES = env_int("PIZHU_MAX_POST_BYTES", 5_000_000)  # import_posts refuses more
# Rendered pages kept by each server process (archive.pagecache), in bytes.
PIZHU_PAGE_CACHE_BYTES = env_int("PIZHU_PAGE_CACHE_BYTES", 32_000_000)

# Accounts. Sign-up can be closed (PIZHU_SIGNUP_OPEN=0) once everyone who reads is in.
PIZHU_SIGNUP_OPEN = env_bool("PIZHU_SIGNUP_OPEN", True)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "archive:post_list"
LOGOUT_REDIRECT_URL = "archive:post_list"
# Password-reset mail goes to the console unless a real backend is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "pizhu@localhost")

# Brute-force protection and rate limits (accounts/limits.py; the README's Settings table).
# django-axes locks a username at one address after repeated failed sign-ins, on our form and
# the admin's; its records are in the database, so every server process sees them. Per
# username *and* address: nobody can lock a person out from elsewhere, and a shared address
# (an office, a proxy left unconfigured) does not lock everyone; guessing across usernames
# from one address is slowed by PIZHU_RATE_SIGNIN instead.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked sign-in before checking
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("PIZHU_LOCKOUT_FAILURES", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PIZHU_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a right password clears that username's failures there
# Failures during a lock do not extend it, so the time the lockout page gives holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.limits.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.limits.client_address"  # X-Forwarded-For only behind the proxy
AXES_DISABLE_ACCESS_LOG = True  # failures are what locks need; no log of every sign-in's address
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
# Rates: "count/period" (5/h, 30/15m, 600/m) or "off"; checked at start-up.
PIZHU_RATE_SIGNIN = env_str("PIZHU_RATE_SIGNIN", "30/15m")  # failed sign-ins per address
PIZHU_RATE_SIGNUP = env_str("PIZHU_RATE_SIGNUP", "5/h")  # accounts made per address
PIZHU_RATE_RESET = env_str("PIZHU_RATE_RESET", "5/h")  # per address, per email
PIZHU_RATE_TOKENS = env_str("PIZHU_RATE_TOKENS", "20/h")  # tokens made per user
PIZHU_RATE_API = env_str("PIZHU_RATE_API", "600/m")  # API requests per user (else per address)
PIZHU_RATE_IMPORTS = env_str("PIZHU_RATE_IMPORTS", "20/h")  # files of notes imported per user
PIZHU_RATE_INVITES = env_str("PIZHU_RATE_INVITES", "30/h")  # attempts to join a group per user
# Several app servers (the README's "Deployment with several app servers"): CACHE_URL =
# redis://host:6379/0 (PIZHU_CACHE_URL and REDIS_URL are read too) shares the rate-limit
# counters (exactly, under concurrency), the sessions and the rendered pages between them.
# Without it the counters are files in DATA_DIR, which the server processes of one machine
# share (gunicorn's workers count together), and each process keeps its own pages.
_REDIS = backends.first_set(os.environ, backends.CACHE_URL_NAMES)
if _REDIS:
    CACHES = backends.redis_caches(
        backends.check_redis_url(*_REDIS), prefix=env_str("CACHE_KEY_PREFIX", "pizhu")
    )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            # Not the default 300: culling drops a third of the counts at random.
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
PIZHU_LIMITS_CACHE = "default"
# The pages' shared level (archive.sharedpages), after each process's own (None: none).
PIZHU_SHARED_PAGE_CACHE = "pages" if _REDIS else None
# With Redis, cached_db rather than sessions in the cache alone: a session is read from
# Redis, and Redis can be emptied or restarted (it persists nothing here) without signing
# everyone out; writes, rare (signing in and out), go to the database as well.
SESSION_ENGINE = backends.SHARED_SESSIONS if _REDIS else backends.DB_SESSIONS

# Annotation limits, enforced by the API with a clear error.
PIZHU_MAX_QUOTE_CHARS = env_int("PIZHU_MAX_QUOTE_CHARS", 10000)
PIZHU_MAX_NOTE_CHARS = env_int("PIZHU_MAX_NOTE_CHARS", 20000)
PIZHU_MAX_TAGS = env_int("PIZHU_MAX_TAGS", 20)
PIZHU_MAX_TAG_CHARS = env_int("PIZHU_MAX_TAG_CHARS", 50)
PIZHU_API_PAGE_SIZE = 200
# A request to the API is read only up to this size (a note and a quote at their limits fit
# well inside); larger is a 413 before any parsing.
PIZHU_API_MAX_BODY_BYTES = env_int("PIZHU_API_MAX_BODY_BYTES", 1_000_000)
# Annotations in one JSON-LD file for import_notes (a bigger file is split by its owner).
PIZHU_MAX_RESTORE_ITEMS = env_int("PIZHU_MAX_RESTORE_ITEMS", 100_000)
# A file of notes to import (import_notes, the account page's upload) is refused above this
# size before it is read. An upload is imported within the request (about 5 ms a note).
PIZHU_MAX_IMPORT_BYTES = env_int("PIZHU_MAX_IMPORT_BYTES", 5_000_000)
# Where exports made from the command line link back to (pages use the request's host).
PIZHU_BASE_URL = env_str("PIZHU_BASE_URL", "http://127.0.0.1:8000")
# Remote images in articles: "load" (default; never with a referrer), "click" (a placeholder
# loads its image when clicked), or "off" (a placeholder only: nothing leaves the machine).
PIZHU_REMOTE_IMAGES = env_choice("PIZHU_REMOTE_IMAGES", ("load", "click", "off"), "load")

# Content-Security-Policy (django-csp): every script and style is a file of our own, so no
# inline code runs, whatever an imported article or a note might smuggle in.
_IMAGE_SOURCES = (
    ("'self'", "data:") if PIZHU_REMOTE_IMAGES == "off" else ("'self'", "data:", "https:", "http:")
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ("'self'",),
        "script-src": ("'self'",),
        "style-src": ("'self'",),
        "img-src": _IMAGE_SOURCES,
        "font-src": ("'self'",),
        "connect-src": ("'self'",),
        "media-src": ("'none'",),
        "object-src": ("'none'",),
        "frame-src": ("'none'",),
        "frame-ancestors": ("'none'",),
        "base-uri": ("'none'",),
        "form-action": ("'self'",),
    }
}
