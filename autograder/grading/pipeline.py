"""Grade one submission: each step is a small function; data flows one way."""
from __future__ import annotations

import bisect
import dataclasses
import hashlib
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from autograder.assignment import Assignment, Question
import numpy as np

from autograder.checks.api import CallResult, Context
from autograder.checks.calls import as_call
from autograder.checks.parts import Heatmap, Part, PartKind, redact_figure, redact_part
from autograder.checks.placeholder import placeholder_body
from autograder.checks.public import public_parts
from autograder.checks.values import Answer, decode_wire
from autograder.grading.report import (AnswerRecord, CallRecord, GradeReport, Message, QuestionResult, Severity,
                                       score_parts)
from autograder.locate import Located, Target, find_inert, locate
from autograder.sandbox.launcher import Connection, require_isolation
from autograder.sandbox.pool import ServerPool
from autograder.sandbox.plan import Calls, Capture, Plan, PlanCell, PlannedCall
from autograder.sandbox.protocol import CellStatus, decode_call
from autograder.sandbox.runner import CellReport, RunOutcome, run_plan
from autograder.submission import Cell, Submission, SubmissionError
from autograder.submission.load import load_bytes, read_submission
from autograder.written import find_written

MAX_ELEMENTS = 100_000  # numbers in one answer (its event stays under runner.MAX_EVENT_LINE)
MAX_NOTES = 50  # notes kept per submission, the rest counted
MAX_LINES = 40  # explanation lines kept per question
MAX_CHARS = 1000  # characters kept per note or line
MAX_SPOTS = 4  # failed statements named in a status note (three, then "…")
PREPARE_SECONDS = 10.0  # the grader's CPU time for reading, splitting, locating and compiling one file


def cap(text: str) -> str:
    """At most MAX_CHARS of `text`, saying how many more there were."""
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + f"… ({len(text) - MAX_CHARS} more characters)"


def capped(texts: list[str], most: int, what: str, total: int | None = None) -> list[str]:
    """At most `most` texts of at most MAX_CHARS each, then how many more there were (of `total`,
    when `texts` holds only the first ones)."""
    total = len(texts) if total is None else total
    kept = [cap(t) for t in texts[:most]]
    return kept + ([f"… {total - most} more {what} omitted"] if total > most else [])


class OverBudget(Exception):
    """Preparing a file took more of the grader's time than PREPARE_SECONDS."""


class _Budget:
    """The grader's CPU time (this thread's: a batch prepares beside its runs) left for one file."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.thread_time() + seconds

    def check(self, step: str) -> None:
        if time.thread_time() > self.end:
            raise OverBudget(f"could not be graded: {step} took more than {self.seconds:g} s of the grader's time "
                             "(please report)")


@dataclass
class Prepared:
    """A submission read, split, located and compiled: all the grading that needs no child process."""

    name: str
    digest: str  # data_digest of the file
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
    """Read, split, locate and compile the file at `path` (batches do this ahead of the runs).
    A file that cannot be read, or takes more than PREPARE_SECONDS, gets a `problem` instead."""
    start, budget = time.monotonic(), _Budget(PREPARE_SECONDS)
    try:
        data = read_submission(path)
    except SubmissionError as e:
        return Prepared(path.name, data_digest(None), time.monotonic() - start, problem=str(e))
    return _prepare(data, path.name, assignment, start, budget)


def prepare_bytes(data: bytes, name: str, assignment: Assignment) -> Prepared:
    """`prepare_file` for a submission's bytes already read (a cluster node gets them so); `name`, its
    file's name, decides the format."""
    return _prepare(data, name, assignment, time.monotonic(), _Budget(PREPARE_SECONDS))


def _prepare(data: bytes, name: str, assignment: Assignment, start: float, budget: _Budget) -> Prepared:
    try:
        submission = load_bytes(data, name)
        budget.check("reading the file")
        cells, where = locate(submission.cells, [Target(q.id, q.prompt, q.answer) for q in assignment.code_questions])
        budget.check("finding the questions")
        inputs = {q.id: assignment.inputs[q.id]() for q in assignment.questions
                  if q.is_function and q.id in assignment.inputs}
        plan = build_plan(cells, where, assignment, inputs)
        plan.compile()
        budget.check("compiling the cells")
    except (SubmissionError, OverBudget) as e:
        return Prepared(name, data_digest(data), time.monotonic() - start, problem=str(e))
    return Prepared(name, data_digest(data), time.monotonic() - start, submission, cells, where, inputs, plan)


def grade_prepared(prepared: Prepared, assignment: Assignment, pool: ServerPool | None,
                   public_only: bool = False) -> GradeReport:
    """Run a prepared submission in a child of `pool` and check every question (a submission that
    could not be read, with its `problem`, needs no pool)."""
    start = time.monotonic()
    if prepared.problem is not None:
        report = unreadable(assignment, prepared.name, prepared.problem, public_only)
    else:
        assert pool is not None, "a readable submission runs in a pool"
        report = pool.run(lambda conn: grade_submission(prepared, assignment, conn, public_only))
    report.data_digest = prepared.digest
    report.fingerprint = digest_fingerprint(prepared.digest, assignment)
    report.run_config = assignment.run_fingerprint
    report.execution_time = prepared.seconds + time.monotonic() - start
    return report


def data_digest(data: bytes | None) -> str:
    """Identifies a submission's bytes (None: unreadable)."""
    return hashlib.sha256(b"<unreadable>" if data is None else data).hexdigest()[:32]


def digest_fingerprint(digest: str, assignment: Assignment) -> str:
    """Identifies a grade: the submission's `data_digest`, the assignment's config and checks, the grader."""
    return hashlib.sha256(f"{assignment.fingerprint}\0{digest}".encode()).hexdigest()[:32]


def file_digest(path: Path) -> str:
    """The data_digest grading `path` now would give its report."""
    try:
        return data_digest(read_submission(path))
    except SubmissionError:
        return data_digest(None)


def unreadable(assignment: Assignment, name: str, message: str, public_only: bool = False) -> GradeReport:
    """The report for a file that could not be read at all: every question at zero, one clear reason."""
    results = [QuestionResult(q.info, 0.0, messages=[Message(Severity.ERROR, f"Not graded: {cap(message)}")],
                              cell=None) for q in assignment.questions]
    return GradeReport(assignment.name, name, "unreadable", results, failure=message, public_only=public_only)


def grade_submission(prepared: Prepared, assignment: Assignment, conn: Connection,
                     public_only: bool = False) -> GradeReport:
    """Run the submission's cells in isolation and check every question."""
    assert prepared.plan is not None
    outcome = run_plan(prepared.plan, assignment.limits, conn)
    return check_outcome(prepared, outcome, assignment, conn.isolation, public_only)


def check_outcome(prepared: Prepared, outcome: RunOutcome, assignment: Assignment, isolation: str,
                  public_only: bool = False) -> GradeReport:
    """Check every question against what the run reported (untrusted data, validated here)."""
    submission, cells, where, inputs = prepared.submission, prepared.cells, prepared.where, prepared.inputs
    assert submission is not None
    quote = _Quoter(cells)
    code = assignment.code_questions
    answers = {q.id: decode_wire(q.answer, outcome.captures.get(q.id), MAX_ELEMENTS) for q in code}
    seen = {q.id: {name: decode_wire(name, outcome.captures.get(inspect_key(q.id, name)), MAX_ELEMENTS)
                   for name in q.inspect} for q in code}
    texts = find_written(submission, {q.id: q.prompt for q in assignment.questions if q.is_written})
    inert = find_inert(submission.inert, [Target(q.id, q.prompt, q.answer) for q in code
                                          if where[q.id].cell is None])
    skipped = [(i, CellStatus.SYNTAX, {"type": "SyntaxError", "line": line, "message": "SyntaxError"})
               for i, cell in enumerate(prepared.plan.compile()) for line, _ in cell["notes"]] if prepared.plan else []
    failures = sorted(skipped + [(i, status, error) for i, report in sorted(outcome.cells.items())
                                 for status, error in _failures(report)], key=lambda f: f[0])
    results = [
        written_result(q, texts[q.id]) if q.is_written else
        grade_question(q, answers, seen[q.id], outcome, quote, where[q.id], assignment, inputs, public_only,
                       inert.get(q.id), _earlier(failures, where[q.id].cell, quote))
        for q in assignment.questions
    ]
    notes = _notes(submission, outcome, quote, _readers(assignment, where), assignment)
    if outcome.tampering:
        notes.append(f"Your code wrote to the grader's private channel; ignored ({outcome.tampering}).")
    spots = [f"{_at(cells[i], error['line'])}: {error['type']}" for i, _, error in failures[:MAX_SPOTS]]
    trouble = {status for _, status, _ in failures} | ({outcome.failure.status} if outcome.failure else set())
    return GradeReport(assignment.name, submission.path_name, submission.format, results, notes,
                       outcome.output, outcome.failure.message if outcome.failure else None, trouble,
                       spots, isolation=isolation, public_only=public_only)


def _earlier(failures: list[tuple[int, CellStatus, dict]], cell: int | None, quote: _Quoter) -> str | None:
    """The first failed statement before cell `cell` (anywhere, for an answer read at the end), named."""
    for i, _, error in failures:
        if cell is None or i < cell:
            return f"{_at(quote.cells[i], error['line'])} failed: {error.get('message') or error['type']}" \
                   f"{quote(i, error['line'])}"
        break
    return None


def inspect_key(question_id: str, name: str) -> str:
    """The key a variable inspected beside a question's answer is reported under."""
    return f"{question_id}:{name}"


def _failures(report: CellReport) -> list[tuple[CellStatus, dict]]:
    """Each failed statement of a cell: its status and error."""
    return [(p.status, p.error) for p in report.problems] + [(report.status, e) for e in _ending_error(report)]


def _ending_error(report: CellReport) -> list[dict]:
    """The error that ended a cell early, if one did."""
    if report.status in (CellStatus.OK, CellStatus.NOT_RUN) or report.error is None:
        return []
    return [report.error]


def _readers(assignment: Assignment, where: dict[str, Located]) -> dict[int, list[str]]:
    """Cell index -> the questions whose answers are read after it."""
    readers: dict[int, list[str]] = {}
    for q in assignment.code_questions:
        if where[q.id].cell is not None:
            readers.setdefault(where[q.id].cell, []).append(q.id)
    return readers


def _notes(submission: Submission, outcome: RunOutcome, quote: _Quoter, readers: dict[int, list[str]],
           assignment: Assignment) -> list[str]:
    """The loader's notes, then each cell's: the first MAX_NOTES written out, the rest counted
    (a flood of raising statements costs a count, not a quote each)."""
    per_cell = sorted(outcome.cells.items())
    total = len(submission.notes) + sum(len(r.notes) + len(r.problems) + len(_ending_error(r)) for _, r in per_cell)
    written = itertools.chain(submission.notes, (note for i, report in per_cell
                                                 for note in _cell_notes(report, quote, i, readers.get(i), assignment)))
    return capped(list(itertools.islice(written, MAX_NOTES)), MAX_NOTES, "notes", total)


def _cell_notes(report: CellReport, quote: _Quoter, index: int, questions: list[str] | None,
                assignment: Assignment) -> Iterator[str]:
    """One note per note, failed statement and error of a cell, each with its own line."""
    cell = quote.cells[index]
    for line, text in report.notes:
        yield f"{cell.where(line) if line else cell.label}: {text}"
    for problem in report.problems:
        err = problem.error
        if problem.module is not None:
            what = f"{err['message']}; skipped that import ({_import_advice(problem.module, assignment)})"
        elif problem.status == CellStatus.RAISED:
            what = f"{err['message']}{quote(index, err['line'])}; skipped that statement, the rest ran"
        else:
            what = f"your code {err['message']}{quote(index, err['line'])}; skipped that statement"
        yield f"{_at(cell, err['line'])}: {what}"
    for err in _ending_error(report):
        after = (f"; {', '.join(questions)} read as the cell left it" if questions
                 else "; the rest of that cell did not run")
        yield f"{_at(cell, err['line'])}: {err['message']}{quote(index, err['line'])}{after}"


def _import_advice(module: str, assignment: Assignment) -> str:
    if module and module in assignment.package_imports:
        return f"`{module}` should be installed with the grader: please tell your instructor"
    allowed = ", ".join(assignment.packages) or "none"
    return (f"the grader provides the standard library, torch and this assignment's packages ({allowed}); "
            "code that needs anything else is not graded")


def _at(cell: Cell, line: int | None) -> str:
    return cell.where(line) if line else cell.label


def build_plan(cells: list[Cell], where: dict[str, Located], assignment: Assignment,
               inputs: dict[str, list]) -> Plan:
    """The plan the child runs: every cell, and after each question's cell, what to read."""
    plan = Plan([PlanCell(c.source, c.filename, c.first_line) for c in cells], max_elements=MAX_ELEMENTS)
    for q in assignment.code_questions:
        loc = where[q.id]
        if q.is_function:
            timeout = q.call_timeout or assignment.limits.cell_timeout
            call = Calls(q.id, q.answer, [PlannedCall.of(as_call(c), timeout) for c in inputs.get(q.id, [])])
            (plan.final_calls if loc.cell is None else plan.calls.setdefault(loc.cell, [])).append(call)
        else:
            caps = [Capture(q.id, q.answer), *(Capture(inspect_key(q.id, n), n) for n in q.inspect)]
            (plan.final_captures if loc.cell is None else plan.captures.setdefault(loc.cell, [])).extend(caps)
    return plan


def written_result(q: Question, text: str | None, ta_score: float | None = None) -> QuestionResult:
    """A written answer: its text for a person to grade; zero points until they have (`ta_score`)."""
    if text is None:
        return QuestionResult(q.info, 0.0, messages=[Message(
            Severity.WARNING, f"Could not find your written answer to {q.id}: write it right after the prompt "
                              f"“{q.prompt}”, in the same cell or the Markdown cells after it.")], cell=None)
    if ta_score is not None:
        score = min(max(ta_score, 0.0), q.points)
        message = Message(Severity.INFO, f"Graded by a teaching assistant: {score:g} / {q.points:g}.")
    elif not text.split():
        score = 0.0
        message = Message(Severity.WARNING, f"Your written answer to {q.id} is empty: write it right after the "
                                            f"prompt “{q.prompt}”.")
    else:
        score = 0.0
        words = len(text.split())
        message = Message(Severity.INFO, f"Your written answer ({words} words) is graded by a teaching assistant; "
                                         "it scores 0 until then.")
    return QuestionResult(q.info, score, messages=[message], text=text, ta_score=ta_score)


def grade_question(q: Question, answers: dict[str, Answer], seen: dict[str, Answer], outcome: RunOutcome,
                   quote: _Quoter, loc: Located, assignment: Assignment, inputs: dict[str, list],
                   public_only: bool, inert: Cell | None, earlier: str | None) -> QuestionResult:
    """How the answer was obtained, then the public and (unless public_only) hidden checks. `inert`:
    a Raw or Markdown cell holding the answer, when no code cell does; `earlier`: the first failed
    statement before the question's cell, named as a possible cause if the question fails."""
    messages = [_where(q, loc, quote.cells, inert)]
    status: CellStatus | None = None
    if loc.cell is not None:
        report = outcome.cells.get(loc.cell) or CellReport()
        status = report.status
        messages += _cell_trouble(report, quote, loc.cell)
    if outcome.failure:
        messages.append(Message(Severity.ERROR, f"Grading stopped early: your code {outcome.failure.message}."))
    answer, calls = answers[q.id], None
    if q.is_function:
        answer, calls = _function_calls(q, outcome, inputs.get(q.id, []))
    records = None if calls is None else [CallRecord([AnswerRecord.of(o) for o in c.outputs], c.error) for c in calls]
    ran = QuestionResult(q.info, 0.0, messages=[Message(m.severity, cap(m.text)) for m in messages], cell=status,
                         answer=AnswerRecord.of(answer), seen={n: AnswerRecord.of(a) for n, a in seen.items()},
                         calls=records, earlier=earlier)
    stub = _stub(q, loc, quote.cells) if public_only else None
    return checked(q, ran, answer, answers, seen, calls, assignment, public_only, stub)


def _stub(q: Question, loc: Located, cells: list[Cell]) -> str | None:
    """What a function answer's body holds when its question's cell defines it with placeholders only
    (`check` says so; grading calls it, and its checks say what it returned)."""
    if not q.is_function or loc.cell is None:
        return None
    return placeholder_body(cells[loc.cell].source, q.answer)


def checked(q: Question, ran: QuestionResult, answer: Answer, answers: dict[str, Answer], seen: dict[str, Answer],
            calls: list[CallResult] | None, assignment: Assignment, public_only: bool = False,
            stub: str | None = None) -> QuestionResult:
    """`ran` (what the run gave for question `q`) with its checks done: parts, figures, score, causes."""
    parts, figures, score = check_question(q, answer, answers, seen, calls, assignment, public_only, stub=stub)
    causes = _causes(q, answer, answers, ran.earlier) if not public_only and score < q.points else []
    return dataclasses.replace(ran, question=q.info, score=score, parts=parts, figures=figures, causes=causes)


def check_question(q: Question, answer: Answer, answers: dict[str, Answer], seen: dict[str, Answer],
                   calls: list[CallResult] | None, assignment: Assignment, public_only: bool = False,
                   seed: int | None = None, stub: str | None = None) -> tuple[list[Part], list[Heatmap], float]:
    """The trusted checks of one question on plain data (also what a regrade reruns), against the
    notebook's data or (`seed`) a fresh instance of it: its parts
    and figures, as the question's `reveal` setting allows, and its score. `stub`: what a function
    answer's body holds when it is placeholders only (see `_stub`)."""
    parts = _public(q, answer, calls, stub)
    figures: list[Heatmap] = []
    if not public_only and all(p.passed for p in parts):
        ctx = Context(answer, answers, q.tolerance, calls or [], seen, data=assignment.instance(seed))
        assignment.registry.checks[q.id](ctx)
        parts, figures = parts + ctx.parts, ctx.figures
    score = 0.0 if public_only else score_parts(parts, q.points, q.partial_credit)
    kept = [r for r in (redact_part(p, q.reveal) for p in parts) if r is not None]
    shown = [r for r in (redact_figure(f, q.reveal) for f in figures) if r is not None]
    return kept[:MAX_LINES], shown[:MAX_LINES], score


def _public(q: Question, answer: Answer, calls: list[CallResult] | None, stub: str | None = None) -> list[Part]:
    """The public checks: a value answer is numbers of a usable shape; a function answer is a function,
    and not a stub (`stub`: what its body holds then)."""
    if not q.is_function:
        return public_parts(answer, q.shapes)
    if calls is None:
        problem = answer.problem if not answer.usable else f"`{q.answer}` is a {answer.describe()}, not a function"
        return [Part(PartKind.CONDITION, False, problem or f"`{q.answer}` is not a function", 0.0, True,
                     reason=f"`{q.answer}` is not a function")]
    parts = [Part(PartKind.CONDITION, True, f"`{q.answer}` is a function", 0.0, True)]
    if stub is not None:
        parts.append(Part(PartKind.CONDITION, False, f"`{q.answer}` is not written yet: its body holds only {stub}; "
                                                     "write it", 0.0, True, reason=f"`{q.answer}` is not written yet"))
    return parts


def _causes(q: Question, answer: Answer, answers: dict[str, Answer], earlier: str | None) -> list[Message]:
    """Causes of a failure that lie outside the question's own cell (capped like every message)."""
    causes = []
    if answer.usable and not np.isfinite(answer.array).all():
        for dep in q.uses:
            used = answers[dep]
            if used.usable and used.array.size and not used.array.any():
                causes.append(Message(Severity.WARNING, f"Your answer to {dep} (`{used.name}`) is all zeros: "
                                                        "normalising it divides 0 by 0, which gives NaN."))
    if earlier:
        causes.append(Message(Severity.WARNING, cap(f"Earlier in your file, {earlier}. Fix that first: what runs "
                                                    "before this cell decides what it sees.")))
    return causes


def _where(q: Question, loc: Located, cells: list[Cell], inert: Cell | None) -> Message:
    if loc.cell is None:
        if inert is not None:
            return Message(Severity.WARNING, f"Your answer to {q.id} is in {inert.base}, which Jupyter and Colab "
                                             f"never run: make it a Code cell. Used the value `{q.answer}` had at "
                                             "the end of your file.")
        return Message(Severity.WARNING, f"Could not find the cell for {q.id} (its prompt comment and an "
                                         f"assignment to `{q.answer}` are missing); used the value `{q.answer}` "
                                         "had at the end of your file.")
    how = "by its prompt" if loc.how == "prompt" else f"where `{q.answer}` is assigned (its prompt is missing)"
    return Message(Severity.INFO, f"Answer read from `{q.answer}` right after your cell at {cells[loc.cell].label} "
                                  f"({how}).")


class _Quoter:
    """Quotes a reported line: from the cell that raised, else from the cell of the same file
    or notebook cell that holds it (an error inside a helper defined earlier in a script)."""

    def __init__(self, cells: list[Cell]) -> None:
        self.cells = cells
        self._by_file: dict[str, tuple[list[int], list[int]]] = {}
        for i, c in enumerate(cells):  # the cells of one file are in line order
            starts, indices = self._by_file.setdefault(c.filename, ([], []))
            starts.append(c.first_line)
            indices.append(i)

    def __call__(self, index: int, lineno: int | None) -> str:
        """` (`text`)`, or "" when the line is nowhere in the submission."""
        if lineno is None:
            return ""
        cell = self.cells[index]
        text = cell.line(lineno)
        if not text:
            starts, indices = self._by_file[cell.filename]
            at = bisect.bisect_right(starts, lineno) - 1
            text = self.cells[indices[at]].line(lineno) if at >= 0 else ""
        return f" (`{text[:200]}`)" if text else ""


def _cell_trouble(report: CellReport, quote: _Quoter, index: int) -> list[Message]:
    if report.status == CellStatus.NOT_RUN:
        return [Message(Severity.ERROR, "That cell never ran.")]
    err = report.error
    if report.status == CellStatus.OK or err is None:
        return []
    at = f" at line {err['line']}" if err["line"] is not None else ""
    code = quote(index, err["line"])
    if report.status == CellStatus.SYNTAX:
        return [Message(Severity.ERROR, f"That cell has a {err['type']}{at}{code}, so it did not run.")]
    if report.status in (CellStatus.TIMEOUT, CellStatus.CRASHED):
        if err["line"] is None:
            return [Message(Severity.ERROR, f"That cell {err['message']}.")]
        return [Message(Severity.WARNING, f"That cell {err['message']}{at}{code}; its answer is read as it was "
                                          "before that line.")]
    return [Message(Severity.WARNING, f"That cell raised {err['message']}{at}{code}; its answer is read as the "
                                      "cell left it.")]


def _function_calls(q: Question, outcome: RunOutcome, inputs: list) -> tuple[Answer, list[CallResult] | None]:
    """What the function answer's name held, and its calls (None: it is not a function)."""
    stopped = {i: stop.message for i, stop in outcome.stopped_calls.get(q.id, {}).items()}
    event = decode_call(outcome.calls.get(q.id), outcome.returned.get(q.id, {}), stopped, len(inputs))
    if event is None or event.outcomes is None:
        return decode_wire(q.answer, event.value if event else None, MAX_ELEMENTS), None
    calls = [CallResult(args, error=r.error, outputs=_outputs(q.answer, r.outputs))
             for args, r in zip(inputs, event.outcomes)]
    return Answer(q.answer, None, problem=f"`{q.answer}` is a function"), calls


def _outputs(name: str, wires: tuple[object, ...]) -> tuple[Answer, ...]:
    """The values one call returned, validated: `name(...)`, or `name(...)[i]` for each of several."""
    if len(wires) == 1:
        return (decode_wire(f"{name}(...)", wires[0], MAX_ELEMENTS),)
    return tuple(decode_wire(f"{name}(...)[{i}]", w, MAX_ELEMENTS) for i, w in enumerate(wires))
