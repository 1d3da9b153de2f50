"""Making sure no process of a student run survives it."""
from __future__ import annotations

import ctypes
import os
import signal
import threading
from typing import Callable

import psutil

_PR_SET_CHILD_SUBREAPER = 36
_live_runs: set[int] = set()
_live_lock = threading.Lock()
_janitor_active = False


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


class Janitor:
    """Sweeps orphans in the background so a batch need not scan /proc after every run."""

    def __init__(self, keep: Callable[[], set[int]], every: float = 0.5) -> None:
        self._keep, self._every = keep, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="janitor", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            kill_orphans(self._keep())

    def __enter__(self) -> Janitor:
        global _janitor_active
        _janitor_active = True
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        global _janitor_active
        self._stop.set()
        self._thread.join()
        _janitor_active = False
        kill_orphans(self._keep())


def after_run(keep: set[int]) -> None:
    """Sweep orphans now, unless a Janitor is doing it in the background."""
    if not _janitor_active:
        kill_orphans(keep)


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


def track_run(pid: int, live: bool) -> None:
    """Remember (or forget) the process group of a running student child."""
    with _live_lock:
        (_live_runs.add if live else _live_runs.discard)(pid)


def kill_runs() -> None:
    """Kill every student child still running (used when a batch is interrupted)."""
    with _live_lock:
        pids = list(_live_runs)
    for pid in pids:
        kill_group(pid)
