"""Feedback a student can act on: the heatmaps, the HTML page (`feedback.html`) and the per-question
HTML of results.json. Renderers are tested as pure functions; real submissions, graded by the real
command line, are opened in a real browser, which must show every picture, run no script and load
nothing from outside, with the scores of the report."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml

from autograder.assignment import Assignment, load_assignment
from autograder.batch.sheet import write_outputs
from autograder.checks.compare import fmt
from autograder.checks.parts import Heatmap, Part, PartKind, Reveal
from autograder.grading.pipeline import grade_file, unreadable
from autograder.grading.record import read_report
from autograder.grading.report import (AnswerRecord, CallRecord, GradeReport, Message, QuestionInfo, QuestionResult,
                                       Severity)
from autograder.results import figures
from autograder.results.failure import failure_report
from autograder.results.feedback_html import FEEDBACK, feedback_page, question_html, verdict
from autograder.results.figures import heatmap_uri
from autograder.sandbox.pool import ServerPool
from conftest import CONFIG, REPO

SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text()
SCHEMA = json.loads((REPO / "autograder" / "results" / "gradescope.schema.json").read_text())
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>\x1b[31m&amp;'
PNG = b"\x89PNG\r\n\x1a\n"


def changed(*changes: tuple[str, str]) -> str:
    source = SOLUTION
    for old, new in changes:
        assert old in source, old
        source = source.replace(old, new, 1)
    return source


# 1.3.2 missing: part 1.4 is checked with the reference query132 (answer-level values, 4.44 first);
# m_key[2] left as key[2]: the best key, q/|q|, is answer-level too.
SECRET = changed(("query132 = 8 * key[:2].mean(0, keepdim=True)", "pass"),
                 ("m_key[2] /= m_key[2].norm()", "m_key[2] = key[2]"),
                 ("query121 = 1e5 * key[0]", "query121 = key[0]"))
SUBMISSIONS = {
    "full_A2S1.py": SOLUTION,
    "partial_A2S1.py": (REPO / "assignments" / "A2S1" / "samples" / "partial_A2S1.py").read_text(),
    "nan_A2S1.py": changed(("query121 = 1e5 * key[0].unsqueeze(0)", "query121 = key[0].unsqueeze(0) * float('nan')")),
    "raises_A2S1.py": changed(("query131 = 1e-2", "raise ValueError('<b>not bold</b>')\nquery131 = 1e-2")),
    "secret_A2S1.py": SECRET,
    "broken_A2S1.ipynb": "{ this is not a notebook",
}


# ---- pure renderers -------------------------------------------------------------------------------

def _png(uri: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix):], validate=True)


def test_a_heatmap_is_a_png_cached_by_its_rounded_weights():
    got = np.array([[0.2, 0.3, 0.1, 0.4]])
    first = heatmap_uri(Heatmap("w", got.tolist(), [[1.0, 0.0, 0.0, 0.0]]))
    assert _png(first).startswith(PNG)
    hits = figures._render.cache_info().hits
    near = heatmap_uri(Heatmap("another title", (got + 0.001).tolist(), [[1.0, 0.0, 0.0, 0.0]]))
    assert near is first and figures._render.cache_info().hits == hits + 1  # same picture, not redrawn
    assert heatmap_uri(Heatmap("w", (got + 0.1).tolist(), [[1.0, 0.0, 0.0, 0.0]])) != first
    assert figures._render.cache_info().maxsize == figures.CACHE_SIZE  # bounded


def test_a_heatmap_draws_what_there_is():
    only_got = heatmap_uri(Heatmap("w", [[0.5, 0.5, 0, 0]], None))
    nan = heatmap_uri(Heatmap("w", [[float("nan")] * 4], [[1 / 3, 1 / 3, 1 / 3, 0]]))
    vector = heatmap_uri(Heatmap("w", [0.25] * 4, None))
    assert all(_png(u).startswith(PNG) for u in (only_got, nan, vector))
    assert heatmap_uri(Heatmap("w", None, None)) is None
    assert heatmap_uri(Heatmap("w", [[1.0], [1.0, 2.0]], None)) is None  # ragged: not a matrix
    assert nan is heatmap_uri(Heatmap("w", [[float("nan")] * 4], [[1 / 3, 1 / 3, 1 / 3, 0]]))  # NaN hits the cache


def test_rendering_a_figure_takes_milliseconds():
    heatmap_uri(Heatmap("w", [[0.9, 0.1, 0, 0]], None))  # matplotlib imported
    start = time.perf_counter()
    for i in range(5):
        heatmap_uri(Heatmap("w", (np.eye(4) * (0.5 + i / 100)).tolist(), np.eye(4).tolist()))
    each = (time.perf_counter() - start) / 5
    print(f"one 4x4 figure, both panels: {each * 1000:.0f} ms")
    assert each < 0.5


def _question(parts: list[Part], messages: list[Message] = (), score: float = 0.0, **kw) -> QuestionResult:
    info = QuestionInfo("1.2.1", "Select the first value", 1.0)
    return QuestionResult(info, score, parts, list(messages), **kw)


FAILED = Part(PartKind.VALUE, False, "attention(query121, key, value) should be value[0]", expected=[[-0.07, -0.88]],
              got=[[0.1, 0.2]], error=0.97, at=[0, 1], tolerance=0.01, hint="scale the query up")


def test_a_question_says_what_to_fix_and_shows_each_check():
    html = question_html(_question(
        [Part(PartKind.CONDITION, True, "`query121` is numbers", 0.0, True), FAILED,
         Part(PartKind.NOTE, True, "q is your query132")],
        [Message(Severity.INFO, "Answer read from `query121`"), Message(Severity.WARNING, "That cell raised")],
        figures=[Heatmap("attention weights", [[0.25] * 4], [[1.0, 0, 0, 0]])],
        answer=AnswerRecord("query121", "torch.float32", [1, 3], [[1.0, 2.0, 3.0]])))
    assert html.index("Warning:") < html.index("What to fix") < html.index("<table")  # the cause, then the fix
    assert "<li>scale the query up</li>" in html
    for shown in ("[[-0.07, -0.88]]", "[[0.1, 0.2]]", "0.97 at [0, 1] exceeds tolerance 0.01", "required",
                  "<i>q is your query132</i>", "<code>query121</code> = torch.float32 of shape (1, 3)",
                  "data:image/png;base64,"):
        assert shown in html, shown
    assert "class=" not in html and "<style" not in html and "style=" not in html  # Gradescope's sanitiser
    assert "data:image" not in question_html(_question([FAILED], figures=[Heatmap("w", [[1.0]])]), images=False)


@pytest.mark.parametrize("reveal", list(Reveal))
def test_a_function_answers_calls_show_what_it_returned_where_allowed(reveal):
    calls = [CallRecord([AnswerRecord("f(...)", "torch.float32", [2], [0.5, 0.5])]),
             CallRecord(error="ValueError: <no>")]
    html = question_html(QuestionResult(QuestionInfo("1", "f", 1.0, reveal=reveal), 0.0, calls=calls))
    shown = ["call 1 returned <code>f(...)</code> = torch.float32 of shape (2,): <code>[0.5, 0.5]</code>",
             "call 2 raised ValueError: &lt;no&gt;"]
    assert all((text in html) == reveal.allows(Reveal.GOT) for text in shown), html


def test_a_written_answer_waiting_for_a_person_is_pending_not_failed():
    info = QuestionInfo("2.1", "Explain", 2.0, written=True)
    waiting = QuestionResult(info, 0.0, messages=[Message(Severity.INFO, "graded by a teaching assistant")],
                             text="Softmax <b>sharpens</b>\nas q grows")
    page = feedback_page(GradeReport("A2S1", "A2S1.py", "Python script", [waiting]))
    assert "0 / 2 · pending" in page and "what to fix first" not in page
    assert "<blockquote>Softmax &lt;b&gt;sharpens&lt;/b&gt;<br>\nas q grows</blockquote>" in page
    graded = QuestionResult(info, 1.0, text="x", ta_score=1.0)
    assert verdict(graded) == "partial" and verdict(waiting) == "pending"


def test_untrusted_text_is_escaped_everywhere():
    part = Part(PartKind.VALUE, False, HOSTILE, expected=None, got=[[1.0]], error=float("inf"), tolerance=0.01,
                hint=HOSTILE)
    q = _question([part], [Message(Severity.ERROR, HOSTILE)], figures=[Heatmap(HOSTILE, [[float("nan")]])],
                  answer=AnswerRecord(HOSTILE, problem=HOSTILE))
    report = GradeReport("A2S1", HOSTILE, HOSTILE, [q], [HOSTILE], HOSTILE, HOSTILE, isolation=HOSTILE)
    for html in (question_html(q), feedback_page(report)):
        assert "<script" not in html and "<img src=x" not in html and "\x1b" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;" in html
    assert "inf exceeds tolerance 0.01" in question_html(q) and "not shown" in question_html(q)


@pytest.mark.parametrize("make", ["unreadable", "grader failed"])
def test_a_page_for_a_file_that_was_not_graded_says_why(a2s1, make):
    report = (unreadable(a2s1, "x.ipynb", "not a valid notebook <here>") if make == "unreadable"
              else failure_report(a2s1, "x.ipynb", KeyError("no <inputs>")))
    page = feedback_page(report)
    assert "<h2>Problem</h2>" in page and ("not a valid notebook &lt;here&gt;" in page or "KeyError" in page)
    assert "what to fix first" not in page and page.count("0 / 1 · failed") == len(a2s1.questions)
    assert "<section class=\"q" not in page  # the problem is every question's: said once


# ---- real submissions, the command line, a real browser ----------------------------------------------

@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """OUTDIR of `autograder batch` over SUBMISSIONS."""
    root = tmp_path_factory.mktemp("feedback")
    for name, text in SUBMISSIONS.items():
        (root / "in" / name).parent.mkdir(exist_ok=True)
        (root / "in" / name).write_text(text)
    result = subprocess.run([sys.executable, "-m", "autograder", "batch", str(root / "in"), "-a", "A2S1", "--out",
                             str(root / "out")], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return root / "out"


@pytest.mark.parametrize("name", SUBMISSIONS)
def test_the_page_shows_every_picture_and_the_reports_scores(graded, load, tmp_path, name):
    folder = graded / name
    report = read_report(folder / "report.json")
    results = json.loads((folder / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    seen = load(folder / FEEDBACK, tmp_path / f"{name}.png")
    assert (tmp_path / f"{name}.png").stat().st_size > 0
    assert seen.errors == [] and seen.external == [] and seen.broken_images == []
    assert seen.images == sum(len(q.figures) for q in report.questions)
    assert seen.page.inner_text(".total").split() == [f"{report.score:g}", "/", f"{report.max_score:g}", "points"]
    assert results["score"] == report.score
    sections = seen.page.locator("section.q").count()
    assert sections == (0 if report.format == "unreadable" else len(report.questions))
    for q, test in zip(report.questions, results["tests"]):
        shown = f"{q.score:g} / {q.question.points:g} · {verdict(q)}"
        assert test["score"] == q.score
        assert seen.page.inner_text(f".overview tr:has-text('{q.question.name}') .badge") == shown
        if sections:
            assert seen.page.inner_text(f"section[id='q-{q.question.id}'] h2 .badge") == shown


def test_what_a_student_sees_first(graded, load, tmp_path):
    full = load(graded / "full_A2S1.py" / FEEDBACK, tmp_path / "full.png")
    assert "6 / 6 points" in full.text and "what to fix first" not in full.text
    nan = load(graded / "nan_A2S1.py" / FEEDBACK, tmp_path / "nan.png")
    assert "what to fix first" in nan.text and "0 / 1 · failed" in nan.page.inner_text(".overview")
    raised = load(graded / "raises_A2S1.py" / FEEDBACK, tmp_path / "raises.png")
    assert "That cell raised ValueError: <b>not bold</b>" in raised.text  # shown as text, not as markup
    assert not any("not bold" in b for b in raised.page.eval_on_selector_all("b", "bs => bs.map(b => b.textContent)"))
    broken = load(graded / "broken_A2S1.ipynb" / FEEDBACK, tmp_path / "broken.png")
    assert "Problem" in broken.text and "not a valid notebook" in broken.text and broken.images == 0


def test_results_json_questions_show_in_a_browser(graded, load, tmp_path):
    results = json.loads((graded / "partial_A2S1.py" / "results.json").read_text())
    figures_drawn = sum(len(q.figures) for q in read_report(graded / "partial_A2S1.py" / "report.json").questions)
    assert results["test_output_format"] == "html" and {t["output_format"] for t in results["tests"]} == {"html"}
    page = tmp_path / "gradescope.html"
    page.write_text("<!DOCTYPE html><meta charset='utf-8'>" + "<hr>".join(t["output"] for t in results["tests"]))
    seen = load(page, tmp_path / "gradescope.png")
    assert seen.errors == [] and seen.external == [] and seen.broken_images == [] and seen.images == figures_drawn > 0
    assert "What to fix" in seen.text and "max abs error" in seen.text


def test_grade_writes_the_page_next_to_results_json(tmp_path):
    sub = tmp_path / "A2S1.py"
    sub.write_text(SOLUTION)
    out = tmp_path / "out" / "r.json"
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", str(sub), "--out", str(out)],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == [FEEDBACK, "r.json", "report.json"]
    assert "6 <small>/ 6 points</small>" in (out.parent / FEEDBACK).read_text()


# ---- what the config keeps secret never shows ----------------------------------------------------------

def _config(folder: Path, reveal: str) -> Assignment:
    """A2S1 from a copy of the repository's config whose default `reveal` is `reveal`."""
    data = yaml.safe_load(CONFIG.read_text())
    data["defaults"]["reveal"] = reveal
    authoring = ("notebook", "master", "solutions", "samples")
    a2s1 = {k: v for k, v in data["assignments"]["A2S1"].items() if k not in authoring}
    a2s1["checks"] = str(REPO / a2s1["checks"])
    data["assignments"] = {"A2S1": a2s1}
    (folder / "grading_config.yaml").write_text(yaml.safe_dump(data))
    return load_assignment(folder / "grading_config.yaml", "A2S1")


@pytest.fixture(scope="module")
def pool(a2s1: Assignment):
    with ServerPool(a2s1.preload) as p:
        yield p


def _shown(assignment: Assignment, pool: ServerPool, folder: Path) -> tuple[GradeReport, str]:
    """The report of SECRET and everything a student is shown of it: results.json and feedback.html."""
    folder.mkdir()
    (folder / "A2S1.py").write_text(SECRET)
    report = grade_file(folder / "A2S1.py", assignment, pool=pool)
    write_outputs(report, folder / "out")
    return report, (folder / "out" / "results.json").read_text() + (folder / "out" / FEEDBACK).read_text()


def test_feedback_never_shows_what_the_config_keeps_secret(pool, tmp_path):
    _, shown = _shown(_config(tmp_path, "expected"), pool, tmp_path / "expected")
    assert "q/|q|" not in shown and "4.44" not in shown, "the default `reveal: expected` shows no answer"
    assert "data:image/png" in shown and "expected" in shown
    _, shown = _shown(_config(tmp_path, "answer"), pool, tmp_path / "answer")
    assert "q/|q|" in shown and "4.44" in shown, "`reveal: answer` shows the reference answers (the test can fail)"


def test_reveal_score_shows_no_target_and_no_picture(pool, tmp_path):
    targeted, _ = _shown(_config(tmp_path, "expected"), pool, tmp_path / "expected")
    targets = {fmt(np.asarray(p.expected)) for q in targeted.questions for p in q.parts if p.expected is not None}
    report, shown = _shown(_config(tmp_path, "score"), pool, tmp_path / "score")
    assert len(targets) >= 6 and not [t for t in targets if t in shown]
    assert "data:image" not in shown and "your weights" not in shown and "<th>expected</th>" not in shown
    assert [q.score for q in report.questions] == [q.score for q in targeted.questions]
