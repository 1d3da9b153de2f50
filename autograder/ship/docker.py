"""Batch grading inside one container of the autograder image.

One `docker run` grades the whole batch (each submission still isolated by the grader inside):
no network, SOURCE mounted read-only, OUTDIR mounted for the results. Both are mounted at their
own absolute paths, so every path the grader prints is the one on this machine. The grader
runs as root inside (it drops to an unprivileged user for student code) and at the end hands
OUTDIR's contents to the invoking user.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.ship import ShipError

# Mounting on these folders (or, for the trees, anywhere inside) would hide the image's own files.
SYSTEM_DIRS = ("/", "/tmp")
SYSTEM_TREES = ("/autograder", "/bin", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sbin", "/sys", "/usr")
# Runs in the container: a Ctrl-C stops the batch (which keeps finished results), then the chown.
SCRIPT = ('trap : INT TERM; autograder batch "$@"; status=$?; '
          'chown -R "$AUTOGRADER_OWNER" "$AUTOGRADER_OUT"; exit $status')


def docker_info() -> dict:
    """The engine's `docker info`, or a ShipError saying why Docker cannot be used."""
    if shutil.which("docker") is None:
        raise ShipError("docker is not installed (needed by --docker)")
    result = subprocess.run(["docker", "info", "--format", "{{json .}}"], capture_output=True, text=True)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["no answer"]
        raise ShipError(f"cannot use the Docker engine: {lines[-1]}")
    return json.loads(result.stdout)


def _mountable(path: Path) -> Path:
    """`path` made absolute, if it can be mounted at the same place in the container."""
    path = path.resolve()
    if str(path) in SYSTEM_DIRS or any(path.is_relative_to(tree) for tree in SYSTEM_TREES):
        raise ShipError(f"{path}: cannot be mounted at the same place in the container; use another folder")
    return path


def _owner(info: dict) -> str:
    """uid:gid for the results: the invoking user, or root inside a rootless engine (which is that user)."""
    rootless = any("rootless" in option for option in info.get("SecurityOptions") or [])
    return "0:0" if rootless else f"{os.getuid()}:{os.getgid()}"


def _wait(process: subprocess.Popen) -> int | None:
    """The exit status, or None after a Ctrl-C: Docker passes it on, the batch inside stops and keeps
    what it has graded, and the container still has to finish."""
    try:
        return process.wait()
    except KeyboardInterrupt:
        return None


def batch_in_docker(image: str, source: Path, outdir: Path, assignment: str | None = None, jobs: int | None = None,
                    force: bool = False) -> int:
    """Run `autograder batch` on SOURCE into OUTDIR inside one container of IMAGE; its exit status."""
    info = docker_info()
    source, outdir = _mountable(source), _mountable(outdir)
    if outdir.is_dir() and any(outdir.iterdir()) and not (outdir / "grades.csv").is_file():
        raise ShipError(f"{outdir}: not empty and not a previous batch's output (no grades.csv); pick a new folder")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ShipError(f"{outdir}: {e.strerror}") from None
    tty = sys.stdin.isatty() and sys.stderr.isatty()
    args = [str(source), "--out", str(outdir)]
    args += ["--assignment", assignment] if assignment else []
    args += ["--jobs", str(jobs)] if jobs else []
    args += ["--force"] if force else []
    # SYS_ADMIN for the grader (root in the container) to give each run its own /tmp, /dev/shm and
    # IPC namespace (`private_fs`); student code runs as another uid, without capabilities.
    command = ["docker", "run", "--rm", "--init", *(["-it"] if tty else []), "--network", "none",
               "--cap-add", "SYS_ADMIN",
               "-v", f"{source}:{source}:ro", "-v", f"{outdir}:{outdir}",
               "-e", "TINI_KILL_PROCESS_GROUP=1", "-e", f"AUTOGRADER_OWNER={_owner(info)}",
               "-e", f"AUTOGRADER_OUT={outdir}", image, "sh", "-c", SCRIPT, "batch", *args]
    process = subprocess.Popen(command)
    status: int | None = None
    while status is None:
        status = _wait(process)
    if status == 125:
        raise ShipError(f"docker could not start a container of {image} (see its message above)")
    return status
