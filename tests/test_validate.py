"""`autograder validate`: an assignment is ready to hand out, or each problem names its question."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, config_of


def course(folder: Path) -> Path:
    """A copy of the repository's A2S1 (config, checks, master, notebook, solutions) in `folder`."""
    for part in ("assignments/A2S1", "solutions/A2S1"):
        shutil.copytree(REPO / part, folder / part, ignore=shutil.ignore_patterns("samples"))
    text = config_of("A2S1")
    (folder / "grading_config.yaml").write_text(text.replace("    samples: assignments/A2S1/samples\n", ""))
    return folder / "grading_config.yaml"


def validate(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "validate", "-a", "A2S1", "--config", str(config)],
                          capture_output=True, text=True, cwd=REPO)


def test_the_repository_assignment_is_ready():
    result = validate(REPO / "grading_config.yaml")
    assert result.returncode == 0 and result.stdout.startswith("✓ A2S1:"), result.stdout + result.stderr


def test_each_problem_names_its_question_and_reason(tmp_path):
    config = course(tmp_path)
    text = config.read_text()
    text = text.replace("        title: Identity mapping\n        points: 1", "        title: Identity mapping\n        points: 2")
    text = text.replace("prompt: define a query vector which averages all the value vectors",
                        "prompt: define a query vector which averages every value vector")
    config.write_text(text)
    script = tmp_path / "solutions/A2S1/A2S1.py"
    script.write_text(script.read_text().replace("query121 = 1e5 * key[0]", "query121 = key[0]"))
    result = validate(config)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "✗ 1.2.2: 1 points in A2S1.master.ipynb, 2 in the config" in lines
    assert any(line.startswith("✗ 1.3.1: A2S1.ipynb: its prompt 'define a query vector which averages every")
               for line in lines), lines
    assert any(line.startswith("✗ 1.2.1: solutions/A2S1/A2S1.py scores 0/1: attention(query121, key, value)")
               for line in lines), lines
    assert result.stderr.strip() == f"Error: A2S1: {len(lines)} problem(s); fix them before handing it out"
