"""A batch's output read back: each submission with its students and its report, and the rubric."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.batch.metadata import Student
from autograder.batch.names import is_component
from autograder.course.roster import Listed, read_roster
from autograder.grading.record import REPORT, read_report
from autograder.grading.report import GradeReport, QuestionInfo
from autograder.results.failure import NOT_GRADED

if TYPE_CHECKING:
    from autograder.assignment import Assignment

UNREADABLE = ("failed to parse", NOT_GRADED)  # statuses of a submission no question could be graded in


@dataclass
class Submission:
    """One submission of the batch: its folder name in OUTDIR, its students, and its report (None if
    there is none: not graded, refused, or stopped before it; `problem` may say why)."""

    key: str
    students: list[Student]
    report: GradeReport | None
    problem: str = ""

    @cached_property
    def status(self) -> tuple[str, str]:
        """(status, note) exactly as grades.csv has them."""
        if self.report is None:
            return NOT_GRADED, self.problem or "no results"
        return self.report.status()

    @property
    def scored(self) -> bool:
        """True if the submission has a grade to import (the grader did not fail on it)."""
        return self.report is not None and not self.report.grader_failed

    @property
    def readable(self) -> bool:
        """True if its questions were graded (it is not failed to parse or not graded)."""
        return self.status[0] not in UNREADABLE


@dataclass(frozen=True)
class Rubric:
    """What the course report needs about the assignment: its name, title and questions."""

    name: str
    title: str
    questions: tuple[QuestionInfo, ...]

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions)

    @classmethod
    def of(cls, assignment: Assignment) -> Rubric:
        return cls(assignment.name, assignment.title, tuple(q.info for q in assignment.questions))

    @classmethod
    def from_reports(cls, submissions: list[Submission]) -> Rubric:
        """The rubric the reports were graded with (without the config): the most common assignment
        name, and every question in the order the reports list them."""
        reports = [s.report for s in submissions if s.report is not None]
        name = Counter(r.assignment for r in reports).most_common(1)[0][0] if reports else ""
        questions: dict[str, QuestionInfo] = {}
        for report in reports:
            for q in report.questions:
                questions.setdefault(q.question.id, q.question)
        return cls(name, name, tuple(questions.values()))


def load_submissions(outdir: Path) -> list[Submission]:
    """Every submission of the last batch in OUTDIR (from its roster), or, without a usable roster,
    every folder holding a report (students unknown)."""
    roster = read_roster(outdir)
    if roster is None:
        roster = {path.parent.name: Listed() for path in sorted(outdir.glob(f"*/{REPORT}"))}
    return [Submission(key, listed.students, None if listed.refused or not is_component(key) else
                       read_report(outdir / key / REPORT), listed.problem) for key, listed in roster.items()]


def read_pairs(outdir: Path) -> list[dict]:
    """The flagged pairs of OUTDIR/integrity.json (`autograder integrity`), best first; [] if there is none."""
    try:
        data = json.loads((outdir / "integrity.json").read_text(encoding="utf-8"))
        pairs = data.get("pairs") if isinstance(data, dict) and data.get("schema") == 1 else None
    except (OSError, ValueError, RecursionError):
        return []
    return [p for p in pairs if isinstance(p, dict)] if isinstance(pairs, list) else []
