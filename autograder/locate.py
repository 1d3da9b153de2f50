"""Find each question's cell from the notebook's own prompt comments.

Prompts survive every export format, line numbers do not. A prompt that lies
inside a larger cell (a Colab script has no cell markers) splits that cell at
the start of the prompt's comment block, so each question gets its own cell.
When a prompt was deleted, the cell that assigns the answer's name is used.
"""
from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from dataclasses import dataclass

from autograder.pyparse import PARSE_ERRORS, parse
from autograder.submission.cells import Cell
from autograder.submission.load import split_cell

_QUOTES = str.maketrans({c: '"' for c in "“”„‟″«»'‘’`"} | {c: "-" for c in "–—−‐"})


@dataclass(frozen=True)
class Target:
    """What to look for: a question's prompt and the name its answer binds."""

    key: str
    prompt: str
    name: str


@dataclass(frozen=True)
class Located:
    """Where a question's answer is read: after cell `cell`, or at the end (`cell` None)."""

    cell: int | None
    how: str


def normalise(text: str) -> str:
    """Lower-case, unify quotes and dashes, drop comment markers, collapse whitespace."""
    text = text.translate(_QUOTES).lower()
    text = re.sub(r"(^|\s)#+", " ", text)
    return " ".join(text.split())


def _comment_lines(source: str) -> list[int]:
    """0-based lines holding only a comment, as Python sees them: a line inside a string literal
    that starts with `#` is not a comment. From the syntax tree when the cell parses (fast);
    otherwise from the tokenizer, up to where it stops (such a cell does not run either)."""
    lines = source.split("\n")
    hashed = [i for i, line in enumerate(lines) if line.lstrip().startswith("#")]
    if not hashed:
        return []
    try:
        tree = parse(source)
    except PARSE_ERRORS:
        return _tokenized_comment_lines(source)
    inside: set[int] = set()  # 0-based lines that continue a multi-line string
    for node in ast.walk(tree):
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and node.end_lineno and node.end_lineno > node.lineno:
            inside.update(range(node.lineno, node.end_lineno))
    return [i for i in hashed if i not in inside]


def _tokenized_comment_lines(source: str) -> list[int]:
    lines: list[int] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and not tok.line[:tok.start[1]].strip():
                lines.append(tok.start[0] - 1)
    except (tokenize.TokenError, SyntaxError):
        pass
    return lines


@functools.lru_cache(maxsize=256)
def _comment_blocks(source: str) -> list[tuple[int, str]]:
    """(0-based first line, normalised text) of each run of consecutive comment lines."""
    text = source.split("\n")
    blocks: list[tuple[int, str]] = []
    start = previous = -2
    parts: list[str] = []
    for i in _comment_lines(source) + [-2]:
        if i != previous + 1 and parts:
            blocks.append((start, normalise(" ".join(parts))))
            parts = []
        if not parts:
            start = i
        parts.append(text[i] if i >= 0 else "")
        previous = i
    return blocks


def _find_prompt(cells: list[Cell], prompt: str, normalised: list[str]) -> tuple[int, int] | None:
    """(cell, line) of the first comment block containing `prompt` (only cells whose text holds
    it anywhere are tokenized)."""
    wanted = normalise(prompt)
    for ci, cell in enumerate(cells):
        if wanted in normalised[ci]:
            for line, text in _comment_blocks(cell.source):
                if wanted in text:
                    return ci, line
    return None


def locate(cells: list[Cell], targets: list[Target]) -> tuple[list[Cell], dict[str, Located]]:
    """Split cells where questions start and return the new cells and each question's location.

    A question starts at its prompt comment. Without prompts, questions that share an
    answer name (both 1.4 cells assign `m_key`) start at successive rebindings of it;
    any other question is read after the cell that assigns its answer.
    """
    anchors: dict[str, tuple[int, int, str]] = {}
    normalised = [normalise(c.source) for c in cells]
    for t in targets:
        hit = _find_prompt(cells, t.prompt, normalised)
        if hit is not None:
            anchors[t.key] = (*hit, "prompt")
    for name in {t.name for t in targets}:
        group = [t for t in targets if t.name == name]
        if len(group) > 1 and not any(t.key in anchors for t in group):
            spots = _rebindings(cells, name)
            if len(spots) >= len(group):
                anchors.update({t.key: (*spot, "assignment") for t, spot in zip(group, spots)})
    cells, starts = _split_at(cells, {k: (c, ln) for k, (c, ln, _) in anchors.items()})
    result = {k: Located(starts[k], how) for k, (_, _, how) in anchors.items()}
    for t in targets:
        if t.key in result:
            continue
        taken = {result[o.key].cell for o in targets if o.name == t.name and o.key in result}
        ci = _assigning_cell(cells, t.name, taken)
        result[t.key] = Located(ci, "assignment") if ci is not None else Located(None, "end")
    return cells, result


def _split_at(cells: list[Cell], anchors: dict[str, tuple[int, int]]) -> tuple[list[Cell], dict[str, int]]:
    """Split so that each anchor (cell, line) starts a cell; return the cells and each anchor's cell."""
    cells = list(cells)
    order = sorted(anchors.items(), key=lambda kv: kv[1])
    did_split: dict[str, bool] = {}
    for key, (ci, line) in reversed(order):  # back to front: earlier indices stay valid
        did_split[key] = any(s.strip() for s in cells[ci].source.split("\n")[:line])
        if did_split[key]:
            cells[ci:ci + 1] = list(split_cell(cells[ci], line))
    starts, splits = {}, 0
    for key, (ci, _) in order:
        splits += did_split[key]
        starts[key] = ci + splits
    return cells, starts


def _assignments(cell: Cell, name: str) -> list[tuple[int, bool]]:
    """(0-based line, is a rebinding) of each top-level statement assigning `name` (`name = ...`,
    or `name[...] = ...` / `name += ...`, which are not rebindings), as Python parses the cell;
    a cell that does not parse (it will not run) by its lines instead."""
    try:
        tree = parse(cell.source)
    except PARSE_ERRORS:
        return [(i, m.group(1) is None and m.group(2) == "") for i, line in enumerate(cell.source.split("\n"))
                if (m := _assignment_line(name).match(line))]
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    found.append((node.lineno - 1, True))
                elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) \
                        and target.value.id == name:
                    found.append((node.lineno - 1, False))
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Name) \
                and node.target.id == name and (isinstance(node, ast.AugAssign) or node.value is not None):
            found.append((node.lineno - 1, isinstance(node, ast.AnnAssign)))
    return found


@functools.lru_cache(maxsize=64)
def _assignment_line(name: str) -> re.Pattern[str]:
    """`name = ...`, `name[...] = ...` or `name += ...` at the start of a line (bounded to the line)."""
    return re.compile(rf"{re.escape(name)}[ \t]*(\[[^\]\n]*\])?[ \t]*([-+*/@]?)=(?!=)")


def _rebindings(cells: list[Cell], name: str) -> list[tuple[int, int]]:
    """(cell, line) of each top-level `name = ...` (a rebinding, not an item assignment)."""
    return [(ci, line) for ci, cell in enumerate(cells) if name in cell.source
            for line, rebinds in _assignments(cell, name) if rebinds]


def _assigning_cell(cells: list[Cell], name: str, claimed: set[int | None]) -> int | None:
    for ci, cell in enumerate(cells):
        if ci not in claimed and name in cell.source and _assignments(cell, name):
            return ci
    return None


def find_inert(inert: list[Cell], target: Target) -> Cell | None:
    """The Raw or Markdown cell holding a question's prompt or an assignment to its answer, if any
    (a student who typed the answer into a cell that never runs)."""
    wanted = normalise(target.prompt)
    assigns = _assignment_line(target.name)
    return next((c for c in inert if wanted in normalise(c.source)
                 or any(assigns.match(line.lstrip()) for line in c.source.split("\n"))), None)
