"""The grading bundle as bytes for a cluster node, and back into an assignment on the node."""
from __future__ import annotations

import io
import tarfile
import tempfile
from pathlib import Path

from autograder.assignment import CONFIG_NAME, Assignment, load_assignment
from autograder.ship.bundle import write_bundle


def pack_bundle(assignment: Assignment) -> bytes:
    """The grading bundle of `assignment` (config and checks, no solutions) as a gzipped tar."""
    with tempfile.TemporaryDirectory(prefix="autograder-bundle-") as scratch:
        write_bundle(assignment, Path(scratch))
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w:gz") as tar:
            tar.add(scratch, arcname=".")
        return data.getvalue()


def unpack_bundle(data: bytes, dest: Path, name: str) -> Assignment:
    """Extract a bundle from `pack_bundle` into `dest` and load its assignment `name`."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(dest, filter="data")
    return load_assignment(dest / CONFIG_NAME, name)
