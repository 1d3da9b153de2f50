"""The command line as an instructor and a student use it, with results.json validated by schema."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from autograder.assignment import find_config
from autograder.cli import GRADER_FAILED
from autograder.results.atomic import write_atomic
from conftest import REPO, config_of
from tiny import answer, tiny_config

SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text()

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


@pytest.mark.parametrize("command", ["grade", "check", "batch"])
def test_a_missing_input_is_a_usage_error_and_writes_nothing(tmp_path, command):
    missing = tmp_path / "missing.ipynb"
    out = ["--out", str(tmp_path / "out")] if command == "batch" else ["--out", str(tmp_path / "r.json")]
    result = autograder(command, str(missing), "-a", "A2S1", *(out if command != "check" else []))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [f"Error: {missing}: cannot read it (No such file or directory)"]
    assert sorted(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="root reads anything without setpriv")
def test_an_unreadable_input_is_a_usage_error_and_writes_nothing(tmp_path):
    secret = tmp_path / "A2S1.py"
    secret.write_text("x = 1\n")
    secret.chmod(0o000)
    # as root: without the capabilities that bypass file permissions, i.e. what any other user meets
    as_user = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    result = subprocess.run([*as_user, sys.executable, "-m", "autograder", "grade", str(secret), "--out",
                             str(tmp_path / "r.json")], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [f"Error: {secret}: cannot read it (Permission denied)"]
    assert [p.name for p in tmp_path.iterdir()] == ["A2S1.py"]


def test_an_output_that_cannot_be_written_is_a_one_line_error(a2s1, tmp_path):
    (tmp_path / "file").write_text("")
    single = autograder("grade", str(a2s1.solutions[1]), "--out", str(tmp_path / "file" / "r.json"))
    assert single.returncode == 1 and len(single.stderr.splitlines()) == 1
    assert single.stderr.startswith(f"Error: cannot write {tmp_path / 'file' / 'r.json'}: ")
    batch = autograder("batch", str(a2s1.solutions[1].parent), "-a", "A2S1", "--out", str(tmp_path / "file" / "out"))
    assert batch.returncode == 1 and len(batch.stderr.splitlines()) == 1
    assert batch.stderr.startswith(f"Error: cannot write the results in {tmp_path / 'file' / 'out'}: ")


def test_a_folder_is_graded_by_the_file_batch_would_pick(tmp_path):
    student = tmp_path / "subs" / "jdoe"
    student.mkdir(parents=True)
    (student / "A2S1.py").write_text(SOLUTION.replace("query121 = 1e5 *", "query121 = 1 *"))  # 5 points
    shutil.copy(REPO / "solutions" / "A2S1" / "A2S1.ipynb", student / "Untitled.ipynb")  # 6 points
    single = grade(student, tmp_path / "r.json", "-a", "A2S1")
    assert single["extra_data"]["submission"] == "A2S1.py" and single["score"] == 5
    result = autograder("batch", str(tmp_path / "subs"), "-a", "A2S1", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    batch = json.loads((tmp_path / "out" / "jdoe" / "results.json").read_text())
    assert batch["extra_data"]["submission"] == "A2S1.py" and batch["score"] == 5


def test_a_folder_without_a_notebook_gets_a_zero_saying_what_it_holds(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "notes.txt").write_text("my answers are on paper\n")
    (folder / "answers.pdf").write_bytes(b"%PDF-1.4")
    data = grade(folder, tmp_path / "r.json", "-a", "A2S1")
    assert data["score"] == 0 and len(data["tests"]) == 6
    assert "No .ipynb or .py file was found in your submission (it contains: answers.pdf, notes.txt)" in data["output"]


def test_run_autograder_grades_the_submission_folder_with_the_one_rule():
    script = (REPO / "autograder" / "ship" / "templates" / "run_autograder").read_text()
    command = " ".join(script.replace("\\\n", " ").split())
    assert 'autograder grade /autograder/submission --config "$SOURCE/grading_config.yaml" ' \
           "--out /autograder/results/results.json || status=$?" in command
    assert '[ "$status" -eq 3 ] && exit 0' in command  # the grader's own failure still gives a shown result
    assert "python" not in script  # nothing of its own: `grade FOLDER` picks the file and writes the zero result


@pytest.mark.parametrize("umask", [0o027, 0o002])
def test_written_files_follow_the_umask(a2s1, tmp_path, umask):
    sub = tmp_path / "in" / "A2S1.py"
    sub.parent.mkdir()
    shutil.copy(a2s1.solutions[1], sub)
    run = {"capture_output": True, "text": True, "cwd": REPO, "umask": umask}
    single = subprocess.run([sys.executable, "-m", "autograder", "grade", str(sub), "--out", str(tmp_path / "r.json")],
                            **run)
    assert single.returncode == 0, single.stderr
    batch = subprocess.run([sys.executable, "-m", "autograder", "batch", str(sub.parent), "-a", "A2S1", "--out",
                            str(tmp_path / "out")], **run)
    assert batch.returncode == 0, batch.stderr
    for path in (tmp_path / "r.json", tmp_path / "out" / "grades.csv", tmp_path / "out" / "A2S1.py" / "results.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path


def test_write_atomic_gives_the_umask_mode_and_valid_utf8(tmp_path):
    previous = os.umask(0o037)
    try:
        write_atomic(tmp_path / "a.txt", "name \udc9b\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "name ?\n"


def test_a_lone_surrogate_in_the_students_messages_still_gives_results(a2s1, tmp_path):
    sub = tmp_path / "A2S1.py"
    sub.write_text(a2s1.solutions[1].read_text() + '\nraise ValueError("bad \\udc9b name")\n')
    data = grade(sub, tmp_path / "r.json")
    assert data["score"] == 6 and "That cell raised ValueError: bad ? name" in data["tests"][-1]["output"]


def test_the_checkouts_config_is_found_from_any_folder(a2s1, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_CONFIG"}
    shutil.copy(a2s1.solutions[1], tmp_path / "A2S1.py")
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "A2S1.py", "--out", "r.json"],
                            capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 6


def test_config_order_explicit_env_nearest_then_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTOGRADER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert find_config() == REPO / "grading_config.yaml"
    nearer = tiny_config(tmp_path / "course")
    (tmp_path / "course" / "week1").mkdir()
    monkeypatch.chdir(tmp_path / "course" / "week1")
    assert find_config() == nearer
    monkeypatch.setenv("AUTOGRADER_CONFIG", "/env/grading_config.yaml")
    assert find_config() == Path("/env/grading_config.yaml")
    assert find_config("explicit.yaml") == Path("explicit.yaml")


@pytest.mark.skipif(os.geteuid() != 0, reason="AUTOGRADER_USER is only used as root")
def test_a_grader_that_cannot_start_its_sandbox_still_writes_a_result(a2s1, tmp_path):
    env = {**os.environ, "AUTOGRADER_USER": "no-such-user-here"}
    run = {"capture_output": True, "text": True, "cwd": REPO, "env": env}
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", str(a2s1.solutions[1]), "--out",
                             str(tmp_path / "r.json")], **run)
    assert result.returncode == GRADER_FAILED, result.stdout + result.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["score"] == 0 and "the grader failed on this file (please report): SandboxError: " in data["output"]
    missing = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "A2S1.py"), "--out",
                              str(tmp_path / "m.json")], **run)
    assert missing.returncode == 2 and not (tmp_path / "m.json").exists()


def test_a_grader_failure_is_a_zero_result_saying_so_with_its_own_exit_code(tmp_path):
    config = tiny_config(tmp_path / "course")
    sub = tmp_path / "T1.py"
    sub.write_text(answer(1000))
    result = autograder("grade", str(sub), "--config", str(config), "--out", str(tmp_path / "r.json"))
    assert result.returncode == GRADER_FAILED == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(data, SCHEMA)
    message = "the grader failed on this file (please report): RuntimeError: boom in the check"
    assert data["score"] == 0 and message in data["output"] and message in data["tests"][0]["output"]
    assert data["extra_data"]["status"] == "not graded"
    assert "the grader failed on this file" in result.stdout
    check = autograder("check", str(sub), "--config", str(config))
    assert check.returncode == 0, check.stdout  # public checks only: the hidden check never runs
    sub.write_text(answer(42))
    fine = autograder("grade", str(sub), "--config", str(config), "--out", str(tmp_path / "r.json"))
    assert fine.returncode == 0 and json.loads((tmp_path / "r.json").read_text())["score"] == 1


def test_assign_generates_student_notebook_and_solutions_from_the_master(a2s1, tmp_path):
    shutil.copy(a2s1.master, tmp_path / "master.ipynb")
    shutil.copy(a2s1.checks_path, tmp_path / "checks.py")
    config = config_of("A2S1")
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
