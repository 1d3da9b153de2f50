"""The cell model shared by every submission format."""
from __future__ import annotations

from dataclasses import dataclass, field


class SubmissionError(Exception):
    """The file cannot be read as a submission at all (a clear message for the student)."""


@dataclass(frozen=True)
class Cell:
    """One code cell. `first_line` is where it starts in `filename` (1-based)."""

    source: str
    filename: str
    first_line: int = 1
    label: str = ""

    def line(self, lineno: int | None) -> str:
        """The text of file line `lineno` if it lies in this cell."""
        if lineno is None:
            return ""
        lines = self.source.splitlines()
        i = lineno - self.first_line
        return lines[i].strip() if 0 <= i < len(lines) else ""


@dataclass
class Submission:
    """A submission as cells, plus what the loader had to change or could not use."""

    path_name: str
    format: str
    cells: list[Cell]
    notes: list[str] = field(default_factory=list)
