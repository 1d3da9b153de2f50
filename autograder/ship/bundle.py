"""The grading bundle: the config of one assignment and its checks, without solutions; and the
student kit: the same config without the checks, beside the student notebook.

The bundle is what a grading machine needs, and all it gets: no master notebook, no reference
solutions, no sample submissions, no student notebook. The kit is what a student needs to run
`autograder check` before handing in.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

from autograder.assignment import CONFIG_NAME, Assignment, load_assignment
from autograder.config import ConfigError, load_config


def write_bundle(assignment: Assignment, dest: Path) -> None:
    """Write `dest/grading_config.yaml` (defaults + this assignment only) and the checks it names."""
    checks = Path("assignments") / assignment.name / "checks.py"
    (dest / checks).parent.mkdir(parents=True, exist_ok=True)
    _ = assignment.registry  # a ConfigError saying so if the checks are missing or broken
    assert assignment.checks_path is not None
    shutil.copyfile(assignment.checks_path, dest / checks)
    _write_config(assignment, dest, checks, "Grading bundle")


def write_student_kit(assignment: Assignment, dest: Path) -> list[Path]:
    """Write `dest/grading_config.yaml` without checks and the student notebook; the files written."""
    dest.mkdir(parents=True, exist_ok=True)
    written = [_write_config(assignment, dest, None, "Student kit")]
    if assignment.notebook is not None and assignment.notebook.is_file():
        shutil.copyfile(assignment.notebook, dest / assignment.notebook.name)
        written.append(dest / assignment.notebook.name)
    return written


def _write_config(assignment: Assignment, dest: Path, checks: Path | None, what: str) -> Path:
    """`dest/grading_config.yaml`: the defaults and this assignment's grading settings, naming `checks`."""
    data = load_config(assignment.config_path).grading_settings(assignment.name, checks and checks.as_posix())
    header = f"# {what} of {assignment.name}, written by autograder from {assignment.config_path.name}.\n"
    text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None,
                                   width=float("inf"))
    (dest / CONFIG_NAME).write_text(text, encoding="utf-8")
    load_config(dest / CONFIG_NAME)
    return dest / CONFIG_NAME


def main(argv: list[str]) -> int:
    """`python -m autograder.ship.bundle CONFIG ASSIGNMENT DEST` (used by the Dockerfile)."""
    if len(argv) != 3:
        print("usage: python -m autograder.ship.bundle CONFIG ASSIGNMENT DEST", file=sys.stderr)
        return 2
    config, name, dest = argv
    try:
        write_bundle(load_assignment(config, name), Path(dest))
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
