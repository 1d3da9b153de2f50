"""The result of a submission the grader itself failed on: zero points, the reason, and no
fingerprint, so that a rerun of the batch grades it again."""
from __future__ import annotations

from dataclasses import replace
from autograder.assignment import Assignment
from autograder.grading.pipeline import unreadable
from autograder.grading.report import GradeReport

NOT_GRADED = "not graded"
MAX_MESSAGE = 300


def failure_message(error: BaseException) -> str:
    """One line for the student and the instructor: what failed, to be reported."""
    text = " ".join(str(error).split())
    text = text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"
    return f"the grader failed on this file (please report): {type(error).__name__}" + (f": {text}" if text else "")


def failure_report(assignment: Assignment, name: str, error: BaseException, public_only: bool = False) -> GradeReport:
    """Every question at zero, each saying that the grader failed on `name` and how."""
    return replace(unreadable(assignment, name, failure_message(error), public_only), format="unknown",
                   grader_failed=True)
