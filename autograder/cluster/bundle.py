"""The grading bundle as plain data for a cluster node (its files by relative path), and back into
an assignment on the node."""
from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

from autograder.assignment import CONFIG_NAME, Assignment, load_assignment
from autograder.ship.bundle import write_bundle


def pack_bundle(assignment: Assignment) -> dict[str, bytes]:
    """The grading bundle of `assignment` (config and checks, no solutions): {relative path: bytes}."""
    with tempfile.TemporaryDirectory(prefix="autograder-bundle-") as scratch:
        write_bundle(assignment, Path(scratch))
        return {p.relative_to(scratch).as_posix(): p.read_bytes() for p in sorted(Path(scratch).rglob("*"))
                if p.is_file()}


def unpack_bundle(files: dict[str, bytes], dest: Path, name: str) -> Assignment:
    """Write a bundle from `pack_bundle` into `dest` and load its assignment `name`."""
    for relative, data in files.items():
        parts = PurePosixPath(relative).parts
        if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
            raise ValueError(f"a bundle file outside the bundle: {relative!r}")
        path = dest.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return load_assignment(dest / CONFIG_NAME, name)
