"""What a student is told about a wrong answer: the cause where the grader can see it, the way to
fix it, and never a hidden answer. Each case is the reference script with one change."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from autograder.assignment import Assignment
from autograder.checks.parts import Reveal
from autograder.grading.pipeline import grade_file
from autograder.results.explain import question_lines
from autograder.results.gradescope import results_json
from autograder.sandbox.pool import ServerPool


@pytest.fixture(scope="module")
def pool(a2s1: Assignment):
    with ServerPool(a2s1.preload) as p:
        yield p


def _graded(a2s1: Assignment, pool, tmp_path: Path, *changes: tuple[str, str], assignment: Assignment | None = None):
    source = a2s1.solutions[1].read_text()
    for old, new in changes:
        assert old in source, old
        source = source.replace(old, new, 1)
    path = tmp_path / "A2S1.py"
    path.write_text(source)
    report = grade_file(path, assignment or a2s1, pool=pool)
    return report, {r.question.id: "\n".join(question_lines(r)) for r in report.questions}


def test_a_query_too_small_to_select_is_told_to_scale_up(a2s1, pool, tmp_path):
    report, text = _graded(a2s1, pool, tmp_path, ("query121 = 1e5 * key[0]", "query121 = key[0]"))
    assert report.questions[0].score == 0
    assert "your weights put 0.51 on key 0, 0.25 on key 1" in text["1.2.1"], text["1.2.1"]
    assert "to select key 0 alone the softmax must be nearly one-hot: scale the query up" in text["1.2.1"]
    heatmap = report.questions[0].figures[0]
    assert heatmap.expected == [[1.0, 0.0, 0.0, 0.0]] and 0.5 < heatmap.got[0][0] < 0.52


def test_a_query_averaging_two_keys_instead_of_one_is_described(a2s1, pool, tmp_path):
    _, text = _graded(a2s1, pool, tmp_path, ("query121 = 1e5 * key[0]", "query121 = 8 * key[:2].mean(0)"))
    assert "your weights put 0.50 on key 0 and 0.50 on key 1; key 0 must score clearly higher than key 1" \
        in text["1.2.1"], text["1.2.1"]


def test_a_key_changed_in_place_by_an_earlier_cell_is_named_as_the_cause(a2s1, pool, tmp_path):
    report, text = _graded(a2s1, pool, tmp_path, ("m_key = key.clone()", "key[3] = key[3] * 2\nm_key = key.clone()"))
    scores = {r.question.id: r.score for r in report.questions}
    assert scores["1.4.1"] == 0 and scores["1.4.2"] == 0
    for qid in ("1.4.1", "1.4.2"):
        assert "only m_key[2] may change: rows [3] differ from key" in text[qid]
        assert "Your `key` differs from the notebook's by up to 0." in text[qid] and "(rows [3])" in text[qid]
        assert "key.clone()" in text[qid]


def test_nan_from_normalising_a_zero_query_says_why_in_the_question(a2s1, pool, tmp_path):
    report, text = _graded(a2s1, pool, tmp_path, ("query132 = 8 * key[:2].mean(0, keepdim=True)",
                                                  "query132 = torch.zeros(1, 3)"))
    assert {r.question.id: r.score for r in report.questions}["1.4.2"] == 0
    assert "`m_key` contains NaN or Inf" in text["1.4.2"]
    assert "Your answer to 1.3.2 (`query132`) is all zeros" in text["1.4.2"], text["1.4.2"]
    assert "normalising an all-zero vector" in text["1.4.2"]


def test_an_earlier_failure_is_named_in_each_question_it_can_explain(a2s1, pool, tmp_path):
    report, text = _graded(a2s1, pool, tmp_path, ("key = torch.randn(4, 3)", "key = torch.randn(4, 3, generator=gen)"))
    failed = [r.question.id for r in report.questions if not r.passed]
    assert failed, "value is the notebook's own, so its loss breaks answers"
    for qid in failed:
        assert "Earlier in your file, line 24 failed: NameError: name 'gen' is not defined" in text[qid], text[qid]


def _everything(report) -> str:
    return json.dumps(results_json(report)) + "\n".join("\n".join(question_lines(r)) for r in report.questions)


def test_feedback_never_states_an_answer_the_config_keeps_secret(a2s1, pool, tmp_path):
    # 1.3.2 missing: part 1.4 is checked with the reference query132, whose values are answer-level;
    # a wrong m_key[2]: the best key (q/|q|) is answer-level too.
    changes = (("query132 = 8 * key[:2].mean(0, keepdim=True)", "pass"), ("m_key[2] /= m_key[2].norm()", "m_key[2] = -key[2]"))
    report, _ = _graded(a2s1, pool, tmp_path, *changes)
    shown = _everything(report)
    assert "q/|q|" not in shown and "4.44" not in shown, "the default `reveal: expected` states no answer"
    assert "expected [[" in shown, "targets are shown by default"
    answers = [dataclasses.replace(q, reveal=Reveal.ANSWER) for q in a2s1.questions]
    report, _ = _graded(a2s1, pool, tmp_path, *changes, assignment=dataclasses.replace(a2s1, questions=tuple(answers)))
    shown = _everything(report)
    assert "q/|q|" in shown and "4.44" in shown, "`reveal: answer` shows the reference answers"
    scores = [dataclasses.replace(q, reveal=Reveal.SCORE) for q in a2s1.questions]
    report, _ = _graded(a2s1, pool, tmp_path, *changes, ("query121 = 1e5 * key[0]", "query121 = key[0]"),
                        assignment=dataclasses.replace(a2s1, questions=tuple(scores)))
    shown = _everything(report)
    shown = json.dumps([t["output"] for t in results_json(report)["tests"]])
    assert "-0.07, -0.88, 0.47" not in shown and "your weights" not in shown and "max abs error" not in shown, shown
    assert not any(r.figures for r in report.questions)
    assert [r.score for r in report.questions][:1] == [0]
