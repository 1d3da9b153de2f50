"""A question can ask for a function that the grader calls, in isolation, with inputs of its own."""
from __future__ import annotations

import textwrap

import pytest

from autograder.assignment import load_assignment
from autograder.checks import Answer, CallResult
from autograder.config import ConfigError
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


MIXED = '''
import numpy as np
from autograder.checks import Context, call, check, inputs, tensor

@inputs("1")
def softmax_inputs():
    return [[[1.0, 2.0, 3.0]], call(tensor([0.0, 1.0], "float64"), seed=3)]

@check("1")
def softmax_check(ctx: Context) -> None:
    plain, typed = ctx.calls
    ctx.require(plain.inputs == [[1.0, 2.0, 3.0]] and typed.inputs.seed == 3, "inputs as the author gave them")
    ctx.require(typed.output is typed.outputs[0] and typed.output.dtype == "torch.float64", "output is outputs[0]")
    for c, x in ((plain, np.array(plain.inputs[0])), (typed, np.array(typed.inputs.args[0].value))):
        ctx.close("softmax", c.output.array, np.exp(x) / np.exp(x).sum())
'''


def test_argument_lists_and_calls_mix_and_keep_what_the_author_gave(tmp_path):
    a = _assignment(tmp_path)
    (tmp_path / "checks.py").write_text(MIXED)
    sub = tmp_path / "FN1.py"
    sub.write_text("import torch\n# implement softmax\ndef my_softmax(x):\n    return torch.softmax(x, -1)\n")
    report = grade_file(sub, a)
    assert report.questions[0].score == 2, question_lines(report.questions[0])


def test_a_call_result_built_from_one_output_or_several_agrees_on_output():
    one, two = Answer("a", None, problem="x"), Answer("b", None, problem="y")
    assert CallResult([], one).outputs == (one,)
    assert CallResult([], outputs=(one, two)).output is one
    assert CallResult([], error="timed out after 1 s").outputs == ()


def test_a_question_timeout_is_validated_and_decides_the_run(tmp_path):
    a = _assignment(tmp_path)
    assert a.questions[0].call_timeout is None
    config = tmp_path / "grading_config.yaml"
    config.write_text(config.read_text().replace("{function: my_softmax}", "{function: my_softmax, timeout: 30}"))
    slower = load_assignment(config, "FN1")
    assert slower.questions[0].call_timeout == 30 and slower.run_fingerprint != a.run_fingerprint
    config.write_text(config.read_text().replace("timeout: 30", "timeout: 0"))
    with pytest.raises(ConfigError, match="timeout"):
        load_assignment(config, "FN1")


def test_without_the_hidden_checks_a_function_answer_is_still_seen_as_one(tmp_path):
    a = _assignment(tmp_path)
    (tmp_path / "checks.py").unlink()
    sub = tmp_path / "FN1.py"
    sub.write_text("import torch\n# implement softmax\ndef my_softmax(x):\n    return torch.softmax(x, -1)\n")
    result = grade_file(sub, a, public_only=True).questions[0]
    assert result.calls == [] and any("is a function" in line for line in question_lines(result))
