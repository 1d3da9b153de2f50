"""What the integrity check found, as data: pairs of submissions, why each is flagged, and their rank."""
from __future__ import annotations

from dataclasses import dataclass, field

from autograder.batch.metadata import Student

Spans = tuple[tuple[int, int], ...]  # character ranges [start, end) of a submission's code


@dataclass(frozen=True)
class Party:
    """One side of a pair: a submission of this batch, or of an earlier term (`term`, its folder)."""

    key: str
    students: tuple[Student, ...] = ()
    term: str = ""

    @property
    def id(self) -> str:
        """Unique among everything compared: the key, prefixed with its term for an earlier one."""
        return f"{self.term}/{self.key}" if self.term else self.key

    @property
    def names(self) -> str:
        """Its students as the metadata names them (empty when it does not)."""
        return ", ".join(s.name or s.email or s.sid for s in self.students)


@dataclass(frozen=True)
class CodeMatch:
    """copydetect's comparison of two submissions' own code (outside the template): the share of each
    side's code found in the other, the characters of filtered code matched, and where (per side)."""

    similarity: tuple[float, float]
    overlap: int
    spans: tuple[Spans, Spans] = ((), ())

    @property
    def score(self) -> float:
        return max(self.similarity)


@dataclass(frozen=True)
class SharedValue:
    """An unusual answer value that both sides of a pair hold, exactly."""

    question: str
    name: str  # the answer's variable
    value: str  # the value, shortened for reading
    holders: int  # submissions of the batch holding this value
    answered: int  # submissions of the batch with a value for this question
    correct: bool

    @property
    def weight(self) -> float:
        """Its weight as evidence: 1 for a wrong value only these two hold, less the more hold it; a
        correct value (which students reach independently more easily) counts half."""
        return (0.5 if self.correct else 1.0) / (self.holders - 1)


@dataclass
class Pair:
    """Two submissions and what they share. `code` is None when one of them has no code to compare."""

    a: Party
    b: Party
    code: CodeMatch | None = None
    values: list[SharedValue] = field(default_factory=list)
    rank: int = 0

    @property
    def evidence(self) -> float:
        """The weight of the shared unusual values (1 or more flags the pair)."""
        return sum(v.weight for v in self.values)

    def reasons(self, threshold: float) -> list[str]:
        """Why the pair is flagged: "code", "answers" or both."""
        return [kind for kind, flagged in (("code", self.code is not None and self.code.score >= threshold),
                                           ("answers", self.evidence >= 1)) if flagged]


@dataclass
class Summary:
    """What was compared: the batch's submissions with code, each earlier term's, the template files,
    the submissions that could not be read, and how many reports gave their answers (0: none in OUTDIR)."""

    assignment: str
    threshold: float
    compared: int
    earlier: dict[str, int] = field(default_factory=dict)
    template: list[str] = field(default_factory=list)
    unread: list[tuple[str, str]] = field(default_factory=list)  # (party id, why)
    answers: int = 0


def ranked(pairs: list[Pair], threshold: float) -> list[Pair]:
    """The flagged pairs, ranked: flagged for both reasons first, then by code similarity, then by the
    weight of their shared values; `rank` set from 1."""
    flagged = [p for p in pairs if p.reasons(threshold)]
    flagged.sort(key=lambda p: (-len(p.reasons(threshold)), -(p.code.score if p.code else 0.0), -p.evidence,
                                p.a.id, p.b.id))
    for i, pair in enumerate(flagged, 1):
        pair.rank = i
    return flagged
