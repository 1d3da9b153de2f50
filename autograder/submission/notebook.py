"""Read an `.ipynb` submission's code cells."""
from __future__ import annotations

import json

import nbformat

from autograder.submission.cells import Cell, SubmissionError


def split_notebook(text: str, filename: str) -> tuple[list[Cell], list[Cell], list[str]]:
    """Return the code cells of a notebook (any nbformat 4 minor, or 3), its Raw and Markdown
    cells (to tell a student whose answer is in one), and notes."""
    try:
        raw = json.loads(text)
    except ValueError as e:
        raise SubmissionError(f"{filename} is not a valid notebook (not JSON: {e})") from None
    except RecursionError:
        raise SubmissionError(f"{filename} is not a valid notebook (nested too deeply)") from None
    if not isinstance(raw, dict):
        raise SubmissionError(f"{filename} is not a valid notebook (no notebook object inside)")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as e:  # noqa: BLE001 - nbformat raises many kinds for malformed input
        raise SubmissionError(f"{filename} is not a valid notebook ({type(e).__name__}: {str(e)[:200]})") from None
    notes = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as e:
        notes.append(f"the notebook does not follow the notebook format exactly ({e.message[:120]}); read it anyway")
    cells, inert = [], []
    count = 0
    for position, cell in enumerate(nb.get("cells", []), 1):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        source = source.replace("\r\n", "\n").replace("\r", "\n")
        kind = cell.get("cell_type")
        if kind == "code":
            count += 1
            cells.append(Cell(source, f"{filename}, code cell {count}", 1, f"code cell {count}"))
        elif kind in ("raw", "markdown"):
            inert.append(Cell(source, filename, 1, f"cell {position} (a {kind.capitalize()} cell)"))
    return cells, inert, notes
