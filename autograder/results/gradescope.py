"""Gradescope's results.json format: one test per question, its output the question's HTML feedback
(with its heatmaps as data URIs), and the summary with the student's printed output as text."""
from __future__ import annotations

import json
from pathlib import Path

from autograder import __version__
from autograder.grading.report import GradeReport
from autograder.results.atomic import write_json
from autograder.results.explain import question_lines
from autograder.results.feedback_html import question_html

MAX_STUDENT_OUTPUT = 8000
MAX_BYTES = 1_000_000  # results.json as written (UTF-8 JSON); Gradescope's practical limit
SHORTENED = "\n[... shortened: results.json is kept under 1 MB]"


def results_json(report: GradeReport) -> dict:
    """The results.json document for `report`, at most MAX_BYTES when written."""
    return _fit(_document(report), report)


def _document(report: GradeReport) -> dict:
    status, note = report.status()
    tests = [
        {
            "name": q.question.name,
            "number": q.question.id,
            "score": q.score,
            "max_score": q.question.points,
            "status": "passed" if q.passed else "failed",
            "output": question_html(q),
            "output_format": "html",
            "visibility": q.question.visibility,
        }
        for q in report.questions
    ]
    return {
        "score": report.score,
        "execution_time": round(report.execution_time, 3),
        "output": _summary(report),
        "output_format": "text",
        "test_output_format": "html",
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


def _fit(doc: dict, report: GradeReport) -> dict:
    """`doc` made to fit in MAX_BYTES (every text is capped upstream; this bounds what pictures,
    escaping and many questions add up to): first without pictures, then with its longest outputs
    shortened, a question's HTML replaced by its text first (text is cut anywhere, HTML is not)."""
    if _size(doc) <= MAX_BYTES:
        return doc
    for test, q in zip(doc["tests"], report.questions):
        test["output"] = question_html(q, images=False)
    holders = [doc, *doc["tests"]]
    while (size := _size(doc)) > MAX_BYTES:
        i = max(range(len(holders)), key=lambda i: _size(holders[i]["output"]))
        holder = holders[i]
        if holder["output_format"] == "html":  # a test (the summary is text)
            holder["output"], holder["output_format"] = "\n".join(question_lines(report.questions[i - 1])), "text"
            continue
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
