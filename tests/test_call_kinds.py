"""Function answers beyond "a function of float tensors", in the real sandbox with real torch: typed
arguments (int64 token ids, bool masks, numpy arrays, plain values, the author's expressions),
keyword arguments, several differently shaped outputs, a seed per call, a timeout per call, calls
that hang or crash, and hostile return values."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from autograder.assignment import Assignment, load_assignment
from autograder.grading.pipeline import grade_file
from autograder.grading.recheck import recheck
from autograder.grading.record import report_from_dict, report_to_dict
from autograder.grading.report import GradeReport, QuestionResult
from autograder.results.explain import question_lines
from autograder.results.feedback_html import feedback_page
from autograder.results.gradescope import results_json
from autograder.sandbox.pool import ServerPool

LEVELS = ("namespace", "user", "process")
WEIRD = ("many", "object", "nan", "huge", "shared", "liar", "empty", "none", "numbers")  # what `weird` returns

CHECKS = f"WEIRD = {WEIRD!r}\n" + '''
import random

import numpy as np
import torch

from autograder.checks import Context, array, call, check, code, inputs, py, tensor

Q, K, V = [1.0, 0.0], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]


def each_call_returned(ctx: Context) -> None:
    for i, c in enumerate(ctx.calls):
        ctx.credit(c.error is None, f"call {i} returned", hint=c.error)


@inputs("dtypes")
def dtype_inputs():
    return [call(tensor([[1, 2, 3]], "int64"), tensor([[True, False, True]], "bool"),
                 x=array([0.5, 1.5], "float32"), mode=py("double"))]


@check("dtypes")
def dtype_check(ctx: Context) -> None:
    c = ctx.calls[0]
    if ctx.require(c.error is None and len(c.outputs) == 3, f"three outputs ({c.error})"):
        ctx.require([o.dtype for o in c.outputs] == ["torch.int64", "torch.bool", "numpy.float32"], "dtypes kept")
        ctx.close("ids + 1", c.outputs[0].array, np.array([[2.0, 3.0, 4.0]]), tol=0)
        ctx.close("mask & (ids > 1)", c.outputs[1].array, np.array([[0.0, 0.0, 1.0]]), tol=0)
        ctx.close("2 x", c.outputs[2].array, np.array([1.0, 3.0]), tol=0)


@inputs("pool")
def pool_inputs():
    args = (tensor(Q), tensor(K), tensor(V))
    return [call(*args, score=code("lambda q, k: -((q - k) ** 2).sum(-1)")),
            call(*args, score=code("make_score(0.5)")),
            call(*args, score=code("undefined_helper(1)"))]


@check("pool")
def pool_check(ctx: Context) -> None:
    q, k, v = (np.array(a.value) for a in ctx.calls[0].inputs.args)
    for c, scores in zip(ctx.calls, (-((q - k) ** 2).sum(-1), 0.5 * (k @ q))):
        if ctx.require(c.error is None and len(c.outputs) == 2, f"two outputs ({c.error})"):
            w = np.exp(scores - scores.max())
            w /= w.sum()
            ctx.close("pooled value", c.outputs[0].array, w @ v, tol=1e-5)
            ctx.close("weights", c.outputs[1].array, w, tol=1e-5)
    error = ctx.calls[2].error or ""
    ctx.require("NameError" in error and "undefined_helper" in error, f"a raising argument is that call's error ({error})")


@inputs("seeded")
def seeded_inputs():
    return [call(py(4), seed=7), call(py(4), seed=7), call(py(3), seed=123)]


@check("seeded")
def seeded_check(ctx: Context) -> None:
    for c in ctx.calls:
        n, seed = c.inputs.args[0].value, c.inputs.seed
        torch.manual_seed(seed)
        np.random.seed(seed)
        random.seed(seed)
        expected = (torch.rand(n).double().numpy(), np.random.rand(n), np.array(random.random()))
        if ctx.require(c.error is None and len(c.outputs) == 3, f"three draws ({c.error})"):
            for name, got, want in zip(("torch", "numpy", "random"), c.outputs, expected):
                ctx.close(f"{name} draw with seed {seed}", got.array, want, tol=0)


@inputs("nap")
def nap_inputs():
    return [call(py(0.0)), call(py(2.0)), call(py(30.0), timeout=1), call(py(0.1))]


@inputs("boom")
def boom_inputs():
    return [call(py("ok")), call(py("exit")), call(py("segv")), call(py("ok"))]


@inputs("weird")
def weird_inputs():
    return [call(py(kind)) for kind in WEIRD]


check("nap")(each_call_returned)
check("boom")(each_call_returned)
check("weird")(each_call_returned)


@check("later")
def later_check(ctx: Context) -> None:
    ctx.close("later", ctx.answer.array, np.ones(2))
'''

CONFIG = '''
assignments:
  CK:
    title: Call kinds
    checks: checks.py
    preload: [torch]
    questions:
      - {id: dtypes, title: Typed, points: 1, prompt: typed inputs here, answer: {function: kinds}}
      - {id: pool, title: Pool, points: 1, prompt: attention pool here, answer: {function: attention_pool}}
      - {id: seeded, title: Seeded, points: 1, prompt: seeded draw here, answer: {function: draw}}
  CT:
    title: Calls that hang or crash
    checks: checks.py
    preload: [torch]
    limits: {cell_timeout: 1}
    questions:
      - {id: nap, title: Nap, points: 1, prompt: nap here, answer: {function: nap, timeout: 5}}
      - {id: boom, title: Boom, points: 1, prompt: boom here, answer: {function: boom}}
      - {id: later, title: Later, points: 1, prompt: later here, answer: later}
  CH:
    title: Hostile outputs
    checks: checks.py
    preload: [torch]
    questions:
      - {id: weird, title: Weird, points: 1, prompt: weird here, answer: {function: weird}}
'''

KINDS = '''
# %%
import random

import numpy as np
import torch

# %%
# typed inputs here
def kinds(ids, mask, x, mode="single"):
    assert ids.dtype == torch.int64 and mask.dtype == torch.bool and x.dtype == np.float32 and mode == "double"
    return ids + 1, mask & (ids > 1), x * 2

# %%
# attention pool here
def make_score(scale):
    return lambda q, k: scale * (k @ q)

def attention_pool(q, K, V, score):
    w = torch.softmax(score(q, K), -1)
    return w @ V, w

# %%
# seeded draw here
def draw(n):
    return torch.rand(n), np.random.rand(n), random.random()
'''

TIMING = '''
# %%
import ctypes
import os
import time

import torch

# %%
# nap here
def nap(seconds):
    time.sleep(seconds)
    return seconds

# %%
# boom here
def boom(how):
    if how == "exit":
        os._exit(3)
    if how == "segv":
        ctypes.string_at(0)
    return 1.0

# %%
# later here
later = torch.ones(2)
'''

HOSTILE = '''
# %%
import numpy as np
import torch

class Liar(tuple):
    def __len__(self):
        return 10**9

    def __getitem__(self, i):
        raise RuntimeError("no")

    def __iter__(self):
        while True:
            yield 0

# %%
# weird here
def weird(kind):
    return {
        "many": lambda: tuple(range(1000)),
        "object": object,
        "nan": lambda: torch.tensor([float("nan"), 1.0]),
        "huge": lambda: torch.zeros(200_001),
        "shared": lambda: (torch.zeros(60_000), torch.zeros(60_000)),
        "liar": lambda: Liar((torch.ones(1), torch.ones(2))),
        "empty": tuple,
        "none": lambda: None,
        "numbers": lambda: (torch.tensor([1, 2]), np.array([True, False]), 3),
    }[kind]()
'''


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("call-kinds")
    (folder / "checks.py").write_text(CHECKS)
    (folder / "grading_config.yaml").write_text(CONFIG)
    for name, text in (("kinds.py", KINDS), ("timing.py", TIMING), ("hostile.py", HOSTILE)):
        (folder / name).write_text(textwrap.dedent(text))
    return folder


class Pools:
    """One fork server per isolation level this machine offers, started on first use."""

    def __init__(self) -> None:
        self.pools: dict[str, ServerPool | None] = {}

    def get(self, level: str) -> ServerPool | None:
        if level not in self.pools:
            pool = ServerPool(("torch",), isolation=level)
            if pool.level != level:
                pool.close(wait=False)
                pool = None
            self.pools[level] = pool
        return self.pools[level]

    def available(self) -> list[str]:
        return [level for level in LEVELS if self.get(level) is not None]

    def close(self) -> None:
        for pool in self.pools.values():
            if pool is not None:
                pool.close()


@pytest.fixture(scope="module")
def pools():
    made = Pools()
    yield made
    made.close()


def grade(course: Path, name: str, file: str, pool: ServerPool) -> tuple[GradeReport, Assignment]:
    assignment = load_assignment(course / "grading_config.yaml", name)
    return grade_file(course / file, assignment, False, pool), assignment


def best(pools: Pools) -> ServerPool:
    pool = pools.get(pools.available()[0])
    assert pool is not None
    return pool


def by_id(report: GradeReport) -> dict[str, QuestionResult]:
    return {r.question.id: r for r in report.questions}


def test_typed_arguments_keywords_several_outputs_and_expressions(course, pools):
    report, _ = grade(course, "CK", "kinds.py", best(pools))
    results = by_id(report)
    assert results["dtypes"].score == 1, question_lines(results["dtypes"])
    assert results["pool"].score == 1, question_lines(results["pool"])
    dtypes = results["dtypes"].calls[0]
    assert [o.dtype for o in dtypes.outputs] == ["torch.int64", "torch.bool", "numpy.float32"]
    assert dtypes.outputs[1].data == [[0.0, 0.0, 1.0]] and dtypes.output == dtypes.outputs[0]
    pooled = results["pool"].calls
    assert [o.shape for o in pooled[0].outputs] == [[2], [3]]
    assert [o.name for o in pooled[0].outputs] == ["attention_pool(...)[0]", "attention_pool(...)[1]"]
    assert pooled[2].outputs == [] and "undefined_helper" in pooled[2].error


def test_the_same_seed_gives_the_same_draw_at_every_isolation_level(course, pools):
    graded = {level: grade(course, "CK", "kinds.py", pools.get(level))[0] for level in pools.available()}
    for level, report in graded.items():
        assert report.score == report.max_score, (level, [question_lines(r) for r in report.questions])
    draws = {level: [[o.data for o in c.outputs] for c in by_id(r)["seeded"].calls] for level, r in graded.items()}
    first = next(iter(draws.values()))
    assert first[0] == first[1] != first[2]  # seed 7 twice, then seed 123
    assert all(d == first for d in draws.values()), draws


def test_a_call_is_timed_by_its_own_timeout_and_one_that_hangs_or_crashes_costs_only_itself(course, pools):
    report, _ = grade(course, "CT", "timing.py", best(pools))
    results = by_id(report)
    nap = results["nap"].calls
    assert [c.error for c in nap] == [None, None, "timed out after 1 s", None], "2 s > cell_timeout, < its 5 s"
    assert [c.output.data for c in nap if c.output] == [0.0, 2.0, 0.1]
    boom = results["boom"].calls
    assert [c.error for c in boom] == [None, "ended the Python process early (exit code 3)",
                                       "crashed (segmentation fault)", None]
    assert results["nap"].score == 0.75 and results["boom"].score == 0.5
    assert results["later"].score == 1, question_lines(results["later"])
    assert report.failure is None


def test_hostile_return_values_are_clear_problems_never_a_grader_failure(course, pools):
    report, _ = grade(course, "CH", "hostile.py", best(pools))
    calls = dict(zip(WEIRD, report.questions[0].calls))
    assert calls["many"].error == "returned 1000 values; the grader reads at most 32"
    assert "builtins.object, not numbers" in calls["object"].output.problem
    assert calls["nan"].output.data[1] == 1.0 and calls["nan"].output.data[0] != calls["nan"].output.data[0]
    assert "far too large (200001 elements)" in calls["huge"].output.problem
    assert calls["shared"].outputs[0].shape == [60000] and "far too large" in calls["shared"].outputs[1].problem
    assert [o.shape for o in calls["liar"].outputs] == [[1], [2]]
    assert calls["empty"].outputs == [] and calls["empty"].error is None
    assert "is None" in calls["none"].output.problem
    assert [o.dtype for o in calls["numbers"].outputs] == ["torch.int64", "numpy.bool", "int"]
    assert not report.grader_failed and report.questions[0].score == pytest.approx(8 / 9, abs=1e-3)
    json.dumps(results_json(report), allow_nan=False)
    assert "far too large" in feedback_page(report)


def test_stored_call_results_are_rechecked_to_the_same_grade(course, pools):
    report, assignment = grade(course, "CK", "kinds.py", best(pools))
    stored = report_from_dict(json.loads(json.dumps(report_to_dict(report))))
    assert stored is not None and stored.questions[1].calls == report.questions[1].calls
    again = recheck(stored, assignment)
    assert again is not None
    assert results_json(again) == results_json(report)


def test_call_events_must_follow_the_plan_or_they_are_tampering():
    from autograder.sandbox.runner import _Attempt, _handle

    def lines(*events: dict) -> list[bytes]:
        return [json.dumps(e).encode() for e in events]

    state = _Attempt({0: {"f"}, 1: set()}, {"f": [5.0, 7.0]})
    for line in lines({"ev": "ready"}, {"ev": "start", "cell": 0}, {"ev": "end", "cell": 0, "error": None}):
        assert _handle(state, line)
    refused = lines({"ev": "calling", "key": "f", "index": 0},  # before the answer's `call` event
                    {"ev": "call", "key": "g", "callable": True})  # not planned after this cell
    assert not any(_handle(state, line) for line in refused)
    assert _handle(state, *lines({"ev": "call", "key": "f", "callable": True}))
    assert state.timeout(1.0) == 1.0
    assert _handle(state, *lines({"ev": "calling", "key": "f", "index": 1}))  # call 0 was left out
    assert state.call == ("f", 1) and state.timeout(1.0) == 7.0
    refused = lines({"ev": "calling", "key": "f", "index": 1}, {"ev": "start", "cell": 1},  # during a call
                    {"ev": "returned", "key": "f", "index": True}, {"ev": "returned", "key": "f", "index": 0})
    assert not any(_handle(state, line) for line in refused)
    assert _handle(state, *lines({"ev": "returned", "key": "f", "index": 1, "outputs": []}))
    assert state.call is None and state.returned == {"f": {1: {"ev": "returned", "key": "f", "index": 1, "outputs": []}}}
    refused = lines({"ev": "calling", "key": "f", "index": 0}, {"ev": "calling", "key": "f", "index": 2},
                    {"ev": "call", "key": "f", "callable": False})
    assert not any(_handle(state, line) for line in refused)
    assert state.tampering is not None and _handle(state, *lines({"ev": "start", "cell": 1}))
