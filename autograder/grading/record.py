"""`report.json`: a GradeReport stored as it is, next to results.json.

Batch resumption, `grades.csv`, regrading and the course report read this file; nothing reads a
rendered format back.
"""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from autograder.grading.report import GradeReport
from autograder.results.atomic import write_atomic

REPORT = "report.json"
SCHEMA = 1  # bumped when a stored report can no longer be read as a GradeReport
_ADAPTER = TypeAdapter(GradeReport)


def report_to_dict(report: GradeReport) -> dict:
    """The report as JSON-ready data (NaN and infinite errors as JSON's constants, which Python reads)."""
    return {"schema": SCHEMA, **_ADAPTER.dump_python(report, mode="json")}


def report_from_dict(data: object) -> GradeReport | None:
    """The report stored in `data`, or None if it is not one this grader wrote."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return None
    try:
        return _ADAPTER.validate_python({k: v for k, v in data.items() if k != "schema"})
    except ValidationError:
        return None


def write_report(report: GradeReport, path: Path) -> None:
    """Write report.json atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(report_to_dict(report), ensure_ascii=False, allow_nan=True))


def read_report(path: Path) -> GradeReport | None:
    """The report stored at `path`, or None if it is missing or damaged."""
    try:
        return report_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, RecursionError):
        return None
