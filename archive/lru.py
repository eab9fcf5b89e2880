"""A least-recently-used map bounded by weight (bytes, or entries), for the in-process
caches: pages (archive.pagecache), facet counts (archive.browse), converted bodies."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable


class LRU:
    """A small thread-safe least-recently-used map, bounded by the total ``weigh(key, value)``
    of its entries (bytes for pages; 1 each counts entries). An entry heavier than an eighth
    of the capacity is not kept: one huge page must not push out hundreds of ordinary ones."""

    def __init__(self, capacity: int, weigh: Callable[[tuple, object], int]):
        self.capacity = capacity
        self.weigh = weigh
        self.weight = 0
        self.entries: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple):
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            self.entries.move_to_end(key)
            return found[0]

    def put(self, key: tuple, content) -> None:
        weight = self.weigh(key, content)
        if weight > self.capacity // 8:
            return
        with self.lock:
            if (old := self.entries.pop(key, None)) is not None:
                self.weight -= old[1]
            self.entries[key] = (content, weight)
            self.weight += weight
            while self.weight > self.capacity:
                self.weight -= self.entries.popitem(last=False)[1][1]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.weight = 0
