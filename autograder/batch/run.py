"""Run a batch: one fork server (restarted if it dies), `jobs` slots each grading one
submission at a time in its own forked, limited child (a runaway gives its slot away),
results written atomically."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import Assignment
from autograder.batch.discover import Entry
from autograder.batch.names import inside
from autograder.batch.progress import BatchProgress
from autograder.batch.sheet import SHEET, remove_partial_writes, report_path, results_path, write_outputs, write_sheet
from autograder.batch.slots import Slots, workers
from autograder.grading.pipeline import Prepared, digest_fingerprint, file_digest, grade_prepared, prepare_file, unreadable
from autograder.grading.recheck import recheck
from autograder.manual.merge import carry_scores
from autograder.grading.report import GradeReport
from autograder.results.failure import failure_report
from autograder.grading.record import read_report
from autograder.sandbox.launcher import IsolationError, require_isolation
from autograder.sandbox.pool import ServerPool


PREPARE_AHEAD = 512  # submissions prepared ahead of their run (bounds memory)


class Interrupted(Exception):
    """The batch was stopped (Ctrl-C); finished results are kept."""


@dataclass
class BatchSummary:
    """What a batch did: counts, the submissions it could not grade, and grades.csv's statuses."""

    total: int
    skipped: int
    graded: int = 0
    rechecked: int = 0  # checked again from their stored answers (only the checks or points changed)
    not_graded: list[str] = field(default_factory=list)  # stopped before their results were written
    failed: list[str] = field(default_factory=list)  # the grader failed on them: a zero result says so
    refused: list[str] = field(default_factory=list)  # unsafe input: nothing graded or written
    statuses: Counter[str] = field(default_factory=Counter)  # submissions per status in grades.csv
    elapsed: float = 0.0
    sheet: Path | None = None


def stored_grade(entry: Entry, outdir: Path, assignment: Assignment) -> bool | GradeReport:
    """True if this submission's report exists, is intact and belongs to this file and rubric (and its
    results.json, written before it, is there); a new report if only the checks, points or feedback
    settings changed (re-checked from the stored answers, to be written); False if it must be graded."""
    report = read_report(report_path(outdir, entry))
    if report is None or not _intact(results_path(outdir, entry)):
        return False
    if entry.path is None:
        return True
    if report.data_digest != file_digest(entry.path):
        return False
    if report.fingerprint == digest_fingerprint(report.data_digest, assignment):
        return True
    return recheck(report, assignment) or False


def run_batch(entries: list[Entry], assignment: Assignment, outdir: Path, jobs: int = 2, force: bool = False,
              live: bool | None = None, pool: ServerPool | None = None) -> BatchSummary:
    """Grade every entry not already complete; always (re)write grades.csv, even when interrupted.

    `pool` (with `slots.workers(jobs)` connections, closed here) may have been started early, to
    import torch while the grader loads; without one, a pool is started if there is anything to run.
    """
    start = time.monotonic()
    outdir.mkdir(parents=True, exist_ok=True)
    remove_partial_writes(outdir)  # a batch killed mid-write (SIGKILL) leaves its temporary file
    refuse_escapes(entries, outdir)
    refused = [e.key for e in entries if e.refused]
    todo: list[Entry] = []
    rechecked = 0
    for entry in (e for e in entries if not e.refused):
        stored = False if force else stored_grade(entry, outdir, assignment)
        if isinstance(stored, GradeReport):
            write_outputs(stored, outdir / entry.key)
            rechecked += 1
        elif not stored:
            todo.append(entry)
    summary = BatchSummary(len(entries), len(entries) - len(todo) - len(refused) - rechecked, refused=refused,
                           rechecked=rechecked)
    if not any(e.path for e in todo):
        if pool is not None:
            pool.close(wait=False)
        pool = None
    elif pool is None:
        pool = ServerPool(assignment.preload, workers(jobs), batch=True)
    if pool is not None:
        try:
            require_isolation(pool.level, assignment.minimum_isolation)
        except IsolationError:
            pool.close(wait=False)
            raise
    try:
        _Batch(assignment, outdir, pool, jobs, summary, BatchProgress(len(todo), live)).run(todo)
    finally:
        summary.statuses = write_sheet(entries, outdir, assignment)
        summary.sheet = outdir / SHEET
        summary.elapsed = time.monotonic() - start
    return summary


def _intact(path: Path) -> bool:
    """True if `path` holds a JSON object (a results.json written whole)."""
    try:
        return isinstance(json.loads(path.read_text(encoding="utf-8")), dict)
    except (OSError, ValueError):
        return False


def refuse_escapes(entries: list[Entry], outdir: Path) -> None:
    """Refuse every entry whose results would land outside OUTDIR (OUTDIR/<key> is a link out of it)."""
    for entry in entries:
        if not entry.refused and not inside(outdir, outdir / entry.key):
            entry.refused, entry.problem = True, f"refused: {entry.key} in the output folder leads outside it"


class _Batch:
    """One batch's moving parts: a thread preparing submissions ahead, `jobs` slots running them."""

    def __init__(self, assignment: Assignment, outdir: Path, pool: ServerPool | None, jobs: int,
                 summary: BatchSummary, progress: BatchProgress) -> None:
        self.assignment, self.outdir, self.pool = assignment, outdir, pool
        self.summary, self.progress = summary, progress
        self.jobs = jobs
        self.stop = threading.Event()
        self.ahead = threading.Semaphore(PREPARE_AHEAD)  # prepared submissions waiting for a slot

    def run(self, todo: list[Entry]) -> None:
        slots = Slots(self.jobs)
        preparer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare")
        executor = ThreadPoolExecutor(max_workers=workers(self.jobs), thread_name_prefix="grader")
        try:
            futures = [executor.submit(self.grade, e, slots, preparer.submit(self.prepare, e) if e.path else None)
                       for e in todo]
            if self.pool is not None:
                self.pool.preload_more(self.assignment.preload)  # waits for the server; preparing goes on
            for future in futures:
                future.result()
        except BaseException as e:
            self.stop.set()
            for ex in (preparer, executor):
                ex.shutdown(wait=False, cancel_futures=True)
            if self.pool is not None:
                self.pool.kill_runs()
            if isinstance(e, KeyboardInterrupt):
                raise Interrupted() from None
            raise
        finally:
            preparer.shutdown(wait=True)
            executor.shutdown(wait=True)
            slots.close()
            self.progress.close()
            if self.pool is not None:
                self.pool.close()

    def prepare(self, entry: Entry) -> Prepared | None:
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

    def grade(self, entry: Entry, slots: Slots, prepared: Future[Prepared | None] | None) -> None:
        """Grade one submission and write its results; if the grader fails on it, a zero result saying so."""
        failed = False
        try:
            report = self._report(entry, slots, prepared)
        except CancelledError:
            return
        except Exception as e:  # a grader bug must cost one submission, not the batch; it is reported
            report, failed = failure_report(self.assignment, entry.key, e), True
        if report is None or self.stop.is_set():
            self.summary.not_graded.append(entry.key)
            return
        if any(q.is_written for q in self.assignment.questions):  # a regrade keeps the TAs' scores of the same text
            report = carry_scores(report, read_report(report_path(self.outdir, entry)), self.assignment)
        write_outputs(report, self.outdir / entry.key)
        if failed:
            self.summary.failed.append(entry.key)
            self.progress.note(f"{entry.key}: {report.failure}")
        else:
            self.summary.graded += 1
        self.progress.advance()

    def _report(self, entry: Entry, slots: Slots, prepared: Future[Prepared | None] | None) -> GradeReport | None:
        """Run one prepared submission in a slot and check it; None if the batch stopped first."""
        if prepared is None:
            return unreadable(self.assignment, entry.key, entry.problem)
        ready = prepared.result()
        if ready is None:
            return None
        assert self.pool is not None
        try:
            with slots.slot():
                return None if self.stop.is_set() else grade_prepared(ready, self.assignment, self.pool)
        finally:
            self.ahead.release()
