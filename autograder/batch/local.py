"""Grading on this machine: one `Node` (a fork server pool, `jobs` slots each grading one submission
at a time in its own forked, limited child; a runaway gives its slot away), submissions prepared ahead."""
from __future__ import annotations

import threading
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor

from autograder.assignment import Assignment
from autograder.batch.discover import Entry
from autograder.batch.executor import Note, OnReport
from autograder.batch.node import Node
from autograder.batch.slots import workers
from autograder.grading.pipeline import Prepared, prepare_file
from autograder.grading.report import GradeReport
from autograder.sandbox.pool import ServerPool

PREPARE_AHEAD = 512  # submissions prepared ahead of their run (bounds memory)


class LocalExecutor:
    """A thread preparing submissions ahead, `jobs` slots running them in `pool` (closed by `run`)."""

    def __init__(self, assignment: Assignment, pool: ServerPool, jobs: int, variants: bool = True) -> None:
        self.node = Node(assignment, pool, jobs, variants)
        self.ahead = threading.Semaphore(PREPARE_AHEAD)  # prepared submissions waiting for a slot

    def run(self, entries: list[Entry], on_report: OnReport, note: Note | None = None) -> None:
        node = self.node
        preparer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare")
        executor = ThreadPoolExecutor(max_workers=workers(node.jobs), thread_name_prefix="grader")
        try:
            futures = [executor.submit(self._grade, e, preparer.submit(self._prepare, e), on_report)
                       for e in entries]
            node.pool.preload_more(node.assignment.preload)  # waits for the server; preparing goes on
            for future in futures:
                future.result()
        except BaseException:
            node.kill()
            for ex in (preparer, executor):
                ex.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            preparer.shutdown(wait=True)
            executor.shutdown(wait=True)
            node.close()

    def _prepare(self, entry: Entry) -> Prepared | None:
        """Read, split, locate and compile ahead of the run (from the start, while torch loads)."""
        while not self.ahead.acquire(timeout=0.1):
            if self.node.stop.is_set():
                return None
        if self.node.stop.is_set():
            self.ahead.release()
            return None
        try:
            assert entry.path is not None
            return prepare_file(entry.path, self.node.assignment)
        except BaseException:  # the grading thread reports it
            self.ahead.release()
            raise

    def _grade(self, entry: Entry, prepared: Future[Prepared | None], on_report: OnReport) -> None:
        try:
            report = self._report(prepared)
        except CancelledError:
            return
        except Exception as e:  # a grader bug must cost one submission, not the batch
            on_report(entry, None, e)
            return
        if report is not None and not self.node.stop.is_set():
            on_report(entry, report, None)

    def _report(self, prepared: Future[Prepared | None]) -> GradeReport | None:
        ready = prepared.result()
        if ready is None:
            return None
        try:
            return self.node.grade(ready)
        finally:
            self.ahead.release()
