"""The trusted side compiles cells before they are sent: once per distinct cell in a batch."""
from __future__ import annotations

import traceback

from autograder.sandbox.compiled import MAX_CHUNKS, _compile_cell, compile_cell


def test_identical_cells_are_compiled_once_wherever_they_are() -> None:
    source = "import torch\nkey = torch.randn(4, 3)\nvalue = key * 2\nprint(value)\n"
    before = _compile_cell.cache_info()
    first = compile_cell(source, "cached_A2S1.py", 10, False)
    again = compile_cell(source[:-1] + "\n", "other_A2S1.py", 30, False)  # an equal string, another object
    after = _compile_cell.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    assert [(g.is_import, g.line) for g in first.groups] == [(True, 10), (False, 11), (False, 12), (False, 13)]
    assert [(g.line, g.code.co_filename) for g in again.groups] == [(n, "other_A2S1.py") for n in (30, 31, 32, 33)]


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


def test_set_up_code_skips_a_statement_the_compiler_rejects_and_goes_on() -> None:
    source = "x = 1\nreturn x\ny = 2\n"
    strict = compile_cell(source, "reject_A2S1.py", 1, False)
    assert len(strict.groups) == 1 and strict.error["line"] == 2
    recovered = compile_cell(source, "reject_A2S1.py", 1, True)
    assert [g.line for g in recovered.groups] == [1, 3] and recovered.error is None
    assert recovered.notes[0][0] == 2 and "skipped that statement" in recovered.notes[0][1]


def test_deeply_nested_functions_are_refused_not_a_crash() -> None:
    source = "f = " + "lambda: " * 500 + "1\nx = 2\n"
    strict = compile_cell(source, "nest_A2S1.py", 3, False)
    assert strict.groups == () and strict.error["line"] == 3 and "nested more than" in strict.error["message"]
    recovered = compile_cell(source, "nest_A2S1.py", 3, True)
    assert [g.line for g in recovered.groups] == [4] and "nested more than" in recovered.notes[0][1]


def test_recovering_many_broken_chunks_is_linear() -> None:
    import time

    source = "".join(f"x{i} = (\n" for i in range(20_000))
    start = time.process_time()
    cell = compile_cell(source, "broken_A2S1.py", 100_000, True)
    assert time.process_time() - start < 20  # quadratic was minutes; linear is about a second
    assert len(cell.notes) == MAX_CHUNKS + 1 and "skipped from here" in cell.notes[0][1]
    assert cell.notes[0][0] == 100_000 + MAX_CHUNKS and cell.notes[-1][0] == 100_000 + MAX_CHUNKS - 1


def test_a_huge_cell_is_compiled_in_runs_of_statements() -> None:
    source = "".join(f"x{i} = {i}\n" for i in range(50_000)) + "return 1\n"
    strict = compile_cell(source, "huge_A2S1.py", 1, False)
    assert strict.error["line"] == 50_001 and len(strict.groups) <= 1001
    ns: dict = {}
    for group in strict.groups:
        exec(group.code, ns)
    assert ns["x49999"] == 49_999
