"""The cell model shared by every submission format."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

MAX_CELLS = 2000  # cells in one submission (an assignment's notebook has tens)
MAX_CODE = 256 * 1024  # characters of code in one submission, outside comments and string literals


class SubmissionError(Exception):
    """The file cannot be read as a submission at all (a clear message for the student)."""


@dataclass(frozen=True)
class Cell:
    """One code cell. `first_line` is where it starts (1-based): in the file for a script,
    in the notebook cell named by `base` (e.g. "code cell 3") for a notebook."""

    source: str
    filename: str
    first_line: int = 1
    base: str = ""
    position: int = 0  # order among all of the submission's cells, code or not (a notebook's cell number)

    @property
    def label(self) -> str:
        """Where the cell is, in the student's terms: "line 42" or "code cell 3, line 5"."""
        return self.where(self.first_line)

    def where(self, lineno: int) -> str:
        """How to name line `lineno` of this cell's file or notebook cell."""
        if not self.base:
            return f"line {lineno}"
        return self.base if lineno <= 1 else f"{self.base}, line {lineno}"

    def line(self, lineno: int | None) -> str:
        """The text of file line `lineno` if it lies in this cell."""
        if lineno is None:
            return ""
        i = lineno - self.first_line
        return self._lines[i].strip() if 0 <= i < len(self._lines) else ""

    @cached_property
    def _lines(self) -> list[str]:
        return self.source.split("\n")


def check_cells(count: int, filename: str) -> None:
    """Refuse a submission of more than MAX_CELLS cells."""
    if count > MAX_CELLS:
        raise SubmissionError(f"{filename} has more than {MAX_CELLS} cells; the grader reads at most {MAX_CELLS}")


@dataclass
class Submission:
    """A submission as cells, plus what the loader had to change or could not use."""

    path_name: str
    format: str
    cells: list[Cell]
    notes: list[str] = field(default_factory=list)
    inert: list[Cell] = field(default_factory=list)  # a notebook's Raw and Markdown cells (never run)

    def in_order(self) -> list[Cell]:
        """Every cell, code or not, in the order of the file."""
        return sorted(self.cells + self.inert, key=lambda c: c.position)
