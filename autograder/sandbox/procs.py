"""Making sure no process of a student run survives it."""
from __future__ import annotations

import ctypes
import os
import signal

import psutil

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Orphaned descendants (double forks, setsid) are re-parented to us, so we can kill them."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def kill_group(pid: int) -> None:
    """SIGKILL the process group that `pid` leads (started with a new session)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_orphans(keep: set[int] = frozenset()) -> int:
    """Kill every descendant of this process except those in `keep` (and their trees); return the count."""
    me = psutil.Process()
    doomed = []
    for child in me.children(recursive=False):
        if child.pid in keep:
            continue
        try:
            doomed.extend(child.children(recursive=True))
        except psutil.Error:
            pass
        doomed.append(child)
    for proc in doomed:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(doomed, timeout=2)
    return len(doomed)
