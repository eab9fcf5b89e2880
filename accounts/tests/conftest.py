import pytest
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Rate-limit counts must not leak from one test into the next (test clients share the
    address 127.0.0.1, and user ids repeat after a rollback)."""
    caches[settings.PIZHU_LIMITS_CACHE].clear()
