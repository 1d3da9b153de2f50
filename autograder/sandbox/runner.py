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
from autograder.sandbox.launcher import Connection, plan_pipe
from autograder.sandbox.plan import Plan

MAX_EVENT_BYTES = 64 * 1024 * 1024
MAX_ATTEMPTS = 6
DRAIN_AFTER_DONE = 0.2  # seconds to collect trailing output once the child said it is done
FINAL = 1 << 30  # the phase after the last cell, where end-of-file answers are read


@dataclass
class CellReport:
    """What happened to one cell: `status` is ok, error, timeout, crashed or not_run."""

    status: str = "not_run"
    error: dict | None = None
    notes: list[tuple[int | None, str]] = field(default_factory=list)


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
    tampering: str | None = None


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
    """What one child reported. Events must follow the plan's order exactly; anything else
    (student code writing to the event pipe) is ignored and recorded as tampering."""

    expected: dict[int, set[str]]
    done: bool = False
    ready: bool = False
    current: int | None = None
    ended: bool = False
    stuck_reason: str | None = None
    tampering: str | None = None
    cells: dict[int, CellReport] = field(default_factory=dict)
    captures: dict[str, dict] = field(default_factory=dict)
    calls: dict[str, Any] = field(default_factory=dict)

    def reject(self, event: object) -> bool:
        if self.tampering is None:
            self.tampering = f"unexpected message on the grader's channel: {str(event)[:120]}"
        return False


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


def run_plan(plan: Plan, limits: Limits, conn: Connection) -> RunOutcome:
    """Run `plan` under `limits` in children of the fork server, re-running without any cell
    that hangs or crashes."""
    start = time.monotonic()
    deadline = start + limits.timeout
    lost: dict[int, CellReport] = {}
    attempt = _Attempt({})
    output = _OutputBuffer(limits.output_kb * 1024)
    failure = tampering = None
    n = 0
    for n in range(1, MAX_ATTEMPTS + 1):
        output = _OutputBuffer(limits.output_kb * 1024)
        plan.skip = sorted(lost)
        attempt = _run_once(plan, limits, conn, deadline, output)
        tampering = tampering or attempt.tampering
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
                      time.monotonic() - start, n, tampering)


def _run_once(plan: Plan, limits: Limits, conn: Connection, deadline: float, output: _OutputBuffer) -> _Attempt:
    scratch = tempfile.mkdtemp(prefix="run-", dir=conn.scratch_root)
    if conn.run_as is not None:
        os.chown(scratch, conn.run_as.uid, conn.run_as.gid)
    plan_r, plan_w = plan_pipe()
    out_r, out_w = os.pipe()
    ev_r, ev_w = os.pipe()
    owned = {plan_w, out_r, ev_r}  # closed exactly once: another thread may reuse a closed number
    pid = None
    try:
        try:
            pid = conn.start(scratch, child_env(scratch), limits, (plan_r, out_w, ev_w))
        finally:
            for fd in (plan_r, out_w, ev_w):
                os.close(fd)
        state = _watch(owned, plan_w, out_r, ev_r, plan, limits, deadline, output)
        if not state.done and state.stuck_reason is None:
            state.stuck_reason = _exit_reason(conn.exit_status())
            pid = None
        return state
    finally:
        if pid is not None:
            conn.kill()
            conn.exit_status()
        for fd in owned:
            os.close(fd)
        shutil.rmtree(scratch, ignore_errors=True)


def _watch(owned: set[int], plan_w: int, out_r: int, ev_r: int, plan: Plan, limits: Limits,
           deadline: float, output: _OutputBuffer) -> _Attempt:
    expected = {i: {c.key for c in plan.captures.get(i, [])} | {c.key for c in plan.calls.get(i, [])}
                for i in range(len(plan.cells))}
    expected[FINAL] = {c.key for c in plan.final_captures} | {c.key for c in plan.final_calls}
    plan_bytes = plan.to_bytes()
    state = _Attempt(expected)
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
        if state.done:  # a daemon the student left behind may hold the pipes open: do not wait for it
            limit = min(limit, progress + DRAIN_AFTER_DONE)
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
                    owned.discard(fd)
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
    """Apply one event if it is the kind the plan expects next; return True when it shows progress."""
    try:
        event = json.loads(line)
    except ValueError:
        return state.reject(line)
    if not isinstance(event, dict):
        return state.reject(event)
    kind, cell, key = event.get("ev"), event.get("cell"), event.get("key")
    cell = FINAL if cell == -1 else cell
    if kind == "ready" and not state.ready:
        state.ready = True
    elif kind == "start" and type(cell) is int and state.ready and cell in state.expected and (
            state.current is None or (state.ended and cell > state.current)):
        state.current, state.ended = cell, cell == FINAL
    elif kind == "end" and cell == state.current is not None and not state.ended:
        state.ended = True
        report = state.cells.setdefault(cell, CellReport())
        err = event.get("error")
        report.status = "error" if err else "ok"
        report.error = err if isinstance(err, dict) else None
    elif kind == "note" and cell == state.current is not None and not state.ended:
        line_no = event.get("line")
        state.cells.setdefault(cell, CellReport()).notes.append(
            (line_no if type(line_no) is int else None, str(event.get("text"))[:300]))
    elif kind in ("capture", "call") and state.ended and key in state.expected.get(state.current, ()) \
            and key not in state.captures and key not in state.calls:
        if kind == "capture":
            state.captures[key] = event.get("value")
        else:
            state.calls[key] = event
    elif kind == "done" and state.current == FINAL and not state.done:
        state.done = True
    else:
        return state.reject(event)
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
