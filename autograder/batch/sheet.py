"""grades.csv: one row per student (per submission when students are unknown).

Columns: Name, SID, Email, Submission, one column per question id, Total Score,
Max Points, Status, Note. Gradescope's and Canvas's score imports match rows on
Email or SID and read one score column (Total Score); the other columns are
ignored by them and kept for the instructor.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from autograder.assignment import Assignment
from autograder.batch.discover import Entry, Student
from autograder.results.atomic import partial_glob, write_atomic

NOT_GRADED = "not graded"
SHEET, RESULTS = "grades.csv", "results.json"


def results_path(outdir: Path, entry: Entry) -> Path:
    return outdir / entry.key / RESULTS


def read_results(path: Path) -> dict | None:
    """A results.json written by this grader, or None if missing or damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list) or not isinstance(data.get("extra_data"), dict):
        return None
    return data


def rows(entries: list[Entry], outdir: Path, assignment: Assignment) -> list[list[str]]:
    ids = [q.id for q in assignment.questions]
    max_points = f"{sum(q.points for q in assignment.questions):g}"
    table = [["Name", "SID", "Email", "Submission", *ids, "Total Score", "Max Points", "Status", "Note"]]
    for entry in entries:
        data = read_results(results_path(outdir, entry))
        if data is None:
            scores, total, status, note = [""] * len(ids), "", NOT_GRADED, entry.problem or "no results"
        else:
            by_id = {t.get("number"): t.get("score") for t in data["tests"]}
            scores = [f"{by_id[i]:g}" if isinstance(by_id.get(i), (int, float)) else "" for i in ids]
            total = f"{data.get('score', 0):g}"
            status, note = str(data["extra_data"].get("status", "")), str(data["extra_data"].get("note", ""))
        for student in entry.students or [Student()]:
            table.append([student.name, student.sid, student.email, entry.key, *scores, total, max_points, status,
                          note[:200]])
    return table


def remove_partial_writes(outdir: Path) -> None:
    """Delete the temporary files a batch killed mid-write (SIGKILL) left in OUTDIR."""
    for pattern in (partial_glob(SHEET), f"*/{partial_glob(RESULTS)}"):
        for tmp in outdir.glob(pattern):
            tmp.unlink(missing_ok=True)


def write_sheet(entries: list[Entry], outdir: Path, assignment: Assignment) -> Path:
    """(Re)write OUTDIR/grades.csv from the results on disk, atomically."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows(entries, outdir, assignment))
    path = outdir / SHEET
    write_atomic(path, buf.getvalue())
    return path
