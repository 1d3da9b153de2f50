"""The command line as an instructor and a student use it, with results.json validated by schema."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO

SCHEMA = json.loads((REPO / "autograder" / "results" / "gradescope.schema.json").read_text())


def autograder(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=cwd)


def grade(path: Path, out: Path, *extra: str) -> dict:
    result = autograder("grade", str(path), "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    return data


@pytest.mark.parametrize("index", [0, 1])
def test_reference_solutions_score_full_marks(a2s1, tmp_path, index):
    data = grade(a2s1.solutions[index], tmp_path / "results.json", "--assignment", "A2S1")
    assert data["score"] == sum(q.points for q in a2s1.questions), data
    assert [t["status"] for t in data["tests"]] == ["passed"] * 6
    assert [t["name"] for t in data["tests"]][0] == "1.2.1 Select the first value"


def test_blank_notebook_scores_zero_without_failing(a2s1, tmp_path):
    data = grade(a2s1.notebook, tmp_path / "results.json", "-a", "A2S1")
    assert data["score"] == 0 and all(t["score"] == 0 for t in data["tests"])
    assert data["extra_data"]["failure"] is None
    assert all(t["output"] for t in data["tests"])


def test_assignment_is_inferred_from_the_file_name(a2s1, tmp_path):
    sub = tmp_path / "A2S1.py"
    shutil.copy(a2s1.solutions[1], sub)
    data = grade(sub, tmp_path / "r.json")
    assert data["extra_data"]["assignment"] == "A2S1"


def test_each_test_says_expected_produced_and_how_far(a2s1, tmp_path):
    sub = tmp_path / "A2S1.py"
    sub.write_text(a2s1.solutions[1].read_text().replace("query121 = 1e5 *", "query121 = 1 *"))
    data = grade(sub, tmp_path / "r.json")
    out = data["tests"][0]["output"]
    assert data["tests"][0]["score"] == 0
    assert "expected" in out and "got" in out and "max abs error" in out and "tolerance 0.01" in out


def test_unreadable_submission_is_a_result_not_a_crash(tmp_path):
    sub = tmp_path / "A2S1.ipynb"
    sub.write_text("{ this is not json")
    data = grade(sub, tmp_path / "r.json")
    assert data["score"] == 0 and "not a valid notebook" in data["output"]


def test_check_runs_public_checks_only(a2s1, tmp_path):
    ok = autograder("check", str(a2s1.solutions[1]), "-a", "A2S1")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "expected" not in ok.stdout  # no hidden targets revealed
    blank = autograder("check", str(a2s1.notebook), "-a", "A2S1")
    assert blank.returncode == 1 and "SyntaxError" in blank.stdout


def test_missing_submission_is_a_message(tmp_path):
    result = autograder("grade", str(tmp_path / "A2S1.py"), "--out", str(tmp_path / "r.json"))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "cannot read" in json.loads((tmp_path / "r.json").read_text())["output"]


def test_assign_generates_student_notebook_and_solutions_from_the_master(a2s1, tmp_path):
    shutil.copy(a2s1.master, tmp_path / "master.ipynb")
    shutil.copy(a2s1.checks_path, tmp_path / "checks.py")
    config = (REPO / "grading_config.yaml").read_text()
    config = (config.replace("assignments/A2S1/A2S1.ipynb", "student/A2S1.ipynb")
              .replace("assignments/A2S1/checks.py", "checks.py")
              .replace("solutions/A2S1/A2S1.master.ipynb", "master.ipynb")
              .replace("solutions/A2S1/", "sol/").replace("samples: assignments/A2S1/samples", "samples: null"))
    (tmp_path / "grading_config.yaml").write_text(config)
    result = autograder("assign", "-a", "A2S1", "--config", str(tmp_path / "grading_config.yaml"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "student" / "A2S1.ipynb").read_text() == a2s1.notebook.read_text()
    assert (tmp_path / "sol" / "A2S1.py").read_text() == a2s1.solutions[1].read_text()


def test_grading_refuses_weaker_isolation_than_required(a2s1, tmp_path):
    config = (REPO / "grading_config.yaml").read_text().replace("minimum_isolation: process",
                                                                 "minimum_isolation: namespace")
    for rel in ("assignments", "solutions"):
        (tmp_path / rel).symlink_to(REPO / rel)
    (tmp_path / "grading_config.yaml").write_text(config)
    env = {**os.environ, "AUTOGRADER_ISOLATION": "user"}
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", str(a2s1.solutions[1]), "-a", "A2S1",
                             "--config", str(tmp_path / "grading_config.yaml"), "--out", str(tmp_path / "r.json")],
                            capture_output=True, text=True, cwd=REPO, env=env)
    assert result.returncode != 0 and "requires isolation 'namespace'" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "r.json").exists()
