"""Write the course report and the score imports into OUTDIR: at the end of every batch, and for
`autograder report OUTDIR` from OUTDIR alone."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.batch.sheet import SHEET
from autograder.course.exports import canvas_grades, gradescope_scores
from autograder.course.load import Rubric, load_submissions
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
        gs, cv = self.files.gradescope_export, self.files.canvas_export
        imports = (f"Score imports: {printable(str(self.outdir / GRADESCOPE))} (Gradescope, {len(gs.rows) - 1} rows"
                   f"{_skipped(gs.skipped)}), {printable(str(self.outdir / CANVAS))} (Canvas, {len(cv.rows) - 2} rows"
                   f"{_skipped(cv.skipped)})")
        return [f"Course report: {printable(str(self.outdir / PAGE))}", imports]


def write_course_report(outdir: Path, assignment: Assignment | None = None) -> Written:
    """Write OUTDIR/report.html, gradescope_scores.csv and canvas_grades.csv from the reports there;
    `assignment` (default: what the reports say) gives the questions, their points and the title."""
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
    write_atomic(outdir / PAGE, render_page(rubric, submissions, files))
    return Written(outdir, files)


def _skipped(skipped: list[tuple[str, str]]) -> str:
    return f"; {len(skipped)} submission{'s' if len(skipped) != 1 else ''} skipped, listed in the report" \
        if skipped else ""
