"""`autograder check`: what a student runs before handing in, with only the student kit the
instructor publishes (no hidden checks)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text()


def autograder(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    """The student kit, written by the instructor's command, in a folder of its own."""
    out = tmp_path_factory.mktemp("kit")
    made = autograder("student-kit", "-a", "A2S1", "--out", str(out), cwd=REPO)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in out.iterdir()) == ["A2S1.ipynb", "grading_config.yaml"]
    assert "checks" not in (out / "grading_config.yaml").read_text()
    return out


def check(kit: Path, tmp_path: Path, source: str) -> subprocess.CompletedProcess:
    (tmp_path / "A2S1.py").write_text(source)
    return autograder("check", str(tmp_path / "A2S1.py"), cwd=kit)  # the kit's config, found in the folder


def test_the_kit_checks_a_good_submission_without_the_hidden_checks(kit, tmp_path):
    result = check(kit, tmp_path, SOLUTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("6 of 6 answers ready.")
    assert "expected" not in result.stdout


def test_a_cell_that_raised_is_a_warning_not_ok(kit, tmp_path):
    result = check(kit, tmp_path, SOLUTION.replace("check_query(query121, value[0])", "check_query(query121, nope)"))
    assert result.returncode == 0, result.stdout
    assert "warning" in result.stdout and "NameError" in result.stdout
    assert "5 of 6 answers ready; warnings in 1.2.1." in " ".join(result.stdout.split())


def test_a_problem_fails_the_check_and_says_so_in_one_line(kit, tmp_path):
    result = check(kit, tmp_path, SOLUTION.replace("query131 = ", "query131 = 0 * float('nan') + "))
    assert result.returncode == 1
    summary = " ".join(result.stdout.split())
    assert "problems in 1.3.1 (fix them before handing in)" in summary and "contains NaN" in summary


def test_grading_without_the_hidden_checks_is_a_one_line_error(kit, tmp_path):
    (tmp_path / "A2S1.py").write_text(SOLUTION)
    result = autograder("grade", str(tmp_path / "A2S1.py"), "--out", str(tmp_path / "r.json"), cwd=kit)
    assert result.returncode == 1 and not (tmp_path / "r.json").exists()
    assert result.stderr.count("\n") == 1 and "grading needs the hidden checks" in result.stderr
