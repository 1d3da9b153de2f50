"""Course statistics over a batch's submissions: pure functions of the reports, no files, no text
for a particular reader.

Scores (the histogram, the totals) count every submission with a grade to import (`scored`);
per-question figures count the submissions whose questions were graded (`readable`): a file that
could not be read is listed on its own, not counted as a wrong answer to every question.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from autograder.course.load import Submission
from autograder.grading.report import Finding, QuestionInfo, QuestionResult
from autograder.sandbox.protocol import CellStatus

EPS = 1e-9
MAX_BINS = 20
NICE_WIDTHS = (0.25, 0.5, 1, 2, 2.5, 5)  # times a power of ten


@dataclass(frozen=True)
class Histogram:
    """Scores per bin: bin i holds edges[i] <= score < edges[i + 1]; `full` counts full marks apart."""

    edges: list[float]
    counts: list[int]
    full: int


@dataclass(frozen=True)
class QuestionStats:
    """How one question went over the readable submissions."""

    info: QuestionInfo
    graded: int
    mean: float
    full: int  # full marks
    partial: int  # some points, not all
    zero: int

    @property
    def pass_rate(self) -> float:
        return self.full / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class Reason:
    """A reason answers lost points: in how many submissions, and one of them as an example."""

    text: str
    count: int
    example: str


@dataclass(frozen=True)
class Timing:
    """Grading time of one submission (its run and checks), in seconds."""

    count: int
    mean: float
    median: float
    p95: float
    max: float


def totals(submissions: list[Submission]) -> list[float]:
    """The total score of every submission with a grade."""
    return [s.report.score for s in submissions if s.scored and s.report is not None]


def score_histogram(scores: list[float], max_points: float) -> Histogram:
    """Scores in bins of a round width (at most MAX_BINS of them), full marks in a bar of their own."""
    width = bin_width(max_points)
    edges = [i * width for i in range(math.ceil(max_points / width - EPS) + 1)]
    edges[-1] = max_points
    below = [s for s in scores if s < max_points - EPS]
    counts = [int(c) for c in np.histogram(below, bins=edges)[0]] if len(edges) > 1 else []
    return Histogram(edges, counts, len(scores) - len(below))


def bin_width(max_points: float) -> float:
    """The smallest round width (0.25, 0.5, 1, 2, 2.5, 5 times a power of ten) giving at most MAX_BINS bins."""
    if max_points <= 0:
        return 1.0
    scale = 10 ** math.floor(math.log10(max_points / MAX_BINS))
    return next(w * scale * k for k in (1, 10) for w in NICE_WIDTHS if max_points / (w * scale * k) <= MAX_BINS)


def question_stats(submissions: list[Submission], questions: tuple[QuestionInfo, ...]) -> list[QuestionStats]:
    """Mean points, full marks, partial and zero counts per question, over the readable submissions."""
    results = _results(submissions)
    stats = []
    for info in questions:
        scores = [q.score for _, q in results.get(info.id, [])]
        full = sum(q.passed for _, q in results.get(info.id, []))
        zero = sum(s <= EPS for s in scores)
        stats.append(QuestionStats(info, len(scores), sum(scores) / len(scores) if scores else 0.0, full,
                                   len(scores) - full - zero, zero))
    return stats


def failure_reasons(submissions: list[Submission], question_id: str, top: int = 5) -> list[Reason]:
    """The most common reasons answers to one question lost points, most common first; each counted
    once per submission, with the first submission that has it as the example."""
    counts: Counter[str] = Counter()
    example: dict[str, str] = {}
    for key, q in _results(submissions).get(question_id, []):
        for reason in [] if q.passed else lost_points(q):
            counts[reason] += 1
            example.setdefault(reason, key)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [Reason(text, n, example[text]) for text, n in ranked]


def lost_points(q: QuestionResult) -> list[str]:
    """Why one answer lost points, in stable words: the categories of its failed checks; for an answer
    that could not be used, also how its cell ended (what the student has to fix first); for a written
    answer, whether it was found and scored by a person."""
    if q.question.written:
        if q.text is None:
            return ["written answer not found after its prompt"]
        return ["written answer not scored by a TA yet" if q.ta_score is None else "written answer: TA's score"]
    reasons = list(dict.fromkeys(p.category for p in q.failed_parts)) or ["no failed check recorded"]
    if q.answer is not None and q.answer.problem is not None and q.cell != CellStatus.OK:
        cell = f"its cell: {q.cell.value}" if q.cell is not None else "its cell was not found"
        reasons = [f"{r} ({cell})" for r in reasons]
    return reasons


def needing_attention(submissions: list[Submission]) -> dict[str, list[Submission]]:
    """The submissions an instructor should look at, by kind: timed out, crashed (a statement killed
    the run), could not be read (failed to parse, or not graded)."""
    kinds: dict[str, list[Submission]] = {"timed out": [], "crashed": [], "could not be read": []}
    for s in submissions:
        if not s.readable:
            kinds["could not be read"].append(s)
        elif s.status[0] == "timed out":
            kinds["timed out"].append(s)
        elif s.report is not None and _crashed(s):
            kinds["crashed"].append(s)
    return kinds


def slowest(submissions: list[Submission], n: int = 10) -> list[tuple[float, Submission]]:
    """The `n` submissions that took longest to grade, with their time in seconds, slowest first."""
    return sorted(_ran(submissions), key=lambda ts: -ts[0])[:n]


def timing(submissions: list[Submission]) -> Timing | None:
    """Mean, median, 95th percentile and maximum grading time of the submissions that ran (None: none did)."""
    times = np.array([t for t, _ in _ran(submissions)])
    if not times.size:
        return None
    return Timing(int(times.size), float(times.mean()), float(np.median(times)), float(np.percentile(times, 95)),
                  float(times.max()))


def status_counts(submissions: list[Submission]) -> Counter[str]:
    """How many submissions have each status (as in grades.csv)."""
    return Counter(s.status[0] for s in submissions)


def _results(submissions: list[Submission]) -> dict[str, list[tuple[str, QuestionResult]]]:
    """Each question's results in the readable submissions, with the submission's key."""
    results: dict[str, list[tuple[str, QuestionResult]]] = {}
    for s in submissions:
        if s.readable and s.report is not None:
            for q in s.report.questions:
                results.setdefault(q.question.id, []).append((s.key, q))
    return results


def _ran(submissions: list[Submission]) -> list[tuple[float, Submission]]:
    """The submissions that ran (were readable), with their grading time."""
    return [(s.report.execution_time, s) for s in submissions if s.readable and s.report is not None]


def _crashed(s: Submission) -> bool:
    assert s.report is not None
    return CellStatus.CRASHED in s.report.trouble or any(q.cell == CellStatus.CRASHED for q in s.report.questions)


def findings(submissions: list[Submission]) -> list[tuple[Submission, Finding]]:
    """Integrity evidence from the variant runs (answers that only fit the given data), by submission."""
    return [(s, f) for s in submissions if s.report is not None for f in s.report.findings]
