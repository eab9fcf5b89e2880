"""The importer's per-file work: read, parse, clean and tokenize one post.

Pure and free of Django's ORM, so that import workers are *spawned* (fresh interpreters)
rather than forked from a process that holds Django, the ORM and every app: a forked worker
carried 70 MB of its parent, a spawned one starts at 30 MB. ``start_worker`` hands each
worker the tables it would otherwise build itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache

from archive import chinese, cleaning
from archive.batching import imap_bounded
from archive.parsing import ParsedPost, PostError, content_hash, parse_post
from archive.search_text import Document, Grams


@dataclass
class Processed:
    """A parsed and cleaned file, ready to write (what a worker sends back)."""

    post: ParsedPost
    cleaned: cleaning.Cleaned
    document: Document | Grams  # the search index's tokens, made by the worker too

    @property
    def nbytes(self) -> int:
        return len(self.post.raw_body)


@dataclass
class Failure:
    path: str
    error: str
    content_hash: str = ""
    nbytes = 0


def worker_setup() -> tuple:
    """Arguments for ``start_worker``, computed once in the parent."""
    return (chinese.char_tables("t2s"),)  # folding for the search index needs only this one


def start_worker(tables: dict[str, dict[int, str]]) -> None:
    # Building the character tables loads OpenCC's dictionaries: 10 MB in every worker.
    chinese.install_char_tables(tables)
    return_large_blocks_to_the_system()
    # The writer (the parent) is the import's slower side: when both want a core, it goes
    # first, and workers use what it leaves.
    os.nice(WORKER_NICENESS)


WORKER_NICENESS = 5
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number


def return_large_blocks_to_the_system(threshold: int = 64 * 1024) -> None:
    """Keep glibc from holding on to freed post-sized strings.

    glibc raises its mmap threshold each time a large mapped block is freed, up to 32 MB;
    after the first few posts every string of a post came from the heap, and the heap's free
    space, fragmented by small objects, was not returned: 34 to 56 MB more peak RSS over the
    import's processes (bench/import_bench.py). A fixed threshold keeps large blocks mapped,
    so freeing them gives the memory back. No-op off glibc."""
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(M_MMAP_THRESHOLD, threshold)


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


class Unreadable(Exception):
    """The path is not a file the importer reads; the message says why."""


_NOT_REGULAR = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


def read_post_bytes(path: str, *, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``, if it holds at most ``max_bytes``.

    Anything else raises Unreadable, read no further than ``max_bytes`` + 1: a device
    (``/dev/zero`` never ends), a FIFO (opening one waits for a writer, so it is opened
    non-blocking), a folder, a file over the limit. What is checked is what was opened (fstat),
    not what the name pointed to a moment before."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _NOT_REGULAR.get(stat.S_IFMT(info.st_mode), "of an unknown kind")
            raise Unreadable(f"not a regular file ({kind})")
        if info.st_size > max_bytes:
            raise Unreadable(_too_large(info.st_size, max_bytes))
        with open(fd, "rb", closefd=False) as file:
            # The whole file in one read, and a byte more to see whether it grew since fstat.
            data = file.read(info.st_size + 1)
            if len(data) > info.st_size:
                data += file.read(max_bytes + 1 - len(data))
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise Unreadable(_too_large(len(data), max_bytes))
    return data


def _too_large(size: int, max_bytes: int) -> str:
    return f"{size:,} bytes, over the limit of {max_bytes:,} bytes (PIZHU_MAX_POST_BYTES)"


def hash_files(paths: list[str], *, max_bytes: int) -> list[tuple[str, str, str]]:
    """(path, sha256, error) for each path."""
    result = []
    for path in paths:
        try:
            data = read_post_bytes(path, max_bytes=max_bytes)
        except Unreadable as exc:
            result.append((path, "", str(exc)))
            continue
        result.append((path, content_hash(data), ""))
    return result


def process_files(
    paths: list[str], *, max_bytes: int, index: type[Document | Grams] = Document
) -> list[Processed | Failure]:
    """``index``: what the database's search index holds (archive.search.document_type)."""
    return [process_file(path, max_bytes=max_bytes, index=index) for path in paths]


def process_file(
    path: str, *, max_bytes: int, index: type[Document | Grams] = Document
) -> Processed | Failure:
    try:
        data = read_post_bytes(path, max_bytes=max_bytes)
    except Unreadable as exc:
        return Failure(path, str(exc))
    try:
        post = parse_post(data, path)
        cleaned = cleaning.clean(post.raw_body, title=post.title, url=post.url)
        return Processed(post, cleaned, index.of(post.title, post.author, cleaned.text))
    except PostError as exc:
        return Failure(path, str(exc), content_hash(data))
    except Exception as exc:  # a parser bug must fail one file, not the run
        return Failure(path, f"unexpected {type(exc).__name__}: {exc}", content_hash(data))


# --- worker processes ----------------------------------------------------------------------

IN_FLIGHT_WARNING = "a worker process died while this file was in flight; read again on its own"
DIED_READING = "its worker process died reading it, again when read alone (killed, or a crash)"
# Lone workers dying on this many files in a row, none read between: workers cannot run here
# at all (a crash at start, no memory), and reading every file alone would only be slow.
DEATHS_IN_A_ROW_TO_GIVE_UP = 3


class WorkersKeepDying(Exception):
    """Worker processes die whatever they read: the run cannot go on."""


class Workers:
    """The import's worker processes, which survive the death of one of them.

    A worker can die without a word: killed (the OOM killer, a person), or crashed in C code.
    concurrent.futures then fails what the pool still owed (multiprocessing.Pool waited for it
    forever). Those files are read again one at a time in a worker of their own, so the one
    that kills its reader fails alone and the others get a warning; a new pool takes the rest.
    Workers are spawned, not forked: see the module docstring."""

    def __init__(self, jobs: int, func: Callable[[list[str]], list[Processed | Failure]]):
        self.jobs, self.func = jobs, func
        self.setup = worker_setup()
        self.pool = self._spawn(jobs)
        self.lone: ProcessPoolExecutor | None = None  # one worker, for a file read alone
        self.died_on: list[str] = []  # files a lone worker died on, since one was read

    def imap(self, tasks: Iterable[list[str]], window: int) -> Iterator[list]:
        """``func(task)`` for each task (a list of paths), in order; see imap_bounded."""
        return imap_bounded(self.pool, self.func, tasks, window, recover=self._recover)

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)
        self._end_lone()

    def _recover(self, tasks: list[list[str]]) -> tuple[list[list], ProcessPoolExecutor]:
        """The pool broke: read what it owed a file at a time, then go on with a new pool."""
        self.pool.shutdown()  # its workers are gone already: a broken pool ends them all
        try:
            results = [[self._read_alone(path) for path in task] for task in tasks]
        finally:
            self._end_lone()
        self.pool = self._spawn(self.jobs)
        return results, self.pool

    def _read_alone(self, path: str) -> Processed | Failure:
        self.lone = self.lone or self._spawn(1)
        try:
            (result,) = self.lone.submit(self.func, [path]).result()
        except BrokenExecutor:
            self._end_lone()
            return self._died_on(path)
        self.died_on.clear()
        if isinstance(result, Processed):
            result.post.warnings.append(IN_FLIGHT_WARNING)
        return result

    def _end_lone(self) -> None:
        if self.lone is not None:
            self.lone.shutdown()
            self.lone = None

    def _died_on(self, path: str) -> Failure:
        self.died_on.append(path)
        if len(self.died_on) >= DEATHS_IN_A_ROW_TO_GIVE_UP:
            raise WorkersKeepDying(
                f"worker processes died on {len(self.died_on)} files in a row, each read alone "
                f"({', '.join(self.died_on)}): they cannot run here, so the import stopped. "
                "What was imported before is kept; run the import again to go on."
            )
        return Failure(path, DIED_READING)

    def _spawn(self, jobs: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=self.setup,
        )
