"""Find each question's cell from the notebook's own prompt comments.

Prompts survive every export format, line numbers do not. A prompt that lies
inside a larger cell (a Colab script has no cell markers) splits that cell at
the start of the prompt's comment block, so each question gets its own cell.
When a prompt was deleted, the cell that assigns the answer's name is used.
"""
from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass

from autograder.pyparse import PARSE_ERRORS, parse
from autograder.submission.cells import Cell
from autograder.submission.lexer import COMMENT, STRING, matches_by_line, scan
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


def _comment_blocks(source: str) -> list[tuple[int, str]]:
    """(0-based first line, normalised text) of each run of consecutive lines holding only a
    comment, as Python sees them (a line inside a string literal is not a comment)."""
    text = source.split("\n")
    blocks: list[tuple[int, str]] = []
    start = previous = -2
    parts: list[str] = []
    for i in [*scan(source).lines(COMMENT), -2]:
        if i != previous + 1 and parts:
            blocks.append((start, normalise(" ".join(parts))))
            parts = []
        if not parts:
            start = i
        parts.append(text[i] if i >= 0 else "")
        previous = i
    return blocks


def _find_prompt(cells: list[Cell], prompt: str, normalised: list[str],
                 blocks: dict[int, list[tuple[int, str]]]) -> tuple[int, int] | None:
    """(cell, line) of the first comment block containing `prompt` (only cells whose text holds
    it anywhere are scanned, each once: `blocks` keeps them)."""
    wanted = normalise(prompt)
    for ci, cell in enumerate(cells):
        if wanted in normalised[ci]:
            if ci not in blocks:
                blocks[ci] = _comment_blocks(cell.source)
            for line, text in blocks[ci]:
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
    blocks: dict[int, list[tuple[int, str]]] = {}
    for t in targets:
        hit = _find_prompt(cells, t.prompt, normalised, blocks)
        if hit is not None:
            anchors[t.key] = (*hit, "prompt")
    assigned = _Assignments()
    for name in {t.name for t in targets}:
        group = [t for t in targets if t.name == name]
        if len(group) > 1 and not any(t.key in anchors for t in group):
            spots = _rebindings(cells, name, assigned)
            if len(spots) >= len(group):
                anchors.update({t.key: (*spot, "assignment") for t, spot in zip(group, spots)})
    cells, starts = _split_at(cells, {k: (c, ln) for k, (c, ln, _) in anchors.items()})
    result = {k: Located(starts[k], how) for k, (_, _, how) in anchors.items()}
    for t in targets:
        if t.key in result:
            continue
        taken = {result[o.key].cell for o in targets if o.name == t.name and o.key in result}
        ci = _assigning_cell(cells, t.name, taken, assigned)
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


class _Assignments:
    """(0-based line, is a rebinding) of each top-level statement of a cell assigning a name
    (`name = ...`, or `name[...] = ...` / `name += ...`, which are not rebindings), as Python
    parses the cell, each cell parsed once; a cell that does not parse (it will not run) by its
    lines instead."""

    def __init__(self) -> None:
        self._parsed: dict[str, dict[str, list[tuple[int, bool]]] | None] = {}

    def __call__(self, cell: Cell, name: str) -> list[tuple[int, bool]]:
        if cell.source not in self._parsed:
            self._parsed[cell.source] = _top_level_assignments(cell.source)
        found = self._parsed[cell.source]
        if found is not None:
            return found.get(name, [])
        in_string = scan(cell.source).flags  # a line inside a string literal is no assignment
        return [(line, m.group("item") is None and m.group("op") == "")
                for line, m in matches_by_line(cell.source, _assignment_line(name)) if not in_string[line] & STRING]


def _top_level_assignments(source: str) -> dict[str, list[tuple[int, bool]]] | None:
    """Name -> (0-based line, is a rebinding) of the top-level assignments (None: no parse)."""
    try:
        tree = parse(source)
    except PARSE_ERRORS:
        return None
    found: dict[str, list[tuple[int, bool]]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append((node.lineno - 1, True))
                elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    found.setdefault(target.value.id, []).append((node.lineno - 1, False))
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Name) \
                and (isinstance(node, ast.AugAssign) or node.value is not None):
            found.setdefault(node.target.id, []).append((node.lineno - 1, isinstance(node, ast.AnnAssign)))
    return found


@functools.lru_cache(maxsize=64)
def _assignment_line(name: str) -> re.Pattern[str]:
    """`name = ...`, `name[...] = ...` or `name += ...` at the start of a line (bounded to the line,
    no two quantifiers that can trade characters: linear)."""
    return re.compile(rf"^{re.escape(name)}[ \t]*(?:(?P<item>\[[^\]\n]*\])[ \t]*)?(?P<op>[-+*/@]?)=(?!=)", re.M)


def _rebindings(cells: list[Cell], name: str, assigned: _Assignments) -> list[tuple[int, int]]:
    """(cell, line) of each top-level `name = ...` (a rebinding, not an item assignment)."""
    return [(ci, line) for ci, cell in enumerate(cells) if name in cell.source
            for line, rebinds in assigned(cell, name) if rebinds]


def _assigning_cell(cells: list[Cell], name: str, claimed: set[int | None], assigned: _Assignments) -> int | None:
    for ci, cell in enumerate(cells):
        if ci not in claimed and name in cell.source and assigned(cell, name):
            return ci
    return None


def find_inert(inert: list[Cell], targets: list[Target]) -> dict[str, Cell]:
    """Each target's first Raw or Markdown cell holding its prompt or an assignment to its answer
    (a student who typed the answer into a cell that never runs); each cell is read once."""
    texts = [(c, normalise(c.source), re.sub(r"(?m)^[ \t]+", "", c.source)) for c in inert]
    found = {}
    for t in targets:
        wanted, assigns = normalise(t.prompt), _assignment_line(t.name)
        cell = next((c for c, words, lines in texts if wanted in words or assigns.search(lines)), None)
        if cell is not None:
            found[t.key] = cell
    return found
