"""What an assignment's checks module uses: `@check`, `@inputs` and the `Context`.

A checks module is trusted code that the grader loads; it only ever sees plain
numpy arrays decoded from what the student's process reported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from autograder.checks.compare import explain_close
from autograder.checks.values import Answer


@dataclass(frozen=True)
class Part:
    """One graded criterion of a question."""

    passed: bool
    message: str
    weight: float = 1.0
    required: bool = False


@dataclass(frozen=True)
class CallResult:
    """One call of a function answer: its inputs and what it returned (or raised)."""

    inputs: list
    output: Answer | None
    error: str | None = None


@dataclass
class Context:
    """Everything a check needs about one question, and where it records its parts."""

    answer: Answer
    answers: dict[str, Answer]
    tolerance: float
    calls: list[CallResult] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)

    def matrix(self, answer: Answer | None = None) -> np.ndarray:
        """The answer as a 2-D array: a 1-D vector counts as one row."""
        a = (answer or self.answer).array
        assert a is not None, "checks only run on usable answers"
        return np.atleast_2d(a)

    def close(self, what: str, actual: np.ndarray, expected: np.ndarray, *, weight: float = 1.0,
              required: bool = False, tol: float | None = None) -> bool:
        """Record whether `actual` is within tolerance of `expected`, explained."""
        ok, text = explain_close(what, actual, expected, self.tolerance if tol is None else tol)
        self.parts.append(Part(ok, text, weight, required))
        return ok

    def require(self, ok: bool, message: str, *, weight: float = 0.0) -> bool:
        """Record a criterion that, if failed, makes the whole question score zero."""
        self.parts.append(Part(bool(ok), message, weight, True))
        return bool(ok)

    def note(self, message: str) -> None:
        """Add an explanation that does not affect the score."""
        self.parts.append(Part(True, message, 0.0))


CheckFn = Callable[[Context], None]
InputsFn = Callable[[], list]


@dataclass
class Registry:
    checks: dict[str, CheckFn] = field(default_factory=dict)
    inputs: dict[str, InputsFn] = field(default_factory=dict)


_current = Registry()


def check(question_id: str) -> Callable[[CheckFn], CheckFn]:
    """Register the hidden check of a question."""

    def register(fn: CheckFn) -> CheckFn:
        _current.checks[question_id] = fn
        return fn

    return register


def inputs(question_id: str) -> Callable[[InputsFn], InputsFn]:
    """Register the argument lists the grader calls a function answer with (plain nested lists)."""

    def register(fn: InputsFn) -> InputsFn:
        _current.inputs[question_id] = fn
        return fn

    return register


def collect(run_module: Callable[[], None]) -> Registry:
    """Run a checks module's body and return what it registered."""
    global _current
    previous, _current = _current, Registry()
    try:
        run_module()
        return _current
    finally:
        _current = previous
