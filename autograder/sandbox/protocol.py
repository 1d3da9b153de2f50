"""The child <-> grader protocol in one place: event kinds, statuses, the progress page, and
the validation of everything the (untrusted) child reports.

The child writes one JSON object per line on its event descriptor; the order the grader
accepts is enforced by `autograder.sandbox.runner`. Where a run is inside a cell is also
written, with no system call, to a shared page (`Progress`): when a statement hangs or kills
the process, the grader reads which one it was.
"""
from __future__ import annotations

import json
import mmap
import os
import struct
from dataclasses import dataclass
from enum import Enum

FINAL_CELL = -1  # the phase after the last cell, where end-of-file answers are read
MAX_MESSAGE = 500  # characters of an error message kept
MAX_NOTE = 300


class Ev(str, Enum):
    """Event kinds, in the order a run sends them: ready, then per cell start, notes, raised
    statements, end, captures and calls; done at the end."""

    READY = "ready"
    START = "start"
    NOTE = "note"
    RAISED = "raised"  # a statement of code no question reads from raised; the cell goes on
    END = "end"
    CAPTURE = "capture"
    CALL = "call"
    DONE = "done"


class CellStatus(str, Enum):
    """How a cell (or one of its statements) ended."""

    OK = "ok"
    RAISED = "error"
    SYNTAX = "syntax error"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    NOT_RUN = "not run"


PARSE_ERROR_TYPES = frozenset({"SyntaxError", "IndentationError", "TabError"})


MAX_DIGITS = 30  # an integer on the wire longer than this is not a count, a shape or a line number


def _parse_int(digits: str) -> int:
    if len(digits) > MAX_DIGITS:
        raise ValueError("integer too long")
    return int(digits)


_DECODER = json.JSONDecoder(parse_int=_parse_int)


def decode_event(line: bytes) -> dict | None:
    """One event line as a JSON object, or None: not JSON, nested too deeply, integers too long
    (their conversion is quadratic), or not an object."""
    try:
        event = _DECODER.decode(line.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return event if isinstance(event, dict) else None


def decode_error(raw: object) -> dict | None:
    """An error the child reported, as {type, message, line}: strings capped, line an int or None."""
    if not isinstance(raw, dict):
        return None
    line = raw.get("line")
    return {"type": str(raw.get("type"))[:80], "message": str(raw.get("message"))[:MAX_MESSAGE],
            "line": line if type(line) is int else None}


def status_of(error: dict | None) -> CellStatus:
    """The status a cell ends with when `error` (decoded) ended it."""
    if error is None:
        return CellStatus.OK
    return CellStatus.SYNTAX if error["type"] in PARSE_ERROR_TYPES else CellStatus.RAISED


@dataclass(frozen=True)
class CallOutcome:
    """One call of a function answer: the returned value (wire data, still to be validated) or
    the error message."""

    value: object = None
    error: str | None = None


@dataclass(frozen=True)
class CallEvent:
    """What the child reported for a function answer: one outcome per input, or (`outcomes`
    None) the value the name had instead of a function."""

    outcomes: tuple[CallOutcome, ...] | None
    value: object = None


def decode_call(event: object, inputs: int) -> CallEvent | None:
    """A call event as plain data; at most `inputs` outcomes (None: no event)."""
    if not isinstance(event, dict):
        return None
    results = event.get("results")
    if not isinstance(results, list):
        return CallEvent(None, event.get("value"))
    outcomes = []
    for r in results[:inputs]:
        if isinstance(r, dict) and "ok" in r:
            outcomes.append(CallOutcome(r["ok"]))
        else:
            err = decode_error(r.get("error") if isinstance(r, dict) else None)
            outcomes.append(CallOutcome(error=err["message"] if err else "failed"))
    return CallEvent(tuple(outcomes))


class Progress:
    """A shared page holding (cell, statement) of what the child is running.

    The grader creates it (`Progress.create`) and passes the descriptor to the child; the
    child `mark`s before each statement (a memory write, no system call) and `len(groups)`
    while its answers are read; the grader `read`s it after a hang or crash.
    """

    _FORMAT = struct.Struct("<ii")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._map = mmap.mmap(fd, self._FORMAT.size)

    @classmethod
    def create(cls) -> Progress:
        fd = os.memfd_create("autograder-progress", os.MFD_CLOEXEC)
        os.ftruncate(fd, cls._FORMAT.size)
        return cls(fd)

    def mark(self, cell: int, statement: int) -> None:
        self._FORMAT.pack_into(self._map, 0, cell, statement)

    def read(self) -> tuple[int, int]:
        cell, statement = self._FORMAT.unpack_from(self._map, 0)
        return cell, statement

    def close(self) -> None:
        self._map.close()
        os.close(self.fd)
