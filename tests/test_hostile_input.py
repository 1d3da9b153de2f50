"""Hostile input to the trusted side (SECURITY.md, "Bounds on the trusted side"): whatever a file
within the size limit holds, the grader ends with a result, spends at most a few seconds of its
own CPU and a few hundred MB of its own memory on it, and writes a results.json under 1 MB.

Each class of attack is built at the limits and graded end to end with the real grader (a real
fork server, real children, real torch), or fed to the one trusted step it targets. The grader's
trusted side runs in this process: its CPU is this process's, the child's is another process's."""
from __future__ import annotations

import ctypes
import dataclasses
import gc
import io
import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import jsonschema
import pytest
from rich.console import Console

from autograder.assignment import Assignment
from autograder.checks.values import decode_wire
from autograder.grading import pipeline
from autograder.grading.pipeline import grade_file
from autograder.checks.parts import Heatmap
from autograder.grading.report import GradeReport, Message, QuestionResult, Severity
from autograder.results.feedback_html import question_html
from autograder.results.gradescope import MAX_BYTES as RESULTS_BYTES, SHORTENED, results_json, write_results
from autograder.results.table import print_report
from autograder.results.text import printable
from autograder.sandbox.pool import ServerPool
from autograder.submission.cells import MAX_CELLS, MAX_CODE
from autograder.submission.load import MAX_BYTES, load_bytes
from autograder.submission.magics import COLAB_MAGIC_MARKER, MAX_TIMED, unwrap_timed
from autograder.submission.notebook import MAX_CONTAINERS
from conftest import REPO

GRADER_CPU = 5.0  # seconds of the grader's own CPU per file
GRADER_MB = 300  # growth of the grader's peak resident memory per file
WALL = 120.0  # seconds per file, child included (generous: this machine is shared)
_LIBC = ctypes.CDLL(None)
SCHEMA = json.loads((REPO / "autograder" / "results" / "gradescope.schema.json").read_text())
SOLUTION = (REPO / "solutions" / "A2S1" / "A2S1.py").read_text(encoding="utf-8")
NOTEBOOK = json.loads((REPO / "solutions" / "A2S1" / "A2S1.ipynb").read_text(encoding="utf-8"))
ROOM = MAX_BYTES - len(SOLUTION) - 10_000  # what a hostile part may fill
CODE_ROOM = MAX_CODE - 8_000  # code a hostile part may add under the limit


def fill(unit: str, room: int = ROOM) -> str:
    return unit * (room // len(unit))


def setup(hostile: str) -> str:
    """The reference solution with `hostile` code run first, in set-up code no question reads."""
    return hostile + "\n" + SOLUTION


def notebook(*cells: tuple[str, str]) -> str:
    return json.dumps({**NOTEBOOK, "cells": [
        {"cell_type": kind, "metadata": {}, "source": source,
         **({"execution_count": None, "outputs": []} if kind == "code" else {})} for kind, source in cells]})


def forge(data: str) -> str:
    """Set-up code that writes `data` (a bytes expression) on every descriptor the child holds."""
    return f"import os, json\ndata = {data}\nfor fd in range(3, 64):\n    try:\n        os.write(fd, data)\n" \
           "    except OSError:\n        pass\n"


@dataclasses.dataclass
class Cost:
    cpu: float = 0.0
    wall: float = 0.0
    mb: float = 0.0

    def check(self) -> None:
        assert self.cpu < GRADER_CPU and self.mb < GRADER_MB and self.wall < WALL, self


def _status(key: str) -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith(key))


@contextmanager
def measured() -> Iterator[Cost]:
    """The grader's CPU, wall time and peak memory growth (MB) over the block."""
    cost = Cost()
    gc.collect()
    _LIBC.malloc_trim(0)  # give freed memory back, so that reusing it counts as growth
    Path("/proc/self/clear_refs").write_text("5")  # the peak resident size starts again from now
    rss, cpu, wall = _status("VmRSS"), time.process_time(), time.monotonic()
    yield cost
    cost.cpu, cost.wall = time.process_time() - cpu, time.monotonic() - wall
    cost.mb = _status("VmHWM") - rss


@pytest.fixture(scope="module")
def pool(a2s1: Assignment):
    with ServerPool(a2s1.preload) as p:
        yield p


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    content: str | bytes
    says: str = ""  # in the results (a note, the problem, an explanation)
    score: float | None = None

    @property
    def filename(self) -> str:
        return "A2S1.ipynb" if isinstance(self.content, str) and self.content.startswith("{") else "A2S1.py"


CASES = [
    # Patterns that backtrack: long runs of what they repeat, in code, comments, strings and Markdown.
    Case("spaces after an answer's name", setup("query121" + fill(" ") + "x"), "KB of code", 0),
    Case("tabs", fill("\t") + "x", "KB of code", 0),
    Case("brackets", fill("("), "KB of code", 0),
    Case("quotes", fill('"'), "KB of code", 0),
    Case("hashes", setup(fill("#")), score=6),
    Case("one comment line of 5 MB", setup("# " + fill("define a query ")), score=6),
    Case("one string line of 5 MB", setup("s = '" + fill("a[") + "'"), score=6),
    Case("quotes inside a string", setup("s = '''" + fill('"') + "'''"), score=6),
    Case("timing magic options", setup("%timeit" + fill(" -n 1", CODE_ROOM) + " x = 1"), score=6),
    Case("answer name and spaces in a Markdown notebook", notebook(
        ("code", "import torch"), ("markdown", "query121" + fill(" ") + "x")), "could not find the cell", 0),
    Case("lookalike prompts in comments", setup(fill("# define a query vector which averages\nx = 1\n", CODE_ROOM * 3)),
         score=6),
    # Floods: cells, notes, errors.
    Case("cells that raise", setup("# %%\n1/0\n" * (MAX_CELLS - 20)), "more notes omitted", 6),
    Case("too many cells", setup(fill("# %%\n1/0\n")), f"more than {MAX_CELLS} cells", 0),
    Case("too many markdown strings", setup(fill('"""x"""\n')), f"more than {MAX_CELLS} cells", 0),
    Case("notebook cells that raise", notebook(*[("code", "1/0")] * (MAX_CELLS - 1)), "more notes omitted", 0),
    Case("too many notebook cells", notebook(*[("code", "1/0")] * 40_000), f"more than {MAX_CELLS} cells", 0),
    Case("statements that raise", setup(fill("1/0\n", CODE_ROOM)), "more notes omitted", 6),
    Case("shell lines", setup(fill("!a\n", CODE_ROOM)), "more notes omitted", 6),
    Case("timing magics", COLAB_MAGIC_MARKER + "\n" + setup(fill("# %time x = 1\n")), score=6),
    Case("code past the limit", setup(fill("x=1\n")), "KB of code", 0),
    # Nesting.
    Case("deep JSON notebook", '{"cells": ' + "[" * 2_000_000 + "]" * 2_000_000 + "}", "JSON objects", 0),
    Case("5 MB of outputs notebook", json.dumps({**NOTEBOOK, "cells": [
        {**c, "outputs": [{"output_type": "stream", "name": "stdout", "text": ["y\n"] * 200_000},
                          {"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * 3_000_000}}]}
        if c["cell_type"] == "code" and "query121 =" in "".join(c["source"]) else c for c in NOTEBOOK["cells"]]}),
         score=6),
    Case("JSON objects notebook", json.dumps({**NOTEBOOK, "metadata": {"x": [{}] * (MAX_CONTAINERS + 1)}}),
         "JSON objects", 0),
    Case("deep brackets", setup("x = " + "(" * 100_000 + ")" * 100_000), "nested parentheses", 6),
    Case("deep nesting within the limits", setup("x = " + "[" * 190 + "]" * 190 + "\nf = " + "lambda: " * 99 + "1"),
         score=6),
    Case("deep lambdas", setup("f = " + "lambda: " * 30_000 + "1"), "", 6),
    Case("deep unary operators", setup("x = " + "not " * 60_000 + "1"), "", 6),
    Case("one expression of 5 MB", "x = " + fill("1+") + "1", "KB of code", 0),
    Case("f-string fields", setup("x = f'" + fill("{x}", CODE_ROOM) + "'"), "KB of code", 0),
    # Numbers.
    Case("huge integers in an answer", SOLUTION.replace("1e5 * key[0].unsqueeze(0)", "[10**400, 1, 2]"),
         "unreadable: OverflowError", 5),
    Case("undecodable bytes", b"\xff" * ROOM, "KB of code", 0),
    # Output and errors that cross the event channel.
    Case("huge error messages", setup("\n".join(["raise Exception('x' * 20_000_000)"] * 5)), "Exception: xxxx", 6),
    Case("huge error in a question's cell", SOLUTION.replace(
        "query121 = 1e5 * key[0].unsqueeze(0)",
        "query121 = 1e5 * key[0].unsqueeze(0)\nraise Exception('x' * 20_000_000)"), "Exception: xxxx", 6),
    Case("printing 100 MB", setup("import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 1_000_000)"),
         "output shortened", 6),
    Case("terminal escapes printed", setup("print('\\x90' * 2_000_000)\nprint(('\\x1b]' + 'a' * 50) * 40_000)"),
         score=6),
    Case("a line that never ends on the event channel", setup(forge("b'x' * 60_000_000")),
         "more data than the grader accepts", 6),
    Case("forged statement errors", setup(forge('(json.dumps({"ev": "raised", "cell": 0, "error": {"type": "E", '
                                                '"message": "m" * 400, "line": 1}}) + "\\n").encode() * 60_000')),
         "more notes omitted", 6),
    Case("forged notes", setup(forge('(json.dumps({"ev": "note", "cell": 0, "line": 1, "text": "t"}) + "\\n").encode()'
                                     " * 1_200_000")), "more data than the grader accepts", 6),
    Case("one forged line of 60 MB", setup(forge("b'{\"ev\": \"note\", \"cell\": 0, \"text\": [' + b'0.5,' * 15_000_000"
                                                 " + b'1]}\\n'")), "more data than the grader accepts", 6),
    Case("deep forged lines", setup(forge("(b'{\"ev\": \"note\", \"cell\": 0, \"text\": ' + b'[' * 900 + b']' * 900"
                                          " + b'}\\n') * 10_000")), "more notes omitted", 6),
    Case("a forged answer keyed by a list", SOLUTION + "\n" + forge(
        '"".join(json.dumps(e) + "\\n" for e in [{"ev": "end", "cell": 11, "error": None}, '
        '{"ev": "capture", "key": [1], "value": 1}]).encode()'), "private channel", 6),
    # Set-up code that does not parse is recovered in chunks, each starting at column 0.
    Case("a broken line before a long string", setup("x = (\ns = '''\n" + "a\n" * 250_000 + "'''"),
         "'(' was never closed", 6),  # the string is one statement, recovered whole
]


def test_recovering_a_cell_of_millions_of_lines_is_bounded(a2s1, pool, tmp_path):
    content = setup("x = (\ns = '''\n" + fill("a\n") + "'''")
    _, cost, _ = _grade("chunks", content, "A2S1.py", a2s1, pool, tmp_path)
    cost.check()


def _grade(case_name: str, content: str | bytes, filename: str, a2s1: Assignment, pool: ServerPool,
           tmp_path: Path) -> tuple[GradeReport, Cost, str]:
    path = tmp_path / filename
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", errors="surrogatepass"))
    with measured() as cost:
        report = grade_file(path, a2s1, pool=pool)
        out = tmp_path / "results.json"
        write_results(report, out)
        print_report(report, Console(file=io.StringIO(), width=120), verbose=True)
    assert out.stat().st_size < RESULTS_BYTES, case_name
    data = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    return report, cost, json.dumps(data)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_files_are_graded_within_bounds(case, a2s1, pool, tmp_path):
    report, cost, text = _grade(case.name, case.content, case.filename, a2s1, pool, tmp_path)
    cost.check()
    assert case.says.lower() in text.lower(), text[:3000]
    if case.score is not None:
        assert report.score == case.score, text[:3000]


def test_notes_say_how_many_were_left_out(a2s1, pool, tmp_path):
    cells, statements = 30, 100  # each cell's notes are all kept by the runner
    hostile = "".join('"""A markdown cell"""\n' + "1/0\n" * statements for _ in range(cells))
    report, _, _ = _grade("count", setup(hostile), "A2S1.py", a2s1, pool, tmp_path)
    assert len(report.notes) == pipeline.MAX_NOTES + 1
    assert report.notes[-1] == f"… {cells * statements - pipeline.MAX_NOTES} more notes omitted"


def test_preparing_past_the_budget_gives_a_clear_zero(a2s1, pool, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "PREPARE_SECONDS", 0.0)
    path = tmp_path / "A2S1.py"
    path.write_text(SOLUTION)
    report = grade_file(path, a2s1, pool=pool)
    assert report.score == 0 and report.status()[0] == "failed to parse"
    assert report.failure.startswith("could not be graded: ") and "(please report)" in report.failure


def test_only_so_many_timing_magics_run():
    source = "\n".join(f"%time x{i} = {i}" for i in range(MAX_TIMED + 5))
    sub = load_bytes(source.encode(), "A2S1.py")
    code = sub.cells[0].source.split("\n")
    assert code[MAX_TIMED - 1] == f"x{MAX_TIMED - 1} = {MAX_TIMED - 1}" and code[MAX_TIMED] == "pass"
    assert len(sub.notes) == 5


def test_a_timed_statement_too_deep_to_parse_is_not_a_crash():
    assert unwrap_timed("%time x = " + "1+" * 200_000 + "1", False) is None


def test_an_answer_described_by_anything_but_a_string_is_not_rendered():
    deep: list = []
    for _ in range(50_000):
        deep = [deep]
    answer = decode_wire("q", {"type": "object", "detail": deep}, 10)
    assert answer.problem == "`q` is an object, not numbers"


def test_escape_sequences_cost_linear_time():
    with measured() as cost:
        for text in ("\x90" * 2_000_000, ("\x9d" + "a" * 100) * 20_000, "\x1b]" * 1_000_000):
            assert printable(text) == "" or set(printable(text)) == {"a"}
    cost.check()


def test_results_json_is_cut_to_size_whatever_the_report_holds(a2s1):
    # HTML writes each of '"<&' as an entity; JSON writes each control character (HTML drops them) in 6 bytes
    messages = [Message(Severity.ERROR, '"<&' * 333)] * 40 + [Message(Severity.ERROR, "\x01" * 1000)] * 40
    questions = [QuestionResult(q.info, 0.0, messages=messages, figures=[Heatmap("w", [[0.1, 0.2, 0.3, 0.4]], None)])
                 for q in a2s1.questions]
    report = GradeReport("A2S1", "A2S1.py", "Python script", questions, ["\x02" * 1000] * 51, "\x03" * 8000)
    data = results_json(report)
    assert len(json.dumps(data, indent=2, ensure_ascii=False).encode()) <= RESULTS_BYTES
    jsonschema.validate(data, SCHEMA)
    assert "data:image" not in json.dumps(data)  # pictures go first
    for test, q in zip(data["tests"], questions):  # then a question's HTML becomes its text, which may be cut
        assert test["output"] == question_html(q, images=False) if test["output_format"] == "html" else \
            test["output_format"] == "text"
    assert any(t["output"].endswith(SHORTENED) for t in data["tests"])
    titled = dataclasses.replace(a2s1.questions[0], title="t" * RESULTS_BYTES)  # no text of the report can help
    assert results_json(GradeReport("A2S1", "A2S1.py", "Python script",
                                    [QuestionResult(titled.info, 0.0, messages=messages)]))
