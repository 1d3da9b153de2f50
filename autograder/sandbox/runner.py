"""Trusted side: run a plan in a fresh, limited child process and collect its events.

A cell that hangs or kills its process costs only that cell: the child is killed
and the plan is run again without it, until every other cell has run or the
submission's wall-clock budget is spent. When a run ends, its whole process tree
is gone.
"""
from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from autograder.config import Limits
from autograder.sandbox import procs
from autograder.sandbox.limits import preexec
from autograder.sandbox.plan import Plan

MAX_EVENT_BYTES = 64 * 1024 * 1024
MAX_ATTEMPTS = 6


@dataclass
class CellReport:
    """What happened to one cell: `status` is ok, error, timeout, crashed or not_run."""

    status: str = "not_run"
    error: dict | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class RunOutcome:
    """Everything the child reported; values are still untrusted wire data."""

    cells: dict[int, CellReport]
    captures: dict[str, dict]
    calls: dict[str, Any]
    output: str
    failure: str | None
    elapsed: float
    attempts: int


class _OutputBuffer:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.cap - len(self.data)
        self.data += chunk[:room]
        self.dropped += max(0, len(chunk) - room)

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[... {self.dropped} more bytes of output not shown]"
        return text


@dataclass
class _Attempt:
    done: bool = False
    ready: bool = False
    current: int | None = None
    stuck_reason: str | None = None
    cells: dict[int, CellReport] = field(default_factory=dict)
    captures: dict[str, dict] = field(default_factory=dict)
    calls: dict[str, Any] = field(default_factory=dict)


def child_env(event_fd: int, scratch: str) -> dict[str, str]:
    """The only environment the student process sees: nothing of the grader's."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "AUTOGRADER_EVENT_FD": str(event_fd),
    }


def run_plan(plan: Plan, limits: Limits) -> RunOutcome:
    """Run `plan` under `limits`, re-running without any cell that hangs or crashes."""
    procs.become_subreaper()
    start = time.monotonic()
    deadline = start + limits.timeout
    lost: dict[int, CellReport] = {}
    attempt = _Attempt()
    output = _OutputBuffer(limits.output_kb * 1024)
    failure = None
    n = 0
    for n in range(1, MAX_ATTEMPTS + 1):
        output = _OutputBuffer(limits.output_kb * 1024)
        plan.skip = sorted(lost)
        attempt = _run_once(plan, limits, deadline, output)
        if attempt.done:
            break
        if attempt.current is None or attempt.current in lost:
            failure = attempt.stuck_reason or "the grader could not start your code"
            break
        lost[attempt.current] = CellReport("timeout" if "timed out" in (attempt.stuck_reason or "") else "crashed",
                                           {"type": "Stopped", "message": attempt.stuck_reason, "line": None})
        if time.monotonic() >= deadline:
            failure = f"the whole submission ran out of time ({limits.timeout:g} s)"
            break
    else:
        failure = "too many cells hung or crashed"
    cells = {**attempt.cells, **lost}
    return RunOutcome(cells, attempt.captures, attempt.calls, output.text(), failure,
                      time.monotonic() - start, n)


def _run_once(plan: Plan, limits: Limits, deadline: float, output: _OutputBuffer) -> _Attempt:
    scratch = tempfile.mkdtemp(prefix="autograder-run-")
    os.chmod(scratch, 0o777)
    ev_r, ev_w = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "autograder.sandbox.child"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(ev_w,), cwd=scratch, env=child_env(ev_w, scratch),
            preexec_fn=preexec(limits), start_new_session=True,
        )
    finally:
        os.close(ev_w)
    try:
        return _watch(proc, ev_r, plan.to_json(), limits, deadline, output)
    finally:
        procs.kill_group(proc.pid)
        proc.wait()
        procs.kill_orphans()
        os.close(ev_r)
        shutil.rmtree(scratch, ignore_errors=True)


def _watch(proc: subprocess.Popen, ev_r: int, plan_bytes: bytes, limits: Limits,
           deadline: float, output: _OutputBuffer) -> _Attempt:
    state = _Attempt()
    sel = selectors.DefaultSelector()
    assert proc.stdin is not None and proc.stdout is not None
    stdin_fd, out_fd = proc.stdin.fileno(), proc.stdout.fileno()
    for fd in (stdin_fd, out_fd, ev_r):
        os.set_blocking(fd, False)
    sel.register(stdin_fd, selectors.EVENT_WRITE)
    sel.register(out_fd, selectors.EVENT_READ)
    sel.register(ev_r, selectors.EVENT_READ)
    pending = memoryview(plan_bytes)
    buf = bytearray()
    received = 0
    progress = time.monotonic()
    open_fds = 2
    while open_fds:
        now = time.monotonic()
        limit = deadline if not state.ready else min(deadline, progress + limits.cell_timeout)
        if now >= limit:
            if state.done:
                return state
            budget = limits.cell_timeout if state.ready and limit < deadline else limits.timeout
            state.stuck_reason = f"timed out after {budget:g} s"
            return state
        for key, _ in sel.select(timeout=limit - now):
            fd = key.fd
            if fd == stdin_fd:
                try:
                    pending = pending[os.write(fd, pending):]
                except BrokenPipeError:
                    pending = pending[:0]
                if not pending:
                    sel.unregister(fd)
                    proc.stdin.close()
                continue
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(fd)
                open_fds -= 1
                continue
            if fd == out_fd:
                output.add(chunk)
                continue
            received += len(chunk)
            if received > MAX_EVENT_BYTES:
                state.stuck_reason = "sent more data than the grader accepts"
                return state
            buf += chunk
            *lines, rest = buf.split(b"\n")
            buf = bytearray(rest)
            for line in lines:
                if _handle(state, line):
                    progress = time.monotonic()
    if not state.done:
        state.stuck_reason = _exit_reason(proc)
    return state


def _handle(state: _Attempt, line: bytes) -> bool:
    """Apply one event; return True when it shows progress. Malformed events are ignored."""
    try:
        event = json.loads(line)
        kind = event["ev"]
    except (ValueError, TypeError, KeyError):
        return False
    if not isinstance(event, dict):
        return False
    if kind == "ready":
        state.ready = True
    elif kind == "start" and isinstance(event.get("cell"), int):
        state.current = event["cell"]
    elif kind == "end" and isinstance(event.get("cell"), int):
        report = state.cells.setdefault(event["cell"], CellReport())
        err = event.get("error")
        report.status = "error" if err else "ok"
        report.error = err if isinstance(err, dict) else None
    elif kind == "note" and isinstance(event.get("cell"), int):
        state.cells.setdefault(event["cell"], CellReport()).notes.append(
            f"line {event.get('line')}: {str(event.get('text'))[:300]} (skipped; the grader does not install packages)")
    elif kind == "capture" and isinstance(event.get("key"), str):
        state.captures[event["key"]] = event.get("value")
    elif kind == "call" and isinstance(event.get("key"), str):
        state.calls[event["key"]] = event
    elif kind == "done":
        state.done = True
    else:
        return False
    return True


def _exit_reason(proc: subprocess.Popen) -> str:
    try:
        code = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return "stopped responding"
    if code < 0:
        sig = signal.Signals(-code)
        return {
            signal.SIGXCPU: "used up its CPU time limit",
            signal.SIGKILL: "was killed (out of memory or a resource limit)",
            signal.SIGSEGV: "crashed (segmentation fault)",
        }.get(sig, f"was killed by {sig.name}")
    return f"ended the Python process early (exit code {code})"
