"""What an assignment's checks module uses: `@check`, `@inputs` and the `Context`.

A checks module is trusted code that the grader loads; it only ever sees plain
numpy arrays decoded from what the student's process reported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from autograder.checks.calls import Arg, Call, Inputs, array, call, code, py, tensor  # noqa: F401 - the checks API
from autograder.checks.compare import max_error
from autograder.checks.parts import Heatmap, Numbers, Part, PartKind, Reveal
from autograder.checks.values import Answer

MAX_KEPT = 1000  # elements of an array kept in a part or figure (larger ones are described by shape)


def numbers(a: np.ndarray | None) -> Numbers | None:
    """An array as plain nested lists of floats, or None if there is none or it is too large to keep."""
    if a is None:
        return None
    a = np.asarray(a, dtype=np.float64)
    return a.tolist() if a.size <= MAX_KEPT else None


@dataclass(frozen=True)
class CallResult:
    """One call of a function answer: its inputs as the @inputs function gave them (an argument list or
    a `call(...)`), what it returned (`outputs`: one Answer per element of a returned tuple or list, a
    1-tuple for any other value; `output`: the first) or its error (it raised, timed out or crashed)."""

    inputs: Inputs
    output: Answer | None = None
    error: str | None = None
    outputs: tuple[Answer, ...] = ()

    def __post_init__(self) -> None:
        if self.outputs and self.output is None:
            object.__setattr__(self, "output", self.outputs[0])
        elif self.output is not None and not self.outputs:
            object.__setattr__(self, "outputs", (self.output,))


@dataclass
class Context:
    """Everything a check needs about one question, and where it records its parts.

    `answers`: every question's answer by id; `seen`: the variables the question's `inspect`
    setting reads beside its answer (to explain a failure, never to score it); `data`: the
    instance of the assignment's data the run used (the notebook's own, or a fresh one from
    `@data`, see the assignment's `variants`)."""

    answer: Answer
    answers: dict[str, Answer]
    tolerance: float
    calls: list[CallResult] = field(default_factory=list)
    seen: dict[str, Answer] = field(default_factory=dict)
    data: dict[str, np.ndarray] = field(default_factory=dict)
    parts: list[Part] = field(default_factory=list)
    figures: list[Heatmap] = field(default_factory=list)

    def matrix(self, answer: Answer | None = None) -> np.ndarray:
        """The answer as a 2-D array: a 1-D vector counts as one row."""
        a = (answer or self.answer).array
        assert a is not None, "checks only run on usable answers"
        return np.atleast_2d(a)

    def close(self, what: str, actual: np.ndarray, expected: np.ndarray, *, weight: float = 1.0,
              required: bool = False, tol: float | None = None, hint: str | None = None,
              reason: str = "", reveals: Reveal = Reveal.SCORE) -> bool:
        """Record whether `actual` is within tolerance of `expected` (max abs error); `hint` is
        shown if it is not."""
        tol = self.tolerance if tol is None else tol
        same_shape = np.shape(actual) == np.shape(expected)
        err, at = max_error(actual, expected) if same_shape else (None, ())
        ok = err is not None and err <= tol
        self.parts.append(Part(PartKind.VALUE, ok, what, weight, required, numbers(expected), numbers(actual),
                               err, list(at) if err is not None else None, tol, not same_shape, None if ok else hint,
                               reason or (what if same_shape else f"{what}: wrong shape"), reveals))
        return ok

    def require(self, ok: bool, what: str, *, weight: float = 0.0, hint: str | None = None, reason: str = "",
                reveals: Reveal = Reveal.SCORE) -> bool:
        """Record a criterion that, if failed, makes the whole question score zero."""
        self.parts.append(Part(PartKind.CONDITION, bool(ok), what, weight, True, hint=None if ok else hint,
                               reason=reason, reveals=reveals))
        return bool(ok)

    def credit(self, ok: bool, what: str, *, weight: float = 1.0, hint: str | None = None, reason: str = "",
               reveals: Reveal = Reveal.SCORE) -> bool:
        """Record a criterion worth `weight` of the question's points."""
        self.parts.append(Part(PartKind.CONDITION, bool(ok), what, weight, hint=None if ok else hint,
                               reason=reason, reveals=reveals))
        return bool(ok)

    def note(self, message: str, *, reveals: Reveal = Reveal.SCORE) -> None:
        """Add an explanation that does not affect the score (dropped where `reveals` is not allowed)."""
        self.parts.append(Part(PartKind.NOTE, True, message, 0.0, reveals=reveals))

    def heatmap(self, title: str, got: np.ndarray, expected: np.ndarray | None = None, *,
                xlabel: str = "Keys", ylabel: str = "Queries") -> None:
        """Show attention weights (queries x keys) next to the weights that would pass."""
        self.figures.append(Heatmap(title, numbers(np.atleast_2d(got)),
                                    None if expected is None else numbers(np.atleast_2d(expected)), xlabel, ylabel))


CheckFn = Callable[[Context], None]
DataFn = Callable[[Optional[int]], dict]
InputsFn = Callable[[], list[Inputs]]


@dataclass
class Registry:
    checks: dict[str, CheckFn] = field(default_factory=dict)
    inputs: dict[str, InputsFn] = field(default_factory=dict)
    data: DataFn | None = None


_current = Registry()


def check(question_id: str) -> Callable[[CheckFn], CheckFn]:
    """Register the hidden check of a question."""

    def register(fn: CheckFn) -> CheckFn:
        _current.checks[question_id] = fn
        return fn

    return register


def data(fn: DataFn) -> DataFn:
    """Register the assignment's data: `fn(None)` is the notebook's own instance, `fn(seed)` a fresh one
    of the same kind (the arrays a variant run puts in place of the notebook's, see `variants`)."""
    _current.data = fn
    return fn


def inputs(question_id: str) -> Callable[[InputsFn], InputsFn]:
    """Register the calls the grader makes to a function answer: a list of `call(...)` or of argument
    lists (plain nested lists of numbers, each a float32 tensor)."""

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
