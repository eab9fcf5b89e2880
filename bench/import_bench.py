"""Time a full import and a no-op re-import of DIR, beside Hugo building the same posts.

    python bench/import_bench.py DIR [--jobs N] [--database-url URL] [--no-hugo]

Each run is a whole `manage.py import_posts` process into a fresh database (migrated first,
not timed), like `hugo` is a whole process. Peak RSS is the largest sum over the process tree
(the importer and its workers), sampled every 10 ms; the importer's own peak is printed
beside it, since that is the process whose memory could grow with the archive.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def measure(cmd: list[str], env: dict, cwd: Path = ROOT) -> tuple[float, float, int]:
    """(seconds, peak tree RSS in MB, exit status) of one command."""
    seconds, peak, _, status = measure_tree(cmd, env, cwd)
    return seconds, peak, status


def measure_tree(cmd: list[str], env: dict, cwd: Path = ROOT) -> tuple[float, float, float, int]:
    """(seconds, peak tree RSS in MB, peak RSS of the command's own process, exit status)."""
    started = time.perf_counter()
    # Output goes to a file: a pipe nobody reads while the command runs fills up (64 KB of
    # warnings) and blocks it.
    with tempfile.TemporaryFile() as output:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        ps = psutil.Process(proc.pid)
        peak = own_peak = 0
        while proc.poll() is None:
            try:
                own = ps.memory_info().rss
                children = ps.children(recursive=True)
                peak = max(peak, own + sum(p.memory_info().rss for p in children if p.is_running()))
                own_peak = max(own_peak, own)
            except psutil.Error:
                pass
            time.sleep(0.01)
        seconds = time.perf_counter() - started
        if proc.returncode not in (0, 2):
            output.seek(0)
            sys.stderr.write(output.read().decode(errors="replace")[-2000:])
    return seconds, peak / 1e6, own_peak / 1e6, proc.returncode


def archive_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*.md")]
    return len(files), sum(p.stat().st_size for p in files)


def hugo_site(folder: Path, site: Path, unsafe: bool) -> None:
    content = site / "content" / "posts"
    content.mkdir(parents=True)
    for path in folder.rglob("*.md"):
        if same_device(path, content):
            os.link(path, content / path.name)
        else:
            shutil.copy(path, content / path.name)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "layouts" / "_default" / "single.html").write_text(
        "<h1>{{ .Title }}</h1>{{ .Content }}"
    )
    (site / "layouts" / "_default" / "list.html").write_text(
        "{{ range .Pages }}{{ .Title }}{{ end }}"
    )
    (site / "config.toml").write_text(
        'baseURL = "http://localhost/"\ntitle = "bench"\n'
        + ("[markup.goldmark.renderer]\nunsafe = true\n" if unsafe else "")
    )


def same_device(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--no-hugo", action="store_true", help="skip the peer comparison")
    args = parser.parse_args()

    count, nbytes = archive_size(args.folder)
    print(f"archive: {count} posts, {nbytes / 1e6:.1f} MB in {args.folder}")
    work = Path(tempfile.mkdtemp(prefix="pizhu-bench-"))
    try:
        run(args, count, nbytes, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args, count: int, nbytes: int, work: Path) -> None:
    env = {**os.environ, "DEBUG": "1", "PIZHU_DATA_DIR": str(work / "data")}
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "flush", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
    )  # a given PostgreSQL database starts empty
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "flush", "--noinput"], cwd=ROOT, env=env, check=True)

    report = work / "report.json"
    cmd = [python, "manage.py", "import_posts", str(args.folder), "--report", str(report)]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    full, full_rss, own_rss, status = measure_tree(cmd, env)
    index = json.loads(report.read_text())["search_index_seconds"]
    print(
        f"pizhu import (full):   {full:6.2f} s  {count / full:7.0f} posts/s  "
        f"{nbytes / 1e6 / full:6.1f} MB/s  peak RSS {full_rss:5.0f} MB, importer alone "
        f"{own_rss:.0f} MB  (exit {status}; {index:.1f} s of it in search-index inserts)"
    )
    noop, noop_rss, status = measure(cmd, env)
    print(
        f"pizhu import (no-op):  {noop:6.2f} s  {count / noop:7.0f} posts/s  "
        f"{'':13}  peak RSS {noop_rss:5.0f} MB  (exit {status}; {noop / full:.0%} of full)"
    )
    startup, _, _ = measure([python, "manage.py", "check"], env)
    print(f"django startup alone:  {startup:6.2f} s  (manage.py check, for scale)")

    if args.no_hugo:
        return
    hugo = shutil.which("hugo")
    if not hugo:
        print("hugo: not installed (apt-get install hugo) - no peer comparison")
        return
    version = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.split()[1]
    for unsafe in (False, True):
        site = work / f"hugo-{unsafe}"
        hugo_site(args.folder, site, unsafe)
        seconds, rss, status = measure(
            [hugo, "--quiet", "-s", str(site), "-d", str(site / "out")], env, cwd=site
        )
        label = "renders raw HTML" if unsafe else "default: raw HTML omitted"
        print(
            f"hugo {version} ({label}): {seconds:6.2f} s  peak RSS {rss:5.0f} MB  (exit {status})"
            f"  -> pizhu/hugo ratio {full / seconds:.2f}"
        )


if __name__ == "__main__":
    main()
