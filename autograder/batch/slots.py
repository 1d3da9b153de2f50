"""Batch concurrency: `jobs` submissions progress at once, and a runaway does not hold a slot.

A submission that has run far longer than is typical in this batch (an endless loop
waiting for its timeout, usually) gives its slot to the next submission; it goes on
running, with its own limits and timeout, beside them. At most `jobs` submissions
can be out of their slots at a time, so never more than 2 * `jobs` run.
"""
from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

SLOWER_THAN_TYPICAL = 10  # times the median run time of the batch's recent runs
MIN_SLOW = 1.0  # seconds: below this nothing counts as slow
MIN_SAMPLES = 5  # runs finished before anything counts as slow
RECENT = 1000  # runs the median is taken over
WATCH_EVERY = 0.1


def workers(jobs: int) -> int:
    """Threads (and sandbox connections) a batch of `jobs` slots needs."""
    return 2 * jobs


class Slots:
    """Hand out slots to grading threads; `close` when the batch is done."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._free = threading.Semaphore(jobs)
        self._lock = threading.Lock()
        self._holding: dict[int, float] = {}  # slot token -> start time, while the slot is not given away
        self._recent: deque[float] = deque(maxlen=RECENT)
        self._next = 0
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="slots", daemon=True)
        self._watcher.start()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for a free slot, hold it while the body runs (or until it is found slow)."""
        self._free.acquire()
        start = time.monotonic()
        with self._lock:
            token, self._next = self._next, self._next + 1
            self._holding[token] = start
        try:
            yield
        finally:
            with self._lock:
                held = self._holding.pop(token, None) is not None
                self._recent.append(time.monotonic() - start)
            if held:
                self._free.release()

    def slow_after(self) -> float:
        """Seconds after which a run gives its slot away (infinite until the batch has a typical time)."""
        with self._lock:
            recent = list(self._recent)
        if len(recent) < MIN_SAMPLES:
            return float("inf")
        return max(MIN_SLOW, SLOWER_THAN_TYPICAL * statistics.median(recent))

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_EVERY):
            limit = self.slow_after()
            now = time.monotonic()
            with self._lock:
                slow = [t for t, start in self._holding.items() if now - start > limit]
                for token in slow:
                    del self._holding[token]
            for _ in slow:
                self._free.release()

    def close(self) -> None:
        self._stop.set()
        self._watcher.join()
