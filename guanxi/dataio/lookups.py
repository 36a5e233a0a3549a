"""Run the duplicate lookups of a batch side by side, each thread on its own connection.

Each row's lookup is a database round trip or two; most of its time is spent waiting.
Threads overlap the waits. Their connections see only committed rows, so the pool is
used only when the import commits batch by batch (never inside an outer transaction,
such as an all-or-nothing import or a test).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection, connections

THREADS = 4


def _close_connections(barrier: threading.Barrier) -> None:
    barrier.wait()  # every thread takes exactly one of these tasks
    connections.close_all()


class LookupPool:
    """Map a function over items in a few threads, keeping the order of the results."""

    def __init__(self, threads: int = THREADS):
        self.threads = threads
        self.executor: ThreadPoolExecutor | None = None

    @staticmethod
    def usable() -> bool:
        return not connection.in_atomic_block and connection.vendor in ("postgresql", "sqlite")

    def map(self, function: Callable[[Any], Any], items: list) -> list:
        if len(items) < 2 * self.threads or not self.usable():
            return [function(item) for item in items]
        if self.executor is None:
            self.executor = ThreadPoolExecutor(self.threads, thread_name_prefix="import-lookup")
        size = -(-len(items) // self.threads)
        chunks = [items[start : start + size] for start in range(0, len(items), size)]
        results: list = []
        for part in self.executor.map(lambda chunk: [function(item) for item in chunk], chunks):
            results.extend(part)
        return results

    def close(self) -> None:
        if self.executor is None:
            return
        barrier = threading.Barrier(self.threads)
        for _ in range(self.threads):
            self.executor.submit(_close_connections, barrier)
        self.executor.shutdown(wait=True)
        self.executor = None
