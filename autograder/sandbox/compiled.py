"""Trusted side: compile each cell of a plan before it is sent, so the child only executes.

A cell becomes groups of statements compiled together (each import alone, so that a
failed import can be skipped), or the parse error that stops it. A cell no answer is
read from is recovered instead: the top-level chunks that parse still run, with a note
for each that does not. Identical cells (the notebook's own set-up code, in most
submissions of a batch) are compiled once.
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


class Group(NamedTuple):
    is_import: bool
    line: int
    code: CodeType


class CompiledCell(NamedTuple):
    groups: tuple[Group, ...]  # run in order
    error: dict | None  # then the cell ends with this error (the rest does not parse or compile)
    notes: tuple[tuple[int | None, str], ...]  # recovered cells: the chunks skipped


@functools.lru_cache(maxsize=CACHE_SIZE)
def compile_cell(source: str, filename: str, first_line: int, recover: bool) -> CompiledCell:
    """Compile one cell whose first line is line `first_line` of `filename`."""
    tree = _parse(source, filename, first_line)
    notes: list[tuple[int | None, str]] = []
    if isinstance(tree, dict):
        if not recover:
            return CompiledCell((), tree, ())
        body: list[ast.stmt] = []
        for offset, text in _chunks(source):
            part = _parse(text, filename, first_line + offset)
            if isinstance(part, dict):
                notes.append((part["line"], f"{part['message']}; skipped those lines"))
            else:
                body += part.body
    else:
        body = tree.body
    groups, error = _compile(body, filename)
    return CompiledCell(groups, error, tuple(notes))


def _compile(body: list[ast.stmt], filename: str) -> tuple[tuple[Group, ...], dict | None]:
    """Compiled groups up to the first statement the compiler rejects (`return` outside a
    function, say: the parser accepts it), and that statement's error; as IPython, the
    statements before it still run."""
    done: list[Group] = []
    for group in _groups(body):
        try:
            done.append(Group(isinstance(group[0], _IMPORTS), group[0].lineno, compile_statements(group, filename)))
            continue
        except PARSE_ERRORS:
            pass
        for node in group:
            try:
                done.append(Group(isinstance(node, _IMPORTS), node.lineno, compile_statements([node], filename)))
            except PARSE_ERRORS as exc:
                return tuple(done), describe(exc, filename)
    return tuple(done), None


def _parse(source: str, filename: str, first_line: int) -> ast.Module | dict:
    try:
        # Leading newlines give file line numbers without a pass over the tree.
        return parse("\n" * (first_line - 1) + source, filename)
    except PARSE_ERRORS as exc:
        return describe(exc, filename)


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
