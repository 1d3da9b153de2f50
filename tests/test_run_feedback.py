"""What a student is told when their cells raise, hang or never run: the right line, the right
cell, one status per meaning. Each case is the reference notebook or script with one change."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import Assignment
from autograder.grading.pipeline import grade_file
from autograder.results.explain import question_lines
from autograder.sandbox.pool import ServerPool

FULL = {"1.2.1": 1, "1.2.2": 1, "1.3.1": 1, "1.3.2": 1, "1.4.1": 1, "1.4.2": 1}


@pytest.fixture(scope="module")
def fast(a2s1: Assignment) -> Assignment:
    """A2S1 with a short cell time limit, so that hanging cases take seconds."""
    return dataclasses.replace(a2s1, limits=a2s1.limits.model_copy(update={"cell_timeout": 2.0}))


@pytest.fixture(scope="module")
def pool(a2s1: Assignment):
    with ServerPool(a2s1.preload) as p:
        yield p


def _notebook(a2s1: Assignment, tmp_path: Path, change) -> Path:
    nb = nbformat.read(a2s1.solutions[0], as_version=4)
    change(nb.cells)
    path = tmp_path / "A2S1.ipynb"
    nbformat.write(nb, path)
    return path


def _cell(cells, text: str):
    return next(c for c in cells if c.cell_type == "code" and text in c.source)


def _scores(report) -> dict[str, float]:
    return {r.question.id: r.score for r in report.questions}


def test_the_reference_runs_cleanly(a2s1, pool, tmp_path):
    report = grade_file(_notebook(a2s1, tmp_path, lambda cells: None), a2s1, pool=pool)
    assert _scores(report) == FULL and report.status() == ("graded", "") and report.notes == []


def test_a_notebook_error_quotes_the_line_of_its_own_cell(a2s1, pool, tmp_path):
    def typo(cells):
        cell = _cell(cells, "averages the first three value vectors")
        cell.source = cell.source.replace("m_key[2] = ", "m_key[2] = qeury132 #")

    report = grade_file(_notebook(a2s1, tmp_path, typo), a2s1, pool=pool)
    explained = "\n".join(question_lines(next(r for r in report.questions if r.question.id == "1.4.1")))
    assert "qeury132" in explained and "(`m_key[2] = qeury132 #" in explained, explained
    assert report.status()[0] == "partial"
    assert any("NameError" in n and "code cell" in n and "qeury132" in n for n in report.notes), report.notes


def test_an_answer_in_a_raw_cell_is_named_as_such(a2s1, pool, tmp_path):
    def raw(cells):
        cell = _cell(cells, "query122 =")
        cell.cell_type = "raw"
        for key in ("outputs", "execution_count"):
            cell.pop(key, None)

    report = grade_file(_notebook(a2s1, tmp_path, raw), a2s1, pool=pool)
    q122 = next(r for r in report.questions if r.question.id == "1.2.2")
    assert "a Raw cell" in question_lines(q122)[0] and "make it a Code cell" in question_lines(q122)[0]
    assert q122.score == 0


def test_a_notebook_cell_that_hangs_after_its_answer_keeps_it(fast, pool, tmp_path):
    def hang(cells):
        cell = _cell(cells, "query122 =")
        cell.source = cell.source.replace("query122 = 1e5 * key", "query122 = 1e5 * key\nimport time\ntime.sleep(3600)")

    report = grade_file(_notebook(fast, tmp_path, hang), fast, pool=pool)
    assert _scores(report) == FULL
    assert report.status()[0] == "timed out"
    q122 = "\n".join(question_lines(next(r for r in report.questions if r.question.id == "1.2.2")))
    assert "timed out after 2 s at line 6 (`time.sleep(3600)`)" in q122, q122


def test_a_colab_export_that_mounts_drive_first_keeps_its_set_up(a2s1, pool, tmp_path):
    script = a2s1.solutions[1].read_text(encoding="utf-8")
    head, sep, tail = script.partition("import torch\n")
    mount = ("from google.colab import drive\ndrive.mount('/content/drive')\n"
             "# Commented out IPython magic to ensure Python compatibility.\n# %cd /content/drive/MyDrive\n"
             "!wget -q https://example.com/data.csv\nimport pandas as pd\n")
    path = tmp_path / "A2S1.py"
    path.write_text(head + mount + sep + tail, encoding="utf-8")
    report = grade_file(path, a2s1, pool=pool)
    assert _scores(report) == FULL
    notes = "\n".join(report.notes)
    assert "google" in notes and "NameError: name 'drive' is not defined" in notes and "wget" in notes, notes
    status, note = report.status()  # two statements did not run as in Colab; the notes say which
    assert status == "partial" and "ModuleNotFoundError" in note and "NameError" in note, note
    assert any(n.startswith("line ") and "'!wget" in n for n in report.notes), report.notes  # its own line
