"""Check a graded submission again from its stored answers, without running its code again.

Valid exactly when the run would be the same: the same submission bytes, and the same grader,
questions, prompts, limits, packages and function inputs (`Assignment.run_fingerprint`). Then
a changed check, tolerance, point value or `reveal` setting costs a re-check, not a rerun.
"""
from __future__ import annotations

import dataclasses

from autograder.assignment import Assignment
from autograder.checks.api import CallResult
from autograder.grading.pipeline import checked, digest_fingerprint, unreadable, written_result
from autograder.grading.report import GradeReport


def recheck(report: GradeReport, assignment: Assignment) -> GradeReport | None:
    """`report` checked again under the assignment's current checks and settings; None if only a
    rerun can grade it (the run changed, the grader failed on it, or an answer was too large to keep)."""
    if report.run_config != assignment.run_fingerprint or report.grader_failed or report.public_only:
        return None
    fingerprint = digest_fingerprint(report.data_digest, assignment)
    if report.format == "unreadable":
        again = unreadable(assignment, report.submission, report.failure or "")
        return dataclasses.replace(report, questions=again.questions, fingerprint=fingerprint)
    ran = {r.question.id: r for r in report.questions}
    if set(ran) != {q.id for q in assignment.questions} \
            or any(ran[q.id].question.written != q.is_written for q in assignment.questions) \
            or not all(r.stored for r in ran.values() if not r.question.written):
        return None
    answers = {qid: r.answer.answer() for qid, r in ran.items() if r.answer is not None}
    results = []
    for q in assignment.questions:
        r = ran[q.id]
        if q.is_written:
            results.append(written_result(q, r.text, r.ta_score))
            continue
        calls = None
        if r.calls is not None:
            inputs = assignment.inputs[q.id]() if q.id in assignment.inputs else []
            calls = [CallResult(args, error=c.error, outputs=tuple(o.answer() for o in c.outputs))
                     for args, c in zip(inputs, r.calls)]
        seen = {name: record.answer() for name, record in r.seen.items()}
        results.append(checked(q, r, answers[q.id], answers, seen, calls, assignment))
    return dataclasses.replace(report, questions=results, fingerprint=fingerprint)
