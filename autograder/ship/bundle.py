"""The grading bundle: the config of one assignment and its checks, without solutions.

It is what a grading machine needs, and all it gets: no master notebook, no reference
solutions, no sample submissions, no student notebook.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

from autograder.assignment import CONFIG_NAME, Assignment, load_assignment
from autograder.config import ConfigError, load_config

AUTHORING_ONLY = {"notebook", "master", "solutions", "samples"}


def write_bundle(assignment: Assignment, dest: Path) -> None:
    """Write `dest/grading_config.yaml` (defaults + this assignment only) and the checks it names."""
    config = load_config(assignment.config_path)
    block = config.assignments[assignment.name]
    checks = Path("assignments") / assignment.name / "checks.py"
    data = {
        "defaults": config.defaults.model_dump(mode="json"),
        "assignments": {
            assignment.name: {
                **block.model_dump(mode="json", exclude=AUTHORING_ONLY, exclude_defaults=True),
                "checks": checks.as_posix(),
            }
        },
    }
    (dest / checks).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(assignment.checks_path, dest / checks)
    header = f"# Grading bundle of {assignment.name}, written by autograder from {assignment.config_path.name}.\n"
    text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None,
                                   width=float("inf"))
    (dest / CONFIG_NAME).write_text(text, encoding="utf-8")
    load_config(dest / CONFIG_NAME)


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
