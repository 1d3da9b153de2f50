"""What a batch makes of untrusted input, function by function: folder names from file names and
metadata keys, the metadata itself, text for the terminal and for a spreadsheet, and which file
of a folder is graded."""
from __future__ import annotations

import sys
import time

import pytest

from autograder.batch.metadata import MAX_BYTES as MAX_METADATA, Student, read_metadata
from autograder.batch.names import MAX_BYTES, is_component, safe_name
from autograder.batch.pick import nothing_to_grade, pick_submission
from autograder.batch.progress import BatchProgress
from autograder.batch.sheet import MAX_CELL, number_cell, text_cell
from autograder.results.text import printable

TRICKY = ["", ".", "..", "...", ".hidden", "../../etc/passwd", "/abs/path", "a/b", "a\\b", "a\0b", "%", "%25", "%2E",
          "%2E.", "50%.py", "50%25.py", "a\x1b[31mb", "a%1B[31mb", "line\nbreak", "tab\there", "\x9b31m",
          "\udc9b", "\udced\udcb2\udc9b", "\u202egnp.exe", "x" * 300, "x" * 301, "é" * 150, "é" * 151,
          "submission_101", "Zoë's notebook.ipynb", "=cmd|calc.py", "1"]


@pytest.mark.parametrize("raw", ["submission_101", "A2S1.py", "Zoë's notebook (2).ipynb", "=cmd|calc.py", "a b"])
def test_readable_names_are_kept(raw):
    assert safe_name(raw) == raw


def test_safe_names_are_one_plain_component_and_never_collide():
    names = [safe_name(raw) for raw in TRICKY]
    assert len(set(names)) == len(TRICKY)
    for raw, name in zip(TRICKY, names):
        assert is_component(name) and not name.startswith("."), (raw, name)
        assert len(name.encode()) <= MAX_BYTES and printable(name) == name, (raw, name)


def test_unsafe_characters_are_escaped_readably():
    assert safe_name("../x") == "%2E.%2Fx"
    assert safe_name("a\x1b[31mb") == "a%1B[31mb"
    assert safe_name("50%.py") == "50%25.py"
    assert safe_name("") == "%"
    long = safe_name("y" * 300)
    assert long.startswith("y" * 150) and "%-" in long and long != safe_name("y" * 301)


@pytest.mark.parametrize("raw", ["", ".", "..", "a/b", "/abs", "a\\b", "a\0b"])
def test_not_a_component(raw):
    assert not is_component(raw)


def test_printable_drops_escape_sequences_and_control_characters():
    assert printable("a\x1b[2Jb\x1b]0;title\x07c\x9b31md\x1b(Be\x07\x00\x7f\x85f") == "abcdef"
    assert printable("one\ntwo\r\n", newlines=True) == "one\ntwo\n"
    assert printable("one\ntwo") == "onetwo"
    assert printable("bad \udc9b byte") == "bad \ufffd byte"


@pytest.mark.parametrize("text, cell", [
    ('=HYPERLINK("http://evil")', "'=HYPERLINK(\"http://evil\")"),
    ("+1+2", "'+1+2"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'=1"),  # the tab is a control character: removed, and what is left is still neutralised
    ("Ada Lovelace", "Ada Lovelace"), ("ada@uni.edu", "ada@uni.edu"),
    ("red\x1b[31m name\r\n", "red name"),
])
def test_text_cells_are_printable_and_never_formulas(text, cell):
    assert text_cell(text) == cell


def test_text_cells_are_capped():
    cell = text_cell("x" * (MAX_CELL + 5000))
    assert cell == "x" * MAX_CELL + "… (5000 more characters)"


def test_score_cells_stay_numbers():
    assert [number_cell(v) for v in (1, 0.75, -2, 6.0, None, "=1+1", True)] == ["1", "0.75", "-2", "6", "", "", ""]


def _meta(tmp_path, text: str):
    path = tmp_path / "submission_metadata.yml"
    path.write_text(text)
    return read_metadata(path)


def test_metadata_gives_each_submissions_students(tmp_path):
    found, warnings = _meta(tmp_path, """
submission_1:
  :submitters:
  - {":name": Ada, ":sid": 1234, ":email": ada@uni.edu}
submission_2:
  :submitters: []
""")
    assert found == {"submission_1": [Student("Ada", "1234", "ada@uni.edu")], "submission_2": []} and warnings == []


@pytest.mark.parametrize("text, readable", [
    ("- just\n- a list\n", {}),
    ("{ not: [valid yaml", {}),
    ("submission_1: 7\nsubmission_2: {':submitters': [{':name': Bo}]}\n", {"submission_1": [],
                                                                          "submission_2": [Student("Bo")]}),
    ("submission_1: {':submitters': {':name': Ada}}\n", {"submission_1": []}),
    ("submission_1: {':submitters': [Ada]}\n", {"submission_1": []}),
    ("submission_1: {':submitters': [{':name': [A, d, a]}]}\n", {"submission_1": []}),
    ("1: {}\n'1': {':submitters': [{':name': Twice}]}\n", {"1": []}),
    ("[" * 5000 + "]" * 5000, {}),
])
def test_malformed_metadata_costs_only_the_names_it_cannot_read(tmp_path, text, readable):
    found, warnings = _meta(tmp_path, text)
    assert found == readable and warnings


def test_metadata_too_large_or_not_a_file_costs_the_names(tmp_path):
    large = tmp_path / "large" / "submission_metadata.yml"
    large.parent.mkdir()
    with large.open("wb") as f:
        f.truncate(MAX_METADATA + 1)
    assert read_metadata(large) == ({}, [f"{large}: larger than 16 MB; students unknown"])
    folder = tmp_path / "submission_metadata.yml"
    folder.mkdir()
    found, warnings = read_metadata(folder)
    assert found == {} and warnings[0].startswith(f"{folder}: unreadable (")


def test_a_billion_laughs_is_refused_at_once(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    start = time.monotonic()
    found, warnings = _meta(tmp_path, "\n".join(lines) + "\nsubmission_1: {':submitters': *a9}\n")
    assert time.monotonic() - start < 0.5
    assert found == {} and "aliases are not allowed" in warnings[0]


def test_pick_prefers_the_assignments_py_then_its_notebook_then_any(tmp_path):
    for name in ("Untitled.ipynb", "scratch.py", "A2S1.ipynb", "A2S1.py", ".hidden/A2S1.py", "__MACOSX/A2S1.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    order = []
    while (picked := pick_submission(tmp_path, "A2S1")) is not None:
        order.append(picked.name)
        picked.unlink()
    assert order == ["A2S1.py", "A2S1.ipynb", "scratch.py", "Untitled.ipynb"]


def test_nothing_to_grade_lists_what_the_folder_holds(tmp_path):
    for i in range(25):
        (tmp_path / f"page{i:02d}.jpg").write_bytes(b"")
    message = nothing_to_grade(tmp_path)
    assert message.startswith("No .ipynb or .py file was found in your submission (it contains: page00.jpg, ")
    assert "page19.jpg and 5 more)" in message


@pytest.mark.parametrize("live", [True, False])
def test_progress_notes_are_printable(capsys, live):
    progress = BatchProgress(1, live=live, stream=sys.stderr)
    progress.note("bad\x1b[2J name\x07: the grader failed")
    progress.close()
    captured = capsys.readouterr()
    assert "bad name: the grader failed" in captured.out + captured.err
    assert "\x1b[2J" not in captured.out + captured.err and "\x07" not in captured.out + captured.err
