"""`OUTDIR/roster.json`: each submission of the last batch and its students, so that the course
report and the score imports can be made from OUTDIR alone (`autograder report OUTDIR`).

Written at the end of every batch, from the batch's entries (Gradescope's metadata); read
defensively: a missing or damaged roster costs the names, never the report.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter

from autograder.batch.discover import Entry
from autograder.batch.metadata import Student
from autograder.results.atomic import write_atomic

ROSTER = "roster.json"
SCHEMA = 1


@dataclass(frozen=True)
class Listed:
    """One submission of the batch: its students, and why it was not graded (if it was not); a
    `refused` one has no results of its own (OUTDIR/<key> may even lead elsewhere)."""

    students: list[Student] = field(default_factory=list)
    problem: str = ""
    refused: bool = False


_ADAPTER = TypeAdapter(dict[str, Listed])


def write_roster(entries: list[Entry], outdir: Path) -> None:
    """Write OUTDIR/roster.json atomically: submission key -> its students (in the batch's order)."""
    roster = {e.key: Listed(e.students, e.problem, e.refused) for e in entries}
    data = {"schema": SCHEMA, "submissions": _ADAPTER.dump_python(roster, mode="json")}
    write_atomic(outdir / ROSTER, json.dumps(data, ensure_ascii=False))


def read_roster(outdir: Path) -> dict[str, Listed] | None:
    """The roster of OUTDIR, or None if it is missing or damaged."""
    try:
        data = json.loads((outdir / ROSTER).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            return None
        return _ADAPTER.validate_python(data.get("submissions"))
    except (OSError, ValueError, RecursionError):  # pydantic's ValidationError is a ValueError
        return None
