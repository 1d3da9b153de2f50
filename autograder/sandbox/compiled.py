"""Trusted side: compile each cell of a plan before it is sent, so the child only executes.

A cell becomes groups of statements compiled together (each import alone, so that a
failed import can be skipped), or the parse error that stops it. A cell no answer is
read from is recovered instead: the top-level chunks that parse still run, with a note
for each that does not. Identical cells (the notebook's own set-up code, in most
submissions of a batch, wherever it sits in the file) are compiled once and then moved
to their file and line.
"""
from __future__ import annotations

import ast
import functools
from types import CodeType
from typing import NamedTuple

from autograder.pyparse import PARSE_ERRORS, compile_statements, parse
from autograder.sandbox.errors import describe

_IMPORTS = (ast.Import, ast.ImportFrom)
_CONTINUATION = ("else", "elif", "except", "finally", "case", ")", "]", "}")
CACHE_SIZE = 4096
_CELL = "<cell>"


class Group(NamedTuple):
    is_import: bool
    line: int
    code: CodeType


class CompiledCell(NamedTuple):
    groups: tuple[Group, ...]  # run in order
    error: dict | None  # then the cell ends with this error (the rest does not parse or compile)
    notes: tuple[tuple[int | None, str], ...]  # recovered cells: the chunks skipped


def compile_cell(source: str, filename: str, first_line: int, recover: bool) -> CompiledCell:
    """Compile one cell whose first line is line `first_line` of `filename`."""
    cell, shift = _compile_cell(source, recover, 1), first_line - 1
    if cell.error is not None or cell.notes:  # messages may name lines ("... on line 3"): parse in place
        cell, shift = _compile_cell(source, recover, first_line), 0
    return CompiledCell(
        tuple(Group(g.is_import, g.line + shift, _relocate(g.code, filename, shift)) for g in cell.groups),
        None if cell.error is None else {**cell.error, "line": _shift(cell.error["line"], shift)},
        tuple((_shift(line, shift), text) for line, text in cell.notes),
    )


@functools.lru_cache(maxsize=CACHE_SIZE)
def _compile_cell(source: str, recover: bool, first_line: int) -> CompiledCell:
    """The cell compiled as if from a file of its own (`_CELL`) in which it starts at `first_line`."""
    tree = _parse(source, first_line)
    notes: list[tuple[int | None, str]] = []
    if isinstance(tree, dict):
        if not recover:
            return CompiledCell((), tree, ())
        body: list[ast.stmt] = []
        for offset, text in _chunks(source):
            part = _parse(text, first_line + offset)
            if isinstance(part, dict):
                notes.append((part["line"], f"{part['message']}; skipped those lines"))
            else:
                body += part.body
    else:
        body = tree.body
    groups, error = _compile(body)
    return CompiledCell(groups, error, tuple(notes))


def _relocate(code: CodeType, filename: str, shift: int) -> CodeType:
    """The same code, as compiled from `filename` `shift` lines further down (3.10+: line
    tables are relative to the first line)."""
    consts = tuple(_relocate(c, filename, shift) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_firstlineno=code.co_firstlineno + shift, co_consts=consts)


def _shift(line: object, shift: int) -> object:
    return line + shift if isinstance(line, int) else line


def _compile(body: list[ast.stmt]) -> tuple[tuple[Group, ...], dict | None]:
    """Compiled groups up to the first statement the compiler rejects (`return` outside a
    function, say: the parser accepts it), and that statement's error; as IPython, the
    statements before it still run."""
    done: list[Group] = []
    for group in _groups(body):
        try:
            done.append(Group(isinstance(group[0], _IMPORTS), group[0].lineno, compile_statements(group, _CELL)))
            continue
        except PARSE_ERRORS:
            pass
        for node in group:
            try:
                done.append(Group(isinstance(node, _IMPORTS), node.lineno, compile_statements([node], _CELL)))
            except PARSE_ERRORS as exc:
                return tuple(done), describe(exc, _CELL)
    return tuple(done), None


def _parse(source: str, first_line: int) -> ast.Module | dict:
    try:
        # Leading newlines give the cell's own line numbers without a pass over the tree.
        return parse("\n" * (first_line - 1) + source, _CELL)
    except PARSE_ERRORS as exc:
        return describe(exc, _CELL)


def _chunks(source: str) -> list[tuple[int, str]]:
    """Split a cell at top-level statement starts (0-based line, text), for recovering from a parse error."""
    lines = source.split("\n")
    starts = [i for i, line in enumerate(lines)
              if line[:1] not in ("", " ", "\t", "#") and not line.startswith(_CONTINUATION)
              and not (i and lines[i - 1].startswith("@"))]
    bounds = (starts or [0]) + [len(lines)]
    if bounds[0] != 0:
        bounds.insert(0, 0)
    return [(a, "\n".join(lines[a:b])) for a, b in zip(bounds, bounds[1:])]


def _groups(body: list[ast.stmt]) -> list[list[ast.stmt]]:
    groups: list[list[ast.stmt]] = []
    for node in body:
        if isinstance(node, _IMPORTS) or not groups or isinstance(groups[-1][0], _IMPORTS):
            groups.append([node])
        else:
            groups[-1].append(node)
    return groups
