"""A report's parts and messages in words: the text every renderer shares."""
from __future__ import annotations

import numpy as np

from autograder.checks.compare import fmt
from autograder.checks.parts import Part, PartKind
from autograder.grading.report import Message, QuestionResult, Severity

MARKS = {Severity.INFO: "", Severity.WARNING: "! ", Severity.ERROR: "✗ "}


def part_text(part: Part) -> str:
    """One sentence for a part: what was checked and, as far as it was kept, how it came out."""
    if part.kind != PartKind.VALUE:
        return part.what
    if part.mismatch:
        if part.expected is not None and part.got is not None:
            return (f"{part.what}: expected shape {np.shape(part.expected)}, got shape {np.shape(part.got)}")
        return f"{part.what}: wrong shape"
    if part.error is None:  # how far off is not shown at this question's `reveal` level
        return f"{part.what}: {'within' if part.passed else 'not within'} tolerance {part.tolerance:g}"
    shown = []
    if part.expected is not None:
        shown.append(f"expected {fmt(np.asarray(part.expected))}")
    if part.got is not None:
        shown.append(f"got {fmt(np.asarray(part.got))}")
    verdict = "within" if part.passed else "exceeds"
    at = f" at index {part.at}" if part.at else ""
    error = f"max abs error {part.error:.4g}{at} {verdict} tolerance {part.tolerance:g}"
    return f"{part.what}: " + "; ".join([", ".join(shown), error] if shown else [error])


def part_line(part: Part) -> str:
    """A part with its mark (✓/✗ for graded parts) and, for a failure, its hint."""
    mark = "" if not part.graded else ("✓ " if part.passed else "✗ ")
    hint = f" → {part.hint}" if part.hint and not part.passed else ""
    return f"{mark}{part_text(part)}{hint}"


def message_line(message: Message) -> str:
    return MARKS[message.severity] + message.text


def question_lines(result: QuestionResult) -> list[str]:
    """How the answer was obtained, what may have caused a failure, then every checked part, one line each."""
    return [*map(message_line, result.messages + result.causes), *map(part_line, result.parts)]
