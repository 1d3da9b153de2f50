"""Child side: execute a plan's compiled cells and report events.

This is the only module that runs student code. The fork server calls `main`
in a freshly forked, already limited child: it reads a plan from descriptor 0
(marshal data from the trusted side, which compiled every cell) and writes one
JSON event per line to the event descriptor. It never decides a grade.
"""
from __future__ import annotations

import builtins
import json
import marshal
import os
import sys
import types
from typing import Any

from autograder.sandbox.arguments import Arguments
from autograder.sandbox.encode import Encoder
from autograder.sandbox.errors import describe
from autograder.sandbox.notebook_builtins import builtins_for_cells
from autograder.sandbox.private_fs import end_leftovers
from autograder.sandbox.protocol import FINAL_CELL, Ev, Progress


class _Events:
    """JSON-lines events, batched: written when a cell or a call starts (the grader's signs of progress)
    and at the end."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._dumps = json.dumps
        self._write = os.write
        self._pending: list[str] = []

    def send(self, **event: Any) -> None:
        self._pending.append(self._dumps(event))
        if event["ev"] in (Ev.START, Ev.CALLING, Ev.READY, Ev.DONE):
            self.flush()

    def flush(self) -> None:
        data = ("\n".join(self._pending) + "\n").encode()
        self._pending.clear()
        while data:
            data = data[self._write(self._fd, data):]


class _IPythonStub:
    """Stands in for `get_ipython()` in scripts exported by nbconvert: shell and magics do nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _run_cell(cell: dict, index: int, ns: dict, events: _Events, progress: Progress, stopped: list[int]) -> bool:
    """Run one compiled cell, statement by statement; return False if none of it could run.

    A failed import is skipped. In code no question reads from (`recover`), a
    statement that raises costs only itself; in a question's cell it ends the cell, as in
    Jupyter. Statements in `stopped` hung or crashed an earlier attempt: set-up code skips
    them, a question's cell ends before the first.
    """
    filename, recover, groups = cell["filename"], cell["recover"], cell["groups"]
    for line, text in cell["notes"]:
        events.send(ev=Ev.NOTE, cell=index, line=line, text=text)
    for n, (is_import, line, code) in enumerate(groups):
        if n in stopped:
            if recover:
                continue
            events.send(ev=Ev.END, cell=index, error=None)
            return True
        progress.mark(index, n)
        try:
            exec(code, ns)
        except BaseException as exc:  # noqa: BLE001 - SystemExit and friends end the cell, not the run
            error = describe(exc, filename)
            skipped_import = is_import and isinstance(exc, ImportError)
            if skipped_import or recover:
                events.send(ev=Ev.RAISED, cell=index, error=error, module=_module_of(exc) if skipped_import else None)
            else:
                events.send(ev=Ev.END, cell=index, error=error)
                return True
    progress.mark(index, len(groups))
    events.send(ev=Ev.END, cell=index, error=cell["error"])
    return bool(groups) or cell["error"] is None


def _module_of(exc: BaseException) -> str:
    """The top-level package an import could not find ("" when it is not a missing module)."""
    name = getattr(exc, "name", None)
    return name.partition(".")[0] if isinstance(name, str) else ""


def _capture(cap: dict, ns: dict, encoder: Encoder, events: _Events) -> None:
    present = cap["name"] in ns
    events.send(ev=Ev.CAPTURE, key=cap["key"], value=encoder.encode(ns.get(cap["name"]), present))


class _Caller:
    """Makes a function answer's calls: each announced first (the grader then applies its timeout), its
    arguments built, the generators seeded, its result reported as plain numbers."""

    def __init__(self, encoder: Encoder, events: _Events, stopped: dict[str, list[int]]) -> None:
        self._encoder, self._events, self._stopped = encoder, events, stopped
        self._arguments = Arguments()

    def run(self, answer: dict, ns: dict) -> None:
        key, name = answer["key"], answer["name"]
        fn = ns.get(name)
        if not callable(fn):
            self._events.send(ev=Ev.CALL, key=key, callable=False, value=self._encoder.encode(fn, name in ns))
            return
        self._events.send(ev=Ev.CALL, key=key, callable=True)
        skip = self._stopped.get(key, ())
        for index, call in enumerate(answer["calls"]):
            if index not in skip:
                self._events.send(ev=Ev.CALLING, key=key, index=index)
                self._events.send(ev=Ev.RETURNED, key=key, index=index, **self._call(fn, call, ns))

    def _call(self, fn: Any, call: dict, ns: dict) -> dict:
        build = self._arguments.build
        try:
            args = [build(a, ns) for a in call["args"]]
            kwargs = {k: build(a, ns) for k, a in call["kwargs"].items()}
            if call["seed"] is not None:
                self._arguments.seed(call["seed"])
            return self._encoder.returned(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - SystemExit and friends end the call, not the run
            return {"error": describe(exc, "")}


def _inject(code: Any, ns: dict) -> None:
    """Run the grader's own code after a cell (a fresh instance of the data); if the student's code
    broke what it needs, the run goes on with the notebook's data (nothing is flagged then)."""
    try:
        exec(code, ns)
    except Exception:  # noqa: BLE001
        pass


def _read_plan(fd: int) -> dict:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.close(fd)
    return marshal.loads(b"".join(chunks))  # from the trusted side: safe to unmarshal


def _main_module() -> dict[str, Any]:
    """A fresh `__main__` for the cells, as in Jupyter: functions defined in them pickle by
    reference (multiprocessing, DataLoader workers)."""
    module = types.ModuleType("__main__")
    module.__dict__["get_ipython"] = _IPythonStub
    sys.modules["__main__"] = module
    for name, value in builtins_for_cells().items():  # as IPython does: `display` needs no import
        setattr(builtins, name, value)
    return module.__dict__


def main(event_fd: int, progress_fd: int, own_user: bool = False, shared_tmp: bool = True) -> None:
    """Run the plan read from descriptor 0; never returns. `own_user`: the run has a uid of its
    own, so every other process of that uid (and, with a `shared_tmp`, every file of it in /tmp)
    is a leftover of it, removed at the end."""
    events = _Events(event_fd)
    progress = Progress(progress_fd)
    plan = _read_plan(0)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - input() gets EOF
    encoder = Encoder(plan["max_elements"])
    caller = _Caller(encoder, events, plan["stopped_calls"])
    events.send(ev=Ev.READY)
    ns = _main_module()
    sys.argv = ["submission"]
    stopped = plan["stopped"]
    captures = plan["captures"]
    calls = plan["calls"]
    for index, cell in enumerate(plan["cells"]):
        events.send(ev=Ev.START, cell=index)
        ran = _run_cell(cell, index, ns, events, progress, stopped.get(index, ()))
        if index in plan["inject"]:
            _inject(plan["inject"][index], ns)
        if not ran:
            continue
        if len(cell["groups"]) in stopped.get(index, ()):  # reading its answers hung: not again
            continue
        for cap in captures.get(index, ()):
            _capture(cap, ns, encoder, events)
        for answer in calls.get(index, ()):
            caller.run(answer, ns)
    events.send(ev=Ev.START, cell=FINAL_CELL)
    progress.mark(FINAL_CELL, 0)
    for cap in plan["final_captures"]:
        _capture(cap, ns, encoder, events)
    for answer in plan["final_calls"]:
        caller.run(answer, ns)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - the student may have replaced the streams
            pass
    events.send(ev=Ev.DONE)
    if own_user:
        end_leftovers(shared_tmp)
    os._exit(0)
