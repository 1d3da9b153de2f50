"""A private, bounded file system, IPC and network namespace for one run (in the forked child,
before privileges are dropped), and the end of every process a run leaves behind.

The run's scratch folder (its working directory and HOME) becomes a tmpfs of `disk_mb`
megabytes, and its `.tmp` and `.shm` folders are mounted over /tmp and /dev/shm, so that
everything a run writes counts against one bound and disappears with it; System V shared
memory, semaphores and message queues are private to the run too, and its network is a loopback
of its own (as bubblewrap gives): no network even where the grader's machine needs one (a cluster
node running the image). This needs the right to
create mount namespaces (root, or bubblewrap started as root): inside an unprivileged
container it is not there, and the run writes to its scratch folder on disk and the shared
/tmp, which honest code cannot tell apart.
"""
from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys

from autograder.sandbox.bwrap import python_paths

_CLONE_NEWNS = 0x00020000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWNET = 0x40000000
_NAMESPACES = _CLONE_NEWNS | _CLONE_NEWIPC | _CLONE_NEWNET
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1
_MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC, _MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
INODES_PER_MB = 256  # files a run may create per megabyte of its disk limit

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: None if s is None else s.encode())
    if _libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), target)


def _inside(path: str, folder: str) -> bool:
    return os.path.realpath(path).startswith(os.path.realpath(folder) + os.sep)


# Folders Python imports from: a grader installed under /tmp (a fresh clone in CI) must stay
# importable under the run's own /tmp. Computed once, in the server, before any fork.
_PYTHON = python_paths()


def _limit_ipc(disk_mb: int) -> None:
    """System V shared memory, message queues and semaphores of the run's own IPC namespace:
    shared memory counts against `disk_mb` (it outlives every process that detached from it)."""
    for name, value in (("shmall", disk_mb * 256), ("shmmax", disk_mb * 1024 * 1024), ("shmmni", 64),
                        ("msgmni", 16), ("sem", "250 8000 32 32")):
        with open(f"/proc/sys/kernel/{name}", "w") as f:
            f.write(str(value))


def runs_get_namespaces() -> bool:
    """True if a run here gets its own mount, IPC and network namespace (tried in a throw-away process)."""
    probe = f"import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare({_NAMESPACES}) != 0)"
    return subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True).returncode == 0


def _loopback_up() -> None:
    """Bring up `lo` of a new network namespace: the run's local sockets work, nothing leaves it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH22x", b"lo", 0)  # struct ifreq: a name, then the flags
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | _IFF_UP))


def isolate(scratch: str, uid: int | None, gid: int | None, disk_mb: int, own_network: bool = True) -> bool:
    """Give this process a private mount, IPC and (`own_network`) network namespace with `scratch`,
    /tmp and /dev/shm on one tmpfs of `disk_mb` MB. True if /tmp is now the run's own; False where
    that is not allowed (or the run's folder lies in /tmp, which then stays as it was)."""
    if _libc.unshare(_NAMESPACES if own_network else _NAMESPACES & ~_CLONE_NEWNET) != 0:
        return False
    private_tmp = False
    if own_network:
        with contextlib.suppress(OSError):
            _loopback_up()
    try:
        _limit_ipc(disk_mb)
        _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing propagates back to the host
        owner = f",uid={uid},gid={gid}" if uid is not None else ""
        _mount("tmpfs", scratch, "tmpfs", _MS_NOSUID | _MS_NODEV,
               f"size={disk_mb}m,nr_inodes={disk_mb * INODES_PER_MB},mode=0700{owner}")
        for folder, target in ((".tmp", "/tmp"), (".shm", "/dev/shm")):
            if os.path.isdir(target) and not _inside(scratch, target):
                path = os.path.join(scratch, folder)
                os.mkdir(path)
                os.chmod(path, 0o1777)
                for kept in (p for p in _PYTHON if _inside(p, target)):  # shown again at their place
                    inner = os.path.join(path, os.path.relpath(kept, os.path.realpath(target)))
                    os.makedirs(inner, mode=0o755, exist_ok=True)
                    _mount(kept, inner, None, _MS_BIND | _MS_REC)
                _mount(path, target, None, _MS_BIND | _MS_REC)
                private_tmp = private_tmp or target == "/tmp"
    except OSError:
        return False
    return private_tmp


def end_leftovers(shared_tmp: bool) -> None:
    """Kill every other process of this (unprivileged, per-slot) user, and where /tmp and /dev/shm
    are shared (no private mounts here) remove what this user left there: whatever an earlier run
    of the slot left behind, however it detached (new sessions, deep chains of orphans)."""
    for _ in range(100):  # a fork bomb may be forking while it dies
        try:
            os.kill(-1, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            break
    if shared_tmp:
        me = os.getuid()
        for folder in ("/tmp", "/dev/shm"):
            try:
                entries = [e for e in os.scandir(folder) if e.stat(follow_symlinks=False).st_uid == me]
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
