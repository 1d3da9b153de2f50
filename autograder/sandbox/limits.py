"""Resource limits applied to the student process just before it starts."""
from __future__ import annotations

import os
import resource
import signal
from typing import Callable

from autograder.config import Limits

MB = 1024 * 1024


def preexec(limits: Limits, as_user: tuple[int, int] | None = None) -> Callable[[], None]:
    """Return a function that, in the forked child, applies `limits` (and drops to `as_user`)."""

    def apply() -> None:
        _set(resource.RLIMIT_AS, limits.memory_mb * MB)
        _set(resource.RLIMIT_CPU, limits.cpu_seconds)
        _set(resource.RLIMIT_FSIZE, limits.file_size_mb * MB)
        _set(resource.RLIMIT_NPROC, limits.processes)
        _set(resource.RLIMIT_CORE, 0)
        # Writing past the file-size limit raises OSError in the cell instead of killing the run.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        if as_user is not None:
            uid, gid = as_user
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)

    return apply


def _set(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))
