"""Run a batch: one fork server (restarted if it dies), `jobs` slots each grading one
submission at a time in its own forked, limited child (a runaway gives its slot away),
results written atomically."""
from __future__ import annotations

import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import Assignment
from autograder.batch.discover import Entry
from autograder.batch.progress import BatchProgress
from autograder.batch.sheet import read_results, results_path, write_sheet
from autograder.batch.slots import Slots, workers
from autograder.grading.pipeline import file_fingerprint, grade_file, unreadable
from autograder.results.gradescope import write_results
from autograder.sandbox.launcher import IsolationError, SandboxError, require_isolation
from autograder.sandbox.pool import ServerPool


class Interrupted(Exception):
    """The batch was stopped (Ctrl-C); finished results are kept."""


@dataclass
class BatchSummary:
    total: int
    skipped: int
    graded: int = 0
    not_graded: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    sheet: Path | None = None


def is_complete(entry: Entry, outdir: Path, assignment: Assignment) -> bool:
    """True if this submission's results exist, are intact and belong to this file and rubric."""
    data = read_results(results_path(outdir, entry))
    if data is None or entry.path is None:
        return data is not None
    return data["extra_data"].get("fingerprint") == file_fingerprint(entry.path, assignment)


def run_batch(entries: list[Entry], assignment: Assignment, outdir: Path, jobs: int = 2, force: bool = False,
              live: bool | None = None, pool: ServerPool | None = None) -> BatchSummary:
    """Grade every entry not already complete; always (re)write grades.csv, even when interrupted.

    `pool` (with `slots.workers(jobs)` connections, closed here) may have been started early, to
    import torch while the grader loads; without one, a pool is started if there is anything to run.
    """
    start = time.monotonic()
    outdir.mkdir(parents=True, exist_ok=True)
    todo = [e for e in entries if force or not is_complete(e, outdir, assignment)]
    summary = BatchSummary(len(entries), len(entries) - len(todo))
    stop = threading.Event()
    progress = BatchProgress(len(todo), live)
    if not any(e.path for e in todo):
        if pool is not None:
            pool.close(wait=False)
        pool = None
    elif pool is None:
        pool = ServerPool(assignment.preload, workers(jobs))
    if pool is not None:
        try:
            pool.preload_more(assignment.preload)
            require_isolation(pool.level, assignment.minimum_isolation)
        except (IsolationError, SandboxError):
            pool.close()
            raise

    def grade_one(entry: Entry) -> None:
        if stop.is_set():
            return
        if entry.path is None:
            report = unreadable(assignment, entry.key, entry.problem)
        else:
            with slots.slot():
                if stop.is_set():
                    return
                try:
                    report = grade_file(entry.path, assignment, pool=pool)
                except SandboxError:
                    report = None
                except Exception:  # a grader bug must cost one submission, not the batch; it is reported
                    traceback.print_exc()
                    report = None
        if report is None or stop.is_set():
            summary.not_graded.append(entry.key)
            return
        write_results(report, results_path(outdir, entry))
        summary.graded += 1
        progress.advance()

    slots = Slots(jobs)
    executor = ThreadPoolExecutor(max_workers=workers(jobs), thread_name_prefix="grader")
    try:
        for future in [executor.submit(grade_one, e) for e in todo]:
            future.result()
    except KeyboardInterrupt:
        stop.set()
        executor.shutdown(wait=False, cancel_futures=True)
        if pool is not None:
            pool.kill_runs()
        raise Interrupted() from None
    finally:
        executor.shutdown(wait=True)
        slots.close()
        progress.close()
        if pool is not None:
            pool.close()
        summary.sheet = write_sheet(entries, outdir, assignment)
        summary.elapsed = time.monotonic() - start
    return summary
