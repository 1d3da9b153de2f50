"""Read an `.ipynb` submission's code cells."""
from __future__ import annotations

import json

import nbformat

from autograder.submission.cells import Cell, SubmissionError, check_cells

MAX_CONTAINERS = 200_000  # JSON objects and arrays (`{` and `[`, in strings too); a notebook has hundreds
_CELL_KEYS = ("cell_type", "source", "input", "metadata", "id", "execution_count", "prompt_number", "outputs", "level",
              "language")


def split_notebook(text: str, filename: str) -> tuple[list[Cell], list[Cell], list[str]]:
    """Return the code cells of a notebook (any nbformat 4 minor, or 3), its Raw and Markdown
    cells (to tell a student whose answer is in one), and notes."""
    if text.count("{") + text.count("[") > MAX_CONTAINERS:
        raise SubmissionError(f"{filename} is not a notebook the grader can read "
                              f"(more than {MAX_CONTAINERS} JSON objects and arrays)")
    try:
        raw = json.loads(text)
    except ValueError as e:
        raise SubmissionError(f"{filename} is not a valid notebook (not JSON: {e})") from None
    except RecursionError:
        raise SubmissionError(f"{filename} is not a valid notebook (nested too deeply)") from None
    if not isinstance(raw, dict):
        raise SubmissionError(f"{filename} is not a valid notebook (no notebook object inside)")
    slim, invalid = _slim(raw, filename), {}
    try:
        nb = nbformat.reads(json.dumps(slim), as_version=4, capture_validation_error=invalid)
    except Exception as e:  # noqa: BLE001 - nbformat raises many kinds for malformed input
        raise SubmissionError(f"{filename} is not a valid notebook ({type(e).__name__}: {str(e)[:200]})") from None
    notes = []
    if "ValidationError" in invalid:
        message = invalid["ValidationError"].message
        notes.append(f"the notebook does not follow the notebook format exactly ({message[:120]}); read it anyway")
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
            cells.append(Cell(source, f"{filename}, code cell {count}", 1, f"code cell {count}", position))
        elif kind in ("raw", "markdown"):
            inert.append(Cell(source, filename, 1, f"cell {position} (a {kind.capitalize()} cell)", position))
    return cells, inert, notes


def _slim(raw: dict, filename: str) -> dict:
    """The notebook without what grading never reads (outputs, metadata, unknown keys), once its
    cells are counted (at most MAX_CELLS): nbformat reads and checks the rest in pure Python."""
    worksheets = raw.get("worksheets") if isinstance(raw.get("worksheets"), list) else []  # nbformat 3
    lists = [raw.get("cells")] + [w.get("cells") for w in worksheets if isinstance(w, dict)]
    check_cells(sum(len(cells) for cells in lists if isinstance(cells, list)), filename)
    slim = {k: raw[k] for k in ("nbformat", "nbformat_minor", "cells", "worksheets") if k in raw}
    if "metadata" in raw:
        slim["metadata"] = {} if isinstance(raw["metadata"], dict) else raw["metadata"]
    if "cells" in raw:
        slim["cells"] = _slim_cells(raw["cells"])
    if worksheets:
        slim["worksheets"] = [{"cells": _slim_cells(w.get("cells")), "metadata": {}} if isinstance(w, dict) else w
                              for w in worksheets]
    return slim


def _slim_cells(cells: object) -> object:
    if not isinstance(cells, list):
        return cells
    slim = []
    for cell in cells:
        if isinstance(cell, dict):
            cell = {k: cell[k] for k in _CELL_KEYS if k in cell}
            for key, empty in (("outputs", []), ("metadata", {})):
                if isinstance(cell.get(key), type(empty)):
                    cell[key] = empty
            for key in ("source", "input"):
                if isinstance(cell.get(key), list) and all(isinstance(s, str) for s in cell[key]):
                    cell[key] = "".join(cell[key])
        slim.append(cell)
    return slim
