"""The outcome of grading one submission, before it is written in any format."""
from __future__ import annotations

from dataclasses import dataclass, field

from autograder.assignment import Question
from autograder.checks.api import Part
from autograder.sandbox.protocol import CellStatus


@dataclass
class QuestionResult:
    """One question's score and explanation; `cell` is how its cell ended (None: no cell was
    found, the answer was read at the end of the file)."""

    question: Question
    score: float
    lines: list[str]
    cell: CellStatus | None = CellStatus.OK

    @property
    def passed(self) -> bool:
        return self.score >= self.question.points - 1e-9


@dataclass
class GradeReport:
    assignment: str
    submission: str
    format: str
    questions: list[QuestionResult]
    notes: list[str] = field(default_factory=list)
    student_output: str = ""
    failure: str | None = None
    # every way a statement failed in the run (any cell, question or not); empty: all ran cleanly
    trouble: set[CellStatus] = field(default_factory=set)
    trouble_spots: list[str] = field(default_factory=list)  # where, briefly ("line 19: NameError")
    execution_time: float = 0.0
    isolation: str = "process"
    grader_failed: bool = False  # the grader itself failed on this file: `failure` says how
    public_only: bool = False
    fingerprint: str = ""

    @property
    def score(self) -> float:
        return round(sum(q.score for q in self.questions), 6)

    @property
    def max_score(self) -> float:
        return sum(q.question.points for q in self.questions)

    def status(self) -> tuple[str, str]:
        """(status, short note): not graded (the grader failed on the file); failed to parse; timed
        out (a statement or the whole submission hit a time limit); partial (some statement raised,
        crashed or did not parse: the questions were graded as their cells left them); graded
        (every statement ran cleanly)."""
        if self.grader_failed:
            return "not graded", self.failure or ""
        if self.format == "unreadable":
            return "failed to parse", self.failure or ""
        troubled: dict[str, list[str]] = {}
        for q in self.questions:
            if q.cell != CellStatus.OK:
                troubled.setdefault(q.cell.value if q.cell else "not found", []).append(q.question.id)
        note = "; ".join(filter(None, [self.failure, *(f"{', '.join(ids)}: {kind}" for kind, ids in troubled.items())]))
        if CellStatus.TIMEOUT in self.trouble:
            return "timed out", note
        if self.trouble or self.failure:
            spots = "; ".join(self.trouble_spots[:3]) + ("; …" if len(self.trouble_spots) > 3 else "")
            return "partial", note or spots or "some cells did not run cleanly (see the notes)"
        return "graded", note


def score_parts(parts: list[Part], points: float, partial: bool) -> float:
    """Zero if a required part failed; else points times the passed share of the weights."""
    if any(p.required and not p.passed for p in parts):
        return 0.0
    total = sum(p.weight for p in parts)
    if total == 0:
        return points
    got = sum(p.weight for p in parts if p.passed)
    if not partial:
        return points if got == total else 0.0
    return round(points * got / total, 4)
