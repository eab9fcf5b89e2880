"""Where an import's time goes, stage by stage, on one core: python bench/import_stages.py DIR

Runs each stage of the per-file work (archive.pipeline) over every post of DIR in this one
process and prints its seconds, then inserts the search documents into a bare FTS5 table made
like the real one (archive/migrations/0002 and 0005) in a scratch SQLite file, in batches of
64 posts as the importer commits them. Nothing else is written: these are floors for a full
import, whatever the importer's plumbing.
"""

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from archive import cleaning, tidy  # noqa: E402
from archive.parsing import article_html, parse_post  # noqa: E402
from archive.search_text import Document  # noqa: E402

# The real table's statements, from the migrations that make it.
SEARCH_TABLE = import_module("archive.migrations.0002_search_index").SQLITE
AUTOMERGE = import_module("archive.migrations.0005_search_automerge").AUTOMERGE
BATCH = 64


def stage_times(paths: list[Path]) -> tuple[dict[str, float], list[Document]]:
    seconds = dict.fromkeys(
        ["read", "front matter", "tidy", "sanitize", "text", "index tokens"], 0.0
    )
    documents = []
    for path in paths:
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            seconds[stage] += now - clock
            clock = now

        data = path.read_bytes()
        lap("read")
        post = parse_post(data, str(path))
        lap("front matter")
        source = cleaning.limit_nesting(article_html(post.raw_body).strip())
        tidied = tidy.tidy(source, title=post.title, base_url=post.url)
        lap("tidy")
        body_html = cleaning.sanitize(tidied)
        lap("sanitize")
        text = cleaning.text_content(body_html)
        lap("text")
        documents.append(Document.of(post.title, post.author, text))
        lap("index tokens")
    return seconds, documents


def fts_seconds(documents: list[Document]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        db = sqlite3.connect(Path(folder, "fts.sqlite3"), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for statement in SEARCH_TABLE:
            db.execute(statement)
        db.execute(
            "INSERT INTO archive_search (archive_search, rank) VALUES ('automerge', ?)",
            [AUTOMERGE],
        )
        started = time.perf_counter()
        for start in range(0, len(documents), BATCH):
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO archive_search (rowid, title, author, body) VALUES (?, ?, ?, ?)",
                [
                    (start + n + 1, doc.title, doc.author, doc.body)
                    for n, doc in enumerate(documents[start : start + BATCH])
                ],
            )
            db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        db.close()
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    paths = sorted(args.folder.rglob("*.md"))
    nbytes = sum(p.stat().st_size for p in paths)
    print(f"archive: {len(paths)} posts, {nbytes / 1e6:.1f} MB; one core, seconds per stage")
    seconds, documents = stage_times(paths)
    for stage, value in seconds.items():
        print(f"  {stage:14} {value:6.2f} s")
    total = sum(seconds.values())
    tokens = sum(doc.body.count(" ") + 1 for doc in documents if doc.body)
    print(f"  {'all stages':14} {total:6.2f} s  ({total / 2:.1f} s if two cores shared it)")
    fts = fts_seconds(documents)
    print(f"search index alone: {fts:6.2f} s  ({tokens / 1e6:.1f} M tokens into bare FTS5)")


if __name__ == "__main__":
    main()
