"""Bubblewrap (Debian's `bubblewrap`) around the fork server: namespaces for student code.

Inside, the file system is read-only and holds only the system, the Python
installation and the autograder package: not the hidden checks, the solutions,
the config, other submissions or the grader's results. /tmp and /dev/shm are
private (and each run gets its own: `private_fs`), there is no network, and the processes have their own PID space (they cannot see or
signal the grader). The only writable place is the scratch root, where each run
gets its own folder.
"""
from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import autograder

SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")


def python_paths() -> list[str]:
    """Folders the fork server's Python needs: its installation, site-packages, this package."""
    paths = {sys.base_prefix, sys.prefix, *site.getsitepackages(), str(Path(autograder.__file__).parent)}
    keep: list[str] = []
    for p in sorted(os.path.realpath(p) for p in paths if os.path.isdir(p)):
        if not any(p == k or p.startswith(k + os.sep) for k in keep):
            keep.append(p)
    return keep


def command(scratch_root: str, as_root: bool) -> list[str]:
    """The bwrap prefix that runs a command in the sandbox (`as_root`: allow dropping to a user)."""
    args = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session"]
    for path in SYSTEM:
        args += ["--ro-bind-try", path, path]
    # The private /tmp comes before the Python binds: a checkout under /tmp must stay visible.
    # World-writable as on any machine (runs that cannot have a private one share them).
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm",
             "--perms", "1777", "--tmpfs", "/tmp"]
    binds = [p for p in python_paths() if not p.startswith(SYSTEM)]
    executable_dir = os.path.dirname(sys.executable)
    if not any(executable_dir.startswith(p) for p in (*SYSTEM, *binds)):
        binds.append(executable_dir)
    # Folders bwrap creates for mount points are private by default; the student's user must pass.
    for parent in sorted({str(a) for p in (*binds, scratch_root) for a in Path(p).parents
                          if str(a) not in ("/", "/tmp")}):
        args += ["--perms", "0755", "--dir", parent]
    for path in binds:
        args += ["--ro-bind", path, path]
    args += ["--bind", scratch_root, scratch_root, "--chdir", "/"]
    if as_root:  # to drop to the run's user, and to give each run its own mounts (`private_fs`)
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SYS_ADMIN"]
    return args


@functools.lru_cache(maxsize=None)
def available(as_root: bool) -> bool:
    """True if bwrap is installed and can make its namespaces here (not always so inside containers)."""
    if shutil.which("bwrap") is None:
        return False
    true = shutil.which("true") or "/bin/true"
    probe = subprocess.run([*command("/tmp", as_root), true], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=60)
    return probe.returncode == 0
