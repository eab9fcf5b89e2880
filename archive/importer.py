"""Import a Jekyll post archive into Post rows: fast, idempotent, and loud about bad files.

Two phases, after the files are found:

1. Every file is compared with the ledger (``ImportedFile``), 500 at a time: a file with the
   ledger's size and modification time costs a stat, one with its bytes a SHA-256, and
   nothing else, so a no-op re-import is cheap. The others are queued.
2. Queued files are parsed and cleaned in worker processes (``archive.pipeline``) and
   written by this process in batches, one transaction each. A batch that fails is retried
   file by file, so one bad row fails alone.

The run's memory does not grow with the archive: the files found, the queue and each URL's
winner are kept in temporary tables of the database connection (``_Run``).

Several files with one source URL make one post. The winner is the file whose name sorts last
(the generator names files by date, so that is the newest version), whatever order the files
are read in, so re-imports are stable. The others are reported as duplicates.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from operator import attrgetter, itemgetter
from pathlib import Path, PurePath

from django.conf import settings
from django.db import connection, transaction
from taggit.models import Tag

from archive import cleaning, pipeline, search
from archive.models import ImportedFile, Post, Source, TaggedPost
from archive.parsing import ParsedPost
from archive.pipeline import Failure, Processed, hash_files, process_files
from archive.signals import posts_rewritten

POST_SUFFIXES = {".md", ".markdown"}
# A worker parses a task at a time and the database takes a batch per transaction: small
# tasks keep each worker's memory low, large batches make fewer search-index segments.
TASK_FILES = 16
TASK_BYTES = 1024 * 1024
BATCH_FILES = 64
BATCH_BYTES = 4 * 1024 * 1024
# Below this many files to read, this process alone is done before spawned workers would be
# ready (0.4 s, about 80 median posts' work).
PARALLEL_THRESHOLD = 200
# Files per step of the first phase (one ledger query each): the run never holds the list of
# an archive's paths.
SCAN_FILES = 500


class ImportUsageError(Exception):
    """The paths given cannot be imported at all (not found, nothing to read)."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    search_index_seconds: float = 0.0  # of ``seconds``: the search index's share
    files: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "failed": self.failed,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
            "search_index_seconds": round(self.search_index_seconds, 3),
            "files": self.files,
            "dry_run": self.dry_run,
        }

    def summary(self) -> str:
        rate = self.files / self.seconds if self.seconds else 0.0
        return (
            f"{'[dry run] ' if self.dry_run else ''}"
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"duplicates {len(self.duplicates)}, failed {len(self.failed)} "
            f"in {self.seconds:.2f} s ({rate:.0f} posts/s)"
        )


# --- finding files -----------------------------------------------------------------------


def discover(paths: Iterable[str | os.PathLike]) -> Iterator[str]:
    """Absolute paths of the posts named: files as given, folders searched recursively.

    Every path is checked before this returns; files are then found lazily, in no particular
    order and possibly more than once (a folder given twice, a link to a file found anyway):
    the run's file table sorts them and keeps each once, so no list of them is ever held."""
    files, folders = [], []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_file():
            files.append(str(path.resolve()))
        elif path.is_dir():
            folders.append(str(path.resolve()))
        else:
            raise ImportUsageError(f"{given}: no such file or folder")
    return chain(files, chain.from_iterable(map(_walk, folders)))


def _walk(folder: str) -> Iterator[str]:
    """The posts under ``folder``: hidden files and folders skipped, linked folders not
    followed, a linked file under its real path (a broken link too: its failure is reported)."""
    with os.scandir(folder) as entries:  # one entry at a time: a folder can hold 100,000
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path)
            elif os.path.splitext(entry.name)[1].lower() in POST_SUFFIXES:
                yield os.path.realpath(entry.path) if entry.is_symlink() else entry.path


def rank(path: str) -> tuple[str, str]:
    """Order among files sharing a URL: the newest by file name wins."""
    return (PurePath(path).name, path)


# --- the run -----------------------------------------------------------------------------


def import_paths(
    paths: Iterable[str | os.PathLike],
    *,
    dry_run: bool = False,
    force: bool = False,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_discovered: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the posts under ``paths``; see the module docstring for the rules.

    ``on_discovered(n)`` is told how many files were found, ``progress(k)`` each time k more
    were handled (a progress bar needs both)."""
    started = time.perf_counter()
    pipeline.return_large_blocks_to_the_system()
    found = discover(paths)
    report = ImportReport(dry_run=dry_run)
    jobs = max(1, jobs or len(os.sched_getaffinity(0)))
    pool = None
    try:
        with _no_query_log(), _Run(report, dry_run=dry_run, progress=progress) as run:
            run.files.add((path,) for path in found)
            report.files = run.files.count()
            if on_discovered:
                on_discovered(report.files)
            for rows in run.files.slices():
                run.scan([path for (path,) in rows], force=force)
            if jobs > 1 and run.queue.count() >= PARALLEL_THRESHOLD:
                pool = _pool(jobs)
            tasks = (
                [path for path, _ in group]
                for group in _groups(
                    run.queued_files(),
                    size=itemgetter(1),
                    max_count=TASK_FILES,
                    max_bytes=TASK_BYTES,
                )
            )
            # A batch's worth of tasks and one more per worker in flight: workers go on
            # while a batch is written, and results queued behind the writer stay few.
            window = BATCH_FILES // TASK_FILES + jobs
            results = _imap_bounded(pool, process_files, tasks, window=window)
            for batch in _groups(
                chain.from_iterable(results),
                size=attrgetter("nbytes"),
                max_count=BATCH_FILES,
                max_bytes=BATCH_BYTES,
            ):
                run.write(batch)
            run.finish()
    finally:
        if pool is not None:
            pool.terminate()
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _no_query_log():
    """With DEBUG on, Django keeps and formats every SQL statement: here each one carries
    megabytes of post text, which made imports 5x slower and RSS grow by hundreds of MB."""
    debug = settings.DEBUG
    settings.DEBUG = False
    try:
        with _large_sqlite_checkpoints():
            yield
    finally:
        settings.DEBUG = debug


@contextmanager
def _large_sqlite_checkpoints(pages: int = 32768):
    """SQLite checkpoints its WAL every 1,000 pages (4 MB), with an fsync each time; an import
    writes hundreds of MB, so checkpoint every 128 MB instead and once at the end."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
        (before,) = cursor.execute("PRAGMA wal_autocheckpoint").fetchone()
    if mode != "wal":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(before)}")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _pool(jobs: int):
    # Spawned, not forked: see archive.pipeline.
    return multiprocessing.get_context("spawn").Pool(
        jobs, initializer=pipeline.start_worker, initargs=pipeline.worker_setup()
    )


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _groups(items: Iterable, *, size, max_count: int, max_bytes: int) -> Iterator[list]:
    """Consecutive items in groups of at most ``max_count`` and, unless one item alone is
    larger, ``max_bytes`` by ``size(item)``: memory stays flat whatever the archive."""
    group: list = []
    total = 0
    for item in items:
        nbytes = size(item)
        if group and (len(group) >= max_count or total + nbytes > max_bytes):
            yield group
            group, total = [], 0
        group.append(item)
        total += nbytes
    if group:
        yield group


def _imap_bounded(pool, func, batches: Iterator[list[str]], window: int):
    """Results of func(batch) in order, with at most ``window`` batches in flight."""
    if pool is None:
        yield from map(func, batches)
        return
    pending: deque = deque()
    for batch in batches:
        pending.append(pool.apply_async(func, (batch,)))
        if len(pending) >= window:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


class _TempTable:
    """A temporary table of this connection, for what would otherwise grow in memory with
    the archive. Each connection has its own; it is dropped at the end of the run."""

    def __init__(self, name: str, columns: str):
        self.name, self.columns = name, columns

    @property
    def qualified(self) -> str:
        schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
        return f"{schema}.{self.name}"

    def execute(self, sql: str, params=()) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql.format(table=self.qualified), params)
            return cursor.fetchall() if cursor.description else []

    def executemany(self, sql: str, rows: list) -> None:
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(sql.format(table=self.qualified), rows)

    def create(self) -> None:
        self.execute("DROP TABLE IF EXISTS {table}")
        # SQLite: rows stored in their key's B-tree, not in a second one beside it.
        clustered = " WITHOUT ROWID" if connection.vendor == "sqlite" else ""
        self.execute(f"CREATE TEMPORARY TABLE {self.name} ({self.columns}){clustered}")

    def drop(self) -> None:
        self.execute("DROP TABLE IF EXISTS {table}")


class _Claims(_TempTable):
    """Which file carries each URL in this run so far: the best by ``rank``."""

    def __init__(self):
        super().__init__("import_claims", "url TEXT PRIMARY KEY, path TEXT NOT NULL")

    def winners(self, urls: Iterable[str]) -> dict[str, str]:
        found = {}
        for some in _batched(set(urls), SCAN_FILES):
            marks = ", ".join(["%s"] * len(some))
            sql = f"SELECT url, path FROM {{table}} WHERE url IN ({marks})"  # noqa: S608
            found.update(self.execute(sql, some))
        return found

    def record(self, winners: dict[str, str]) -> None:
        self.executemany(
            "INSERT INTO {table} (url, path) VALUES (%s, %s) "
            "ON CONFLICT (url) DO UPDATE SET path = excluded.path",
            list(winners.items()),
        )


class _PathTable(_TempTable):
    """Rows keyed by path, each path once, read back a slice at a time in path order (which
    makes the order of new posts' ids)."""

    def __init__(self, name: str, columns: tuple[str, ...] = ()):
        # Python's order of str, which SQLite's default collation has; PostgreSQL's would
        # follow the locale.
        collation = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
        key = f"path TEXT{collation} PRIMARY KEY"
        super().__init__(name, ", ".join([key, *(f"{c} BIGINT" for c in columns)]))
        # Column names are this module's constants; values are parameters.
        names = ", ".join(["path", *columns])
        marks = ", ".join(["%s"] * (1 + len(columns)))
        insert = f"INSERT INTO {{table}} ({names}) VALUES ({marks})"  # noqa: S608
        self.insert = insert + " ON CONFLICT DO NOTHING"
        self.select = f"SELECT {names} FROM {{table}} WHERE path > %s"  # noqa: S608
        self.select += " ORDER BY path LIMIT %s"

    def add(self, rows: Iterable[tuple]) -> None:
        for some in _batched(rows, SCAN_FILES):
            self.executemany(self.insert, some)

    def count(self) -> int:
        return self.execute("SELECT count(*) FROM {table}")[0][0]

    def slices(self) -> Iterator[list[tuple]]:
        last = ""
        while rows := self.execute(self.select, [last, SCAN_FILES]):
            yield rows
            last = rows[-1][0]


class _Run:
    """State of one import run: a context manager around the run's temporary tables.

    What would grow with the archive (its files, the files still to read, every URL's
    winner) is kept in those tables, and the ledger is read a slice of files at a time. What
    stays in memory grows only with what the report lists: duplicates, failures, warnings."""

    def __init__(self, report: ImportReport, *, dry_run: bool, progress=None):
        self.report = report
        self.dry_run = dry_run
        self.progress = progress or (lambda n: None)
        self.files = _PathTable("import_files")  # every file found, once
        self.claims = _Claims()
        # The files the first phase found new or changed, for the second to read.
        self.queue = _PathTable("import_queue", ("size", "mtime_ns"))
        # Every file of a URL carried by more than one, and the files that lost their URL
        # to a later winner: as many as there are duplicates.
        self.shared_urls: dict[str, list[str]] = {}
        self.demoted: set[str] = set()
        self.source_ids: dict[str, int] = {}
        self.tag_ids: dict[str, int] = {}
        self.stats: dict[str, tuple[int, int]] = {}  # (size, mtime_ns) of files in flight

    def __enter__(self) -> _Run:
        for table in self.tables():
            table.create()
        return self

    def __exit__(self, *exc_info) -> None:
        if connection.needs_rollback:
            return  # the caller's transaction is rolling back, and the tables with it
        for table in self.tables():
            table.drop()

    def tables(self) -> list[_TempTable]:
        return [self.files, self.claims, self.queue]

    # Phase 1 ------------------------------------------------------------------------------

    def scan(self, files: list[str], *, force: bool) -> None:
        """Count the files that are unchanged since the ledger saw them and queue the rest.

        A file whose size and modification time match the ledger's is not even read (what
        make and rsync trust too); one whose bytes hash to the ledger's is unchanged too, and
        the ledger learns its new size and time. ``force`` ignores the ledger: all are queued."""
        ledger = {} if force else self._ledger(files)
        stats, to_hash, unchanged, restat = {}, [], [], []
        for path in files:
            try:
                stat = os.stat(path)
            except OSError:
                to_hash.append(path)  # hash_files reports the reason
                continue
            stats[path] = (stat.st_size, stat.st_mtime_ns)
            known = ledger.get(path)
            if known is not None and self._unchanged(known, known[0]) and known[4:6] == stats[path]:
                unchanged.append((known[2], path))
            else:
                to_hash.append(path)
        queued = []
        for path, digest, error in hash_files(to_hash):
            known = ledger.get(path)
            if error:
                self._fail(Failure(path, error))
            elif self._unchanged(known, digest):
                unchanged.append((known[2], path))
                restat.append(path)
            else:
                queued.append((path, *stats.get(path, (0, 0))))
        self._claim(unchanged)
        self.report.unchanged += len(unchanged)
        self.progress(len(unchanged))
        self.queue.add(queued)
        if restat and not self.dry_run:
            with transaction.atomic():
                for path in restat:
                    size, mtime_ns = stats[path]
                    ImportedFile.objects.filter(path=path).update(size=size, mtime_ns=mtime_ns)

    @staticmethod
    def _ledger(files: list[str]) -> dict[str, tuple]:
        return {
            row[0]: row[1:]
            for row in ImportedFile.objects.filter(path__in=files).values_list(
                "path", "content_hash", "status", "url", "post__content_hash", "size", "mtime_ns"
            )
        }

    @staticmethod
    def _unchanged(known: tuple | None, digest: str | None) -> bool:
        """Does the ledger row ``known`` vouch for a file with this digest?"""
        return (
            known is not None
            and known[0] == digest
            and known[1] == ImportedFile.Status.IMPORTED
            and known[3] == digest  # the post still holds this file's content
        )

    # Phase 2 ------------------------------------------------------------------------------

    def queued_files(self) -> Iterator[tuple[str, int]]:
        """(path, size) of the queued files; their stats wait here until they are written."""
        for rows in self.queue.slices():
            for path, size, mtime_ns in rows:
                self.stats[path] = (size, mtime_ns)
                yield path, size

    def write(self, results: list[Processed | Failure]) -> None:
        processed = []
        for item in results:
            if isinstance(item, Failure):
                self._fail(item)
            else:
                self._warn(item.post)
                processed.append(item)
        batch: dict[str, Processed] = {}
        losers: list[Processed] = []
        wins = self._claim([(item.post.url, item.post.path) for item in processed])
        for item, won in zip(processed, wins, strict=True):
            url = item.post.url
            if won:
                if url in batch:
                    losers.append(batch[url])
                batch[url] = item
            else:
                losers.append(item)
        if not self.dry_run:
            self._ensure_sources_and_tags(batch.values())
        try:
            with transaction.atomic():
                counts = self._write_batch(list(batch.values()), losers)
            self._count(counts)
        except Exception:
            # Something in the batch broke the database: find it by writing one at a time.
            for item in [*batch.values(), *losers]:
                is_loser = any(item is loser for loser in losers)
                try:
                    with transaction.atomic():
                        counts = self._write_batch(
                            [] if is_loser else [item], [item] if is_loser else []
                        )
                    self._count(counts)
                except Exception as exc:
                    self._fail(Failure(item.post.path, f"database: {exc}", item.post.content_hash))
        for item in results:
            self.stats.pop(item.post.path if isinstance(item, Processed) else item.path, None)
        self.progress(len(results))

    def _claim(self, files: list[tuple[str, str]]) -> list[bool]:
        """Record that each (url, path) carries its URL; True for a file that is now its URL's
        winner (the best-ranked file so far)."""
        winners = self.claims.winners(url for url, _ in files)
        changed: dict[str, str] = {}
        wins = []
        for url, path in files:
            current = winners.get(url)
            if current is not None:
                self.shared_urls.setdefault(url, [current]).append(path)
                if rank(current) > rank(path):
                    wins.append(False)
                    continue
                self.demoted.add(current)
            winners[url] = changed[url] = path
            wins.append(True)
        self.claims.record(changed)
        return wins

    def _count(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            setattr(self.report, key, getattr(self.report, key) + value)

    def _write_batch(self, winners: list[Processed], losers: list[Processed]) -> dict[str, int]:
        """Write one batch (the caller holds the transaction); return what it counted."""
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        existing = {
            row["url"]: row
            for row in Post.objects.filter(url__in=[w.post.url for w in winners]).values(
                "id", "url", "content_hash", "cleaner_version", "path"
            )
        }
        creates, updates, ledger = [], [], []
        for item in winners:
            post, row = item.post, existing.get(item.post.url)
            if row is None:
                creates.append(item)
                counts["created"] += 1
            elif (
                row["content_hash"] != post.content_hash
                or row["cleaner_version"] != item.cleaned.version
            ):
                updates.append((row["id"], item))
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
                if row["path"] != post.path and not self.dry_run:
                    Post.objects.filter(pk=row["id"]).update(path=post.path)
                ledger.append((post, ImportedFile.Status.IMPORTED, row["id"]))
        if not self.dry_run:
            created = self._insert_posts(creates)
            previous = _texts([pk for pk, _ in updates])
            for pk, item in updates:
                Post.objects.filter(pk=pk).update(**self._post_fields(item))
            if updates:
                posts_rewritten.send(Post, post_ids=[pk for pk, _ in updates], previous=previous)
            written = created + updates
            ledger += [(item.post, ImportedFile.Status.IMPORTED, pk) for pk, item in written]
            self._replace_tags(written, previously_tagged=[pk for pk, _ in updates])
            indexing = time.perf_counter()
            search.index_documents([(pk, item.document) for pk, item in written])
            self.report.search_index_seconds += time.perf_counter() - indexing
            for item in losers:
                ledger.append((item.post, ImportedFile.Status.DUPLICATE, None))
            self._write_ledger(ledger)
        return counts

    def _post_fields(self, item: Processed) -> dict:
        post, cleaned = item.post, item.cleaned
        return {
            "title": post.title,
            "author": post.author,
            "published_at": post.published_at,
            "source_id": self.source_ids[post.source_name],
            "raw_front_matter": post.raw_front_matter,
            "raw_body": post.raw_body,
            "body_html": cleaned.body_html,
            "text": cleaned.text,
            "cleaner_version": cleaned.version,
            "path": post.path,
            "content_hash": post.content_hash,
            "updated_at": _now(),
        }

    def _insert_posts(self, items: list[Processed]) -> list[tuple[int, Processed]]:
        """INSERT new posts with executemany: the ORM's per-value work on megabytes of text
        cost as much as SQLite's own writing. Returns (id, item) pairs."""
        if not items:
            return []
        now = _now()
        rows = []
        for item in items:
            fields = self._post_fields(item)
            fields.update(url=item.post.url, created_at=now, updated_at=now)
            rows.append(fields)
        columns = list(rows[0])
        fields = [Post._meta.get_field(_field_name(c)) for c in columns]
        # Only dates need the backend's adaptation (SQLite stores them as naive UTC text).
        adapt = {
            c: f
            for c, f in zip(columns, fields, strict=True)
            if f.get_internal_type() == "DateTimeField"
        }
        for row in rows:
            for column, model_field in adapt.items():
                row[column] = model_field.get_db_prep_save(row[column], connection)
        db_columns = [f.column for f in fields]
        quote = connection.ops.quote_name
        # Names come from the model's own metadata, values are parameters.
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(Post._meta.db_table),
            ", ".join(quote(c) for c in db_columns),
            ", ".join(["%s"] * len(columns)),
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, [[row[c] for c in columns] for row in rows])
        ids = dict(
            Post.objects.filter(url__in=[i.post.url for i in items]).values_list("url", "id")
        )
        return [(ids[item.post.url], item) for item in items]

    def _replace_tags(self, posts: list[tuple[int, Processed]], previously_tagged: list[int]):
        if previously_tagged:
            TaggedPost.objects.filter(content_object_id__in=previously_tagged).delete()
        TaggedPost.objects.bulk_create(
            TaggedPost(content_object_id=pk, tag_id=self.tag_ids[name.casefold()])
            for pk, item in posts
            for name in item.post.tags
        )

    def _ensure_sources_and_tags(self, items: Iterable[Processed]) -> None:
        """Create missing sources and tags outside the batch transaction (they are shared)."""
        items = list(items)
        if not self.source_ids:
            self.source_ids = dict(Source.objects.values_list("name", "id"))
            self.tag_ids = {
                name.casefold(): pk for name, pk in Tag.objects.values_list("name", "id")
            }
        for item in items:
            name = item.post.source_name
            if name not in self.source_ids:
                self.source_ids[name] = _create_source(name).pk
            for tag in item.post.tags:
                if tag.casefold() not in self.tag_ids:
                    self.tag_ids[tag.casefold()] = Tag.objects.create(name=tag).pk

    def _write_ledger(self, entries: list[tuple[ParsedPost | Failure, str, int | None]]) -> None:
        if not entries:
            return
        ImportedFile.objects.bulk_create(
            [
                ImportedFile(
                    path=entry.path,
                    content_hash=entry.content_hash,
                    size=self.stats.get(entry.path, (0, 0))[0],
                    mtime_ns=self.stats.get(entry.path, (0, 0))[1],
                    status=status,
                    url=getattr(entry, "url", ""),
                    post_id=post_id,
                    error=getattr(entry, "error", ""),
                )
                for entry, status, post_id in entries
            ],
            update_conflicts=True,
            unique_fields=["path"],
            update_fields=[
                "content_hash",
                "size",
                "mtime_ns",
                "status",
                "url",
                "post",
                "error",
                "seen_at",
            ],
        )

    def _fail(self, failure: Failure) -> None:
        self.report.failed.append({"path": failure.path, "error": failure.error})
        if not self.dry_run and failure.content_hash:
            self._write_ledger([(failure, ImportedFile.Status.FAILED, None)])

    def _warn(self, post: ParsedPost) -> None:
        self.report.warnings.extend({"path": post.path, "message": m} for m in post.warnings)

    # End ----------------------------------------------------------------------------------

    def finish(self) -> None:
        if self.demoted and not self.dry_run:
            for paths in _batched(sorted(self.demoted), SCAN_FILES):
                ImportedFile.objects.filter(path__in=paths).update(
                    status=ImportedFile.Status.DUPLICATE, post=None
                )
        kept = self.claims.winners(self.shared_urls)
        self.report.duplicates = [
            {"url": url, "paths": sorted(paths, key=rank), "kept": kept[url]}
            for url, paths in sorted(self.shared_urls.items())
        ]
        self.report.failed.sort(key=lambda f: f["path"])


def _field_name(column_key: str) -> str:
    return column_key.removesuffix("_id")


def _create_source(name: str) -> Source:
    base = Source.slug_for(name)[:110]
    slug, n = base, 1
    while Source.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return Source.objects.create(name=name, slug=slug)


def _now():
    from django.utils import timezone

    return timezone.now()


def _texts(post_ids: list[int]) -> dict[int, str]:
    """The current text of posts about to be rewritten (annotations follow it to the new)."""
    if not post_ids:
        return {}
    return dict(Post.objects.filter(pk__in=post_ids).values_list("id", "text"))


def reclean(*, only_outdated: bool = True, batch_size: int = 200) -> int:
    """Recompute body_html and text from raw_body with the current cleaner; return the count."""
    posts = Post.objects.all()
    if only_outdated:
        posts = posts.exclude(cleaner_version=cleaning.CLEANER_VERSION)
    count = 0
    ids = list(posts.values_list("id", flat=True))
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            documents, previous = [], {}
            for pk, raw_body, title, author, url, text in Post.objects.filter(
                id__in=ids[start : start + batch_size]
            ).values_list("id", "raw_body", "title", "author", "url", "text"):
                previous[pk] = text
                cleaned = cleaning.clean(raw_body, title=title, url=url)
                Post.objects.filter(pk=pk).update(
                    body_html=cleaned.body_html,
                    text=cleaned.text,
                    cleaner_version=cleaned.version,
                    updated_at=_now(),  # update() skips auto_now; cached pages key on it
                )
                documents.append((pk, search.Document.of(title, author, cleaned.text)))
                count += 1
            search.index_documents(documents)
            posts_rewritten.send(Post, post_ids=[pk for pk, _ in documents], previous=previous)
    return count
