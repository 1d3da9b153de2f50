"""What a check records, as data: parts (one graded criterion each) and figures.

Nothing here is text for a particular reader: renderers (results.json, the terminal, the HTML
pages, the course report) turn these into words and pictures, after `redact` has removed what
the question's `reveal` setting does not allow a student to see.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

Numbers = list | float  # an array as plain data: nested lists of floats (a float for 0-d)


class Reveal(str, Enum):
    """What feedback may show about a question; each level shows what the ones before it show."""

    SCORE = "score"  # passed or not, and the points
    GOT = "got"  # also what the student's answer produced, its error against the tolerance, hints
    EXPECTED = "expected"  # also the targets (computed from the notebook's own data)
    ANSWER = "answer"  # also reference answers (the solution itself)

    @property
    def rank(self) -> int:
        return list(Reveal).index(self)

    def allows(self, level: Reveal) -> bool:
        return level.rank <= self.rank


class PartKind(str, Enum):
    VALUE = "value"  # a value compared with its target within a tolerance
    CONDITION = "condition"  # a criterion that holds or not
    NOTE = "note"  # an explanation that does not affect the score


@dataclass(frozen=True)
class Part:
    """One graded criterion of a question (or a note), with what the check compared."""

    kind: PartKind
    passed: bool
    what: str  # what was checked, in the check author's words
    weight: float = 1.0
    required: bool = False
    expected: Numbers | None = None
    got: Numbers | None = None
    error: float | None = None  # max abs error (inf when NaN)
    at: list[int] | None = None  # index of the largest error
    tolerance: float | None = None
    mismatch: bool = False  # the shapes differ (nothing was compared)
    hint: str | None = None  # what to do about a failure, in the check author's words
    reason: str = ""  # a short, stable category (the course report counts them); default: `what`
    reveals: Reveal = Reveal.SCORE  # the level `what` and `hint` need (ANSWER: they state the solution)

    @property
    def graded(self) -> bool:
        return self.kind != PartKind.NOTE

    @property
    def category(self) -> str:
        return self.reason or self.what


@dataclass(frozen=True)
class Heatmap:
    """Attention weights as a picture: rows are queries, columns keys (as the textbook draws them);
    `got` from the student's answer, `expected` the weights that would pass."""

    title: str
    got: Numbers | None
    expected: Numbers | None = None
    xlabel: str = "Keys"
    ylabel: str = "Queries"


HIDDEN = "a hidden check"


def redact_part(part: Part, level: Reveal) -> Part | None:
    """`part` with only what `level` allows; None for a note `level` does not allow."""
    if not level.allows(part.reveals):
        if not part.graded:
            return None
        part = replace(part, what=HIDDEN, hint=None, reason=part.reason or HIDDEN)
    if not level.allows(Reveal.EXPECTED):
        part = replace(part, expected=None)
    if not level.allows(Reveal.GOT):
        part = replace(part, got=None, error=None, at=None, hint=None)
    return part


def redact_figure(figure: Heatmap, level: Reveal) -> Heatmap | None:
    """`figure` with only what `level` allows; None if nothing is left."""
    got = figure.got if level.allows(Reveal.GOT) else None
    expected = figure.expected if level.allows(Reveal.EXPECTED) else None
    return None if got is None and expected is None else replace(figure, got=got, expected=expected)
