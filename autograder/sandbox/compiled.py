"""Trusted side: compile each cell of a plan before it is sent, so the child only executes.

A cell becomes one compiled unit per top-level statement (so that a failed import can be
skipped, a raising statement of set-up code costs only itself, and a statement that hangs
can be named and left out of the re-run), or the parse error that stops it. A cell no
answer is read from is recovered instead: the top-level chunks that parse still run, with a
note for each that does not, and a statement the compiler rejects is skipped with a note.
Identical cells (the notebook's own set-up code, in most submissions of a batch, wherever it
sits in the file) are compiled once and then moved to their file and line. Every step is
linear in the cell's size.
"""
from __future__ import annotations

import ast
import functools
import re
from types import CodeType
from typing import NamedTuple

from autograder.pyparse import PARSE_ERRORS, compile_statements, parse
from autograder.sandbox.errors import describe
from autograder.submission.lexer import STRING, matches_by_line, scan

_IMPORTS = (ast.Import, ast.ImportFrom)
_CONTINUATION = ("else", "elif", "except", "finally", "case", ")", "]", "}")
_LINE_START = re.compile(r"^(?=[^ \t\n#])", re.M)  # a line that starts at column 0 with code
CACHE_SIZE = 4096
MAX_NESTING = 100  # functions within functions: far beyond honest code, well within marshal's limit
MAX_UNITS = 1000  # compiled units per cell: beyond, statements are compiled (and recovered) in runs
MAX_CHUNKS = 2000  # chunks a cell that does not parse is recovered in; the rest is skipped
_CELL = "<cell>"


class Group(NamedTuple):
    """One top-level statement, compiled."""

    is_import: bool
    line: int
    code: CodeType


class CompiledCell(NamedTuple):
    groups: tuple[Group, ...]  # one per statement, run in order
    error: dict | None  # then the cell ends with this error (the rest does not parse or compile)
    notes: tuple[tuple[int | None, str], ...]  # recovered cells: the chunks skipped


def compile_cell(source: str, filename: str, first_line: int, recover: bool) -> CompiledCell:
    """Compile one cell whose first line is line `first_line` of `filename`."""
    cell, shift = _compile_cell(source, recover), first_line - 1
    return CompiledCell(
        tuple(Group(g.is_import, g.line + shift, _relocate(g.code, filename, shift)) for g in cell.groups),
        None if cell.error is None else _shift_error(cell.error, shift),
        tuple((_shift(line, shift), text) for line, text in cell.notes),
    )


@functools.lru_cache(maxsize=CACHE_SIZE)
def _compile_cell(source: str, recover: bool) -> CompiledCell:
    """The cell compiled as if from a file of its own (`_CELL`) in which it starts at line 1."""
    tree = _parse(source)
    notes: list[tuple[int | None, str]] = []
    if isinstance(tree, dict):
        if not recover:
            return CompiledCell((), tree, ())
        body: list[ast.stmt] = []
        chunks = _chunks(source)
        if len(chunks) > MAX_CHUNKS:
            notes.append((chunks[MAX_CHUNKS][0] + 1, f"more than {MAX_CHUNKS} pieces of code that does not parse; "
                                                      "skipped from here to the end of the cell"))
        for offset, text in chunks[:MAX_CHUNKS]:
            part = _parse(text)
            if isinstance(part, dict):
                part = _shift_error(part, offset)
                notes.append((part["line"], f"{part['message']}; skipped those lines"))
            else:
                body += ast.increment_lineno(part, offset).body
    else:
        body = tree.body
    groups, error = _compile(body, notes if recover else None)
    return CompiledCell(groups, error, tuple(notes))


def _relocate(code: CodeType, filename: str, shift: int) -> CodeType:
    """The same code, as compiled from `filename` `shift` lines further down (3.10+: line
    tables are relative to the first line). Nesting is bounded by `_compile`."""
    consts = tuple(_relocate(c, filename, shift) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_firstlineno=code.co_firstlineno + shift, co_consts=consts)


def _nesting(code: CodeType) -> int:
    """How deeply functions, lambdas and comprehensions nest in `code` (1: none)."""
    depth, level = 1, [(code, 1)]
    while level:
        code, d = level.pop()
        depth = max(depth, d)
        level += [(c, d + 1) for c in code.co_consts if isinstance(c, CodeType)]
    return depth


_ON_LINE = re.compile(r"\bon line (\d{1,9})\b")


def _shift_error(error: dict, shift: int) -> dict:
    """An error of code moved `shift` lines down: its line, and lines its message names."""
    if not shift:
        return error
    message = _ON_LINE.sub(lambda m: f"on line {int(m.group(1)) + shift}", error["message"])
    return {**error, "line": _shift(error["line"], shift), "message": message}


def _shift(line: object, shift: int) -> object:
    return line + shift if isinstance(line, int) else line


def _compile(body: list[ast.stmt], notes: list[tuple[int | None, str]] | None) -> tuple[tuple[Group, ...], dict | None]:
    """One compiled group per statement. A statement the compiler rejects (`return` outside a
    function, say: the parser accepts it) is skipped with a note when `notes` is given (code no
    question reads from); otherwise it ends the cell with its error and, as in IPython, the
    statements before it still run."""
    done: list[Group] = []
    size = max(1, -(-len(body) // MAX_UNITS))  # statements per unit: 1 unless the cell is huge
    for start in range(0, len(body), size):
        run = body[start:start + size]
        for nodes in ([run] if size > 1 else []) + [[node] for node in run]:
            try:
                code = compile_statements(nodes, _CELL)
                if _nesting(code) > MAX_NESTING:
                    raise SyntaxError(f"functions nested more than {MAX_NESTING} deep",
                                      (_CELL, nodes[0].lineno, 0, ""))
                done.append(Group(isinstance(nodes[0], _IMPORTS) and len(nodes) == 1, nodes[0].lineno, code))
                if len(nodes) > 1:
                    break  # the whole run compiled: no need for its statements one by one
            except PARSE_ERRORS as exc:
                if len(nodes) > 1:
                    continue  # find the statement the compiler rejects, one by one
                error = describe(exc, _CELL)
                if notes is None:
                    return tuple(done), error
                notes.append((error["line"], f"{error['message']}; skipped that statement"))
    return tuple(done), None


def _parse(source: str) -> ast.Module | dict:
    try:
        return parse(source, _CELL)
    except PARSE_ERRORS as exc:
        return describe(exc, _CELL)


def _chunks(source: str) -> list[tuple[int, str]]:
    """Split a cell at top-level statement starts (0-based line, text), for recovering from a
    parse error: lines at column 0 outside string literals. At most MAX_CHUNKS + 1 chunks (the
    last holds the rest), found without splitting the whole cell into lines."""
    flags = scan(source).flags
    starts = [(0, 0)]  # (line, offset) of each chunk
    for line, m in matches_by_line(source, _LINE_START):
        at = m.start()
        previous = source.rfind("\n", 0, at - 1) + 1
        if (not at or flags[line] & STRING or source.startswith(_CONTINUATION, at)
                or source.startswith("@", previous)):
            continue
        starts.append((line, at))
        if len(starts) > MAX_CHUNKS:
            break
    bounds = starts + [(None, len(source) + 1)]
    return [(a, source[x:y - 1]) for (a, x), (_, y) in zip(bounds, bounds[1:])]
