"""Each question's cell is found from its prompt, in any format, not from line numbers."""
from __future__ import annotations

from autograder.locate import Target, locate, normalise
from autograder.submission.cells import Cell
from autograder.submission.load import load_bytes

TARGETS = [
    Target("a", 'Define a query vector to "select" the first value vector', "q1"),
    Target("b", "define a query vector which averages all the value vectors", "q2"),
    Target("c", "averages the first three value vectors", "m"),
    Target("d", "returns the third value vector", "m"),
]

SCRIPT = """import torch
# Define a query vector to \u201dselect\u201d the first value vector
# TODO:
q1 = 1
# define a query vector which averages all the value vectors
q2 = 2
m = 0
# Define a replacement ... such that the result of attention
# with the same unchanged query q from (1.3.2) averages the first three value vectors.
m = 3
# Define a replacement ... such that the result of attention
# with the same unchanged query q from (1.3.2) returns the third value vector v[2].
m = 4
"""


def test_normalise_unifies_quotes_dashes_and_comments():
    assert normalise("# Define  a query\n# to \u201dselect\u201d \u2013 all") == 'define a query to "select" - all'


def test_prompts_split_a_markerless_script_into_question_cells():
    cells, where = locate(load_bytes(SCRIPT.encode(), "A2S1.py").cells, TARGETS)
    assert [where[k].how for k in "abcd"] == ["prompt"] * 4
    assert cells[where["a"].cell].source.splitlines()[-1] == "q1 = 1"
    assert "m = 0" in cells[where["b"].cell].source
    assert cells[where["c"].cell].source.strip().endswith("m = 3")
    assert cells[where["d"].cell].source.strip().endswith("m = 4")
    assert cells[where["c"].cell].first_line == 8


def test_missing_prompt_falls_back_to_the_assigning_cell():
    text = "# %%\nimport torch\n# %%\nq1 = 5\n# %%\nq2 = 6\n"
    cells, where = locate(load_bytes(text.encode(), "A2S1.py").cells, TARGETS[:2])
    assert where["a"].how == "assignment" and "q1 = 5" in cells[where["a"].cell].source
    assert where["b"].how == "assignment" and "q2 = 6" in cells[where["b"].cell].source


def test_nothing_found_reads_the_final_value():
    _, where = locate(load_bytes(b"x = 1\n", "A2S1.py").cells, TARGETS[:1])
    assert where["a"].cell is None and where["a"].how == "end"


def test_prompts_and_assignments_count_only_in_code_python_runs():
    hidden = ('s = """\n# Define a query vector to "select" the first value vector\nq1 = 100\n"""\n'
              "x = '''\nq2 = 5\n'''\n")
    cells, where = locate(load_bytes(hidden.encode(), "A2S1.py").cells, TARGETS)
    assert where["a"].how != "prompt" and where["b"].cell is None, where
    assert all('"""' not in c.source.split("\n")[0] or c.source.startswith("s =") for c in cells)


def test_locating_is_fast_on_a_flood_of_lookalike_lines():
    import time

    text = ("q1" + " " * 50_000 + "\n") * 20 + "# " + "Define a query " * 10_000 + "\n"
    start = time.process_time()
    locate([Cell(text, "A2S1.py")], TARGETS)  # more code than the loader accepts: locate alone
    assert time.process_time() - start < 5


def test_an_assignment_inside_a_string_of_a_cell_that_does_not_parse_splits_nothing():
    source = "x = (\ns = '''\nm = 1\n" + "a\n" * 1000 + "'''\nm = 2\nm = 3\n"  # the cell does not parse
    cells, where = locate([Cell(source, "A2S1.py")], TARGETS[2:])
    assert [cells[where[k].cell].first_line for k in "cd"] == [1005, 1006]  # the string stays whole, in one cell
