"""Shared fixtures: the repository's own config and assignment, and a file writer."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograder.assignment import Assignment, load_assignment

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "grading_config.yaml"


def config_of(name: str, text: str | None = None) -> str:
    """The repository's grading_config.yaml (or `text`) with only assignment `name`'s block, as written."""
    kept, section, keep = [], "", True
    for line in (CONFIG.read_text() if text is None else text).splitlines(keepends=True):
        if re.match(r"^[^ #\n]", line):  # a top-level key
            section, keep = line.split(":")[0], True
        elif section == "assignments" and re.match(r"^  [^ #\n]", line):  # an assignment's first line
            keep = line.startswith(f"  {name}:")
        if keep:
            kept.append(line)
    return "".join(kept)


@pytest.fixture(scope="session")
def a2s1() -> Assignment:
    return load_assignment(CONFIG, "A2S1")


@pytest.fixture
def write(tmp_path: Path):
    """Write text (or bytes) to a file in a temporary folder and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


from browser import browser, load  # noqa: E402,F401  (fixtures: a real headless chromium)
