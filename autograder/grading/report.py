"""The outcome of grading one submission, before it is written in any format."""
from __future__ import annotations

from dataclasses import dataclass, field

from autograder.assignment import Question
from autograder.checks.api import Part


@dataclass
class QuestionResult:
    """One question's score and explanation; `cell` is what happened to its cell
    (ok, error, syntax, timeout, crashed, not found)."""

    question: Question
    score: float
    lines: list[str]
    cell: str = "ok"

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
    execution_time: float = 0.0
    isolation: str = "process"
    public_only: bool = False
    fingerprint: str = ""

    @property
    def score(self) -> float:
        return round(sum(q.score for q in self.questions), 6)

    @property
    def max_score(self) -> float:
        return sum(q.question.points for q in self.questions)

    def status(self) -> tuple[str, str]:
        """(status, short note): failed to parse, timed out, partial (some cells did not run
        cleanly) or graded."""
        if self.format == "unreadable":
            return "failed to parse", self.failure or ""
        troubled: dict[str, list[str]] = {}
        for q in self.questions:
            if q.cell != "ok":
                troubled.setdefault(q.cell, []).append(q.question.id)
        note = "; ".join(f"{', '.join(ids)}: {kind}" for kind, ids in troubled.items())
        if self.failure:
            note = "; ".join(filter(None, [self.failure, note]))
        if "timeout" in troubled or (self.failure and "time" in self.failure):
            return "timed out", note
        if troubled or self.failure:
            return "partial", note
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
