"""Written answers: found after their prompt in every format, zero until a person scores them, a
page and a sheet for teaching assistants, their scores merged and kept across regrades."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.submission.load import load_bytes
from autograder.written import find_written
from conftest import REPO
from tiny import CHECKS, tiny_config

CONFIG = """
assignments:
  T1:
    title: Tiny with a proof
    checks: checks.py
    questions:
      - id: "1"
        title: The answer
        points: 1
        prompt: the answer to everything
        answer: x
      - id: "2"
        title: Why
        points: 2
        prompt: "Written answer 2: explain why"
        answer: {written: true}
"""
PROOF = "Because 6 × 7 = 42, and\nnothing else is the answer."


def script(text: str = PROOF) -> str:
    """A Colab export: markdown cells are string statements."""
    return f'# the answer to everything\nx = 42\n\n"""**Written answer 2: explain why**\n\n{text}\n"""\n\ny = 1\n'


def notebook(text: str = PROOF) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("# the answer to everything\nx = 42"),
                nbformat.v4.new_markdown_cell("## Written answer 2: explain why"),
                nbformat.v4.new_markdown_cell(text),
                nbformat.v4.new_code_cell("# TODO\ny = 1")]
    return nbformat.writes(nb)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=REPO)


@pytest.mark.parametrize("name, text", [("a.py", script()), ("a.ipynb", notebook())])
def test_the_text_after_the_prompt_is_found_in_every_format(name, text):
    submission = load_bytes(text.encode(), name)
    assert find_written(submission, {"2": "Written answer 2: explain why"}) == {"2": PROOF}
    assert find_written(submission, {"2": "Written answer 3"}) == {"2": None}


def test_a_percent_script_markdown_cell_is_prose():
    text = "# %%\nx = 42\n\n# %% [markdown]\n# Written answer 2: explain why\n# It is 42.\n\n# %%\ny = 1\n"
    assert find_written(load_bytes(text.encode(), "a.py"), {"2": "Written answer 2: explain why"}) == {"2": "It is 42."}


def _batch(source: Path, config: Path, out: Path, *extra: str) -> str:
    result = cli("batch", str(source), "-a", "T1", "--config", str(config), "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _rows(out: Path) -> dict[str, dict]:
    with (out / "grades.csv").open(encoding="utf-8") as f:
        return {r["Submission"]: r for r in csv.DictReader(f)}


def test_teaching_assistants_read_score_and_merge(tmp_path, load):
    config = tiny_config(tmp_path / "course", CHECKS, CONFIG)
    source = tmp_path / "subs"
    source.mkdir()
    (source / "alice.py").write_text(script())
    (source / "bob.ipynb").write_text(notebook("I computed it <script>alert(1)</script>."))
    (source / "carol.py").write_text("# the answer to everything\nx = 42\n")
    out = tmp_path / "out"
    _batch(source, config, out)
    rows = _rows(out)
    assert [rows[k]["2"] for k in ("alice.py", "bob.ipynb", "carol.py")] == ["0", "0", "0"]
    alice = json.loads((out / "alice.py" / "results.json").read_text())
    assert "graded by a teaching assistant" in alice["tests"][1]["output"]
    carol = json.loads((out / "carol.py" / "results.json").read_text())
    assert "Could not find your written answer to 2" in carol["tests"][1]["output"]

    made = cli("written", str(out), "-a", "T1", "--config", str(config))
    assert made.returncode == 0, made.stderr
    seen = load(out / "written.html", tmp_path / "written.png")
    assert not seen.errors and not seen.external
    assert "6 × 7 = 42" in seen.text and "<script>alert(1)</script>" in seen.text  # escaped, shown as text
    assert "No answer found after the prompt." in seen.text

    with (out / "written_scores.csv").open(encoding="utf-8") as f:
        sheet = list(csv.reader(f))
    assert sheet[0] == ["Submission", "Name", "2 (max 2)"]
    filled = [sheet[0]] + [[key, name, {"alice.py": "2", "bob.ipynb": "1.5"}.get(key, "")] for key, name, _ in sheet[1:]]
    scores = tmp_path / "scores.csv"
    with scores.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(filled)
    merged = cli("written", str(out), "-a", "T1", "--config", str(config), "--merge", str(scores))
    assert merged.returncode == 0 and "2 submission(s) changed" in merged.stdout, merged.stderr
    rows = _rows(out)
    assert (rows["alice.py"]["2"], rows["alice.py"]["Total Score"]) == ("2", "3")
    assert (rows["bob.ipynb"]["2"], rows["carol.py"]["2"]) == ("1.5", "0")
    assert "Graded by a teaching assistant: 2 / 2." in json.loads((out / "alice.py" / "results.json").read_text())[
        "tests"][1]["output"]

    _batch(source, config, out, "--force")  # a full regrade keeps the scores of unchanged text
    (source / "bob.ipynb").write_text(notebook("A new argument."))
    _batch(source, config, out)
    rows = _rows(out)
    assert (rows["alice.py"]["2"], rows["bob.ipynb"]["2"]) == ("2", "0"), "changed text needs a new score"


def test_a_wrong_scores_sheet_is_a_one_line_error_and_merges_nothing(tmp_path):
    config = tiny_config(tmp_path / "course", CHECKS, CONFIG)
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "alice.py").write_text(script())
    out = tmp_path / "out"
    _batch(tmp_path / "subs", config, out)
    before = (out / "grades.csv").read_text()
    for row, message in ((["alice.py", "", "3"], "3 is not between 0 and 2"),
                         (["mallory.py", "", "1"], "no submission 'mallory.py' in this batch"),
                         (["alice.py", "", "two"], "'two' is not a number")):
        scores = tmp_path / "scores.csv"
        scores.write_text("Submission,Name,2 (max 2)\n" + ",".join(row) + "\n")
        result = cli("written", str(out), "-a", "T1", "--config", str(config), "--merge", str(scores))
        assert result.returncode == 1 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr
        assert (out / "grades.csv").read_text() == before


@pytest.mark.parametrize("text, severity", [("", "warning"), ("  \n ", "warning"), (PROOF, "info")])
def test_an_empty_written_answer_is_a_warning_not_ready(text: str, severity: str) -> None:
    """`check` must not call a blank notebook's written answer ready; a TA sees it is empty."""
    from autograder.assignment import Question
    from autograder.grading.pipeline import written_result

    q = Question("2", "Why", 2.0, "Written answer 2: explain why", "", False, None, (), 1e-6, "visible", False,
                 is_written=True)
    result = written_result(q, text)
    assert result.score == 0.0 and [m.severity.value for m in result.messages] == [severity]
