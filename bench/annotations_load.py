"""Annotation API under load: 32 clients creating, editing and listing for 60 s.

    python bench/annotations_load.py [--clients 32] [--duration 60] [--think-ms 1000] [--warmup 5]
        [--database sqlite|postgres|both]

For each database (a fresh SQLite file; a fresh PostgreSQL database ``pizhu_load`` on
127.0.0.1), it migrates, imports fixtures/posts, makes one user and API token per client, and
serves the app with gunicorn (2 workers × 8 threads, production settings) on loopback. Each
client then loops for the duration: create a highlight or note on a random passage (40 %),
edit one of its own notes with If-Match (30 %; on 412 it re-reads and retries), or list a
post's annotations (30 %), pausing ``--think-ms`` on average between actions (0: flat out).
The first ``--warmup`` seconds (workers importing, connections opening) are not measured.

Printed: requests, errors (any status other than the expected ones), p50/p95/p99 per
operation, and a final audit through the ORM: every acknowledged create is there, and every
annotation holds exactly the body of its last acknowledged edit (lost writes: 0 is the goal).
Goals (issue 4): 0 errors, 0 lost writes, p95 create ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from common import production_environment  # bench/common.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = 8421
PG_URL = "postgres://postgres@127.0.0.1:5432/pizhu_load"


def environment(database_url: str, data_dir: Path) -> dict:
    return production_environment(
        data_dir,
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        PIZHU_RATE_API="off",  # clients flat out (--think-ms 0) measure writes, not the limit
    )


PREPARE = """
import json, sys
from django.contrib.auth import get_user_model
from accounts.models import ApiToken
from archive.models import Post
clients = int(sys.argv[1])
User = get_user_model()
keys = []
for n in range(clients):
    user = User.objects.create_user(f"load{n}", password="load-password-1")
    keys.append(ApiToken.issue(user, "load")[1])
posts = [
    {"id": p.id, "url": p.url, "text": p.text}
    for p in Post.objects.only("id", "url", "text")
    if len(p.text) > 80
]
json.dump({"keys": keys, "posts": posts}, sys.stdout)
"""

AUDIT = """
import json, sys
from annotations.models import Annotation
expected = json.load(open(sys.argv[1]))
rows = dict(Annotation.objects.filter(pk__in=[int(k) for k in expected]).values_list("id", "body"))
missing = [k for k in expected if int(k) not in rows]
wrong = [k for k, body in expected.items() if int(k) in rows and rows[int(k)] != body]
print(json.dumps({"missing": len(missing), "wrong": len(wrong)}))
"""


def manage(env, *args, **kwargs):
    kwargs.setdefault("check", True)
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, text=True, **kwargs)


def shell_json(env, code: str):
    """What ``code``, run by ``manage.py shell``, prints as JSON."""
    output = manage(env, "shell", "--verbosity", "0", "-c", code, capture_output=True).stdout
    return json.loads(output)


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True)


def prepare_database(kind: str, data_dir: Path) -> dict:
    if kind == "postgres":
        psql("DROP DATABASE IF EXISTS pizhu_load")
        psql("CREATE DATABASE pizhu_load")
        env = environment(PG_URL, data_dir)
    else:
        env = environment(f"sqlite:///{data_dir / 'load.sqlite3'}", data_dir)
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "import_posts", str(ROOT / "fixtures" / "posts"), capture_output=True, check=False)
    return env


class Client(threading.Thread):
    def __init__(self, key, posts, deadline, think_ms, seed, measure_from):
        super().__init__(daemon=True)
        self.key, self.posts, self.deadline, self.think = key, posts, deadline, think_ms / 1000
        self.measure_from = measure_from  # before it, the server warms up: not counted
        self.rng = random.Random(seed)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.conflicts = 0
        self.mine: dict[int, dict] = {}  # id → {"etag", "body"} as last acknowledged

    def request(self, method, path, data=None, etag=None):
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        if etag:
            headers["If-Match"] = etag
        body = json.dumps(data) if data is not None else None
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                return response.status, response.getheader("ETag"), response.read()
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def timed(self, operation, *args, **kwargs):
        started = time.perf_counter()
        result = self.request(*args, **kwargs)
        if time.monotonic() >= self.measure_from:
            self.times[operation].append((time.perf_counter() - started) * 1000)
        return result

    def create(self):
        post = self.rng.choice(self.posts)
        text = post["text"]
        for _ in range(20):
            length = self.rng.randint(2, 40)
            start = self.rng.randrange(0, len(text) - length)
            if text[start : start + length].strip():
                break
        note = self.rng.random() < 0.5
        data = {
            "target": {
                "source": post["url"],
                "selector": [
                    {"type": "TextQuoteSelector", "exact": text[start : start + length]},
                    {"type": "TextPositionSelector", "start": start, "end": start + length},
                ],
            },
            "pizhu": {"kind": "note" if note else "highlight", "colour": "yellow"},
            "body": [{"type": "TextualBody", "value": "first"}] if note else [],
        }
        status, etag, body = self.timed("create", "POST", "/api/annotations/", data)
        if status != 201:
            self.errors.append(f"create {status}: {body[:200]!r}")
            return
        created = json.loads(body)
        pk = int(created["id"].rsplit("/", 1)[1])
        self.mine[pk] = {"etag": etag, "body": "first" if note else "", "post": post["id"]}

    def edit(self):
        if not self.mine:
            return self.create()
        pk = self.rng.choice(list(self.mine))
        value = f"rev {self.rng.random():.12f}"
        for _ in range(3):
            data = {"body": [{"type": "TextualBody", "value": value}]}
            status, etag, body = self.timed(
                "edit", "PATCH", f"/api/annotations/{pk}", data, etag=self.mine[pk]["etag"]
            )
            if status == 200:
                self.mine[pk].update(etag=etag, body=value)
                return None
            if status != 412:
                self.errors.append(f"edit {status}: {body[:200]!r}")
                return None
            self.conflicts += 1  # someone changed it (here: never, each client edits its own)
            status, etag, _ = self.request("GET", f"/api/annotations/{pk}")
            self.mine[pk]["etag"] = etag
        return None

    def list(self):
        post = self.rng.choice(self.posts)
        status, _, body = self.timed("list", "GET", f"/api/annotations/?post={post['id']}")
        if status != 200:
            self.errors.append(f"list {status}: {body[:200]!r}")

    def run(self):
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while time.monotonic() < self.deadline:
            roll = self.rng.random()
            try:
                (self.create if roll < 0.4 else self.edit if roll < 0.7 else self.list)()
            except Exception as exc:  # a failed request is an error, and the client goes on
                self.errors.append(f"{type(exc).__name__}: {exc}")
            if self.think:
                time.sleep(self.rng.uniform(0, 2 * self.think))


def wait_for_server(proc):
    for _ in range(100):
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
            connection.request("GET", "/api/annotations/")  # a 401, without templates
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run_one(kind: str, options) -> None:
    with tempfile.TemporaryDirectory(prefix="pizhu-load-") as folder:
        data_dir = Path(folder)
        env = prepare_database(kind, data_dir)
        prepared = shell_json(env, PREPARE.replace("sys.argv[1]", str(options.clients)))
        server = subprocess.Popen(
            [
                PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{PORT}",
                "--workers", "2", "--threads", "8", "--worker-class", "gthread",
                "--log-level", "warning",
            ],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        try:
            wait_for_server(server)
            measure_from = time.monotonic() + options.warmup
            deadline = measure_from + options.duration
            clients = [
                Client(key, prepared["posts"], deadline, options.think_ms, seed, measure_from)
                for seed, key in enumerate(prepared["keys"])
            ]
            started = time.perf_counter()
            for client in clients:
                client.start()
            for client in clients:
                client.join()
            seconds = time.perf_counter() - started - options.warmup
        finally:
            server.terminate()
            server.wait()

        expected = {str(pk): mine["body"] for c in clients for pk, mine in c.mine.items()}
        audit_file = data_dir / "expected.json"
        audit_file.write_text(json.dumps(expected))
        audit = shell_json(env, AUDIT.replace("sys.argv[1]", repr(str(audit_file))))
        if kind == "postgres":
            psql("DROP DATABASE IF EXISTS pizhu_load")

    times = defaultdict(list)
    for client in clients:
        for operation, values in client.times.items():
            times[operation] += values
    errors = [error for client in clients for error in client.errors]
    total = sum(len(values) for values in times.values())
    print(
        f"{kind}: {options.clients} clients, {seconds:.0f} s, think {options.think_ms} ms: "
        f"{total} requests ({total / seconds:.0f}/s), errors {len(errors)}, "
        f"412 retries {sum(c.conflicts for c in clients)}"
    )
    for operation in ("create", "edit", "list"):
        values = times[operation]
        print(
            f"  {operation:7} n={len(values):6}  p50 {statistics.median(values):6.1f} ms"
            f"  p95 {percentile(values, 0.95):6.1f} ms  p99 {percentile(values, 0.99):6.1f} ms"
        )
    lost = audit["missing"] + audit["wrong"]
    print(
        f"  audit: {len(expected)} acknowledged annotations, {audit['missing']} missing, "
        f"{audit['wrong']} with a stale body → lost writes {lost}"
        f"   (goals: 0 errors, 0 lost writes, p95 create ≤ 20 ms)"
    )
    for error in errors[:5]:
        print(f"  e.g. {error}")


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--clients", type=int, default=32)
    arguments.add_argument("--duration", type=int, default=60)
    arguments.add_argument("--think-ms", type=int, default=1000, help="mean pause between actions")
    arguments.add_argument("--warmup", type=int, default=5, help="seconds not measured first")
    arguments.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    options = arguments.parse_args()
    for kind in ("sqlite", "postgres") if options.database == "both" else (options.database,):
        run_one(kind, options)


if __name__ == "__main__":
    main()
