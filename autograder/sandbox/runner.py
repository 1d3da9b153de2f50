"""Trusted side: run a plan in a fresh, limited child process and collect its events.

A statement that hangs or kills its process costs only that statement (and, in a
question's cell, the rest of that cell), a call of a function answer that does costs only
that call: the child is killed and the plan is run again without it, until everything else
has run or the submission's wall-clock budget is spent. A call is timed by its own timeout,
not its cell's. When a run ends, its whole process tree is gone.
"""
from __future__ import annotations

import os
import selectors
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from autograder.config import Limits
from autograder.sandbox.launcher import BASE_ENV, Connection, plan_pipe
from autograder.sandbox.plan import Plan
from autograder.sandbox.protocol import (FINAL_CELL, MAX_NOTE, CellStatus, Ev, Progress, decode_error,
                                         decode_event, status_of)

MAX_EVENT_BYTES = 32 * 1024 * 1024  # per attempt
MAX_EVENT_LINE = 4 * 1024 * 1024  # one event (an answer of MAX_ELEMENTS numbers fits)
MAX_KEPT = 200  # notes and failed statements kept per cell (the report shows fewer)
MAX_ATTEMPTS = 8
DRAIN_AFTER_DONE = 0.2  # seconds to collect trailing output once the child said it is done
FINAL = 1 << 30  # the phase after the last cell, where end-of-file answers are read


@dataclass(frozen=True)
class Stop:
    """Why a run (or one statement of it) stopped: TIMEOUT or CRASHED, and what happened."""

    status: CellStatus
    message: str


_FLOOD = Stop(CellStatus.CRASHED, "sent more data than the grader accepts")


@dataclass
class Problem:
    """A statement that failed without ending its cell: in code no question reads from (it
    raised, hung or crashed), or an import that was skipped (`module`: the package it needed)."""

    status: CellStatus
    error: dict
    module: str | None = None


@dataclass
class CellReport:
    """What happened to one cell: how it ended (`status`, and the `error` that ended it), the
    statements that failed without ending it, and notes."""

    status: CellStatus = CellStatus.NOT_RUN
    error: dict | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True if every statement of the cell ran without error."""
        return self.status == CellStatus.OK and not self.problems


@dataclass
class RunOutcome:
    """Everything the child reported; values are still untrusted wire data. `calls`: each function
    answer's `call` event; `returned`: its calls' `returned` events by index; `stopped_calls`: its
    calls that hung or crashed (each left out of the next attempt)."""

    cells: dict[int, CellReport]
    captures: dict[str, dict]
    calls: dict[str, Any]
    output: str
    failure: Stop | None
    elapsed: float
    attempts: int
    tampering: str | None = None
    returned: dict[str, dict[int, Any]] = field(default_factory=dict)
    stopped_calls: dict[str, dict[int, Stop]] = field(default_factory=dict)


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
    call_timeouts: dict[str, list[float]] = field(default_factory=dict)  # function answer -> per call
    done: bool = False
    ready: bool = False
    current: int | None = None
    ended: bool = False
    stuck: Stop | None = None
    statement: int = 0  # of the current cell, from the progress page, once stuck
    tampering: str | None = None
    cells: dict[int, CellReport] = field(default_factory=dict)
    captures: dict[str, dict] = field(default_factory=dict)
    calls: dict[str, Any] = field(default_factory=dict)
    returned: dict[str, dict[int, Any]] = field(default_factory=dict)
    function: str | None = None  # the function answer whose calls come now
    next_call: int = 0  # the lowest index its next call may have
    calling: int | None = None  # the call under way, if one is

    @property
    def call(self) -> tuple[str, int] | None:
        """The call under way: (function answer's key, index of the call), if one is."""
        return None if self.function is None or self.calling is None else (self.function, self.calling)

    def timeout(self, cell_timeout: float) -> float:
        """How long the child may now go without a sign of progress: the call's own timeout during a call."""
        if self.call is None:
            return cell_timeout
        key, index = self.call
        return self.call_timeouts[key][index]

    def reject(self, event: object) -> bool:
        if self.tampering is None:
            self.tampering = f"unexpected message on the grader's channel: {str(event)[:120]}"
        return False


def child_env(scratch: str) -> dict[str, str]:
    """The only environment the student process sees: nothing of the grader's."""
    return {**BASE_ENV, "HOME": scratch, "TMPDIR": scratch}


def run_plan(plan: Plan, limits: Limits, conn: Connection) -> RunOutcome:
    """Run `plan` under `limits` in children of the fork server. A statement that hangs or
    crashes the process is left out of the next attempt (set-up code goes on after it; a
    question's cell stops before it, its answer read as it was then)."""
    start = time.monotonic()
    deadline = start + limits.timeout
    stopped: dict[int, dict[int, Stop]] = {}
    stopped_calls: dict[str, dict[int, Stop]] = {}
    attempt = _Attempt({})
    output = _OutputBuffer(limits.output_kb * 1024)
    failure: Stop | None = None
    tampering = None
    n = 0
    timeouts = plan.call_timeouts()
    for n in range(1, MAX_ATTEMPTS + sum(map(len, timeouts.values())) + 1):  # and one per call
        output = _OutputBuffer(limits.output_kb * 1024)
        plan.stopped = {cell: sorted(statements) for cell, statements in stopped.items()}
        plan.stopped_calls = {key: sorted(calls) for key, calls in stopped_calls.items()}
        attempt = _run_once(plan, limits, conn, deadline, output)
        tampering = tampering or attempt.tampering
        if attempt.done:
            break
        stuck = attempt.stuck or Stop(CellStatus.CRASHED, "stopped responding")
        cell = attempt.current
        if attempt.call is not None:
            key, index = attempt.call
            stopped_calls.setdefault(key, {})[index] = stuck
        elif cell is None or cell == FINAL or attempt.statement in stopped.get(cell, {}):
            failure = stuck if cell is not None else Stop(stuck.status, f"could not be started ({stuck.message})")
            break
        else:
            stopped.setdefault(cell, {})[attempt.statement] = stuck
        if time.monotonic() >= deadline:
            failure = Stop(CellStatus.TIMEOUT, f"ran out of time for the whole submission ({limits.timeout:g} s)")
            break
    else:
        failure = Stop(CellStatus.TIMEOUT, "had too many statements that hung or crashed")
    cells = attempt.cells
    for cell, statements in stopped.items():
        _record_stops(cells.setdefault(cell, CellReport()), plan.compile()[cell], statements)
    return RunOutcome(cells, attempt.captures, attempt.calls, output.text(), failure,
                      time.monotonic() - start, n, tampering, attempt.returned, stopped_calls)


def _record_stops(report: CellReport, cell: dict, statements: dict[int, Stop]) -> None:
    """Put the statements that hung or crashed into the cell's report."""
    groups = cell["groups"]
    for index, stop in sorted(statements.items()):
        line = groups[index][1] if index < len(groups) else None
        error = {"type": "Stopped", "message": stop.message if line is not None
                 else f"{stop.message} while its answer was read", "line": line}
        if cell["recover"]:
            report.problems.append(Problem(stop.status, error))
        elif report.status in (CellStatus.OK, CellStatus.NOT_RUN):
            report.status, report.error = stop.status, error


def _run_once(plan: Plan, limits: Limits, conn: Connection, deadline: float, output: _OutputBuffer) -> _Attempt:
    scratch = tempfile.mkdtemp(prefix="run-", dir=conn.scratch_root)
    if conn.run_as is not None:
        os.chown(scratch, conn.run_as.uid, conn.run_as.gid)
    plan_r, plan_w = plan_pipe()
    out_r, out_w = os.pipe()
    ev_r, ev_w = os.pipe()
    progress = Progress.create()
    owned = {plan_w, out_r, ev_r}  # closed exactly once: another thread may reuse a closed number
    pid = None
    try:
        try:
            pid = conn.start(scratch, child_env(scratch), limits, (plan_r, out_w, ev_w, progress.fd))
        finally:
            for fd in (plan_r, out_w, ev_w):
                os.close(fd)
        state = _watch(owned, plan_w, out_r, ev_r, plan, limits, deadline, output)
        if not state.done and state.stuck is None:
            state.stuck = _exit_reason(conn.exit_status())
            pid = None
        if not state.done:
            state.statement = _statement(progress, state, plan)
        return state
    finally:
        if pid is not None:
            conn.kill()
            conn.exit_status()
        for fd in owned:
            os.close(fd)
        progress.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _statement(progress: Progress, state: _Attempt, plan: Plan) -> int:
    """Which statement of the current cell was running, from the page the child marks (0, the
    whole cell, when the page disagrees with the events: student code can write to it)."""
    cell, statement = progress.read()
    current = state.current
    if current is None or current == FINAL or cell != current:
        return 0
    return statement if 0 <= statement <= len(plan.compile()[current]["groups"]) else 0


def _watch(owned: set[int], plan_w: int, out_r: int, ev_r: int, plan: Plan, limits: Limits,
           deadline: float, output: _OutputBuffer) -> _Attempt:
    expected = {i: {c.key for c in plan.captures.get(i, [])} | {c.key for c in plan.calls.get(i, [])}
                for i in range(len(plan.cells))}
    expected[FINAL] = {c.key for c in plan.final_captures} | {c.key for c in plan.final_calls}
    plan_bytes = plan.to_bytes()
    state = _Attempt(expected, plan.call_timeouts())
    sel = selectors.DefaultSelector()
    sel.register(plan_w, selectors.EVENT_WRITE)
    sel.register(out_r, selectors.EVENT_READ)
    sel.register(ev_r, selectors.EVENT_READ)
    pending = memoryview(plan_bytes)
    buf = bytearray()
    received = 0
    progress = time.monotonic()
    open_fds = 2
    def limit() -> float:
        end = deadline if not state.ready else min(deadline, progress + state.timeout(limits.cell_timeout))
        # a daemon the student left behind may hold the pipes open: do not wait for it
        return min(end, progress + DRAIN_AFTER_DONE) if state.done else end

    while open_fds:
        # Time is judged after reading what the child sent: if this thread was held up (the
        # machine, another submission's trusted work), the child is not blamed for the wait.
        for key, _ in sel.select(timeout=max(0.0, limit() - time.monotonic())):
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
                state.stuck = _FLOOD
                return state
            cut = chunk.rfind(b"\n")
            if cut < 0:  # only the newest chunk is searched: a line that never ends costs linear time
                buf += chunk
                if len(buf) > MAX_EVENT_LINE:
                    state.stuck = _FLOOD
                    return state
                continue
            lines = (bytes(buf) + chunk[:cut]).split(b"\n")
            buf = bytearray(chunk[cut + 1:])
            for line in lines:
                if len(line) > MAX_EVENT_LINE:
                    state.reject(line[:120])
                elif _handle(state, line):
                    progress = time.monotonic()
        end = limit()
        if time.monotonic() >= end:
            if not state.done:
                budget = state.timeout(limits.cell_timeout) if state.ready and end < deadline else limits.timeout
                state.stuck = Stop(CellStatus.TIMEOUT, f"timed out after {budget:g} s")
            return state
    return state


def _handle(state: _Attempt, line: bytes) -> bool:
    """Apply one event if it is the kind the plan expects next; return True when it shows progress."""
    event = decode_event(line)
    if event is None:
        return state.reject(line[:200])
    kind, cell, key, index = event.get("ev"), event.get("cell"), event.get("key"), event.get("index")
    cell = FINAL if cell == FINAL_CELL else cell
    if type(key) is not str:
        key = None
    in_cell = cell == state.current is not None and not state.ended
    answering = state.ended and state.calling is None  # between a cell's end and the next start, no call under way
    if kind == Ev.READY and not state.ready:
        state.ready = True
    elif kind == Ev.START and type(cell) is int and state.ready and cell in state.expected and (
            state.current is None or (answering and cell > state.current)):
        state.current, state.ended, state.function = cell, cell == FINAL, None
    elif kind == Ev.END and in_cell:
        state.ended = True
        report = state.cells.setdefault(cell, CellReport())
        report.error = decode_error(event.get("error"))
        report.status = status_of(report.error)
    elif kind == Ev.RAISED and in_cell and (error := decode_error(event.get("error"))) is not None:
        module = event.get("module")
        problems = state.cells.setdefault(cell, CellReport()).problems
        if len(problems) < MAX_KEPT:
            problems.append(Problem(status_of(error), error, str(module)[:100] if module is not None else None))
    elif kind == Ev.NOTE and in_cell:
        line_no, notes = event.get("line"), state.cells.setdefault(cell, CellReport()).notes
        if len(notes) < MAX_KEPT:
            text = event.get("text")
            notes.append((line_no if type(line_no) is int else None, text[:MAX_NOTE] if isinstance(text, str) else ""))
    elif kind in (Ev.CAPTURE, Ev.CALL) and answering and key in state.expected.get(state.current, ()) \
            and key not in state.captures and key not in state.calls:
        if kind == Ev.CAPTURE:
            state.captures[key] = event.get("value")
        else:
            state.calls[key] = event
            state.function, state.next_call = (key if event.get("callable") is True else None), 0
    elif kind == Ev.CALLING and answering and key is not None and key == state.function and type(index) is int \
            and state.next_call <= index < len(state.call_timeouts.get(key, ())):
        state.calling, state.next_call = index, index + 1
    elif kind == Ev.RETURNED and state.call == (key, index) and type(index) is int:
        state.returned.setdefault(key, {})[index] = event
        state.calling = None
    elif kind == Ev.DONE and state.current == FINAL and not state.done and state.calling is None:
        state.done = True
    else:
        return state.reject(event)
    return True


def _exit_reason(code: int | None) -> Stop:
    if code is None:
        return Stop(CellStatus.CRASHED, "stopped responding")
    if code < 0:
        sig = signal.Signals(-code)
        if sig == signal.SIGXCPU:
            return Stop(CellStatus.TIMEOUT, "used up its CPU time limit")
        return Stop(CellStatus.CRASHED, {
            signal.SIGKILL: "was killed (out of memory or a resource limit)",
            signal.SIGSEGV: "crashed (segmentation fault)",
        }.get(sig, f"was killed by {sig.name}"))
    return Stop(CellStatus.CRASHED, f"ended the Python process early (exit code {code})")
