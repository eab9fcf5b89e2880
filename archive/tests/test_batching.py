"""archive.batching: bounded groups and bounded work in flight (no database)."""

from multiprocessing.pool import ThreadPool

from archive.batching import batched, groups, imap_bounded


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

    with ThreadPool(2) as pool:
        for result in imap_bounded(pool, lambda n: n * n, tasks(), window=3):
            taken.append(result)
    assert taken == [n * n for n in range(10)]


def test_without_a_pool_the_work_runs_here():
    assert list(imap_bounded(None, str, [1, 2], window=1)) == ["1", "2"]
