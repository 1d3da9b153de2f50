"""`written_scores.csv`: the sheet teaching assistants fill in (one row per submission, one column
per written question), read back and checked before anything is merged."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from autograder.batch.sheet import number_cell, text_cell
from autograder.course.load import Submission
from autograder.grading.report import QuestionInfo

SCORES = "written_scores.csv"
KEY = "Submission"


class ScoresError(Exception):
    """A scores sheet that cannot be merged (one line naming the row and column)."""


def scores_template(submissions: list[Submission], questions: list[QuestionInfo]) -> str:
    """The sheet to fill in: Submission, Name, then each written question's column (the scores merged
    so far, else empty)."""
    rows = [[KEY, "Name", *(f"{q.id} (max {q.points:g})" for q in questions)]]
    for s in submissions:
        if s.report is None:
            continue
        given = {r.question.id: r.ta_score for r in s.report.questions}
        rows.append([text_cell(s.key), text_cell(", ".join(st.name for st in s.students if st.name)),
                     *(number_cell(given.get(q.id)) for q in questions)])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def read_scores(path: Path, questions: list[QuestionInfo], keys: set[str]) -> dict[str, dict[str, float]]:
    """Submission -> question id -> score, from a filled-in sheet; empty cells are not graded yet."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ScoresError(f"{path}: cannot read it ({e.strerror})") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = {_question_id(c): c for c in reader.fieldnames or []}
    if KEY not in (reader.fieldnames or []):
        raise ScoresError(f"{path}: no {KEY!r} column (start from the {SCORES} the grader wrote)")
    by_id = {q.id: q for q in questions}
    scores: dict[str, dict[str, float]] = {}
    for line, row in enumerate(reader, 2):
        key = (row.get(KEY) or "").removeprefix("'")
        if key not in keys:
            raise ScoresError(f"{path}:{line}: no submission {key!r} in this batch")
        for qid, column in columns.items():
            if qid not in by_id or not (row.get(column) or "").strip():
                continue
            scores.setdefault(key, {})[qid] = _score(row[column], by_id[qid], f"{path}:{line}: {column}")
    return scores


def _question_id(column: str) -> str:
    """"3.1 (max 2)" -> "3.1"."""
    return column.split(" (max ", 1)[0].strip()


def _score(cell: str, question: QuestionInfo, where: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise ScoresError(f"{where}: {cell!r} is not a number") from None
    if not math.isfinite(value) or not 0 <= value <= question.points:
        raise ScoresError(f"{where}: {value:g} is not between 0 and {question.points:g}")
    return value
