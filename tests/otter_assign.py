"""Real `otter assign` on a master notebook must write what `autograder assign` writes (otter-grader
is the `author` extra: the tests using this are skipped without it)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.assign import parse_master, solution_notebook, student_notebook

OTTER = Path(sys.executable).with_name("otter")
needs_otter = pytest.mark.skipif(not OTTER.exists(), reason="otter-grader CLI not installed next to this Python")


def code_cells(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def assert_otter_agrees(master: Path, out: Path, placeholder: re.Pattern, marker: re.Pattern,
                        timeout: float) -> None:
    """Run `otter assign` on `master` into `out`; its student notebook without `placeholder` (otter's `...`
    where we blank) and its autograder notebook without `marker` (solution markers it keeps) must be ours."""
    run = subprocess.run([str(OTTER), "assign", str(master), str(out), "--no-run-tests"],
                         capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, run.stdout + run.stderr
    parsed = parse_master(nbformat.read(str(master), as_version=4))
    otter_student = nbformat.read(str(out / "student" / master.name), as_version=4)
    assert [placeholder.sub("", src) for src in code_cells(otter_student)] == code_cells(student_notebook(parsed))
    otter_solution = nbformat.read(str(out / "autograder" / master.name), as_version=4)
    assert [marker.sub("", src) for src in code_cells(otter_solution)] == code_cells(solution_notebook(parsed))
