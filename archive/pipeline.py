"""The importer's per-file work: read, parse, clean and tokenize one post.

Pure and free of Django's ORM, so that import workers are *spawned* (fresh interpreters)
rather than forked from a process that holds Django, the ORM and every app: a forked worker
carried 70 MB of its parent, a spawned one starts at 30 MB. ``start_worker`` hands each
worker the tables it would otherwise build itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from archive import chinese, cleaning
from archive.parsing import ParsedPost, PostError, content_hash, parse_post
from archive.search_text import Document


@dataclass
class Processed:
    """A parsed and cleaned file, ready to write (what a worker sends back)."""

    post: ParsedPost
    cleaned: cleaning.Cleaned
    document: Document  # the search index's tokens, made by the worker too

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


def hash_files(paths: list[str]) -> list[tuple[str, str, str]]:
    """(path, sha256, error) for each path."""
    result = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            result.append((path, "", f"cannot read: {exc.strerror or exc}"))
            continue
        result.append((path, content_hash(data), ""))
    return result


def process_files(paths: list[str]) -> list[Processed | Failure]:
    return [process_file(path) for path in paths]


def process_file(path: str) -> Processed | Failure:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return Failure(path, f"cannot read: {exc.strerror or exc}")
    try:
        post = parse_post(data, path)
        cleaned = cleaning.clean(post.raw_body, title=post.title, url=post.url)
        return Processed(post, cleaned, Document.of(post.title, post.author, cleaned.text))
    except PostError as exc:
        return Failure(path, str(exc), content_hash(data))
    except Exception as exc:  # a parser bug must fail one file, not the run
        return Failure(path, f"unexpected {type(exc).__name__}: {exc}", content_hash(data))
