"""Streams in bounded pieces: what keeps an import's memory flat whatever the archive's size.

Files go to workers in small tasks and come back to be written in large batches
(archive.importer); neither ever holds the archive's list of files.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Future
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


def imap_bounded(pool, func, tasks: Iterable, window: int, *, recover=None) -> Iterator:
    """Results of ``func(task)`` in order, with at most ``window`` tasks in flight (in this
    process when ``pool`` is None).

    ``pool`` is a concurrent.futures executor. When it breaks (one of its processes died), the
    results it still owed raise BrokenExecutor; with ``recover``, ``recover(tasks)`` is given
    those tasks, in order, and returns their results and a pool for the tasks still to come."""
    if pool is None:
        yield from map(func, tasks)
        return
    tasks = iter(tasks)
    pending: deque[tuple[object, Future]] = deque()
    while True:
        for task in islice(tasks, max(0, window - len(pending))):
            pending.append((task, _submit(pool, func, task)))
        if not pending:
            return
        try:
            result = pending[0][1].result()
        except BrokenExecutor:
            if recover is None:
                raise
            pool = _recover(pending, recover)
            continue
        pending.popleft()
        yield result


def _submit(pool, func, task) -> Future:
    try:
        return pool.submit(func, task)
    except BrokenExecutor as exc:  # broken since the last result: owed like the others
        failed: Future = Future()
        failed.set_exception(exc)
        return failed


def _recover(pending: deque, recover):
    """Replace the futures a broken pool failed by what ``recover`` makes of their tasks; the
    ones it finished before breaking keep their results. Returns the pool to go on with."""
    owed = [i for i, (_, future) in enumerate(pending) if _broke(future)]
    results, pool = recover([pending[i][0] for i in owed])
    for i, result in zip(owed, results, strict=True):
        done: Future = Future()
        done.set_result(result)
        pending[i] = (pending[i][0], done)
    return pool


def _broke(future: Future) -> bool:
    # Once a pool is broken it sets no more results, only exceptions, and maybe not yet on
    # every future it owed: one not done is owed too, and nothing here waits for it.
    return not future.done() or isinstance(future.exception(), BrokenExecutor)
