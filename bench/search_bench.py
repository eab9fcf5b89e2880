"""Search page speed on one or more databases, side by side: the same query mix on each.

    python bench/search_bench.py [DATABASE_URL ...] [--queries 200] [--runs 3]
        [--save-queries FILE | --load-queries FILE]

Each DATABASE_URL (sqlite:////path/pizhu.sqlite3 or postgres://user@host/db) must hold an
imported archive (`manage.py import_posts`); without one, DATABASE_URL from the environment
(else the default SQLite under PIZHU_DATA_DIR). The query mix is drawn once, from the first
database, like bench/reader_bench.py's: 1-, 2-, 3-character Chinese substrings and English
words from the posts' own text; the same queries then run on every database.

For each database: the app under gunicorn (2 sync workers) on loopback with its page cache
off (PIZHU_PAGE_CACHE_BYTES=0), so that every search is worked out, not served from memory;
ten searches to warm up, then the whole mix one request at a time, ``--runs`` times. Printed:
p50 / p95 / max of the server's answer per query class, for each run, and per database the
spread over the runs.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from common import production_environment  # bench/common.py, beside this script
from reader_bench import fetch_times, percentile, search_queries

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = 8431
CLASSES = ("1", "2", "3", "en")


def query_class(query: str) -> str:
    """ "en" for an English word, else the number of characters."""
    return "en" if query.isascii() else str(min(len(query), 3))


def environment(database_url: str, work: Path) -> dict:
    env = production_environment(
        work,
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        PIZHU_PAGE_CACHE_BYTES="0",  # every search worked out, none served from memory
    )
    for name in ("CACHE_URL", "PIZHU_CACHE_URL", "REDIS_URL", "DATABASE_REPLICA_URL"):
        env.pop(name, None)
    return env


def serve(env: dict) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT)
            connection.request("GET", "/search/")
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not answer")


def summary(times: list[float]) -> tuple[float, float, float]:
    return percentile(times, 0.5), percentile(times, 0.95), max(times)


def measure(database_url: str, queries: list[str], runs: int, work: Path) -> list[dict]:
    """Per run: {class: [ms, ...]} with "all" as well."""
    server = serve(environment(database_url, work))
    paths = [f"/search/?q={quote(query)}" for query in queries]
    try:
        fetch_times(paths[:10], PORT)  # warm up: the first requests load code and buffers
        results = []
        for _ in range(runs):
            times = fetch_times(paths, PORT)
            by_class: dict[str, list[float]] = {"all": times}
            for query, ms in zip(queries, times, strict=True):
                by_class.setdefault(query_class(query), []).append(ms)
            results.append(by_class)
        return results
    finally:
        server.terminate()
        server.wait()


def shown(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url


def report(database_url: str, results: list[dict], queries: list[str]) -> None:
    print(f"\n{shown(database_url)}: search page, page cache off, one request at a time")
    print(
        f"  {'class':6} {'n':>4}   "
        + "   ".join(f"run {n + 1} p50/p95/max ms" for n in range(len(results)))
    )
    for name in (*CLASSES, "all"):
        counts = [len(run.get(name, [])) for run in results]
        if not counts[0]:
            continue
        cells = ["{:6.1f} {:6.1f} {:6.1f}".format(*summary(run[name])) for run in results]
        print(f"  {name:6} {counts[0]:>4}   " + "   ".join(f"{cell:>22}" for cell in cells))
    slowest = sorted(
        zip(results[-1]["all"], queries, strict=True), key=lambda pair: pair[0], reverse=True
    )[:5]
    print("  slowest (last run): " + ", ".join(f"{q} {ms:.0f} ms" for ms, q in slowest))


def side_by_side(urls: list[str], every: dict[str, list[dict]]) -> None:
    """p50 / p95 / max per class, each database's range over its runs."""
    print("\nside by side (ms, lowest-highest over the runs):")
    header = "".join(f"{shown(url)[-34:]:>38}" for url in urls)
    print(f"  {'class':6}{header}")
    for name in (*CLASSES, "all"):
        cells = []
        for url in urls:
            runs = [summary(run[name]) for run in every[url] if run.get(name)]
            if not runs:
                cells.append(f"{'-':>38}")
                continue
            parts = []
            for index in range(3):
                values = [run[index] for run in runs]
                parts.append(f"{min(values):.0f}-{max(values):.0f}")
            cells.append(f"{' / '.join(parts):>38}")
        print(f"  {name:6}" + "".join(cells))
    print(f"  {'':6}" + "".join(f"{'p50 / p95 / max':>38}" for _ in urls))


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("database_urls", nargs="*")
    arguments.add_argument("--queries", type=int, default=200)
    arguments.add_argument("--runs", type=int, default=3)
    arguments.add_argument("--save-queries", type=Path, help="write the mix drawn to FILE")
    arguments.add_argument("--load-queries", type=Path, help="use the mix in FILE instead")
    options = arguments.parse_args()

    work = Path(os.environ.get("PIZHU_DATA_DIR") or ROOT / "data")
    urls = options.database_urls or [
        os.environ.get("DATABASE_URL") or f"sqlite:///{work / 'pizhu.sqlite3'}"
    ]
    # DEBUG off serves hashed static files: their manifest must exist (as reader_bench.py).
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=environment(urls[0], work),
        check=True,
    )
    if options.load_queries:
        queries = json.loads(options.load_queries.read_text())
    else:
        queries = search_queries(environment(urls[0], work), options.queries)
    if options.save_queries:
        options.save_queries.write_text(json.dumps(queries, ensure_ascii=False))
    counts = {name: sum(query_class(q) == name for q in queries) for name in CLASSES}
    print(
        f"{len(queries)} queries drawn from {shown(urls[0])}: "
        + ", ".join(f"{n} of class {name}" for name, n in counts.items())
    )
    every = {}
    for url in urls:
        every[url] = measure(url, queries, options.runs, work)
        report(url, every[url], queries)
    side_by_side(urls, every)


if __name__ == "__main__":
    main()
