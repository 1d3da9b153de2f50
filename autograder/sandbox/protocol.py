"""The child <-> grader protocol in one place: event kinds, statuses, the progress page, and
the validation of everything the (untrusted) child reports, and the kinds of argument the grader
asks a function answer to be called with.

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
MAX_OUTPUTS = 32  # values read from one call's returned tuple or list


class Ev(str, Enum):
    """Event kinds, in the order a run sends them: ready, then per cell start, notes, raised
    statements, end, captures and function answers (call, then calling and returned per call);
    done at the end."""

    READY = "ready"
    START = "start"
    NOTE = "note"
    RAISED = "raised"  # a statement of code no question reads from raised; the cell goes on
    END = "end"
    CAPTURE = "capture"
    CALL = "call"  # a function answer: whether its name holds a function (else the value it holds)
    CALLING = "calling"  # one of its calls starts: that call's own timeout applies until the next event
    RETURNED = "returned"  # that call's result: its returned values or its error
    DONE = "done"


class CellStatus(str, Enum):
    """How a cell (or one of its statements) ended."""

    OK = "ok"
    RAISED = "error"
    SYNTAX = "syntax error"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    NOT_RUN = "not run"


class ArgKind(str, Enum):
    """How the child builds an argument of a function answer from the plan's plain data."""

    TENSOR = "tensor"  # a torch tensor of one of DTYPES, from nested lists of numbers
    ARRAY = "array"  # a numpy array of one of DTYPES, from nested lists of numbers
    PY = "py"  # a plain Python value, as it is
    CODE = "code"  # an expression of the assignment's author, evaluated in the notebook's namespace


DTYPES = ("float32", "float64", "int64", "int32", "bool")  # the same names in torch and numpy


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
    """One call of a function answer: the values it returned (wire data, still to be validated; a
    tuple or list gives one per element) or its error message."""

    outputs: tuple[object, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class CallEvent:
    """What the run reported for a function answer: one outcome per planned call, or (`outcomes`
    None) the value the name had instead of a function."""

    outcomes: tuple[CallOutcome, ...] | None
    value: object = None


NOT_CALLED = "was not called (the run stopped before it)"


def decode_call(event: object, returned: dict[int, object], stopped: dict[int, str], calls: int) -> CallEvent | None:
    """A function answer as plain data, from its `call` event, the `returned` events of its calls by
    index and the calls that hung or crashed (`stopped`: the grader's message for each); one outcome
    per planned call (None: the run never reached it)."""
    if isinstance(event, dict) and event.get("callable") is not True:
        return CallEvent(None, event.get("value"))
    if not isinstance(event, dict) and not returned and not stopped:
        return None
    return CallEvent(tuple(CallOutcome(error=stopped[i]) if i in stopped else _returned(returned.get(i))
                           for i in range(calls)))


def _returned(event: object) -> CallOutcome:
    """One `returned` event: at most MAX_OUTPUTS values (more is an error), or the error it raised."""
    if not isinstance(event, dict):
        return CallOutcome(error=NOT_CALLED)
    if "error" in event:
        err = decode_error(event["error"])
        return CallOutcome(error=err["message"] if err else "failed")
    outputs, count = event.get("outputs"), event.get("too_many")
    if type(count) is int:
        return CallOutcome(error=f"returned {count} values; the grader reads at most {MAX_OUTPUTS}")
    if not isinstance(outputs, list) or len(outputs) > MAX_OUTPUTS:
        return CallOutcome(error="returned something the grader could not read")
    return CallOutcome(tuple(outputs))


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
