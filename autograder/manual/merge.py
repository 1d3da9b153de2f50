"""Teaching assistants' scores of written answers, merged into a batch's reports (and kept when a
submission is graded again with the same written text)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from autograder.assignment import Assignment
from autograder.batch.discover import Entry
from autograder.batch.sheet import write_outputs, write_sheet
from autograder.course.load import Submission, load_submissions
from autograder.grading.pipeline import written_result
from autograder.grading.report import GradeReport
from autograder.manual.page import written_page
from autograder.manual.scores import SCORES, read_scores, scores_template
from autograder.results.atomic import write_atomic

PAGE = "written.html"


def write_written(outdir: Path, assignment: Assignment) -> list[Path]:
    """OUTDIR/written.html and OUTDIR/written_scores.csv (the scores merged so far filled in)."""
    submissions = load_submissions(outdir)
    questions = [q.info for q in assignment.questions if q.is_written]
    prompts = {q.id: q.prompt for q in assignment.questions if q.is_written}
    write_atomic(outdir / PAGE, written_page(assignment.title, submissions, questions, prompts))
    write_atomic(outdir / SCORES, scores_template(submissions, questions))
    return [outdir / PAGE, outdir / SCORES]


def merge_scores(outdir: Path, assignment: Assignment, sheet: Path) -> int:
    """Merge a filled-in scores sheet into OUTDIR's reports, results and grades.csv; how many
    submissions changed. Nothing is written if the sheet has a mistake (ScoresError)."""
    submissions = load_submissions(outdir)
    scores = read_scores(sheet, [q.info for q in assignment.questions if q.is_written],
                         {s.key for s in submissions if s.report is not None})
    changed = 0
    for s in submissions:
        if s.report is None or s.key not in scores:
            continue
        merged = with_scores(s.report, assignment, scores[s.key])
        if merged != s.report:
            write_outputs(merged, outdir / s.key)
            changed += 1
    write_sheet([_entry(s) for s in submissions], outdir, assignment)
    return changed


def with_scores(report: GradeReport, assignment: Assignment, given: dict[str, float]) -> GradeReport:
    """`report` with the written questions' scores in `given` (the others as they were)."""
    by_id = {q.id: q for q in assignment.questions}
    questions = [written_result(by_id[r.question.id], r.text, given.get(r.question.id, r.ta_score))
                 if r.question.written and r.question.id in by_id else r for r in report.questions]
    return dataclasses.replace(report, questions=questions)


def carry_scores(new: GradeReport, old: GradeReport | None, assignment: Assignment) -> GradeReport:
    """`new` keeping the scores a person gave `old`'s written answers whose text is unchanged."""
    if old is None:
        return new
    kept = {r.question.id: r.ta_score for r in old.questions if r.question.written and r.ta_score is not None}
    same = {r.question.id: kept[r.question.id] for r in new.questions
            if r.question.id in kept and any(o.question.id == r.question.id and o.text == r.text for o in old.questions)}
    return with_scores(new, assignment, same) if same else new


def _entry(s: Submission) -> Entry:
    return Entry(s.key, None, s.students, s.problem, refused=s.report is None and s.problem.startswith("refused"))
