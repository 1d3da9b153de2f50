"""The trusted side compiles cells before they are sent: once per distinct cell in a batch."""
from __future__ import annotations

import traceback

from autograder.sandbox.compiled import _compile_cell, compile_cell


def test_identical_cells_are_compiled_once_wherever_they_are() -> None:
    source = "import torch\nkey = torch.randn(4, 3)\nvalue = key * 2\nprint(value)\n"
    before = _compile_cell.cache_info()
    first = compile_cell(source, "cached_A2S1.py", 10, False)
    again = compile_cell(source[:-1] + "\n", "other_A2S1.py", 30, False)  # an equal string, another object
    after = _compile_cell.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    assert [(g.is_import, g.line) for g in first.groups] == [(True, 10), (False, 11)]
    assert [(g.line, g.code.co_filename) for g in again.groups] == [(30, "other_A2S1.py"), (31, "other_A2S1.py")]


def test_a_cell_that_does_not_parse_runs_nothing_unless_it_can_be_recovered() -> None:
    source = "x = 1\ny = (\nz = 3\n"
    strict = compile_cell(source, "recover_A2S1.py", 5, False)
    assert strict.groups == () and strict.error["type"] == "SyntaxError"
    recovered = compile_cell(source, "recover_A2S1.py", 5, True)
    ns: dict = {}
    for group in recovered.groups:
        exec(group.code, ns)
    assert (ns["x"], ns["z"], "y" in ns) == (1, 3, False) and recovered.error is None
    assert recovered.notes[0][0] == 6 and "skipped those lines" in recovered.notes[0][1]


def test_a_moved_cell_reports_the_lines_of_its_file() -> None:
    cell = compile_cell("def f():\n    return 1 / 0\n", "b_A2S1.py", 50, False)
    ns: dict = {}
    exec(cell.groups[0].code, ns)
    try:
        ns["f"]()
    except ZeroDivisionError as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
    assert (frame.filename, frame.lineno) == ("b_A2S1.py", 51)


def test_error_messages_name_the_lines_of_the_file() -> None:
    cell = compile_cell("x = [1,\n     2)\n", "c_A2S1.py", 40, False)
    assert cell.error["line"] == 41 and "on line 40" in cell.error["message"]
