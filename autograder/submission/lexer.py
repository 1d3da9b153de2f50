"""Where a Python source's string literals and comments are, in one linear pass.

Python's `tokenize` is written in Python up to 3.11, copies a multi-line string once per line
(quadratic) and stops at the first error; `ast.parse` builds a tree of about a kilobyte per
token. This scanner finds each comment and string literal with one bounded pattern (every
alternative, once started, matches: nothing is retried) and counts lines and brackets in C:
linear time, a byte per line, and no syntax needed (a cell of shell lines is scanned too).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterator

# Per-line flags (0-based lines).
STRING = 1  # the line starts inside a string literal that began on an earlier line
COMMENT = 2  # the line holds only a comment
DOC = 4  # a top-level statement that is a lone string literal starts here (a Colab markdown cell)
DOC_END = 8  # the line where such a statement ends

_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<prefix>[rRbBuUfF]{0,2})(?:
        '''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*(?:'''|\\?\Z)
      | \"\"\"[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*(?:\"\"\"|\\?\Z)
      | '[^'\\\n]*(?:\\.[^'\\\n]*)*'?
      | "[^"\\\n]*(?:\\.[^"\\\n]*)*"?
    )""", re.S | re.X)
_COMMENT_LINES = re.compile(r"(?:[ \t\f]*#[^\n]*(?:\n|\Z))+")
_IDLE_TO_EOL = re.compile(r"[ \t\f]*(?:#[^\n]*)?(?:\n|\Z)")
_BRACKET = re.compile(r"[()\[\]{}]")
_FIELDS_SQUARED = 2048  # an f-string of n fields costs n * n / 2048 more (10 000 fields: 0.2 s, 48 KB)


@dataclass(frozen=True)
class Layout:
    """What `scan` found: per-line flags, and how much code the source holds."""

    flags: bytearray
    cost: int  # characters outside comments and string literals (a string counts 1, an f-string more than all of it)

    def lines(self, flag: int) -> Iterator[int]:
        """The 0-based lines that have any of the bits of `flag`, in order."""
        return (m.start() for m in _having(flag).finditer(self.flags))


def matches_by_line(source: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, re.Match[str]]]:
    """Each match of `pattern` in `source` with the 0-based line it starts on (counted in C, once
    over the text: linear)."""
    line = counted = 0
    for m in pattern.finditer(source):
        line += source.count("\n", counted, m.start())
        counted = m.start()
        yield line, m


@functools.lru_cache(maxsize=None)
def _having(flag: int) -> re.Pattern[bytes]:
    return re.compile(b"[" + re.escape(bytes(v for v in range(1, 256) if v & flag)) + b"]")


def scan(source: str, max_cost: int | None = None) -> Layout:
    """Scan `source` (newlines already normalised to `\\n`); stop once its cost passes `max_cost`
    (the flags after that point are not set)."""
    src = source
    flags = bytearray(src.count("\n") + 1)
    skipped = 0  # characters of comments and strings (not code), less what f-strings cost extra
    line = counted = 0  # the line of position `counted`
    depth = depth_at = 0  # open brackets at position `depth_at`
    pos = 0
    while (m := _TOKEN.search(src, pos)) is not None:
        at, pos = m.span()
        if max_cost is not None and at - skipped > max_cost:
            return Layout(flags, at - skipped)
        prefix = m.group("prefix")
        if not prefix and src[at] == "#":
            skipped += pos - at
            line_start = src.rfind("\n", 0, at) + 1
            if not src[line_start:at].strip(" \t\f"):  # a comment alone on its line, and those after it
                run = _COMMENT_LINES.match(src, line_start).end()
                line += src.count("\n", counted, at)
                counted = at
                lines = src.count("\n", at, run) + (not src.endswith("\n", 0, run))
                flags[line:line + lines] = bytes([COMMENT]) * lines
                skipped += run - pos
                pos = run
            continue
        if {"f", "F"} & set(prefix):  # Python 3.11 parses an f-string in time quadratic in its fields
            skipped -= src.count("{", at, pos) ** 2 // _FIELDS_SQUARED
        else:
            skipped += pos - at - 1
        spanned = src.count("\n", at, pos)
        doc = (at == 0 or src[at - 1] == "\n") and not {"b", "B", "f", "F"} & set(prefix) \
            and (at < 2 or src[at - 2] != "\\") and _IDLE_TO_EOL.match(src, pos)
        if not (spanned or doc):
            continue
        line += src.count("\n", counted, at)
        counted = at
        if spanned:
            flags[line + 1:line + spanned + 1] = bytes([STRING]) * spanned
        if doc:
            depth, depth_at = _depth(src, depth_at, at, depth), pos
            if depth == 0:
                flags[line] |= DOC
                flags[line + spanned] |= DOC_END
    return Layout(flags, len(src) - skipped)


def _depth(src: str, start: int, end: int, depth: int) -> int:
    """Open brackets at `end`, given `depth` at `start` (both outside any comment or string)."""
    if _BRACKET.search(src, start, end) is None:
        return depth
    code = _TOKEN.sub("", src[start:end])
    return max(0, depth + sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}"))
