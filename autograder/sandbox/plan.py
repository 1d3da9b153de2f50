"""The run plan: everything the untrusted child needs, as plain JSON data.

The trusted side builds a plan from the submission's cells and the assignment's
questions; the child executes it and reports events. Nothing but JSON crosses.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


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
    skip: list[int] = field(default_factory=list)
    max_elements: int = 1_000_000

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode()
