"""The outcome of grading one submission as data, before it is written in any format.

`results.json`, the terminal table, the HTML feedback, `grades.csv` and the course report are
all rendered from a `GradeReport`; `grading.record` stores it as `report.json`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from autograder.checks.parts import Heatmap, Numbers, Part, Reveal
from autograder.checks.values import Answer
from autograder.sandbox.protocol import CellStatus

MAX_STORED = 10_000  # elements of an answer kept in the report (enough to re-check it without a rerun)


@dataclass(frozen=True)
class QuestionInfo:
    """What a report needs to know about a question (it outlives the config that defined it)."""

    id: str
    title: str
    points: float
    visibility: str = "after_published"
    reveal: Reveal = Reveal.EXPECTED
    written: bool = False  # a written answer, scored by a person (`ta_score`)

    @property
    def name(self) -> str:
        return f"{self.id} {self.title}"


class Severity(str, Enum):
    INFO = "info"  # where the answer was read
    WARNING = "warning"  # something went wrong that may explain the score
    ERROR = "error"  # the answer could not be graded as written


@dataclass(frozen=True)
class Message:
    """A sentence about how a question's answer was obtained (not a checked criterion)."""

    severity: Severity
    text: str


@dataclass(frozen=True)
class AnswerRecord:
    """A decoded answer as plain data: the numbers (up to MAX_STORED of them), or why there are none."""

    name: str
    dtype: str = ""
    shape: list[int] | None = None
    data: Numbers | None = None
    problem: str | None = None

    @classmethod
    def of(cls, answer: Answer) -> AnswerRecord:
        if answer.array is None:
            return cls(answer.name, problem=answer.problem or "no value")
        a = answer.array
        return cls(answer.name, answer.dtype, list(a.shape), a.tolist() if a.size <= MAX_STORED else None)

    @property
    def stored(self) -> bool:
        """True if the answer can be rebuilt exactly (its numbers or its problem are kept)."""
        return self.problem is not None or self.data is not None

    def answer(self) -> Answer:
        """The Answer this record was made from (only if `stored`)."""
        if self.problem is not None or self.data is None:
            return Answer(self.name, None, problem=self.problem)
        return Answer(self.name, np.array(self.data, dtype=np.float64).reshape(self.shape or []), self.dtype)


@dataclass(frozen=True)
class CallRecord:
    """One call of a function answer: what it returned (one record per returned value) or its error."""

    outputs: list[AnswerRecord] = field(default_factory=list)
    error: str | None = None

    @property
    def output(self) -> AnswerRecord | None:
        """The first (or only) value returned."""
        return self.outputs[0] if self.outputs else None


@dataclass
class QuestionResult:
    """One question: its score, how its answer was obtained (`messages`), what was checked
    (`parts`), what may have caused a failure outside its cell (`causes`), pictures, and the answer
    itself. `cell` is how the answer's cell ended (None: no cell was found, the answer was read at
    the end of the file).

    What the run gave (messages, cell, answer, seen, calls, earlier) is kept so that the checks can
    be run again on it (`grading.recheck`) without running the student's code again."""

    question: QuestionInfo
    score: float
    parts: list[Part] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    causes: list[Message] = field(default_factory=list)
    figures: list[Heatmap] = field(default_factory=list)
    cell: CellStatus | None = CellStatus.OK
    answer: AnswerRecord | None = None
    seen: dict[str, AnswerRecord] = field(default_factory=dict)
    calls: list[CallRecord] | None = None  # for a function answer: each call's result (None: not a function)
    earlier: str | None = None  # the first statement that failed before the answer's cell
    text: str | None = None  # a written answer's text (None: not a written question, or not found)
    ta_score: float | None = None  # a written answer's score, once a person has given it

    @property
    def passed(self) -> bool:
        return self.score >= self.question.points - 1e-9

    @property
    def failed_parts(self) -> list[Part]:
        return [p for p in self.parts if p.graded and not p.passed]

    @property
    def warned(self) -> bool:
        """Something went wrong in obtaining the answer (its cell raised, timed out, was not found)."""
        return any(m.severity != Severity.INFO for m in self.messages)

    @property
    def stored(self) -> bool:
        """True if what the run gave is kept whole, so that the checks can run on it again."""
        records = [self.answer, *self.seen.values(), *(o for c in self.calls or [] for o in c.outputs)]
        return self.answer is not None and all(r is None or r.stored for r in records)


@dataclass(frozen=True)
class Finding:
    """Integrity evidence for a person to review (never part of a grade or of the student's feedback):
    which question ("" for the whole submission), what kind, and what was seen."""

    question: str
    kind: str
    evidence: str


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
    fingerprint: str = ""  # the submission's bytes, the assignment's config and checks, the grader
    data_digest: str = ""  # the submission's bytes alone
    run_config: str = ""  # what decided the run (not the checks): a regrade needs it unchanged
    findings: list[Finding] = field(default_factory=list)  # from variant runs (batch only)

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
    graded = [p for p in parts if p.graded]
    total = sum(p.weight for p in graded)
    if total == 0:
        return points
    got = sum(p.weight for p in graded if p.passed)
    if not partial:
        return points if got == total else 0.0
    return round(points * got / total, 4)
