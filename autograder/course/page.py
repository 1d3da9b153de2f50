"""The course report as ONE self-contained HTML page: CSS inline, pictures as data URIs, no script.

Everything that comes from the reports (file names, students' names, messages) is untrusted: the
template escapes it (autoescape), and every value is first stripped of control characters.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from autograder.course import plots, stats
from autograder.course.exports import Export
from autograder.course.load import Rubric, Submission
from autograder.results.text import printable

TEMPLATES = Path(__file__).parent / "templates"
LISTED = 100  # rows per table of submissions (the rest are counted; grades.csv has them all)
REASONS = 5  # failure reasons shown per question


@dataclass(frozen=True)
class Files:
    """The files written beside the page (names relative to it) and what the imports left out."""

    sheet: str
    gradescope: str
    canvas: str
    gradescope_export: Export
    canvas_export: Export


def render_page(rubric: Rubric, submissions: list[Submission], files: Files, pairs: list[dict] | None = None) -> str:
    """The page's HTML; `pairs`: the flagged pairs of `autograder integrity`, if it ran."""
    scores = stats.totals(submissions)
    mean = sum(scores) / len(scores) if scores else None
    per_question = stats.question_stats(submissions, rubric.questions)
    return _environment().get_template("course.html.j2").render(
        rubric=rubric,
        count=len(submissions),
        students=sum(len(s.students) for s in submissions),
        readable=sum(s.readable for s in submissions),
        statuses=stats.status_counts(submissions),
        scores=scores,
        mean=mean,
        median=statistics.median(scores) if scores else None,
        full=sum(s >= rubric.max_points - stats.EPS for s in scores),
        histogram=plots.score_histogram_png(stats.score_histogram(scores, rubric.max_points), rubric.max_points, mean)
        if scores else None,
        questions=per_question,
        questions_plot=plots.questions_png(per_question) if any(q.graded for q in per_question) else None,
        reasons={q.info.id: stats.failure_reasons(submissions, q.info.id, REASONS) for q in per_question},
        attention=stats.needing_attention(submissions),
        timing=stats.timing(submissions),
        slowest=stats.slowest(submissions),
        findings=stats.findings(submissions),
        pairs=pairs,
        files=files,
        listed=LISTED,
    )


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=lambda v: printable(v) if type(v) is str else v)  # Markup is made safe already
    env.filters["students"] = lambda s: ", ".join(st.name or st.email or st.sid for st in s.students) or "—"
    env.filters["num"] = lambda x: f"{x:g}"
    env.filters["pct"] = pct
    env.filters["grouped"] = grouped
    env.filters["ticks"] = ticks
    return env


def pct(share: float) -> str:
    """A share as a whole percentage; a share that is not zero never shows as 0% (nor one not whole as 100%)."""
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{100 * share:.0f}%"


def ticks(text: str) -> Markup:
    """`text` escaped, with its `code` spans set in code type (an unpaired backtick leaves it as it is)."""
    parts = printable(text).split("`")
    if len(parts) % 2 == 0:
        return escape(printable(text))
    return Markup("").join(Markup("<code>%s</code>") % p if i % 2 else escape(p) for i, p in enumerate(parts))


def grouped(skipped: list[tuple[str, str]], examples: int = 5) -> list[tuple[str, int, list[str]]]:
    """Skipped submissions by reason, most common first: (reason, how many, the first few)."""
    by_reason: dict[str, list[str]] = {}
    for key, why in skipped:
        by_reason.setdefault(why, []).append(key)
    return sorted(((why, len(keys), keys[:examples]) for why, keys in by_reason.items()), key=lambda g: -g[1])
