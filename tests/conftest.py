"""Shared fixtures: the repository's own config and assignment, and a file writer."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.assignment import Assignment, load_assignment

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "grading_config.yaml"


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
