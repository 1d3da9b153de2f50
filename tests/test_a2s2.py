"""A2S2 "Queries, Keys and Values: the exercises": the master and its generated files, the data the
notebook and the checks share, the checks' own maths, and grades end to end.

Every answer of A2S2 is a function the grader calls with inputs of its own. The reference solution
must score full marks at every isolation level this machine offers, the blank notebook zero without
failing, and each sample in assignments/A2S2/samples (the seeds' wrong claims written as code: the
2·Cov Jacobian, a softmax SE block, a score whose width does not act as a width, ...) must fail the
right questions with messages that say why.
"""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import nbformat
import numpy as np
import pytest
import torch
import yaml
from otter_assign import assert_otter_agrees, code_cells, needs_otter
from conftest import CONFIG, REPO

from autograder.assign import (
    parse_master,
    write_assignment,
)
from autograder.assignment import Assignment, load_assignment
from autograder.grading.pipeline import grade_file
from autograder.grading.report import GradeReport
from autograder.results.explain import question_lines
from autograder.sandbox.pool import ServerPool

MASTER = REPO / "solutions/A2S2/A2S2.master.ipynb"
STUDENT = REPO / "assignments/A2S2/A2S2.ipynb"
SOLUTIONS = [REPO / "solutions/A2S2/A2S2.ipynb", REPO / "solutions/A2S2/A2S2.py"]
SAMPLES = REPO / "assignments/A2S2/samples"
CHECKS = REPO / "assignments/A2S2/checks.py"
SCHEMA = json.loads((REPO / "autograder/results/gradescope.schema.json").read_text())
LEVELS = ("namespace", "user", "process")
FUNCTIONS = {"2.1": "attention_pool", "2.2": "approx_score", "2.3": "attention_jacobian", "2.4.1": "soft_search",
             "2.4.2": "encoder_grad", "2.4.3": "train_search_engine", "2.5.1": "se_block", "2.5.2": "se_gates"}
WRITTEN = {"q2_2w": 1, "q2_3w": 2, "q2_4w": 1, "q2_5w": 1}  # manual questions of the master: written answers
# Lines of the reference solution that must not reach students.
SOLUTION_LINES = ["torch.softmax(score(q, K)", "(2 * width ** 2)", "torch.outer(mean, mean)",
                  "queries @ docs.T / temperature", "W.grad", "torch.optim.Adam", "torch.sigmoid("]

# Each sample: the points it must get per question (the others: full marks), and what the failed
# questions' explanations must say.
SAMPLE_SCORES: dict[str, dict[str, float]] = {
    "two_cov_A2S2.py": {"2.3": 0},
    "diagonal_softmax_A2S2.py": {"2.3": 0},
    "dot_product_match_A2S2.py": {"2.2": 0},
    "width_multiplies_A2S2.py": {"2.2": 0},
    "softmax_se_A2S2.py": {"2.5.1": 0, "2.5.2": 0.25},
    "naive_softmax_A2S2.py": {"2.1": 1.75},
    "hard_search_A2S2.py": {"2.4.1": 0.25, "2.4.2": 0, "2.4.3": 0},
    "no_training_A2S2.py": {"2.4.3": 0},
    "seed_student_A2S2.py": {"2.2": 0, "2.3": 0, "2.5.1": 0, "2.5.2": 0.25},
}
SAMPLE_MESSAGES: dict[str, dict[str, list[str]]] = {
    "two_cov_A2S2.py": {"2.3": ["your Jacobian is 2.00 × the reference", "p(diag − ppᵀ)", "not twice that"]},
    "diagonal_softmax_A2S2.py": {"2.3": ["Σ_i p_i(1 − p_i) k_i k_iᵀ", "kept only the diagonal", "−p_i p_j"]},
    "dot_product_match_A2S2.py": {"2.2": ["the key with the largest dot product q·k", "q·k favours long keys",
                                          "your scores do not change with the width",
                                          "Li and Lipton score the same"]},
    "width_multiplies_A2S2.py": {"2.2": ["your attention gets sharper as the width grows",
                                         "divide by the width instead of multiplying",
                                         "the weight of the nearest key falls as the width grows, never rising "
                                         "(it grows from width"]},
    "softmax_se_A2S2.py": {"2.5.1": ["your gates are a softmax over the channels"],
                           "2.5.2": ["your gates sum to [1.0, 1.0] over the channels: that is a softmax",
                                     "a softmax cannot switch every channel off"]},
    "naive_softmax_A2S2.py": {"2.1": ["exp of scores near 1000 overflows", "subtract the largest score"]},
    "hard_search_A2S2.py": {"2.4.1": ["your weights are one-hot: that is hard retrieval (argmax)"],
                            "2.4.2": ["does not require grad", "the loss is not connected to W"],
                            "2.4.3": ["the loss is not connected to W"]},
    "no_training_A2S2.py": {"2.4.3": ["no better than word overlap", "mean reciprocal rank 0.289"]},
    "seed_student_A2S2.py": {"2.2": ["q·k favours long keys"], "2.3": ["2.00 × the reference"],
                             "2.5.2": ["that is a softmax"]},
}


def _checks_module():
    spec = importlib.util.spec_from_file_location("a2s2_checks_for_tests", CHECKS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def a2s2() -> Assignment:
    return load_assignment(CONFIG, "A2S2")


@pytest.fixture(scope="module")
def checks():
    return _checks_module()


@pytest.fixture(scope="module")
def pool(a2s2):
    with ServerPool(a2s2.preload) as p:
        yield p


@pytest.fixture(scope="module")
def samples(a2s2, pool) -> dict[str, GradeReport]:
    return {name: grade_file(SAMPLES / name, a2s2, False, pool) for name in SAMPLE_SCORES}



def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=cwd)


def _grade_cli(path: Path, out: Path) -> dict:
    result = _cli("grade", str(path), "-a", "A2S2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    return data


def _lines(report: GradeReport, qid: str) -> str:
    return "\n".join(question_lines(next(q for q in report.questions if q.question.id == qid)))


# --------------------------------------------------------------------------- the master and generated files

def test_generated_files_are_up_to_date(tmp_path):
    fresh = [tmp_path / "A2S2.ipynb", tmp_path / "solution.ipynb", tmp_path / "A2S2.py"]
    write_assignment(MASTER, *fresh)
    for committed, new in zip([STUDENT, *SOLUTIONS], fresh):
        assert committed.read_text(encoding="utf-8") == new.read_text(encoding="utf-8"), (
            f"{committed.relative_to(REPO)} is stale: run `autograder assign -a A2S2`")


def test_assign_command_writes_the_committed_files(tmp_path):
    block = yaml.safe_load(CONFIG.read_text())["assignments"]["A2S2"]
    block.update(notebook="student/A2S2.ipynb", checks=str(CHECKS), master=str(MASTER),
                 solutions=["sol/A2S2.ipynb", "sol/A2S2.py"], samples=None)
    (tmp_path / "grading_config.yaml").write_text(yaml.safe_dump({"assignments": {"A2S2": block}}))
    result = _cli("assign", "-a", "A2S2", "--config", str(tmp_path / "grading_config.yaml"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "student/A2S2.ipynb").read_text() == STUDENT.read_text()
    assert (tmp_path / "sol/A2S2.ipynb").read_text() == SOLUTIONS[0].read_text()
    assert (tmp_path / "sol/A2S2.py").read_text() == SOLUTIONS[1].read_text()


def test_master_questions_match_the_config(a2s2):
    master = parse_master(nbformat.read(str(MASTER), as_version=4))
    graded = {q.name: q.points for q in master.questions if not q.config.get("manual")}
    manual = {q.name: q.points for q in master.questions if q.config.get("manual")}
    code = [q for q in a2s2.questions if not q.is_written]
    assert graded == {f"q{q.id.replace('.', '_')}": q.points for q in code}
    assert manual == WRITTEN == {f"q{q.id.replace('.', '_')}": q.points for q in a2s2.questions if q.is_written}
    assert {q.id: q.answer for q in code} == FUNCTIONS
    assert all(q.is_function for q in code)


def test_generated_notebooks_are_valid_with_unique_ids():
    for path in (STUDENT, SOLUTIONS[0]):
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
        ids = [c.id for c in nb.cells]
        assert len(set(ids)) == len(ids), path


def test_student_notebook_is_blank_and_runs_as_python(a2s2):
    nb = nbformat.read(str(STUDENT), as_version=4)
    text = STUDENT.read_text(encoding="utf-8")
    assert "SOLUTION" not in text
    assert [line for line in SOLUTION_LINES if line in text] == []
    for source in code_cells(nb):
        compile(source, "<cell>", "exec")  # a blank function still parses (its docstring is its body)
    for q in (q for q in a2s2.questions if not q.is_written):  # written prompts are Markdown
        cells = [s for s in code_cells(nb) if q.prompt in s]
        assert len(cells) == 1, q.id
        assert f"def {q.answer}(" in cells[0] and "# TODO:" in cells[0]
    # the written prompts are kept for students, the model answers are not
    prompts = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("**Written answer")]
    assert [p.split(":**")[0] for p in prompts] == [f"**Written answer 2.{n}" for n in (2, 3, 4, 5)]
    assert "log-partition" not in text and "log-partition" in SOLUTIONS[0].read_text()


def test_solution_cells_differ_from_the_student_cells_only_in_answers():
    student = code_cells(nbformat.read(str(STUDENT), as_version=4))
    solution = code_cells(nbformat.read(str(SOLUTIONS[0]), as_version=4))
    assert len(student) == len(solution)
    for blank, full in zip(student, solution):
        lines = iter(full.split("\n"))
        assert all(line in lines for line in blank.split("\n")), blank  # the solution only adds lines


@needs_otter
def test_real_otter_assign_accepts_the_master(tmp_path):
    assert_otter_agrees(MASTER, tmp_path / "out", timeout=300,
                        placeholder=re.compile(r"^ *\.\.\.\n|\n *\.\.\.$| \.\.\.$", re.MULTILINE),
                        marker=re.compile(r"  # SOLUTION$|\n *# (BEGIN|END) SOLUTION$", re.MULTILINE))


# --------------------------------------------------------------------------- the data and the checks' maths

def _notebook_namespace() -> dict:
    """The solution notebook's set-up cells, run as a student's notebook runs them."""
    nb = nbformat.read(str(SOLUTIONS[0]), as_version=4)
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("id") in ("imports", "names", "collection"):
            exec(compile(cell.source, "<cell>", "exec"), ns)  # noqa: S102 - the repository's own notebook
    return ns


def test_the_notebook_and_the_checks_share_their_data(checks, capsys):
    ns = _notebook_namespace()
    assert ns["DB"] == checks.DB and ns["VOCAB"] == checks.VOCAB
    assert np.array_equal(ns["name_keys"].numpy(), checks.NAME_KEYS.astype(np.float32))
    assert np.array_equal(ns["doc_bows"].numpy(), checks.DOCS)
    assert np.array_equal(ns["train_bows"].numpy(), checks.TRAIN_BOWS)
    assert np.array_equal(ns["train_targets"].numpy(), checks.TRAIN_TARGETS)
    # the held-out queries are not the notebook's
    held_out = {tuple(row) for row in checks.HELD_OUT_BOWS.tolist()}
    assert len(held_out & {tuple(row) for row in ns["val_bows"].tolist()}) < 0.3 * len(held_out)


def test_the_names_embedding_makes_the_textbooks_example_true(checks):
    d = {last: float(((checks.embed_name("Li") - checks.embed_name(last)) ** 2).sum()) for last, _ in checks.DB}
    assert d["Li"] == 0 and d["Lipton"] < 0.1 and min(v for k, v in d.items() if k not in ("Li", "Lipton")) > 2
    # ... and q·k cannot tell "Li" from "Lipton"
    li = checks.embed_name("Li")
    assert li @ checks.embed_name("Lipton") == li @ li


def test_the_checks_targets_agree_with_autograd(checks):
    for q, K in checks.JACOBIAN:
        def attention(q, Kt=torch.tensor(K)):
            return torch.softmax(Kt @ q, -1) @ Kt

        reference = torch.autograd.functional.jacobian(attention, torch.tensor(q))
        assert np.allclose(checks.covariance(q, K), reference.numpy(), atol=1e-12)
    for bows, docs, targets, W, t in checks.GRAD:
        Wt = torch.tensor(W, requires_grad=True)
        p = torch.softmax(torch.tensor(bows) @ Wt @ torch.tensor(docs).T / t, -1)
        (-torch.log(p[torch.arange(len(targets)), torch.tensor(targets)]).mean()).backward()
        assert np.allclose(checks.encoder_gradient(bows, docs, targets, W, t), Wt.grad.numpy(), atol=1e-12)


def test_the_random_databases_separate_nearest_from_largest_dot_product(checks):
    for case in checks.MATCH:
        dist = np.linalg.norm(case.K - case.q, axis=1)
        assert int(np.argmin(dist)) == case.nearest != int(np.argmax(case.K @ case.q))


def test_mean_reciprocal_rank_counts_ties_against_the_student(checks):
    targets = np.array([0, 1, 2])
    assert checks.mean_reciprocal_rank(np.eye(3), targets) == 1
    assert checks.mean_reciprocal_rank(np.zeros((3, 3)), targets) == pytest.approx(1 / 3)
    assert checks.OVERLAP_MRR < checks.MRR_LEARNED - 0.2  # the collection needs a trained engine


# --------------------------------------------------------------------------- grades end to end

@pytest.mark.parametrize("index", [0, 1])
def test_reference_solutions_score_full_marks(a2s2, tmp_path, index):
    data = _grade_cli(SOLUTIONS[index], tmp_path / "results.json")
    code = [q for q in a2s2.questions if not q.is_written]  # a TA scores the written answers: 0 until then
    assert data["score"] == sum(q.points for q in code) == 12, data
    assert [t["status"] for t in data["tests"]] == ["passed"] * 8 + ["failed"] * 4
    assert all("graded by a teaching assistant" in t["output"] for t in data["tests"][8:])
    assert data["extra_data"]["status"] == "graded" and data["extra_data"]["failure"] is None


def test_blank_notebook_scores_zero_without_failing(tmp_path):
    data = _grade_cli(STUDENT, tmp_path / "results.json")
    assert data["score"] == 0 and all(t["score"] == 0 for t in data["tests"])
    assert data["extra_data"]["failure"] is None and data["extra_data"]["status"] == "graded"
    assert all("returned None for all" in t["output"] for t in data["tests"][:8]), data["tests"]


def test_the_solution_gets_the_same_full_marks_at_every_isolation_level(a2s2):
    scores = {}
    for level in LEVELS:
        with ServerPool(a2s2.preload, isolation=level) as p:
            if p.level != level:
                continue  # not available on this machine (no bubblewrap, or not root)
            report = grade_file(SOLUTIONS[1], a2s2, False, p)
        scores[level] = [q.score for q in report.questions]
        assert report.score == 12, {q.question.id: question_lines(q) for q in report.questions if not q.passed}
        assert not report.trouble, report.trouble_spots
    assert "process" in scores and len({tuple(s) for s in scores.values()}) == 1, scores


def test_training_is_quick_and_its_grade_deterministic(a2s2, pool):
    start = time.monotonic()
    first = grade_file(SOLUTIONS[1], a2s2, False, pool)
    seconds = time.monotonic() - start
    second = grade_file(SOLUTIONS[1], a2s2, False, pool)
    assert seconds < 30, f"grading the solution took {seconds:.1f} s"
    assert _lines(first, "2.4.3") == _lines(second, "2.4.3")
    assert "mean reciprocal rank 0.9" in _lines(first, "2.4.3")


@pytest.mark.parametrize("name", sorted(SAMPLE_SCORES))
def test_samples_fail_the_right_questions_and_say_why(samples, name):
    report = samples[name]
    got = {q.question.id: round(q.score, 4) for q in report.questions}
    expected = {q.question.id: SAMPLE_SCORES[name].get(q.question.id, 0 if q.question.written else q.question.points)
                for q in report.questions}  # a written answer scores 0 until a TA scores it
    assert got == expected, {qid: _lines(report, qid) for qid in got if got[qid] != expected[qid]}
    for qid, texts in SAMPLE_MESSAGES[name].items():
        lines = _lines(report, qid)
        assert [t for t in texts if t not in lines] == [], lines


def test_samples_folder_holds_exactly_the_listed_samples():
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(SAMPLE_SCORES)
