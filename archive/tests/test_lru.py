"""archive.lru: bounded by weight, least recently used out first. Pure, no database."""

from archive.lru import LRU


def by_length(key, value):
    return len(value)


def test_the_least_recently_used_entries_go_first_once_over_capacity():
    cache = LRU(800, weigh=by_length)
    for name in "abcdefgh":
        cache.put((name,), "x" * 100)
    assert cache.get(("a",)) == "x" * 100  # a is now the most recent
    cache.put(("i",), "y" * 100)
    assert cache.get(("b",)) is None
    assert cache.get(("a",)) is not None and cache.get(("i",)) is not None
    assert cache.weight == 800


def test_an_entry_heavier_than_an_eighth_of_the_capacity_is_not_kept():
    cache = LRU(800, weigh=by_length)
    cache.put(("small",), "s" * 100)
    cache.put(("huge",), "h" * 101)
    assert cache.get(("huge",)) is None
    assert cache.get(("small",)) == "s" * 100


def test_replacing_an_entry_counts_its_weight_once():
    cache = LRU(800, weigh=by_length)
    for _ in range(20):
        cache.put(("same",), "z" * 100)
    assert cache.weight == 100 and len(cache.entries) == 1


def test_clear_forgets_everything():
    cache = LRU(10, weigh=lambda key, value: 1)
    cache.put((1,), "a")
    cache.clear()
    assert cache.get((1,)) is None and cache.weight == 0
