"""Making sure no process of a student run survives the grader's own sandbox server."""
from __future__ import annotations

import ctypes

import psutil

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Orphaned descendants (double forks, setsid) are re-parented to us, so we can kill them."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def kill_orphans(keep: set[int]) -> int:
    """Kill every child of ours (and its tree) not in `keep`: orphans re-parented to us."""
    doomed = []
    for child in psutil.Process().children(recursive=False):
        if child.pid in keep:
            continue
        try:
            doomed += [*child.children(recursive=True), child]
        except psutil.Error:
            pass
    for proc in doomed:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(doomed, timeout=2)
    return len(doomed)
