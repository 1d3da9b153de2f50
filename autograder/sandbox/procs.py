"""Making sure no process of a student run survives the grader's own sandbox server."""
from __future__ import annotations

import ctypes
import os
import signal
from pathlib import Path

from typing import Callable

import psutil

_PR_SET_CHILD_SUBREAPER = 36
_SWEEPS = 256  # levels of orphans (each sweep kills one); a uid per slot ends deeper chains (private_fs)


def become_subreaper() -> None:
    """Orphaned descendants (double forks, setsid) are re-parented to us, so we can kill them."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def children() -> set[int]:
    """Our direct children, from the kernel's own lists (no scan of every process on the machine)."""
    try:
        found: set[int] = set()
        for task in Path("/proc/self/task").iterdir():
            found.update(int(pid) for pid in (task / "children").read_text().split())
        return found
    except OSError:  # no /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN): ask psutil, which scans
        return {p.pid for p in psutil.Process().children(recursive=False)}


def kill_orphans(keep: set[int], only: Callable[[int], bool] = lambda pid: True) -> int:
    """Kill every child of ours not in `keep` for which `only` holds (orphans re-parented to us) and,
    as they are re-parented in turn, all their descendants; reap them. Returns how many were killed."""
    killed: set[int] = set()
    for _ in range(_SWEEPS):
        doomed = {pid for pid in children() - keep if pid in killed or only(pid)}
        if not doomed:
            break
        for pid in doomed - killed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        killed |= doomed
        for pid in doomed:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    return len(killed)


MARK = "AUTOGRADER_SANDBOX"  # in the environment of the fork server and of every run it forks


def sandboxed(pid: int) -> bool:
    """True if process `pid` comes from a sandbox: another user (a run's slot uid), or our mark in its
    environment. Not a process of the grader's own (a browser, a cluster's agent)."""
    try:
        if os.stat(f"/proc/{pid}").st_uid != os.getuid():
            return True
        return f"{MARK}=1".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
