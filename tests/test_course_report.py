"""The course report: its statistics and score imports on reports built here (fast, no grading), then a
real batch of a Gradescope export (full marks, partial, NaN, syntax error, timeout, crash, unreadable,
no files, no students) whose report.html a real browser opens, and `autograder report OUTDIR`."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from autograder.batch.discover import Entry
from autograder.batch.metadata import Student
from autograder.checks.parts import Part, PartKind
from autograder.course import plots
from autograder.course.exports import CANVAS_POINTS_ROW, canvas_grades, gradescope_scores
from autograder.course.load import Rubric, Submission, load_submissions
from autograder.course.page import grouped, pct, ticks
from autograder.course.roster import ROSTER, read_roster, write_roster
from autograder.course.stats import (bin_width, failure_reasons, lost_points, needing_attention, question_stats,
                                     score_histogram, slowest, timing)
from autograder.grading.record import write_report
from autograder.grading.report import AnswerRecord, GradeReport, QuestionInfo, QuestionResult
from autograder.sandbox.protocol import CellStatus
from conftest import REPO

GRADESCOPE_HEADER = ["Name", "SID", "Email", "Total Score"]
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
Q1, Q2 = QuestionInfo("1", "The answer", 2.0), QuestionInfo("2", "A vector", 1.0)
RUBRIC = Rubric("T2", "Tiny course", (Q1, Q2))


def failed(category: str) -> Part:
    return Part(PartKind.VALUE, False, f"{category} (details)", reason=category)


def result(info: QuestionInfo, score: float, *reasons: str, cell: CellStatus | None = CellStatus.OK,
           problem: str | None = None) -> QuestionResult:
    return QuestionResult(info, score, [failed(r) for r in reasons], cell=cell,
                          answer=AnswerRecord("x", problem=problem) if problem else AnswerRecord("x", "float", [1]))


def graded(key: str, q1: QuestionResult, q2: QuestionResult, *, seconds: float = 0.1,
           trouble: frozenset[CellStatus] = frozenset(), students: list[Student] | None = None) -> Submission:
    report = GradeReport("T2", key, "Colab script", [q1, q2], trouble=set(trouble), execution_time=seconds)
    return Submission(key, students or [], report)


def unreadable(key: str, grader_failed: bool = False) -> Submission:
    report = GradeReport("T2", key, "unknown" if grader_failed else "unreadable",
                         [QuestionResult(Q1, 0.0, cell=None), QuestionResult(Q2, 0.0, cell=None)],
                         failure="not a notebook", grader_failed=grader_failed)
    return Submission(key, [Student("Un Readable", "U1", "u@uni.edu")], report)


@pytest.fixture
def course() -> list[Submission]:
    """Six submissions: full marks, two alike wrong answers, an unusable answer, a timeout, a crash,
    one that could not be read, one the grader failed on, one never graded."""
    return [
        graded("full", result(Q1, 2), result(Q2, 1), students=[Student("Ada", "A1", "ada@uni.edu")]),
        graded("wrong1", result(Q1, 0, "x is not 42"), result(Q2, 0.5, "an element is wrong", "an element is wrong"),
               seconds=0.3, students=[Student("Alan", "A2", "alan@uni.edu"), Student("Grace", "A3", "")]),
        graded("wrong2", result(Q1, 0, "x is not 42"), result(Q2, 1), seconds=0.2),
        graded("syntax", result(Q1, 0, "`x` was never reached", cell=CellStatus.SYNTAX, problem="never reached"),
               result(Q2, 1), trouble=frozenset({CellStatus.SYNTAX})),
        graded("loops", result(Q1, 0, "`x` is not defined", cell=CellStatus.TIMEOUT, problem="not defined"),
               result(Q2, 1), seconds=10.0, trouble=frozenset({CellStatus.TIMEOUT})),
        graded("crash", result(Q1, 2), result(Q2, 0, "`v` is not defined", cell=CellStatus.CRASHED, problem="gone"),
               seconds=0.4, trouble=frozenset({CellStatus.CRASHED})),
        unreadable("garbage"),
        unreadable("bug", grader_failed=True),
        Submission("refused", [Student("Re Fused", "R1", "r@uni.edu")], None, "refused: unsafe name"),
    ]


def test_histogram_bins_are_round_and_full_marks_stand_apart():
    assert [bin_width(m) for m in (1, 3, 6, 10, 100, 250)] == [0.05, 0.2, 0.5, 0.5, 5, 20]
    hist = score_histogram([0, 0.1, 2.9, 3, 3, 1.5], 3)
    assert hist.edges[0] == 0 and hist.edges[-1] == 3 and len(hist.edges) == 16
    assert hist.full == 2 and sum(hist.counts) == 4 and hist.counts[0] == 2 and hist.counts[-1] == 1


def test_question_stats_count_the_readable_submissions_only(course):
    one, two = question_stats(course, RUBRIC.questions)
    assert (one.graded, one.full, one.partial, one.zero) == (6, 2, 0, 4) and one.mean == pytest.approx(4 / 6)
    assert (two.graded, two.full, two.partial, two.zero) == (6, 4, 1, 1) and two.pass_rate == pytest.approx(4 / 6)


def test_failure_reasons_are_counted_once_per_submission_most_common_first_with_an_example(course):
    reasons = failure_reasons(course, "1")
    assert [(r.text, r.count, r.example) for r in reasons] == [
        ("x is not 42", 2, "wrong1"),
        ("`x` is not defined (its cell: timeout)", 1, "loops"),
        ("`x` was never reached (its cell: syntax error)", 1, "syntax"),
    ]
    assert [(r.text, r.count) for r in failure_reasons(course, "2")] == [
        ("`v` is not defined (its cell: crashed)", 1), ("an element is wrong", 1)]
    unfound = result(Q1, 0, cell=None, problem="missing")
    assert lost_points(unfound) == ["no failed check recorded (its cell was not found)"]
    essay = QuestionInfo("3", "Explain", 2.0, written=True)
    assert lost_points(QuestionResult(essay, 0.0, cell=None)) == ["written answer not found after its prompt"]
    assert lost_points(QuestionResult(essay, 0.0, text="because")) == ["written answer not scored by a TA yet"]


def test_submissions_needing_attention_timing_and_the_slowest(course):
    kinds = {kind: [s.key for s in subs] for kind, subs in needing_attention(course).items()}
    assert kinds == {"timed out": ["loops"], "crashed": ["crash"], "could not be read": ["garbage", "bug", "refused"]}
    t = timing(course)
    assert t is not None and t.count == 6 and t.max == 10.0 and t.median == pytest.approx(0.25)
    assert [s.key for _, s in slowest(course, 2)] == ["loops", "crash"]
    assert timing([]) is None


def test_gradescope_import_has_a_row_per_matchable_student_and_lists_the_rest(course):
    export = gradescope_scores(course)
    assert export.header == [GRADESCOPE_HEADER]
    assert export.rows == [["Ada", "A1", "ada@uni.edu", "3"], ["Alan", "A2", "alan@uni.edu", "0.5"],
                           ["Grace", "A3", "", "0.5"], ["Un Readable", "U1", "u@uni.edu", "0"]]
    assert dict(export.skipped) == {
        "wrong2": "no student email or SID to match on",
        "syntax": "no student email or SID to match on",
        "loops": "no student email or SID to match on",
        "crash": "no student email or SID to match on",
        "bug": "not graded: no grade to import", "refused": "not graded: no grade to import"}
    assert list(csv.reader(io.StringIO(export.text()))) == export.header + export.rows


def test_canvas_import_has_canvas_columns_points_possible_and_a_row_for_unknown_students(course):
    rows = list(csv.reader(io.StringIO(canvas_grades(course, "T2", 3).text())))
    assert rows[0] == CANVAS_HEADER + ["T2"] and rows[1] == [CANVAS_POINTS_ROW, "", "", "", "", "3"]
    assert rows[2] == ["Ada", "", "A1", "ada@uni.edu", "", "3"]
    assert ["wrong2", "", "", "", "", "1"] in rows and ["loops", "", "", "", "", "1"] in rows
    assert not any(r[0] in ("bug", "Re Fused") for r in rows)


def test_import_cells_cannot_be_formulas_or_the_points_row():
    people = [Student('=HYPERLINK("http://evil")', "+1", "@x.edu"), Student("Points Possible", "", "")]
    hostile = graded("=1+1", result(Q1, 2), result(Q2, 1), students=people)
    gs = gradescope_scores([hostile]).rows[0]
    assert gs == ["'=HYPERLINK(\"http://evil\")", "'+1", "'@x.edu", "3"]
    canvas = canvas_grades([hostile, graded("Points Possible.py", result(Q1, 2), result(Q2, 1))], "=T2", 3)
    assert canvas.header[0][-1] == "'=T2"
    assert [r[0] for r in canvas.rows] == ["'=HYPERLINK(\"http://evil\")", "Points_Possible", "Points_Possible.py"]


def test_roster_round_trips_and_a_damaged_one_costs_only_the_names(tmp_path):
    entries = [Entry("s1", None, [Student("Ada", "A1", "ada@uni.edu")]), Entry("s2", None, problem="no files"),
               Entry("s3", None, problem="refused: leads outside", refused=True)]
    write_roster(entries, tmp_path)
    roster = read_roster(tmp_path)
    assert roster is not None and roster["s1"].students == [Student("Ada", "A1", "ada@uni.edu")]
    assert roster["s2"].problem == "no files" and roster["s3"].refused
    report = graded("s3", result(Q1, 2), result(Q2, 1)).report
    assert report is not None
    write_report(report, tmp_path / "s3" / "report.json")  # never read: OUTDIR/s3 may lead anywhere
    assert [s.status for s in load_submissions(tmp_path)][1:] == [("not graded", "no files"),
                                                                  ("not graded", "refused: leads outside")]
    for damage in ("{", '{"schema": 1, "submissions": {"s1": {"students": [{"name": 3}]}}}', "[]", '{"schema": 9}'):
        (tmp_path / ROSTER).write_text(damage)
        assert read_roster(tmp_path) is None
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "report.json").write_text("{}")
    assert [(s.key, s.students, s.status[0]) for s in load_submissions(tmp_path)] == [("s1", [], "not graded"),
                                                                                         ("s3", [], "graded")]


def test_page_helpers_escape_untrusted_text_and_never_round_a_few_to_none():
    assert [pct(x) for x in (0, 0.001, 0.5, 0.999, 1)] == ["0%", "<1%", "50%", ">99%", "100%"]
    assert ticks("`<b>` and `x` <i>") == "<code>&lt;b&gt;</code> and <code>x</code> &lt;i&gt;"
    assert ticks("a ` <i>") == "a ` &lt;i&gt;"
    assert grouped([("a", "why"), ("b", "other"), ("c", "why")]) == [("why", 2, ["a", "c"]), ("other", 1, ["b"])]


def test_plots_take_question_titles_literally():
    stats = question_stats([graded("a", result(Q1, 2), result(Q2, 0, "bad"))],
                           (QuestionInfo("1", "Costs $x$ in $\\frac{", 2.0), Q2))
    assert plots.questions_png(stats).startswith("data:image/png;base64,")


# End to end: a Gradescope export graded by `autograder batch`, then the page in a real browser.

CHECKS = '''
import numpy as np
from autograder.checks import Context, check

@check("1")
def the_answer(ctx: Context) -> None:
    ctx.close("x should be 42", ctx.matrix(), np.array([[42.0]]), reason="x is not 42")

@check("2")
def the_vector(ctx: Context) -> None:
    for i in range(3):
        ctx.close(f"v[{i}] should be {i + 1}", ctx.matrix()[:, i], np.array([i + 1.0]),
                  reason="an element of v is wrong")
'''
CONFIG = """
assignments:
  T2:
    title: Tiny course
    checks: checks.py
    limits: {cell_timeout: 1, timeout: 20}
    questions:
      - {id: "1", title: The answer, points: 2, prompt: the answer to everything, answer: x}
      - {id: "2", title: A vector, points: 1, prompt: a vector of one two three, answer: v, shapes: [[3]]}
"""
SUBMISSIONS = {  # key: (code of question 1, code of question 2)
    "s1": ("x = 42", "v = [1, 2, 3]"),
    "s2": ("x = 42", "v = [1, 2, 0]"),
    "s3": ("x = float('nan')", "v = [1, 2, 3]"),
    "s4": ("x = ", "v = [1, 2, 3]"),
    "s5": ("while True:\n    pass\nx = 42", "v = [1, 2, 3]"),
    "s6": ("x = 42", "import os; os._exit(3)\nv = [1, 2, 3]"),
    "extra": ("x = 41", "v = [1, 2, 3]"),
}
HOSTILE = "<script>alert(1)</script>"
METADATA = {
    "s1": [("Ada Lovelace", "A001", "ada@uni.edu")],
    "s2": [("Alan Turing", "A002", "alan@uni.edu"), ("Grace Hopper", "A003", "grace@uni.edu")],
    "s3": [("Nan Student", "A004", "nan@uni.edu")],
    "s4": [("Syntax Student", "A005", "syn@uni.edu")],
    "s5": [(HOSTILE, "A006", "loop@uni.edu")],
    "s6": [('=HYPERLINK("http://evil")', "+A007", "@crash@uni.edu")],
    "s7": [("Broken File", "A008", "broken@uni.edu")],
    "s8": [("No Files", "A009", "nofiles@uni.edu")],
}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=REPO)


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    (root / "checks.py").write_text(textwrap.dedent(CHECKS))
    (root / "grading_config.yaml").write_text(textwrap.dedent(CONFIG))
    export = root / "export"
    for key, (one, two) in SUBMISSIONS.items():
        (export / key).mkdir(parents=True)
        (export / key / "T2.py").write_text(f"# %%\n# the answer to everything\n{one}\n"
                                            f"# %%\n# a vector of one two three\n{two}\n")
    (export / "s7").mkdir()
    (export / "s7" / "T2.ipynb").write_text("{ not a notebook")
    meta = {key: {":submitters": [{":name": n, ":sid": sid, ":email": e} for n, sid, e in people]}
            for key, people in METADATA.items()}
    (export / "submission_metadata.yml").write_text(yaml.safe_dump(meta))
    out = root / "out"
    done = cli("batch", str(export), "--config", str(root / "grading_config.yaml"), "--out", str(out), "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert f"Course report: {out / 'report.html'}" in done.stdout
    return out


def by_submission(out: Path) -> dict[str, dict[str, str]]:
    """grades.csv's rows, one per submission (a group's rows share their grades)."""
    with (out / "grades.csv").open(encoding="utf-8", newline="") as f:
        return {row["Submission"]: row for row in csv.DictReader(f)}


def test_the_page_opens_cleanly_and_its_numbers_are_those_of_grades_csv(batch_out, load, tmp_path):
    shot = tmp_path / "course_report.png"
    seen = load(batch_out / "report.html", shot)
    assert not seen.errors and not seen.external and not seen.broken_images
    assert seen.images == 2 and shot.stat().st_size > 10_000
    assert "Tiny course" in seen.text and HOSTILE in seen.text  # a student's name shown as text, never run
    rows = by_submission(batch_out)
    statuses = [r["Status"] for r in rows.values()]
    for status in ("graded", "partial", "timed out", "failed to parse", "not graded"):
        shown = seen.page.inner_text(f'[data-status="{status}"] .value')
        assert int(shown) == statuses.count(status), status
    readable = [r for r in rows.values() if r["Status"] not in ("failed to parse", "not graded")]
    for qid, points in (("1", 2.0), ("2", 1.0)):
        row = f'#question-table tr[data-question="{qid}"]'
        scores = [float(r[qid]) for r in readable]
        full = sum(s >= points for s in scores)
        assert seen.page.inner_text(f"{row} .mean") == f"{sum(scores) / len(scores):.2f}"
        assert seen.page.inner_text(f"{row} .rate") == pct(full / len(scores))
        assert seen.page.inner_text(f"{row} .count") == f"({full}/{len(scores)})"
        assert int(seen.page.inner_text(f"{row} .zero")) == sum(s == 0 for s in scores)
    totals = [float(r["Total Score"]) for r in rows.values() if r["Status"] != "not graded"]
    assert seen.page.inner_text("#mean-total") == f"{sum(totals) / len(totals):.2f}"
    keys = "cs => cs.map(c => c.innerText)"
    attention = {kind: seen.page.eval_on_selector_all(f'table[data-kind="{kind}"] td.key', keys)
                 for kind in ("timed out", "crashed", "could not be read")}
    assert attention == {"timed out": ["s5"], "crashed": ["s6"], "could not be read": ["s7", "s8"]}
    reasons = seen.page.inner_text('table.reasons[data-question="1"]')
    for reason in ("`x` contains NaN or Inf", "`x` was never reached (its cell: syntax error)",
                   "`x` is not defined (its cell: timeout)", "x is not 42"):
        assert reason.replace("`", "") in reasons


def test_the_imports_parse_with_the_exact_headers_and_the_grades_of_grades_csv(batch_out):
    rows = by_submission(batch_out)
    sheet = read_csv(batch_out / "grades.csv")
    gradescope = read_csv(batch_out / "gradescope_scores.csv")
    assert gradescope[0] == GRADESCOPE_HEADER
    expected = [[name, sid, email, total] for name, sid, email, sub, *_, total, _, _, _ in sheet[1:] if email or sid]
    assert gradescope[1:] == expected and len(expected) == 9
    assert ["'=HYPERLINK(\"http://evil\")", "'+A007", "'@crash@uni.edu", rows["s6"]["Total Score"]] in gradescope
    canvas = read_csv(batch_out / "canvas_grades.csv")
    assert canvas[0] == CANVAS_HEADER + ["T2"] and canvas[1] == [CANVAS_POINTS_ROW, "", "", "", "", "3"]
    assert [r[0] for r in canvas[2:]] == [r[0] or r[3] for r in sheet[1:]]  # the student, or the file if unknown
    assert [r[5] for r in canvas[2:]] == [r[-4] for r in sheet[1:]]


def test_report_works_from_outdir_alone_and_without_a_roster(batch_out, tmp_path):
    out = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(batch_out), str(out)], check=True)
    for name in ("report.html", "gradescope_scores.csv", "canvas_grades.csv"):
        (out / name).unlink()
    done = cli("report", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "report.html").exists()
    assert (out / "gradescope_scores.csv").read_text() == (batch_out / "gradescope_scores.csv").read_text()
    (out / "roster.json").write_text("{damaged")
    assert cli("report", str(out)).returncode == 0
    assert read_csv(out / "gradescope_scores.csv") == [GRADESCOPE_HEADER]  # no names: nobody to match
    assert len(read_csv(out / "canvas_grades.csv")) == 2 + 9  # a row per folder with a report, named after it
    assert "Tiny course" not in (out / "report.html").read_text()  # without -a, what the reports say: T2


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "cannot read it"),
    (lambda p: p.mkdir(), "no graded submissions in it"),
])
def test_report_mistakes_are_one_line_errors(tmp_path, setup, message):
    target = tmp_path / "out"
    setup(target)
    done = cli("report", str(target))
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_report_refuses_another_assignments_config(batch_out):
    done = cli("report", str(batch_out), "-a", "A2S1")
    assert done.returncode == 2 and "graded for T2, not A2S1" in done.stderr
    assert json.loads((batch_out / "roster.json").read_text())["schema"] == 1


def test_the_course_report_shows_the_pairs_integrity_flagged(tmp_path):
    """After `autograder integrity`, the course report lists its flagged pairs beside the grades."""
    import subprocess
    import sys

    from conftest import REPO

    solution = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text()
    source, out = tmp_path / "subs", tmp_path / "out"
    source.mkdir()
    (source / "a_A2S1.py").write_text(solution)
    (source / "b_A2S1.py").write_text(solution.replace("query121 = 1e5 *", "query121 = 37.5 *"))
    for command in ("batch", "integrity"):
        result = subprocess.run([sys.executable, "-m", "autograder", command, str(source), "-a", "A2S1", "--out",
                                 str(out)], capture_output=True, text=True, cwd=REPO)
        assert result.returncode == 0, result.stderr
    page = (out / "report.html").read_text()
    assert 'id="pairs"' in page and "a_A2S1.py · b_A2S1.py" in page and 'href="integrity.html"' in page
