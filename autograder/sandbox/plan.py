"""The run plan: everything the untrusted child needs, as plain data.

The trusted side builds a plan from the submission's cells and the assignment's
questions and compiles the cells; the child executes it and reports events (JSON).
The plan crosses as marshal data: only ever from the trusted side to the child.
"""
from __future__ import annotations

import marshal
from dataclasses import asdict, dataclass, field

from autograder.sandbox.compiled import compile_cell


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
class Call:
    """Call function `name` once per argument list in `inputs` and report the results."""

    key: str
    name: str
    inputs: list
    convert: str = "torch"


@dataclass
class Plan:
    cells: list[PlanCell]
    captures: dict[int, list[Capture]] = field(default_factory=dict)
    calls: dict[int, list[Call]] = field(default_factory=dict)
    final_captures: list[Capture] = field(default_factory=list)
    final_calls: list[Call] = field(default_factory=list)
    # cell -> statements that hung or crashed a previous attempt: code no question reads from
    # skips them; a question's cell stops before the first (its answer is read as it was then).
    stopped: dict[int, list[int]] = field(default_factory=dict)
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

    def to_bytes(self) -> bytes:
        """The plan as the child reads it."""
        return marshal.dumps({
            "cells": self.compile(),
            "captures": {i: [asdict(c) for c in caps] for i, caps in self.captures.items()},
            "calls": {i: [asdict(c) for c in calls] for i, calls in self.calls.items()},
            "final_captures": [asdict(c) for c in self.final_captures],
            "final_calls": [asdict(c) for c in self.final_calls],
            "stopped": {i: list(s) for i, s in self.stopped.items()},
            "max_elements": self.max_elements,
        })
