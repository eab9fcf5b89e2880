"""Two real app servers (two gunicorn processes) on one database and one Redis, as behind a
load balancer: what is done through one is seen through the other at once (issue 18 §4).

The database is the test run's: on PostgreSQL the test database itself, on SQLite a copy
of the in-memory test database in a file, which two processes can share. Server B also
reads through a read replica that is the same database (DATABASE_REPLICA_URL), so the
router runs in a real server. Redis is the machine's (PIZHU_TEST_REDIS_URL, else CACHE_URL or
REDIS_URL, else redis://127.0.0.1:6379/0), under a key prefix of this run's own, whose keys
are deleted afterwards. Without a Redis the tests are skipped, unless PIZHU_REQUIRE_REDIS=1
(CI), where that is a failure.
"""

from __future__ import annotations

import http.client
import json
import os
import pickle
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.db import connections

from config import backends
from conftest import ROOT, ArchiveDir, run_python

# The tests talk to the servers only; the mark has pytest-django set up the test database,
# which the servers share (the module's fixtures commit to it, and flush it afterwards).
pytestmark = pytest.mark.django_db

PASSWORD = "reader-password-1"  # noqa: S105 - the test reader's
SIGN_IN_FAILURES = 3  # PIZHU_RATE_SIGNIN on both servers
# Long windows: a fixed window that turned over mid-test would forgive the count.
SIGN_IN_RATE = f"{SIGN_IN_FAILURES}/100d"
BODY = "<p>第一段讲经济。</p><p>第二段讲飞弹和台灣。</p>"


def redis_url() -> str:
    found = backends.first_set(os.environ, ("PIZHU_TEST_REDIS_URL", *backends.CACHE_URL_NAMES))
    return found[1] if found else "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def redis():
    import redis as redis_py

    url = redis_url()
    client = redis_py.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis_py.RedisError as problem:
        message = f"no Redis at {backends.hide_password(url)} ({problem})"
        if os.environ.get("PIZHU_REQUIRE_REDIS") == "1":
            pytest.fail(f"{message}, and PIZHU_REQUIRE_REDIS=1")
        pytest.skip(f"{message}: the two-server tests need one")
    prefix = f"pizhu-test-{secrets.token_hex(6)}"
    yield client, url, prefix
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def database_url(django_db_setup, django_db_blocker, tmp_path_factory):
    """A URL both servers can open, of a migrated database."""
    with django_db_blocker.unblock():
        primary = connections["default"]
        name = primary.settings_dict["NAME"]
        in_memory = primary.vendor == "sqlite" and primary.is_in_memory_db()
        assert in_memory or name.startswith("test_"), f"{name} is not the test database"
        if primary.vendor == "postgresql":
            primary.close()  # its test database, as the servers will see it
            settings = primary.settings_dict
            yield "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(**settings)
            from django.core.management import call_command

            from archive import search

            call_command("flush", interactive=False, verbosity=0)  # as a transactional test
            search.clear()
            return
        path = tmp_path_factory.mktemp("two-servers") / "pizhu.sqlite3"
        primary.ensure_connection()
        copy = sqlite3.connect(path)
        primary.connection.backup(copy)  # the migrated schema, at once
        copy.close()
        yield f"sqlite:///{path}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def server_env(redis, database_url, data_dir: Path) -> dict:
    _, url, prefix = redis
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",  # static files without collectstatic; nothing else here depends on it
        "SECRET_KEY": "two-servers-" + "k" * 50,  # one key for both, as in a deployment
        "DATABASE_URL": database_url,
        "CACHE_URL": url,
        "CACHE_KEY_PREFIX": prefix,
        "PIZHU_DATA_DIR": str(data_dir),
        "PIZHU_RATE_SIGNIN": SIGN_IN_RATE,
        # Behind a load balancer: each browser below comes from its own address.
        "BEHIND_TLS_PROXY": "1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
    }


@pytest.fixture(scope="module")
def seeded(redis, database_url, tmp_path_factory):
    """Two posts and a reader, written as the import is: by a command on one machine."""
    folder = tmp_path_factory.mktemp("posts")
    posts = ArchiveDir(folder / "_posts")
    for n in (1, 2):
        posts.write(
            f"2024-01-0{n}-p{n}.md",
            title=f"第{n}篇",
            url=f"https://example.org/{n}",
            date=f"2024-01-0{n}T00:00:00Z",
            body=BODY,
        )
    script = (
        "import json, django; django.setup()\n"
        "from django.core.management import call_command\n"
        "from django.contrib.auth import get_user_model\n"
        "from archive.models import Post\n"
        f"call_command('import_posts', {str(posts)!r}, verbosity=0)\n"
        f"get_user_model().objects.create_user('reader', 'reader@example.org', {PASSWORD!r})\n"
        "print(json.dumps(list(Post.objects.order_by('pk').values('id', 'url', 'text'))))\n"
    )
    env = server_env(redis, database_url, tmp_path_factory.mktemp("data"))
    result = run_python("-c", script, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def servers(redis, database_url, seeded, tmp_path_factory):
    """A and B; B reads the archive through a "replica" that is the same database."""
    started = []
    for name, extra in [("A", {}), ("B", {"DATABASE_REPLICA_URL": database_url})]:
        folder = tmp_path_factory.mktemp(f"server-{name}")
        port, log = free_port(), folder / "server.log"
        env = {"PATH": "/usr/bin:/bin", **server_env(redis, database_url, folder), **extra}
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1"]
        command += ["--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2"]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        started.append(Server(name, port, process, log))
    try:
        for server in started:
            wait_until_serving(server)
        yield started
    finally:
        for server in started:
            server.process.terminate()
        for server in started:
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


def wait_until_serving(server: Server, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"server {server.name} exited:\n{server.log_tail()}")
        try:
            if Browser().get(server, "/favicon.ico").status == 301:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"server {server.name} did not answer in {seconds} s:\n{server.log_tail()}")


# --- a browser that keeps its cookies across both servers, as behind one address -------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self):
        return json.loads(self.body)


@dataclass
class Browser:
    address: str = "10.0.0.1"  # what the load balancer says the browser's address is
    cookies: dict = field(default_factory=dict)

    def request(self, server, method, path, *, form=None, data=None) -> Response:
        headers = {"X-Forwarded-For": self.address, "Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode({"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = json.dumps(data)
            headers["Content-Type"] = "application/json"
        if method != "GET":
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            connection.request(method, quote(path, safe="/?=&%"), body=body, headers=headers)
            answer = connection.getresponse()
            response = Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()
        for line in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        assert response.status != 500, f"{server.name} {path}:\n{server.log_tail()}"
        return response

    def get(self, server, path) -> Response:
        return self.request(server, "GET", path)

    def post(self, server, path, **options) -> Response:
        return self.request(server, "POST", path, **options)

    def sign_in(self, server, password=PASSWORD) -> Response:
        self.get(server, "/accounts/login/")  # the CSRF cookie
        return self.post(
            server, "/accounts/login/", form={"username": "reader", "password": password}
        )


def signed_in(server, address) -> Browser:
    browser = Browser(address)
    assert browser.sign_in(server).status == 302
    return browser


# --- what one server does, the other sees -----------------------------------------------------


def test_a_sign_in_on_one_holds_on_the_other_and_so_does_the_sign_out(servers, redis):
    a, b = servers
    client, _, prefix = redis
    browser = signed_in(a, "10.0.1.1")
    cached = f"{prefix}:1:{KEY_PREFIX}{browser.cookies['sessionid']}"  # Django's key format
    assert client.exists(cached)  # the session is read from Redis (and kept in the database)
    account = browser.get(b, "/accounts/")
    assert account.status == 200 and "reader" in account.text
    assert browser.post(b, "/accounts/logout/").status == 302
    assert not client.exists(cached)
    assert browser.get(a, "/accounts/").status == 302  # to the sign-in page: signed out


def test_an_annotation_made_through_one_is_read_through_the_other(servers, seeded):
    a, b = servers
    browser = signed_in(a, "10.0.2.1")
    post = seeded[0]
    start = post["text"].index("飞弹")
    note = {
        "type": "Annotation",
        "target": {
            "source": post["url"],
            "selector": [
                {"type": "TextQuoteSelector", "exact": "飞弹"},
                {"type": "TextPositionSelector", "start": start, "end": start + 2},
            ],
        },
        "body": [
            {"type": "TextualBody", "value": "两台服务器 two servers", "purpose": "commenting"}
        ],
        "pizhu": {"kind": "note", "colour": "yellow"},
    }
    made = browser.post(a, "/api/annotations/", data=note)
    assert made.status == 201, made.text
    found = browser.get(b, f"/api/annotations/?source={quote(post['url'], safe='')}").json()
    assert [item["id"] for item in found["items"]] == [made.json()["id"]]


def test_a_reading_state_changed_through_one_changes_the_others_pages(servers, seeded):
    a, b = servers
    browser = signed_in(b, "10.0.3.1")
    post = seeded[1]
    before = browser.get(b, "/?state=read")  # now cached by B, in its process and in Redis
    assert before.status == 200 and f"/posts/{post['id']}/" not in before.text
    changed = browser.request(a, "PATCH", f"/api/posts/{post['id']}/state", data={"read": True})
    assert changed.status == 200, changed.text
    after = browser.get(b, "/?state=read")
    assert f"/posts/{post['id']}/" in after.text


def test_a_rate_limit_used_up_on_one_is_refused_on_the_other(servers):
    a, b = servers
    browser = Browser("10.0.4.1")
    for _ in range(SIGN_IN_FAILURES):
        assert browser.sign_in(a, password="wrong-password").status == 200  # the form again
    refused = browser.sign_in(b, password="wrong-password")
    assert refused.status == 429
    assert "Too many failed sign-ins" in refused.text
    assert Browser("10.0.4.2").sign_in(b).status == 302  # another address is not counted


def test_a_page_rendered_by_one_is_served_by_the_other(servers, seeded, redis):
    a, b = servers
    client, _, prefix = redis
    path = f"/posts/{seeded[0]['id']}/?script=hant"  # a page no other test asks for
    pages = f"{prefix}-pages:*"
    before = set(client.scan_iter(match=pages))
    first = Browser("10.0.5.1").get(a, path)
    assert first.status == 200
    (key,) = set(client.scan_iter(match=pages)) - before
    # Mark the copy in Redis: B can only show the mark by serving that copy, not rendering.
    page = pickle.loads(client.get(key))  # noqa: S301 - what server A just stored
    marked = page.replace(b"</body>", b"<!-- from Redis --></body>")
    client.set(key, pickle.dumps(marked), keepttl=True)
    for _ in range(2):  # from Redis, then from B's own LRU, which the first filled
        served = Browser("10.0.5.2").get(b, path)
        assert served.status == 200 and "<!-- from Redis -->" in served.text
    assert "<!-- from Redis -->" not in Browser("10.0.5.3").get(a, path).text  # A's own copy
