"""Annotation API under load: 32 clients for 60 s, alone or reading together in groups.

    python bench/annotations_load.py [--workload mixed|personal|both] [--clients 32]
        [--groups 4] [--duration 60] [--think-ms 1000] [--warmup 5]
        [--database sqlite|postgres|both]

For each database (a fresh SQLite file; a fresh PostgreSQL database ``pizhu_load`` on
127.0.0.1), it migrates, imports fixtures/posts, makes one user and API token per client, and
serves the app with gunicorn (2 workers × 8 threads, production settings) on loopback. Each
client loops for the duration, pausing ``--think-ms`` on average between actions (0: flat
out). The first ``--warmup`` seconds (workers importing, connections opening) are not
measured.

- **mixed** (issue 15, the default): the clients are members of ``--groups`` reading groups
  (made and joined through ``groups.services``, round robin). Each reads a post's
  annotations (25 %) and its group's layer of a post, ``?post=&group=`` (25 %), writes a
  group note on a passage (20 %; one in five a private highlight instead), replies to another
  member's note it has read (15 %; motivation ``replying``, target the note's IRI) and edits
  one of its annotations or replies with If-Match (15 %); 3 actions in 10 move on to another
  post first. A list must hold its group's annotations and, but in the group's layer, the
  client's own private ones: nothing else.
- **personal** (issue 4): each client alone creates a private highlight or note (40 %), edits
  one of its notes with If-Match (30 %; on 412 it re-reads and retries) or lists a post's
  annotations (30 %).

Printed: requests and throughput, errors (any status other than the expected ones, any
annotation a list should not hold), p50/p95/p99/max per operation, and an audit through the ORM:
every acknowledged create is there, with the body and version of its last acknowledged edit
and its audience; no unacknowledged annotation; each note has exactly the replies
acknowledged; each group's members see exactly its annotations (lost writes: 0 is the
goal). Then, with Django's CaptureQueriesContext: how many queries load a post's visible
annotations for a reader in 1 group and in 20 (the same: one query set).
Goals (issues 4 and 15): 0 errors, 0 lost writes, p95 create ≤ 20 ms.
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
from urllib.parse import urlencode

from common import production_environment  # bench/common.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = 8421
PG_URL = "postgres://postgres@127.0.0.1:5432/pizhu_load"
GOALS = "(goals: 0 errors, 0 lost writes, p95 create ≤ 20 ms)"


def environment(database_url: str, data_dir: Path) -> dict:
    return production_environment(
        data_dir,
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        PIZHU_RATE_API="off",  # clients flat out (--think-ms 0) measure writes, not the limit
    )


# Run by ``manage.py shell`` with ``clients`` and ``groups`` set (shell_json).
PREPARE = """
import json, sys
from django.contrib.auth import get_user_model
from accounts.models import ApiToken
from archive.models import Post
from groups import services
User = get_user_model()
users, keys = [], []
for n in range(clients):
    user = User.objects.create_user(f"load{n}", password="load-password-1")
    users.append(user)
    keys.append(ApiToken.issue(user, "load")[1])
# Client n is in group n % groups: its first member owns it, the others join by its invite.
group_ids = []
for g in range(groups):
    group, invite = services.create_group(users[g], f"读书会 {g + 1} Reading group {g + 1}")
    group_ids.append(group.pk)
    for user in users[g + groups :: groups]:
        services.join(user, invite.token)
posts = [
    {"id": p.id, "url": p.url, "text": p.text}
    for p in Post.objects.only("id", "url", "text")
    if len(p.text) > 80
]
json.dump(
    {
        "keys": keys,
        "names": [user.username for user in users],
        "groups": [group_ids[n % groups] if groups else None for n in range(clients)],
        "posts": posts,
    },
    sys.stdout,
)
"""

# ``expected``: id → what the clients last had acknowledged of it.
AUDIT = """
import json
from collections import Counter
from django.contrib.auth import get_user_model
from annotations.models import Annotation
expected = json.load(open(expected_file))
fields = ("id", "body", "version", "visibility", "group_id", "parent_id")
rows = {
    row["id"]: row
    for row in Annotation.objects.alive().filter(user__username__startswith="load").values(*fields)
}
missing = stale = version = audience = 0
for key, want in expected.items():
    row = rows.get(int(key))
    if row is None:
        missing += 1
        continue
    stale += row["body"] != want["body"]
    version += row["version"] != want["version"]
    audience += (row["visibility"], row["group_id"], row["parent_id"]) != (
        want["visibility"], want["group"], want["parent"]
    )
# Each note's reply count as the API gives it (pizhu.replies), against the replies acknowledged.
wanted = Counter(want["parent"] for want in expected.values() if want["parent"])
notes = [int(key) for key, want in expected.items() if not want["parent"]]
counted = dict(
    Annotation.objects.filter(pk__in=notes).with_reply_counts().values_list("id", "reply_count")
)
# Each group's layer as one of its members sees it, against what its members wrote.
layers = exact = 0
User = get_user_model()
for group in {want["group"] for want in expected.values() if want["group"]}:
    ids = {int(key) for key, want in expected.items() if want["group"] == group}
    member = User.objects.get(username=members[str(group)])
    visible = Annotation.objects.visible_to(member)
    seen = set(visible.filter(group=group).values_list("id", flat=True))
    others = visible.exclude(group=group).exclude(user=member).exists()  # another's, elsewhere
    layers += 1
    exact += seen == ids and not others
print(json.dumps({
    "missing": missing, "stale": stale, "version": version, "audience": audience,
    "unacknowledged": len(set(rows) - {int(key) for key in expected}),
    "reply_counts_off": sum(counted.get(note, 0) != wanted[note] for note in notes),
    "layers": layers, "exact_layers": exact,
}))
"""

# A reader in 1 group and one in 20 load a post's visible annotations as the API does
# (with tags, reply counts and group names, as JSON-LD): the same number of queries.
QUERIES = """
import json
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from annotations import services
from annotations.jsonld import annotation_to_jsonld
from annotations.models import Annotation, Kind, Visibility, with_tag_names
from annotations.values import Changes, Target
from archive.models import Post
from groups.services import create_group, join
post = Post.objects.get(pk=post_id)
start = len(post.text) - len(post.text.lstrip())
target = Target(source=post.url, post_id=post.pk, exact=post.text[start:start + 8],
                start=start, end=start + 8)
User = get_user_model()
author = User.objects.create_user("queries-author")
few, many = User.objects.create_user("queries-few"), User.objects.create_user("queries-many")
for g in range(20):
    group, invite = create_group(author, f"Query group {g}")
    note = services.create(author, Changes(
        target=target, kind=Kind.NOTE, body=f"note {g}", tags=("bench", f"g{g}"),
        visibility=Visibility.GROUP, group=group.pk,
    ))
    services.create(author, Changes(parent=note.pk, body=f"reply {g}"))
    for reader in ((few, many) if g == 0 else (many,)):
        join(reader, invite.token)
result = {}
for reader in (few, many):
    with CaptureQueriesContext(connection) as queries:
        items = with_tag_names(
            Annotation.objects.visible_to(reader).for_api().with_reply_counts()
            .filtered(post=post.pk)
        )
        data = [annotation_to_jsonld(item) for item in items]
    result[reader.username] = {
        "queries": len(queries),
        "annotations": len(data),
        "groups": len({item["pizhu"]["group"] for item in data}),
        "replies": sum(item["pizhu"]["replies"] for item in data),
    }
print(json.dumps(result))
"""


def manage(env, *args, **kwargs):
    kwargs.setdefault("check", True)
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, text=True, **kwargs)


def shell_json(env, code: str, **values):
    """What ``code``, run by ``manage.py shell`` with ``values`` as its variables, prints
    as JSON."""
    assigned = "".join(f"{name} = {value!r}\n" for name, value in values.items())
    done = manage(
        env, "shell", "--verbosity", "0", "-c", assigned + code, capture_output=True, check=False
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


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
    """One API client: its token, a connection, timings and errors; ``step`` is its mix."""

    OPERATIONS: tuple[str, ...] = ()

    def __init__(self, key, posts, deadline, think_ms, seed, measure_from, **_):
        super().__init__(daemon=True)
        self.key, self.posts, self.deadline, self.think = key, posts, deadline, think_ms / 1000
        self.measure_from = measure_from  # before it, the server warms up: not counted
        self.rng = random.Random(seed)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.conflicts = 0
        # id → {"etag", "body", "version", …} as last acknowledged
        self.mine: dict[int, dict] = {}

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

    def passage(self, post) -> dict:
        """A W3C target on a random non-blank passage of ``post``."""
        text = post["text"]
        for _ in range(20):
            length = self.rng.randint(2, 40)
            start = self.rng.randrange(0, len(text) - length)
            if text[start : start + length].strip():
                break
        return {
            "source": post["url"],
            "selector": [
                {"type": "TextQuoteSelector", "exact": text[start : start + length]},
                {"type": "TextPositionSelector", "start": start, "end": start + length},
            ],
        }

    def acknowledged(self, created: dict, etag: str, **fields) -> int:
        pk = int(created["id"].rsplit("/", 1)[1])
        self.mine[pk] = {
            "etag": etag,
            "body": fields.pop("body"),
            "version": created["pizhu"]["version"],
            "visibility": created["pizhu"]["visibility"],
            "group": created["pizhu"]["group"],
            "parent": created["pizhu"].get("parent"),
            **fields,
        }
        return pk

    def edit(self, operation="edit"):
        """PATCH one of my annotations with a note, with If-Match; on 412, re-read, retry."""
        if not self.mine:
            return self.create()
        pk = self.rng.choice(list(self.mine))
        value = f"rev {self.rng.random():.12f}"
        for _ in range(3):
            data = {"body": [{"type": "TextualBody", "value": value}]}
            status, etag, body = self.timed(
                operation, "PATCH", f"/api/annotations/{pk}", data, etag=self.mine[pk]["etag"]
            )
            if status == 200:
                self.mine[pk].update(
                    etag=etag, body=value, version=json.loads(body)["pizhu"]["version"]
                )
                return None
            if status != 412:
                self.errors.append(f"{operation} {status}: {body[:200]!r}")
                return None
            self.conflicts += 1  # someone changed it (here: never, each client edits its own)
            status, etag, _ = self.request("GET", f"/api/annotations/{pk}")
            self.mine[pk]["etag"] = etag
        return None

    def create(self):
        raise NotImplementedError

    def step(self):
        raise NotImplementedError

    def run(self):
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while time.monotonic() < self.deadline:
            try:
                self.step()
            except Exception as exc:  # a failed request is an error, and the client goes on
                self.errors.append(f"{type(exc).__name__}: {exc}")
            if self.think:  # a reader's pause, not past the end
                pause = self.rng.uniform(0, 2 * self.think)
                time.sleep(max(0.0, min(pause, self.deadline - time.monotonic())))


class PersonalClient(Client):
    """Issue 4's client: private highlights and notes, edits, a post's list."""

    OPERATIONS = ("create", "edit", "list")

    def create(self):
        post = self.rng.choice(self.posts)
        note = self.rng.random() < 0.5
        data = {
            "target": self.passage(post),
            "pizhu": {"kind": "note" if note else "highlight", "colour": "yellow"},
            "body": [{"type": "TextualBody", "value": "first"}] if note else [],
        }
        status, etag, body = self.timed("create", "POST", "/api/annotations/", data)
        if status != 201:
            self.errors.append(f"create {status}: {body[:200]!r}")
            return
        self.acknowledged(json.loads(body), etag, body="first" if note else "")

    def list(self):
        post = self.rng.choice(self.posts)
        status, _, body = self.timed("list", "GET", f"/api/annotations/?post={post['id']}")
        if status != 200:
            self.errors.append(f"list {status}: {body[:200]!r}")

    def step(self):
        roll = self.rng.random()
        (self.create if roll < 0.4 else self.edit if roll < 0.7 else self.list)()


class GroupClient(Client):
    """Issue 15's client: a member of one group reading its layers, writing group notes,
    replying to the others' and editing its own."""

    OPERATIONS = ("read post", "read layer", "create", "reply", "edit")

    def __init__(self, *args, name, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.name, self.group = name, group
        self.post = self.rng.choice(self.posts)
        # Others' notes read in the lists, newest last: what a member may reply to.
        self.readable: dict[str, None] = {}

    def read(self, operation, **query):
        query = {"post": self.post["id"], **query}
        status, _, body = self.timed(operation, "GET", f"/api/annotations/?{urlencode(query)}")
        if status != 200:
            self.errors.append(f"{operation} {status}: {body[:200]!r}")
            return
        for item in json.loads(body)["items"]:
            extra, own = item["pizhu"], item["creator"]["nickname"] == self.name
            if (extra["visibility"], extra["group"]) == ("group", self.group):
                if item["motivation"] != "replying" and not own:
                    self.readable.pop(item["id"], None)  # to the end: the latest read
                    self.readable[item["id"]] = None
            # Nothing else but my own private highlights, and those not in the group's layer.
            elif not (own and extra["visibility"] == "private" and "group" not in query):
                self.errors.append(f"{operation}: {item['id']} ({extra['visibility']}) leaked")

    def create(self):
        """A note to the group (4 in 5) or a highlight for myself (private, the default)."""
        data = {"motivation": "highlighting", "target": self.passage(self.post)}
        audience = ("private", None)
        if self.rng.random() < 0.8:
            audience = ("group", self.group)
            data.update(
                motivation="commenting",
                body=[{"type": "TextualBody", "value": "first", "purpose": "commenting"}],
                pizhu={"colour": "green", "visibility": "group", "group": self.group},
            )
        status, etag, body = self.timed("create", "POST", "/api/annotations/", data)
        if status != 201:
            self.errors.append(f"create {status}: {body[:200]!r}")
            return
        created = json.loads(body)
        if (created["pizhu"]["visibility"], created["pizhu"]["group"]) != audience:
            self.errors.append(f"create: {created['id']} went to {created['pizhu']}")
        self.acknowledged(created, etag, body="first" if "body" in data else "")

    def reply(self):
        if not self.readable:
            return self.read("read layer", group=self.group)
        parent = self.rng.choice(list(self.readable)[-20:])
        value = f"回复 reply {self.rng.random():.12f}"
        data = {
            "motivation": "replying",
            "target": parent,
            "body": [{"type": "TextualBody", "value": value, "purpose": "commenting"}],
        }
        status, etag, body = self.timed("reply", "POST", "/api/annotations/", data)
        if status != 201:
            self.errors.append(f"reply {status}: {body[:200]!r}")
            return None
        created = json.loads(body)
        if created["target"] != parent or created["pizhu"]["group"] != self.group:
            self.errors.append(f"reply: {created['id']} to {created['target']} ≠ {parent}")
        self.acknowledged(created, etag, body=value)
        return None

    def step(self):
        if self.rng.random() < 0.3:  # on to another article
            self.post = self.rng.choice(self.posts)
        roll = self.rng.random()
        if roll < 0.25:
            self.read("read post")
        elif roll < 0.5:
            self.read("read layer", group=self.group)
        elif roll < 0.7:
            self.create()
        elif roll < 0.85:
            self.reply()
        else:
            self.edit()


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


def serve_and_load(env, client_class, clients_arguments, options):
    """Serve the app, run the clients to the deadline; the clients and the seconds measured."""
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
            client_class(
                posts=arguments.pop("posts"),
                deadline=deadline,
                think_ms=options.think_ms,
                seed=seed,
                measure_from=measure_from,
                **arguments,
            )
            for seed, arguments in enumerate(clients_arguments)
        ]
        started = time.perf_counter()
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        return clients, time.perf_counter() - started - options.warmup
    finally:
        server.terminate()
        server.wait()


def run_one(kind: str, workload: str, options) -> None:
    mixed = workload == "mixed"
    groups = options.groups if mixed else 0
    with tempfile.TemporaryDirectory(prefix="pizhu-load-") as folder:
        data_dir = Path(folder)
        env = prepare_database(kind, data_dir)
        prepared = shell_json(env, PREPARE, clients=options.clients, groups=groups)
        arguments = [
            {"key": key, "posts": prepared["posts"], "name": name, "group": group}
            for key, name, group in zip(
                prepared["keys"], prepared["names"], prepared["groups"], strict=True
            )
        ]
        if not mixed:
            for argument in arguments:
                del argument["name"], argument["group"]
        client_class = GroupClient if mixed else PersonalClient
        clients, seconds = serve_and_load(env, client_class, arguments, options)

        expected = {
            str(pk): {
                key: mine[key] for key in ("body", "version", "visibility", "group", "parent")
            }
            for client in clients
            for pk, mine in client.mine.items()
        }
        audit_file = data_dir / "expected.json"
        audit_file.write_text(json.dumps(expected))
        members = {
            str(argument["group"]): argument["name"] for argument in (arguments if mixed else [])
        }
        audit = shell_json(env, AUDIT, expected_file=str(audit_file), members=members)
        queries = shell_json(env, QUERIES, post_id=prepared["posts"][0]["id"]) if mixed else None
        if kind == "postgres":
            psql("DROP DATABASE IF EXISTS pizhu_load")

    times = defaultdict(list)
    for client in clients:
        for operation, values in client.times.items():
            times[operation] += values
    errors = [error for client in clients for error in client.errors]
    total = sum(len(values) for values in times.values())
    who = f"{options.clients} clients in {groups} groups" if mixed else f"{options.clients} clients"
    print(
        f"{kind}, {workload}: {who}, {seconds:.0f} s, think {options.think_ms} ms: "
        f"{total} requests ({total / seconds:.0f}/s), errors {len(errors)}, "
        f"412 retries {sum(c.conflicts for c in clients)}"
    )
    for operation in client_class.OPERATIONS:
        values = times[operation] or [float("nan")]
        print(
            f"  {operation:10} n={len(times[operation]):6}  p50 {statistics.median(values):6.1f} ms"
            f"  p95 {percentile(values, 0.95):6.1f} ms  p99 {percentile(values, 0.99):6.1f} ms"
            f"  max {max(values):6.1f} ms"
        )
    replies = sum(1 for mine in expected.values() if mine["parent"])
    lost = audit["missing"] + audit["stale"] + audit["version"] + audit["audience"]
    print(
        f"  audit: {len(expected) - replies} annotations and {replies} replies acknowledged: "
        f"{audit['missing']} missing, {audit['stale']} with a stale body, {audit['version']} "
        f"at another version, {audit['audience']} with another audience → lost writes {lost}; "
        f"{audit['unacknowledged']} unacknowledged; notes with a wrong reply count "
        f"{audit['reply_counts_off']}"
    )
    if mixed:
        print(
            f"  group layers: {audit['exact_layers']} of {audit['layers']} hold exactly their "
            f"members' annotations   {GOALS}"
        )
        few, many = queries["queries-few"], queries["queries-many"]
        same = "one query set" if few["queries"] == many["queries"] else "NOT the same"
        print(
            f"  visible annotations of a post: {few['queries']} queries with 1 group / "
            f"{many['queries']} with 20 groups ({same}; {few['annotations']} and "
            f"{many['annotations']} annotations from {few['groups']} and {many['groups']} "
            f"groups, {many['replies']} replies counted; with tags, as JSON-LD)"
        )
    else:
        print(f"  {GOALS}")
    for error in errors[:5]:
        print(f"  e.g. {error}")


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument(
        "--workload", choices=("mixed", "personal", "both"), default="mixed",
        help="mixed: members of groups reading, writing, replying (issue 15); "
        "personal: each client alone (issue 4)",
    )  # fmt: skip
    arguments.add_argument("--clients", type=int, default=32)
    arguments.add_argument("--groups", type=int, default=4, help="mixed: groups of clients")
    arguments.add_argument("--duration", type=int, default=60)
    arguments.add_argument("--think-ms", type=int, default=1000, help="mean pause between actions")
    arguments.add_argument("--warmup", type=int, default=5, help="seconds not measured first")
    arguments.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    options = arguments.parse_args()
    if not 1 <= options.groups <= options.clients:
        arguments.error("--groups must be between 1 and --clients")
    workloads = ("mixed", "personal") if options.workload == "both" else (options.workload,)
    for kind in ("sqlite", "postgres") if options.database == "both" else (options.database,):
        for workload in workloads:
            run_one(kind, workload, options)


if __name__ == "__main__":
    main()
