"""Child side: execute a plan's cells one statement at a time and report events.

This is the only module that runs student code. The fork server calls `main`
in a freshly forked, already limited child: it reads a plan (JSON) from
descriptor 0 and writes one JSON event per line to the event descriptor. It
never decides a grade.
"""
from __future__ import annotations

import ast
import json
import os
import sys
import traceback
from typing import Any

from autograder.sandbox.encode import Encoder



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


def _error(exc: BaseException, filename: str) -> dict:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    line = frames[-1].lineno if frames else getattr(exc, "lineno", None)
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]
    return {"type": type(exc).__name__, "message": message[:500], "line": line}


def _parse(source: str, filename: str, first_line: int) -> ast.Module | dict:
    """The cell's syntax tree with file line numbers, or the parse error."""
    try:
        # Leading newlines give file line numbers without a pass over the tree.
        return ast.parse("\n" * (first_line - 1) + source, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return _error(exc, filename)


_IMPORTS = (ast.Import, ast.ImportFrom)
_CONTINUATION = ("else", "elif", "except", "finally", "case", ")", "]", "}")


def _chunks(source: str) -> list[tuple[int, str]]:
    """Split a cell at top-level statement starts (0-based line, text), for recovering from a parse error."""
    lines = source.split("\n")
    starts = [i for i, line in enumerate(lines)
              if line[:1] not in ("", " ", "\t", "#") and not line.startswith(_CONTINUATION)
              and not (i and lines[i - 1].startswith("@"))]
    bounds = (starts or [0]) + [len(lines)]
    if bounds[0] != 0:
        bounds.insert(0, 0)
    return [(a, "\n".join(lines[a:b])) for a, b in zip(bounds, bounds[1:])]


def _groups(body: list[ast.stmt]) -> list[list[ast.stmt]]:
    """Statements compiled together: each import alone (a failed one is skipped), the runs between in one."""
    groups: list[list[ast.stmt]] = []
    for node in body:
        if isinstance(node, _IMPORTS) or not groups or isinstance(groups[-1][0], _IMPORTS):
            groups.append([node])
        else:
            groups[-1].append(node)
    return groups


def _run_cell(cell: dict, index: int, ns: dict, events: _Events, recover: bool) -> bool:
    """Run one cell; return False if it could not be parsed. A failed import is skipped, any other error ends the cell.

    With `recover` (cells no answer is read from), a cell that does not parse runs the
    top-level chunks that do, and reports the first that does not.
    """
    filename, first = cell["filename"], cell["first_line"]
    tree = _parse(cell["source"], filename, first)
    if isinstance(tree, dict):
        if not recover:
            events.send(ev="end", cell=index, error=tree)
            return False
        body: list[ast.stmt] = []
        for offset, text in _chunks(cell["source"]):
            part = _parse(text, filename, first + offset)
            if isinstance(part, dict):
                events.send(ev="note", cell=index, line=part["line"], text=f"{part['message']}; skipped those lines")
            else:
                body += part.body
    else:
        body = tree.body
    for group in _groups(body):
        try:
            exec(compile(ast.Module(group, []), filename, "exec"), ns)
        except ImportError as exc:
            if isinstance(group[0], _IMPORTS):
                events.send(ev="note", cell=index, line=group[0].lineno,
                            text=f"{_error(exc, filename)['message']}; skipped (the grader installs no packages)")
                continue
            events.send(ev="end", cell=index, error=_error(exc, filename))
            return True
        except BaseException as exc:  # noqa: BLE001 - SystemExit and friends end the cell, not the run
            events.send(ev="end", cell=index, error=_error(exc, filename))
            return True
    events.send(ev="end", cell=index, error=None)
    return True


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
            results.append({"error": _error(exc, "")})
    events.send(ev="call", key=call["key"], results=results)


def _read_plan(fd: int) -> dict:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.close(fd)
    return json.loads(b"".join(chunks))


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
        key = str(index)
        if not _run_cell(cell, index, ns, events, recover=key not in captures and key not in calls):
            continue
        for cap in captures.get(key, ()):
            _capture(cap, ns, encoder, events)
        for call in calls.get(key, ()):
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

