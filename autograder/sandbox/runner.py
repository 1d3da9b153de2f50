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
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from autograder.config import Limits
from autograder.sandbox import procs
from autograder.sandbox.launcher import Connection, RunAs, plan_pipe
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


def child_env(scratch: str) -> dict[str, str]:
    """The only environment the student process sees: nothing of the grader's."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


def run_plan(plan: Plan, limits: Limits, conn: Connection, run_as: RunAs | None = None) -> RunOutcome:
    """Run `plan` under `limits` in children of the fork server, re-running without any cell
    that hangs or crashes."""
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
        attempt = _run_once(plan, limits, conn, run_as, deadline, output)
        if attempt.done:
            break
        if attempt.current is None or attempt.current in lost:
            failure = attempt.stuck_reason or "could not be started"
            break
        status = "timeout" if "timed out" in (attempt.stuck_reason or "") else "crashed"
        lost[attempt.current] = CellReport(status, {"type": "Stopped", "message": attempt.stuck_reason, "line": None})
        if time.monotonic() >= deadline:
            failure = f"ran out of time for the whole submission ({limits.timeout:g} s)"
            break
    else:
        failure = "had too many cells that hung or crashed"
    cells = {**attempt.cells, **lost}
    return RunOutcome(cells, attempt.captures, attempt.calls, output.text(), failure,
                      time.monotonic() - start, n)


def _run_once(plan: Plan, limits: Limits, conn: Connection, run_as: RunAs | None, deadline: float,
              output: _OutputBuffer) -> _Attempt:
    scratch = tempfile.mkdtemp(prefix="autograder-run-")
    if run_as is not None:
        os.chown(scratch, run_as.uid, run_as.gid)
    plan_r, plan_w = plan_pipe()
    out_r, out_w = os.pipe()
    ev_r, ev_w = os.pipe()
    pid = None
    try:
        try:
            pid = conn.start(scratch, child_env(scratch), limits, run_as, (plan_r, out_w, ev_w))
        finally:
            for fd in (plan_r, out_w, ev_w):
                os.close(fd)
        state = _watch(plan_w, out_r, ev_r, plan.to_json(), limits, deadline, output)
        if not state.done and state.stuck_reason is None:
            state.stuck_reason = _exit_reason(conn.exit_status())
            pid = None
        return state
    finally:
        if pid is not None:
            procs.kill_group(pid)
            conn.exit_status()
        procs.kill_orphans(keep={conn.server_pid})
        for fd in (plan_w, out_r, ev_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(scratch, ignore_errors=True)


def _watch(plan_w: int, out_r: int, ev_r: int, plan_bytes: bytes, limits: Limits,
           deadline: float, output: _OutputBuffer) -> _Attempt:
    state = _Attempt()
    sel = selectors.DefaultSelector()
    sel.register(plan_w, selectors.EVENT_WRITE)
    sel.register(out_r, selectors.EVENT_READ)
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
            if not state.done:
                budget = limits.cell_timeout if state.ready and limit < deadline else limits.timeout
                state.stuck_reason = f"timed out after {budget:g} s"
            return state
        for key, _ in sel.select(timeout=limit - now):
            fd = key.fd
            if fd == plan_w:
                try:
                    pending = pending[os.write(fd, pending):]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    pending = pending[:0]
                if not pending:
                    sel.unregister(fd)
                    os.close(fd)
                continue
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(fd)
                open_fds -= 1
                continue
            if fd == out_r:
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


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "stopped responding"
    if code < 0:
        sig = signal.Signals(-code)
        return {
            signal.SIGXCPU: "used up its CPU time limit",
            signal.SIGKILL: "was killed (out of memory or a resource limit)",
            signal.SIGSEGV: "crashed (segmentation fault)",
        }.get(sig, f"was killed by {sig.name}")
    return f"ended the Python process early (exit code {code})"
