"""Batch grading: same grades as single grading, Gradescope exports, resumable, interruptible."""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import REPO
from tiny import CHECKS, CONFIG, answer, tiny_config

SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text()
VARIANTS = {
    "full_A2S1.py": SOLUTION,
    "wrong121_A2S1.py": SOLUTION.replace("query121 = 1e5 *", "query121 = 1 *"),
    "partial122_A2S1.py": SOLUTION.replace("query122 = 1e5 * key", "query122 = 1e5 * key[[0, 1, 2, 0]]"),
    "blank142_A2S1.py": SOLUTION.replace("m_key[2] = query132[0]", "m_key[2] ="),
    "exits_A2S1.py": SOLUTION.replace("query131 = ", "import os; os._exit(3)\nquery131 = "),
    "garbage_A2S1.ipynb": "{ not a notebook",
}
TIMINGS = {"execution_time"}


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=REPO,
                          **kwargs)


def strip_timings(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in TIMINGS}


@pytest.fixture(scope="module")
def submissions(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("subs")
    for name, text in VARIANTS.items():
        (folder / name).write_text(text)
    shutil.copy(REPO / "assignments" / "A2S1" / "A2S1.ipynb", folder / "blank_A2S1.ipynb")
    return folder


@pytest.fixture(scope="module")
def batch_out(submissions, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = cli("batch", str(submissions), "-a", "A2S1", "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    return out


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_batch_gives_exactly_the_grades_of_single_grading(submissions, batch_out, tmp_path):
    for sub in sorted(submissions.iterdir()):
        single = tmp_path / f"{sub.name}.json"
        assert cli("grade", str(sub), "-a", "A2S1", "--out", str(single)).returncode == 0
        batch = batch_out / sub.name / "results.json"
        assert strip_timings(json.loads(batch.read_text())) == strip_timings(json.loads(single.read_text())), sub.name


def test_grade_sheet_has_one_row_per_submission_with_status(submissions, batch_out):
    rows = {r["Submission"]: r for r in read_csv(batch_out / "grades.csv")}
    assert set(rows) == {p.name for p in submissions.iterdir()}
    assert rows["full_A2S1.py"]["Total Score"] == "6" and rows["full_A2S1.py"]["Status"] == "graded"
    assert rows["partial122_A2S1.py"]["1.2.2"] == "0.75"
    assert rows["garbage_A2S1.ipynb"]["Status"] == "failed to parse"
    assert rows["exits_A2S1.py"]["Status"] == "partial" and "1.3.1" in rows["exits_A2S1.py"]["Note"]
    assert rows["blank142_A2S1.py"]["1.4.2"] == "0" and rows["blank142_A2S1.py"]["Total Score"] == "5"


def test_jobs_1_and_jobs_n_agree(submissions, batch_out, tmp_path):
    assert cli("batch", str(submissions), "-a", "A2S1", "--out", str(tmp_path), "--jobs", "1").returncode == 0
    for sub in submissions.iterdir():
        one = json.loads((tmp_path / sub.name / "results.json").read_text())
        two = json.loads((batch_out / sub.name / "results.json").read_text())
        assert strip_timings(one) == strip_timings(two)
    assert (tmp_path / "grades.csv").read_text() == (batch_out / "grades.csv").read_text()


def test_rerun_skips_complete_results_and_force_regrades(submissions, tmp_path):
    out = tmp_path / "out"
    assert cli("batch", str(submissions), "-a", "A2S1", "--out", str(out)).returncode == 0
    stamp = (out / "full_A2S1.py" / "results.json").stat().st_mtime_ns
    again = cli("batch", str(submissions), "-a", "A2S1", "--out", str(out))
    assert "0 graded now" in again.stdout and f"{len(VARIANTS) + 1} already complete" in again.stdout
    assert (out / "full_A2S1.py" / "results.json").stat().st_mtime_ns == stamp
    (out / "wrong121_A2S1.py" / "results.json").write_text('{"tests": [')  # damaged: regraded
    fixed = cli("batch", str(submissions), "-a", "A2S1", "--out", str(out))
    assert "1 graded now" in fixed.stdout
    forced = cli("batch", str(submissions), "-a", "A2S1", "--out", str(out), "--force")
    assert f"{len(VARIANTS) + 1} graded now" in forced.stdout


def test_gradescope_export_zip_round_trips_students(tmp_path):
    archive = tmp_path / "submissions.zip"
    meta = {
        "submission_101": {":submitters": [{":name": "Ada Lovelace", ":sid": "A001", ":email": "ada@uni.edu"}],
                           ":created_at": "2026-11-20 10:00:00 -0800"},
        "submission_102": {":submitters": [{":name": "Alan Turing", ":sid": "A002", ":email": "alan@uni.edu"},
                                           {":name": "Grace Hopper", ":sid": "A003", ":email": "grace@uni.edu"}]},
        "submission_103": {":submitters": [{":name": "Nobody Handedin", ":sid": "A004", ":email": "n@uni.edu"}]},
    }
    import yaml

    with zipfile.ZipFile(archive, "w") as zf:
        root = "assignment_7_export/"
        zf.writestr(root + "submission_metadata.yml", yaml.safe_dump(meta))
        zf.writestr(root + "submission_101/A2S1.py", SOLUTION)
        zf.writestr(root + "submission_102/A2S1.ipynb", (REPO / "solutions" / "A2S1" / "A2S1.ipynb").read_text())
        zf.writestr(root + "submission_102/notes.txt", "not code")
        zf.writestr(root + "../escape.py", "print('zip slip')")
    out = tmp_path / "out"
    result = cli("batch", str(archive), "-a", "A2S1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = read_csv(out / "grades.csv")
    assert [(r["Name"], r["SID"], r["Email"], r["Submission"], r["Total Score"]) for r in rows] == [
        ("Ada Lovelace", "A001", "ada@uni.edu", "submission_101", "6"),
        ("Alan Turing", "A002", "alan@uni.edu", "submission_102", "6"),
        ("Grace Hopper", "A003", "grace@uni.edu", "submission_102", "6"),
        ("Nobody Handedin", "A004", "n@uni.edu", "submission_103", "0"),
    ]
    assert rows[3]["Status"] == "failed to parse"
    assert not (tmp_path / "escape.py").exists()


def _wait_for_results(out: Path, count: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(list(out.glob("*/results.json"))) < count:
        assert proc.poll() is None, "batch ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _many(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(n):
        (folder / f"s{i:03d}_A2S1.py").write_text(VARIANTS[list(VARIANTS)[i % 5]])
    return folder


@pytest.mark.parametrize("how", ["kill the batch", "ctrl-c"])
def test_interrupted_batch_resumes_with_nothing_lost_or_duplicated(tmp_path, how):
    subs, out = _many(tmp_path, 40), tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "batch", str(subs), "-a", "A2S1", "--out", str(out),
                             "--jobs", "2"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    _wait_for_results(out, 5, proc)
    if how == "kill the batch":
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    if how == "ctrl-c":
        assert proc.returncode == 130
    done_before = {p.parent.name for p in out.glob("*/report.json")}  # written last: the submission is complete
    for path in [*out.glob("*/results.json"), *out.glob("*/report.json")]:
        json.loads(path.read_text())  # complete, never half-written
    result = cli("batch", str(subs), "-a", "A2S1", "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert f"{len(done_before)} already complete" in result.stdout
    rows = read_csv(out / "grades.csv")
    assert sorted(r["Submission"] for r in rows) == sorted(p.name for p in subs.iterdir())
    assert all(r["Status"] != "not graded" for r in rows)
    assert not list(out.rglob("*.tmp"))


def test_killing_the_fork_server_mid_batch_loses_nothing(tmp_path):
    import psutil

    subs, out = _many(tmp_path, 30), tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "batch", str(subs), "-a", "A2S1", "--out", str(out),
                             "--jobs", "2"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_results(out, 3, proc)
    servers = [p for p in psutil.Process(proc.pid).children() if "forkserver" in " ".join(p.cmdline())]
    assert servers
    servers[0].kill()
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr
    rows = read_csv(out / "grades.csv")
    assert len(rows) == 30 and all(r["Status"] != "not graded" for r in rows), stdout + stderr


def test_a_rerun_removes_what_a_killed_writer_left(tmp_path):
    subs, out = _many(tmp_path, 1), tmp_path / "out"
    (out / "s000_A2S1.py").mkdir(parents=True)
    leftovers = [out / "s000_A2S1.py" / ".results-abc123.tmp", out / ".grades-def456.tmp"]
    for path in leftovers:
        path.write_text('{"half": ')
    result = cli("batch", str(subs), "-a", "A2S1", "--out", str(out), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert not any(path.exists() for path in leftovers) and (out / "s000_A2S1.py" / "results.json").exists()


def test_a_grader_failure_costs_one_submission_a_zero_result_and_a_rerun_retries_it(tmp_path):
    config, subs, out = tiny_config(tmp_path / "course"), tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "good_T1.py").write_text(answer(42))
    (subs / "breaks_T1.py").write_text(answer(1000))  # the check raises on it
    result = cli("batch", str(subs), "--config", str(config), "--out", str(out), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    message = "the grader failed on this file (please report): RuntimeError: boom in the check"
    assert f"breaks_T1.py: {message}" in result.stderr
    assert "The grader failed on (please report; a rerun retries them): breaks_T1.py" in result.stdout
    failed = json.loads((out / "breaks_T1.py" / "results.json").read_text())
    assert failed["score"] == 0 and message in failed["output"] and failed["extra_data"]["status"] == "not graded"
    rows = {r["Submission"]: r for r in read_csv(out / "grades.csv")}
    assert rows["good_T1.py"]["Total Score"] == "1" and rows["good_T1.py"]["Status"] == "graded"
    assert rows["breaks_T1.py"]["Status"] == "not graded" and message in rows["breaks_T1.py"]["Note"]
    again = cli("batch", str(subs), "--config", str(config), "--out", str(out), "--jobs", "1")
    assert "0 graded now" in again.stdout and "1 already complete" in again.stdout  # the failure was retried
    assert "breaks_T1.py" in again.stdout


def test_a_grader_failure_while_preparing_is_a_result_too(tmp_path):
    checks = CHECKS + '''
@inputs("2")
def broken_inputs():
    raise KeyError("no inputs today")

@check("2")
def the_function(ctx: Context) -> None:
    ctx.note("never reached")
'''
    config = tiny_config(tmp_path / "course", checks.replace("import Context, check", "import Context, check, inputs"),
                         CONFIG + '''      - id: "2"
        title: A function
        points: 1
        prompt: a function of your own
        answer: {function: f}
''')
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for name in ("a_T1.py", "b_T1.py"):
        (subs / name).write_text(answer(42) + "# a function of your own\ndef f(x):\n    return x\n")
    result = cli("batch", str(subs), "--config", str(config), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    for name in ("a_T1.py", "b_T1.py"):
        data = json.loads((out / name / "results.json").read_text())
        assert "please report): KeyError: 'no inputs today'" in data["output"], data["output"]
