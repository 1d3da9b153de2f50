"""Grading on this machine: one fork server pool, `jobs` slots each grading one submission at a
time in its own forked, limited child (a runaway gives its slot away), submissions prepared ahead."""
from __future__ import annotations

import threading
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor

from autograder.assignment import Assignment
from autograder.batch.discover import Entry
from autograder.batch.executor import OnReport
from autograder.batch.slots import Slots, workers
from autograder.grading.pipeline import Prepared, grade_prepared, prepare_file
from autograder.grading.report import Finding, GradeReport
from autograder.grading.variants import NOT_RUN, find_fits
from autograder.sandbox.launcher import SandboxError
from autograder.sandbox.pool import ServerPool

PREPARE_AHEAD = 512  # submissions prepared ahead of their run (bounds memory)


class LocalExecutor:
    """A thread preparing submissions ahead, `jobs` slots running them in `pool` (closed by `run`)."""

    def __init__(self, assignment: Assignment, pool: ServerPool, jobs: int, variants: bool = True) -> None:
        self.assignment, self.pool, self.jobs = assignment, pool, jobs
        self.variants = variants and assignment.variants is not None and assignment.variants.count > 0
        self.stop = threading.Event()
        self.ahead = threading.Semaphore(PREPARE_AHEAD)  # prepared submissions waiting for a slot

    def run(self, entries: list[Entry], on_report: OnReport) -> None:
        slots = Slots(self.jobs)
        preparer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare")
        executor = ThreadPoolExecutor(max_workers=workers(self.jobs), thread_name_prefix="grader")
        try:
            futures = [executor.submit(self._grade, e, slots, preparer.submit(self._prepare, e), on_report)
                       for e in entries]
            self.pool.preload_more(self.assignment.preload)  # waits for the server; preparing goes on
            for future in futures:
                future.result()
        except BaseException:
            self.stop.set()
            for ex in (preparer, executor):
                ex.shutdown(wait=False, cancel_futures=True)
            self.pool.kill_runs()
            raise
        finally:
            preparer.shutdown(wait=True)
            executor.shutdown(wait=True)
            slots.close()
            self.pool.close()

    def _prepare(self, entry: Entry) -> Prepared | None:
        """Read, split, locate and compile ahead of the run (from the start, while torch loads)."""
        while not self.ahead.acquire(timeout=0.1):
            if self.stop.is_set():
                return None
        if self.stop.is_set():
            self.ahead.release()
            return None
        try:
            assert entry.path is not None
            return prepare_file(entry.path, self.assignment)
        except BaseException:  # the grading thread reports it
            self.ahead.release()
            raise

    def _grade(self, entry: Entry, slots: Slots, prepared: Future[Prepared | None], on_report: OnReport) -> None:
        try:
            report = self._report(slots, prepared)
        except CancelledError:
            return
        except Exception as e:  # a grader bug must cost one submission, not the batch
            on_report(entry, None, e)
            return
        if report is not None and not self.stop.is_set():
            on_report(entry, report, None)

    def _findings(self, ready: Prepared, report: GradeReport) -> list[Finding]:
        """The variant runs' findings; a failure of theirs (the server died) costs them, never the grade."""
        try:
            return find_fits(ready, report, self.assignment, self.pool)
        except SandboxError as e:
            return [Finding("", NOT_RUN, f"the variant run could not be made ({e})")]

    def _report(self, slots: Slots, prepared: Future[Prepared | None]) -> GradeReport | None:
        """Run one prepared submission in a slot and check it; None if the batch stopped first."""
        ready = prepared.result()
        if ready is None:
            return None
        try:
            with slots.slot():
                if self.stop.is_set():
                    return None
                report = grade_prepared(ready, self.assignment, self.pool)
                if self.variants:
                    report.findings = self._findings(ready, report)
                return report
        finally:
            self.ahead.release()
