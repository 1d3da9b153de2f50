"""`autograder validate`: is an assignment ready to hand out? Every failure names its question
and the reason."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.assign.otter_format import MasterFormatError, parse_master
from autograder.assignment import Assignment
from autograder.grading.pipeline import grade_file
from autograder.grading.report import GradeReport
from autograder.locate import Target, locate
from autograder.results.explain import part_text
from autograder.sandbox.pool import ServerPool
from autograder.submission import SubmissionError
from autograder.submission.load import load_bytes, read_submission
from autograder.written import find_written


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the assignment: which question (None: the assignment) and why."""

    question: str | None
    problem: str

    def __str__(self) -> str:
        return f"{self.question}: {self.problem}" if self.question else self.problem


def master_name(question_id: str) -> str:
    """The name the master notebook gives question `question_id` ("1.2.1" -> "q1_2_1")."""
    return "q" + re.sub(r"\W", "_", question_id)


def validate(assignment: Assignment, pool: ServerPool) -> list[Finding]:
    """Everything that keeps the assignment from being handed out (empty: ready)."""
    findings = _master_points(assignment) + _prompts(assignment)
    for solution in assignment.solutions:
        findings += _graded(grade_file(solution, assignment, pool=pool), full=True, path=solution, root=assignment.root)
    if assignment.notebook is not None:
        findings += _graded(grade_file(assignment.notebook, assignment, pool=pool), full=False,
                            path=assignment.notebook, root=assignment.root)
    return findings


def _master_points(assignment: Assignment) -> list[Finding]:
    """The master's questions and points agree with the config's."""
    if assignment.master is None:
        return []
    try:
        master = parse_master(nbformat.read(str(assignment.master), as_version=4))
    except (MasterFormatError, OSError, ValueError) as e:
        return [Finding(None, f"{assignment.master.name}: {e}")]
    points = {q.name: q.points for q in master.questions}
    findings = []
    for q in assignment.questions:
        name = master_name(q.id)
        if name not in points:
            findings.append(Finding(q.id, f"no question named {name} in {assignment.master.name}"))
        elif float(points[name]) != q.points:
            findings.append(Finding(q.id, f"{points[name]} points in {assignment.master.name}, {q.points:g} in the config"))
    known = {master_name(q.id) for q in assignment.questions}
    findings += [Finding(None, f"{assignment.master.name} has question {name}, which the config does not grade")
                 for name in points if name not in known]
    return findings


def _prompts(assignment: Assignment) -> list[Finding]:
    """Every question's prompt is in the student notebook, and each solution assigns its answer there."""
    findings = []
    for path in [p for p in (assignment.notebook, *assignment.solutions) if p is not None]:
        try:
            submission = load_bytes(read_submission(path), path.name)
        except SubmissionError as e:
            findings.append(Finding(None, f"{path.name}: {e}"))
            continue
        texts = find_written(submission, {q.id: q.prompt for q in assignment.questions if q.is_written})
        findings += [Finding(qid, f"{path.name}: its prompt {prompt!r} is not found in the prose cells")
                     for qid, prompt in ((q.id, q.prompt) for q in assignment.questions if q.is_written)
                     if texts[qid] is None]
        _, where = locate(submission.cells, [Target(q.id, q.prompt, q.answer) for q in assignment.code_questions])
        for q in assignment.code_questions:
            loc = where[q.id]
            if loc.cell is None:
                findings.append(Finding(q.id, f"{path.name}: neither its prompt {q.prompt!r} nor `{q.answer}` is found"))
            elif loc.how != "prompt":
                findings.append(Finding(q.id, f"{path.name}: its prompt {q.prompt!r} is not found (the cell was found "
                                              f"by `{q.answer}`)"))
    return findings


def _graded(report: GradeReport, full: bool, path: Path, root: Path) -> list[Finding]:
    """A reference solution scores full marks (`full`), the blank notebook zero, each without trouble."""
    name = path.relative_to(root) if path.is_relative_to(root) else path
    findings = [Finding(None, f"{name}: {report.failure}")] if report.failure else []
    for r in (r for r in report.questions if not r.question.written):  # a person grades those
        if full and not r.passed:
            why = "; ".join(part_text(p) for p in r.failed_parts[:2]) or "; ".join(m.text for m in r.messages[1:2])
            findings.append(Finding(r.question.id, f"{name} scores {r.score:g}/{r.question.points:g}: {why}"))
        elif not full and r.score > 0:
            findings.append(Finding(r.question.id, f"{name} (the blank notebook) scores {r.score:g}"))
    return findings
