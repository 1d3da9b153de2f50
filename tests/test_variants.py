"""Answers that only fit the given data: a batch runs each submission again on a fresh key and
value; a typed-in answer is flagged with its line as evidence, honest code never, and no flag
changes a grade."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.record import read_report
from autograder.grading.variants import FITS_ONLY, NOT_RUN, inject_source
from conftest import REPO

SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text()
LITERALS = {
    "literal121_A2S1.py": SOLUTION.replace("query121 = 1e5 * key[0].unsqueeze(0)",
                                           "query121 = torch.tensor([[47000.0, 65000.0, 60000.0]])"),
    "literal132_A2S1.py": SOLUTION.replace("query132 = 8 * key[:2].mean(0, keepdim=True)",
                                           "query132 = torch.tensor([[4.44, 4.6, 0.04]])"),
}
HONEST = {
    "reference_A2S1.py": SOLUTION,
    "numpy_style_A2S1.py": SOLUTION.replace("query121 = 1e5 * key[0].unsqueeze(0)",
                                            "query121 = torch.from_numpy(1e5 * key.numpy()[:1])"),
    "fragile_A2S1.py": SOLUTION.replace(  # dies on any data but the notebook's
        "query121 = 1e5 * key[0].unsqueeze(0)",
        "query121 = 1e5 * key[0].unsqueeze(0)\nif abs(float(key[0, 0]) - 0.47) > 1e-6: __import__('os')._exit(1)"),
}


def batch(source: Path, out: Path, *extra: str) -> None:
    result = subprocess.run([sys.executable, "-m", "autograder", "batch", str(source), "-a", "A2S1", "--out", str(out),
                             *extra], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, Path]:
    source = tmp_path_factory.mktemp("subs")
    for name, text in {**LITERALS, **HONEST}.items():
        (source / name).write_text(text)
    out, plain = tmp_path_factory.mktemp("out"), tmp_path_factory.mktemp("plain")
    batch(source, out)
    batch(source, plain, "--no-variants")
    return out, plain


def findings(out: Path, name: str) -> list:
    report = read_report(out / name / "report.json")
    assert report is not None
    return report.findings


def test_typed_in_answers_are_flagged_with_their_line(graded):
    out, _ = graded
    [q121] = findings(out, "literal121_A2S1.py")
    assert (q121.question, q121.kind) == ("1.2.1", FITS_ONLY)
    assert "it does not depend on them (a literal?)" in q121.evidence
    assert "your code: `query121 = torch.tensor([[47000.0, 65000.0, 60000.0]])`" in q121.evidence
    flagged = {f.question: f for f in findings(out, "literal132_A2S1.py")}
    assert "query132 = torch.tensor([[4.44, 4.6, 0.04]])" in flagged["1.3.2"].evidence
    assert all("uses your answer to 1.3.2" in flagged[q].evidence for q in flagged if q != "1.3.2")


def test_honest_code_is_never_flagged_and_a_crash_on_fresh_data_is_reported(graded):
    out, _ = graded
    assert findings(out, "reference_A2S1.py") == [] and findings(out, "numpy_style_A2S1.py") == []
    [crash] = findings(out, "fragile_A2S1.py")
    assert crash.kind == NOT_RUN and crash.question == ""


def test_a_flag_never_changes_a_grade(graded):
    out, plain = graded
    def rows(folder: Path) -> list[dict]:
        with (folder / "grades.csv").open(encoding="utf-8") as f:
            return list(csv.DictReader(f))
    assert rows(out) == rows(plain)
    assert all(r["Total Score"] == "6" for r in rows(out))


def test_injected_data_keeps_the_kind_of_array_it_replaces():
    ns: dict = {"torch": __import__("torch")}
    exec("key = torch.zeros(2, 2, dtype=torch.float64)\nvalue = __import__('numpy').zeros((2, 2), dtype='float32')", ns)
    exec(inject_source({"key": np.eye(2), "value": np.ones((2, 2))}), ns)
    assert ns["key"].dtype == ns["torch"].float64 and ns["key"].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert str(ns["value"].dtype) == "float32" and ns["value"].sum() == 4
    assert "__autograder_like" not in ns


def test_the_course_report_lists_the_findings(graded, load, tmp_path):
    out, plain = graded
    seen = load(out / "report.html", tmp_path / "report.png")
    assert not seen.errors and not seen.external and not seen.broken_images
    assert "literal121_A2S1.py" in seen.text and "query121 = torch.tensor([[47000.0, 65000.0, 60000.0]])" in seen.text
    assert "No answer fits only the given data." in load(plain / "report.html").text
