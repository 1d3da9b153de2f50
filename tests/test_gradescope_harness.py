"""Gradescope, reenacted with a real Docker engine.

`autograder gradescope-zip` makes the zip; a fresh container of the stand-in base (no network, the
air-gapped wheelhouse at /wheels) gets it unzipped into /autograder/source and runs setup.sh as
root, the way Gradescope builds an autograder image; then each submission is copied into
/autograder/submission of a new container of that image and /autograder/run_autograder runs as
root. Skipped without a Docker engine (fails instead with AUTOGRADER_REQUIRE_DOCKER=1, as in CI).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from autograder.assignment import load_assignment
from conftest import REPO

BASE = os.environ.get("BASE_IMAGE", "autograder-base:bookworm")
WHEELHOUSE = REPO / "build" / "wheelhouse"
SCHEMA = json.loads((REPO / "autograder" / "results" / "gradescope.schema.json").read_text())
# What Gradescope does with autograder.zip when it builds the autograder's image.
GRADESCOPE_BUILD = """set -euo pipefail
mkdir -p /autograder/source /autograder/submission /autograder/results
python3 -m zipfile -e /tmp/autograder.zip /autograder/source
cp /autograder/source/run_autograder /autograder/run_autograder && chmod +x /autograder/run_autograder
bash /autograder/source/setup.sh
"""


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["docker", *args], capture_output=True, text=True)
    assert not check or result.returncode == 0, f"docker {' '.join(args)}: {result.stderr[-3000:]}"
    return result


def missing() -> str | None:
    """Why the harness cannot run here, or None."""
    if shutil.which("docker") is None:
        return "no docker command"
    if docker("info", check=False).returncode != 0:
        return "no Docker engine reachable (bash .ci/docker-engine starts one)"
    if docker("image", "inspect", BASE, check=False).returncode != 0:
        return f"no {BASE} image (bash .ci/base-image makes it)"
    if not any(WHEELHOUSE.glob("torch-*.whl")):
        return f"no wheelhouse in {WHEELHOUSE} (bash .ci/wheelhouse makes it)"
    return None


@pytest.fixture(scope="module")
def gradescope_image(tmp_path_factory) -> Iterator[str]:
    """A2S1's Gradescope image."""
    yield from _gradescope_image("A2S1", tmp_path_factory)


@pytest.fixture(scope="module")
def gradescope_image_a2s2(tmp_path_factory) -> Iterator[str]:
    """A2S2's Gradescope image (its function answers and written questions)."""
    yield from _gradescope_image("A2S2", tmp_path_factory)


def _gradescope_image(assignment: str, tmp_path_factory) -> Iterator[str]:
    """The base after setup.sh of `assignment`'s zip, committed once so that every submission starts from it."""
    reason = missing()
    if reason:
        if os.environ.get("AUTOGRADER_REQUIRE_DOCKER") == "1":
            pytest.fail(f"Gradescope harness required but cannot run: {reason}")
        pytest.skip(f"Gradescope harness: {reason}")
    zip_path = tmp_path_factory.mktemp("zip") / "autograder.zip"
    made = subprocess.run([sys.executable, "-m", "autograder", "gradescope-zip", "-a", assignment,
                           "--out", str(zip_path)], cwd=REPO, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    name = f"autograder-harness-{uuid.uuid4().hex[:12]}"
    docker("run", "-d", "--name", name, "--network", "none", "-v", f"{WHEELHOUSE}:/wheels:ro", BASE,
           "sleep", "infinity")
    try:
        docker("cp", str(zip_path), f"{name}:/tmp/autograder.zip")
        setup = docker("exec", "-e", "PIP_NO_INDEX=1", "-e", "PIP_FIND_LINKS=/wheels", name, "bash", "-c",
                       GRADESCOPE_BUILD, check=False)
        assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
        docker("commit", name, name)
    finally:
        docker("rm", "-f", name, check=False)
    yield name
    docker("rmi", "-f", name, check=False)


def run_autograder(image: str, tmp_path: Path, *files: Path) -> dict:
    """Submit `files` and run /autograder/run_autograder as Gradescope does; its schema-valid results.json."""
    name = f"{image}-run-{uuid.uuid4().hex[:8]}"
    docker("create", "--name", name, "--network", "none", image, "/autograder/run_autograder")
    try:
        for f in files:
            docker("cp", str(f), f"{name}:/autograder/submission/{f.name}")
        run = docker("start", "-a", name, check=False)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        docker("cp", f"{name}:/autograder/results/results.json", str(tmp_path / "results.json"))
    finally:
        docker("rm", "-f", name, check=False)
    data = json.loads((tmp_path / "results.json").read_text())
    jsonschema.validate(data, SCHEMA)
    return data


def test_reference_solution_gets_full_marks(gradescope_image, a2s1, tmp_path):
    data = run_autograder(gradescope_image, tmp_path, next(p for p in a2s1.solutions if p.suffix == ".ipynb"))
    assert data["score"] == sum(q.points for q in a2s1.questions) > 0, data["output"]
    assert all(t["status"] == "passed" for t in data["tests"]) and len(data["tests"]) == len(a2s1.questions)
    assert data["extra_data"]["failure"] is None
    assert "separate user" in data["extra_data"]["isolation"]


def test_blank_notebook_gets_zero_without_failure(gradescope_image, a2s1, tmp_path):
    data = run_autograder(gradescope_image, tmp_path, a2s1.notebook)
    assert data["score"] == 0 and len(data["tests"]) == len(a2s1.questions)
    assert data["extra_data"]["failure"] is None


def test_no_notebook_submitted_is_a_clear_result(gradescope_image, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my answers are on paper\n")
    data = run_autograder(gradescope_image, tmp_path, notes)
    assert data["score"] == 0
    assert "No .ipynb or .py file" in data["output"] and "notes.txt" in data["output"]


def test_a2s2_gets_every_automatic_point_and_its_written_answers_wait_for_a_ta(gradescope_image_a2s2, tmp_path):
    a2s2 = load_assignment(REPO / "grading_config.yaml", "A2S2")
    data = run_autograder(gradescope_image_a2s2, tmp_path, REPO / "solutions" / "A2S2" / "A2S2.py")
    scores = {t["name"]: t["score"] for t in data["tests"]}
    assert len(scores) == len(a2s2.questions) and data["extra_data"]["failure"] is None
    assert data["score"] == sum(q.points for q in a2s2.questions if not q.is_written) > 0, data["output"]
    written = [q for q in a2s2.questions if q.is_written]
    assert written and [scores[q.name] for q in written] == [0] * len(written)
    assert "separate user" in data["extra_data"]["isolation"]
    blank = run_autograder(gradescope_image_a2s2, tmp_path, a2s2.notebook)
    assert blank["score"] == 0 and blank["extra_data"]["failure"] is None
