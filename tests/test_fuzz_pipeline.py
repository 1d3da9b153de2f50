"""Property-based fuzzing of the whole trusted pipeline, without a child per example: mutated
reference solutions are prepared (read, split, located, compiled, planned), then fabricated event
streams (well-formed runs, mutated and mixed with junk, as a hostile child could write them) go
through the runner's event handling, the checks and the rendering. Nothing raises, and every
results.json is valid and under its size limit."""
from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from autograder.batch.sheet import text_cell
from autograder.grading.pipeline import MAX_CHARS, MAX_NOTES, check_outcome, prepare_file
from autograder.results.gradescope import MAX_BYTES, results_json
from autograder.results.table import print_report
from autograder.sandbox.protocol import CellStatus
from autograder.sandbox.runner import FINAL, RunOutcome, Stop, _Attempt, _handle
from autograder.submission.magics import COLAB_MAGIC_MARKER
from conftest import REPO

SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text(encoding="utf-8")
NOTEBOOK = json.loads((REPO / "solutions" / "A2S1" / "A2S1.ipynb").read_text(encoding="utf-8"))
SCHEMA = json.loads((REPO / "autograder" / "results" / "gradescope.schema.json").read_text())
FUZZ = settings(max_examples=250, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PAYLOADS = [
    "!pip install d2l", "%matplotlib inline", "%%bash", "%%time", "%time query121 = key[:1]", "# %time query122 = key",
    "%timeit -n 3 -r 1 query131 = key.mean(0)", "get_ipython().run_line_magic('time', 'query132 = key[:1]')",
    COLAB_MAGIC_MARKER, "# %%", "# In[ ]:", '"""', "'''", '"""## A markdown cell"""', "\\", "(", ")]}", "def f(:",
    "# define a query vector which averages all the value vectors", "query131 = torch.ones(1, 3)",
    's = """# Define a query vector to ”select” the first value vector', "query121 = 5", "m_key = key.clone()",
    "m_key[2] = 1", "raise Exception('x' * 10_000)", "1/0", "import d2l", "\t", "x = f'{x!r:>{y}}'",
    "f = " + "lambda: " * 120 + "1", "@decorator", "else:", "return 1", "x = " + "(" * 300 + ")" * 300,
    "print('\\x1b]0;title\\x07\\x9b31m')", "\x00", "\ufeff", "\r",
]
lines = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=40))
edits = st.lists(st.tuples(st.sampled_from(["insert", "delete", "duplicate", "splice"]), st.integers(0, 10_000), lines),
                 max_size=8)


def _edit(text: str, ops: list[tuple[str, int, str]]) -> str:
    rows = text.split("\n")
    for op, at, line in ops:
        i = at % (len(rows) + 1)
        if op == "insert":
            rows.insert(i, line)
        elif op == "splice" and i < len(rows):
            rows[i] = rows[i][:at % 7] + line + rows[i][at % 7:]
        elif op == "duplicate" and i < len(rows):
            rows.insert(i, rows[i])
        elif op == "delete" and i < len(rows):
            del rows[i]
    return "\n".join(rows)


@st.composite
def submissions(draw) -> tuple[str, bytes]:
    if draw(st.booleans()):
        return "A2S1.py", _edit(SOLUTION, draw(edits)).encode("utf-8", errors="surrogatepass")
    cells = [dict(c) for c in NOTEBOOK["cells"]]
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(cells) - 1))
        source = cells[i]["source"]
        cells[i]["source"] = _edit("".join(source) if isinstance(source, list) else source, draw(edits))
        if draw(st.booleans()):
            cells[i]["cell_type"] = draw(st.sampled_from(["code", "markdown", "raw"]))
    return "A2S1.ipynb", json.dumps({**NOTEBOOK, "cells": cells}).encode("utf-8", errors="surrogatepass")


numbers = st.one_of(st.floats(), st.integers(-10**30, 10**30))
json_values = st.recursive(
    st.none() | st.booleans() | numbers | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@st.composite
def arrays(draw) -> dict:
    """An answer as the child sends it: mostly consistent, of the questions' shapes, so that the checks run."""
    shape = draw(st.sampled_from([[1, 3], [3], [4, 3], [2, 2], []]) | st.lists(st.integers(0, 4), max_size=3))
    size = 1
    for n in shape:
        size *= n
    data = draw(st.lists(st.floats(-2, 2) | numbers, min_size=size, max_size=size) | st.lists(numbers, max_size=20))
    return {"type": "array", "dtype": draw(st.sampled_from(["torch.float32", "int", ["x"], None])), "shape": shape,
            "data": data}


wires = st.one_of(arrays(), st.builds(lambda kind, detail: {"type": kind, "detail": detail, "elements": detail},
                                    st.sampled_from(["missing", "none", "too_large", "object", "array", "?"]),
                                    json_values), json_values)
errors = st.one_of(st.none(), json_values, st.fixed_dictionaries(
    {"type": st.sampled_from(["ValueError", "SyntaxError", "IndentationError", "Stopped", "E"]),
     "message": st.text(max_size=3000), "line": st.one_of(st.none(), st.integers(-5, 400), st.text(max_size=3))}))
keys = st.one_of(st.sampled_from(["1.2.1", "1.2.2", "1.3.1", "1.3.2", "1.4.1", "1.4.2"]), json_values)


@st.composite
def event_lines(draw, expected: dict[int, set[str]]) -> list[bytes]:
    """A well-formed run of the plan, then edited: events dropped, repeated, forged, and junk lines."""
    events: list[object] = [{"ev": "ready"}]
    for cell in [*sorted(c for c in expected if c != FINAL), -1]:
        events.append({"ev": "start", "cell": cell})
        if cell != -1:
            events += [{"ev": "note", "cell": cell, "line": draw(st.integers(0, 99)),
                        "text": draw(st.text(max_size=400))} for _ in range(draw(st.integers(0, 2)))]
            events += [{"ev": "raised", "cell": cell, "error": draw(errors),
                        "module": draw(st.one_of(st.none(), st.text()))} for _ in range(draw(st.integers(0, 2)))]
            events.append({"ev": "end", "cell": cell, "error": draw(errors)})
        for key in sorted(expected[FINAL if cell == -1 else cell]):
            events.append({"ev": "capture", "key": key, "value": draw(wires)} if draw(st.integers(0, 5)) else
                          {"ev": "call", "key": key, "results": draw(st.one_of(st.none(), json_values)),
                           "value": draw(wires)})
    events.append({"ev": "done"})
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(events)))
        forged = draw(st.one_of(
            st.fixed_dictionaries({"ev": st.sampled_from(["ready", "start", "note", "raised", "end", "capture",
                                                          "call", "done", "?"]),
                                   "cell": st.one_of(st.integers(-2, 40), json_values), "key": keys, "error": errors,
                                   "value": wires, "text": json_values}),
            json_values))
        events.insert(at, forged)
    for _ in range(draw(st.integers(0, 3))):
        del events[draw(st.integers(0, len(events) - 1))]
    out = [json.dumps(e).encode() for e in events]
    junk = st.one_of(st.binary(max_size=50), st.just(b"[" * 5000 + b"]" * 5000),
                     st.just(b'{"ev": ' + b"9" * 5000 + b"}"))
    for _ in range(draw(st.integers(0, 3))):
        out.insert(draw(st.integers(0, len(out))), draw(junk))
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(st.data())
def test_the_trusted_pipeline_never_fails_and_stays_bounded(a2s1, folder, data):
    name, content = data.draw(submissions())
    path = folder / name
    path.write_bytes(content)
    prepared = prepare_file(path, a2s1)
    if prepared.problem is not None:
        assert prepared.problem
        return
    plan = prepared.plan
    assert plan is not None and plan.to_bytes()
    expected = {i: {c.key for c in plan.captures.get(i, [])} | {c.key for c in plan.calls.get(i, [])}
                for i in range(len(plan.cells))}
    expected[FINAL] = {c.key for c in plan.final_captures} | {c.key for c in plan.final_calls}
    state = _Attempt(expected)
    for line in data.draw(event_lines(expected)):
        _handle(state, line)
    failure = data.draw(st.sampled_from([None, Stop(CellStatus.TIMEOUT, "timed out after 10 s"),
                                         Stop(CellStatus.CRASHED, "was killed by SIGKILL")]))
    outcome = RunOutcome(state.cells, state.captures, state.calls, data.draw(st.text(max_size=2000)), failure, 0.0, 1,
                         state.tampering)
    report = check_outcome(prepared, outcome, a2s1, "process", public_only=data.draw(st.booleans()))
    document = results_json(report)
    jsonschema.validate(document, SCHEMA)
    assert len(json.dumps(document, indent=2, ensure_ascii=False).encode()) <= MAX_BYTES
    assert len(report.notes) <= MAX_NOTES + 2 and all(len(n) <= MAX_CHARS + 40 for n in report.notes[:MAX_NOTES])
    assert 0 <= report.score <= report.max_score
    print_report(report, Console(file=io.StringIO()), verbose=True)
    text_cell(report.status()[1])
