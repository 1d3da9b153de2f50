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


def _find_prompt(blocks: list[list[tuple[int, str]]], prompt: str) -> tuple[int, int] | None:
    """(cell, line) of the first comment block containing `prompt`."""
    wanted = normalise(prompt)
    for ci, cell_blocks in enumerate(blocks):
        for line, text in cell_blocks:
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
    blocks = [_comment_blocks(c.source) for c in cells]
    for t in targets:
        hit = _find_prompt(blocks, t.prompt)
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


def _rebindings(cells: list[Cell], name: str) -> list[tuple[int, int]]:
    """(cell, line) of each top-level `name = ...` (a rebinding, not an item assignment)."""
    pattern = re.compile(rf"^{re.escape(name)}\s*=(?!=)")
    return [(ci, i) for ci, cell in enumerate(cells) for i, line in enumerate(cell.source.split("\n"))
            if pattern.match(line)]


def _assigning_cell(cells: list[Cell], name: str, claimed: set[int | None]) -> int | None:
    pattern = re.compile(rf"^{re.escape(name)}\s*(\[[^\]]*\])?\s*[-+*/@]?=(?!=)", re.M)
    for ci, cell in enumerate(cells):
        if ci not in claimed and pattern.search(cell.source):
            return ci
    return None
