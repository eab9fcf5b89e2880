"""The page cache's shared level: its keys, the release in them, and a failing Redis
(archive.sharedpages)."""

import pytest
from django.core.cache.backends.locmem import LocMemCache

from archive import sharedpages
from archive.sharedpages import SharedPages, release, shared_key, source_files

KEY = ("/posts/1/", "script=hant", "2024-01-02 03:04:05+00:00", "load", 7, "g1|r2", "hant")


class Failing(LocMemCache):
    calls = 0

    def get(self, *args, **kwargs):
        Failing.calls += 1
        raise ConnectionError("Redis went away")

    set = get


@pytest.fixture
def failing(settings):
    Failing.calls = 0
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": f"{__name__}.Failing"},
    }
    settings.PIZHU_SHARED_PAGE_CACHE = "pages"
    return SharedPages()


def test_a_shared_key_is_a_digest_of_every_part_of_the_local_key():
    assert shared_key(KEY) == shared_key(tuple(KEY))  # the same in every process: no hash()
    assert shared_key(KEY).startswith(f"{release()}:")
    for index in range(len(KEY)):
        changed = (*KEY[:index], f"{KEY[index]}'", *KEY[index + 1 :])
        assert shared_key(changed) != shared_key(KEY), index
    assert shared_key((*KEY[:4], None, *KEY[5:])) != shared_key((*KEY[:4], "None", *KEY[5:]))


@pytest.fixture
def project(tmp_path, settings):
    """A project folder of its own: templates, static files, config."""
    for name, text in [
        ("requirements.txt", "Django==5.2\n"),
        ("templates/base.html", "<html>{% block body %}{% endblock %}</html>"),
        ("static/js/app.js", "console.log(1)"),
        ("config/settings.py", "DEBUG = False"),
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    settings.BASE_DIR = tmp_path
    settings.STATICFILES_DIRS = [tmp_path / "static"]
    release.cache_clear()
    yield tmp_path
    release.cache_clear()


def test_the_release_changes_with_a_template_a_script_or_a_requirement(project):
    assert [p.relative_to(project).as_posix() for p in source_files(project)] == [
        "config/settings.py",
        "requirements.txt",
        "static/js/app.js",
        "templates/base.html",
    ]
    first = release()
    for name in ["templates/base.html", "static/js/app.js", "requirements.txt"]:
        (project / name).write_text((project / name).read_text() + " ")
        release.cache_clear()
        assert release() != first, name
        first = release()


def test_the_release_ignores_tests_and_compiled_files(project):
    first = release()
    (project / "config/tests").mkdir()
    (project / "config/tests/test_x.py").write_text("def test(): pass")
    (project / "config/__pycache__").mkdir()
    (project / "config/__pycache__/settings.cpython-311.pyc").write_bytes(b"\0")
    (project / "config/settings.py.orig").write_text("left over")
    release.cache_clear()
    assert release() == first


def test_without_a_shared_cache_nothing_is_touched(settings, monkeypatch):
    settings.PIZHU_SHARED_PAGE_CACHE = None

    class NoCaches:
        def __getitem__(self, alias):
            raise AssertionError(f"caches[{alias!r}] was opened")

    monkeypatch.setattr(sharedpages, "caches", NoCaches())
    level = SharedPages()
    assert level.get(KEY) is None
    level.put(KEY, b"<html>")


def test_a_failing_redis_is_left_alone_for_a_while(failing, monkeypatch, caplog):
    now = [1000.0]
    monkeypatch.setattr(sharedpages.time, "monotonic", lambda: now[0])
    assert failing.get(KEY) is None  # no error: the page is rendered instead
    assert Failing.calls == 1
    assert "the shared cache failed" in caplog.text
    failing.put(KEY, b"<html>")
    assert failing.get(KEY) is None
    assert Failing.calls == 1  # paused: no timeout per page
    now[0] += sharedpages.PAUSE_SECONDS + 1
    failing.put(KEY, b"<html>")
    assert Failing.calls == 2  # tried again


def test_a_page_too_big_for_the_local_level_is_not_shared_either(settings):
    settings.CACHES = {**settings.CACHES, "pages": {"BACKEND": f"{__name__}.Failing"}}
    settings.PIZHU_SHARED_PAGE_CACHE = "pages"
    settings.PIZHU_PAGE_CACHE_BYTES = 8000
    Failing.calls = 0
    SharedPages().put(KEY, b"x" * 1001)
    assert Failing.calls == 0
