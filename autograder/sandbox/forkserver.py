"""Untrusted side: a pre-loaded process that forks one fresh, limited child per run.

Started as `python -I -m autograder.sandbox.forkserver MODULE...`. It imports the
given modules once (torch takes seconds), then serves run requests that arrive
on the Unix sockets it inherited. It never runs student code itself: each
request forks a child that closes every descriptor but its own pipes and progress
page, starts a new session, gets a private file system (`private_fs`), moves to its
scratch folder, replaces its environment,
applies its resource limits, drops privileges if asked, and only then runs the
plan. Replies: {"id", "pid"} after the fork, {"id", "status"} once reaped. A
request {"preload": [...]} without descriptors imports more modules first.
"""
from __future__ import annotations

import array
import gc
import json
import os
import resource
import selectors
import signal
import socket
import sys
import traceback

from autograder.sandbox import hugepages, private_fs, procs

PLAN_FD, EVENT_FD, PROGRESS_FD = 0, 3, 4
DESCRIPTORS = 4  # plan, output, events, progress
MAX_MESSAGE = 65536
MB = 1024 * 1024


def _recv(sock: socket.socket) -> tuple[dict, list[int]] | None:
    fds = array.array("i")
    msg, ancdata, _, _ = sock.recvmsg(MAX_MESSAGE, socket.CMSG_LEN(DESCRIPTORS * fds.itemsize))
    if not msg:
        return None
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    return json.loads(msg), list(fds)


def _send(sock: socket.socket, message: dict) -> None:
    try:
        sock.send(json.dumps(message).encode())
    except OSError:
        pass


def _limit(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _become_child(request: dict, fds: list[int]) -> None:
    """In the forked child: shed everything of the server, then run the plan."""
    plan_r, out_w, ev_w, progress = fds
    os.setsid()
    os.dup2(plan_r, PLAN_FD)
    os.dup2(out_w, 1)
    os.dup2(out_w, 2)
    os.dup2(ev_w, EVENT_FD)
    os.dup2(progress, PROGRESS_FD)
    os.closerange(PROGRESS_FD + 1, os.sysconf("SC_OPEN_MAX") if os.sysconf("SC_OPEN_MAX") > 0 else 65536)
    signal.set_wakeup_fd(-1)  # the server's: its number may be reused by the run (DataLoader's SIGCHLD)
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limits = request["limits"]
    private = private_fs.isolate(request["scratch"], request.get("uid"), request.get("gid"), limits["disk_mb"],
                                 request.get("own_network", True))
    os.chdir(request["scratch"])
    os.environ.clear()
    os.environ.update(request["env"])
    _forget_environment()
    _limit(resource.RLIMIT_AS, limits["memory_mb"] * MB)
    _limit(resource.RLIMIT_CPU, int(limits["cpu_seconds"]))
    _limit(resource.RLIMIT_FSIZE, limits["file_size_mb"] * MB)
    _limit(resource.RLIMIT_NPROC, limits["processes"])
    _limit(resource.RLIMIT_CORE, 0)
    if request.get("uid") is not None:
        _become_user(request["uid"], request["gid"])
        private_fs.end_leftovers(shared_tmp=not private)  # the slot's uid is this run's alone from now on
    sys.stdin = open(PLAN_FD, "rb", closefd=False)  # noqa: SIM115 - lives as long as the child
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = sys.stdout
    from autograder.sandbox.child import main

    main(EVENT_FD, PROGRESS_FD, own_user=request.get("uid") is not None, shared_tmp=not private)


def _become_user(uid: int, gid: int) -> None:
    """Drop root for good: no supplementary groups, the run's gid and uid (and every capability)."""
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


def _forget_environment() -> None:
    """Drop what the server derived from its own environment before the fork, so the child
    derives it again from its own (tempfile's folder is cached on first use)."""
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile.tempdir = None


def serve(socks: list[socket.socket]) -> set[tuple[int, int]]:
    """Serve fork requests until every socket is closed; return the (uid, gid) runs had."""
    users: set[tuple[int, int]] = set()
    owners: dict[int, tuple[socket.socket, object]] = {}
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sel.register(wake_r, selectors.EVENT_READ)
    while len(sel.get_map()) > 1:
        for key, _ in sel.select():
            if key.fileobj == wake_r:
                os.read(wake_r, 4096)
                _reap(owners)
                continue
            sock = key.fileobj
            try:
                got = _recv(sock)
            except (OSError, ValueError):
                got = None
            if got is None:
                sel.unregister(sock)
                continue
            request, fds = got
            if "kill" in request and not fds:
                _kill_run(owners, sock, request["kill"])
                continue
            if "preload" in request and not fds:
                if _preload(request["preload"]):
                    _settle()
                _send(sock, {"preloaded": True})
                continue
            if len(fds) != DESCRIPTORS:
                for fd in fds:
                    os.close(fd)
                _send(sock, {"id": request.get("id"), "error": f"expected {DESCRIPTORS} descriptors"})
                continue
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                try:
                    sel.close()
                    _become_child(request, fds)
                except BaseException:  # the grader's own set-up failed: say why in the run's output
                    traceback.print_exc()
                    sys.stderr.flush()
                finally:
                    os._exit(70)
            for fd in fds:
                os.close(fd)
            owners[pid] = (sock, request.get("id"))
            if request.get("uid") is not None:
                users.add((request["uid"], request["gid"]))
            _send(sock, {"id": request.get("id"), "pid": pid})
        _reap(owners)
    return users


def _kill_run(owners: dict[int, tuple[socket.socket, object]], sock: socket.socket, job: object) -> None:
    """Kill the process group of this connection's run `job` (pids are ours: we may be in a PID namespace)."""
    for pid, (owner, owned_job) in owners.items():
        if owner is sock and owned_job == job:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _reap(owners: dict[int, tuple[socket.socket, object]]) -> None:
    """Report finished runs; kill orphans (re-parented to us, a subreaper) that outlive their run."""
    reaped = False
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        reaped = True
        if pid in owners:
            sock, job = owners.pop(pid)
            _send(sock, {"id": job, "status": os.waitstatus_to_exitcode(status)})
    if reaped:
        procs.kill_orphans(keep=set(owners))


def _preload(modules: list[str]) -> bool:
    """Import `modules` (and warm torch up); False if that loaded nothing new."""
    loaded = len(sys.modules)
    for module in modules:
        try:
            __import__(module)
        except ImportError:
            pass
    if len(sys.modules) == loaded:
        return False
    if "torch" in sys.modules:
        _warm_torch(sys.modules["torch"])
    return True


def _warm_torch(torch) -> None:  # noqa: ANN001 - the module
    """Do torch's one-time lazy set-up (printing, common kernels) once here, not in every child."""
    torch.set_num_threads(1)
    x = torch.ones(2, 3)
    y = torch.nn.functional.scaled_dot_product_attention(x, x, x, scale=1)
    repr(torch.softmax(x @ x.T, dim=-1) - y[:, :2].abs().max())
    f"{torch.randn(2, 3, generator=torch.Generator().manual_seed(0)).norm(dim=1, keepdim=True).round(decimals=2)}"
    torch.manual_seed(torch.initial_seed())  # the default generator stays as a fresh interpreter has it


def _settle() -> None:
    """Make the loaded state cheap to fork: no collector writes to it, huge pages map it."""
    # Children would otherwise copy every page the collector touches (copy-on-write).
    gc.collect()
    gc.freeze()
    if os.environ.get("AUTOGRADER_HUGEPAGES"):
        hugepages.collapse()


def main() -> None:
    fds = [int(fd) for fd in os.environ.pop("AUTOGRADER_SOCKETS").split(",")]
    procs.become_subreaper()
    _preload(sys.argv[1:])
    from autograder.sandbox import child, encode  # noqa: F401 - import once, before any fork

    _settle()
    socks = [socket.socket(fileno=fd) for fd in fds]
    for s in socks:
        _send(s, {"ready": True})
    for uid, gid in serve(socks):
        _kill_user(uid, gid)


def _kill_user(uid: int, gid: int) -> None:
    """Kill what the last runs as `uid` left behind (on the way out: one fork per user is cheap)."""
    pid = os.fork()
    if pid == 0:
        try:
            _become_user(uid, gid)
            private_fs.end_leftovers(shared_tmp=True)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
