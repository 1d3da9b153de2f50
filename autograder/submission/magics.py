"""Neutralise IPython-only syntax (shell `!` lines, `%` magics) so it never runs."""
from __future__ import annotations

import re

_MAGIC = re.compile(r"^(?P<indent>[ \t]*)(?P<cmd>[!%].*)$")
_CELL_MAGIC = re.compile(r"^\s*%%(?P<name>\w+)")
# Cell magics whose body is still Python; any other cell magic makes the body something else.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}


def neutralise(source: str) -> tuple[str, list[str]]:
    """Replace magic/shell lines with `pass` (keeping indentation and line numbers)."""
    lines = source.split("\n")
    notes = []
    first = next((i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")), None)
    if first is not None:
        m = _CELL_MAGIC.match(lines[first])
        if m and m.group("name") not in _PYTHON_CELL_MAGICS:
            notes.append(f"skipped a %%{m.group('name')} cell (not Python)")
            return "\n" * (len(lines) - 1), notes
    if not any(_MAGIC.match(line) for line in lines):
        return source, notes
    in_string = _string_lines(source)
    for i, line in enumerate(lines):
        m = _MAGIC.match(line)
        if m and i not in in_string and not _continues(lines, i):
            lines[i] = f"{m.group('indent')}pass"
            notes.append(f"skipped {m.group('cmd')[:80]!r} (shell and magic lines are not run)")
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
