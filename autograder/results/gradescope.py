"""Gradescope's results.json format (one test per question)."""
from __future__ import annotations

import json
from pathlib import Path

from autograder import __version__
from autograder.grading.report import GradeReport
from autograder.results.atomic import write_json

MAX_STUDENT_OUTPUT = 8000
MAX_BYTES = 1_000_000  # results.json as written (UTF-8 JSON); Gradescope's practical limit
SHORTENED = "\n[... shortened: results.json is kept under 1 MB]"


def results_json(report: GradeReport) -> dict:
    """The results.json document for `report`, at most MAX_BYTES when written."""
    return _fit(_document(report))


def _document(report: GradeReport) -> dict:
    status, note = report.status()
    tests = [
        {
            "name": q.question.name,
            "number": q.question.id,
            "score": q.score,
            "max_score": q.question.points,
            "status": "passed" if q.passed else "failed",
            "output": "\n".join(q.lines),
            "output_format": "text",
            "visibility": q.question.visibility,
        }
        for q in report.questions
    ]
    return {
        "score": report.score,
        "execution_time": round(report.execution_time, 3),
        "output": _summary(report),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "assignment": report.assignment,
            "submission": report.submission,
            "format": report.format,
            "isolation": report.isolation,
            "grader_version": __version__,
            "failure": report.failure,
            "status": status,
            "note": note,
            "fingerprint": report.fingerprint,
        },
    }


def _summary(report: GradeReport) -> str:
    read = "" if report.grader_failed else f", read as {report.format}"
    lines = [f"{report.assignment}: {report.score:g} / {report.max_score:g} points ({report.submission}{read})."]
    if report.failure:
        lines.append(f"Problem: {report.failure}")
    lines += [f"Note: {n}" for n in report.notes]
    if report.student_output.strip():
        out = report.student_output
        if len(out) > MAX_STUDENT_OUTPUT:
            out = out[:MAX_STUDENT_OUTPUT] + "\n[... output shortened]"
        lines += ["", "What your code printed:", out.rstrip()]
    return "\n".join(lines)


def _fit(doc: dict) -> dict:
    """`doc` with its longest outputs shortened until it fits in MAX_BYTES (every text is capped
    upstream; this bounds what escaping and many questions add up to)."""
    while (size := _size(doc)) > MAX_BYTES:
        holder = max([doc, *doc["tests"]], key=lambda d: _size(d["output"]))
        text = holder["output"].removesuffix(SHORTENED)
        if not text:
            break  # only what the config names is left (question titles): nothing of the student's
        keep = max(0, len(text) - (size - MAX_BYTES) * len(text) // _size(text) - len(SHORTENED) - 1)
        holder["output"] = text[:keep] + SHORTENED
    return doc


def _size(value: object) -> int:
    return len(json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8", errors="replace"))


def write_results(report: GradeReport, path: Path | str) -> None:
    """Write results.json atomically (a reader never sees a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, results_json(report))
