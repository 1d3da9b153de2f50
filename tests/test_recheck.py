"""A batch rerun after only the checks, points, tolerances or feedback settings changed checks the
stored answers again instead of running every submission again, and gives exactly the grade a
full rerun gives."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, config_of

SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text()
VARIANTS = {
    "full_A2S1.py": SOLUTION,
    "wrong121_A2S1.py": SOLUTION.replace("query121 = 1e5 *", "query121 = 1 *"),
    "close121_A2S1.py": SOLUTION.replace("query121 = 1e5 *", "query121 = 4 *"),  # off by 0.032
    "raises_A2S1.py": SOLUTION.replace("check_query(query131, ", "check_query(nope, "),
    "garbage_A2S1.ipynb": "{ not a notebook",
}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=REPO)


def course(folder: Path, edit=lambda text: text) -> Path:
    """A copy of the repository's A2S1 config and checks, with `edit` applied to the config."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assignments" / "A2S1").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "assignments" / "A2S1" / "checks.py", folder / "assignments" / "A2S1" / "checks.py")
    text = config_of("A2S1")
    keep = [line for line in text.splitlines(keepends=True)  # no authoring files
            if not line.startswith(("    notebook:", "    master:", "    solutions:", "    samples:"))]
    (folder / "grading_config.yaml").write_text(edit("".join(keep)))
    return folder / "grading_config.yaml"


def batch(source: Path, config: Path, out: Path, *extra: str) -> str:
    result = cli("batch", str(source), "-a", "A2S1", "--config", str(config), "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


def sheet(out: Path) -> list[dict]:
    with (out / "grades.csv").open(encoding="utf-8") as f:
        return sorted(csv.DictReader(f), key=lambda r: r["Submission"])


def results(out: Path) -> dict[str, dict]:
    found = {}
    for path in sorted(out.glob("*/results.json")):
        data = json.loads(path.read_text())
        data.pop("execution_time")
        found[path.parent.name] = data
    return found


def test_a_changed_tolerance_and_points_are_rechecked_and_match_a_full_rerun(tmp_path):
    source = tmp_path / "subs"
    source.mkdir()
    for name, text in VARIANTS.items():
        (source / name).write_text(text)
    first = course(tmp_path / "v1")
    out = tmp_path / "out"
    batch(source, first, out)
    assert {r["Submission"]: r["1.2.1"] for r in sheet(out)}["close121_A2S1.py"] == "0"

    def looser(text: str) -> str:  # 1.2.1: a wider tolerance, worth 3 points; 1.3.1 reveals only the score
        text = text.replace('        answer: query121\n', '        answer: query121\n        tolerance: 0.05\n')
        text = text.replace('        title: Select the first value\n        points: 1',
                            '        title: Select the first value\n        points: 3')
        return text.replace('        answer: query131\n', '        answer: query131\n        reveal: score\n')

    second = course(tmp_path / "v1", looser)  # the same course folder, its config edited
    again = batch(source, second, out)
    assert "0 graded now" in again and "5 re-checked from their stored answers" in again, again
    rows = {r["Submission"]: r for r in sheet(out)}
    assert rows["close121_A2S1.py"]["1.2.1"] == "3" and rows["full_A2S1.py"]["Total Score"] == "8"
    assert rows["wrong121_A2S1.py"]["1.2.1"] == "0" and rows["garbage_A2S1.ipynb"]["Max Points"] == "8"
    full = tmp_path / "full"
    batch(source, second, full, "--force")
    assert results(out) == results(full), "a re-check gives exactly what a full rerun gives"
    assert sheet(out) == sheet(full)
    unchanged = batch(source, second, out)
    assert "0 graded now" in unchanged and "5 already complete" in unchanged and "re-checked" not in unchanged


def test_a_changed_prompt_or_limit_runs_the_code_again(tmp_path):
    source = tmp_path / "subs"
    source.mkdir()
    (source / "full_A2S1.py").write_text(SOLUTION)
    out = tmp_path / "out"
    batch(source, course(tmp_path / "c"), out)
    limits = course(tmp_path / "c", lambda t: t.replace("    cell_timeout: 10 ", "    cell_timeout: 11 "))
    again = batch(source, limits, out)
    assert "1 graded now" in again and "re-checked" not in again, again
