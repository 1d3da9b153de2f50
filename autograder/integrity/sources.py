"""The code to compare: each submission's code cells, read as the grader reads them (so that a .py and
an .ipynb of the same code compare alike and a notebook's JSON never counts), without the cells that
are exactly the template's and those that are only text (a Colab export's markdown strings)."""
from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from autograder.batch.discover import InputError, discover
from autograder.integrity import IntegrityError
from autograder.integrity.findings import Party
from autograder.submission.cells import SubmissionError
from autograder.submission.load import load_submission


@dataclass(frozen=True)
class Source:
    """A submission's own code (its cells that are not a template cell, blank-line separated), or why
    there is none to compare."""

    party: Party
    code: str = ""
    problem: str = ""


def template_cells(paths: list[Path]) -> list[str]:
    """The code cells of the template files (the student notebook, boilerplate an instructor adds)."""
    cells = []
    for path in paths:
        try:
            cells += [c.source for c in load_submission(path).cells]
        except SubmissionError as e:
            raise IntegrityError(f"template {path}: {e}") from None
    return cells


def read_sources(source: Path, assignment: str, scratch: Path, template: list[str], term: str = "") -> list[Source]:
    """Every submission of `source` (a folder or a Gradescope export, as `batch` reads it)."""
    try:
        entries = discover(source, assignment, scratch).entries
    except InputError as e:
        raise IntegrityError(str(e)) from None
    known = {cell.strip() for cell in template}
    sources = []
    for entry in entries:
        party = Party(entry.key, tuple(entry.students), term)
        if entry.path is None:
            sources.append(Source(party, problem=entry.problem or "no file"))
            continue
        try:
            cells = load_submission(entry.path).cells
        except SubmissionError as e:
            sources.append(Source(party, problem=str(e)))
            continue
        sources.append(Source(party, joined(c.source for c in cells if c.source.strip() not in known)))
    return sources


def joined(cells: Iterable[str]) -> str:
    """The code of `cells` as one text, blank-line separated, without the cells that are only text."""
    return "\n\n".join(cell.rstrip() for cell in cells if not _only_text(cell))


def _only_text(cell: str) -> bool:
    """True for a cell that is only string statements (what Colab's .py export makes of a markdown cell)."""
    if not cell.lstrip().startswith(("'", '"')):
        return False
    try:
        body = ast.parse(cell).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return all(isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)
               for s in body)
