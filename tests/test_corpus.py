"""The A2S1 corpus: real-looking submissions graded end to end, each with the verdict it must get.

Every file in tests/corpus/A2S1/ is graded once with the real grader (a real fork server,
real child processes, real torch). tests/corpus/A2S1/expected.yaml says what each question
must score and what its explanation must say; the files themselves are made by
tests/corpus/make_corpus.py. Besides the verdicts, every grade must not raise, must leave no
process running, must not write outside its scratch folder, and must leave the fork
server alive for the next submission.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import yaml

from autograder.assignment import Assignment, load_assignment
from autograder.grading.pipeline import grade_file
from autograder.results.explain import question_lines
from autograder.grading.report import GradeReport
from autograder.sandbox.pool import ServerPool

CONFIG = Path(__file__).parents[1] / "grading_config.yaml"
CORPUS = Path(__file__).parent / "corpus" / "A2S1"
EXPECTED: dict[str, dict] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".py", ".ipynb"))
CASES = sorted(set(FILES) | set(EXPECTED))
KEYS = {"scores", "contains", "notes", "output", "absent", "format", "max_seconds", "needs_separate_user",
        "xfail", "xfail_messages", "xfail_time"}
# Files a submission might write outside its scratch folder: Gradescope's results, and the file
# hostile_write_outside.py writes next to its scratch folder (a name only this corpus uses).
FORGEABLE = (Path("/autograder/results/results.json"), Path(tempfile.gettempdir()) / "escaped_results.json")
SETTLE_SECONDS = 3.0


@dataclass
class Graded:
    """One case graded: the report (or the exception), and what the run left behind."""

    report: GradeReport | None
    error: str | None
    seconds: float
    leftovers: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    server_died: bool = False


class Grader:
    """Grades each case once, with one fork server shared by the whole corpus (as a batch would)."""

    def __init__(self, assignment: Assignment, workdir: Path) -> None:
        self.assignment = assignment
        self.workdir = workdir
        self.pool = ServerPool(assignment.preload)
        self.cache: dict[str, Graded] = {}
        grade_file(assignment.notebook, assignment, False, self.pool)  # start-up is not timed

    def get(self, case: str) -> Graded:
        if case not in self.cache:
            self.cache[case] = self._grade(case)
        return self.cache[case]

    def _grade(self, case: str) -> Graded:
        FORGEABLE[1].unlink(missing_ok=True)  # a stale copy from an interrupted run
        existed = {p for p in FORGEABLE if p.exists()}
        running = {p.pid for p in psutil.Process().children(recursive=True)}
        cwd = os.getcwd()
        os.chdir(self.workdir)
        start = time.monotonic()
        try:
            report = grade_file(CORPUS / case, self.assignment, False, self.pool)
            error = None
        except Exception:  # noqa: BLE001 - recorded and asserted on, never hidden
            report, error = None, traceback.format_exc()
        finally:
            seconds = time.monotonic() - start
            os.chdir(cwd)
        graded = Graded(report, error, seconds)
        graded.server_died = not self.pool.server.alive()
        graded.leftovers = _leftover_processes(keep=running | {self.pool.pid})
        for p in sorted(self.workdir.iterdir()):
            graded.written.append(p.name)
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        for p in FORGEABLE:
            if p.exists() and p not in existed:
                graded.written.append(str(p))
                p.unlink()
        return graded

    def close(self) -> None:
        self.pool.close()


def _leftover_processes(keep: set[int]) -> list[str]:
    """Descendants of this process not in `keep` (the fork server, whatever ran before), after a
    short grace; they are killed here so that a failing case does not leak them."""
    me = psutil.Process()
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        left = [p for p in me.children(recursive=True) if p.pid not in keep]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    described = []
    for p in left:
        try:
            described.append(f"pid {p.pid} {p.name()} ({p.status()}): {' '.join(p.cmdline())[:100]}")
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=2)
    return described


@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory):
    g = Grader(load_assignment(CONFIG, "A2S1"), tmp_path_factory.mktemp("grader-cwd"))
    yield g
    g.close()


def _spec(case: str) -> dict:
    return EXPECTED.get(case) or {}


def _report(grader: Grader, case: str) -> GradeReport:
    """The case's report; grading must not have raised. A case that only holds when student code
    runs as a separate user is an expected failure where the grader could not arrange that."""
    graded = grader.get(case)
    assert graded.error is None, f"grading raised:\n{graded.error}"
    assert graded.report is not None
    isolation = graded.report.isolation
    if _spec(case).get("needs_separate_user") and "separate user" not in isolation:
        pytest.xfail(f"student code ran as the grader's own user here (isolation: {isolation}): "
                     + _spec(case)["needs_separate_user"])
    return graded.report


def _params(xfail_key: str, only_with: str | None = None) -> list:
    params = []
    for case in CASES:
        spec = _spec(case)
        if only_with and only_with not in spec:
            continue
        reason = spec.get(xfail_key)
        marks = [pytest.mark.xfail(reason=reason, strict=True, raises=AssertionError)] if reason else []
        params.append(pytest.param(case, marks=marks, id=case))
    return params


def test_every_case_file_has_an_expectation_and_back():
    assert set(FILES) == set(EXPECTED), (
        f"without expectations: {sorted(set(FILES) - set(EXPECTED))}; "
        f"without a file: {sorted(set(EXPECTED) - set(FILES))}")


def test_expectations_are_well_formed():
    ids = [q.id for q in load_assignment(CONFIG, "A2S1").questions]
    for case, spec in EXPECTED.items():
        assert isinstance(spec, dict) and set(spec) <= KEYS, (case, set(spec or {}) - KEYS)
        assert sorted(spec["scores"]) == sorted(ids), (case, "scores must name every question")
        assert set(spec.get("contains", {})) <= set(ids), case
        assert case.endswith((".py", ".ipynb")), case


@pytest.mark.parametrize("case", _params("xfail"))
def test_scores(grader: Grader, case: str):
    """The exact score of every question; grading never raises and leaves nothing behind."""
    assert case in EXPECTED, f"{case} has no entry in expected.yaml"
    report = _report(grader, case)
    graded = grader.get(case)
    got = {r.question.id: r.score for r in report.questions}
    want = {q: float(s) for q, s in _spec(case)["scores"].items()}
    explained = "\n".join(f"{r.question.id} = {r.score}: " + " | ".join(question_lines(r)) for r in report.questions)
    assert got == pytest.approx(want, abs=1e-9), f"scores differ from expected.yaml\n{explained}"
    assert report.score == pytest.approx(sum(want.values()), abs=1e-9)
    assert graded.leftovers == [], "processes left running after grading"
    assert graded.written == [], "the submission wrote files outside its scratch folder"
    assert not graded.server_died, "the submission killed the fork server"


@pytest.mark.parametrize("case", _params("xfail_messages"))
def test_messages(grader: Grader, case: str):
    """The explanations name what was expected and what was found."""
    spec = _spec(case)
    report = _report(grader, case)
    lines = {r.question.id: "\n".join(question_lines(r)) for r in report.questions}
    for qid, wanted in spec.get("contains", {}).items():
        for text in wanted:
            assert text in lines[qid], f"{qid}: {text!r} not in:\n{lines[qid]}"
    notes = "\n".join(report.notes)
    for text in spec.get("notes", []):
        assert text in notes, f"note {text!r} not in:\n{notes}"
    for text in spec.get("output", []):
        assert text in report.student_output, f"{text!r} not in the student's output"
    everything = notes + "\n" + "\n".join(lines.values())
    for text in spec.get("absent", []):
        assert text not in everything, f"{text!r} should not appear:\n{everything}"
    if "format" in spec:
        assert report.format == spec["format"]
    assert all(question_lines(r) for r in report.questions), "every question explains its score"


@pytest.mark.parametrize("case", _params("xfail_time", only_with="max_seconds"))
def test_time(grader: Grader, case: str):
    """A submission costs no more wall clock than its own trouble (e.g. one cell_timeout)."""
    graded = grader.get(case)
    assert graded.error is None, f"grading raised:\n{graded.error}"
    assert graded.seconds <= _spec(case)["max_seconds"], f"grading took {graded.seconds:.1f} s"
