"""Score files that Gradescope and Canvas import as they are.

- Gradescope ("Import scores"): one row per student with the columns of Gradescope's own grade
  export that its import matches on, `Name`, `SID`, `Email`, and one score column, `Total Score`.
  A student without an email or SID cannot be matched: that submission is skipped.
- Canvas (Grades > Import): the columns of Canvas's own gradebook export, `Student`, `ID`,
  `SIS User ID`, `SIS Login ID`, `Section`, then the assignment, and its `Points Possible` row.
  Canvas matches a row on ID, then SIS User ID (here the SID), then SIS Login ID (here the email,
  which is the login at many schools), then the name; a row it cannot match it asks you to match
  by hand, so a submission without students gets a row named after its file.

Only submissions with a grade are exported (a submission the grader failed on, or not graded, is
skipped: regrade it first). Every text cell is made safe against formula injection (`text_cell`).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from autograder.batch.metadata import Student
from autograder.batch.sheet import number_cell, text_cell
from autograder.course.load import Submission

GRADESCOPE_HEADER = ["Name", "SID", "Email", "Total Score"]
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "    Points Possible"  # as Canvas's export writes it; its import finds the row by these words


@dataclass
class Export:
    """One score file: its header rows, a row per student, and the submissions left out with why."""

    header: list[list[str]]
    rows: list[list[str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def text(self) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(self.header + self.rows)
        return buf.getvalue()


def gradescope_scores(submissions: list[Submission]) -> Export:
    """Gradescope's import: a row per student who can be matched (an email or an SID)."""
    export = Export([list(GRADESCOPE_HEADER)])
    for s, score in _graded(submissions, export):
        students = [st for st in s.students if st.email or st.sid]
        if not students:
            export.skipped.append((s.key, "no student email or SID to match on"))
        for st in students:
            export.rows.append([text_cell(st.name), text_cell(st.sid), text_cell(st.email), score])
    return export


def canvas_grades(submissions: list[Submission], assignment: str, max_points: float) -> Export:
    """Canvas's gradebook import for one assignment column; a row per student (per submission when
    its students are unknown)."""
    export = Export([CANVAS_STUDENT_COLUMNS + [text_cell(assignment)],
                     [CANVAS_POINTS_ROW, "", "", "", "", number_cell(max_points)]])
    for s, score in _graded(submissions, export):
        for st in s.students or [Student(name=s.key)]:
            export.rows.append([_canvas_name(st.name), "", text_cell(st.sid), text_cell(st.email), "", score])
    return export


def _graded(submissions: list[Submission], export: Export) -> list[tuple[Submission, str]]:
    """The submissions with a grade, with their total as a cell; the others go to `export.skipped`."""
    graded = []
    for s in submissions:
        if s.scored and s.report is not None:
            graded.append((s, number_cell(s.report.score)))
        else:
            export.skipped.append((s.key, f"{s.status[0]}: no grade to import"))
    return graded


def _canvas_name(name: str) -> str:
    """A student cell Canvas cannot take for its Points Possible row (which sets the assignment's points)."""
    return text_cell(name).replace("Points Possible", "Points_Possible")
