"""The abuse suite: the hardening probes (issue 17) against a served instance, each bounded.

    python bench/abuse.py [--port 8431] [--keep]

Sets up a throwaway SQLite instance with the demo posts, a user and a token, serves it as
`make serve` does (gunicorn, 2 sync workers, DEBUG off, default limits), then sends each
probe and prints its status, its time and the growth of the largest worker's memory (RSS).
A probe passes when it gets the status it should, within 1 s and 50 MB; the import probes
run `import_posts` on hostile files and must finish, report each one and keep the rest.
Exits 1 when any probe fails. Not part of the test run: the tests hold each fix.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psutil
from common import production_environment  # bench/common.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MAX_SECONDS, MAX_RSS_MB = 1.0, 50
FAILED: list[str] = []


def manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=kwargs.pop("check", True),
        **kwargs,
    )


class Server:
    """gunicorn as `make serve` runs it, and the memory of its workers."""

    def __init__(self, env: dict, port: int, log: Path):
        self.port, self.log = port, log
        self.process = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "--log-level", "error", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stderr=log.open("w"),  # a warning per refused request: read for errors at the end
        )  # fmt: skip
        for _ in range(100):
            try:
                self.request("GET", "/")
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    def worker_rss_mb(self) -> float:
        workers = psutil.Process(self.process.pid).children()
        return max(w.memory_info().rss for w in workers) / 2**20

    def request(self, method, path, body=None, headers=None, timeout=60):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response, data

    def stop(self):
        self.process.terminate()
        self.process.wait()
        errors = self.log.read_text().count("Internal Server Error")
        report("server errors (500s) in the log", errors, 0.0, 0.0, errors == 0, {0})


def probe(server: Server, name: str, expected: set[int], method: str, path: str, **kwargs):
    """Send one request, print its status, time and RSS growth; note a failure."""
    before = server.worker_rss_mb()
    started = time.perf_counter()
    try:
        response, _ = server.request(method, path, **kwargs)
        status = response.status
    except OSError as exc:
        status = f"no answer ({exc.__class__.__name__})"
    seconds = time.perf_counter() - started
    grown = server.worker_rss_mb() - before
    report(name, status, seconds, grown, status in expected, expected)


def report(name, status, seconds, grown_mb, right_status, expected, max_seconds=MAX_SECONDS):
    ok = right_status and seconds <= max_seconds and grown_mb <= MAX_RSS_MB
    if not ok:
        FAILED.append(name)
    wanted = "/".join(str(s) for s in sorted(expected, key=str))
    print(
        f"  {'ok  ' if ok else 'FAIL'} {name:58} {status!s:>4} (want {wanted:>7})"
        f" {seconds * 1000:7.0f} ms  {grown_mb:+6.1f} MB"
    )


def api_probes(server: Server, token: str, post_id: int, post_url: str, quote: dict):
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def annotation(**changes) -> dict:
        data = {
            "type": "Annotation",
            "target": {"source": post_url, "selector": [
                {"type": "TextQuoteSelector", "exact": quote["exact"]},
                {"type": "TextPositionSelector", "start": quote["start"], "end": quote["end"]},
            ]},
            "pizhu": {"post": post_id, "kind": "note"},
        }  # fmt: skip
        data.update(changes)
        return data

    def post(name, data, expected=frozenset({400}), raw=None):
        body = raw if raw is not None else json.dumps(data).encode()
        probe(server, name, expected, "POST", "/api/annotations/", body=body, headers=auth)

    print("API (a signed-in user with a token)")
    for count in (5_000, 20_000, 30_000):
        tags = [{"purpose": "tagging", "value": f"t{i}"} for i in range(count)]
        post(f"create with {count:,} tags", annotation(body=tags), {400, 413})
    _, data = server.request(
        "POST", "/api/annotations/", body=json.dumps(annotation()).encode(), headers=auth
    )
    made = json.loads(data)["id"].rsplit("/", 1)[-1]
    tags = [{"purpose": "tagging", "value": "same"} for _ in range(20_000)]
    probe(server, "PATCH with 20,000 tags", {400, 413}, "PATCH", f"/api/annotations/{made}",
          body=json.dumps({"body": tags}).encode(), headers=auth)  # fmt: skip

    # Two tag bombs at once must not stall an anonymous reader.
    bomb = json.dumps(annotation(body=[{"purpose": "tagging", "value": f"t{i}"}
                                       for i in range(20_000)])).encode()  # fmt: skip
    threads = [
        threading.Thread(target=server.request, args=("POST", "/api/annotations/", bomb, auth))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    probe(server, "anonymous GET / during two 20,000-tag requests", {200}, "GET", "/?during")
    for thread in threads:
        thread.join()

    post("body of 100,000 nested [", None, raw=b"[" * 100_000 + b"]" * 100_000)
    post("a lone surrogate in a note", None, raw=json.dumps(
        annotation(body=[{"type": "TextualBody", "value": "a\ud800"}])).encode())  # fmt: skip
    post("a list as motivation", {**annotation(motivation=["commenting"]), "pizhu": {}})
    selectors = annotation()
    selectors["target"]["selector"][0]["type"] = ["TextQuoteSelector"]
    post("a list as a selector type", selectors)
    post("a NUL in a note", annotation(body=[{"type": "TextualBody", "value": "a\x00b"}]))
    post("a NUL in a tag", annotation(body=[{"purpose": "tagging", "value": "a\x00"}]))
    post("a 2^70 position", annotation(target={"source": post_url, "selector": [
        {"type": "TextQuoteSelector", "exact": quote["exact"]},
        {"type": "TextPositionSelector", "start": 2**70, "end": 2**70 + 4}]}))  # fmt: skip
    big_body_probe(server, auth)
    for query in ("post=99999999999999999999", "post=%C2%B2", "text=a%00b"):
        probe(server, f"GET /api/annotations/?{query}", {400}, "GET",
              f"/api/annotations/?{query}", headers=auth)  # fmt: skip


def big_body_probe(server: Server, auth: dict):
    """A 5 MB body must be refused from its Content-Length, before it is read: the first
    64 KB are sent, then the answer must come without the rest."""
    before = server.worker_rss_mb()
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        head = "".join(f"{name}: {value}\r\n" for name, value in auth.items())
        connection.sendall(
            f"POST /api/annotations/ HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
            f"Content-Length: 5000000\r\n\r\n".encode()
            + b"["
            + b" " * 65_535
        )
        try:
            status = int(connection.recv(100).split()[1])
        except (OSError, IndexError, ValueError) as exc:
            status = f"no answer ({exc.__class__.__name__})"
    seconds = time.perf_counter() - started
    report("a 5 MB body (refused before it is read)", status, seconds,
           server.worker_rss_mb() - before, status == 413, {413})  # fmt: skip


def page_probes(server: Server, session_cookie: str, post_id: int):
    print("Pages")
    probe(server, "GET /posts/9223372036854775808/", {404}, "GET", "/posts/9223372036854775808/")
    probe(server, "GET /?q=a%00 (NUL)", {400}, "GET", "/search/?q=a%00")
    signed_in = {"Cookie": session_cookie}
    for path in ("/notes/", "/notes/export.md", "/notes/export.jsonld"):
        for query in ("since=0001-01-01", "post=99999999999999999999", "post=%C2%B2"):
            probe(server, f"GET {path}?{query}", {200}, "GET", f"{path}?{query}",
                  headers=signed_in)  # fmt: skip

    # 600 cache-busting requests, half of them for the big post's page: the page cache is
    # keyed on what a page reads, and bounded in bytes.
    before = server.worker_rss_mb()
    started = time.perf_counter()
    statuses = set()
    for n in range(600):
        path = f"/posts/{post_id}/?cb={n}" if n % 2 else f"/?cb={n}"
        statuses.add(server.request("GET", path)[0].status)
    seconds = (time.perf_counter() - started) / 600
    grown = server.worker_rss_mb() - before
    shown = next(iter(statuses)) if len(statuses) == 1 else statuses
    report("600 requests with ?cb=N (time per request)", shown, seconds, grown,
           statuses <= {200}, {200})  # fmt: skip


def form_post(server: Server, path: str, fields: dict):
    """A form sent as a browser sends it: with the CSRF cookie and token of a first GET."""
    response, _ = server.request("GET", path)
    cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]  # csrftoken=…
    token = cookie.partition("=")[2]
    body = urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    return server.request("POST", path, body=body, headers=headers)[0]


def account_probes(server: Server):
    print("Accounts (default limits)")
    times, statuses = [], []
    for n in range(61):
        password = "demo-password" if n == 60 else f"wrong-{n}"
        started = time.perf_counter()
        response = form_post(
            server, "/accounts/login/", {"username": "abuse", "password": password}
        )
        times.append(time.perf_counter() - started)
        statuses.append(response.status)
    signed_in = statuses[-1] == 302
    # A sign-in that checks a password costs a hash (PBKDF2, ~0.3 s): judged on the median.
    print(f"       sign-in times: median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms")  # fmt: skip
    report(f"60 wrong passwords, then the right one: {statuses.count(429)} refused", statuses[-1],
           statistics.median(times), 0.0, not signed_in, {429})  # fmt: skip
    statuses, times = [], []
    for n in range(10):
        started = time.perf_counter()
        response = form_post(server, "/accounts/signup/", {
            "username": f"spam{n}", "password1": "a-Long-pass-9", "password2": "a-Long-pass-9"
        })  # fmt: skip
        times.append(time.perf_counter() - started)
        statuses.append(response.status)
    report(f"10 sign-ups in a row: {statuses.count(302)} made", statuses[-1],
           statistics.median(times), 0.0, statuses.count(302) <= 5, {429})  # fmt: skip


def import_probes(env: dict, work: Path):
    """Hostile files in one archive: the run finishes, names each, imports the good one."""
    print("Import (hostile files beside a good one)")
    posts = work / "hostile" / "_posts"
    posts.mkdir(parents=True)
    good = (ROOT / "fixtures" / "posts").glob("2024-0[1-3]-*.md")
    shutil.copy(sorted(good)[0], posts)
    (posts / "2024-05-01-alias-bomb.md").write_text(
        "---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\ntitle: bomb\n---\n<p>x</p>\n"
    )
    (posts / "2024-05-02-zero.md").symlink_to("/dev/zero")
    os.mkfifo(posts / "2024-05-03-fifo.md")
    (posts / os.fsdecode(b"2024-05-04-bad-\xff-name.md")).write_text(
        "---\ntitle: bad name\nfrom: https://example.org/bad-name\n---\n<p>名字坏了。</p>\n"
    )
    (posts / "2024-05-05-impossible-date.md").write_text(
        "---\ntitle: 二月三十日\ndate: 2024-02-30\nfrom: https://example.org/feb30\n---\n"
        "<p>日期不存在。</p>\n"
    )
    with open(posts / "2024-05-06-huge.md", "w") as huge:
        huge.write("---\ntitle: huge\nfrom: https://example.org/huge\n---\n")
        huge.write(("<p>" + "大" * 1000 + "</p>\n") * 17_000)  # about 50 MB
    started = time.perf_counter()
    process = psutil.Popen(
        [PYTHON, "manage.py", "import_posts", str(posts.parent)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak = 0
    while process.poll() is None and time.perf_counter() - started < 120:
        tree = [process, *process.children(recursive=True)]
        rss = 0
        for member in tree:
            with contextlib.suppress(psutil.Error):  # a worker that just ended
                rss += member.memory_info().rss
        peak = max(peak, rss)
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
    output = process.stdout.read()
    seconds = time.perf_counter() - started
    print("    " + "\n    ".join(line for line in output.splitlines() if line.strip())[:3000])
    failed = [line for line in output.splitlines() if line.startswith("failed: ")]
    # Exit 2: some files failed, the rest imported; each hostile file but the one with an
    # impossible date (it falls back to its file name's) named, and no traceback.
    right = (
        process.returncode == 2
        and len(failed) == 5
        and not any("impossible-date" in line for line in failed)
        and "Traceback" not in output
    )
    report(
        f"import_posts, 6 hostile files + 1 good: exit {process.returncode}, "
        f"{len(failed)} named failed, peak",
        f"{peak / 2**20:.0f}MB",
        seconds,
        0.0,
        right and peak < 1024 * 2**20,
        {"exit 2, 5 failed, < 1 GB"},
        max_seconds=60,
    )


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--port", type=int, default=8431)
    arguments.add_argument("--keep", action="store_true", help="keep the data directory")
    options = arguments.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pizhu-abuse-"))
    env = production_environment(work / "data", LOG_LEVEL="ERROR")  # not a line per 4xx
    env.pop("DATABASE_URL", None)
    manage(env, "migrate", "-v0")
    manage(env, "import_posts", "fixtures/posts", check=False)
    # A post of the largest real size (680 KB): what cache-busting requests would pile up.
    big = work / "big" / "_posts"
    big.mkdir(parents=True)
    (big / "2024-05-10-big.md").write_text(
        "---\ntitle: 长文\nfrom: https://example.org/big\n---\n"
        + ("<p>" + "很长的一段文字，" * 80 + "</p>\n") * 350
    )
    manage(env, "import_posts", str(big.parent))
    manage(env, "collectstatic", "--noinput", "-v0")
    setup = manage(env, "shell", "-c", """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from accounts.models import ApiToken
from archive.models import Post
user = get_user_model().objects.create_user("abuse", password="demo-password")
token = ApiToken.issue(user, "abuse")[1]
post = Post.objects.filter(text__contains="的").order_by("id").first()
start = post.text.index("的")
client = Client()
client.force_login(user)
big = Post.objects.get(url="https://example.org/big").pk
print(json.dumps({"token": token, "post": post.pk, "url": post.url, "big": big,
    "quote": {"exact": post.text[start:start + 1], "start": start, "end": start + 1},
    "cookie": "sessionid=" + client.cookies["sessionid"].value}))
""").stdout.strip().splitlines()[-1]  # fmt: skip
    facts = json.loads(setup)
    server = Server(env, options.port, work / "server.log")
    try:
        api_probes(server, facts["token"], facts["post"], facts["url"], facts["quote"])
        page_probes(server, facts["cookie"], facts["big"])
        account_probes(server)
    finally:
        server.stop()
    import_probes(env, work)
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("all probes bounded" if not FAILED else f"{len(FAILED)} FAILED: {', '.join(FAILED)}")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
