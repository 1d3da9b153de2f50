"""Drive a batch: find what is left to grade (resuming, or re-checking stored answers), hand it
to an executor (`batch.local` grades on this machine), write each report as it comes, show
progress, and (re)write grades.csv at the end, even when interrupted."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import Assignment
from autograder.batch.discover import Entry
from autograder.batch.executor import Executor
from autograder.batch.names import inside
from autograder.batch.progress import BatchProgress
from autograder.batch.sheet import SHEET, remove_partial_writes, report_path, results_path, write_outputs, write_sheet
from autograder.batch.local import LocalExecutor
from autograder.batch.slots import workers
from autograder.grading.pipeline import digest_fingerprint, file_digest, unreadable
from autograder.grading.recheck import recheck
from autograder.grading.record import read_report
from autograder.grading.report import GradeReport
from autograder.manual.merge import carry_scores
from autograder.results.failure import failure_report
from autograder.sandbox.launcher import IsolationError, require_isolation
from autograder.sandbox.pool import ServerPool


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
              live: bool | None = None, pool: ServerPool | None = None, variants: bool = True,
              executor: Executor | None = None) -> BatchSummary:
    """Grade every entry not already complete; always (re)write grades.csv, even when interrupted.
    `variants`: also run each submission on the assignment's fresh data instances (integrity findings).

    `executor` grades (a cluster's); without one, a `LocalExecutor` grades here with `jobs` slots in
    `pool` (with `slots.workers(jobs)` connections, closed here), which may have been started early
    to import torch while the grader loads; without one, a pool is started if there is anything to run.
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
    runnable = [e for e in todo if e.path]
    if executor is None and runnable:
        executor = _local(assignment, pool, jobs, variants)
    elif pool is not None:
        pool.close(wait=False)
    progress = BatchProgress(len(todo), live)
    record = _Recorder(assignment, outdir, summary, progress)
    try:
        for entry in todo:
            if entry.path is None:  # nothing to run: its reason is its result
                record(entry, unreadable(assignment, entry.key, entry.problem), None)
        if runnable:
            assert executor is not None
            executor.run(runnable, record, record.note)
    except KeyboardInterrupt:
        raise Interrupted() from None
    finally:
        progress.close()
        summary.not_graded = [e.key for e in todo if e.key not in record.written]
        summary.statuses = write_sheet(entries, outdir, assignment)
        summary.sheet = outdir / SHEET
        summary.elapsed = time.monotonic() - start
    return summary


def _local(assignment: Assignment, pool: ServerPool | None, jobs: int, variants: bool) -> LocalExecutor:
    """Grading on this machine, in `pool` or a new one, refused below the assignment's isolation."""
    if pool is None:
        pool = ServerPool(assignment.preload, workers(jobs), batch=True)
    try:
        require_isolation(pool.level, assignment.minimum_isolation)
    except IsolationError:
        pool.close(wait=False)
        raise
    return LocalExecutor(assignment, pool, jobs, variants)


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


class _Recorder:
    """The driver's side of a batch: writes each report as it comes, counts, shows progress."""

    def __init__(self, assignment: Assignment, outdir: Path, summary: BatchSummary, progress: BatchProgress) -> None:
        self.assignment, self.outdir, self.summary, self.progress = assignment, outdir, summary, progress
        self.written: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, entry: Entry, report: GradeReport | None, error: Exception | None) -> None:
        failed = error is not None
        if report is None:
            report = failure_report(self.assignment, entry.key, error or RuntimeError("no report"))
        if any(q.is_written for q in self.assignment.questions):  # a regrade keeps the TAs' scores of the same text
            report = carry_scores(report, read_report(report_path(self.outdir, entry)), self.assignment)
        write_outputs(report, self.outdir / entry.key)
        with self._lock:
            self.written.add(entry.key)
            if failed:
                self.summary.failed.append(entry.key)
                self.progress.note(f"{entry.key}: {report.failure}")
            else:
                self.summary.graded += 1
            self.progress.advance()

    def note(self, line: str) -> None:
        """One line for the person running the batch (from the executor)."""
        with self._lock:
            self.progress.note(line)
