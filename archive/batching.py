"""Streams in bounded pieces: what keeps an import's memory flat whatever the archive's size.

Files go to workers in small tasks and come back to be written in large batches
(archive.importer); neither ever holds the archive's list of files.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def groups(
    items: Iterable, *, size: Callable[[object], int], max_count: int, max_bytes: int
) -> Iterator[list]:
    """Consecutive items in groups of at most ``max_count`` and, unless one item alone is
    larger, ``max_bytes`` by ``size(item)``."""
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


def imap_bounded(pool, func, tasks: Iterable, window: int) -> Iterator:
    """Results of ``func(task)`` in order, with at most ``window`` tasks in flight (in this
    process when ``pool`` is None)."""
    if pool is None:
        yield from map(func, tasks)
        return
    pending: deque = deque()
    for task in tasks:
        pending.append(pool.apply_async(func, (task,)))
        if len(pending) >= window:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()
