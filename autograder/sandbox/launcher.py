"""Trusted side: start a fork server and ask it for isolated children.

One server pre-loads the heavy modules once; each run still gets its own fresh
process (forked, then limited and stripped before student code runs). Each
`Connection` serves one caller at a time, so a pool of threads can each own one.
"""
from __future__ import annotations

import array
import fcntl
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autograder.sandbox import bwrap, procs

if TYPE_CHECKING:
    from autograder.config import Limits

READY_TIMEOUT = 120
# The environment of the fork server and, with HOME and TMPDIR, of every run: nothing of the grader's.
BASE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "module://autograder.sandbox.mplbackend",  # Agg; plt.show() closes the figures, as Colab
    procs.MARK: "1",  # what the grader kills when its server is gone: only processes of the sandbox
}


class SandboxError(Exception):
    """The fork server is gone or misbehaved (not the student's fault)."""


class IsolationError(Exception):
    """The isolation available here is weaker than the config requires (the instructor must act)."""


def require_isolation(level: str, minimum: str) -> None:
    """Refuse to grade below the configured minimum isolation level."""
    from autograder.config import ISOLATION_LEVELS

    if ISOLATION_LEVELS.index(level) < ISOLATION_LEVELS.index(minimum):
        raise IsolationError(
            f"grading_config.yaml requires isolation {minimum!r} but only {level!r} is available here "
            "(namespace: install bubblewrap; user: run the grader as root so student code runs as "
            "$AUTOGRADER_USER)")


@dataclass(frozen=True)
class RunAs:
    """An unprivileged user to run student code as."""

    uid: int
    gid: int


def _readable_by_others(path: str) -> bool:
    """True if every folder from / down to `path` lets any user in (Python must import from it)."""
    p = os.path.realpath(path)
    while True:
        try:
            mode = os.stat(p).st_mode
        except OSError:
            return False
        if not (mode & stat.S_IXOTH and mode & stat.S_IROTH):
            return False
        parent = os.path.dirname(p)
        if parent == p:
            return True
        p = parent


DEFAULT_UID = 64000
NOGROUP = 65534


def default_run_as(check_readable: bool = True) -> RunAs | None:
    """When the grader runs as root, student code runs as an unprivileged uid: $AUTOGRADER_USER's
    (e.g. `student` in the image) or 64000, plus the slot number, so concurrent runs cannot signal
    each other. Without root, or when that user could not read the Python installation, student
    code runs as the grader's user."""
    if os.geteuid() != 0:
        return None
    paths = sysconfig.get_paths()
    if check_readable and not all(_readable_by_others(paths[k]) for k in ("stdlib", "purelib", "platlib")):
        return None
    name = os.environ.get("AUTOGRADER_USER")
    if name is None:
        return RunAs(DEFAULT_UID, NOGROUP)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise SandboxError(f"no user {name!r} to run student code as (set AUTOGRADER_USER)") from None
    if entry.pw_uid == 0:
        raise SandboxError(f"refusing to run student code as root ({name!r})")
    return RunAs(entry.pw_uid, entry.pw_gid)


class _UidRange:
    """A block of SLOTS uids no other grader on this machine uses while this one runs: a run kills
    every process of its slot's uid (`private_fs.end_leftovers`), which must never reach another
    grader's student. Held with a lock file per block."""

    SLOTS, BLOCKS = 256, 64

    def __init__(self, fd: int, offset: int) -> None:
        self.fd, self.offset = fd, offset

    @classmethod
    def claim(cls) -> _UidRange:
        folder = "/run/lock" if os.path.isdir("/run/lock") else tempfile.gettempdir()
        for block in range(cls.BLOCKS):
            fd = os.open(os.path.join(folder, f"autograder-uids-{block}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return cls(fd, block * cls.SLOTS)
        raise SandboxError(f"more than {cls.BLOCKS} graders are running on this machine")

    def release(self) -> None:
        os.close(self.fd)


def _scratch_base() -> str | None:
    """Where runs' folders live: outside /tmp when possible, so that a run's private /tmp
    (`private_fs`) does not hide its own folder."""
    base = "/var/tmp"
    return base if os.path.isdir(base) and os.access(base, os.W_OK | os.X_OK) else None


class Connection:
    """One channel to the fork server; not shared between threads."""

    def __init__(self, sock: socket.socket, server: ForkServer, slot: int) -> None:
        self.sock = sock
        self.server = server
        base = server.run_as
        self.run_as = RunAs(base.uid + slot, base.gid) if base else None
        self.scratch_root = server.scratch_root
        self._ready = False
        self._next = 0
        self.active: int | None = None

    def _recv(self, timeout: float | None) -> dict:
        try:
            self.sock.settimeout(timeout)
            data = self.sock.recv(65536)
        except socket.timeout:
            raise SandboxError("the fork server did not answer in time") from None
        except OSError as e:
            raise SandboxError(f"lost the fork server: {e}") from None
        if not data:
            raise SandboxError("the fork server has gone")
        return json.loads(data)

    def _wait_ready(self) -> None:
        if not self._ready:
            if not self._recv(READY_TIMEOUT).get("ready"):
                raise SandboxError("the fork server did not start")
            self._ready = True

    def preload(self, modules: list[str] | tuple[str, ...]) -> None:
        """Have the server import `modules` (once) before it forks anything."""
        self._wait_ready()
        try:
            self.sock.send(json.dumps({"preload": list(modules)}).encode())
        except OSError as e:
            raise SandboxError(f"lost the fork server: {e}") from None
        if not self._recv(READY_TIMEOUT).get("preloaded"):
            raise SandboxError("the fork server did not preload")

    @property
    def isolation(self) -> str:
        """The isolation level in force for children of this connection."""
        return self.server.isolation

    def kill(self) -> None:
        """Kill the current run's whole process group (the server knows its pids)."""
        job = self.active
        if job is not None:
            try:
                self.sock.send(json.dumps({"kill": job}).encode())
            except OSError:
                pass

    def start(self, scratch: str, env: dict[str, str], limits: Limits, fds: tuple[int, int, int, int]) -> int:
        """Fork a child reading its plan from fds[0], output to fds[1], events to fds[2], marking its
        progress in fds[3] (see `protocol.Progress`); return its pid."""
        self._wait_ready()
        self._next += 1
        request = {"id": self._next, "scratch": scratch, "env": env, "limits": limits.model_dump(),
                   "uid": self.run_as.uid if self.run_as else None,
                   "gid": self.run_as.gid if self.run_as else None,
                   # bubblewrap's network namespace already holds the server and its runs: no network
                   "own_network": self.server.level != "namespace"}
        try:
            self.sock.sendmsg([json.dumps(request).encode()],
                              [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        except OSError as e:
            raise SandboxError(f"lost the fork server: {e}") from None
        reply = self._recv(30)
        if reply.get("id") != self._next or "pid" not in reply:
            raise SandboxError(f"unexpected reply from the fork server: {reply}")
        self.active = self._next
        return int(reply["pid"])

    def exit_status(self, timeout: float = 10) -> int | None:
        """The exit status of the last child (negative: killed by that signal); None if unknown."""
        try:
            while True:
                reply = self._recv(timeout)
                if reply.get("id") == self._next and "status" in reply:
                    return int(reply["status"])
        except SandboxError:
            return None
        finally:
            self.active = None


class ForkServer:
    """A running fork server with `connections` independent channels."""

    live: set[int] = set()  # pids of servers not yet closed (never swept as orphans)

    def __init__(self, preload: list[str] | tuple[str, ...], connections: int = 1,
                 isolation: str | None = None, batch: bool = False) -> None:
        """`isolation`: the highest level to use (namespace, user or process; default
        $AUTOGRADER_ISOLATION, else the best this machine offers). `batch`: the server will fork
        many children, so it spends start-up time making each fork cheaper."""
        from autograder.config import ISOLATION_LEVELS

        ceiling = isolation or os.environ.get("AUTOGRADER_ISOLATION") or "namespace"
        if ceiling not in ISOLATION_LEVELS:
            raise SandboxError(f"AUTOGRADER_ISOLATION must be one of {', '.join(ISOLATION_LEVELS)}, not {ceiling!r}")
        as_root = os.geteuid() == 0
        namespaced = ceiling == "namespace" and bwrap.available(as_root)
        # Inside bwrap the Python installation is always readable by the unprivileged user.
        base = default_run_as(check_readable=not namespaced) if ceiling != "process" else None
        self._uids = _UidRange.claim() if base else None  # closed with the server
        self.run_as = RunAs(base.uid + self._uids.offset, base.gid) if base and self._uids is not None else None
        self.isolation = ", ".join(["namespaces (bubblewrap)" if namespaced else "separate process",
                                    "separate user" if self.run_as else "same user"])
        self.level = "namespace" if namespaced else "user" if self.run_as else "process"
        self.scratch_root = tempfile.mkdtemp(prefix="autograder-", dir=_scratch_base())
        os.chmod(self.scratch_root, 0o711)
        prefix = bwrap.command(self.scratch_root, as_root) if namespaced else []
        procs.become_subreaper()
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(connections)]
        theirs = [b.fileno() for _, b in pairs]
        env = {**BASE_ENV, "AUTOGRADER_SOCKETS": ",".join(map(str, theirs)),
               "AUTOGRADER_HUGEPAGES": "1" if batch else ""}
        self.process = subprocess.Popen(
            [*prefix, sys.executable, "-I", "-m", "autograder.sandbox.forkserver", *preload],
            stdin=subprocess.DEVNULL, pass_fds=theirs, env=env, cwd="/", start_new_session=True,
        )
        for _, b in pairs:
            b.close()
        self.connections = [Connection(a, self, slot) for slot, (a, _) in enumerate(pairs)]
        ForkServer.live.add(self.process.pid)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill_runs(self) -> None:
        """Kill every run in progress (when a batch is interrupted)."""
        for c in self.connections:
            c.kill()

    def close(self, wait: bool = True) -> None:
        """Stop the server: let it finish (`wait`), or kill it at once (it was not needed)."""
        for c in self.connections:
            c.sock.close()
        try:
            if not wait:
                self.process.kill()
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        ForkServer.live.discard(self.process.pid)
        procs.kill_orphans(keep=ForkServer.live, only=procs.sandboxed)
        shutil.rmtree(self.scratch_root, ignore_errors=True)
        self.release_uids()

    def release_uids(self) -> None:
        """Give the server's block of uids back (it has stopped)."""
        if self._uids is not None:
            self._uids.release()
            self._uids = None

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def plan_pipe() -> tuple[int, int]:
    """A pipe whose write end (ours) is non-blocking."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    return r, w
