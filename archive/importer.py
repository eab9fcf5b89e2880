"""Import a Jekyll post archive into Post rows: fast, idempotent, and loud about bad files.

Two phases, after the files are found:

1. Every file is compared with the ledger (``ImportedFile``), 500 at a time: a file with the
   ledger's size and modification time costs a stat, one with its bytes a SHA-256, and
   nothing else, so a no-op re-import is cheap. The others are queued.
2. Queued files are parsed and cleaned in worker processes (``archive.pipeline``) and
   written by this process in batches, one transaction each. A batch that fails is retried
   file by file, so one bad row fails alone.

The run's memory does not grow with the archive: the files found, the queue and each URL's
winner are kept in temporary tables of the database connection (``archive.run_tables``).

This module decides (what is new, changed, unchanged, a duplicate, a failure) and reports;
``archive.writer`` writes what it decided, or, in a dry run, nothing.

Several files with one source URL make one post. The winner is the file whose name sorts last
(the generator names files by date, so that is the newest version), whatever order the files
are read in, so re-imports are stable. The others are reported as duplicates.

A file the ledger knows under a folder being imported that the run no longer finds there has
left the archive: the ledger forgets it, and its post, if no other file carries it, is marked
gone (``Post.gone_at``), never deleted: it stays readable with its annotations. Only the
folders imported are judged, never files elsewhere; a file that comes back clears the mark.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from operator import attrgetter, itemgetter
from pathlib import Path, PurePath
from typing import NamedTuple

from django.conf import settings
from django.db import connection

from archive import pipeline, search
from archive.batching import groups
from archive.models import ImportedFile, Post
from archive.parsing import ParsedPost
from archive.pipeline import Failure, Processed, Workers, hash_files, process_files
from archive.run_tables import ROWS_PER_QUERY, Claims, PathTable, TempTable
from archive.writer import Batch, DryRun, PostWriter, write_error

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
    gone: int = 0  # posts whose file left the archive in this run
    # Annotations of rewritten posts found again in their new text, and those orphaned.
    reanchored: int = 0
    orphaned: int = 0

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
            "gone": self.gone,
            "reanchored": self.reanchored,
            "orphaned": self.orphaned,
        }

    def summary(self) -> str:
        rate = self.files / self.seconds if self.seconds else 0.0
        return (
            f"{'[dry run] ' if self.dry_run else ''}"
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"duplicates {len(self.duplicates)}, failed {len(self.failed)}, "
            f"warnings {len(self.warnings)} in {self.seconds:.2f} s ({rate:.0f} posts/s); "
            f"gone {self.gone}; annotations re-anchored {self.reanchored}, "
            f"orphaned {self.orphaned}"
        )


# --- finding files -----------------------------------------------------------------------


def discover(paths: Iterable[str | os.PathLike]) -> Iterator[str]:
    """Absolute paths of the posts named: files as given, folders searched recursively.

    Every path is checked before this returns; files are then found lazily, in no particular
    order and possibly more than once (a folder given twice, a link to a file found anyway):
    the run's file table sorts them and keeps each once, so no list of them is ever held."""
    return _files_in(*_given(paths))


def _files_in(files: list[str], folders: list[str]) -> Iterator[str]:
    return chain(files, chain.from_iterable(map(_walk, folders)))


def _given(paths: Iterable[str | os.PathLike]) -> tuple[list[str], list[str]]:
    """(files, folders) named, as absolute paths; raises for one that does not exist."""
    files, folders = [], []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            folders.append(str(path.resolve()))
        elif path.exists():  # a file, or something else whose reading fails with the reason
            files.append(str(path.resolve()))
        else:
            raise ImportUsageError(f"{given}: no such file or folder")
    return files, folders


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
    were handled (a progress bar needs both). Raises ``pipeline.WorkersKeepDying`` if worker
    processes die whatever they read."""
    started = time.perf_counter()
    pipeline.return_large_blocks_to_the_system()
    files, folders = _given(paths)
    found = _files_in(files, folders)
    report = ImportReport(dry_run=dry_run)
    jobs = max(1, jobs or len(os.sched_getaffinity(0)))
    max_bytes = settings.PIZHU_MAX_POST_BYTES
    process = partial(process_files, max_bytes=max_bytes, index=search.document_type())
    workers = None
    try:
        with _no_query_log(), _Run(report, dry_run=dry_run, progress=progress) as run:
            run.files.add((path,) for path in run.storable(found))
            report.files = run.files.count() + run.unstorable
            if on_discovered:
                on_discovered(report.files)
            for rows in run.files.slices():
                run.scan([path for (path,) in rows], force=force, max_bytes=max_bytes)
            if jobs > 1 and run.queue.count() >= PARALLEL_THRESHOLD:
                workers = Workers(jobs, process)
            tasks = (
                [path for path, _ in group]
                for group in groups(
                    run.queued_files(),
                    size=itemgetter(1),
                    max_count=TASK_FILES,
                    max_bytes=TASK_BYTES,
                )
            )
            # A batch's worth of tasks and one more per worker in flight: workers go on
            # while a batch is written, and results queued behind the writer stay few.
            window = BATCH_FILES // TASK_FILES + jobs
            results = workers.imap(tasks, window) if workers else map(process, tasks)
            for batch in groups(
                chain.from_iterable(results),
                size=attrgetter("nbytes"),
                max_count=BATCH_FILES,
                max_bytes=BATCH_BYTES,
            ):
                run.write(batch)
            run.finish()
            for folder in folders:
                run.retire_vanished(folder)
    finally:
        if workers is not None:
            workers.close()
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


class LedgerRow(NamedTuple):
    """What the ledger (``ImportedFile``) remembers of a path."""

    content_hash: str
    status: str
    url: str
    post_hash: str | None  # the content hash of the post the file made, if it still has one
    size: int
    mtime_ns: int

    def vouches_for(self, digest: str | None) -> bool:
        """Is a file with this digest unchanged since it was imported (and its post still
        holds its content)?"""
        return (
            self.content_hash == digest
            and self.status == ImportedFile.Status.IMPORTED
            and self.post_hash == digest
        )

    @classmethod
    def read(cls, paths: list[str]) -> dict[str, LedgerRow]:
        rows = ImportedFile.objects.filter(path__in=paths).values_list(
            "path", "content_hash", "status", "url", "post__content_hash", "size", "mtime_ns"
        )
        return {path: cls(*fields) for path, *fields in rows}


class _Run:
    """State of one import run: a context manager around the run's temporary tables.

    What would grow with the archive (its files, the files still to read, every URL's
    winner) is kept in those tables, and the ledger is read a slice of files at a time. What
    stays in memory grows only with what the report lists: duplicates, failures, warnings."""

    def __init__(self, report: ImportReport, *, dry_run: bool, progress=None):
        self.report = report
        self.progress = progress or (lambda n: None)
        self.files = PathTable("import_files")  # every file found, once
        self.claims = Claims()
        # The files the first phase found new or changed, for the second to read.
        self.queue = PathTable("import_queue", ("size", "mtime_ns"))
        # Every file of a URL carried by more than one, and the files that lost their URL
        # to a later winner: as many as there are duplicates.
        self.shared_urls: dict[str, list[str]] = {}
        self.demoted: set[str] = set()
        self.stats: dict[str, tuple[int, int]] = {}  # (size, mtime_ns) of files in flight
        self.unstorable = 0  # files found whose names the database cannot hold
        self.writer = (DryRun if dry_run else PostWriter)(self.stats)

    def __enter__(self) -> _Run:
        for table in self.tables():
            table.create()
        return self

    def __exit__(self, *exc_info) -> None:
        self.report.search_index_seconds = self.writer.index_seconds
        followed = self.writer.followed
        self.report.orphaned = followed["orphaned"]
        self.report.reanchored = followed.total() - self.report.orphaned
        if connection.needs_rollback:
            return  # the caller's transaction is rolling back, and the tables with it
        for table in self.tables():
            table.drop()

    def tables(self) -> list[TempTable]:
        return [self.files, self.claims, self.queue]

    # Phase 1 ------------------------------------------------------------------------------

    def storable(self, paths: Iterable[str]) -> Iterator[str]:
        """The paths a database can hold; each other one (a name whose bytes are not UTF-8,
        which Python carries as lone surrogates) fails here, shown with ``\\x`` escapes."""
        refused: set[str] = set()
        for path in paths:
            try:
                path.encode("utf-8")
            except UnicodeEncodeError:
                if path not in refused:  # a file can be found twice
                    refused.add(path)
                    self.unstorable += 1
                    shown = os.fsencode(path).decode("utf-8", "backslashreplace")
                    self._fail(Failure(shown, "file name is not UTF-8: rename it to import it"))
                continue
            yield path

    def scan(self, files: list[str], *, force: bool, max_bytes: int) -> None:
        """Count the files that are unchanged since the ledger saw them and queue the rest.

        A file whose size and modification time match the ledger's is not even read (what
        make and rsync trust too); one whose bytes hash to the ledger's is unchanged too, and
        the ledger learns its new size and time. ``force`` ignores the ledger: all are queued."""
        ledger = {} if force else LedgerRow.read(files)
        stats, to_hash, unchanged, restat = {}, [], [], []
        for path in files:
            try:
                stat = os.stat(path)
            except OSError:
                to_hash.append(path)  # hash_files reports the reason
                continue
            stats[path] = (stat.st_size, stat.st_mtime_ns)
            known = ledger.get(path)
            if (
                known is not None
                and known.vouches_for(known.content_hash)
                and (known.size, known.mtime_ns) == stats[path]
            ):
                unchanged.append((known.url, path))
            else:
                to_hash.append(path)
        queued = []
        for path, digest, error in hash_files(to_hash, max_bytes=max_bytes):
            known = ledger.get(path)
            if error:
                self._fail(Failure(path, error))
            elif known is not None and known.vouches_for(digest):
                unchanged.append((known.url, path))
                restat.append((path, *stats[path]))
            else:
                queued.append((path, *stats.get(path, (0, 0))))
        self._claim(unchanged)
        self.report.unchanged += len(unchanged)
        self.progress(len(unchanged))
        self.queue.add(queued)
        self.writer.restat(restat)

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
        batch = self._decide(processed)
        try:
            self.writer.write(batch)
            self._count(batch)
        except Exception:
            # Something in the batch broke the database: find it by writing one at a time.
            for item, single in batch.split():
                try:
                    self.writer.write(single)
                    self._count(single)
                except Exception as exc:
                    post = item.post
                    self._fail(Failure(post.path, write_error(exc), post.content_hash))
        for item in results:
            self.stats.pop(item.post.path if isinstance(item, Processed) else item.path, None)
        self.progress(len(results))

    def _decide(self, processed: list[Processed]) -> Batch:
        """What to write for these files: each URL's winner is new, rewritten or unchanged;
        the files that lost their URL are duplicates."""
        batch = Batch()
        winners: dict[str, Processed] = {}
        wins = self._claim([(item.post.url, item.post.path) for item in processed])
        for item, won in zip(processed, wins, strict=True):
            url = item.post.url
            if won:
                if url in winners:
                    batch.duplicates.append(winners[url])
                winners[url] = item
            else:
                batch.duplicates.append(item)
        existing = {
            row["url"]: row
            for row in Post.objects.filter(url__in=list(winners)).values(
                "id", "url", "content_hash", "cleaner_version", "path"
            )
        }
        for url, item in winners.items():
            row = existing.get(url)
            if row is None:
                batch.new.append(item)
            elif (
                row["content_hash"] != item.post.content_hash
                or row["cleaner_version"] != item.cleaned.version
            ):
                batch.rewritten.append((row["id"], item))
            else:
                batch.unchanged.append((row["id"], item))
                if row["path"] != item.post.path:
                    batch.moved[row["id"]] = item.post.path
        return batch

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

    def _count(self, batch: Batch) -> None:
        for key, value in batch.counts().items():
            setattr(self.report, key, getattr(self.report, key) + value)

    def _fail(self, failure: Failure) -> None:
        self.report.failed.append({"path": failure.path, "error": failure.error})
        self.writer.record_failure(failure)

    def _warn(self, post: ParsedPost) -> None:
        self.report.warnings.extend({"path": post.path, "message": m} for m in post.warnings)

    # End ----------------------------------------------------------------------------------

    def finish(self) -> None:
        self.writer.demote(self.demoted)
        kept = self.claims.winners(self.shared_urls)
        self.report.duplicates = [
            {"url": url, "paths": sorted(paths, key=rank), "kept": kept[url]}
            for url, paths in sorted(self.shared_urls.items())
        ]
        self.report.failed.sort(key=lambda f: f["path"])

    def retire_vanished(self, folder: str) -> None:
        """Mark gone the posts whose files left ``folder`` (see the module docstring). After
        every write: a file renamed or a duplicate promoted carries its post on."""
        prefix = os.path.join(folder, "")
        under = ImportedFile.objects.filter(path__startswith=prefix).order_by("path")
        if not self._found_under(prefix):
            if under.exists():  # an archive unmounted or emptied by mistake loses nothing
                self.report.warnings.append(
                    {"path": folder, "message": "no posts found here: none marked gone"}
                )
            return
        last = ""
        while paths := list(
            under.filter(path__gt=last).values_list("path", flat=True)[:ROWS_PER_QUERY]
        ):
            last = paths[-1]
            found = self._found(paths)
            if vanished := [path for path in paths if path not in found]:
                self.report.gone += self.writer.retire(vanished, self.claims.winners)

    def _found(self, paths: list[str]) -> set[str]:
        marks = ", ".join(["%s"] * len(paths))
        sql = f"SELECT path FROM {{table}} WHERE path IN ({marks})"  # noqa: S608
        return {path for (path,) in self.files.execute(sql, paths)}

    def _found_under(self, prefix: str) -> bool:
        # Every path that starts with ``prefix`` sorts between it and the prefix whose last
        # character (the separator) is one higher: the file table sorts by code point.
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        sql = "SELECT 1 FROM {table} WHERE path >= %s AND path < %s LIMIT 1"
        return bool(self.files.execute(sql, [prefix, end]))
