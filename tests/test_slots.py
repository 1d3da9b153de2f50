"""Batch slots: a runaway submission gives its slot to the next one; typical ones keep theirs."""
from __future__ import annotations

import threading
import time

from autograder.batch.slots import MIN_SLOW, Slots


def _runs(slots: Slots, seconds: float, n: int) -> None:
    for _ in range(n):
        with slots.slot():
            time.sleep(seconds)


def test_a_runaway_gives_its_slot_to_the_next_submission() -> None:
    slots = Slots(1)
    try:
        _runs(slots, 0.001, 5)
        runaway = threading.Thread(target=_runs, args=(slots, 3 * MIN_SLOW, 1))
        started = time.monotonic()
        runaway.start()
        time.sleep(0.05)
        with slots.slot():
            waited = time.monotonic() - started
        assert MIN_SLOW <= waited < 2 * MIN_SLOW and runaway.is_alive()
        runaway.join()
    finally:
        slots.close()


def test_nothing_is_slow_until_the_batch_has_a_typical_time_and_then_only_far_beyond_it() -> None:
    slots = Slots(1)
    try:
        assert slots.slow_after() == float("inf")
        _runs(slots, 0.25, 5)
        assert 2.4 < slots.slow_after() < 3.5  # ten times the median run
    finally:
        slots.close()
