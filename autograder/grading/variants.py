"""Answers that only fit the given data: run a submission again on fresh instances of the
assignment's data and check each answer against that instance's targets.

An answer right on the notebook's data and wrong on a fresh instance is flagged, with what it
was and the line that made it as evidence. A flag never changes a grade: it is for a person to
review. A submission that fails to run on fresh data is reported, not flagged.
"""
from __future__ import annotations

import ast
import hashlib
import numpy as np

from autograder.assignment import Assignment, Question
from autograder.checks.compare import fmt
from autograder.checks.values import Answer, decode_wire
from autograder.grading.pipeline import MAX_ELEMENTS, Prepared, build_plan, check_question, inspect_key
from autograder.grading.report import Finding, GradeReport
from autograder.pyparse import PARSE_ERRORS, parse
from autograder.sandbox.pool import ServerPool
from autograder.sandbox.protocol import CellStatus
from autograder.sandbox.runner import RunOutcome, run_plan

FITS_ONLY = "fits only the given data"
NOT_RUN = "did not run on fresh data"


def variant_seed(digest: str, index: int) -> int:
    """The fresh instance a submission's `index`th variant run uses (the same on every machine)."""
    return int(hashlib.sha256(f"{digest}:{index}".encode()).hexdigest()[:8], 16)


def find_fits(prepared: Prepared, report: GradeReport, assignment: Assignment, pool: ServerPool) -> list[Finding]:
    """Run `prepared` on `assignment.variants.count` fresh instances; the answers that passed on the
    notebook's data and fail on one of them."""
    variants = assignment.variants
    if variants is None or prepared.plan is None or prepared.submission is None or CellStatus.TIMEOUT in report.trouble:
        return []  # a submission that timed out would only time out again
    passed = {r.question.id for r in report.questions if r.passed}
    questions = [q for q in assignment.code_questions if not q.is_function and q.id in passed]
    setup = setup_cell(prepared, variants.names, questions)
    if not questions or setup is None:
        return []
    findings: dict[str, Finding] = {}
    original = {r.question.id: r.answer for r in report.questions}
    for index in range(variants.count):
        seed = variant_seed(prepared.digest, index)
        data = assignment.instance(seed)
        plan = build_plan(prepared.cells, prepared.where, assignment, prepared.inputs)
        plan.inject = {setup: inject_source({n: data[n] for n in variants.names})}
        outcome = pool.run(lambda conn: run_plan(plan, assignment.limits, conn))
        broke = _broke(outcome, report)
        if broke:
            return [Finding("", NOT_RUN, f"on a fresh instance of {', '.join(variants.names)} your code {broke}")]
        answers = {q.id: decode_wire(q.answer, outcome.captures.get(q.id), MAX_ELEMENTS) for q in questions}
        for q in questions:
            seen = {n: decode_wire(n, outcome.captures.get(inspect_key(q.id, n)), MAX_ELEMENTS) for n in q.inspect}
            _, _, score = check_question(q, answers[q.id], answers, seen, None, assignment, seed=seed)
            if score < q.points - 1e-9 and q.id not in findings:
                was = original.get(q.id)
                uses = [dep for dep in q.uses if dep in findings]
                findings[q.id] = Finding(q.id, FITS_ONLY, (
                    f"it uses your answer to {', '.join(uses)}, which fits only the given data" if uses else
                    _evidence(q, was.answer() if was else None, answers[q.id], prepared, variants.names)))
    return list(findings.values())


def _broke(outcome: RunOutcome, report: GradeReport) -> str | None:
    """How the variant run failed where the graded run did not (stopped, hung or crashed), if it did."""
    if outcome.failure is not None:
        return outcome.failure.message
    for i, cell in sorted(outcome.cells.items()):
        if cell.status in (CellStatus.CRASHED, CellStatus.TIMEOUT) and cell.status not in report.trouble:
            return f"{cell.error['message'] if cell.error else cell.status.value} (cell {i + 1})"
    return None


def setup_cell(prepared: Prepared, names: list[str], questions: list[Question]) -> int | None:
    """The last cell before the first question's that assigns one of `names` (the set-up cell)."""
    first = min((prepared.where[q.id].cell for q in questions if prepared.where[q.id].cell is not None), default=None)
    last = None
    for i, cell in enumerate(prepared.cells[:first]):
        if _assigns(cell.source, set(names)):
            last = i
    return last


def _assigns(source: str, names: set[str]) -> bool:
    try:
        tree = parse(source)
    except PARSE_ERRORS:
        return False
    return any(isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in names
               for node in ast.walk(tree))


def inject_source(data: dict[str, np.ndarray]) -> str:
    """Code that puts `data` in place of the notebook's variables, as the same kind of array they were."""
    lines = ["def __autograder_like(old, new):",
             "    kind = type(old).__module__.split('.')[0]",
             "    if kind == 'torch':",
             "        return __import__('torch').tensor(new, dtype=old.dtype)",
             "    if kind == 'numpy':",
             "        return __import__('numpy').asarray(new, dtype=old.dtype)",
             "    return new"]
    lines += [f"{name} = __autograder_like(globals().get({name!r}), {np.asarray(value, dtype=float).tolist()!r})"
              for name, value in data.items()]
    return "\n".join(lines + ["del __autograder_like"])


def _evidence(q: Question, was: Answer | None, now: Answer, prepared: Prepared, names: list[str]) -> str:
    """What the answer was on the notebook's data and on the fresh one, and the line that made it."""
    before = fmt(was.array) if was is not None and was.usable else "?"
    after = fmt(now.array) if now.usable else (now.problem or "?")
    same = was is not None and was.usable and now.usable and np.array_equal(was.array, now.array)
    text = f"`{q.answer}` = {before} with the notebook's {', '.join(names)}"
    text += (", and the same with fresh ones: it does not depend on them (a literal?)" if same
             else f", {after} with fresh ones, which the checks reject")
    line = _assigning_line(prepared, q)
    return text + (f"; your code: `{line}`" if line else "")


def _assigning_line(prepared: Prepared, q: Question) -> str:
    """The last line of the question's cell that assigns its answer."""
    index = prepared.where[q.id].cell
    if index is None:
        return ""
    cell = prepared.cells[index]
    try:
        tree = parse(cell.source)
    except PARSE_ERRORS:
        return ""
    lines = [node.lineno for node in ast.walk(tree)
             if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == q.answer]
    return cell.source.split("\n")[max(lines) - 1].strip()[:200] if lines else ""
