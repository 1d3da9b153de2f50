"""grades.csv: one row per student (per submission when students are unknown).

Columns: Name, SID, Email, Submission, one column per question id, Total Score,
Max Points, Status, Note. Gradescope's and Canvas's score imports match rows on
Email or SID and read one score column (Total Score); the other columns are
ignored by them and kept for the instructor.

Text cells come from untrusted input (metadata, file names, students' code): they are
printable, bounded, and never start like a formula (OWASP's CSV injection rule); the score
columns are numbers written by the grader and stay numbers.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from autograder.assignment import Assignment
from autograder.batch.discover import Entry
from autograder.batch.metadata import Student
from autograder.grading.record import REPORT, read_report, write_report
from autograder.grading.report import GradeReport
from autograder.results.atomic import partial_glob, write_atomic
from autograder.results.feedback_html import FEEDBACK, write_feedback
from autograder.results.gradescope import write_results
from autograder.results.failure import NOT_GRADED
from autograder.results.text import printable

SHEET, RESULTS = "grades.csv", "results.json"
MAX_CELL = 1000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def results_path(outdir: Path, entry: Entry) -> Path:
    return outdir / entry.key / RESULTS


def report_path(outdir: Path, entry: Entry) -> Path:
    return outdir / entry.key / REPORT


def write_outputs(report: GradeReport, folder: Path, results_name: str = RESULTS) -> None:
    """A submission's files in its folder: results.json and feedback.html, then report.json (a batch
    takes a submission as complete once its report is there)."""
    write_results(report, folder / results_name)
    write_feedback(report, folder / FEEDBACK)
    write_report(report, folder / REPORT)


def text_cell(value: object) -> str:
    """A text cell: printable, at most MAX_CELL characters, never read as a formula."""
    text = printable(str(value))
    if len(text) > MAX_CELL:
        text = f"{text[:MAX_CELL]}… ({len(text) - MAX_CELL} more characters)"
    return "'" + text if text.startswith(FORMULA_START) else text


def number_cell(value: object) -> str:
    """A score cell: the number, or empty if there is none."""
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""


def write_sheet(entries: list[Entry], outdir: Path, assignment: Assignment) -> Counter[str]:
    """(Re)write OUTDIR/grades.csv from the results on disk, atomically; how many submissions have each status."""
    ids = [q.id for q in assignment.questions]
    max_points = number_cell(sum(q.points for q in assignment.questions))
    table = [["Name", "SID", "Email", "Submission", *ids, "Total Score", "Max Points", "Status", "Note"]]
    statuses: Counter[str] = Counter()
    for entry in entries:
        report = None if entry.refused else read_report(report_path(outdir, entry))
        if report is None:
            scores, total, status, note = [""] * len(ids), "", NOT_GRADED, entry.problem or "no results"
        else:
            by_id = {q.question.id: q.score for q in report.questions}
            scores, total = [number_cell(by_id.get(i)) for i in ids], number_cell(report.score)
            status, note = report.status()
        statuses[status] += 1
        for student in entry.students or [Student()]:
            table.append([*map(text_cell, (student.name, student.sid, student.email, entry.key)), *scores, total,
                          max_points, text_cell(status), text_cell(note)])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(table)
    write_atomic(outdir / SHEET, buf.getvalue())
    return statuses


def remove_partial_writes(outdir: Path) -> None:
    """Delete the temporary files a batch killed mid-write (SIGKILL) left in OUTDIR."""
    for pattern in (partial_glob(SHEET), f"*/{partial_glob(RESULTS)}", f"*/{partial_glob(FEEDBACK)}",
                    f"*/{partial_glob(REPORT)}"):
        for tmp in outdir.glob(pattern):
            tmp.unlink(missing_ok=True)
