"""The child <-> grader protocol: whatever the child sends decodes to bounded plain data."""
from __future__ import annotations

import os

from autograder.sandbox.protocol import (NOT_CALLED, CallOutcome, CellStatus, Progress, decode_call, decode_error,
                                         decode_event, status_of)


def test_errors_decode_to_capped_strings_and_an_int_line():
    assert decode_error({"type": "NameError", "message": "x" * 10_000, "line": 3}) == {
        "type": "NameError", "message": "x" * 500, "line": 3}
    assert decode_error({"type": ["a"], "line": "3"}) == {"type": "['a']", "message": "None", "line": None}
    assert decode_error({"line": True})["line"] is None
    assert decode_error("boom") is None


def test_status_follows_the_error_type_not_its_wording():
    assert status_of(None) == CellStatus.OK
    assert status_of(decode_error({"type": "IndentationError", "message": "timed out"})) == CellStatus.SYNTAX
    assert status_of(decode_error({"type": "ValueError", "message": "SyntaxError"})) == CellStatus.RAISED


def test_calls_decode_to_one_outcome_per_planned_call():
    returned = {0: {"outputs": [{"type": "none"}]}, 1: {"error": {"type": "E", "message": "E: bad"}}, 2: 5,
                3: {"too_many": 10**6}, 4: {"outputs": [{}] * 33}, 9: {"outputs": []}}
    decoded = decode_call({"callable": True}, returned, {5: "timed out after 2 s"}, 7)
    assert decoded.outcomes == (CallOutcome(({"type": "none"},)), CallOutcome(error="E: bad"),
                                CallOutcome(error=NOT_CALLED), CallOutcome(error="returned 1000000 values; the grader "
                                                                                  "reads at most 32"),
                                CallOutcome(error="returned something the grader could not read"),
                                CallOutcome(error="timed out after 2 s"), CallOutcome(error=NOT_CALLED))
    assert decode_call({"callable": False, "value": {"type": "missing"}}, {}, {}, 3).value == {"type": "missing"}
    assert decode_call({"callable": "yes"}, {}, {}, 3).outcomes is None
    assert decode_call(None, {}, {}, 3) is None
    assert decode_call(None, {}, {0: "crashed"}, 1).outcomes == (CallOutcome(error="crashed"),)


def test_the_progress_page_is_shared_across_a_fork():
    progress = Progress.create()
    pid = os.fork()
    if pid == 0:
        Progress(progress.fd).mark(7, 3)
        os._exit(0)
    os.waitpid(pid, 0)
    assert progress.read() == (7, 3)
    progress.close()


def test_event_lines_that_would_crash_or_stall_the_decoder_are_refused():
    assert decode_event(b'{"ev": "ready"}') == {"ev": "ready"}
    assert decode_event(b"[" * 100_000 + b"]" * 100_000) is None  # RecursionError, not a crash
    assert decode_event(b'{"ev": "capture", "n": ' + b"9" * 5000 + b"}") is None
    assert decode_event(b"[1, 2]") is None and decode_event(b"\xff") is None


def test_a_huge_integer_answer_is_a_clear_problem_not_a_crash():
    from autograder.checks.values import decode_wire

    wire = {"type": "array", "dtype": "int", "shape": [1], "data": [10**400]}
    assert "too large for a float" in decode_wire("q", wire, 10).problem
    assert "?" in decode_wire("q", {"type": "too_large", "elements": 10**400}, 10).problem
