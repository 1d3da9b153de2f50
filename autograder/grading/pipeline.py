"""Grade one submission: each step is a small function; data flows one way."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import Assignment, Question
from autograder.checks.api import CallResult, Context, Part
from autograder.checks.public import public_parts
from autograder.checks.values import Answer, decode_wire
from autograder.grading.report import GradeReport, QuestionResult, score_parts
from autograder.locate import Located, Target, locate
from autograder.sandbox.launcher import Connection, require_isolation
from autograder.sandbox.pool import ServerPool
from autograder.sandbox.plan import Call, Capture, Plan, PlanCell
from autograder.sandbox.runner import CellReport, RunOutcome, run_plan
from autograder.submission import Cell, Submission, SubmissionError
from autograder.submission.load import load_bytes, read_submission

MAX_ELEMENTS = 1_000_000
_PARSE_ERRORS = ("SyntaxError", "IndentationError", "TabError")


@dataclass
class Prepared:
    """A submission read, split, located and compiled: all the grading that needs no child process."""

    name: str
    fingerprint: str
    seconds: float  # spent preparing
    submission: Submission | None = None
    cells: list[Cell] = field(default_factory=list)
    where: dict[str, Located] = field(default_factory=dict)
    inputs: dict[str, list] = field(default_factory=dict)
    plan: Plan | None = None
    problem: str | None = None  # the file could not be read at all


def grade_file(path: Path | str, assignment: Assignment, public_only: bool = False,
               pool: ServerPool | None = None) -> GradeReport:
    """Grade the file at `path`; never raises for anything the student did.

    `pool` runs the student's code (a server is started for this file without one).
    """
    if pool is None:
        with ServerPool(assignment.preload) as own:
            return grade_file(path, assignment, public_only, own)
    require_isolation(pool.level, assignment.minimum_isolation)
    return grade_prepared(prepare_file(Path(path), assignment), assignment, pool, public_only)


def prepare_file(path: Path, assignment: Assignment) -> Prepared:
    """Read, split, locate and compile the file at `path` (batches do this ahead of the runs)."""
    start = time.monotonic()
    data: bytes | None = None
    try:
        data = read_submission(path)
        submission = load_bytes(data, path.name)
    except SubmissionError as e:
        return Prepared(path.name, fingerprint(data, assignment), time.monotonic() - start, problem=str(e))
    cells, where = locate(submission.cells, [Target(q.id, q.prompt, q.answer) for q in assignment.questions])
    inputs = {q.id: assignment.registry.inputs[q.id]() for q in assignment.questions
              if q.is_function and q.id in assignment.registry.inputs}
    plan = build_plan(cells, where, assignment, inputs)
    plan.compile()
    return Prepared(path.name, fingerprint(data, assignment), time.monotonic() - start,
                    submission, cells, where, inputs, plan)


def grade_prepared(prepared: Prepared, assignment: Assignment, pool: ServerPool,
                   public_only: bool = False) -> GradeReport:
    """Run a prepared submission in a child of `pool` and check every question."""
    start = time.monotonic()
    if prepared.problem is not None:
        report = unreadable(assignment, prepared.name, prepared.problem, public_only)
    else:
        report = pool.run(lambda conn: grade_submission(prepared, assignment, conn, public_only))
    report.fingerprint = prepared.fingerprint
    report.execution_time = prepared.seconds + time.monotonic() - start
    return report


def fingerprint(data: bytes | None, assignment: Assignment) -> str:
    """Identifies a grade: the submission's bytes (None: unreadable), the assignment's config and
    checks, the grader."""
    h = hashlib.sha256(assignment.fingerprint.encode())
    h.update(b"<unreadable>" if data is None else data)
    return h.hexdigest()[:32]


def file_fingerprint(path: Path, assignment: Assignment) -> str:
    """The fingerprint grading `path` now would give its results."""
    try:
        return fingerprint(read_submission(path), assignment)
    except SubmissionError:
        return fingerprint(None, assignment)


def unreadable(assignment: Assignment, name: str, message: str, public_only: bool = False) -> GradeReport:
    """The report for a file that could not be read at all: every question at zero, one clear reason."""
    results = [QuestionResult(q, 0.0, [f"Not graded: {message}"]) for q in assignment.questions]
    return GradeReport(assignment.name, name, "unreadable", results, failure=message, public_only=public_only)


def grade_submission(prepared: Prepared, assignment: Assignment, conn: Connection,
                     public_only: bool = False) -> GradeReport:
    """Run the submission's cells in isolation and check every question."""
    submission, cells, where, inputs = prepared.submission, prepared.cells, prepared.where, prepared.inputs
    assert submission is not None and prepared.plan is not None
    outcome = run_plan(prepared.plan, assignment.limits, conn)
    answers = {q.id: decode_wire(q.answer, outcome.captures.get(q.id), MAX_ELEMENTS) for q in assignment.questions}
    results = [
        grade_question(q, answers, outcome, cells, where[q.id], assignment, inputs, public_only)
        for q in assignment.questions
    ]
    notes = submission.notes + _run_notes(outcome, cells, {loc.cell for loc in where.values()})
    if outcome.tampering:
        notes.append(f"Your code wrote to the grader's private channel; ignored ({outcome.tampering}).")
    return GradeReport(assignment.name, submission.path_name, submission.format, results, notes,
                       outcome.output, outcome.failure, isolation=conn.isolation, public_only=public_only)


def _run_notes(outcome: RunOutcome, cells: list[Cell], question_cells: set[int | None]) -> list[str]:
    """Notes from the run, and the errors of cells no question reads (those explain later failures)."""
    notes = []
    for i, report in sorted(outcome.cells.items()):
        cell = cells[i]
        notes += [f"{cell.where(line) if line else cell.label}: {text}" for line, text in report.notes]
        if i not in question_cells and report.error:
            err = report.error
            line = err.get("line") if isinstance(err.get("line"), int) else None
            code = _source_line(cells, line)
            notes.append(f"{cell.where(line) if line else cell.label}: {err.get('message')}"
                         + (f" (`{code}`)" if code else "") + "; the rest of that cell did not run")
    return notes


def build_plan(cells: list[Cell], where: dict[str, Located], assignment: Assignment,
               inputs: dict[str, list]) -> Plan:
    """The plan the child runs: every cell, and after each question's cell, what to read."""
    plan = Plan([PlanCell(c.source, c.filename, c.first_line) for c in cells], max_elements=MAX_ELEMENTS)
    for q in assignment.questions:
        loc = where[q.id]
        if q.is_function:
            call = Call(q.id, q.answer, inputs.get(q.id, []))
            (plan.final_calls if loc.cell is None else plan.calls.setdefault(loc.cell, [])).append(call)
        else:
            cap = Capture(q.id, q.answer)
            (plan.final_captures if loc.cell is None else plan.captures.setdefault(loc.cell, [])).append(cap)
    return plan


def grade_question(q: Question, answers: dict[str, Answer], outcome: RunOutcome, cells: list[Cell],
                   loc: Located, assignment: Assignment, inputs: dict[str, list],
                   public_only: bool) -> QuestionResult:
    """Public checks, then (unless public_only) the hidden check; explain everything."""
    lines = [_where(q, loc, cells)]
    cell = "not found" if loc.cell is None else _cell_kind(outcome.cells.get(loc.cell))
    if loc.cell is not None:
        lines += _cell_trouble(outcome.cells.get(loc.cell), cells)
    if outcome.failure:
        lines.append(f"Grading stopped early: your code {outcome.failure}.")
    answer = answers[q.id]
    if q.is_function:
        calls, parts = _function_calls(q, outcome, inputs.get(q.id, []))
    else:
        calls, parts = [], public_parts(answer, q.shapes)
    if not public_only and all(p.passed for p in parts):
        ctx = Context(answer, answers, q.tolerance, calls)
        assignment.registry.checks[q.id](ctx)
        parts += ctx.parts
    lines += [p.message if not (p.weight or p.required) else ("✓ " if p.passed else "✗ ") + p.message
              for p in parts if p.message]
    score = 0.0 if public_only else score_parts(parts, q.points, q.partial_credit)
    return QuestionResult(q, score, lines, cell)


def _where(q: Question, loc: Located, cells: list[Cell]) -> str:
    if loc.cell is None:
        return (f"Could not find the cell for {q.id} (its prompt comment and an assignment to `{q.answer}` "
                f"are missing); used the value `{q.answer}` had at the end of your file.")
    how = "by its prompt" if loc.how == "prompt" else f"where `{q.answer}` is assigned (its prompt is missing)"
    return f"Answer read from `{q.answer}` right after your cell at {cells[loc.cell].label} ({how})."


def _source_line(cells: list[Cell], lineno: object) -> str:
    """The student's text of a reported line (errors may point into an earlier cell's helper)."""
    if not isinstance(lineno, int):
        return ""
    return next((text for c in cells if (text := c.line(lineno))), "")


def _cell_kind(report: CellReport | None) -> str:
    if report is None:
        return "not run"
    if report.error and report.error.get("type") in _PARSE_ERRORS:
        return "syntax error"
    return {"ok": "ok", "error": "error", "timeout": "timeout", "crashed": "crashed"}.get(report.status, "not run")


def _cell_trouble(report: CellReport | None, cells: list[Cell]) -> list[str]:
    if report is None:
        return ["✗ That cell never ran."]
    if report.status == "ok" or report.error is None:
        return []
    err = report.error
    at = f" at line {err['line']}" if isinstance(err.get("line"), int) else ""
    code = _source_line(cells, err.get("line"))
    code = f" (`{code}`)" if code else ""
    if err.get("type") in _PARSE_ERRORS:
        return [f"✗ That cell has a {err.get('type')}{at}{code}, so it did not run."]
    if report.status in ("timeout", "crashed"):
        return [f"✗ That cell {err.get('message')} and was skipped."]
    return [f"! That cell raised {err.get('message')}{at}{code}; its answer is read as the cell left it."]


def _function_calls(q: Question, outcome: RunOutcome, inputs: list) -> tuple[list[CallResult], list[Part]]:
    """Decode a function answer's calls; public part: the name is bound to a function."""
    event = outcome.calls.get(q.id)
    results = event.get("results") if isinstance(event, dict) else None
    if not isinstance(results, list):
        wire = event.get("value") if isinstance(event, dict) else None
        found = decode_wire(q.answer, wire, MAX_ELEMENTS)
        problem = found.problem if not found.usable else f"`{q.answer}` is a {found.describe()}, not a function"
        return [], [Part(False, problem or f"`{q.answer}` is not a function", required=True)]
    calls = []
    for args, r in zip(inputs, results):
        if isinstance(r, dict) and "ok" in r:
            calls.append(CallResult(args, decode_wire(f"{q.answer}(...)", r["ok"], MAX_ELEMENTS)))
        else:
            err = r.get("error") if isinstance(r, dict) else None
            msg = err.get("message") if isinstance(err, dict) else "failed"
            calls.append(CallResult(args, None, str(msg)[:300]))
    return calls, [Part(True, f"`{q.answer}` is a function", 0.0, True)]
