"""Reader and search speed against the running app: gunicorn (2 sync workers) on loopback.

    python bench/reader_bench.py ARCHIVE [--duration 10] [--connections 16] [--skip-import]
        [--data-dir DIR] [--queries 200]

Imports ARCHIVE into a fresh SQLite database (or reuses --data-dir with --skip-import),
then, in one run on one server:
  * nginx serving the median post's reader page as a file (the machine's ceiling),
  * the same bytes from a Django view in memory (the framework's ceiling, bench/urls.py),
  * the reader page of the median post, and the list page,
under wrk with N connections (req/s), plus one connection for server time (p50);
then the same signed in as a reader with a library (library.state): the reader page, the
home page with its "continue reading" shelf, an unread list, the reading-state API;
and search: p50/p95 of the search page over a mix of 1-, 2-, 3-character and English queries
drawn from the archive's own text, one request at a time.
"""

import argparse
import http.client
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from common import production_environment  # bench/common.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN_PORT, NGINX_PORT = 8411, 8412


def run(cmd, env, **kwargs):
    kwargs.setdefault("check", True)
    return subprocess.run(cmd, cwd=ROOT, env=env, **kwargs)


def environment(data_dir: Path) -> dict:
    env = production_environment(
        data_dir,
        DJANGO_SETTINGS_MODULE="bench.settings",
        PIZHU_BENCH_PAGE=str(data_dir / "page.html"),
        PIZHU_RATE_API="off",  # wrk is one user asking thousands of times a second
    )
    env.pop("DATABASE_URL", None)
    return env


def wrk(url: str, connections: int, duration: int, cookie: str = "") -> dict:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            *headers,
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    return {
        "rate": rate,
        "p50_ms": float(p50.group(1)) * scale,
        "errors": errors and errors.group(1),
    }


def fetch_times(paths: list[str], port: int, cookie: str = "") -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    times = []
    for path in paths:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        response.read()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, (path, response.status)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def search_queries(env: dict, count: int) -> list[str]:
    """1-, 2-, 3-character Chinese substrings and English words, from the posts themselves."""
    script = (
        "import random, re\n"
        "from archive.models import Post\n"
        "rng = random.Random(7)\n"
        "ids = list(Post.objects.values_list('id', flat=True))\n"
        f"for _ in range({count}):\n"
        "    text = Post.objects.values_list('text', flat=True).get(id=rng.choice(ids))\n"
        "    runs = re.findall(r'[\\u4e00-\\u9fff]{3,}', text)\n"
        "    words = re.findall(r'[A-Za-z]{4,}', text)\n"
        "    kind = rng.choice(['1', '2', '3', 'en'])\n"
        "    if kind == 'en' and words:\n"
        "        print(rng.choice(words))\n"
        "    elif runs:\n"
        "        run = rng.choice(runs); n = {'1': 1, '2': 2}.get(kind, 3)\n"
        "        start = rng.randrange(len(run) - n + 1); print(run[start:start + n])\n"
    )
    out = run(
        [PYTHON, "manage.py", "shell", "-v0", "-c", script], env, capture_output=True, text=True
    )
    return [line for line in out.stdout.splitlines() if line.strip()]


def post_ids(env: dict) -> list[int]:
    script = "from archive.models import Post\nprint(*Post.objects.values_list('id', flat=True))"
    out = run(
        [PYTHON, "manage.py", "shell", "-v0", "-c", script], env, capture_output=True, text=True
    )
    ids = [int(pk) for pk in out.stdout.split()]
    random.Random(3).shuffle(ids)
    return ids


# A reader with a library: 12 posts in progress (the home page's shelf), 18 read, 5
# favourites, 3 archived, and a session to send as a cookie.
READER_SCRIPT = """
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from archive.models import Post
from library import state
user, _ = get_user_model().objects.get_or_create(username="bench-reader")
ids = list(Post.objects.order_by("-published_at").values_list("id", flat=True)[:40])
for n, pk in enumerate(ids[:12]):
    state.change(user, pk, {"progress": 0.1 + n / 20})
for pk in ids[12:30]:
    state.change(user, pk, {"read": True})
for pk in ids[30:35]:
    state.change(user, pk, {"favourite": True})
for pk in ids[35:38]:
    state.change(user, pk, {"archived": True})
store = import_module(settings.SESSION_ENGINE).SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.save()
from accounts.models import ApiToken
print(ApiToken.issue(user, "bench")[1])
print(*ids[:12])
print(f"{settings.SESSION_COOKIE_NAME}={store.session_key}")
"""


def signed_in_reader(env: dict) -> tuple[str, str, list[int]]:
    """The reader's session cookie, an API token, and the ids of their posts in progress."""
    out = run(
        [PYTHON, "manage.py", "shell", "-v0", "-c", READER_SCRIPT],
        env,
        capture_output=True,
        text=True,
    )
    token, ids, cookie = out.stdout.strip().splitlines()[-3:]
    return cookie, token, [int(pk) for pk in ids.split()]


def home_after_reading(port: int, cookie: str, token: str, ids: list[int], count: int) -> list:
    """The home page as a reader sees it coming back from a post: a state was saved since it
    was last rendered, so it is never in the cache."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    times = []
    for n in range(count):
        body = json.dumps({"progress": round(0.1 + n / (2 * count), 4)})
        connection.request(
            "PATCH",
            f"/api/posts/{ids[n % len(ids)]}/state",
            body,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert connection.getresponse().read() and True
        times += fetch_times(["/"], port, cookie)
    return times


def nginx(page_dir: Path, work: Path) -> subprocess.Popen:
    config = work / "nginx.conf"
    config.write_text(
        f"daemon off; worker_processes 2; pid {work}/nginx.pid; error_log {work}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; server {{ listen 127.0.0.1:{NGINX_PORT}; root {page_dir};\n"
        "  location / { default_type text/html; } } }\n"
    )
    return subprocess.Popen(["nginx", "-c", str(config), "-p", str(work)])


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("archive", type=Path)
    arguments.add_argument("--duration", type=int, default=10)
    arguments.add_argument("--connections", type=int, default=16)
    arguments.add_argument("--queries", type=int, default=200)
    arguments.add_argument("--data-dir", type=Path)
    arguments.add_argument("--skip-import", action="store_true")
    options = arguments.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pizhu-reader-bench-"))
    work.chmod(0o755)  # nginx's workers run as nobody
    data_dir = options.data_dir or work / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = environment(data_dir)
    if not options.skip_import:
        run([PYTHON, "manage.py", "migrate", "-v0"], env)
        started = time.perf_counter()
        result = run(
            [PYTHON, "manage.py", "import_posts", str(options.archive)],
            env,
            capture_output=True,
            text=True,
            check=False,
        )
        print(
            result.stdout.strip().splitlines()[-1],
            f"(import {time.perf_counter() - started:.1f} s)",
        )
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)

    median_id = (
        run(
            [
                PYTHON,
                "manage.py",
                "shell",
                "-c",
                "from archive.models import Post\n"
                "from django.db.models.functions import Length\n"
                "ids = list(Post.objects.annotate(n=Length('body_html'))\n"
                "    .order_by('n').values_list('id', flat=True))\n"
                "print(ids[len(ids) // 2])",
            ],
            env,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    reader_path = f"/posts/{median_id}/"

    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "bench.wsgi_app:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{GUNICORN_PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    page_dir = work / "www"
    page_dir.mkdir(mode=0o755)
    web = None
    try:
        for _ in range(100):
            try:
                body = http.client.HTTPConnection("127.0.0.1", GUNICORN_PORT)
                body.request("GET", reader_path)
                page = body.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        (data_dir / "page.html").write_bytes(page)
        (page_dir / "page.html").write_bytes(page)
        web = nginx(page_dir, work)
        time.sleep(0.5)
        print(
            f"median post {reader_path}: page {len(page) / 1024:.1f} KB; "
            f"wrk {options.connections} connections, {options.duration} s each"
        )
        targets = {
            "nginx, page file": f"http://127.0.0.1:{NGINX_PORT}/page.html",
            "django, bytes from memory (ceiling)": f"http://127.0.0.1:{GUNICORN_PORT}/bench/ceiling/",
            "django, reader page": f"http://127.0.0.1:{GUNICORN_PORT}{reader_path}",
            "django, list page": f"http://127.0.0.1:{GUNICORN_PORT}/",
        }
        results = {}
        for name, url in targets.items():
            loaded = wrk(url, options.connections, options.duration)
            alone = wrk(url, 1, max(3, options.duration // 2))
            results[name] = loaded
            print(
                f"  {name:38} {loaded['rate']:9.0f} req/s   server time p50 "
                f"{alone['p50_ms']:6.2f} ms   errors {loaded['errors'] or 0}"
            )
        ceiling = results["django, bytes from memory (ceiling)"]["rate"]
        reader = results["django, reader page"]["rate"]
        print(f"  reader / ceiling = {reader / ceiling:.0%}")

        cookie, token, in_progress = signed_in_reader(env)
        base = f"http://127.0.0.1:{GUNICORN_PORT}"
        signed_in = {
            "signed in, reader page": f"{base}{reader_path}",
            "signed in, home page with the shelf": f"{base}/",
            "signed in, unread list": f"{base}/?state=unread",
            "signed in, reading state (API)": f"{base}/api/posts/{median_id}/state",
        }
        print("signed in as a reader with 12 posts in progress, 18 read, 3 archived:")
        for name, url in signed_in.items():
            loaded = wrk(url, options.connections, options.duration, cookie)
            alone = wrk(url, 1, max(3, options.duration // 2), cookie)
            print(
                f"  {name:38} {loaded['rate']:9.0f} req/s   server time p50 "
                f"{alone['p50_ms']:6.2f} ms   errors {loaded['errors'] or 0}"
            )
        after = home_after_reading(GUNICORN_PORT, cookie, token, in_progress, 50)
        print(
            f"  home page after each saved state (never cached), {len(after)} views: "
            f"p50 {percentile(after, 0.5):.1f} ms, p95 {percentile(after, 0.95):.1f} ms"
        )
        some = post_ids(env)[: min(50, options.queries)]
        cold = fetch_times([f"/posts/{pk}/?signed-in-cold" for pk in some], GUNICORN_PORT, cookie)
        print(
            f"  reader page, first (uncached) view of {len(cold)} posts, signed in: "
            f"p50 {percentile(cold, 0.5):.1f} ms, p95 {percentile(cold, 0.95):.1f} ms"
        )

        cold_paths = [f"/posts/{pk}/?cold" for pk in post_ids(env)[: options.queries]]
        cold = fetch_times(cold_paths, GUNICORN_PORT)
        print(
            f"reader page, first (uncached) view of {len(cold)} posts, one at a time: "
            f"p50 {percentile(cold, 0.5):.1f} ms, p95 {percentile(cold, 0.95):.1f} ms"
        )

        queries = search_queries(env, options.queries)
        paths = [f"/search/?q={quote(q)}" for q in queries]
        fetch_times(paths[:10], GUNICORN_PORT)  # warm up
        times = fetch_times(paths, GUNICORN_PORT)
        print(
            f"search page, {len(times)} queries (1/2/3 characters, English words), one at a time: "
            f"p50 {percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
            f"max {max(times):.1f} ms, mean {statistics.mean(times):.1f} ms"
        )
    finally:
        if web is not None:
            web.terminate()
        server.terminate()
        server.wait()
        if not options.data_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
