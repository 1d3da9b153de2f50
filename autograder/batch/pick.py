"""Which file of a submission folder is graded: one rule for `autograder grade FOLDER`, batches and
Gradescope's `run_autograder`."""
from __future__ import annotations

import re
from pathlib import Path

SUFFIXES = (".py", ".ipynb")
MAX_LISTED = 20  # names listed when a folder holds nothing to grade


def pick_submission(folder: Path, assignment: str) -> Path | None:
    """The file to grade in `folder` (searched recursively; hidden files and `__MACOSX` skipped): one
    named after the assignment (`A2S1.py`, `jdoe_A2S1.ipynb`) first, then a .py before an .ipynb, a
    shallower file before a deeper one, then by name (and path). None if there is no .py or .ipynb."""
    named = re.compile(rf"(^|[^a-z0-9]){re.escape(assignment.lower())}([^a-z0-9]|$)")
    files = [p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
             and not any(part.startswith(".") or part == "__MACOSX" for part in p.relative_to(folder).parts)]
    return min(files, default=None,
               key=lambda p: (not named.search(p.stem.lower()), p.suffix.lower() != ".py", len(p.parts), p.name, p))


def nothing_to_grade(folder: Path) -> str:
    """The reason given for a submission folder without a .py or .ipynb: what it holds instead."""
    try:
        found = sorted(p.name for p in folder.iterdir())
    except OSError:
        found = []
    listed = ", ".join(found[:MAX_LISTED]) + (f" and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else "")
    return ("No .ipynb or .py file was found in your submission" + (f" (it contains: {listed})" if found else "")
            + ". Upload your notebook (.ipynb) or its .py export.")
