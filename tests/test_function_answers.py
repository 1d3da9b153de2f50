"""A question can ask for a function that the grader calls, in isolation, with inputs of its own."""
from __future__ import annotations

import textwrap

from autograder.assignment import load_assignment
from autograder.grading.pipeline import grade_file
from autograder.results.explain import question_lines

CHECKS = '''
import numpy as np
from autograder.checks import Context, check, inputs

@inputs("1")
def softmax_inputs():
    return [[[1.0, 2.0, 3.0]], [[0.0, 0.0]]]

@check("1")
def softmax_check(ctx: Context) -> None:
    for call in ctx.calls:
        x = np.array(call.inputs[0])
        expected = np.exp(x) / np.exp(x).sum()
        if call.output is None or not call.output.usable:
            ctx.close(f"softmax({call.inputs[0]})", np.full_like(expected, np.nan), expected)
        else:
            ctx.close(f"softmax({call.inputs[0]})", call.output.array, expected)
'''


def _assignment(tmp_path):
    (tmp_path / "checks.py").write_text(CHECKS)
    (tmp_path / "nb.ipynb").write_text("{}")
    (tmp_path / "grading_config.yaml").write_text(textwrap.dedent("""
        assignments:
          FN1:
            title: Functions
            notebook: nb.ipynb
            checks: checks.py
            preload: [torch]
            questions:
              - id: "1"
                title: Softmax
                points: 2
                prompt: implement softmax
                answer: {function: my_softmax}
    """))
    return load_assignment(tmp_path / "grading_config.yaml", "FN1")


def test_function_answer_called_with_grader_inputs(tmp_path):
    a = _assignment(tmp_path)
    sub = tmp_path / "FN1.py"
    sub.write_text("import torch\n# implement softmax\ndef my_softmax(x):\n    return torch.softmax(x, -1)\n")
    report = grade_file(sub, a)
    assert report.questions[0].score == 2, question_lines(report.questions[0])


def test_function_answer_partly_wrong_gets_partial_credit(tmp_path):
    a = _assignment(tmp_path)
    sub = tmp_path / "FN1.py"
    sub.write_text("import torch\n# implement softmax\ndef my_softmax(x):\n"
                   "    if len(x) == 2:\n        raise ValueError('two')\n    return torch.softmax(x, -1)\n")
    report = grade_file(sub, a)
    assert report.questions[0].score == 1


def test_missing_function_scores_zero_with_a_message(tmp_path):
    a = _assignment(tmp_path)
    sub = tmp_path / "FN1.py"
    sub.write_text("# implement softmax\nmy_softmax = 3\n")
    report = grade_file(sub, a)
    assert report.questions[0].score == 0
    assert any("not a function" in line for line in question_lines(report.questions[0]))
