"""The scanner that finds strings, comments and markdown strings agrees with Python's own tokenizer
and parser on real code, and stays linear on input built to make it slow."""
from __future__ import annotations

import ast
import io
import time
import tokenize

import pytest

from autograder.submission.lexer import COMMENT, DOC, DOC_END, STRING, scan
from conftest import REPO

SOURCES = sorted(p for folder in ("autograder", "tests", "solutions", "assignments", "bench")
                 for p in (REPO / folder).rglob("*.py"))
TRICKY = [
    'x = 1  # not alone\n# alone\n    # indented alone\n',
    's = """\n# inside\n"""  # after\n# outside\n',
    "s = '''a\\''' b'''\n# out\n",
    "s = 'a\\\n# continued inside\\\n'\n",
    'x = (  # open\n    "a"\n    "b"\n)\n"""doc"""\n',
    'rb"x" f"{a!r}" Rb"""\nz"""\nu"y"\n',
    'x = \\\n"not a doc"\n"doc"\n',
    "'unterminated\n# a comment\n",
    '@d\ndef f():\n    """docstring"""\n"""top"""\n',
    '"c"  # doc\nb"bytes"\nf"{x}"\n',
    'print(")")\n"""doc after a bracket in a string"""\n',
]


def _tokenized(source: str) -> tuple[list[int], set[int]]:
    comments, inside = [], set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and not tok.line[:tok.start[1]].strip():
                comments.append(tok.start[0] - 1)
            if tok.type == tokenize.STRING and tok.start[0] != tok.end[0]:
                inside.update(range(tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return comments, inside


def _docs(source: str) -> list[int]:
    return [line for node in ast.parse(source).body
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            and node.col_offset == 0 for line in (node.lineno - 1, node.end_lineno)]


def _check(source: str) -> None:
    layout = scan(source)
    comments, inside = _tokenized(source)
    assert list(layout.lines(COMMENT)) == comments
    assert set(layout.lines(STRING)) == inside
    cuts = [c for i in layout.lines(DOC | DOC_END)
            for c in [i] * bool(layout.flags[i] & DOC) + [i + 1] * bool(layout.flags[i] & DOC_END)]
    try:
        assert cuts == _docs(source)
    except SyntaxError:
        pass


@pytest.mark.parametrize("source", TRICKY)
def test_tricky_snippets_read_as_python_reads_them(source):
    _check(source)


def test_every_python_file_of_the_repository_reads_as_python_reads_it():
    assert len(SOURCES) > 50
    for path in SOURCES:
        _check(path.read_text(encoding="utf-8", errors="replace"))


def test_an_unterminated_triple_quoted_string_runs_to_the_end():
    assert list(scan('x = 1\n"""never closed\n# inside\ny = 2\n').lines(STRING)) == [2, 3, 4]


def test_cost_counts_code_not_comments_or_strings():
    assert scan("x = 1\n").cost == 6
    assert scan("x = 'a long string'  # and a comment\n").cost == scan("x = ''  #\n").cost == 8
    assert scan("x = f'{a}{b}'\n").cost == len("x = f'{a}{b}'\n")
    fields = 10_000
    source = "f'" + "{a}" * fields + "'"
    assert scan(source).cost == len(source) + fields * fields // 2048  # Python 3.11 parses it in quadratic time
    assert scan("'a'" * 1000, max_cost=100).cost == 101  # stops as soon as it is over


LINEAR = {
    "quotes": '"' * 5_000_000,
    "tiny strings": "'a'," * 1_250_000,
    "comment lines": "#\n" * 2_500_000,
    "comments between code": "#\nx\n" * 1_250_000,
    "backslashes": "\\\n" * 2_500_000,
    "brackets": "([{" * 1_600_000,
    "unterminated triple": "'''" + "a\n" * 2_500_000,
    "escapes": "'" + "\\a" * 2_500_000 + "'",
    "markdown strings": '"""x"""\n' * 600_000,
}


@pytest.mark.parametrize("name", LINEAR)
def test_scanning_is_linear(name):
    start = time.process_time()
    scan(LINEAR[name])
    assert time.process_time() - start < 6, name
