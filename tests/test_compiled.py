"""The trusted side compiles cells before they are sent: once per distinct cell in a batch."""
from __future__ import annotations

from autograder.sandbox.compiled import compile_cell


def test_identical_cells_are_compiled_once() -> None:
    source = "import torch\nkey = torch.randn(4, 3)\nvalue = key * 2\nprint(value)\n"
    first = compile_cell(source, "cached_A2S1.py", 10, False)
    again = compile_cell(source[:-1] + "\n", "cached_A2S1.py", 10, False)  # an equal string, another object
    assert again is first
    assert [(g.is_import, g.line) for g in first.groups] == [(True, 10), (False, 11)]


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
