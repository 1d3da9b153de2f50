"""What one grading machine does with a prepared submission (`grading.pipeline.prepare_file` or
`prepare_bytes`, which need no child process): run it in a slot of its fork-server pool, check it and
(with variants) run it on fresh data; the report comes back as data. The local executor and a
cluster node's actor both grade through a `Node`."""
from __future__ import annotations

import threading

from autograder.assignment import Assignment
from autograder.batch.slots import Slots
from autograder.grading.pipeline import Prepared, grade_prepared
from autograder.grading.report import Finding, GradeReport
from autograder.grading.variants import NOT_RUN, find_fits
from autograder.sandbox.launcher import SandboxError
from autograder.sandbox.pool import ServerPool


class Node:
    """`jobs` slots running submissions in `pool` (which `close` closes), for one assignment."""

    def __init__(self, assignment: Assignment, pool: ServerPool, jobs: int, variants: bool = True) -> None:
        self.assignment, self.pool, self.jobs = assignment, pool, jobs
        self.variants = variants and assignment.variants is not None and assignment.variants.count > 0
        self.slots = Slots(jobs)
        self.stop = threading.Event()  # set: runs not started yet are not started

    def grade(self, ready: Prepared) -> GradeReport | None:
        """Run a prepared submission in a slot and check it; None if the node stopped first."""
        with self.slots.slot():
            if self.stop.is_set():
                return None
            report = grade_prepared(ready, self.assignment, self.pool)
            if self.variants:
                report.findings = self._findings(ready, report)
            return report

    def _findings(self, ready: Prepared, report: GradeReport) -> list[Finding]:
        """The variant runs' findings; a failure of theirs (the server died) costs them, never the grade."""
        try:
            return find_fits(ready, report, self.assignment, self.pool)
        except SandboxError as e:
            return [Finding("", NOT_RUN, f"the variant run could not be made ({e})")]

    def kill(self) -> None:
        """Start nothing more and kill the runs in progress."""
        self.stop.set()
        self.pool.kill_runs()

    def close(self) -> None:
        self.slots.close()
        self.pool.close()
