"""integrity.html: ONE self-contained page (inline CSS, no script, nothing fetched) with the flagged pairs
ranked, each pair's code side by side with copydetect's matches marked, and their shared values.

Code, file names and students' names come from submissions and their metadata: untrusted. The template
escapes everything (autoescape) and every string is first stripped of control characters.
"""
from __future__ import annotations

from pathlib import Path

import jinja2

from autograder.integrity.findings import Pair, Spans, Summary
from autograder.results.text import printable

TEMPLATES = Path(__file__).parent / "templates"
SHOWN = 50  # pairs shown with their code (the table lists them all; so does integrity.csv)


def segments(code: str, spans: Spans) -> list[tuple[str, bool]]:
    """`code` cut into (text, matched) pieces at the matched spans."""
    pieces, at = [], 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(code))
        if start >= end:
            continue
        pieces += [(code[at:start], False), (code[start:end], True)]
        at = end
    return [p for p in [*pieces, (code[at:], False)] if p[0]]


def render_page(summary: Summary, pairs: list[Pair], code: dict[str, str]) -> str:
    """The page's HTML. `code` maps a party's id to its compared code."""
    sides = {p.rank: [segments(code.get(party.id, ""), p.code.spans[n] if p.code else ())
                      for n, party in enumerate((p.a, p.b))] for p in pairs[:SHOWN]}
    return _environment().get_template("integrity.html.j2").render(
        summary=summary, pairs=pairs, sides=sides, shown=SHOWN)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=_clean)
    env.filters["pct"] = lambda x: f"{100 * x:.0f}%"
    return env


def _clean(value: object) -> object:
    """A string printable (tabs as four spaces, newlines kept); anything else as it is."""
    return printable(value.replace("\t", "    "), newlines=True) if type(value) is str else value
