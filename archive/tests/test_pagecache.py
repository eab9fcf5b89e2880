"""The page cache's two levels: this process's LRU, then the shared cache (Redis in
production, a local-memory cache standing in for it here), then rendering (archive.pagecache)."""

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from archive import views
from archive.importer import import_paths
from archive.models import Post
from archive.pagecache import pages

pytestmark = pytest.mark.django_db


class Spy:
    """Counts what the page cache asks of the shared cache."""

    def __init__(self, cache):
        self.cache, self.gets, self.sets = cache, 0, 0

    def get(self, key, default=None):
        self.gets += 1
        return self.cache.get(key, default)

    def set(self, key, value, timeout=None):
        self.sets += 1
        self.cache.set(key, value)


@pytest.fixture
def shared(settings, monkeypatch):
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "p"},
    }
    settings.PIZHU_SHARED_PAGE_CACHE = "pages"
    spy = Spy(caches["pages"])
    from archive import sharedpages

    monkeypatch.setattr(sharedpages, "caches", {"pages": spy})
    yield spy
    caches["pages"].clear()


@pytest.fixture
def renders(monkeypatch):
    """How many times the reader page was rendered, not served from a cache."""
    count = {"reader": 0}
    render = views._post_detail

    def counted(*args, **kwargs):
        count["reader"] += 1
        return render(*args, **kwargs)

    monkeypatch.setattr(views, "_post_detail", counted)
    return count


@pytest.fixture
def post(archive_dir):
    archive_dir.write(body="<p>正文。</p>", url="https://example.org/one")
    import_paths([archive_dir])
    return Post.objects.get()


def read(post, client=None):
    response = (client or Client()).get(f"/posts/{post.pk}/")
    assert response.status_code == 200
    return response.content


def test_a_rendered_page_is_kept_in_both_levels(shared, renders, post):
    page = read(post)
    assert renders["reader"] == 1 and shared.sets == 1
    assert len(pages.entries) == 1
    assert read(post) == page
    assert renders["reader"] == 1


def test_a_page_another_server_rendered_is_served_and_kept_here(shared, renders, post):
    page = read(post)
    pages.clear()  # as if this were another server, with its own empty LRU
    assert read(post) == page
    assert renders["reader"] == 1  # not rendered again
    assert shared.gets == 2  # the first miss, then the hit
    assert len(pages.entries) == 1  # the shared hit filled the local level
    assert read(post) == page
    assert shared.gets == 2  # a local hit never asks the shared cache


def test_a_change_is_a_new_page_on_every_server(shared, renders, post):
    read(post)
    pages.clear()
    # As the importer or the admin changes a post: its updated_at moves.
    Post.objects.filter(pk=post.pk).update(title="新标题 New title", updated_at=timezone.now())
    assert "新标题".encode() in read(post)
    assert renders["reader"] == 2


def test_an_error_page_is_kept_in_neither(shared, renders, post, monkeypatch):
    from django.http import HttpResponse

    monkeypatch.setattr(views, "_post_detail", lambda *args: HttpResponse("busy", status=503))
    assert Client().get(f"/posts/{post.pk}/").status_code == 503
    assert shared.sets == 0 and len(pages.entries) == 0


def test_without_a_shared_cache_no_cache_is_asked(settings, renders, post, monkeypatch):
    settings.PIZHU_SHARED_PAGE_CACHE = None
    from archive import sharedpages

    class NoCaches:
        def __getitem__(self, alias):
            raise AssertionError(f"caches[{alias!r}] was opened")

    monkeypatch.setattr(sharedpages, "caches", NoCaches())
    read(post)
    read(post)
    pages.clear()
    read(post)
    assert renders["reader"] == 2
