"""Property-based fuzzing of the untrusted-file parsers (notebook JSON, .py exports, prompt search).

Whatever bytes a student hands in, loading either gives cells or a SubmissionError with a
message, and locating questions never fails.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.locate import Target, locate
from autograder.submission import SubmissionError
from autograder.submission.load import load_bytes
from conftest import REPO

TARGETS = [Target("a", 'Define a query vector to "select" the first value vector', "query121"),
           Target("b", "averages the first three value vectors", "m_key"),
           Target("c", "returns the third value vector", "m_key")]
SOLUTION_LINES = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text().splitlines()
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
cells = st.fixed_dictionaries(
    {"cell_type": st.sampled_from(["code", "markdown", "raw", 7, None]),
     "source": st.one_of(st.text(max_size=200), st.lists(st.text(max_size=40), max_size=5), json_values)},
    optional={"metadata": json_values, "outputs": json_values, "execution_count": json_values, "id": json_values},
)
notebooks = st.fixed_dictionaries(
    {"cells": st.one_of(st.lists(cells, max_size=6), json_values)},
    optional={"nbformat": st.sampled_from([4, 3, 5, "4", None]), "nbformat_minor": st.integers(-1, 10),
              "metadata": json_values},
)


def check(data: bytes, name: str) -> None:
    try:
        sub = load_bytes(data, name)
    except SubmissionError as e:
        assert str(e)
        return
    assert sub.cells and all(isinstance(c.source, str) for c in sub.cells)
    new_cells, where = locate(sub.cells, TARGETS)
    assert set(where) == {"a", "b", "c"}
    assert all(loc.cell is None or 0 <= loc.cell < len(new_cells) for loc in where.values())
    assert "".join(c.source for c in new_cells).count("\n") <= "".join(c.source for c in sub.cells).count("\n") + 1


@pytest.mark.parametrize("data, name", [
    (b"[" * 100_000, "A2S1.ipynb"),  # found by fuzzing: json.loads raised RecursionError
    (b"x = " + b"1 + " * 200_000 + b"1", "A2S1.py"),  # found by fuzzing: ast.parse raised RecursionError
    (b"(" * 100_000, "A2S1.py"),
    (b"\xff\xfe" + "x = 1\n".encode("utf-16-le"), "A2S1.py"),
])
def test_pathological_inputs(data: bytes, name: str) -> None:
    check(data, name)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_as_script(data: bytes) -> None:
    check(data, "A2S1.py")


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_as_notebook(data: bytes) -> None:
    check(data, "A2S1.ipynb")


@FUZZ
@given(notebooks)
def test_structured_but_wrong_notebooks(nb: dict) -> None:
    check(json.dumps(nb).encode(), "A2S1.ipynb")


@FUZZ
@given(st.lists(st.sampled_from(SOLUTION_LINES + ["!pip install x", "%%capture", "# %%", "# In[ ]:", '"""',
                                                  "'''", "\t", "\r", "\x00", "\ufeff", "def f(:", "# %%capture"]),
                max_size=120))
def test_mangled_exports(lines: list[str]) -> None:
    check("\n".join(lines).encode("utf-8", errors="surrogatepass"), "A2S1.py")
