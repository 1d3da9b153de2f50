"""The seam between a batch's driver and whatever grades its submissions.

The driver (`batch.run`) discovers, resumes, writes results and the sheet, and shows progress;
an executor grades: it prepares each submission, runs it in a fork server, checks it and hands
back its report, as plain data. `LocalExecutor` grades on this machine, `cluster.executor.RayExecutor`
on a Ray cluster.
"""
from __future__ import annotations

from typing import Callable, Protocol

from autograder.batch.discover import Entry
from autograder.grading.report import GradeReport

# Called once per submission, from any thread: its report, or the exception the grader raised on
# it (a bug: the driver writes a zero saying so). Never called for a submission the batch stopped before.
OnReport = Callable[[Entry, "GradeReport | None", "Exception | None"], None]
# Called from the thread that called `run`: one line for the person running the batch (a node lost).
Note = Callable[[str], None]


class Executor(Protocol):
    def run(self, entries: list[Entry], on_report: OnReport, note: Note) -> None:
        """Grade every entry (each has a `path`), calling `on_report` as each is done; return when all
        are. On KeyboardInterrupt or any other exception of its own, stop every run and re-raise."""
