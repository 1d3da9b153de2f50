"""Child side: execute a plan's compiled cells and report events.

This is the only module that runs student code. The fork server calls `main`
in a freshly forked, already limited child: it reads a plan from descriptor 0
(marshal data from the trusted side, which compiled every cell) and writes one
JSON event per line to the event descriptor. It never decides a grade.
"""
from __future__ import annotations

import json
import marshal
import os
import sys
from typing import Any

from autograder.sandbox.encode import Encoder
from autograder.sandbox.errors import describe


class _Events:
    """JSON-lines events, batched: written when a cell starts (the grader's sign of progress) and at the end."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._dumps = json.dumps
        self._write = os.write
        self._pending: list[str] = []

    def send(self, **event: Any) -> None:
        self._pending.append(self._dumps(event))
        if event["ev"] in ("start", "ready", "done"):
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


def _run_cell(cell: dict, index: int, ns: dict, events: _Events) -> bool:
    """Run one compiled cell; return False if none of it could run (it does not parse).

    A failed import is skipped with a note; any other error ends the cell.
    """
    filename = cell["filename"]
    for line, text in cell["notes"]:
        events.send(ev="note", cell=index, line=line, text=text)
    for is_import, line, code in cell["groups"]:
        try:
            exec(code, ns)
        except ImportError as exc:
            if is_import:
                events.send(ev="note", cell=index, line=line,
                            text=f"{describe(exc, filename)['message']}; skipped (the grader installs no packages)")
                continue
            events.send(ev="end", cell=index, error=describe(exc, filename))
            return True
        except BaseException as exc:  # noqa: BLE001 - SystemExit and friends end the cell, not the run
            events.send(ev="end", cell=index, error=describe(exc, filename))
            return True
    events.send(ev="end", cell=index, error=cell["error"])
    return bool(cell["groups"]) or cell["error"] is None


def _capture(cap: dict, ns: dict, encoder: Encoder, events: _Events) -> None:
    present = cap["name"] in ns
    events.send(ev="capture", key=cap["key"], value=encoder.encode(ns.get(cap["name"]), present))


def _call(call: dict, ns: dict, encoder: Encoder, events: _Events) -> None:
    fn = ns.get(call["name"])
    if not callable(fn):
        events.send(ev="call", key=call["key"], results=None, value=encoder.encode(fn, call["name"] in ns))
        return
    results = []
    for args in call["inputs"]:
        try:
            out = fn(*[encoder.to_input(a, call["convert"]) for a in args])
            results.append({"ok": encoder.encode(out)})
        except BaseException as exc:  # noqa: BLE001
            results.append({"error": describe(exc, "")})
    events.send(ev="call", key=call["key"], results=results)


def _read_plan(fd: int) -> dict:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.close(fd)
    return marshal.loads(b"".join(chunks))  # from the trusted side: safe to unmarshal


def main(event_fd: int) -> None:
    """Run the plan read from descriptor 0; never returns."""
    events = _Events(event_fd)
    plan = _read_plan(0)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - input() gets EOF
    encoder = Encoder(plan["max_elements"])
    events.send(ev="ready")
    ns: dict[str, Any] = {"__name__": "__main__", "get_ipython": _IPythonStub}
    sys.argv = ["submission"]
    skip = set(plan["skip"])
    captures = plan["captures"]
    calls = plan["calls"]
    for index, cell in enumerate(plan["cells"]):
        if index in skip:
            continue
        events.send(ev="start", cell=index)
        if not _run_cell(cell, index, ns, events):
            continue
        for cap in captures.get(index, ()):
            _capture(cap, ns, encoder, events)
        for call in calls.get(index, ()):
            _call(call, ns, encoder, events)
    events.send(ev="start", cell=-1)
    for cap in plan["final_captures"]:
        _capture(cap, ns, encoder, events)
    for call in plan["final_calls"]:
        _call(call, ns, encoder, events)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - the student may have replaced the streams
            pass
    events.send(ev="done")
    os._exit(0)

