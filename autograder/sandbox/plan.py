"""The run plan: everything the untrusted child needs, as plain data.

The trusted side builds a plan from the submission's cells and the assignment's
questions and compiles the cells; the child executes it and reports events (JSON).
The plan crosses as marshal data: only ever from the trusted side to the child.
"""
from __future__ import annotations

import marshal
from dataclasses import asdict, dataclass, field

from autograder.checks.calls import CODE_FILENAME, Arg, Call
from autograder.sandbox.compiled import compile_cell
from autograder.sandbox.protocol import ArgKind


@dataclass(frozen=True)
class PlanCell:
    source: str
    filename: str
    first_line: int


@dataclass(frozen=True)
class Capture:
    """Read variable `name` (a value answer) and report it under `key`."""

    key: str
    name: str


@dataclass(frozen=True)
class PlannedCall:
    """One call of a function answer as the child makes it: each argument as (kind, dtype, value),
    with a `code` argument compiled here; the seed to set first, and the call's timeout in seconds."""

    args: list[tuple]
    kwargs: dict[str, tuple]
    seed: int | None
    timeout: float

    @classmethod
    def of(cls, call: Call, timeout: float) -> PlannedCall:
        """`call` as plain data; `timeout` unless the call sets its own."""
        return cls([_wire(a) for a in call.args], {k: _wire(a) for k, a in call.kwargs.items()}, call.seed,
                   call.timeout or timeout)


def _wire(arg: Arg) -> tuple:
    if arg.kind == ArgKind.CODE:
        return arg.kind.value, arg.dtype, compile(arg.value, CODE_FILENAME, "eval", dont_inherit=True)
    return arg.kind.value, arg.dtype, arg.value


@dataclass(frozen=True)
class Calls:
    """Call function `name` as each of `calls` says and report the results under `key`."""

    key: str
    name: str
    calls: list[PlannedCall]


INJECT_FILENAME = "<grader: data>"


@dataclass
class Plan:
    cells: list[PlanCell]
    captures: dict[int, list[Capture]] = field(default_factory=dict)
    calls: dict[int, list[Calls]] = field(default_factory=dict)
    final_captures: list[Capture] = field(default_factory=list)
    final_calls: list[Calls] = field(default_factory=list)
    # cell -> statements that hung or crashed a previous attempt: code no question reads from
    # skips them; a question's cell stops before the first (its answer is read as it was then).
    stopped: dict[int, list[int]] = field(default_factory=dict)
    # function answer's key -> its calls that hung or crashed a previous attempt: not made again
    stopped_calls: dict[str, list[int]] = field(default_factory=dict)
    # cell -> trusted code run right after it (a variant run puts a fresh instance of the data in place)
    inject: dict[int, str] = field(default_factory=dict)
    max_elements: int = 100_000
    _compiled: list[dict] | None = field(default=None, init=False, repr=False, compare=False)

    def compile(self) -> list[dict]:
        """Compile every cell (once per plan; cells no answer is read from are recovered)."""
        if self._compiled is None:
            read = self.captures.keys() | self.calls.keys()
            self._compiled = []
            for i, c in enumerate(self.cells):
                compiled = compile_cell(c.source, c.filename, c.first_line, recover=i not in read)
                self._compiled.append({"filename": c.filename, "groups": [tuple(g) for g in compiled.groups],
                                       "error": compiled.error, "notes": list(compiled.notes),
                                       "recover": i not in read})
        return self._compiled

    def call_timeouts(self) -> dict[str, list[float]]:
        """Each function answer's key -> the timeout of each of its calls."""
        every = [*self.final_calls, *(c for calls in self.calls.values() for c in calls)]
        return {c.key: [p.timeout for p in c.calls] for c in every}

    def to_bytes(self) -> bytes:
        """The plan as the child reads it."""
        return marshal.dumps({
            "cells": self.compile(),
            "captures": {i: [asdict(c) for c in caps] for i, caps in self.captures.items()},
            "calls": {i: [asdict(c) for c in calls] for i, calls in self.calls.items()},
            "final_captures": [asdict(c) for c in self.final_captures],
            "final_calls": [asdict(c) for c in self.final_calls],
            "stopped": {i: list(s) for i, s in self.stopped.items()},
            "stopped_calls": {k: list(s) for k, s in self.stopped_calls.items()},
            "inject": {i: compile(src, INJECT_FILENAME, "exec", dont_inherit=True) for i, src in self.inject.items()},
            "max_elements": self.max_elements,
        })
