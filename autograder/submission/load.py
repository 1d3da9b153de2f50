"""Load a submission file into cells: decode, split by format, bound the code, neutralise magics."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from autograder.submission.cells import MAX_CODE, Cell, Submission, SubmissionError
from autograder.submission.decode import decode
from autograder.submission.lexer import Layout, scan
from autograder.submission.magics import drop_cell_magic, neutralise
from autograder.submission.notebook import split_notebook
from autograder.submission.script import split_script

MAX_BYTES = 5 * 1024 * 1024


def load_submission(path: Path | str) -> Submission:
    """Read `path` (.py or .ipynb); raise SubmissionError with a clear message if impossible."""
    path = Path(path)
    return load_bytes(read_submission(path), path.name)


def read_submission(path: Path) -> bytes:
    """The file's bytes, or a SubmissionError saying why they cannot be read."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SubmissionError(f"{path.name} is larger than {MAX_BYTES // (1024 * 1024)} MB")
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, PermissionError) as e:
        raise SubmissionError(f"cannot read {path.name}: {e.strerror}") from None


def load_bytes(data: bytes, name: str) -> Submission:
    """Load a submission from its bytes; `name` decides the format (.ipynb or anything else as .py)."""
    text, notes = decode(data)
    inert: list[Cell] = []
    if name.lower().endswith(".ipynb") or (not name.lower().endswith(".py") and text.lstrip().startswith("{")):
        cells, inert, more = split_notebook(text, name)
        fmt = "notebook"
        notes += more
    else:
        cells, fmt = split_script(text, name)
    cells, layouts, more = _bounded(cells, name)
    cleaned, magics = neutralise(cells, layouts, commented_magics=fmt == "percent script")
    notes += more + magics
    if not any(c.source.strip() for c in cleaned):
        raise SubmissionError(f"{name} contains no code")
    return Submission(name, fmt, cleaned, notes, inert)


def _bounded(cells: list[Cell], name: str) -> tuple[list[Cell], list[Layout], list[str]]:
    """The cells without non-Python cell magics, each cell's scan, and notes; a SubmissionError when
    they hold more than MAX_CODE characters of code (parsing and compiling cost about a kilobyte of
    memory per token)."""
    kept, layouts, notes, code = [], [], [], 0
    for cell in cells:
        source, note = drop_cell_magic(cell.source)
        if note is not None:
            notes.append(f"{cell.where(cell.first_line + note[0])}: {note[1]}")
            cell = replace(cell, source=source)
        layout = scan(source, MAX_CODE - code)
        code += layout.cost
        if code > MAX_CODE:
            raise SubmissionError(f"{name} holds more than {MAX_CODE // 1024} KB of code (outside comments and "
                                  f"strings); the grader reads at most that")
        kept.append(cell)
        layouts.append(layout)
    return kept, layouts, notes


def split_cell(cell: Cell, line_index: int) -> tuple[Cell, Cell]:
    """Split `cell` before its 0-based line `line_index` (used to isolate a question's code)."""
    lines = cell.source.split("\n")
    head = replace(cell, source="\n".join(lines[:line_index]))
    tail = replace(cell, source="\n".join(lines[line_index:]), first_line=cell.first_line + line_index)
    return head, tail
