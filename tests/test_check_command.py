"""`autograder check`: what a student runs before handing in, with only the student kit the
instructor publishes (no hidden checks)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from autograder.assignment import load_assignment

SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text()


def autograder(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def student_kit(name: str, out: Path) -> Path:
    """Assignment `name`'s student kit, written into `out` by the instructor's command."""
    made = autograder("student-kit", "-a", name, "--out", str(out), cwd=REPO)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{name}.ipynb", "grading_config.yaml"]
    assert "checks" not in (out / "grading_config.yaml").read_text()
    return out


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    """A2S1's student kit, in a folder of its own."""
    return student_kit("A2S1", tmp_path_factory.mktemp("kit"))


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


def test_a_function_that_is_still_the_templates_stub_is_not_ready(tmp_path):
    kit = student_kit("A2S2", tmp_path / "kit")
    questions = load_assignment(kit / "grading_config.yaml", "A2S2").questions
    functions = [q for q in questions if q.is_function]
    blank = autograder("check", "A2S2.ipynb", cwd=kit)
    assert blank.returncode == 1, blank.stdout + blank.stderr
    text = " ".join(blank.stdout.split())
    assert [q.answer for q in functions if f"`{q.answer}` is not written yet" not in text] == [], blank.stdout
    written = [q.id for q in questions if q.is_written]  # empty in the blank notebook: warnings
    assert f"{len(questions) - len(functions) - len(written)} of {len(questions)} answers ready; " \
           f"warnings in {', '.join(written)}; " \
           f"problems in {', '.join(q.id for q in functions)} (fix them before handing in)." in text
    (tmp_path / "A2S2.py").write_bytes((REPO / "solutions" / "A2S2" / "A2S2.py").read_bytes())
    solution = autograder("check", str(tmp_path / "A2S2.py"), cwd=kit)
    assert solution.returncode == 0, solution.stdout + solution.stderr
    assert solution.stdout.strip().splitlines()[-1].startswith(f"{len(questions)} of {len(questions)} answers ready.")
    assert "not written yet" not in solution.stdout
