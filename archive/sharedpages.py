"""The page cache's second level, shared by every app server: Redis, when CACHE_URL is set.

archive.pagecache looks in its own process first (a dict lookup: a hit never comes here),
then here, then renders and keeps the page in both. A page one server rendered is served by
all, and it is still never stale: the key is pagecache's, which holds every stamp the page
depends on, read from the database each server shares.

The key also holds the release (a digest of the code, templates and static files): during a
rolling deploy, servers of two versions must not serve each other's pages, whose markup and
static file names differ.

A Redis that fails is left alone for a while (PAUSE_SECONDS) instead of costing every page
a timeout; pages are rendered meanwhile, as without Redis.
"""

from __future__ import annotations

import hashlib
import logging
import time
from functools import cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import caches

log = logging.getLogger(__name__)

PAUSE_SECONDS = 10.0
# The files a page is made from (code, templates, scripts and styles), by suffix.
_SOURCE_SUFFIXES = frozenset({".py", ".html", ".txt", ".js", ".css", ".svg", ".json"})


def source_files(base: Path) -> list[Path]:
    """The files a page is made from: the project's own apps (folders of the project; a
    virtualenv inside it holds the others), config, the templates, the static files, and
    requirements.txt, which pins the rest. Tests and caches are left out."""
    roots = {Path(app.path) for app in apps.get_app_configs()}
    roots = {root for root in roots if root.parent == base}
    roots |= {base / "config", base / "templates", *map(Path, settings.STATICFILES_DIRS)}
    found = [base / "requirements.txt"]
    for root in roots:
        for path in root.rglob("*"):
            skipped = {"tests", "__pycache__"} & set(path.relative_to(base).parts)
            if path.suffix in _SOURCE_SUFFIXES and not skipped:
                found.append(path)
    return sorted(path for path in found if path.is_file())


@cache
def release() -> str:
    """A digest of ``source_files``, the same on every server of one release."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for path in source_files(base):
        digest.update(f"{path.relative_to(base)}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def shared_key(key: tuple) -> str:
    """The Redis key of pagecache's ``key`` (a tuple of str, int and None, whose repr is the
    same in every process)."""
    return f"{release()}:{hashlib.sha256(repr(key).encode()).hexdigest()}"


class SharedPages:
    """Pages in the cache ``settings.PIZHU_SHARED_PAGE_CACHE`` names (None: no shared level,
    and no cache is touched)."""

    def __init__(self):
        self.paused_until = 0.0

    def _cache(self):
        alias = settings.PIZHU_SHARED_PAGE_CACHE
        if not alias or time.monotonic() < self.paused_until:
            return None
        return caches[alias]

    def get(self, key: tuple) -> bytes | None:
        if (cache := self._cache()) is None:
            return None
        try:
            return cache.get(shared_key(key))
        except Exception as failure:
            self._failed(failure)
            return None

    def put(self, key: tuple, content: bytes) -> None:
        # As the local level: a page too big for it is not worth a round trip either.
        if len(content) > settings.PIZHU_PAGE_CACHE_BYTES // 8:
            return
        if (cache := self._cache()) is None:
            return
        try:
            cache.set(shared_key(key), content)
        except Exception as failure:
            self._failed(failure)

    def _failed(self, failure: Exception) -> None:
        self.paused_until = time.monotonic() + PAUSE_SECONDS
        log.error(
            "page cache: the shared cache failed, pages are rendered for %.0f s: %r",
            PAUSE_SECONDS,
            failure,
        )


shared = SharedPages()
