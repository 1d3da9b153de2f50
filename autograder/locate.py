"""Find each question's cell from the notebook's own prompt comments.

Prompts survive every export format, line numbers do not. A prompt that lies
inside a larger cell (a Colab script has no cell markers) splits that cell at
the start of the prompt's comment block, so each question gets its own cell.
When a prompt was deleted, the cell that assigns the answer's name is used.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

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


def _comment_blocks(source: str) -> list[tuple[int, str]]:
    """(0-based first line, normalised text) of each run of consecutive comment lines."""
    blocks: list[tuple[int, str]] = []
    start, parts = None, []
    for i, line in enumerate(source.split("\n") + [""]):
        if line.lstrip().startswith("#"):
            if start is None:
                start = i
            parts.append(line)
        elif start is not None:
            blocks.append((start, normalise(" ".join(parts))))
            start, parts = None, []
    return blocks


def _find_prompt(cells: list[Cell], prompt: str, after: int) -> tuple[int, int] | None:
    wanted = normalise(prompt)
    for ci in range(after, len(cells)):
        for line, text in _comment_blocks(cells[ci].source):
            if wanted in text:
                return ci, line
    return None


def locate(cells: list[Cell], targets: list[Target]) -> tuple[list[Cell], dict[str, Located]]:
    """Split cells at question prompts and return the new cells and each question's location."""
    cells = list(cells)
    found: dict[str, tuple[int, int]] = {}
    for t in targets:
        hit = _find_prompt(cells, t.prompt, 0)
        if hit is None:
            continue
        ci, line = hit
        if any(s.strip() for s in cells[ci].source.split("\n")[:line]):
            head, tail = split_cell(cells[ci], line)
            cells[ci:ci + 1] = [head, tail]
            found = {k: (c + 1 if c > ci else c, ln) for k, (c, ln) in found.items()}
            ci += 1
        found[t.key] = (ci, 0)
    result = {k: Located(c, "prompt") for k, (c, _) in found.items()}
    claimed = {loc.cell for loc in result.values()}
    for t in targets:
        if t.key in result:
            continue
        ci = _assigning_cell(cells, t.name, claimed)
        result[t.key] = Located(ci, "assignment") if ci is not None else Located(None, "end")
        if ci is not None:
            claimed.add(ci)
    return cells, result


def _assigning_cell(cells: list[Cell], name: str, claimed: set[int | None]) -> int | None:
    pattern = re.compile(rf"^{re.escape(name)}\s*(\[[^\]]*\])?\s*[-+*/@]?=(?!=)", re.M)
    for ci, cell in enumerate(cells):
        if ci not in claimed and pattern.search(cell.source):
            return ci
    return None
