"""archive.batching: bounded groups and bounded work in flight (no database)."""

import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from archive.batching import batched, groups, imap_bounded
from archive.tests.test_pipeline import within


def test_files_are_grouped_by_count_and_size_with_a_large_file_alone():
    sizes = [3, 3, 5, 1, 1, 1, 1, 1, 12, 2]
    assert list(groups(sizes, size=int, max_count=4, max_bytes=10)) == [
        [3, 3],
        [5, 1, 1, 1],
        [1, 1],
        [12],
        [2],
    ]


def test_batched_cuts_a_stream_without_listing_it():
    assert list(batched(iter(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert list(batched([], 2)) == []


def test_results_come_in_order_with_at_most_the_window_in_flight():
    submitted, taken = [], []

    def tasks():
        for n in range(10):
            submitted.append(n)
            # The consumer has taken all but ``window`` of what was submitted before this.
            assert len(submitted) - len(taken) <= 3 + 1
            yield n

    with ThreadPoolExecutor(2) as pool:
        for result in imap_bounded(pool, lambda n: n * n, tasks(), window=3):
            taken.append(result)
    assert taken == [n * n for n in range(10)]


def test_without_a_pool_the_work_runs_here():
    assert list(imap_bounded(None, str, [1, 2], window=1)) == ["1", "2"]


def square_or_die_on_13(n: int) -> int:
    """A worker process given 13 dies at once, as one killed or crashed would."""
    if n == 13 and multiprocessing.parent_process():
        os.kill(os.getpid(), signal.SIGKILL)
    return n * n


def spawned_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))


def test_when_a_worker_dies_what_the_pool_owed_is_recovered_in_order_and_the_rest_goes_on():
    owed, pools = [], [spawned_pool()]

    def recover(tasks):
        owed.append(tasks)
        pools.append(spawned_pool())
        return [-n for n in tasks], pools[-1]

    try:
        with within(60):
            results = list(
                imap_bounded(pools[0], square_or_die_on_13, range(30), 4, recover=recover)
            )
    finally:
        for pool in pools:
            pool.shutdown(cancel_futures=True)
    assert len(owed) == 1 and 13 in owed[0] and owed[0] == sorted(owed[0])
    assert results == [-n if n in owed[0] else n * n for n in range(30)]
    assert len(owed[0]) <= 4  # only what was in flight


def test_without_recover_a_broken_pool_raises_rather_than_waits():
    with within(60), spawned_pool() as pool, pytest.raises(BrokenProcessPool):
        list(imap_bounded(pool, square_or_die_on_13, range(30), window=4))
