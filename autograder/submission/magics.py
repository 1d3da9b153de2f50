"""Neutralise IPython-only syntax (shell `!` lines, `%` magics) so it never runs, except the
Python statement a timing magic wraps (`%time x = f()` binds x in Jupyter too)."""
from __future__ import annotations

import ast
import re

_MAGIC = re.compile(r"^(?P<indent>[ \t]*)(?P<cmd>[!%].*)$")
_CELL_MAGIC = re.compile(r"^\s*%%(?P<name>\w+)")
# Cell magics whose body is still Python; any other cell magic makes the body something else.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}
# A line magic wrapping one statement, raw (`%time x = f()`) or as Colab's and jupytext's exports
# comment it out (`# %time x = f()`); timeit's options are dropped (the statement runs once).
_TIMED = re.compile(r"^(?P<indent>[ \t]*)(?P<hash># )?%(?:time|timeit)(?:[ \t]+-[a-z]+(?:[ \t]*\d+)?)*[ \t]+(?P<stmt>\S.*)$")
_TIMED_NBCONVERT = re.compile(
    r"^(?P<indent>[ \t]*)get_ipython\(\)\.run_line_magic\([ \t]*['\"]time(?:it)?['\"][ \t]*,[ \t]*(?P<arg>(?:'[^'\n]*'|\"[^\"\n]*\"))[ \t]*\)[ \t]*$")
COLAB_MAGIC_MARKER = "# Commented out IPython magic to ensure Python compatibility."


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
        ast.parse(stmt)
    except (SyntaxError, ValueError):
        return None
    return m.group("indent") + stmt


def neutralise(source: str, commented_magics: bool = False) -> tuple[str, list[tuple[int, str]]]:
    """Replace magic/shell lines with `pass` (keeping indentation and line numbers); run the
    statement a timing magic wraps. `commented_magics`: the export wrote magics as comments.
    Notes are (0-based line in the cell, text)."""
    lines = source.split("\n")
    notes = []
    commented_magics = commented_magics or COLAB_MAGIC_MARKER in source
    timed = [i for i, line in enumerate(lines) if "time" in line and ("%" in line or "run_line_magic" in line)]
    if timed:
        in_string = _string_lines(source)
        for i in timed:
            if i not in in_string and (stmt := unwrap_timed(lines[i], commented_magics)) is not None:
                lines[i] = stmt
        source = "\n".join(lines)
    first = next((i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")), None)
    if first is not None:
        m = _CELL_MAGIC.match(lines[first])
        if m and m.group("name") not in _PYTHON_CELL_MAGICS:
            notes.append((first, f"skipped a %%{m.group('name')} cell (not Python)"))
            return "\n" * (len(lines) - 1), notes
    if not any(_MAGIC.match(line) for line in lines):
        return source, notes
    in_string = _string_lines(source)
    for i, line in enumerate(lines):
        m = _MAGIC.match(line)
        if m and i not in in_string and not _continues(lines, i):
            lines[i] = f"{m.group('indent')}pass"
            notes.append((i, f"skipped {m.group('cmd')[:80]!r} (shell and magic lines are not run)"))
    return "\n".join(lines), notes


def _continues(lines: list[str], i: int) -> bool:
    """True when line i is a continuation of the previous line (e.g. after a backslash)."""
    return i > 0 and lines[i - 1].rstrip().endswith("\\")


def _string_lines(source: str) -> set[int]:
    """Indices of lines that lie inside a multi-line string literal (best effort)."""
    import io
    import tokenize

    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING and tok.start[0] != tok.end[0]:
                inside.update(range(tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return inside
