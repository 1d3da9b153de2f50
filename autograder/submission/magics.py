"""Neutralise IPython-only syntax (shell `!` lines, `%` magics) so it never runs, except the
Python statement a timing magic wraps (`%time x = f()` binds x in Jupyter too).

Lines are found with patterns anchored at line starts and bounded to one line; whether a line
lies inside a string literal comes from `autograder.submission.lexer`."""
from __future__ import annotations

import ast
import re
from dataclasses import replace

from autograder.pyparse import PARSE_ERRORS, parse
from autograder.submission.cells import Cell
from autograder.submission.lexer import STRING, Layout, matches_by_line

_MAGIC = re.compile(r"^[ \t]*[!%]", re.M)
_FIRST_CODE = re.compile(r"^[ \t\f]*[^\s#]", re.M)
_CELL_MAGIC = re.compile(r"[ \t\f]*%%(?P<name>\w+)")
# Cell magics whose body is still Python; any other cell magic makes the body something else.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}
# A line magic wrapping one statement, raw (`%time x = f()`) or as Colab's and jupytext's exports
# comment it out (`# %time x = f()`); timeit's options are dropped (the statement runs once).
_TIMED_LINE = re.compile(r"^[ \t]*(?:# )?%time|^[ \t]*get_ipython\(\)\.run_line_magic\(", re.M)
_TIMED = re.compile(r"^(?P<indent>[ \t]*)(?P<hash># )?%(?:time|timeit)(?:[ \t]+-[a-z]+(?:[ \t]*\d+)?)*[ \t]+(?P<stmt>\S.*)$")
_TIMED_NBCONVERT = re.compile(
    r"^(?P<indent>[ \t]*)get_ipython\(\)\.run_line_magic\([ \t]*['\"]time(?:it)?['\"][ \t]*,[ \t]*(?P<arg>(?:'[^'\n]*'|\"[^\"\n]*\"))[ \t]*\)[ \t]*$")
COLAB_MAGIC_MARKER = "# Commented out IPython magic to ensure Python compatibility."
MAX_TIMED = 100  # timing magics run per submission (each is parsed on its own); the rest are skipped


def unwrap_timed(line: str, commented: bool) -> str | None:
    """The statement a timing line magic wraps, indented as the line (None if `line` is not one).
    `commented`: also `# %time ...` (a cell whose magics an export commented out)."""
    m = _TIMED.match(line)
    if m is not None and (commented or not m.group("hash")):
        stmt = m.group("stmt")
    elif (m := _TIMED_NBCONVERT.match(line)) is not None:
        stmt = ast.literal_eval(m.group("arg"))
        timed = _TIMED.match("%time " + stmt)  # timeit's options inside the string
        stmt = timed.group("stmt") if timed else stmt
    else:
        return None
    try:
        parse(stmt)
    except PARSE_ERRORS:
        return None
    return m.group("indent") + stmt


def drop_cell_magic(source: str) -> tuple[str, tuple[int, str] | None]:
    """A cell that starts with a cell magic whose body is not Python (`%%bash`) becomes blank lines
    (the same number), with a note (0-based line, text)."""
    first = _FIRST_CODE.search(source)
    m = _CELL_MAGIC.match(source, first.start()) if first else None
    if m is None or m.group("name") in _PYTHON_CELL_MAGICS:
        return source, None
    line = source.count("\n", 0, first.start())
    return "\n" * source.count("\n"), (line, f"skipped a %%{m.group('name')} cell (not Python)")


def neutralise(cells: list[Cell], layouts: list[Layout], commented_magics: bool = False
               ) -> tuple[list[Cell], list[str]]:
    """Each cell with its magic and shell lines replaced by `pass` (keeping indentation and line
    numbers) and the statements timing magics wrap unwrapped (at most MAX_TIMED in all), and a
    note per line. `layouts`: each cell's scan; `commented_magics`: the export wrote magics as
    comments."""
    timed_left = MAX_TIMED
    done, notes = [], []
    for cell, layout in zip(cells, layouts):
        source, more, timed_left = _neutralise(cell.source, layout, commented_magics, timed_left)
        notes += [f"{cell.where(cell.first_line + i)}: {text}" for i, text in more]
        done.append(cell if source is cell.source else replace(cell, source=source))
    return done, notes


def _neutralise(source: str, layout: Layout, commented: bool, timed_left: int
                ) -> tuple[str, list[tuple[int, str]], int]:
    commented = commented or COLAB_MAGIC_MARKER in source
    timed = [i for i in _lines_matching(source, _TIMED_LINE) if not layout.flags[i] & STRING]
    magic = [i for i in _lines_matching(source, _MAGIC) if not layout.flags[i] & STRING]
    if not timed and not magic:
        return source, [], timed_left
    lines = source.split("\n")
    for i in timed:
        if timed_left and (stmt := unwrap_timed(lines[i], commented)) is not None:
            lines[i] = stmt
            timed_left -= 1
    notes = []
    for i in magic:
        stripped = lines[i].lstrip(" \t")
        if stripped[:1] in ("!", "%") and not (i and lines[i - 1].rstrip().endswith("\\")):
            lines[i] = lines[i][:len(lines[i]) - len(stripped)] + "pass"
            notes.append((i, f"skipped {stripped[:80]!r} (shell and magic lines are not run)"))
    return "\n".join(lines), notes, timed_left


def _lines_matching(source: str, pattern: re.Pattern[str]) -> list[int]:
    """0-based lines where `pattern` (anchored at line starts) matches."""
    return [line for line, _ in matches_by_line(source, pattern)]
