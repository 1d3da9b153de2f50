"""Write the course report and the score imports into OUTDIR: at the end of every batch, and for
`autograder report OUTDIR` from OUTDIR alone."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.batch.sheet import SHEET
from autograder.course.exports import Export, canvas_grades, gradescope_scores
from autograder.course.load import Rubric, load_submissions, read_pairs
from autograder.course.page import Files, render_page
from autograder.results.atomic import write_atomic
from autograder.results.text import printable

if TYPE_CHECKING:
    from autograder.assignment import Assignment

PAGE, GRADESCOPE, CANVAS = "report.html", "gradescope_scores.csv", "canvas_grades.csv"


class CourseError(Exception):
    """OUTDIR has nothing to report on, or reports of another assignment (a one-line message)."""


@dataclass(frozen=True)
class Written:
    """What was written, for the instructor."""

    outdir: Path
    files: Files

    def lines(self) -> list[str]:
        imports = [f"{printable(str(self.outdir / name))} ({what}, {_counted(export)})" for name, what, export in
                   ((GRADESCOPE, "Gradescope", self.files.gradescope_export),
                    (CANVAS, "Canvas", self.files.canvas_export))]
        return [f"Course report: {printable(str(self.outdir / PAGE))}", f"Score imports: {', '.join(imports)}"]


def write_course_report(outdir: Path, assignment: Assignment | None = None) -> Written:
    """Write OUTDIR/report.html, gradescope_scores.csv and canvas_grades.csv from the reports there;
    `assignment` (default: what the reports say) gives the questions, their points and the title."""
    with _collector_paused():
        return _write(outdir, assignment)


def _write(outdir: Path, assignment: Assignment | None) -> Written:
    submissions = load_submissions(outdir)
    names = {s.report.assignment for s in submissions if s.report is not None}
    if not names:
        raise CourseError(f"{printable(str(outdir))}: no graded submissions in it (no <submission>/report.json)")
    rubric = Rubric.of(assignment) if assignment is not None else Rubric.from_reports(submissions)
    if names - {rubric.name}:
        raise CourseError(f"{printable(str(outdir))}: its submissions were graded for "
                          f"{printable(', '.join(sorted(names)))}, not {rubric.name}")
    files = Files(SHEET, GRADESCOPE, CANVAS, gradescope_scores(submissions),
                  canvas_grades(submissions, rubric.name, rubric.max_points))
    write_atomic(outdir / GRADESCOPE, files.gradescope_export.text())
    write_atomic(outdir / CANVAS, files.canvas_export.text())
    write_atomic(outdir / PAGE, render_page(rubric, submissions, files, read_pairs(outdir)))
    return Written(outdir, files)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused: a thousand reports are millions of objects (in no cycle, freed
    by their reference counts), and its full passes over them took half the report's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _counted(export: Export) -> str:
    left_out = f"; {len(export.skipped)} submission(s) left out, listed in the report" if export.skipped else ""
    return f"{len(export.rows)} rows{left_out}"
