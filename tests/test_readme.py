"""The README's two set-up commands are what CI runs, so a green CI proves the README."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    block = re.search(r"## Set-up and use \(two commands\).*?```bash\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert block, "README lost its set-up section"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_readme_has_two_commands_one_grading_the_samples_one_testing() -> None:
    grade, test = _readme_commands()
    assert grade.endswith("autograder batch assignments/A2S1/samples -a A2S1 --out out")
    assert test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _, test = _readme_commands()
    assert test in (REPO / ".ci" / "run").read_text().splitlines()
