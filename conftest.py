"""Fixtures shared by every app's tests: personas, archives of posts, a real browser."""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from hypothesis import settings

# Property tests (test_properties.py). By default every run, CI's included, tries the same
# examples (derandomize): a push is judged on what it changed, never on a rare input that
# one run happened to draw, and a failure in CI is the same failure on a laptop.
# HYPOTHESIS_PROFILE=thorough explores instead: fresh random examples, 20 times as many,
# remembered in .hypothesis/ so that a failure found once is tried first next time.
# No deadline: CI machines are shared, and a slow example is not a wrong one.
settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("thorough", derandomize=False, deadline=None, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def examples(n: int) -> int:
    """``n`` examples at the default profile's 100, scaled with the profile's count."""
    return max(1, n * settings.default.max_examples // 100)


ROOT = Path(__file__).resolve().parent
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURE_POSTS = ROOT / "fixtures" / "posts"


def run_python(*args: str, env: dict, timeout: int = 60, **options) -> subprocess.CompletedProcess:
    """``python *args`` in the project's folder, as a user's shell would run it: a bare
    environment (only PATH) plus ``env``; output captured as text; ``options`` go to
    subprocess.run (check=True, preexec_fn...)."""
    return subprocess.run(  # noqa: S603 - the tests' own commands
        [sys.executable, *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        **{"check": False, **options},
    )


def render_post(
    *,
    title="测试文章",
    date="2024-01-02T03:04:05.000Z",
    author="测试员",
    url="https://example.org/post/1",
    tags="[ 示例日报 ]",
    categories="[ 示例日报 ]",
    body="<div><p>正文第一段。</p><p>第二段。</p></div>",
    header=True,
    extra_front_matter="",
) -> str:
    """A post in the generator's exact format; pass None to leave a field out."""
    lines = ["---", "layout: post"]
    for key, value in [
        ("title", f'"{title}"' if title is not None else None),
        ("date", date),
        ("author", author),
        ("from", url),
        ("tags", tags),
        ("comments", "True"),
        ("categories", categories),
    ]:
        if value is not None:
            lines.append(f"{key}: {value}")
    if extra_front_matter:
        lines.append(extra_front_matter)
    lines.append("---")
    if header:
        lines += ["<!--1704164645000-->", f"[{title}]({url})", "------", ""]
    return "\n".join(lines) + "\n" + body + "\n"


class ArchiveDir:
    """A temporary ``_posts`` folder and a helper that writes posts into it."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir()

    def write(self, name="2024-01-02-测试文章.md", content=None, **fields) -> Path:
        path = self.path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if content is not None else render_post(**fields), "utf-8")
        return path

    def __fspath__(self):
        return str(self.path)

    __str__ = __fspath__


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached pages (archive.pagecache) must not leak from one test into the next."""
    from archive.pagecache import pages

    pages.clear()


# --- Personas: an owner, another user, anonymous ------------------------------------------------


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner", "owner@example.org", "owner-password-1")


@pytest.fixture
def other(django_user_model):
    return django_user_model.objects.create_user("other", "other@example.org", "other-password-1")


# A reading group's personas (issue 15): alice owns ``team``, bob is a member, mod moderates
# it, carol owns ``other_team`` (of none of them), dave is in no group.


def _persona(name):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(name, f"{name}@example.org", f"{name}-password-1")


@pytest.fixture
def alice(db):
    return _persona("alice")


@pytest.fixture
def bob(db):
    return _persona("bob")


@pytest.fixture
def mod(db):
    return _persona("mod")


@pytest.fixture
def carol(db):
    return _persona("carol")


@pytest.fixture
def dave(db):
    return _persona("dave")


@pytest.fixture
def team(alice, bob, mod):
    """alice's group: alice owns it, bob is a member, mod moderates."""
    from groups import services
    from groups.models import Role

    group, invite = services.create_group(alice, "读书会 Reading club", "We read together.")
    services.join(bob, invite.token)
    services.join(mod, invite.get_absolute_url())
    services.set_role(group.memberships.get(user=alice), mod, Role.MODERATOR)
    return group


@pytest.fixture
def other_team(carol):
    """carol's own group, which none of team's members belong to."""
    from groups import services

    group, _ = services.create_group(carol, "Other club")
    return group


@pytest.fixture
def owner_client(owner):
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def other_client(other):
    client = Client()
    client.force_login(other)
    return client


@pytest.fixture
def anonymous_client():
    return Client()


@pytest.fixture
def token_key(owner):
    from accounts.models import ApiToken

    _, key = ApiToken.issue(owner, "script")
    return key


@pytest.fixture
def archive_dir(tmp_path):
    return ArchiveDir(tmp_path / "_posts")


@pytest.fixture
def corpus():
    if not CORPUS.is_dir():
        pytest.skip(f"real corpus not found at {CORPUS} (../shared is not part of the project)")
    return CORPUS


# --- Real-browser tests (Playwright driving Debian's Chromium) --------------------------------

CHROMIUM = Path(os.environ.get("PIZHU_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("PIZHU_REQUIRE_BROWSER"):
            pytest.fail(message)  # CI installs it: a missing browser must not pass silently
        pytest.skip(message)
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # around it are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab at desktop size; ``page.errors`` collects uncaught script errors and
    ``page.dialogs`` every alert/confirm/prompt that opened."""
    from archive import search

    # Browser tests commit for real; Django's flush between them does not know the search
    # table, and SQLite reuses post ids, so stale index rows would match new posts.
    search.clear()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    tab = context.new_page()
    tab.errors, tab.dialogs = [], []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))

    def on_dialog(dialog):
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    yield tab
    close_quietly(context)


def close_quietly(context) -> None:
    """Close a browser context without a last request. Leaving a reader page saves the
    reading position (a keepalive fetch, or sendBeacon, which Playwright cannot intercept):
    closing the tab would send it to a server whose test database is being torn down."""
    context.route("**/*", lambda route: route.abort())
    for open_tab in context.pages:
        with contextlib.suppress(Exception):  # a tab that is closed or mid-navigation
            open_tab.evaluate("navigator.sendBeacon = () => true")
    context.close()


def sign_in(tab, live_server, user) -> None:
    """Give the browser tab ``user``'s session, as if they had signed in."""
    from django.conf import settings as django_settings

    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    tab.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def save_screenshot(tab, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path
